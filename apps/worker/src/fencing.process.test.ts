/**
 * Leases fence, with real processes: two workers on one PostgreSQL and a stalled run. Worker
 * A starts the model's run; while the model thinks, A is stopped (SIGSTOP: a frozen VM, a
 * long GC pause), its lease lapses, and worker B takes the model over and trades it. When A
 * wakes up with the model's answer in hand, its run must not trade: the model trades once.
 * Skipped without TEST_DATABASE_URL (failing when CI=true).
 */
import { type OpenAiTestServer, startOpenAiTestServer, textReply, toolCallsReply } from "@autonome/agent/testing";
import { testDatabaseUrl, testPostgresSkipReason } from "@autonome/db/testing";
import pg from "pg";
import { afterAll, describe, expect, it } from "vitest";
import { type RunningWorker, startWorkerProcess } from "./testing/worker-process.js";

const url = testDatabaseUrl();
const problem = await testPostgresSkipReason("the lease fencing test");

async function until(what: string, predicate: () => boolean | Promise<boolean>, workers: RunningWorker[], timeoutMs = 120_000): Promise<void> {
  const started = Date.now();
  while (!(await predicate())) {
    if (Date.now() - started > timeoutMs) throw new Error(`timed out waiting for ${what}:\n${workers.map((w, i) => `--- worker ${i}\n${[...w.lines.slice(0, 40), "...", ...w.lines.slice(-20)].join("\n")}`).join("\n")}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

describe.skipIf(problem !== null)("two workers and a stalled run", () => {
  const schema = `test_${globalThis.crypto.randomUUID().replaceAll("-", "").slice(0, 16)}`;
  const workers: RunningWorker[] = [];
  let server: OpenAiTestServer | undefined;
  const sql = new pg.Client({ connectionString: url });
  afterAll(async () => {
    for (const w of workers) {
      if (w.child.exitCode === null) {
        w.child.kill("SIGCONT");
        w.child.kill("SIGKILL");
      }
    }
    await server?.close();
    await sql.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`).catch(() => undefined);
    await sql.end().catch(() => undefined);
  });

  it("never lets a model trade twice: the run whose lease was taken over wakes up and sends nothing", async () => {
    await sql.connect();
    const ethOpen = { symbol: "ETH", side: "LONG", quantity: 0.5, leverage: 1, exit_plan: { stop: 1000, confidence: 0.5 } };
    const btcOpen = { symbol: "BTC", side: "LONG", quantity: 0.01, leverage: 1, exit_plan: { stop: 10_000, confidence: 0.5 } };
    server = await startOpenAiTestServer({
      script: [
        // Worker A's run: the answer comes after A was frozen and its model taken over.
        { kind: "tool_calls", toolCalls: [{ name: "create_position", arguments: ethOpen }], delayMs: 8_000 },
        // Worker B's run: it opens BTC.
        toolCallsReply({ name: "create_position", arguments: btcOpen }),
      ],
      // B's later runs hold (a text-only reply would be a NO_ACTION run, counted as failed).
      fallback: (request) => (request.messages.at(-1)?.role === "tool" ? textReply("done") : toolCallsReply({ name: "hold", arguments: { reason: "nothing new" } })),
    });
    const database = new URL(url!);
    database.searchParams.set("schema", schema);
    const env = {
      DATABASE_URL: database.toString(),
      MODELS: JSON.stringify([{ id: "llm", kind: "openai", baseURL: server.baseURL, model: "test-model" }]),
      TRADE_INTERVAL_MS: "1000",
      LEASE_TTL_MS: "3000",
      AGENT_TIMEOUT_MS: "60000",
      MODEL_RUN_TIMEOUT_MS: "60000",
      STALE_AFTER_MS: "120000",
      LOG_LEVEL: "info",
    };
    const a = startWorkerProcess(env);
    workers.push(a);
    await until("worker A asking the model", () => server!.requests.length >= 1, workers);
    a.child.kill("SIGSTOP");
    const stoppedAt = Date.now();

    const b = startWorkerProcess(env);
    workers.push(b);
    const orders = async () =>
      (await sql.query<{ symbol: string; status: string }>(`SELECT o.symbol, o.status FROM "${schema}".orders o JOIN "${schema}".models m ON m.id = o.model_id WHERE m.name = 'llm' ORDER BY o.opened_at`)).rows;
    // B waits for A's lease to lapse (the database's clock), then runs the model: BTC.
    await until("worker B trading BTC", async () => (await orders()).some((o) => o.symbol === "BTC"), workers);
    // A's answer has been on its socket for a while by now.
    await new Promise((r) => setTimeout(r, Math.max(0, stoppedAt + 9_000 - Date.now())));
    a.child.kill("SIGCONT");
    const firstInvocation = async () =>
      (
        await sql.query<{ error: string | null; finished: boolean }>(
          `SELECT i.error, i.finished_at IS NOT NULL AS finished FROM "${schema}".invocations i JOIN "${schema}".models m ON m.id = i.model_id WHERE m.name = 'llm' ORDER BY i.started_at LIMIT 1`,
        )
      ).rows[0]!;
    // A's run ends with the model's answer in hand, however it ends.
    await until("worker A's run to end", async () => (await firstInvocation()).finished, workers);

    // The model traded once: B's BTC. A's ETH was never sent.
    expect(await orders()).toEqual([{ symbol: "BTC", status: "OPEN" }]);
    expect(a.lines.some((l) => l.includes("lease lost"))).toBe(true);
    // A's run: finished as lost, counted as failed.
    expect(await firstInvocation()).toMatchObject({ finished: true, error: expect.stringMatching(/^LEASE_LOST: lease of model .* lost by /) });
    const failed = (await sql.query<{ n: number }>(`SELECT failed_workflow_count AS n FROM "${schema}".models WHERE name = 'llm'`)).rows[0]!.n;
    expect(failed).toBe(1); // A's lost run, and only it
    // A keeps running and leaves the model to B.
    expect(a.child.exitCode).toBeNull();
    a.child.kill("SIGTERM");
    b.child.kill("SIGTERM");
    expect(await a.exited).toBe(0);
    expect(await b.exited).toBe(0);
  }, 300_000);
});
