/**
 * Updates in place: a list of keyed items rendered to HTML is applied to a container so
 * that an item whose HTML did not change keeps its element (an open <details>, a focused
 * control, the scroll position all stay), a changed item is replaced (keeping an open
 * <details> open), new items are inserted in order and gone ones removed.
 */

/** One item: its stable key and its HTML (a single element). */
export interface Keyed {
  key: string;
  html: string;
}

const template = document.createElement("template");
/** The HTML each element was made from (kept off the DOM). */
const madeFrom = new WeakMap<Element, string>();

function element(html: string): HTMLElement {
  template.innerHTML = html.trim();
  return template.content.firstElementChild as HTMLElement;
}

/** Applies `items` to `container`'s children; returns how many elements were created or replaced. */
export function patchList(container: HTMLElement, items: readonly Keyed[]): number {
  const existing = new Map<string, HTMLElement>();
  for (const child of Array.from(container.children) as HTMLElement[]) {
    if (child.dataset.key !== undefined) existing.set(child.dataset.key, child);
    else child.remove();
  }
  let touched = 0;
  let cursor: Element | null = container.firstElementChild;
  for (const item of items) {
    let el = existing.get(item.key);
    if (el !== undefined && madeFrom.get(el) !== item.html) {
      const next = element(item.html);
      const wasOpen = el instanceof HTMLDetailsElement && el.open;
      // Keep nested <details> open too (a decision's raw steps).
      const openInner = Array.from(el.querySelectorAll("details[open]")).map((d) => (d as HTMLElement).dataset.part);
      next.dataset.key = item.key;
      madeFrom.set(next, item.html);
      if (wasOpen && next instanceof HTMLDetailsElement) next.open = true;
      for (const part of openInner) if (part) next.querySelector<HTMLDetailsElement>(`details[data-part="${part}"]`)?.setAttribute("open", "");
      el.replaceWith(next);
      if (cursor === el) cursor = next;
      el = next;
      touched++;
    }
    if (el === undefined) {
      el = element(item.html);
      el.dataset.key = item.key;
      madeFrom.set(el, item.html);
      touched++;
    }
    existing.delete(item.key);
    if (cursor !== el) container.insertBefore(el, cursor);
    cursor = el.nextElementSibling;
  }
  for (const gone of existing.values()) gone.remove();
  return touched;
}
