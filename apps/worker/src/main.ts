#!/usr/bin/env node
/**
 * The worker process: reads the configuration, starts the worker, stops gracefully
 * on SIGTERM or SIGINT (finish or abort the tick, persist, exit 0).
 */
import { isAutonomeError } from "@autonome/core";
import { startWorker } from "./app.js";
import { describeConfig, loadConfig } from "./config.js";
import { createLogger } from "./logger.js";

async function main(): Promise<void> {
  let config;
  try {
    // `--demo` (pnpm start): a 15 s interval and the dashboard on port 3000 unless
    // TRADE_INTERVAL_MS and API_PORT say otherwise.
    const demo = process.argv.includes("--demo");
    const env = demo
      ? { ...process.env, TRADE_INTERVAL_MS: process.env.TRADE_INTERVAL_MS || "15000", API_PORT: process.env.API_PORT || "3000" }
      : process.env;
    config = loadConfig(env);
  } catch (error) {
    process.stderr.write(`autonome worker: configuration error: ${(error as Error).message}\n`);
    process.exit(2);
  }
  const logger = createLogger(config.logLevel);
  logger.info("configuration", describeConfig(config));
  const worker = await startWorker(config, logger);
  let stopping = false;
  const shutdown = (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info("shutting down", { signal });
    const graceMs = Math.min(config.modelRunTimeoutMs, 20_000);
    worker.stop(graceMs).then(
      () => process.exit(0),
      (error: unknown) => {
        logger.error("shutdown failed", { error });
        process.exit(1);
      },
    );
  };
  process.on("SIGTERM", () => shutdown("SIGTERM"));
  process.on("SIGINT", () => shutdown("SIGINT"));
}

main().catch((error: unknown) => {
  const message = isAutonomeError(error) ? `${error.code}: ${error.message}` : error instanceof Error ? (error.stack ?? error.message) : String(error);
  process.stderr.write(`autonome worker: ${message}\n`);
  process.exit(1);
});
