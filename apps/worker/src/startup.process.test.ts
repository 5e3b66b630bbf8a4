/**
 * Every start-up failure is one line on stderr naming the setting and the cause, and exit
 * code 2: the worker as a process, each with one bad setting. PostgreSQL cases (a refused
 * login, a missing database, a server that comes up while the worker waits) need
 * TEST_DATABASE_URL: skipped without it, failing when CI=true.
 */
import { chmodSync, chownSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { spawnSync } from "node:child_process";
import { type AddressInfo, type Server, type Socket, createConnection, createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { postgresProblem, testDatabaseUrl, testPostgresSkipReason } from "@autonome/db/testing";
import pg from "pg";
import { afterAll, describe, expect, it } from "vitest";
import { type RunningWorker, startWorkerProcess } from "./testing/worker-process.js";

type WorkerProcessOptions = NonNullable<Parameters<typeof startWorkerProcess>[1]>;

const spawned: RunningWorker[] = [];
const parent = mkdtempSync(join(tmpdir(), "autonome-start-"));
// Other users (the unprivileged runs below) must reach into it.
chmodSync(parent, 0o755);
afterAll(() => {
  for (const w of spawned) if (w.child.exitCode === null) w.child.kill("SIGKILL");
  rmSync(parent, { recursive: true, force: true });
});

const base = { INIT_CWD: parent, DATABASE_URL: "", LOG_LEVEL: "info", TRADE_INTERVAL_MS: "60000" };

/** Runs the worker with `env` to its exit; returns its exit code, its stderr lines and all its output. */
async function failedStart(env: Record<string, string>, options: WorkerProcessOptions = {}): Promise<{ code: number | null; errors: string[]; lines: string[] }> {
  const running = startWorkerProcess({ ...base, ...env }, options);
  spawned.push(running);
  const timer = setTimeout(() => running.child.kill("SIGKILL"), 170_000);
  const code = await running.exited;
  clearTimeout(timer);
  return { code, errors: running.errors, lines: running.lines };
}

async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

async function occupiedPort(): Promise<{ port: number; server: Server }> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return { port: (server.address() as AddressInfo).port, server };
}

// Permission cases: root may write anywhere, so as root they run the worker as nobody.
const asRoot = process.getuid?.() === 0;
const unprivileged: WorkerProcessOptions = asRoot ? { uid: 65534, gid: 65534 } : {};

/**
 * The runs as nobody need the checkout reachable by other users. A clone under a private
 * directory (mktemp -d makes 0700) would make them fail with exit code 1 and no reason.
 */
function assertReachableByNobody(): void {
  if (!asRoot) return;
  const probe = spawnSync(process.execPath, ["-e", "require('node:fs').accessSync(process.argv[1], require('node:fs').constants.R_OK)", fileURLToPath(import.meta.url)], { ...unprivileged, encoding: "utf8" });
  if (probe.status !== 0) {
    throw new Error(`the checkout is not readable by user nobody (uid 65534), so the worker cannot run as nobody: a parent directory of ${fileURLToPath(import.meta.url)} is private (for example mode 0700 from mktemp -d). Clone into a directory other users can traverse, or run the tests as a non-root user.`);
  }
}

describe("a start-up failure is one line naming the setting, exit code 2", () => {
  it("malformed MODELS JSON", async () => {
    const run = await failedStart({ MODELS: '[{"id": "gpt",' });
    expect(run.code).toBe(2);
    expect(run.errors).toEqual([expect.stringMatching(/^autonome worker: MODELS is not valid JSON \(.+\)$/)]);
  });

  it("live models on a synthetic market", async () => {
    const live = { IS_SIMULATION_ENABLED: "false", LIGHTER_BASE_URL: "http://127.0.0.1:9", LIGHTER_API_KEY_INDEX: "3", LIGHTER_ACCOUNT_INDEX: "1", LIGHTER_API_PRIVATE_KEY: "ab".repeat(40) };
    const run = await failedStart({ ...live, MARKET_SOURCE: "synthetic" });
    expect(run.code).toBe(2);
    expect(run.errors).toEqual([
      'autonome worker: MARKET_SOURCE must be lighter with live models (IS_SIMULATION_ENABLED=false), got "synthetic": live orders are never sized or priced from a synthetic market',
    ]);
  });

  it("invalid DEFAULT_SIMULATOR_OPTIONS", async () => {
    const run = await failedStart({ DEFAULT_SIMULATOR_OPTIONS: '{"initialCapital": "ten thousand"}' });
    expect(run.code).toBe(2);
    expect(run.errors).toEqual(["autonome worker: DEFAULT_SIMULATOR_OPTIONS is invalid: initialCapital: must be a decimal number"]);
  });

  it("with LOG_LEVEL=debug, and only then, the stack follows the line", async () => {
    const run = await failedStart({ MODELS: "[", LOG_LEVEL: "debug" });
    expect(run.code).toBe(2);
    expect(run.errors[0]).toMatch(/^autonome worker: MODELS is not valid JSON/);
    expect(run.errors.slice(1).some((l) => /^\s+at /.test(l))).toBe(true);
  });

  it("DATABASE_URL to a closed port: retried with backoff for DATABASE_WAIT_MS, one log line per attempt, then one line", async () => {
    const port = await closedPort();
    const started = Date.now();
    const run = await failedStart({ DATABASE_URL: `postgresql://autonome:s3cret@127.0.0.1:${port}/autonome`, DATABASE_WAIT_MS: "2500" });
    expect(run.code).toBe(2);
    expect(run.errors).toEqual([
      expect.stringMatching(new RegExp(`^autonome worker: DATABASE_URL postgresql://autonome:\\*\\*\\*@127\\.0\\.0\\.1:${port}/autonome: connection refused \\(ECONNREFUSED\\); gave up after [\\d.]+ s of retries \\(DATABASE_WAIT_MS=2500\\)$`)),
    ]);
    const retries = run.lines.filter((l) => l.includes("WARN  database not reachable yet, retrying"));
    // 0.5 s, 1 s, then what is left of the 2.5 s.
    expect(retries.length).toBeGreaterThanOrEqual(2);
    expect(retries.length).toBeLessThanOrEqual(4);
    expect(retries[0]).toMatch(/attempt=1 error="connection refused \(ECONNREFUSED\)" retryInMs=500$/);
    expect(Date.now() - started).toBeGreaterThanOrEqual(2_500);
    expect(run.lines.join("\n")).not.toContain("s3cret");
  }, 60_000);

  it("DATABASE_URL to a closed port with DATABASE_WAIT_MS=0: no retry", async () => {
    const port = await closedPort();
    const run = await failedStart({ DATABASE_URL: `postgresql://autonome:s3cret@127.0.0.1:${port}/autonome`, DATABASE_WAIT_MS: "0" });
    expect(run.code).toBe(2);
    expect(run.errors).toEqual([`autonome worker: DATABASE_URL postgresql://autonome:***@127.0.0.1:${port}/autonome: connection refused (ECONNREFUSED)`]);
    expect(run.lines.some((l) => l.includes("retrying"))).toBe(false);
  });

  it("DATABASE_URL to a host that does not exist", async () => {
    const run = await failedStart({ DATABASE_URL: "postgresql://autonome:s3cret@no-such-host.invalid:5432/autonome", DATABASE_WAIT_MS: "1000" });
    expect(run.code).toBe(2);
    // No resolver at all answers EAI_AGAIN (retried, it may pass); a resolver says ENOTFOUND (not retried).
    expect(run.errors).toEqual([
      expect.stringMatching(/^autonome worker: DATABASE_URL postgresql:\/\/autonome:\*\*\*@no-such-host\.invalid:5432\/autonome: (host not found \(ENOTFOUND\)|host name lookup failed for now \(EAI_AGAIN\); gave up after .*)$/),
    ]);
  });

  it("AUTONOME_DB_DIR under a file", async () => {
    const file = join(parent, "a-file");
    writeFileSync(file, "not a directory");
    const run = await failedStart({ AUTONOME_DB_DIR: join(file, "db") });
    expect(run.code).toBe(2);
    expect(run.errors).toEqual([`autonome worker: AUTONOME_DB_DIR ${join(file, "db")} cannot be created: ${file} is a file, not a directory`]);
    const itself = await failedStart({ AUTONOME_DB_DIR: file });
    expect(itself.code).toBe(2);
    expect(itself.errors).toEqual([`autonome worker: AUTONOME_DB_DIR ${file} is a file, not a directory`]);
  });

  it("AUTONOME_DB_DIR that cannot be created (its parent is not writable)", async () => {
    const locked = join(parent, "no-write");
    mkdirSync(locked, { mode: 0o555 });
    chmodSync(locked, 0o555);
    assertReachableByNobody();
    const run = await failedStart({ AUTONOME_DB_DIR: join(locked, "db") }, unprivileged);
    expect(run.code).toBe(2);
    expect(run.errors).toEqual([`autonome worker: AUTONOME_DB_DIR ${join(locked, "db")} cannot be created in ${locked}: permission denied (EACCES)`]);
    expect(readdirSync(locked)).toEqual([]);
  });

  it("AUTONOME_DB_DIR that is read-only", async () => {
    const owned = join(parent, "read-only");
    mkdirSync(join(owned, "db"), { recursive: true });
    if (asRoot) chownSync(owned, 65534, 65534);
    chmodSync(join(owned, "db"), 0o555);
    assertReachableByNobody();
    const run = await failedStart({ AUTONOME_DB_DIR: join(owned, "db") }, unprivileged);
    expect(run.code).toBe(2);
    expect(run.errors).toEqual([`autonome worker: AUTONOME_DB_DIR ${join(owned, "db")} is not writable: permission denied (EACCES)`]);
    // The lock it took was given back.
    expect(readdirSync(owned)).toEqual(["db"]);
  });

  it("API_PORT in use, and AUTONOME_DB_PORT in use; the directory's lock is given back", async () => {
    const { port, server } = await occupiedPort();
    try {
      const [api, embedded] = await Promise.all([
        failedStart({ AUTONOME_DB_DIR: "api-port", API_PORT: String(port) }),
        failedStart({ AUTONOME_DB_DIR: "db-port", AUTONOME_DB_PORT: String(port) }),
      ]);
      expect(api.code).toBe(2);
      expect(api.errors).toEqual([`autonome worker: API_PORT ${port} is in use by another process on 127.0.0.1 (EADDRINUSE); choose another port`]);
      expect(embedded.code).toBe(2);
      expect(embedded.errors).toEqual([`autonome worker: AUTONOME_DB_PORT ${port} is in use by another process on 127.0.0.1 (EADDRINUSE); choose another port`]);
      expect(readdirSync(parent).filter((f) => f.endsWith(".lock"))).toEqual([]);
    } finally {
      server.close();
    }
  }, 180_000);

  it("REPLAY_DIR that does not exist", async () => {
    const missing = join(parent, "no-such-replay");
    const run = await failedStart({ AUTONOME_DB_DIR: "replay", MARKET_SOURCE: "replay", REPLAY_DIR: missing });
    expect(run.code).toBe(2);
    expect(run.errors).toEqual([`autonome worker: REPLAY_DIR ${missing} cannot be read: no such file or directory (ENOENT)`]);
  }, 180_000);
});

const testUrl = testDatabaseUrl();
const problem = await testPostgresSkipReason("the PostgreSQL start-up failures (wrong password, missing database, late server)");

describe.skipIf(problem !== null)("start-up failures on PostgreSQL (TEST_DATABASE_URL)", () => {
  const url = new URL(testUrl ?? "postgresql://localhost/x");

  it("a wrong password: exit 2 at once, no retry", async (ctx) => {
    const wrong = new URL(url);
    wrong.username = wrong.username || "postgres";
    wrong.password = `wrong-${globalThis.crypto.randomUUID().slice(0, 8)}`;
    if ((await postgresProblem(wrong.toString())) === null) ctx.skip(`the server at ${url.host} lets any password in (trust authentication)`);
    const run = await failedStart({ DATABASE_URL: wrong.toString(), DATABASE_WAIT_MS: "30000" });
    expect(run.code).toBe(2);
    const shown = new URL(wrong);
    shown.password = "***";
    expect(run.errors).toEqual([`autonome worker: DATABASE_URL ${shown.toString()}: password authentication failed for user "${wrong.username}" (28P01)`]);
    expect(run.lines.some((l) => l.includes("retrying"))).toBe(false);
  });

  it("a database that does not exist: exit 2 at once, no retry", async () => {
    const missing = new URL(url);
    const name = `autonome_missing_${globalThis.crypto.randomUUID().slice(0, 8)}`;
    missing.pathname = `/${name}`;
    const run = await failedStart({ DATABASE_URL: missing.toString(), DATABASE_WAIT_MS: "30000" });
    expect(run.code).toBe(2);
    const shown = new URL(missing);
    if (shown.password) shown.password = "***";
    expect(run.errors).toEqual([`autonome worker: DATABASE_URL ${shown.toString()}: database "${name}" does not exist (3D000)`]);
    expect(run.lines.some((l) => l.includes("retrying"))).toBe(false);
  });

  it("a server that comes up while the worker waits: the worker starts", async () => {
    // A port that refuses connections until the worker said it waits, then forwards them to the test server.
    const port = await closedPort();
    const target = { host: url.hostname || "127.0.0.1", port: Number(url.port || 5432) };
    const sockets = new Set<Socket>();
    let proxy: Server | undefined;
    const late = new URL(url);
    late.hostname = "127.0.0.1";
    late.port = String(port);
    late.searchParams.set("schema", `test_${globalThis.crypto.randomUUID().replaceAll("-", "").slice(0, 12)}`);
    const running = startWorkerProcess({ ...base, DATABASE_URL: late.toString(), DATABASE_WAIT_MS: "60000", TRADE_INTERVAL_MS: "60000" });
    spawned.push(running);
    try {
      const retrying = () => running.lines.filter((l) => l.includes("WARN  database not reachable yet, retrying")).length;
      const waitUntil = Date.now() + 60_000;
      while (retrying() < 1) {
        if (running.child.exitCode !== null || Date.now() > waitUntil) throw new Error(`worker did not wait:\n${running.lines.join("\n")}`);
        await new Promise((r) => setTimeout(r, 100));
      }
      proxy = createServer((client) => {
        const upstream = createConnection(target);
        sockets.add(client).add(upstream);
        client.pipe(upstream).pipe(client);
        client.on("error", () => upstream.destroy());
        upstream.on("error", () => client.destroy());
      });
      await new Promise<void>((resolve) => proxy!.listen(port, "127.0.0.1", resolve));
      const deadline = Date.now() + 120_000;
      while (!running.lines.some((l) => l.includes("worker started"))) {
        if (running.child.exitCode !== null || Date.now() > deadline) throw new Error(`worker did not start:\n${running.lines.join("\n")}`);
        await new Promise((r) => setTimeout(r, 200));
      }
      expect(running.errors).toEqual([]);
      running.child.kill("SIGTERM");
      expect(await running.exited).toBe(0);
    } finally {
      if (running.child.exitCode === null) running.child.kill("SIGKILL");
      for (const s of sockets) s.destroy();
      await new Promise((resolve) => (proxy ? proxy.close(resolve) : resolve(undefined)));
      const admin = new pg.Client({ connectionString: testUrl });
      await admin.connect();
      await admin.query(`DROP SCHEMA IF EXISTS "${late.searchParams.get("schema")}" CASCADE`);
      await admin.end();
    }
  }, 180_000);
});
