/**
 * Time, injected. Domain code never calls Date.now(): it asks a Clock, so replay
 * and tests decide what time it is. Timers fire in (due time, creation) order.
 */

/** A source of the current time in epoch milliseconds. */
export interface Clock {
  /** Current time, epoch ms. */
  now(): number;
}

/** A scheduled callback. */
export interface Timer {
  readonly id: number;
  readonly name: string;
  /** Epoch ms when it is due. */
  readonly dueAt: number;
}

/** A clock that can also schedule callbacks. */
export interface TimerClock extends Clock {
  /** Runs `callback` once at `dueAt` (epoch ms); returns the timer. */
  schedule(dueAt: number, callback: () => void, name?: string): Timer;
  /** Cancels a timer; returns whether it was still pending. */
  cancel(timer: Timer): boolean;
  /** Resolves after `ms` of this clock's time. */
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
}

/** Wall-clock time and real timers. */
export class SystemClock implements TimerClock {
  private nextId = 1;
  private readonly handles = new Map<number, ReturnType<typeof setTimeout>>();

  now(): number {
    return Date.now();
  }

  schedule(dueAt: number, callback: () => void, name = "timer"): Timer {
    const timer: Timer = { id: this.nextId++, name, dueAt };
    const handle = setTimeout(
      () => {
        this.handles.delete(timer.id);
        callback();
      },
      Math.max(0, dueAt - Date.now()),
    );
    handle.unref?.();
    this.handles.set(timer.id, handle);
    return timer;
  }

  cancel(timer: Timer): boolean {
    const handle = this.handles.get(timer.id);
    if (handle === undefined) return false;
    clearTimeout(handle);
    this.handles.delete(timer.id);
    return true;
  }

  sleep(ms: number, signal?: AbortSignal): Promise<void> {
    return sleepWith(this, ms, signal);
  }
}

interface PendingTimer extends Timer {
  callback: () => void;
}

/**
 * A clock that moves only when told. `advanceTo(t)` fires every timer due at or
 * before t in order, setting `now()` to each timer's due time while it runs, and
 * returns the fired timers. Timers scheduled by a firing callback fire too if due.
 */
export class ManualClock implements TimerClock {
  private current: number;
  private nextId = 1;
  private pending: PendingTimer[] = [];

  constructor(startMs = 0) {
    this.current = startMs;
  }

  now(): number {
    return this.current;
  }

  /** Sets the time without firing timers (only forward). */
  set(ms: number): void {
    if (ms < this.current) throw new RangeError(`ManualClock cannot go back from ${this.current} to ${ms}`);
    this.current = ms;
  }

  schedule(dueAt: number, callback: () => void, name = "timer"): Timer {
    const timer: PendingTimer = { id: this.nextId++, name, dueAt: Math.max(dueAt, this.current), callback };
    // Keep `pending` sorted by (dueAt, id): insertion after every timer due no later.
    let index = this.pending.length;
    while (index > 0 && this.pending[index - 1]!.dueAt > timer.dueAt) index--;
    this.pending.splice(index, 0, timer);
    return { id: timer.id, name: timer.name, dueAt: timer.dueAt };
  }

  cancel(timer: Timer): boolean {
    const index = this.pending.findIndex((t) => t.id === timer.id);
    if (index < 0) return false;
    this.pending.splice(index, 1);
    return true;
  }

  /** Moves time forward to `ms`, firing due timers in order; returns them. */
  advanceTo(ms: number): Timer[] {
    if (ms < this.current) throw new RangeError(`ManualClock cannot go back from ${this.current} to ${ms}`);
    const fired: Timer[] = [];
    while (this.pending.length > 0 && this.pending[0]!.dueAt <= ms) {
      const timer = this.pending.shift()!;
      this.current = timer.dueAt;
      fired.push({ id: timer.id, name: timer.name, dueAt: timer.dueAt });
      timer.callback();
    }
    this.current = ms;
    return fired;
  }

  /** Moves time forward by `ms`. */
  advanceBy(ms: number): Timer[] {
    return this.advanceTo(this.current + ms);
  }

  /** Timers not yet fired, in firing order. */
  pendingTimers(): Timer[] {
    return this.pending.map(({ id, name, dueAt }) => ({ id, name, dueAt }));
  }

  sleep(ms: number, signal?: AbortSignal): Promise<void> {
    return sleepWith(this, ms, signal);
  }
}

function sleepWith(clock: TimerClock, ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) {
      reject(signal.reason);
      return;
    }
    const timer = clock.schedule(clock.now() + ms, () => {
      signal?.removeEventListener("abort", onAbort);
      resolve();
    }, "sleep");
    const onAbort = () => {
      clock.cancel(timer);
      reject(signal?.reason);
    };
    signal?.addEventListener("abort", onAbort, { once: true });
  });
}
