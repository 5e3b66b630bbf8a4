import { ManualClock } from "@autonome/core";
import { describe, expect, it } from "vitest";
import { createLogger } from "./logger.js";
import { DatabaseOutage, isDatabaseUnavailable, outageAwareLogger } from "./outage.js";

/** The error shapes PostgreSQL outages produce through Prisma's pg adapter and pg itself (recorded from a real stopped server). */
function prismaError(code: string, cause: Record<string, unknown>): Error {
  const what = cause.kind === "DatabaseNotReachable" ? "Can't reach database server at db:5432" : String(cause.message ?? cause.kind);
  return Object.assign(new Error(`\nInvalid \`this.prisma.model.findMany()\` invocation in\n/app/dist/index.js:2303:47\n\n→ 2303   const rows = await this.prisma.model.findMany(\n${what}`), {
    code,
    meta: { modelName: "Model", driverAdapterError: { name: "DriverAdapterError", cause } },
  });
}

describe("isDatabaseUnavailable", () => {
  it("knows an unreachable or restarting database from a query that is wrong", () => {
    expect(isDatabaseUnavailable(prismaError("P1001", { kind: "DatabaseNotReachable", host: "127.0.0.1", port: 5432 }))).toBe(true);
    expect(isDatabaseUnavailable(prismaError("P2039", { originalCode: "57P01", kind: "postgres", code: "57P01", message: "terminating connection due to administrator command" }))).toBe(true);
    expect(isDatabaseUnavailable(Object.assign(new Error("connect ECONNREFUSED 127.0.0.1:5432"), { code: "ECONNREFUSED" }))).toBe(true);
    expect(isDatabaseUnavailable(new Error("Connection terminated unexpectedly"))).toBe(true);
    expect(isDatabaseUnavailable(new Error("wrapped", { cause: Object.assign(new Error("x"), { code: "08006" }) }))).toBe(true);
    expect(isDatabaseUnavailable(new AggregateError([Object.assign(new Error(""), { code: "ECONNREFUSED" }), Object.assign(new Error(""), { code: "ECONNREFUSED" })]))).toBe(true);

    expect(isDatabaseUnavailable(prismaError("P2002", { kind: "UniqueConstraintViolation" }))).toBe(false);
    expect(isDatabaseUnavailable(prismaError("P2010", { originalCode: "42601", kind: "postgres", code: "42601" }))).toBe(false);
    expect(isDatabaseUnavailable(new Error("model run failed"))).toBe(false);
    expect(isDatabaseUnavailable("ECONNREFUSED")).toBe(false);
    expect(isDatabaseUnavailable(null)).toBe(false);
  });
});

describe("DatabaseOutage", () => {
  it("logs one line when the database goes away and one with the duration when it is back; the failures between at debug only", () => {
    const clock = new ManualClock(Date.UTC(2026, 10, 26, 12, 0, 0));
    const lines: string[] = [];
    const logger = createLogger("info", (line) => lines.push(line), () => clock.now());
    const outage = new DatabaseOutage(logger, clock);
    const quiet = outageAwareLogger(logger, outage);
    const down = prismaError("P1001", { kind: "DatabaseNotReachable", host: "db", port: 5432 });

    outage.ok();
    expect(lines).toEqual([]);
    // 30 s of failures from every loop that touches the database.
    for (let s = 0; s < 30; s++) {
      quiet.warn("control requests not served", { error: down });
      if (s % 10 === 0) quiet.error("tick could not start", { tick: s, error: down });
      if (s % 20 === 0) quiet.warn("leases not renewed", { error: down });
      clock.set(clock.now() + 1_000);
    }
    expect(outage.state()).toMatchObject({ status: "down", downSince: Date.UTC(2026, 10, 26, 12, 0, 0) });
    // Not an outage: still logged every time.
    quiet.warn("model run failed", { model: "m", error: "the model answered nonsense" });
    quiet.error("tick failed", { error: new Error("a bug") });
    outage.ok();
    outage.ok();
    expect(lines.map((l) => l.replace(/^\S+ /, ""))).toEqual([
      'WARN  database unreachable; the worker waits for it and says when it is back error="Can\'t reach database server at db:5432 (P1001)" during="control requests not served"',
      'WARN  model run failed model=m error="the model answered nonsense"',
      'ERROR tick failed error="a bug"',
      "INFO  database reachable again downForMs=30000 failedOperations=35",
    ]);
    expect(outage.state()).toEqual({ status: "up", downSince: null, error: null });
  });
});
