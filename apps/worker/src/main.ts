#!/usr/bin/env node
/**
 * The worker process: reads the configuration, starts the worker, stops gracefully
 * on SIGTERM or SIGINT (finish or abort the tick, persist, exit 0), one that came while
 * it was starting as soon as it has started. A start that fails
 * prints one line naming the setting and the cause and exits 2 (1 for anything that is
 * not a setting's fault); LOG_LEVEL=debug adds the stack.
 */
import { startWorker } from "./app.js";
import { type WorkerConfig, describeConfig, loadConfig } from "./config.js";
import { createLogger } from "./logger.js";
import { stackOf, startupFailure } from "./startup.js";

function fail(error: unknown, debug: boolean): never {
  const { line, exitCode } = startupFailure(error);
  process.stderr.write(`autonome worker: ${line}\n`);
  if (debug) process.stderr.write(`${stackOf(error)}\n`);
  process.exit(exitCode);
}

async function main(): Promise<void> {
  let config: WorkerConfig;
  try {
    // `--demo` (pnpm start): a 15 s interval and the dashboard on port 3000 unless
    // TRADE_INTERVAL_MS and API_PORT say otherwise.
    const demo = process.argv.includes("--demo");
    const env = demo
      ? { ...process.env, TRADE_INTERVAL_MS: process.env.TRADE_INTERVAL_MS || "15000", API_PORT: process.env.API_PORT || "3000" }
      : process.env;
    config = loadConfig(env);
  } catch (error) {
    fail(error, process.env.LOG_LEVEL?.trim().toLowerCase() === "debug");
  }
  const logger = createLogger(config.logLevel);
  // The handlers first: a SIGTERM or Ctrl-C while the worker starts (the database, the lock,
  // the markets: seconds) is kept and honoured once it has started, with the same graceful
  // stop, instead of killing it half-started with its lock and database left open.
  let stopping = false;
  let requested: string | null = null;
  let stopWorker: ((signal: string) => void) | null = null;
  const onSignal = (signal: string) => {
    if (stopWorker !== null) return stopWorker(signal);
    if (requested !== null) return;
    requested = signal;
    logger.info("stop requested while starting; stopping once started", { signal });
  };
  process.on("SIGTERM", () => onSignal("SIGTERM"));
  process.on("SIGINT", () => onSignal("SIGINT"));
  logger.info("configuration", describeConfig(config));
  let worker;
  try {
    worker = await startWorker(config, logger);
  } catch (error) {
    fail(error, config.logLevel === "debug");
  }
  const started = worker;
  stopWorker = (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info("shutting down", { signal });
    const graceMs = Math.min(config.modelRunTimeoutMs, 20_000);
    started.stop(graceMs).then(
      () => process.exit(0),
      (error: unknown) => {
        logger.error("shutdown failed", { error });
        process.exit(1);
      },
    );
  };
  if (requested !== null) stopWorker(requested);
}

main().catch((error: unknown) => fail(error, process.env.LOG_LEVEL?.trim().toLowerCase() === "debug"));
