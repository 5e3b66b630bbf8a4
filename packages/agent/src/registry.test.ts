import { ConfigError } from "@autonome/core";
import { describe, expect, it } from "vitest";
import { DEFAULT_MODEL_CONFIGS, createModelRegistry } from "./registry.js";
import { backoffDelayMs, classifyFailure, retryDelayMs } from "./retry.js";

describe("createModelRegistry", () => {
  it("builds the three rule models by default, with no network and no keys", () => {
    const registry = createModelRegistry(undefined, { env: {} });
    expect(registry.list().map((a) => [a.id, a.kind])).toEqual(DEFAULT_MODEL_CONFIGS.map((c) => [c.id, "rule"]));
  });

  it("reads an endpoint's key from the named environment variable and refuses a missing one without printing keys", () => {
    const entry = { id: "deepseek", kind: "openai", baseURL: "https://api.deepseek.com/v1", apiKeyEnv: "DEEPSEEK_API_KEY", model: "deepseek-chat" };
    expect(createModelRegistry([entry], { env: { DEEPSEEK_API_KEY: "sk-secret" } }).get("deepseek").kind).toBe("openai");
    expect(() => createModelRegistry([entry], { env: {} })).toThrow(ConfigError);
    expect(() => createModelRegistry([entry], { env: {} })).toThrow(/needs the environment variable DEEPSEEK_API_KEY/);
  });

  it("refuses invalid entries, duplicates and unknown ids with ConfigError", () => {
    expect(() => createModelRegistry([{ id: "x", kind: "openai", baseURL: "not a url", model: "m" }], { env: {} })).toThrow(/baseURL/);
    expect(() => createModelRegistry([{ id: "x", kind: "rule", rule: "astrology" }], { env: {} })).toThrow(ConfigError);
    expect(() => createModelRegistry([...DEFAULT_MODEL_CONFIGS, DEFAULT_MODEL_CONFIGS[0]], { env: {} })).toThrow(/duplicate model id/);
    expect(() => createModelRegistry(undefined, { env: {} }).get("nope")).toThrow(/unknown model nope/);
  });
});

describe("retry policy", () => {
  it("retries rate limits, server errors and connection failures, not other client errors", () => {
    expect(classifyFailure({ status: 429 })).toMatchObject({ code: "RATE_LIMITED", retryable: true });
    expect(classifyFailure({ status: 503 })).toMatchObject({ code: "UPSTREAM", retryable: true });
    expect(classifyFailure({ status: 401 })).toMatchObject({ code: "CONFIG", retryable: false });
    expect(classifyFailure(new Error("fetch failed"))).toMatchObject({ code: "NETWORK", retryable: true });
    expect(classifyFailure(new Error("something else"))).toMatchObject({ retryable: false });
  });

  it("backs off exponentially with a cap", () => {
    expect([1, 2, 3].map((n) => backoffDelayMs(n, 1000))).toEqual([1000, 2000, 4000]);
    expect(backoffDelayMs(10, 1000, 5000)).toBe(5000);
  });

  it("waits for a longer Retry-After hint, capped at a minute", () => {
    const hinted = classifyFailure({ status: 429, headers: { "retry-after": "3" } });
    expect(hinted.retryAfterMs).toBe(3000);
    expect(retryDelayMs(1, 1000, hinted)).toBe(3000);
    expect(retryDelayMs(1, 1000, { ...hinted, retryAfterMs: 10 })).toBe(1000);
    expect(retryDelayMs(1, 1000, { ...hinted, retryAfterMs: 3_600_000 })).toBe(60_000);
  });
});
