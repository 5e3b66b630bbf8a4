/**
 * The event map the worker publishes and the api streams. Payloads are JSON-safe
 * (money as decimal strings) because events cross processes (PostgreSQL NOTIFY, SSE).
 * Names are past-tense facts.
 */
import EventEmitter from "eventemitter3";
import type { ExitPlanJson } from "./exit-plan.js";
import type { Side } from "./side.js";
import type { CloseTrigger, DecisionType } from "./trading.js";

/** Every event carries its id, when it happened and when it was recorded. */
export interface EventMeta {
  /** Unique, sortable within a process. */
  id: string;
  /** Epoch ms when the fact happened. */
  tsEvent: number;
  /** Epoch ms when it was observed and published. */
  tsInit: number;
}

/** A tick of the scheduler began. */
export interface TickStarted {
  tick: number;
  modelIds: string[];
}

/** A tick ended: which models succeeded, failed or timed out. */
export interface TickFinished {
  tick: number;
  durationMs: number;
  succeeded: string[];
  failed: string[];
  timedOut: string[];
}

/** A model made one decision (a tool call), accepted or rejected. */
export interface DecisionMade {
  modelId: string;
  invocationId: string;
  type: DecisionType;
  symbol: string | null;
  accepted: boolean;
  /** Why it was rejected, as the model was told. */
  rejectionReason: string | null;
  arguments: Record<string, unknown>;
}

/** A position was opened (an Order row with status OPEN). */
export interface PositionOpened {
  modelId: string;
  orderId: string;
  symbol: string;
  side: Side;
  quantity: string;
  entryPrice: string;
  leverage: string;
  fee: string;
  exitPlan: ExitPlanJson;
}

/** A position was closed (the Order became CLOSED). */
export interface PositionClosed {
  modelId: string;
  orderId: string;
  symbol: string;
  side: Side;
  quantity: string;
  entryPrice: string;
  exitPrice: string;
  realizedPnl: string;
  closeTrigger: CloseTrigger | null;
}

/** A stop-loss or take-profit fired. */
export interface ExitTriggered {
  modelId: string;
  orderId: string;
  symbol: string;
  trigger: "STOP" | "TARGET";
  triggerPrice: string;
  exitPrice: string;
}

/** A position was liquidated. */
export interface PositionLiquidated {
  modelId: string;
  orderId: string;
  symbol: string;
  markPrice: string;
  exitPrice: string;
  realizedPnl: string;
}

/** An exit plan changed. */
export interface ExitPlanUpdated {
  modelId: string;
  orderId: string;
  symbol: string;
  exitPlan: ExitPlanJson;
}

/** An agent invocation finished (successfully or not). */
export interface InvocationFinished {
  modelId: string;
  invocationId: string;
  ok: boolean;
  latencyMs: number;
  inputTokens: number;
  outputTokens: number;
  toolCalls: number;
  error: string | null;
}

/** A portfolio snapshot was taken. */
export interface PortfolioSnapshotted {
  modelId: string;
  total: string;
  available: string;
  unrealizedPnl: string;
}

/** A model's run was stuck and cleared. */
export interface ModelStale {
  modelId: string;
  runningForMs: number;
}

/**
 * A broker call filled at the venue (or in the simulator) and Orders do not record it: the
 * model was paused (halted until an operator resumes it) and the position's protection is
 * stated. Health shows the pause with this reason.
 */
export interface FillNotRecorded {
  modelId: string;
  symbol: string;
  /** The decision whose fill was not recorded. */
  decision: DecisionType;
  /** What happened, as the broker said it. */
  reason: string;
  /** Whether the model was paused (false when pausing it failed too). */
  paused: boolean;
  /** How the unrecorded position is protected, in words ("stop-loss at 95000 kept in the simulator", "no stop"). */
  protection: string;
}

/** Payload type of each event name. */
export interface ArenaEventPayloads {
  tickStarted: TickStarted;
  tickFinished: TickFinished;
  decisionMade: DecisionMade;
  positionOpened: PositionOpened;
  positionClosed: PositionClosed;
  exitTriggered: ExitTriggered;
  positionLiquidated: PositionLiquidated;
  exitPlanUpdated: ExitPlanUpdated;
  invocationFinished: InvocationFinished;
  portfolioSnapshotted: PortfolioSnapshotted;
  modelStale: ModelStale;
  fillNotRecorded: FillNotRecorded;
}

/** An event name. */
export type ArenaEventType = keyof ArenaEventPayloads;

/** Every event name, for validation and filters. */
export const ARENA_EVENT_TYPES: readonly ArenaEventType[] = [
  "tickStarted",
  "tickFinished",
  "decisionMade",
  "positionOpened",
  "positionClosed",
  "exitTriggered",
  "positionLiquidated",
  "exitPlanUpdated",
  "invocationFinished",
  "portfolioSnapshotted",
  "modelStale",
  "fillNotRecorded",
];

/** One event as it travels: its type, its metadata and its payload. */
export type ArenaEvent = {
  [K in ArenaEventType]: EventMeta & { type: K; payload: ArenaEventPayloads[K] };
}[ArenaEventType];

/** The eventemitter3 map: each name's listener receives the whole event. */
export type ArenaEventMap = {
  [K in ArenaEventType]: [EventMeta & { type: K; payload: ArenaEventPayloads[K] }];
};

/** A typed emitter of arena events. */
export class ArenaEventBus extends EventEmitter<ArenaEventMap> {
  private sequence = 0;

  /** Builds an event with a fresh id and publishes it; returns it. */
  publish<K extends ArenaEventType>(type: K, payload: ArenaEventPayloads[K], tsEvent: number, tsInit = tsEvent): ArenaEvent {
    this.sequence += 1;
    const event = { id: `${tsInit.toString(36)}-${this.sequence.toString(36).padStart(6, "0")}`, type, tsEvent, tsInit, payload };
    // The cast is safe: `event` is exactly ArenaEventMap[K][0].
    (this.emit as (name: K, e: unknown) => boolean)(type, event);
    return event as ArenaEvent;
  }

  /** Re-emits an event that already has its metadata (for example one received over NOTIFY). */
  forward(event: ArenaEvent): void {
    (this.emit as (name: ArenaEventType, e: unknown) => boolean)(event.type, event);
  }

  /** Subscribes to every event type; returns the unsubscribe function. */
  onAny(listener: (event: ArenaEvent) => void): () => void {
    for (const type of ARENA_EVENT_TYPES) this.on(type, listener);
    return () => {
      for (const type of ARENA_EVENT_TYPES) this.off(type, listener);
    };
  }
}
