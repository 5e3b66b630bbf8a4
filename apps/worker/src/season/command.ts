/**
 * `autonome season`: lays out the season, records it and enqueues one job per run on
 * the season's PostgreSQL (DATABASE_URL, or an embedded one in DIR/.season-db), starts
 * local worker processes (one per core), shows progress (runs done, ETA, spend) until
 * every run is done, failed or skipped, then writes season.json, season.html and each
 * run's report. Rerunning the same command resumes the same season: done runs stay
 * done, and runs whose job is gone (failed, or never sent) are sent again.
 * `autonome season worker` is the worker side, for this or any other machine.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { redactUrl } from "@autonome/db";
import type PgBoss from "pg-boss";
import { HelpRequested } from "../backtest/options.js";
import { reportHtml, reportJson } from "../backtest/report.js";
import { type EmbeddedPostgres, startEmbeddedPostgres } from "./embedded-postgres.js";
import { SEASON_USAGE, type SeasonOptions, parseSeasonArgs, parseSeasonWorkerArgs } from "./options.js";
import { type WorkerProcesses, startWorkerProcesses } from "./processes.js";
import { SEASON_QUEUE, jobPending, sendRunJob, startQueue } from "./queue.js";
import { buildSeasonReport, runDirName, seasonHtml, seasonJson } from "./report.js";
import { buildSeasonSpec, seasonIdOf } from "./spec.js";
import { type SeasonProgress, SeasonStore } from "./store.js";
import { budgetSpent, startSeasonWorker, workerIdOf } from "./worker.js";

/** Where the command writes: stdout for results, stderr for progress. */
export interface SeasonIo {
  out: (line: string) => void;
  err: (text: string) => void;
  /** Whether stderr is a terminal (progress redraws one line). */
  tty: boolean;
  /** Resolves when the user asks to stop (SIGINT). */
  interrupted?: Promise<void>;
}

const defaultIo = (): SeasonIo => ({
  out: (line) => process.stdout.write(`${line}\n`),
  err: (text) => process.stderr.write(text),
  tty: process.stderr.isTTY === true,
  interrupted: new Promise<void>((resolve) => {
    process.once("SIGINT", () => resolve());
    process.once("SIGTERM", () => resolve());
  }),
});

function formatSeconds(s: number): string {
  if (!Number.isFinite(s)) return "–";
  return s >= 90 ? `${Math.floor(s / 60)} min ${Math.round(s % 60)} s` : `${Math.round(s)} s`;
}

function progressLine(id: string, p: SeasonProgress, etaSeconds: number | null): string {
  const finished = p.byStatus.done + p.byStatus.failed + p.byStatus.skipped;
  const extra = [p.byStatus.failed > 0 ? `${p.byStatus.failed} failed` : "", p.byStatus.skipped > 0 ? `${p.byStatus.skipped} skipped (budget)` : ""].filter(Boolean).join(", ");
  return `season ${id}: ${p.byStatus.done}/${p.total} runs done, ${p.byStatus.running} running${extra ? `, ${extra}` : ""} · ETA ${finished >= p.total ? "0 s" : etaSeconds === null ? "–" : formatSeconds(etaSeconds)} · spent ${p.spentTokens} tokens, $${p.spentUsd.toFixed(4)}`;
}

/** Sends a job for every run that is not done and has no live job (all of them for a new season). */
async function enqueueOpenRuns(store: SeasonStore, boss: PgBoss, id: string, options: SeasonOptions): Promise<number> {
  let sent = 0;
  for (const run of await store.runs(id)) {
    if (run.status === "done") continue;
    if (run.jobId !== null && (await jobPending(boss, run.jobId))) continue;
    const jobId = await sendRunJob(boss, { seasonId: id, runIndex: run.index }, { runTimeoutMs: options.runTimeoutMs, retries: options.retries });
    await store.markQueued(id, run.index, jobId);
    sent++;
  }
  return sent;
}

/** Marks runs whose job is over (retries spent, e.g. after expiring) but that no worker marked: failed. */
async function settleDeadJobs(store: SeasonStore, boss: PgBoss, id: string): Promise<void> {
  for (const run of await store.runs(id)) {
    if ((run.status === "queued" || run.status === "running") && run.jobId !== null && !(await jobPending(boss, run.jobId))) {
      await store.failRun(id, run.index, run.error ?? "the run's job ended without a result (its worker was killed or it expired, and its retries are spent)", true);
    }
  }
}

/**
 * Gives back to the queue the jobs of runs that a local worker process was running when it
 * exited without settling them (killed, crashed, or stopped past its grace): failed, so the
 * queue retries them at once instead of when they expire (the run timeout, 30 min by
 * default), which a resumed season would otherwise wait for. Remote workers' runs are
 * never touched (their processes are not ours to judge).
 */
async function releaseRunsOfExitedWorkers(store: SeasonStore, boss: PgBoss, id: string, pids: number[]): Promise<number> {
  if (pids.length === 0) return 0;
  const gone = new Set(pids.map(workerIdOf));
  let released = 0;
  for (const run of await store.runs(id)) {
    if (run.status !== "running" || run.jobId === null || run.worker === null || !gone.has(run.worker)) continue;
    const job = await boss.getJobById(SEASON_QUEUE, run.jobId);
    if (job?.state !== "active") continue;
    const reason = `its worker ${run.worker} exited during the run`;
    await boss.fail(SEASON_QUEUE, run.jobId, { message: reason });
    await store.failRun(id, run.index, reason, false); // queued: retried now, or sent again on resume if its retries are spent
    released++;
  }
  return released;
}

/** Runs `autonome season`; returns the exit code. */
export async function seasonMain(argv: string[], env: Readonly<Record<string, string | undefined>> = process.env, io: SeasonIo = defaultIo()): Promise<number> {
  if (argv[0] === "worker") return seasonWorkerMain(argv.slice(1), env, io);
  let options: SeasonOptions;
  try {
    options = parseSeasonArgs(argv, env, env.INIT_CWD ?? process.cwd());
  } catch (error) {
    if (error instanceof HelpRequested) {
      io.out(SEASON_USAGE);
      return 0;
    }
    throw error;
  }
  const started = performance.now();
  const spec = buildSeasonSpec(options.input);
  const id = options.seasonName ?? seasonIdOf(spec);
  mkdirSync(options.outDir, { recursive: true });
  io.err(`season ${id}: ${spec.runs.length} runs (${spec.history ? `${spec.history.windows} windows of recorded history` : ""}${spec.history && spec.synthetic ? " + " : ""}${spec.synthetic ? `${spec.synthetic.seeds} seeds of the synthetic market` : ""}), models ${spec.models.map((m) => m.id).join(", ")}\n`);

  let embedded: EmbeddedPostgres | undefined;
  let url = options.databaseUrl;
  if (url === undefined) {
    embedded = await startEmbeddedPostgres(join(options.outDir, ".season-db"), (line) => io.err(`${line}\n`));
    url = embedded.url;
  } else {
    io.err(`season database: ${redactUrl(url)}\n`);
  }
  let store: SeasonStore | undefined;
  let boss: PgBoss | undefined;
  let workers: WorkerProcesses | undefined;
  let closing = false;
  /** Stops the local workers, then releases any run one of them left active (e.g. killed past its grace). */
  const stopWorkers = async () => {
    const stopping = workers;
    workers = undefined;
    if (!stopping) return;
    await stopping.stop();
    if (store && boss) {
      const released = await releaseRunsOfExitedWorkers(store, boss, id, stopping.exited()).catch((error: unknown) => {
        io.err(`season ${id}: could not release the runs of stopped workers: ${error instanceof Error ? error.message : String(error)}\n`);
        return 0;
      });
      if (released > 0) io.err(`season ${id}: ${released} runs of stopped local workers given back to the queue\n`);
    }
  };
  try {
    store = await SeasonStore.open(url);
    boss = await startQueue(url, { runTimeoutMs: options.runTimeoutMs, supervise: true, onError: (error) => closing || io.err(`queue error: ${error.message}\n`) });
    const state = await store.ensureSeason(id, spec, options.budget);
    const before = await store.progress(id);
    const sent = budgetSpent(options.budget, { tokens: before.spentTokens, usd: before.spentUsd }) === null ? await enqueueOpenRuns(store, boss, id, options) : 0;
    io.err(`season ${id}: ${state === "created" ? "new" : `resumed, ${before.byStatus.done} runs already done`}; ${sent} runs queued\n`);
    const doneAtStart = before.byStatus.done;

    if (options.processes > 0) {
      const args = ["--llm-cache", options.llmCacheDir, "--run-timeout", `${options.runTimeoutMs}`, ...(options.keepDb ? ["--keep-db"] : [])];
      workers = startWorkerProcesses(options.processes, { args, databaseUrl: url, logFile: join(options.outDir, "workers.log"), env: { ...process.env, ...env } });
      io.err(`season ${id}: ${options.processes} local worker processes (log: ${join(options.outDir, "workers.log")})\n`);
    } else {
      io.err(`season ${id}: no local workers; waiting for \`autonome season worker\` processes on this database\n`);
    }

    let stopped = false;
    void io.interrupted?.then(() => {
      stopped = true;
    });
    const loopStarted = performance.now();
    let lastLine = "";
    let lastSettle = 0;
    let progress = before;
    for (;;) {
      progress = await store.progress(id);
      const finished = progress.byStatus.done + progress.byStatus.failed + progress.byStatus.skipped;
      const doneHere = progress.byStatus.done - doneAtStart;
      const elapsed = (performance.now() - loopStarted) / 1000;
      const eta = doneHere > 0 ? ((progress.total - finished) * elapsed) / doneHere : null;
      const line = progressLine(id, progress, eta);
      if (io.tty) io.err(`\r\x1b[K${line}`);
      else if (line.replace(/ETA [^·]+·/, "") !== lastLine.replace(/ETA [^·]+·/, "")) io.err(`${line}\n`);
      lastLine = line;
      if (finished >= progress.total || stopped) break;
      if (workers && workers.alive() === 0) throw new Error(`every local worker process exited; see ${join(options.outDir, "workers.log")}`);
      if (performance.now() - lastSettle > 5_000) {
        lastSettle = performance.now();
        if (workers) await releaseRunsOfExitedWorkers(store, boss, id, workers.exited());
        await settleDeadJobs(store, boss, id);
      }
      await new Promise((r) => setTimeout(r, 250));
    }
    if (io.tty) io.err("\n");
    await stopWorkers();
    const seconds = (performance.now() - started) / 1000;
    if (stopped) {
      io.out(`season ${id} stopped: ${progress.byStatus.done}/${progress.total} runs done; run the same command again to resume`);
      return 130;
    }

    // Reports: each run's own backtest report, then the season's.
    const runs = await store.runs(id);
    for (const run of runs) {
      if (run.status !== "done") continue;
      const report = await store.report(id, run.index);
      if (!report) continue;
      const dir = join(options.outDir, runDirName(run.index));
      mkdirSync(dir, { recursive: true });
      writeFileSync(join(dir, "report.json"), reportJson(report));
      writeFileSync(join(dir, "report.html"), reportHtml(report));
    }
    const report = buildSeasonReport(id, spec, runs, { tokens: progress.spentTokens, usd: progress.spentUsd });
    writeFileSync(join(options.outDir, "season.json"), seasonJson(report));
    writeFileSync(join(options.outDir, "season.html"), seasonHtml(report));

    const width = Math.max(...report.models.map((m) => m.length));
    for (const m of report.ranking.order) {
      const d = report.distributions[m]!;
      io.out(
        `${m.padEnd(width)}  return mean ${(d.totalReturn.mean * 100).toFixed(2).padStart(7)}% sd ${(d.totalReturn.std * 100).toFixed(2).padStart(6)}%  Sharpe mean ${d.sharpe.mean.toFixed(2).padStart(6)}  max DD mean ${(d.maxDrawdown.mean * 100).toFixed(2).padStart(6)}%`,
      );
    }
    const doneHere = progress.byStatus.done - doneAtStart;
    const workSeconds = (performance.now() - loopStarted) / 1000;
    if (doneHere > 0) io.out(`${doneHere} runs in ${workSeconds.toFixed(1)} s on ${options.processes} local processes (${((doneHere * 60) / workSeconds).toFixed(1)} runs/min)`);
    if (progress.byStatus.failed > 0) io.out(`${progress.byStatus.failed} runs failed: ${runs.filter((r) => r.status === "failed").map((r) => `#${r.index} ${r.error ?? ""}`).join("; ")}`);
    if (progress.byStatus.skipped > 0) io.out(`${progress.byStatus.skipped} runs skipped: the budget was spent`);
    io.out(`report: ${join(options.outDir, "season.json")}, ${join(options.outDir, "season.html")}`);
    io.out(`season: ${report.completedRuns} runs, ${report.models.length} models, ${seconds.toFixed(1)} s, ranking: ${report.ranking.text}`);
    return progress.byStatus.failed > 0 ? 1 : 0;
  } finally {
    closing = true;
    await stopWorkers();
    await boss?.stop({ graceful: false, wait: true }).catch(() => undefined);
    await store?.close().catch(() => undefined);
    await embedded?.stop();
  }
}

/** Runs `autonome season worker` until SIGINT or SIGTERM; returns the exit code. */
export async function seasonWorkerMain(argv: string[], env: Readonly<Record<string, string | undefined>>, io: SeasonIo): Promise<number> {
  let options;
  try {
    options = parseSeasonWorkerArgs(argv, env, env.INIT_CWD ?? process.cwd());
  } catch (error) {
    if (error instanceof HelpRequested) {
      io.out(SEASON_USAGE);
      return 0;
    }
    throw error;
  }
  if (options.processes > 1) {
    const args = ["--llm-cache", options.llmCacheDir, "--run-timeout", `${options.runTimeoutMs}`, ...(options.dataDir ? ["--data", options.dataDir] : []), ...(options.keepDb ? ["--keep-db"] : [])];
    const children = startWorkerProcesses(options.processes, { args, databaseUrl: options.databaseUrl, logFile: "/dev/stderr", env: { ...process.env, ...env } });
    io.err(`season worker: ${options.processes} processes on ${redactUrl(options.databaseUrl)}\n`);
    await io.interrupted;
    await children.stop();
    return 0;
  }
  const worker = await startSeasonWorker({
    databaseUrl: options.databaseUrl,
    llmCacheDir: options.llmCacheDir,
    keepDb: options.keepDb,
    runTimeoutMs: options.runTimeoutMs,
    env,
    ...(options.dataDir ? { dataDir: options.dataDir } : {}),
    log: (line) => io.err(`${new Date().toISOString()} ${line}\n`),
  });
  await io.interrupted;
  await worker.stop(2_000);
  return 0;
}
