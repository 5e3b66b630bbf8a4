/**
 * Model leases: a worker claims a model's run until an expiry, so several workers on
 * one database never run a model twice at once, and a dead worker's models are claimed
 * by another once its leases expire. One statement claims a whole batch: an insert
 * whose conflict branch takes over only a lease that expired or is already ours, so two
 * workers racing for one model get it once (the row lock of ON CONFLICT serializes them).
 */
import type { Clock } from "@autonome/core";
import type { PrismaClient } from "../../generated/prisma/client.js";
import { checkCount, checkId, checkText, fromDbTime, toDbTime } from "../internal/convert.js";

/** A lease as stored. */
export interface LeaseRecord {
  modelId: string;
  workerId: string;
  /** Epoch ms. */
  acquiredAt: number;
  /** Epoch ms after which another worker may claim the model. */
  expiresAt: number;
}

/** Reads and writes the model_leases table. */
export class LeasesRepository {
  constructor(
    private readonly prisma: PrismaClient,
    private readonly clock: Clock,
  ) {}

  /**
   * Claims the models for `workerId` for `ttlMs`; returns the ids it got (free, expired
   * or already its own). A lease of another worker that has not expired is left alone.
   */
  async claim(modelIds: readonly string[], workerId: string, ttlMs: number, now = this.clock.now()): Promise<string[]> {
    if (modelIds.length === 0) return [];
    const ids = modelIds.map((id) => checkId("model", id));
    checkText("workerId", workerId, 200);
    checkCount("ttlMs", ttlMs, 2 ** 40);
    const at = toDbTime("now", now);
    const expires = toDbTime("expiresAt", now + ttlMs);
    const rows = await this.prisma.$queryRawUnsafe<{ model_id: string }[]>(
      `INSERT INTO model_leases (model_id, worker_id, acquired_at, expires_at)
       SELECT m.id, $2, $3::timestamptz, $4::timestamptz
       FROM models m
       WHERE m.id IN (SELECT value::uuid FROM json_array_elements_text($1::json))
       ON CONFLICT (model_id) DO UPDATE
         SET worker_id = EXCLUDED.worker_id, acquired_at = EXCLUDED.acquired_at, expires_at = EXCLUDED.expires_at
         WHERE model_leases.expires_at <= EXCLUDED.acquired_at OR model_leases.worker_id = EXCLUDED.worker_id
       RETURNING model_id`,
      JSON.stringify(ids),
      workerId,
      at,
      expires,
    );
    return rows.map((r) => r.model_id);
  }

  /** Releases this worker's leases on the models (all of them when `modelIds` is omitted); returns how many. */
  async release(workerId: string, modelIds?: readonly string[]): Promise<number> {
    checkText("workerId", workerId, 200);
    if (modelIds === undefined) {
      const { count } = await this.prisma.modelLease.deleteMany({ where: { workerId } });
      return count;
    }
    if (modelIds.length === 0) return 0;
    const ids = modelIds.map((id) => checkId("model", id));
    const { count } = await this.prisma.modelLease.deleteMany({ where: { workerId, modelId: { in: ids } } });
    return count;
  }

  /**
   * Extends every unexpired lease of `workerId` to `now + ttlMs` (a live worker keeps its
   * models between ticks; a dead one's lapse after one TTL). Returns how many it extended;
   * an expired lease is not revived, another worker may have its model by now.
   */
  async renew(workerId: string, ttlMs: number, now = this.clock.now()): Promise<number> {
    checkText("workerId", workerId, 200);
    checkCount("ttlMs", ttlMs, 2 ** 40);
    const { count } = await this.prisma.modelLease.updateMany({
      where: { workerId, expiresAt: { gt: toDbTime("now", now) } },
      data: { expiresAt: toDbTime("expiresAt", now + ttlMs) },
    });
    return count;
  }

  /** Every lease, expired ones included. */
  async list(): Promise<LeaseRecord[]> {
    const rows = await this.prisma.modelLease.findMany({ orderBy: { modelId: "asc" } });
    return rows.map((r) => ({ modelId: r.modelId, workerId: r.workerId, acquiredAt: fromDbTime(r.acquiredAt), expiresAt: fromDbTime(r.expiresAt) }));
  }
}
