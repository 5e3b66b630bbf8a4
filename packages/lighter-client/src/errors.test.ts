import { isAutonomeError } from "@autonome/core";
import { describe, expect, it } from "vitest";
import {
  LighterInvalidNonceError,
  LighterNotFoundError,
  LighterOrderRejectedError,
  LighterRateLimitError,
  LighterRequestError,
  LighterTransientError,
  LighterUnavailableError,
  lighterErrorFor,
} from "./errors.js";

describe("lighterErrorFor", () => {
  it("maps Lighter codes to the request and transient roots", () => {
    const nonce = lighterErrorFor(21104, "invalid nonce", 400);
    expect(nonce).toBeInstanceOf(LighterInvalidNonceError);
    expect(nonce).toBeInstanceOf(LighterTransientError);
    expect(nonce.retryable).toBe(true);
    expect(nonce.lighterCode).toBe(21104);
    expect(nonce.lighterMessage).toBe("invalid nonce");
    expect(lighterErrorFor(23000, "Too Many Requests", 429)).toBeInstanceOf(LighterRateLimitError);
    expect(lighterErrorFor(0, "", 429)).toBeInstanceOf(LighterRateLimitError);
    expect(lighterErrorFor(21500, "transaction not found", 400)).toBeInstanceOf(LighterNotFoundError);
    const rejected = lighterErrorFor(21732, "reduce only increases position", 400);
    expect(rejected).toBeInstanceOf(LighterOrderRejectedError);
    expect(rejected).toBeInstanceOf(LighterRequestError);
    expect(rejected.retryable).toBe(false);
    expect(lighterErrorFor(12345, "odd", 502)).toBeInstanceOf(LighterUnavailableError);
  });

  it("is an AutonomeError with code LIGHTER_API", () => {
    const e = lighterErrorFor(21501, "invalid tx info", 400);
    expect(isAutonomeError(e)).toBe(true);
    expect(e.code).toBe("LIGHTER_API");
    expect(e.message).toBe("Lighter error 21501: invalid tx info");
  });
});
