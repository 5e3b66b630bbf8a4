#!/usr/bin/env node
/** Entry of `pnpm backtest`: parse, validate, run, write report.json and report.html. */
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { isAutonomeError } from "@autonome/core";
import { BACKTEST_USAGE, HelpRequested, parseBacktestArgs } from "./options.js";
import { createProgress } from "./progress.js";
import { buildReport, reportHtml, reportJson } from "./report.js";
import { prepareBacktest, runBacktest } from "./run.js";

/** Runs the command; returns the exit code. */
export async function backtestMain(argv: string[], env: Readonly<Record<string, string | undefined>> = process.env): Promise<number> {
  let options;
  try {
    options = parseBacktestArgs(argv, env, env.INIT_CWD ?? process.cwd());
  } catch (error) {
    if (error instanceof HelpRequested) {
      process.stdout.write(`${BACKTEST_USAGE}\n`);
      return 0;
    }
    throw error;
  }
  const prepared = prepareBacktest(options);
  const progress = createProgress(process.stderr);
  process.stderr.write(
    `backtest: ${prepared.ticks} ticks of ${options.tickIntervalMs / 60_000} min, ${new Date(prepared.fromMs).toISOString()} to ${new Date(prepared.toMs).toISOString()}, ${prepared.symbols.length} symbols, models ${prepared.models.map((m) => m.id).join(", ")}\n`,
  );
  const started = performance.now();
  const result = await runBacktest(prepared, { onTick: progress.onTick, env });
  progress.done();
  const seconds = (performance.now() - started) / 1000;
  const report = buildReport(result);
  mkdirSync(options.outDir, { recursive: true });
  writeFileSync(join(options.outDir, "report.json"), reportJson(report));
  if (options.html) writeFileSync(join(options.outDir, "report.html"), reportHtml(report));
  const width = Math.max(...report.rows.map((r) => r.name.length));
  for (const r of report.rows) {
    const ret = r.totalReturn === null ? "–" : `${(r.totalReturn * 100).toFixed(2)}%`;
    process.stdout.write(`${r.name.padEnd(width)}  equity $${r.finalEquity.padStart(10)}  return ${ret.padStart(8)}  trades ${String(r.trades).padStart(4)}  max DD ${(r.maxDrawdown * 100).toFixed(2)}%\n`);
  }
  process.stdout.write(
    `${report.ticks} ticks in ${seconds.toFixed(1)} s (${(report.ticks / seconds).toFixed(1)} ticks/s); LLM tokens ${report.llm.inputTokens} in / ${report.llm.outputTokens} out, cost $${report.llm.costUsd}; spent this run ${report.llm.spentInputTokens} / ${report.llm.spentOutputTokens} tokens, $${report.llm.spentCostUsd} (${report.llm.cachedResponses} responses from the cache, ${report.llm.requestedResponses} requested)\n`,
  );
  process.stdout.write(`report: ${join(options.outDir, "report.json")}${options.html ? `, ${join(options.outDir, "report.html")}` : ""}\n`);
  process.stdout.write(result.database.kind === "pglite" ? `database: ${result.database.dataDir} (PGlite)\n` : `database: schema ${result.database.schema} of DATABASE_URL\n`);
  return 0;
}

if (process.argv[1] && /backtest[\\/]main\.[tj]s$/.test(process.argv[1])) {
  backtestMain(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (error: unknown) => {
      process.stderr.write(`backtest: ${isAutonomeError(error) ? `${error.code}: ${error.message}` : error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
      process.exit(isAutonomeError(error) && error.code === "BACKTEST_INPUT" ? 2 : 1);
    },
  );
}
