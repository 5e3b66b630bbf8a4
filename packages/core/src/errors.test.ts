import { describe, expect, it } from "vitest";
import { AutonomeError, ConfigError, OrderRejectedError, StateConflictError, ValidationError, isAutonomeError, readBooleanEnv } from "./errors.js";

describe("errors", () => {
  it("carry a stable code, the facts as fields and a readable message", () => {
    const error = new OrderRejectedError("INVALID_PRICE_TICK", "o-1", "3090.495");
    expect(error).toBeInstanceOf(AutonomeError);
    expect(error.code).toBe("ORDER_REJECTED");
    expect(error.reason).toBe("INVALID_PRICE_TICK");
    expect(error.message).toBe("order o-1 rejected: INVALID_PRICE_TICK (3090.495)");
    expect(error.name).toBe("OrderRejectedError");
    expect(error.toJSON()).toEqual({ code: "ORDER_REJECTED", message: error.message, name: "OrderRejectedError" });
    expect(isAutonomeError(error)).toBe(true);
    expect(isAutonomeError(new Error("plain"))).toBe(false);
  });

  it("name a leverage that is not a positive number as INVALID_LEVERAGE", () => {
    const error = new OrderRejectedError("INVALID_LEVERAGE", "o-2", "0");
    expect(error.reason).toBe("INVALID_LEVERAGE");
    expect(error.message).toBe("order o-2 rejected: INVALID_LEVERAGE (0)");
  });

  it("list each validation issue in the message", () => {
    const error = new ValidationError("bad order", [{ path: "size", message: "must be positive" }]);
    expect(error.message).toBe("bad order: size: must be positive");
    expect(new StateConflictError("order o-1 is CLOSED", "order", "o-1").code).toBe("STATE_CONFLICT");
  });

  it("read a boolean variable in its usual spellings, the fallback when unset, and refuse anything else naming it", () => {
    for (const v of ["true", "1", "YES", " on "]) expect(readBooleanEnv({ FLAG: v }, "FLAG", false)).toBe(true);
    for (const v of ["false", "0", "No", "OFF"]) expect(readBooleanEnv({ FLAG: v }, "FLAG", true)).toBe(false);
    expect(readBooleanEnv({}, "FLAG", true)).toBe(true);
    expect(readBooleanEnv({ FLAG: "  " }, "FLAG", false)).toBe(false);
    const refused = (() => {
      try {
        readBooleanEnv({ FLAG: "of" }, "FLAG", true);
      } catch (error) {
        return error;
      }
      return null;
    })();
    expect(refused).toBeInstanceOf(ConfigError);
    expect((refused as ConfigError).variable).toBe("FLAG");
    expect((refused as ConfigError).message).toBe('FLAG must be true or false, got "of"');
  });
});
