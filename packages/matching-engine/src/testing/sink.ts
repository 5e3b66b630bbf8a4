/**
 * Test helpers (not exported from the package): an event sink that records every simulator
 * event in order, and a standard BTC market and book for scenarios.
 */
import { DEFAULT_MARKETS, type Market, isDecimal } from "@autonome/core";
import { SIMULATOR_EVENT_NAMES, type SimulatorEventMap, type SimulatorEventName } from "../simulator/events.js";
import type { ExchangeSimulator } from "../simulator/simulator.js";
import type { L2Book } from "../simulator/types.js";

/** One recorded event. */
export interface RecordedEvent {
  name: SimulatorEventName;
  event: SimulatorEventMap[SimulatorEventName][0];
}

/** Subscribes to every event of a simulator and returns the list they are appended to. */
export function recordEvents(sim: ExchangeSimulator): RecordedEvent[] {
  const events: RecordedEvent[] = [];
  for (const name of SIMULATOR_EVENT_NAMES) {
    sim.on(name, (event: SimulatorEventMap[typeof name][0]) => events.push({ name, event }));
  }
  return events;
}

/** Decimals as strings, recursively, for equality checks. */
export function plain(value: unknown): unknown {
  if (isDecimal(value)) return value.toString();
  if (Array.isArray(value)) return value.map(plain);
  if (value !== null && typeof value === "object") {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, plain(v)]));
  }
  return value;
}

/** BTC as Lighter lists it: tick 0.1, lot 0.00001, min size 0.0001, min notional 10, max 50x, mmf 0.012. */
export const BTC: Market = DEFAULT_MARKETS.find((m) => m.symbol === "BTC") as Market;
/** ETH: tick 0.01, lot 0.0001, min size 0.005. */
export const ETH: Market = DEFAULT_MARKETS.find((m) => m.symbol === "ETH") as Market;

/** A BTC book around 100000: asks 0.05 @ 100000, 0.1 @ 100010, 1 @ 100100; bids 0.1 @ 99990, 0.2 @ 99980, 1 @ 99900. */
export const BTC_BOOK: L2Book = {
  bids: [
    ["99990", "0.1"],
    ["99980", "0.2"],
    ["99900", "1"],
  ],
  asks: [
    ["100000", "0.05"],
    ["100010", "0.1"],
    ["100100", "1"],
  ],
};
