/**
 * The kill test's child process (not exported): opens a position on the mock Lighter
 * server through a LighterBroker over a PGlite data directory, then closes it. The
 * child reads its own environment (the broker never does): with
 * KILL_TEST_CRASH_POINT=after-fill it injects a broker hook that SIGKILLs the process
 * after the exchange filled the entry and before the database write; with
 * after-close-fill, after the close filled and before its write.
 */
import { ManualClock, emptyExitPlan, toDecimal } from "@autonome/core";
import { createDb } from "@autonome/db";
import { LighterApiKey, LighterRestClient, LighterTradingClient } from "@autonome/lighter-client";
import { LighterBroker, type LighterBrokerHooks } from "../broker/lighter-broker.js";
import { ACCOUNT_INDEX, API_KEY_INDEX, TEST_PRIVATE_KEY_HEX } from "./lighter-venue.js";
import { ControlledMarket, T0 } from "./support.js";

const clock = new ManualClock(T0 + 60_000);
const db = await createDb({ kind: "pglite", dataDir: process.env.KILL_TEST_DB_DIR!, clock });
// The child creates the model (one database open fewer for the parent) and says which.
const model = await db.models.create({ name: "killed", provider: "rule", modelName: "test", mode: "LIVE", accountIndex: ACCOUNT_INDEX });
process.stdout.write(JSON.stringify({ modelId: model.id }) + "\n");
const rest = new LighterRestClient({ baseUrl: process.env.KILL_TEST_VENUE_URL! });
const trading = new LighterTradingClient({ rest, key: LighterApiKey.fromPrivateKeyHex(TEST_PRIVATE_KEY_HEX), accountIndex: ACCOUNT_INDEX, apiKeyIndex: API_KEY_INDEX, chainId: 304 });
const market = new ControlledMarket(clock, { BTC: 100_000 });
const crash = (): void => {
  process.kill(process.pid, "SIGKILL");
};
const crashPoint = process.env.KILL_TEST_CRASH_POINT;
const hooks: LighterBrokerHooks =
  crashPoint === "after-fill" ? { afterFill: crash } : crashPoint === "after-close-fill" ? { afterCloseFill: crash } : {};
const broker = new LighterBroker({ db, market, clock, rest, trading, accountIndex: ACCOUNT_INDEX, pollIntervalMs: 10, hooks });
const opened = await broker.openPosition(model, {
  symbol: "BTC",
  side: "LONG",
  quantity: toDecimal("0.03"),
  leverage: toDecimal(4),
  exitPlan: { ...emptyExitPlan(), stop: toDecimal(95_000) },
});
process.stdout.write(JSON.stringify({ opened: opened.ok }) + "\n");
// With the close crash point the entry above was written; the close below is not.
const closed = await broker.closePosition(model, "BTC", null);
// Only reached without a crash hook.
process.stdout.write(JSON.stringify({ closed: closed.ok }) + "\n");
await db.close();
