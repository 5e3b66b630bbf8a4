/**
 * `autonome models list|add|pause|resume|flatten`: control through the database, so it
 * works on a running worker from another shell. With the embedded database it goes
 * through the worker that serves it, or opens the data directory when none runs.
 */
import { hostname } from "node:os";
import { RULE_MODEL_KINDS } from "@autonome/agent";
import { type Clock, SystemClock } from "@autonome/core";
import type { Db, ModelRecord } from "@autonome/db";
import { flattenModel } from "@autonome/trading";
import { createRuntime } from "./app.js";
import { type WorkerConfig, loadConfig } from "./config.js";
import { connectDatabase } from "./embedded.js";
import { SILENT } from "./logger.js";
import { processAlive } from "./takeover.js";
import { runDataCommand } from "./data/command.js";
import { seasonMain } from "./season/command.js";

/** The help text. */
export const USAGE = `usage: autonome models <command>
  list                              every model: enabled, mode, open positions
  add <name> --rule <kind>          a built-in rule model (${RULE_MODEL_KINDS.join(", ")})
  add <name> --agent <id>           a model configured in MODELS_FILE / MODELS
      [--variant v] [--mode sim|live] [--paused]
  pause <name|id>                   stops at the next tick; never trades until resumed
  resume <name|id>
  flatten <name|id> [--queue]       closes the model's positions at market; exit 1 when no live
      [--wait-ms N]                 worker holds the model, unless --queue leaves the request for the next one
       autonome data download [--source binance|lighter] --from D --to D  (see autonome data --help)
       autonome season [--demo] [--windows K] [--seeds S] ... (see autonome season --help)
       autonome season worker   (takes season runs from DATABASE_URL's queue)`;

/** A usage error: exit code 2. */
export class UsageError extends Error {}

function option(args: string[], name: string): string | undefined {
  const i = args.indexOf(name);
  if (i < 0) return undefined;
  const value = args[i + 1];
  if (value === undefined || value.startsWith("--")) throw new UsageError(`${name} needs a value`);
  return value;
}

async function findModel(db: Db, ref: string | undefined): Promise<ModelRecord> {
  if (!ref) throw new UsageError("name or id of the model is missing");
  const all = await db.models.list();
  const found = all.find((m) => m.id === ref) ?? all.filter((m) => m.name === ref).sort((a, b) => (a.variant === "default" ? -1 : b.variant === "default" ? 1 : 0))[0];
  if (!found) throw new UsageError(`no model named ${ref}; see \`autonome models list\``);
  return found;
}

function table(rows: string[][]): string {
  const widths = rows[0]!.map((_, c) => Math.max(...rows.map((r) => r[c]!.length)));
  return rows.map((r) => r.map((cell, c) => cell.padEnd(widths[c]!)).join("  ").trimEnd()).join("\n");
}

/** Whether a worker is alive on this database (heartbeat fresh and running). */
async function liveWorker(db: Db, clock: Clock, config: WorkerConfig): Promise<boolean> {
  const freshWithinMs = Math.max(2 * config.tradeIntervalMs + config.modelRunTimeoutMs, 60_000);
  return (await db.heartbeats.list()).some((h) => h.status === "running" && clock.now() - h.updatedAt < freshWithinMs);
}

/**
 * Who serves requests for the model: the live worker holding its lease, or any live worker
 * when it is free; else why none does. A heartbeat from this host whose process is gone
 * (a SIGKILLed worker) is not live, however fresh.
 */
async function holderOf(db: Db, clock: Clock, config: WorkerConfig, model: ModelRecord): Promise<{ workerId: string } | { none: string }> {
  const freshWithinMs = Math.max(2 * config.tradeIntervalMs + config.modelRunTimeoutMs, 60_000);
  const live = (await db.heartbeats.list()).filter((h) => h.status === "running" && clock.now() - h.updatedAt < freshWithinMs && !(h.host === hostname() && !processAlive(h.pid)));
  const lease = (await db.leases.list()).find((l) => l.modelId === model.id && !l.expired);
  if (lease) return live.some((h) => h.workerId === lease.workerId) ? { workerId: lease.workerId } : { none: `it is leased by ${lease.workerId}, not running, until ${new Date(lease.expiresAt).toISOString()}` };
  return live[0] ? { workerId: live[0].workerId } : { none: "no worker is running" };
}

async function flatten(db: Db, via: string, model: ModelRecord, config: WorkerConfig, clock: Clock, out: (line: string) => void, waitMs: number, queue: boolean): Promise<number> {
  if (via === "worker" || (await liveWorker(db, clock, config))) {
    // With the embedded database served by a worker, that worker is alive and the only one.
    const holder = via === "worker" ? null : await holderOf(db, clock, config, model);
    if (holder !== null && "none" in holder) {
      if (!queue) {
        out(`no live worker holds ${model.name} (${holder.none}): nothing flattened; pass --queue to leave the request for the next worker that takes it`);
        return 1;
      }
      const request = await db.controlRequests.enqueue(model.id, "flatten");
      out(`no live worker holds ${model.name} (${holder.none}): flatten queued (request ${request.id}) for the next worker that takes it`);
      return 0;
    }
    // The simulated account lives in the worker's memory: ask the worker to do it.
    const request = await db.controlRequests.enqueue(model.id, "flatten");
    const deadline = Date.now() + waitMs;
    while (Date.now() < deadline) {
      const current = await db.controlRequests.byId(request.id);
      if (current?.doneAt != null) {
        if (current.error) {
          out(`flatten ${model.name} failed: ${current.error}`);
          return 1;
        }
        const result = current.result as { closed: Array<{ symbol: string; exitPrice: string; realizedPnl: string }>; failed: Array<{ symbol: string; code?: string; reason: string }> };
        out(`flattened ${model.name}: ${result.closed.length} closed${result.closed.map((c) => `\n  ${c.symbol} at ${c.exitPrice}, PnL ${c.realizedPnl}`).join("")}`);
        for (const f of result.failed) out(notClosed(f));
        return result.failed.length > 0 ? 1 : 0;
      }
      await new Promise((r) => setTimeout(r, 250));
    }
    out(`flatten of ${model.name} is queued (request ${request.id}); the worker serves it within a tick`);
    return 0;
  }
  const { runtime, market } = await createRuntime(config, db, clock, SILENT);
  try {
    market.advanceTo(clock.now());
    const result = await flattenModel(runtime, model.id);
    out(`flattened ${model.name}: ${result.closed.length} closed${result.closed.map((c) => `\n  ${c.symbol} at ${c.exitPrice.toString()}, PnL ${c.realizedPnl.toString()}`).join("")}`);
    for (const f of result.failed) out(notClosed(f));
    return result.failed.length > 0 ? 1 : 0;
  } finally {
    await runtime.close();
    await market.close();
  }
}

/** Runs one CLI command; returns the exit code. */
/** A position flatten did not close: a close that filled but is not recorded yet is not "not closed". */
function notClosed(f: { symbol: string; code?: string; reason: string }): string {
  return f.code === "FILLED_NOT_RECORDED" ? `  ${f.symbol} closed at the venue, not recorded yet: ${f.reason}` : `  ${f.symbol} not closed: ${f.reason}`;
}

export async function runCli(argv: string[], env: Readonly<Record<string, string | undefined>> = process.env, out: (line: string) => void = console.log): Promise<number> {
  const [group, command, ...rest] = argv.filter((a) => a !== "--");
  if (group === "data") return runDataCommand(command === undefined ? [] : [command, ...rest], out);
  if (group === "season") return seasonMain(command === undefined ? [] : [command, ...rest], env);
  if (group !== "models" || !command || command === "help" || command === "--help") {
    out(USAGE);
    return group === undefined || command === "help" || command === "--help" ? 0 : 2;
  }
  const config = loadConfig(env);
  const clock = new SystemClock();
  const { db, via } = await connectDatabase(config.databaseUrl, config.dataDir, clock, { holder: "cli" });
  try {
    switch (command) {
      case "list": {
        const models = await db.models.list();
        const open = await db.orders.allOpenOrders();
        const rows = [["NAME", "VARIANT", "MODEL", "ENABLED", "MODE", "OPEN", "ID"]];
        const reasons: string[] = [];
        for (const m of models) {
          if (!m.enabled && m.pausedReason) reasons.push(`${m.name}: paused by the worker, ${m.pausedReason}; resume with \`autonome models resume ${m.name}\``);
          rows.push([m.name, m.variant, `${m.provider}/${m.modelName}`, m.enabled ? "yes" : m.pausedReason ? "paused!" : "paused", m.mode ?? (config.simulationEnabled ? "sim*" : "live*"), String(open.filter((o) => o.modelId === m.id).length), m.id]);
        }
        out(models.length === 0 ? "no models" : table(rows));
        for (const r of reasons) out(r);
        return 0;
      }
      case "add": {
        const name = rest[0];
        if (!name || name.startsWith("--")) throw new UsageError("add needs a name");
        const rule = option(rest, "--rule");
        const agent = option(rest, "--agent");
        if ((rule === undefined) === (agent === undefined)) throw new UsageError("add needs exactly one of --rule <kind> or --agent <id>");
        if (rule !== undefined && !RULE_MODEL_KINDS.includes(rule as never)) throw new UsageError(`unknown rule ${rule}; one of ${RULE_MODEL_KINDS.join(", ")}`);
        const configured = agent === undefined ? undefined : config.models.find((m) => m.id === agent);
        if (agent !== undefined && !configured) throw new UsageError(`no configured model ${agent}; configured: ${config.models.map((m) => m.id).join(", ")}`);
        const mode = option(rest, "--mode");
        if (mode !== undefined && mode !== "sim" && mode !== "live") throw new UsageError("--mode is sim or live");
        const variant = option(rest, "--variant");
        const model = await db.models.create({
          name,
          provider: rule !== undefined ? "rule" : configured!.kind === "rule" ? "rule" : "openai",
          modelName: rule ?? agent!,
          ...(variant ? { variant } : {}),
          ...(mode ? { mode: mode === "sim" ? "SIM" : "LIVE" } : {}),
          enabled: !rest.includes("--paused"),
        });
        out(`added ${model.name} (${model.id})${model.enabled ? "; it trades from the next tick" : ", paused"}`);
        return 0;
      }
      case "pause":
      case "resume": {
        const model = await findModel(db, rest[0]);
        await db.models.setEnabled(model.id, command === "resume");
        const was = command === "resume" && model.pausedReason ? ` (it was paused by the worker: ${model.pausedReason})` : "";
        out(command === "pause" ? `paused ${model.name}: it stops at the next tick and never trades until resumed` : `resumed ${model.name}: it trades from the next tick${was}`);
        const holder = via === "worker" ? null : await holderOf(db, clock, config, model);
        if (holder !== null && "none" in holder) out(`  no live worker holds ${model.name} now (${holder.none}); this applies when a worker takes it`);
        return 0;
      }
      case "flatten": {
        const model = await findModel(db, rest[0]);
        const waitMs = Number(option(rest, "--wait-ms") ?? 60_000);
        return await flatten(db, via, model, config, clock, out, waitMs, rest.includes("--queue"));
      }
      default:
        throw new UsageError(`unknown command ${command}`);
    }
  } finally {
    await db.close();
  }
}
