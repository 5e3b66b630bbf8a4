/**
 * Worker heartbeats: each worker process writes its scheduler state (last tick, running
 * models, consecutive failed cycles, degraded or not) every tick, so the api, in
 * another process, can report health.
 */
import type { Clock } from "@autonome/core";
import type { PrismaClient, WorkerHeartbeat as HeartbeatRow } from "../../generated/prisma/client.js";
import { checkCount, checkText, fromDbTime, fromDbTimeOrNull, toDbTime } from "../internal/convert.js";

/** A worker's scheduler state as stored. */
export interface WorkerHeartbeatRecord {
  workerId: string;
  host: string;
  pid: number;
  status: "running" | "stopped";
  tick: number;
  /** Epoch ms. */
  startedAt: number;
  lastTickAt: number | null;
  lastSuccessAt: number | null;
  runningModelIds: string[];
  consecutiveFailedCycles: number;
  degraded: boolean;
  degradedReason: string | null;
  /** Epoch ms of the last write. */
  updatedAt: number;
}

/** What a worker writes; `updatedAt` defaults to the clock's now. */
export type WorkerHeartbeatInput = Omit<WorkerHeartbeatRecord, "updatedAt"> & { updatedAt?: number };

function toRecord(row: HeartbeatRow): WorkerHeartbeatRecord {
  return {
    workerId: row.workerId,
    host: row.host,
    pid: row.pid,
    status: row.status === "stopped" ? "stopped" : "running",
    tick: row.tick,
    startedAt: fromDbTime(row.startedAt),
    lastTickAt: fromDbTimeOrNull(row.lastTickAt),
    lastSuccessAt: fromDbTimeOrNull(row.lastSuccessAt),
    runningModelIds: Array.isArray(row.runningModelIds) ? (row.runningModelIds as unknown[]).map(String) : [],
    consecutiveFailedCycles: row.consecutiveFailedCycles,
    degraded: row.degraded,
    degradedReason: row.degradedReason,
    updatedAt: fromDbTime(row.updatedAt),
  };
}

/** Reads and writes the worker_heartbeats table. */
export class WorkerHeartbeatsRepository {
  constructor(
    private readonly prisma: PrismaClient,
    private readonly clock: Clock,
  ) {}

  /** Writes a worker's state (insert or replace). */
  async record(input: WorkerHeartbeatInput): Promise<WorkerHeartbeatRecord> {
    const workerId = checkText("workerId", input.workerId, 200);
    const data = {
      host: checkText("host", input.host, 255),
      pid: checkCount("pid", input.pid),
      status: input.status,
      tick: checkCount("tick", input.tick),
      startedAt: toDbTime("startedAt", input.startedAt),
      lastTickAt: input.lastTickAt === null ? null : toDbTime("lastTickAt", input.lastTickAt),
      lastSuccessAt: input.lastSuccessAt === null ? null : toDbTime("lastSuccessAt", input.lastSuccessAt),
      runningModelIds: input.runningModelIds.map(String),
      consecutiveFailedCycles: checkCount("consecutiveFailedCycles", input.consecutiveFailedCycles),
      degraded: input.degraded,
      degradedReason: input.degradedReason,
      updatedAt: toDbTime("updatedAt", input.updatedAt ?? this.clock.now()),
    };
    const row = await this.prisma.workerHeartbeat.upsert({ where: { workerId }, create: { workerId, ...data }, update: data });
    return toRecord(row);
  }

  /** Every worker's latest state, most recently updated first. */
  async list(): Promise<WorkerHeartbeatRecord[]> {
    const rows = await this.prisma.workerHeartbeat.findMany({ orderBy: { updatedAt: "desc" } });
    return rows.map(toRecord);
  }

  /** One worker's state, or null. */
  async byId(workerId: string): Promise<WorkerHeartbeatRecord | null> {
    const row = await this.prisma.workerHeartbeat.findUnique({ where: { workerId } });
    return row === null ? null : toRecord(row);
  }

  /** Deletes the rows of workers not heard from since `before` (epoch ms); returns how many. */
  async pruneBefore(before: number): Promise<number> {
    const { count } = await this.prisma.workerHeartbeat.deleteMany({ where: { updatedAt: { lt: toDbTime("before", before) } } });
    return count;
  }
}
