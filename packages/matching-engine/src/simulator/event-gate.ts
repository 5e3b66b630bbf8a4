/**
 * Held-back event delivery. A change runs with the events it produces queued, and they are
 * delivered, in order, once the outermost change has finished. So listeners always see the
 * state after the whole change, a listener's exception cannot leave the state half-changed,
 * and a change a listener starts runs (and queues its events) after the current one.
 * Invariant: a change that throws drops exactly the events it queued.
 */
export class EventGate<E> {
  private readonly queue: E[] = [];
  private depth = 0;
  private delivering = false;

  constructor(private readonly deliver: (event: E) => void) {}

  /** Whether a change is running (events are being held). */
  get changing(): boolean {
    return this.depth > 0;
  }

  /** Runs a change with its events held back; when it throws, its events are dropped and `undo` runs. */
  run<T>(change: () => T, undo?: () => void): T {
    const queued = this.queue.length;
    this.depth++;
    let result: T;
    try {
      result = change();
    } catch (error) {
      this.queue.length = queued;
      undo?.();
      throw error;
    } finally {
      this.depth--;
    }
    if (this.depth === 0) this.flush();
    return result;
  }

  /** Queues an event; outside a change it is delivered at once. */
  push(event: E): void {
    this.queue.push(event);
    if (this.depth === 0) this.flush();
  }

  private flush(): void {
    if (this.delivering) return; // the outer delivery loop picks up events queued by listeners
    this.delivering = true;
    try {
      while (this.queue.length > 0) this.deliver(this.queue.shift() as E);
    } finally {
      this.delivering = false;
    }
  }
}
