/**
 * Control requests: commands a shell (the CLI) leaves for the worker that owns a
 * model's broker, for example `flatten`, since a simulated account lives in that
 * worker's memory. A request is taken once (conditional update), then completed with
 * its result or error, which the requester polls for.
 */
import type { Clock } from "@autonome/core";
import type { ControlRequest as RequestRow, PrismaClient } from "../../generated/prisma/client.js";
import { checkId, checkJson, checkText, fromDbTime, fromDbTimeOrNull, toDbTime } from "../internal/convert.js";

/** A control request as stored. */
export interface ControlRequestRecord {
  id: string;
  modelId: string;
  kind: string;
  /** Epoch ms. */
  requestedAt: number;
  takenBy: string | null;
  doneAt: number | null;
  result: unknown;
  error: string | null;
}

function toRecord(row: RequestRow): ControlRequestRecord {
  return {
    id: row.id,
    modelId: row.modelId,
    kind: row.kind,
    requestedAt: fromDbTime(row.requestedAt),
    takenBy: row.takenBy,
    doneAt: fromDbTimeOrNull(row.doneAt),
    result: row.result ?? null,
    error: row.error,
  };
}

/** Reads and writes the control_requests table. */
export class ControlRequestsRepository {
  constructor(
    private readonly prisma: PrismaClient,
    private readonly clock: Clock,
  ) {}

  /** Leaves a request for the workers. */
  async enqueue(modelId: string, kind: string): Promise<ControlRequestRecord> {
    const row = await this.prisma.controlRequest.create({
      data: { modelId: checkId("model", modelId), kind: checkText("kind", kind, 100), requestedAt: toDbTime("requestedAt", this.clock.now()) },
    });
    return toRecord(row);
  }

  /** Requests not taken yet, oldest first, optionally only for some models. */
  async pending(modelIds?: readonly string[]): Promise<ControlRequestRecord[]> {
    const rows = await this.prisma.controlRequest.findMany({
      where: { takenBy: null, doneAt: null, ...(modelIds === undefined ? {} : { modelId: { in: modelIds.map((id) => checkId("model", id)) } }) },
      orderBy: { requestedAt: "asc" },
    });
    return rows.map(toRecord);
  }

  /** Takes a request for `workerId`; false when another worker took it first. */
  async take(id: string, workerId: string): Promise<boolean> {
    const { count } = await this.prisma.controlRequest.updateMany({ where: { id: checkId("control request", id), takenBy: null }, data: { takenBy: checkText("workerId", workerId, 200) } });
    return count === 1;
  }

  /** Completes a request with its result, or its error. */
  async complete(id: string, outcome: { result?: unknown; error?: string | null }): Promise<ControlRequestRecord> {
    const row = await this.prisma.controlRequest.update({
      where: { id: checkId("control request", id) },
      data: {
        doneAt: toDbTime("doneAt", this.clock.now()),
        ...(outcome.result === undefined ? {} : { result: checkJson("result", outcome.result) as never }),
        error: outcome.error ?? null,
      },
    });
    return toRecord(row);
  }

  /** One request, or null. */
  async byId(id: string): Promise<ControlRequestRecord | null> {
    const row = await this.prisma.controlRequest.findUnique({ where: { id: checkId("control request", id) } });
    return row === null ? null : toRecord(row);
  }
}
