/**
 * The live stream's memory: every arena event the api hears (in process from the
 * worker's ArenaEventBus, or over PostgreSQL NOTIFY) gets a sequence number of this hub
 * and enters a bounded ring buffer. SSE clients receive new events as they arrive and,
 * reconnecting with Last-Event-ID, the buffered events after that number; when the
 * number has left the buffer the client is told to reload instead (`gap`).
 * Invariant: sequence numbers are consecutive, so the buffer holds exactly the
 * numbers (newest - size, newest].
 */
import type { ArenaEvent, ArenaEventType } from "@autonome/core";
import type { TruncatedEvent } from "@autonome/db";

/** What the hub stores: a whole event, or the metadata of one too large for NOTIFY. */
export type HubEvent = ArenaEvent | TruncatedEvent;

/** An event with the hub's sequence number (the SSE id). */
export interface SequencedEvent {
  seq: number;
  event: HubEvent;
}

/** What a reconnecting client gets back. */
export interface Replay {
  events: SequencedEvent[];
  /** True when events after `lastSeq` were dropped from the buffer: reload state. */
  gap: boolean;
}

/** The model an event concerns, or null for arena-wide events (ticks). */
export function modelOf(event: HubEvent): string | null {
  if (!("payload" in event)) return null;
  const modelId = (event.payload as unknown as { modelId?: unknown }).modelId;
  return typeof modelId === "string" ? modelId : null;
}

/** Filters of one stream. */
export interface StreamFilter {
  /** Only this model's events (arena-wide tick events still pass). */
  modelId?: string;
  /** Only these event types. */
  types?: ReadonlySet<ArenaEventType>;
}

/** Whether an event passes a filter. */
export function matches(event: HubEvent, filter: StreamFilter): boolean {
  if (filter.types !== undefined && !filter.types.has(event.type)) return false;
  if (filter.modelId !== undefined) {
    const owner = modelOf(event);
    if (owner !== null && owner !== filter.modelId) return false;
  }
  return true;
}

/** A bounded ring buffer of sequenced events with live subscribers. */
export class EventHub {
  private readonly ring: (SequencedEvent | undefined)[];
  private seq = 0;
  private readonly listeners = new Set<(e: SequencedEvent) => void>();
  private readonly seenIds = new Set<string>();
  private readonly seenOrder: string[] = [];

  constructor(readonly capacity = 1_000) {
    if (!Number.isInteger(capacity) || capacity < 1) throw new RangeError("capacity must be a positive integer");
    this.ring = new Array<SequencedEvent | undefined>(capacity);
  }

  /** The newest sequence number (0 before any event). */
  get lastSeq(): number {
    return this.seq;
  }

  /** Adds an event (ignored when an event with the same id was added recently) and notifies subscribers. */
  push(event: HubEvent): SequencedEvent | null {
    // The same event can arrive twice (bus and NOTIFY in one process): keep the first.
    if (this.seenIds.has(event.id)) return null;
    this.seenIds.add(event.id);
    this.seenOrder.push(event.id);
    if (this.seenOrder.length > this.capacity * 2) this.seenIds.delete(this.seenOrder.shift()!);
    this.seq += 1;
    const entry = { seq: this.seq, event };
    this.ring[this.seq % this.capacity] = entry;
    for (const listener of [...this.listeners]) {
      try {
        listener(entry);
      } catch {
        // A failing stream must not stop the others.
      }
    }
    return entry;
  }

  /** The buffered events after `lastSeq`, oldest first. */
  since(lastSeq: number): Replay {
    if (lastSeq >= this.seq) return { events: [], gap: lastSeq > this.seq };
    const oldest = Math.max(1, this.seq - this.capacity + 1);
    const gap = lastSeq + 1 < oldest;
    const events: SequencedEvent[] = [];
    for (let s = Math.max(lastSeq + 1, oldest); s <= this.seq; s++) {
      const entry = this.ring[s % this.capacity];
      if (entry !== undefined && entry.seq === s) events.push(entry);
    }
    return { events, gap };
  }

  /** Calls `listener` for every new event; returns the unsubscribe function. */
  subscribe(listener: (e: SequencedEvent) => void): () => void {
    this.listeners.add(listener);
    return () => {
      this.listeners.delete(listener);
    };
  }

  /** How many streams are listening. */
  get subscriberCount(): number {
    return this.listeners.size;
  }
}
