/**
 * The arena's event transport between processes: PostgreSQL LISTEN/NOTIFY on channel
 * `autonome_events` (suffixed with the schema when one is set). The payload is the
 * ArenaEvent as JSON; one over 7,500 bytes (NOTIFY's limit is 8,000) travels as its
 * metadata with `truncated: true`, and the receiver reads the details from the database.
 */
import { ARENA_EVENT_TYPES, type ArenaEvent, type ArenaEventType } from "@autonome/core";
import type { Db } from "../db.js";

/** The base channel name. */
export const EVENT_CHANNEL = "autonome_events";
/** Largest payload sent whole, in UTF-8 bytes. */
export const MAX_EVENT_PAYLOAD_BYTES = 7_500;

/** An event too large for NOTIFY: its metadata only. */
export interface TruncatedEvent {
  id: string;
  type: ArenaEventType;
  tsEvent: number;
  tsInit: number;
  truncated: true;
}

/** What a subscriber receives: the whole event, or the metadata of a truncated one. */
export type ReceivedEvent = ArenaEvent | TruncatedEvent;

/** Publishes and subscribes to arena events across processes. */
export interface EventChannel {
  /** The channel name in use. */
  readonly channel: string;
  /** Sends an event to every subscriber, in this process and others. */
  publish(event: ArenaEvent): Promise<void>;
  /** Receives every event published on the channel; resolves to the unsubscribe function. */
  subscribe(listener: (event: ReceivedEvent) => void): Promise<() => Promise<void>>;
  /** Ends every subscription this channel opened. */
  close(): Promise<void>;
}

/** The NOTIFY payload of an event: the JSON, or the truncated form when it is too large. */
export function encodeEvent(event: ArenaEvent): string {
  const json = JSON.stringify(event);
  if (Buffer.byteLength(json, "utf8") <= MAX_EVENT_PAYLOAD_BYTES) return json;
  const truncated: TruncatedEvent = { id: event.id, type: event.type, tsEvent: event.tsEvent, tsInit: event.tsInit, truncated: true };
  return JSON.stringify(truncated);
}

const TYPES = new Set<string>(ARENA_EVENT_TYPES);

/** Parses a payload; null when it is not an arena event (ignored, never thrown at the listener). */
export function decodeEvent(payload: string): ReceivedEvent | null {
  let value: unknown;
  try {
    value = JSON.parse(payload);
  } catch {
    return null;
  }
  if (typeof value !== "object" || value === null) return null;
  const v = value as Record<string, unknown>;
  if (typeof v.id !== "string" || typeof v.type !== "string" || !TYPES.has(v.type)) return null;
  if (typeof v.tsEvent !== "number" || typeof v.tsInit !== "number") return null;
  if (v.truncated !== true && (typeof v.payload !== "object" || v.payload === null)) return null;
  return value as ReceivedEvent;
}

/** Opens the event channel of a database. */
export function createEventChannel(db: Db): EventChannel {
  const transport = db.notifications;
  const channel = `${EVENT_CHANNEL}${transport.channelSuffix}`;
  const subscriptions = new Set<() => Promise<void>>();
  return {
    channel,
    async publish(event) {
      await transport.notify(channel, encodeEvent(event));
    },
    async subscribe(listener) {
      const unlisten = await transport.listen(channel, (payload) => {
        const event = decodeEvent(payload);
        if (event !== null) listener(event);
      });
      let done = false;
      const unsubscribe = async () => {
        if (done) return;
        done = true;
        subscriptions.delete(unsubscribe);
        await unlisten();
      };
      subscriptions.add(unsubscribe);
      return unsubscribe;
    },
    async close() {
      await Promise.all([...subscriptions].map((u) => u()));
    },
  };
}
