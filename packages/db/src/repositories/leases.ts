/**
 * Model leases: a worker claims a model's run until an expiry, so several workers on
 * one database never run a model twice at once, and a dead worker's models are claimed
 * by another once its leases expire.
 *
 * Invariants:
 *  - Time is the database's: acquisition, expiry, renewal and every check use `now()` in
 *    SQL, never a worker's clock, so workers whose clocks disagree still agree on who
 *    holds a model.
 *  - Every claim takes a new fencing token from one sequence (the column's default). A
 *    run carries the (holder, token) it was started under and proves with `check` or
 *    `assertHeld` that it still holds the lease, unexpired, before each broker call: a run
 *    whose lease lapsed, was taken over, or was claimed again for a new run (a stale run
 *    cleared) is fenced off.
 *  - One statement claims a whole batch: an insert whose conflict branch takes over only a
 *    lease that expired or is already ours, so two workers racing for one model get it
 *    once (the row lock of ON CONFLICT serializes them).
 *  - Renewal extends only unexpired leases and keeps their token; an expired lease is not
 *    revived (another worker may have the model by now).
 */
import { checkCount, checkId, checkText } from "../internal/convert.js";
import type { PrismaClient } from "../../generated/prisma/client.js";
import { LeaseLostError } from "../errors.js";

/** A lease as stored. */
export interface LeaseRecord {
  modelId: string;
  workerId: string;
  /** The fencing token of the claim that made it. */
  token: number;
  /** Epoch ms (the database's clock). */
  acquiredAt: number;
  /** Epoch ms (the database's clock) after which another worker may claim the model. */
  expiresAt: number;
  /** Whether it had expired when read, judged by the database's clock. */
  expired: boolean;
}

/** A lease a claim or a renewal gave: who holds which model under which token until when. */
export interface LeaseGrant {
  modelId: string;
  workerId: string;
  /** The fencing token every broker call of the run checks (see LeasesRepository.assertHeld). */
  token: number;
  /** Epoch ms (the database's clock). */
  expiresAt: number;
  /**
   * The claimer held this model's lease, unexpired, right before this claim: nobody else
   * can have run the model since its last run here (state kept in memory is still true).
   * False for a model new to the claimer, taken over, or claimed after its lease lapsed.
   */
  continued: boolean;
}

/** The lease a run was started under. */
export interface LeaseTicket {
  modelId: string;
  workerId: string;
  token: number;
}

interface GrantRow {
  model_id: string;
  token: bigint | number | string;
  expires_at: Date | string;
  continued?: boolean;
}

/** A timestamp of a raw row (a Date, or the text some drivers return) as epoch ms. */
function epochMs(value: Date | string): number {
  return value instanceof Date ? value.getTime() : new Date(value).getTime();
}

function tokenOf(value: bigint | number | string): number {
  const token = Number(value);
  if (!Number.isSafeInteger(token)) throw new Error(`lease token ${String(value)} is not a safe integer`);
  return token;
}

/** Reads and writes the model_leases table. */
export class LeasesRepository {
  constructor(private readonly prisma: PrismaClient) {}

  /**
   * Claims the models for `workerId` for `ttlMs` (from the database's now), each under a new
   * fencing token; returns the grants it got (free, expired or already its own). A lease of
   * another worker that has not expired is left alone. Claim a model only to start a new run
   * of it: the new token fences off any earlier run (renew keeps a running one's lease).
   */
  async claim(modelIds: readonly string[], workerId: string, ttlMs: number): Promise<LeaseGrant[]> {
    if (modelIds.length === 0) return [];
    const ids = modelIds.map((id) => checkId("model", id));
    checkText("workerId", workerId, 200);
    checkCount("ttlMs", ttlMs, 2 ** 40);
    const rows = await this.prisma.$queryRawUnsafe<GrantRow[]>(
      `WITH wanted AS (
         SELECT m.id FROM models m WHERE m.id IN (SELECT value::uuid FROM json_array_elements_text($1::json))
       ),
       previous AS (
         SELECT l.model_id, l.worker_id, l.expires_at > now() AS live FROM model_leases l JOIN wanted w ON w.id = l.model_id
       ),
       claimed AS (
         INSERT INTO model_leases AS l (model_id, worker_id, acquired_at, expires_at)
         SELECT id, $2, now(), now() + $3::bigint * interval '1 millisecond' FROM wanted
         ON CONFLICT (model_id) DO UPDATE
           SET worker_id = EXCLUDED.worker_id, acquired_at = EXCLUDED.acquired_at, expires_at = EXCLUDED.expires_at, token = EXCLUDED.token
           WHERE l.expires_at <= EXCLUDED.acquired_at OR l.worker_id = EXCLUDED.worker_id
         RETURNING l.model_id, l.token, l.expires_at
       )
       SELECT c.model_id::text AS model_id, c.token, c.expires_at, COALESCE(p.worker_id = $2 AND p.live, false) AS continued
       FROM claimed c LEFT JOIN previous p ON p.model_id = c.model_id
       ORDER BY c.model_id`,
      JSON.stringify(ids),
      workerId,
      ttlMs,
    );
    return rows.map((r) => ({ modelId: r.model_id, workerId, token: tokenOf(r.token), expiresAt: epochMs(r.expires_at), continued: r.continued === true }));
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
   * Extends every unexpired lease of `workerId` to the database's now + `ttlMs`, keeping its
   * token (a live worker keeps its models, and its running runs their leases, between ticks;
   * a dead one's lapse after one TTL). Returns the leases it extended: a lease of this worker
   * missing from them has lapsed, and its run must stop. An expired lease is not revived.
   */
  async renew(workerId: string, ttlMs: number): Promise<LeaseGrant[]> {
    checkText("workerId", workerId, 200);
    checkCount("ttlMs", ttlMs, 2 ** 40);
    const rows = await this.prisma.$queryRawUnsafe<GrantRow[]>(
      `UPDATE model_leases SET expires_at = now() + $2::bigint * interval '1 millisecond'
       WHERE worker_id = $1 AND expires_at > now()
       RETURNING model_id::text AS model_id, token, expires_at`,
      workerId,
      ttlMs,
    );
    return rows
      .map((r) => ({ modelId: r.model_id, workerId, token: tokenOf(r.token), expiresAt: epochMs(r.expires_at), continued: true }))
      .sort((a, b) => a.modelId.localeCompare(b.modelId));
  }

  /** Whether the run's lease still holds: same holder, same token, unexpired by the database's clock. */
  async check(ticket: LeaseTicket): Promise<boolean> {
    const modelId = checkId("model", ticket.modelId);
    const rows = await this.prisma.$queryRawUnsafe<{ held: boolean }[]>(
      `SELECT true AS held FROM model_leases WHERE model_id = $1::uuid AND worker_id = $2 AND token = $3::bigint AND expires_at > now()`,
      modelId,
      ticket.workerId,
      ticket.token,
    );
    return rows.length > 0;
  }

  /** Resolves when the run's lease still holds (see check); LeaseLostError, naming who holds the model now, when it does not. */
  async assertHeld(ticket: LeaseTicket): Promise<void> {
    const modelId = checkId("model", ticket.modelId);
    const rows = await this.prisma.$queryRawUnsafe<{ worker_id: string; token: bigint | number | string; expires_at: Date | string; live: boolean }[]>(
      `SELECT worker_id, token, expires_at, expires_at > now() AS live FROM model_leases WHERE model_id = $1::uuid`,
      modelId,
    );
    const row = rows[0];
    if (row !== undefined && row.live && row.worker_id === ticket.workerId && tokenOf(row.token) === ticket.token) return;
    const now = row === undefined ? null : { workerId: row.worker_id, token: tokenOf(row.token), expiresAt: epochMs(row.expires_at), expired: !row.live };
    throw new LeaseLostError(ticket, now);
  }

  /** Every lease, expired ones included (`expired` judged by the database's clock). */
  async list(): Promise<LeaseRecord[]> {
    const rows = await this.prisma.$queryRawUnsafe<{ model_id: string; worker_id: string; token: bigint | number | string; acquired_at: Date | string; expires_at: Date | string; expired: boolean }[]>(
      `SELECT model_id::text AS model_id, worker_id, token, acquired_at, expires_at, expires_at <= now() AS expired FROM model_leases ORDER BY model_id`,
    );
    return rows.map((r) => ({
      modelId: r.model_id,
      workerId: r.worker_id,
      token: tokenOf(r.token),
      acquiredAt: epochMs(r.acquired_at),
      expiresAt: epochMs(r.expires_at),
      expired: r.expired,
    }));
  }
}
