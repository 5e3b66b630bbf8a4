import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ConfigError } from "@autonome/core";
import { describe, expect, it } from "vitest";
import { DEFAULT_INTERVALS, checkLiveMarket, describeConfig, loadConfig } from "./config.js";

const KEY = "ab".repeat(40);
const LIVE = {
  IS_SIMULATION_ENABLED: "false",
  LIGHTER_BASE_URL: "http://127.0.0.1:9999",
  LIGHTER_API_KEY_INDEX: "3",
  LIGHTER_ACCOUNT_INDEX: "12345",
  LIGHTER_API_PRIVATE_KEY: KEY,
};

function configError(fn: () => unknown): ConfigError {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return error as ConfigError;
  }
  throw new Error("expected a ConfigError");
}

describe("loadConfig", () => {
  it("runs with no variables at all: simulation, embedded database, built-in rule models, default intervals", () => {
    const config = loadConfig({});
    expect(config.simulationEnabled).toBe(true);
    expect(config.databaseUrl).toBeNull();
    expect(config.dataDir).toBe(join(process.cwd(), ".autonome/db"));
    expect(config.marketSource).toBe("synthetic");
    expect(config.models.map((m) => m.id)).toEqual(["buy-and-hold-btc", "trend-follower", "mean-reverter"]);
    expect(config).toMatchObject(DEFAULT_INTERVALS);
    expect(config.lighter).toBeNull();
  });

  it("reads every variable", () => {
    const config = loadConfig({
      ...LIVE,
      DATABASE_URL: "postgresql://u:p@127.0.0.1:5432/a",
      DEFAULT_SIMULATOR_OPTIONS: '{"initialCapital":5000,"takerFeeRate":"0.0004","refreshIntervalMs":1000}',
      TRADE_INTERVAL_MS: "15000",
      AGENT_TIMEOUT_MS: "1000",
      MODEL_RUN_TIMEOUT_MS: "2000",
      STALE_AFTER_MS: "3000",
      MARKET_SOURCE: "LIGHTER",
      SEED: "7",
      LOG_LEVEL: "debug",
      API_PORT: "8080",
    });
    expect(config).toMatchObject({
      simulationEnabled: false,
      databaseUrl: "postgresql://u:p@127.0.0.1:5432/a",
      simulator: { initialCapital: "5000", takerFeeRate: "0.0004", refreshIntervalMs: 1000 },
      lighter: { baseUrl: "http://127.0.0.1:9999", accountIndex: 12345, apiKeyIndex: 3, privateKeyHex: KEY, chainId: 304 },
      tradeIntervalMs: 15000,
      agentTimeoutMs: 1000,
      modelRunTimeoutMs: 2000,
      staleAfterMs: 3000,
      seed: "7",
      logLevel: "debug",
      apiPort: 8080,
      marketSource: "lighter",
      lighterMarket: { restUrl: "http://127.0.0.1:9999", wsUrl: "ws://127.0.0.1:9999/stream", historyMinutes: 1440 },
    });
  });

  it("trades live models on Lighter's market: the default with IS_SIMULATION_ENABLED=false, any other source refused in one line", () => {
    expect(loadConfig(LIVE).marketSource).toBe("lighter");
    expect(loadConfig(LIVE).lighterMarket?.restUrl).toBe("http://127.0.0.1:9999");
    for (const source of ["synthetic", "replay"]) {
      const error = configError(() => loadConfig({ ...LIVE, MARKET_SOURCE: source, REPLAY_DIR: "/tmp" }));
      expect(error.variable).toBe("MARKET_SOURCE");
      expect(error.message).toBe(
        `MARKET_SOURCE must be lighter with live models (IS_SIMULATION_ENABLED=false), got "${source}": live orders are never sized or priced from a ${source} market`,
      );
    }
    // Simulation keeps its synthetic default.
    expect(loadConfig({}).marketSource).toBe("synthetic");
  });

  it("refuses a model whose own mode is LIVE on a market other than Lighter's, and accepts it on Lighter's", () => {
    const sim = loadConfig({});
    const models = [
      { name: "a", mode: null },
      { name: "b", mode: "LIVE" as const },
    ];
    const error = configError(() => checkLiveMarket(sim, models));
    expect(error.variable).toBe("MARKET_SOURCE");
    expect(error.message).toBe('MARKET_SOURCE must be lighter with live models (model b trades live), got "synthetic": live orders are never sized or priced from a synthetic market');
    expect(() => checkLiveMarket(sim, [{ name: "a", mode: null }, { name: "c", mode: "SIM" }])).not.toThrow();
    expect(() => checkLiveMarket({ ...sim, marketSource: "lighter" }, models)).not.toThrow();
    // Models of null mode follow IS_SIMULATION_ENABLED.
    expect(configError(() => checkLiveMarket({ marketSource: "replay", simulationEnabled: false }, [{ name: "a", mode: null }])).message).toMatch(/model a trades live/);
  });

  it("names the variable at fault", () => {
    expect(configError(() => loadConfig({ IS_SIMULATION_ENABLED: "maybe" })).variable).toBe("IS_SIMULATION_ENABLED");
    expect(configError(() => loadConfig({ TRADE_INTERVAL_MS: "5m" })).message).toMatch(/^TRADE_INTERVAL_MS must be a whole number/);
    expect(configError(() => loadConfig({ DATABASE_URL: "mysql://x" })).variable).toBe("DATABASE_URL");
    expect(configError(() => loadConfig({ DEFAULT_SIMULATOR_OPTIONS: "{" })).variable).toBe("DEFAULT_SIMULATOR_OPTIONS");
    expect(configError(() => loadConfig({ DEFAULT_SIMULATOR_OPTIONS: '{"initialCapitol":1}' })).message).toMatch(/DEFAULT_SIMULATOR_OPTIONS is invalid/);
    expect(configError(() => loadConfig({ MARKET_SOURCE: "csv" })).variable).toBe("MARKET_SOURCE");
    expect(configError(() => loadConfig({ MARKET_SOURCE: "replay" })).variable).toBe("REPLAY_DIR");
    expect(configError(() => loadConfig({ LOG_LEVEL: "loud" })).variable).toBe("LOG_LEVEL");
    expect(configError(() => loadConfig({ AGENT_TIMEOUT_MS: "600000" })).variable).toBe("AGENT_TIMEOUT_MS");
    expect(configError(() => loadConfig({ IS_SIMULATION_ENABLED: "false" })).variable).toBe("LIGHTER_BASE_URL");
    expect(configError(() => loadConfig({ ...LIVE, LIGHTER_ACCOUNT_INDEX: "" })).variable).toBe("LIGHTER_ACCOUNT_INDEX");
    expect(configError(() => loadConfig({ MODELS: '[{"id":"x","kind":"rule","rule":"nope"}]' })).variable).toBe("MODELS");
  });

  it("reads models from a YAML or JSON file, and requires the key variable each model names", () => {
    const dir = mkdtempSync(join(tmpdir(), "autonome-config-"));
    const yaml = join(dir, "models.yaml");
    writeFileSync(
      yaml,
      "models:\n  - id: gpt\n    kind: openai\n    baseURL: http://127.0.0.1:1/v1\n    model: gpt-5\n    apiKeyEnv: OPENAI_API_KEY\n  - id: trend\n    kind: rule\n    rule: trend-follower\n",
    );
    expect(configError(() => loadConfig({ MODELS_FILE: yaml })).variable).toBe("OPENAI_API_KEY");
    const config = loadConfig({ MODELS_FILE: yaml, OPENAI_API_KEY: "sk-secret" });
    expect(config.models.map((m) => m.id)).toEqual(["gpt", "trend"]);
    const json = join(dir, "models.json");
    writeFileSync(json, JSON.stringify([{ id: "a", kind: "rule", rule: "mean-reverter" }, { id: "a", kind: "rule", rule: "mean-reverter" }]));
    expect(configError(() => loadConfig({ MODELS_FILE: json })).message).toMatch(/names model a twice/);
    expect(configError(() => loadConfig({ MODELS_FILE: join(dir, "missing.json") })).message).toMatch(/MODELS_FILE cannot be read: ENOENT/);
  });

  it("never prints a secret: not in the configuration dump, not in an error", () => {
    const secretUrl = "postgresql://user:hunter2pass@db.example:5432/autonome";
    const env = {
      ...LIVE,
      DATABASE_URL: secretUrl,
      MODELS: JSON.stringify([{ id: "gpt", kind: "openai", baseURL: "http://u:pw-in-url@127.0.0.1:1/v1", model: "gpt-5", apiKeyEnv: "OPENAI_API_KEY" }]),
      OPENAI_API_KEY: "sk-very-secret-key",
    };
    const dump = JSON.stringify(describeConfig(loadConfig(env)));
    for (const secret of ["hunter2pass", KEY, "sk-very-secret-key", "pw-in-url"]) expect(dump).not.toContain(secret);
    expect(dump).toContain("OPENAI_API_KEY");
    const badKey = "zz" + KEY.slice(2);
    const error = configError(() => loadConfig({ ...LIVE, LIGHTER_API_PRIVATE_KEY: badKey }));
    expect(error.variable).toBe("LIGHTER_API_PRIVATE_KEY");
    expect(error.message).not.toContain(badKey);
    const badUrl = configError(() => loadConfig({ DATABASE_URL: "postgresq://user:hunter2pass@x/y" }));
    expect(badUrl.message).not.toContain("hunter2pass");
  });
});
