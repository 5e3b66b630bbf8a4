/**
 * Seasons end to end on a real PostgreSQL (a database of its own, made in the server of
 * TEST_DATABASE_URL): the coordinator, pg-boss, `autonome season worker` processes, the
 * backtests and the statistics. Slow by nature (each run is a full backtest).
 */
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { hostname, tmpdir } from "node:os";
import { join } from "node:path";
import { startOpenAiTestServer } from "@autonome/agent/testing";
import { testPostgresSkipReason } from "@autonome/db/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type SeasonIo, seasonMain } from "./command.js";
import { startWorkerProcesses } from "./processes.js";
import type { SeasonReport } from "./report.js";
import { SeasonStore } from "./store.js";
import { type SeasonTestDatabase, createSeasonTestDatabase } from "./testing.js";

const skip = await testPostgresSkipReason("the season tests");
const work = mkdtempSync(join(tmpdir(), "autonome-season-"));
let url = "";
let database: SeasonTestDatabase | undefined;

beforeAll(async () => {
  if (skip) return;
  database = await createSeasonTestDatabase("season");
  url = database.url;
});

afterAll(async () => {
  rmSync(work, { recursive: true, force: true });
  await database?.drop();
});

/** An io that keeps what the command prints; `stop()` plays the user's Ctrl-C. */
function captureIo(): SeasonIo & { lines: string[]; errText: () => string; stop: () => void } {
  const lines: string[] = [];
  let err = "";
  let stop: () => void = () => undefined;
  const interrupted = new Promise<void>((resolve) => {
    stop = resolve;
  });
  return { out: (line) => lines.push(line), err: (text) => (err += text), tty: false, interrupted, lines, errText: () => err, stop: () => stop() };
}

function modelsFile(name: string, models: unknown[]): string {
  const file = join(work, name);
  writeFileSync(file, JSON.stringify(models));
  return file;
}

const pairOf = (report: SeasonReport, a: string, b: string) => report.comparisons.totalReturn.find((p) => (p.a === a && p.b === b) || (p.a === b && p.b === a))!;
const winnerOf = (report: SeasonReport, a: string, b: string) => {
  const p = pairOf(report, a, b);
  return p.verdict === "indistinguishable" ? "~" : p.verdict === "A" ? p.a : p.b;
};

describe.skipIf(skip)("autonome season on PostgreSQL", () => {
  it("finds a planted edge and calls two copies of one model indistinguishable, through the queue and two worker processes", async () => {
    const out = join(work, "edge");
    const models = modelsFile("edge.json", [
      { id: "momentum", kind: "rule", rule: "intraday-momentum" },
      { id: "momentum-copy", kind: "rule", rule: "intraday-momentum" },
      { id: "random-a", kind: "rule", rule: "random-trader" },
      { id: "random-b", kind: "rule", rule: "random-trader" },
    ]);
    const io = captureIo();
    const args = ["--seeds", "12", "--signal", "0.4,240", "--synthetic-symbols", "BTC,ETH,SOL", "--window", "6h", "--warmup", "6h", "--models-file", models, "--processes", "2", "--out", out, "--seed", "3"];
    const code = await seasonMain(args, { DATABASE_URL: url }, io);
    expect(code, io.errText()).toBe(0);
    const report = JSON.parse(readFileSync(join(out, "season.json"), "utf8")) as SeasonReport;
    expect(report.completedRuns).toBe(12);
    // The momentum rule trades the planted drift; the random traders pay fees on coin flips.
    for (const edge of ["momentum", "momentum-copy"]) {
      for (const random of ["random-a", "random-b"]) {
        expect(winnerOf(report, edge, random)).toBe(edge);
        expect(pairOf(report, edge, random).pHolm).toBeLessThan(0.05);
      }
    }
    // Two copies of a deterministic rule: identical in every run.
    expect(pairOf(report, "momentum", "momentum-copy")).toMatchObject({ verdict: "indistinguishable", ties: 12, meanDifference: 0 });
    // Two copies of the random trader (each its own seed): they differ run by run, but not in distribution.
    const randoms = pairOf(report, "random-a", "random-b");
    expect(randoms.verdict).toBe("indistinguishable");
    expect(randoms.ties).toBeLessThan(12);
    expect(report.ranking.text).toMatch(/^momentum(-copy)? ~ momentum(-copy)? > random-[ab] ~ random-[ab]$/);
    expect(io.lines.at(-1)).toMatch(/^season: 12 runs, 4 models, \d+\.\d s, ranking: momentum(-copy)? ~ momentum(-copy)? > random-[ab] ~ random-[ab]$/);
    // Each run's own backtest report, linked from season.html.
    expect(existsSync(join(out, "runs/011/report.html"))).toBe(true);
    const html = readFileSync(join(out, "season.html"), "utf8");
    expect(html).toContain('href="runs/000/report.html"');
    expect(html).not.toMatch(/<script/i);
    // The same season again: nothing is re-run, and the report is the same bytes.
    const again = captureIo();
    expect(await seasonMain(args, { DATABASE_URL: url }, again)).toBe(0);
    expect(again.errText()).toContain("resumed, 12 runs already done; 0 runs queued");
    expect(readFileSync(join(out, "season.json"), "utf8")).toBe(JSON.stringify(report, null, 2) + "\n");
  }, 600_000);

  it("retries a killed worker's run on another worker", async () => {
    const out = join(work, "kill");
    const models = modelsFile("kill.json", [
      { id: "momentum", kind: "rule", rule: "intraday-momentum" },
      { id: "random", kind: "rule", rule: "random-trader" },
    ]);
    const io = captureIo();
    // No local workers: the two below are the season's only workers.
    const season = seasonMain(["--seeds", "3", "--synthetic-symbols", "BTC,ETH", "--window", "4h", "--warmup", "3h", "--models-file", models, "--processes", "0", "--run-timeout", "20s", "--out", out, "--season", "kill-test"], { DATABASE_URL: url }, io);
    const args = ["--llm-cache", join(out, "llm-cache"), "--run-timeout", "20000"];
    const first = startWorkerProcesses(1, { args, databaseUrl: url, logFile: join(work, "kill-first.log") });
    const second = startWorkerProcesses(1, { args, databaseUrl: url, logFile: join(work, "kill-second.log") });
    const store = await SeasonStore.open(url);
    try {
      const firstPid = first.children[0]!.pid!;
      let killed: number | undefined;
      for (let i = 0; i < 1200 && killed === undefined; i++) {
        const runs = await store.runs("kill-test").catch(() => []);
        const victim = runs.find((r) => r.status === "running" && r.worker?.endsWith(`:${firstPid}`));
        if (victim) {
          process.kill(firstPid, "SIGKILL");
          killed = victim.index;
        }
        await new Promise((r) => setTimeout(r, 50));
      }
      expect(killed, "the first worker never took a run").toBeDefined();
      expect(await season, io.errText()).toBe(0);
      const run = (await store.runs("kill-test")).find((r) => r.index === killed)!;
      expect(run.status).toBe("done");
      expect(run.attempts).toBe(2);
      expect(run.worker).toBe(`${hostname()}:${second.children[0]!.pid}`);
      expect(io.lines.at(-1)).toMatch(/^season: 3 runs, 2 models/);
    } finally {
      await first.stop();
      await second.stop();
      await store.close();
    }
  }, 300_000);

  it("stops on request and resumes where it stopped", async () => {
    const out = join(work, "resume");
    const models = modelsFile("resume.json", [
      { id: "buy-and-hold-btc", kind: "rule", rule: "buy-and-hold-btc" },
      { id: "mean-reverter", kind: "rule", rule: "mean-reverter" },
    ]);
    const args = ["--windows", "4", "--window", "2h", "--models-file", models, "--processes", "1", "--out", out, "--season", "resume-test"];
    const io = captureIo();
    const store = await SeasonStore.open(url);
    try {
      const first = seasonMain(args, { DATABASE_URL: url }, io);
      for (let i = 0; i < 2400; i++) {
        const runs = await store.runs("resume-test").catch(() => []);
        if (runs.some((r) => r.status === "done")) break;
        await new Promise((r) => setTimeout(r, 50));
      }
      io.stop();
      expect(await first).toBe(130);
      expect(io.lines.at(-1)).toMatch(/^season resume-test stopped: \d\/4 runs done; run the same command again to resume$/);
      const doneBefore = (await store.runs("resume-test")).filter((r) => r.status === "done");
      expect(doneBefore.length).toBeGreaterThan(0);
      expect(doneBefore.length).toBeLessThan(4);

      const again = captureIo();
      expect(await seasonMain(args, { DATABASE_URL: url }, again), again.errText()).toBe(0);
      expect(again.errText()).toContain(`resumed, ${doneBefore.length} runs already done`);
      const after = await store.runs("resume-test");
      expect(after.every((r) => r.status === "done")).toBe(true);
      for (const r of doneBefore) expect(after.find((a) => a.index === r.index)!.attempts).toBe(1);
      expect(again.lines.at(-1)).toMatch(/^season: 4 runs, 2 models/);
    } finally {
      await store.close();
    }
  }, 300_000);

  it("gives a killed local worker's run back to the queue at once, not when its job expires", async () => {
    const out = join(work, "local-kill");
    const models = modelsFile("local-kill.json", [
      { id: "buy-and-hold-btc", kind: "rule", rule: "buy-and-hold-btc" },
      { id: "mean-reverter", kind: "rule", rule: "mean-reverter" },
    ]);
    // The default run timeout (30 min): waiting for the killed run's job to expire would time this test out.
    const args = ["--windows", "3", "--window", "2h", "--models-file", models, "--processes", "2", "--out", out, "--season", "local-kill"];
    const io = captureIo();
    const store = await SeasonStore.open(url);
    try {
      const season = seasonMain(args, { DATABASE_URL: url }, io);
      let killed: { index: number; worker: string } | undefined;
      for (let i = 0; i < 2400 && killed === undefined; i++) {
        const running = (await store.runs("local-kill").catch(() => [])).find((r) => r.status === "running" && r.worker !== null);
        if (running) {
          process.kill(Number(running.worker!.split(":").at(-1)), "SIGKILL");
          killed = { index: running.index, worker: running.worker! };
        }
        await new Promise((r) => setTimeout(r, 50));
      }
      expect(killed, "no local worker ever took a run").toBeDefined();
      expect(await season, io.errText()).toBe(0);
      const run = (await store.runs("local-kill")).find((r) => r.index === killed!.index)!;
      expect(run).toMatchObject({ status: "done", attempts: 2 });
      expect(run.worker).not.toBe(killed!.worker);
    } finally {
      await store.close();
    }
  }, 180_000);

  it("stops starting runs once the budget is spent, and answers a rerun from the shared cache for free", async () => {
    const server = await startOpenAiTestServer({ defaultUsage: { promptTokens: 1000, completionTokens: 50 } });
    try {
      const models = modelsFile("llm.json", [
        { id: "llm", kind: "openai", baseURL: server.baseURL, model: "test-model", pricing: { inputPerMillionUsd: 1, outputPerMillionUsd: 2 } },
        { id: "random", kind: "rule", rule: "random-trader" },
      ]);
      const cache = join(work, "llm-cache");
      const base = ["--seeds", "3", "--synthetic-symbols", "BTC", "--window", "30m", "--warmup", "3h", "--models-file", models, "--processes", "1", "--llm-cache", cache];
      // 6 ticks a run, two requests each (the server's plain-text reply calls no tool, so the
      // agent asks once more in the same run, then records NO_ACTION): 12,600 tokens a run.
      // A budget of 1,000 is spent by the first run.
      const io = captureIo();
      expect(await seasonMain([...base, "--budget-tokens", "1000", "--out", join(work, "budget"), "--season", "budget"], { DATABASE_URL: url }, io), io.errText()).toBe(0);
      const report = JSON.parse(readFileSync(join(work, "budget", "season.json"), "utf8")) as SeasonReport;
      expect(report.runs.map((r) => r.status)).toEqual(["done", "skipped", "skipped"]);
      expect(report.spent.tokens).toBe(6 * 2 * 1050);
      expect(io.lines).toContain("2 runs skipped: the budget was spent");
      expect(io.lines.at(-1)).toMatch(/^season: 1 runs, 2 models/);
      const requests = server.requests.length;

      // Another season over the same runs with no budget: run 0 is answered from the cache.
      const rerun = captureIo();
      expect(await seasonMain([...base, "--out", join(work, "nobudget"), "--season", "nobudget"], { DATABASE_URL: url }, rerun), rerun.errText()).toBe(0);
      const store = await SeasonStore.open(url);
      try {
        const runs = await store.runs("nobudget");
        expect(runs.every((r) => r.status === "done")).toBe(true);
      } finally {
        await store.close();
      }
      const full = JSON.parse(readFileSync(join(work, "nobudget", "season.json"), "utf8")) as SeasonReport;
      expect(full.spent.tokens).toBe(2 * 6 * 2 * 1050);
      expect(server.requests.length).toBe(requests + 2 * 6 * 2);
    } finally {
      await server.close();
    }
  }, 300_000);
});
