/** Display formatting. Money stays a string until here; numbers only for display, never in exponent notation. */

const usd = new Intl.NumberFormat("en-US", { style: "currency", currency: "USD", maximumFractionDigits: 2, minimumFractionDigits: 2 });
const plain = new Intl.NumberFormat("en-US", { maximumFractionDigits: 2, minimumFractionDigits: 2 });

/** "$10,234.56", or an em dash. */
export function money(value: string | null | undefined): string {
  if (value === null || value === undefined || value === "") return "—";
  const n = Number(value);
  return Number.isFinite(n) ? usd.format(n) : "—";
}

/** "+$12.30" / "-$4.00": a signed amount. */
export function signedMoney(value: string | null | undefined): string {
  if (value === null || value === undefined) return "—";
  const n = Number(value);
  if (!Number.isFinite(n)) return "—";
  return `${n > 0 ? "+" : n < 0 ? "-" : ""}${usd.format(Math.abs(n))}`;
}

/** "+5.21%" from a fraction, or an em dash; grouped digits, never 1e+21. */
export function percent(fraction: number | null | undefined, digits = 2, signed = true): string {
  if (fraction === null || fraction === undefined || !Number.isFinite(fraction)) return "—";
  const text = new Intl.NumberFormat("en-US", { maximumFractionDigits: digits, minimumFractionDigits: digits }).format(Math.abs(fraction * 100));
  const sign = fraction > 0 && signed ? "+" : fraction < 0 ? "-" : "";
  return `${sign}${text}%`;
}

/** A plain number or an em dash (grouped, never in exponent notation). */
export function num(value: number | null | undefined, digits = 2): string {
  if (value === null || value === undefined || !Number.isFinite(value)) return "—";
  return digits === 2 ? plain.format(value) : new Intl.NumberFormat("en-US", { maximumFractionDigits: digits, minimumFractionDigits: digits }).format(value);
}

/** A price: as many decimals as it has, grouped. */
export function price(value: string | null | undefined): string {
  if (value === null || value === undefined) return "—";
  const n = Number(value);
  if (!Number.isFinite(n)) return "—";
  const decimals = n >= 1000 ? 2 : n >= 1 ? 4 : 6;
  return new Intl.NumberFormat("en-US", { maximumFractionDigits: decimals }).format(n);
}

/** "pos" or "neg" class for a signed amount. */
export function tone(value: string | number | null | undefined): string {
  if (value === null || value === undefined) return "";
  const n = Number(value);
  return n > 0 ? "pos" : n < 0 ? "neg" : "";
}

const pad = (n: number) => String(n).padStart(2, "0");

/** Local date and time with seconds: "2026-01-01 14:03:07". */
export function time(ms: number | null | undefined): string {
  if (ms === null || ms === undefined) return "—";
  const d = new Date(ms);
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
}

/** Local time of day with seconds: "14:03:07". */
export function clock(ms: number): string {
  const d = new Date(ms);
  return `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
}

/** "12 s ago", "4 min ago", "3 h ago", "2 d ago" (or "in 5 s" for a future time). */
export function relative(ms: number, now: number): string {
  const delta = Math.round((now - ms) / 1000);
  const abs = Math.abs(delta);
  const text = abs < 60 ? `${abs} s` : abs < 3600 ? `${Math.floor(abs / 60)} min` : abs < 86_400 ? `${Math.floor(abs / 3600)} h` : `${Math.floor(abs / 86_400)} d`;
  return delta >= 0 ? `${text} ago` : `in ${text}`;
}

/** A duration: "45 s", "12 min", "3 h 5 min", "2 d 4 h". */
export function duration(ms: number | null | undefined): string {
  if (ms === null || ms === undefined || !Number.isFinite(ms)) return "—";
  const s = Math.max(0, Math.round(ms / 1000));
  if (s < 60) return `${s} s`;
  if (s < 3600) return `${Math.floor(s / 60)} min`;
  if (s < 86_400) return `${Math.floor(s / 3600)} h ${Math.floor((s % 3600) / 60)} min`;
  return `${Math.floor(s / 86_400)} d ${Math.floor((s % 86_400) / 3600)} h`;
}

/**
 * A time shown absolute with seconds and relative ("14:03:07 · 12 s ago"); the relative
 * part is kept current by a ticker (see `tickTimes`), so re-rendering never touches it.
 */
export function stamp(ms: number | null | undefined): string {
  if (ms === null || ms === undefined) return "—";
  return `<time data-ts="${ms}" title="${esc(new Date(ms).toISOString())}">${esc(time(ms))} · <span class="rel"></span></time>`;
}

/** Fills the relative part of every stamp under `root`. */
export function tickTimes(root: ParentNode, now: number): void {
  for (const el of root.querySelectorAll<HTMLElement>("time[data-ts] .rel")) {
    const ts = Number((el.parentElement as HTMLElement).dataset.ts);
    const text = relative(ts, now);
    if (el.textContent !== text) el.textContent = text;
  }
}

/** Escapes text for HTML. */
export function esc(text: string | number | null | undefined): string {
  return String(text ?? "")
    .replaceAll("&", "&amp;")
    .replaceAll("<", "&lt;")
    .replaceAll(">", "&gt;")
    .replaceAll('"', "&quot;");
}

/** A CSV field (quoted when needed). */
export function csvField(value: string | number | null | undefined): string {
  const text = value === null || value === undefined ? "" : String(value);
  return /[",\n\r]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}
