import { StateConflictError } from "@autonome/core";
import { describe, expect, it } from "vitest";
import { ORDER_TRANSITIONS, type OrderLifecycleEvent, type OrderStatus, nextOrderStatus } from "./order-lifecycle.js";

describe("order lifecycle", () => {
  it("follows the table for the allowed transitions", () => {
    expect(nextOrderStatus("o1", "PENDING", "accepted")).toBe("ACCEPTED");
    expect(nextOrderStatus("o1", "ACCEPTED", "partiallyFilled")).toBe("PARTIALLY_FILLED");
    expect(nextOrderStatus("o1", "PARTIALLY_FILLED", "filled")).toBe("FILLED");
    expect(nextOrderStatus("o1", "PARTIALLY_FILLED", "cancelled")).toBe("CANCELLED");
  });

  it("keeps FILLED, CANCELLED and REJECTED terminal", () => {
    const events: OrderLifecycleEvent[] = ["accepted", "rejected", "partiallyFilled", "filled", "cancelled"];
    for (const status of ["FILLED", "CANCELLED", "REJECTED"] as OrderStatus[]) {
      expect(ORDER_TRANSITIONS[status]).toEqual({});
      for (const event of events) expect(() => nextOrderStatus("o1", status, event)).toThrow(StateConflictError);
    }
  });

  it("refuses a fill before acceptance and a rejection after it", () => {
    expect(() => nextOrderStatus("o1", "PENDING", "filled")).toThrow(/PENDING; it cannot be filled/);
    expect(() => nextOrderStatus("o1", "ACCEPTED", "rejected")).toThrow(StateConflictError);
  });
});
