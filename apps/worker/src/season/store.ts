/**
 * A season's record in PostgreSQL, beside the job queue: the season (its spec and
 * budget) and one row per run (status, attempts, worker, metrics, the run's backtest
 * report, what it spent). These tables live in their own schema, `autonome_season`,
 * next to pg-boss's; they are the season's, not the arena's (which @autonome/db owns).
 * Invariants: a run is `done` at most once (the first finished attempt wins: a late
 * finisher of an expired job changes nothing), and a `done` run never changes again.
 */
import { AutonomeError } from "@autonome/core";
import pg from "pg";
import type { BacktestReport } from "../backtest/report.js";
import type { RunModelMetrics, RunOutcome } from "./run.js";
import { type RunSpec, type SeasonSpec, canonicalJson } from "./spec.js";

/** The schema of the season tables. */
export const SEASON_SCHEMA = "autonome_season";

/** Where a run stands. */
export type RunStatus = "pending" | "queued" | "running" | "done" | "failed" | "skipped";

/** A spend limit: new runs stop once either is reached. */
export interface SeasonBudget {
  tokens: number | null;
  usd: number | null;
}

/** A season already exists under this id with another spec. */
export class SeasonConflictError extends AutonomeError {
  readonly code = "SEASON_CONFLICT";
}

/** One run's row. */
export interface RunRow {
  index: number;
  spec: RunSpec;
  status: RunStatus;
  jobId: string | null;
  worker: string | null;
  attempts: number;
  wallMs: number | null;
  metrics: Record<string, RunModelMetrics> | null;
  schema: string | null;
  error: string | null;
}

/** Totals of a season's runs. */
export interface SeasonProgress {
  total: number;
  byStatus: Record<RunStatus, number>;
  spentTokens: number;
  spentUsd: number;
  /** Mean wall time of the done runs, ms. */
  meanWallMs: number | null;
}

const MIGRATION = `
CREATE SCHEMA IF NOT EXISTS ${SEASON_SCHEMA};
CREATE TABLE IF NOT EXISTS ${SEASON_SCHEMA}.seasons (
  id text PRIMARY KEY,
  spec jsonb NOT NULL,
  budget_tokens bigint,
  budget_usd numeric,
  created_at timestamptz NOT NULL DEFAULT now()
);
CREATE TABLE IF NOT EXISTS ${SEASON_SCHEMA}.runs (
  season_id text NOT NULL REFERENCES ${SEASON_SCHEMA}.seasons (id) ON DELETE CASCADE,
  run_index integer NOT NULL,
  spec jsonb NOT NULL,
  status text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'queued', 'running', 'done', 'failed', 'skipped')),
  job_id text,
  worker text,
  attempts integer NOT NULL DEFAULT 0,
  started_at timestamptz,
  finished_at timestamptz,
  wall_ms integer,
  metrics jsonb,
  report jsonb,
  run_schema text,
  spent_input_tokens bigint NOT NULL DEFAULT 0,
  spent_output_tokens bigint NOT NULL DEFAULT 0,
  spent_usd numeric NOT NULL DEFAULT 0,
  error text,
  PRIMARY KEY (season_id, run_index)
);
`;

function rowOf(r: Record<string, unknown>): RunRow {
  return {
    index: Number(r.run_index),
    spec: r.spec as RunSpec,
    status: r.status as RunStatus,
    jobId: (r.job_id as string | null) ?? null,
    worker: (r.worker as string | null) ?? null,
    attempts: Number(r.attempts),
    wallMs: r.wall_ms === null ? null : Number(r.wall_ms),
    metrics: (r.metrics as Record<string, RunModelMetrics> | null) ?? null,
    schema: (r.run_schema as string | null) ?? null,
    error: (r.error as string | null) ?? null,
  };
}

/** The season tables of one PostgreSQL. */
export class SeasonStore {
  private constructor(private readonly pool: pg.Pool) {}

  /** Connects and creates the tables if missing (idempotent, safe from several processes at once). */
  static async open(url: string): Promise<SeasonStore> {
    const pool = new pg.Pool({ connectionString: url, max: 4 });
    pool.on("error", () => undefined); // an idle client dropped by the server: the next query reconnects
    const client = await pool.connect();
    try {
      // One migrator at a time across processes (CREATE ... IF NOT EXISTS can race on the catalog).
      await client.query("SELECT pg_advisory_lock(hashtext('autonome_season.migrate'))");
      try {
        await client.query(MIGRATION);
      } finally {
        await client.query("SELECT pg_advisory_unlock(hashtext('autonome_season.migrate'))");
      }
    } finally {
      client.release();
    }
    return new SeasonStore(pool);
  }

  async close(): Promise<void> {
    await this.pool.end();
  }

  /** Creates the season and its runs, or checks that the existing one has the same spec; sets the budget. */
  async ensureSeason(id: string, spec: SeasonSpec, budget: SeasonBudget): Promise<"created" | "resumed"> {
    const client = await this.pool.connect();
    try {
      await client.query("BEGIN");
      const inserted = await client.query(`INSERT INTO ${SEASON_SCHEMA}.seasons (id, spec, budget_tokens, budget_usd) VALUES ($1, $2, $3, $4) ON CONFLICT (id) DO NOTHING`, [id, JSON.stringify(spec), budget.tokens, budget.usd]);
      if (inserted.rowCount === 0) {
        const existing = await client.query<{ spec: SeasonSpec }>(`SELECT spec FROM ${SEASON_SCHEMA}.seasons WHERE id = $1 FOR UPDATE`, [id]);
        // jsonb keeps no key order: compare canonical texts.
        const stored = existing.rows[0]!.spec;
        if (canonicalJson(stored.runs) !== canonicalJson(spec.runs) || canonicalJson(stored.models) !== canonicalJson(spec.models)) {
          throw new SeasonConflictError(`season ${id} already exists with other models or runs; pick another --season name`);
        }
        await client.query(`UPDATE ${SEASON_SCHEMA}.seasons SET budget_tokens = $2, budget_usd = $3 WHERE id = $1`, [id, budget.tokens, budget.usd]);
      }
      for (const run of spec.runs) {
        await client.query(`INSERT INTO ${SEASON_SCHEMA}.runs (season_id, run_index, spec) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING`, [id, run.index, JSON.stringify(run)]);
      }
      await client.query("COMMIT");
      return inserted.rowCount === 0 ? "resumed" : "created";
    } catch (error) {
      await client.query("ROLLBACK").catch(() => undefined);
      throw error;
    } finally {
      client.release();
    }
  }

  /** A season's spec and budget, or null. */
  async season(id: string): Promise<{ spec: SeasonSpec; budget: SeasonBudget } | null> {
    const { rows } = await this.pool.query(`SELECT spec, budget_tokens, budget_usd FROM ${SEASON_SCHEMA}.seasons WHERE id = $1`, [id]);
    if (rows.length === 0) return null;
    const r = rows[0] as { spec: SeasonSpec; budget_tokens: string | null; budget_usd: string | null };
    return { spec: r.spec, budget: { tokens: r.budget_tokens === null ? null : Number(r.budget_tokens), usd: r.budget_usd === null ? null : Number(r.budget_usd) } };
  }

  async runs(id: string): Promise<RunRow[]> {
    const { rows } = await this.pool.query(`SELECT run_index, spec, status, job_id, worker, attempts, wall_ms, metrics, run_schema, error FROM ${SEASON_SCHEMA}.runs WHERE season_id = $1 ORDER BY run_index`, [id]);
    return rows.map(rowOf);
  }

  /** The stored backtest report of a done run. */
  async report(id: string, index: number): Promise<BacktestReport | null> {
    const { rows } = await this.pool.query<{ report: BacktestReport }>(`SELECT report FROM ${SEASON_SCHEMA}.runs WHERE season_id = $1 AND run_index = $2 AND status = 'done'`, [id, index]);
    return rows[0]?.report ?? null;
  }

  /** Records that a job was sent for the run. */
  async markQueued(id: string, index: number, jobId: string): Promise<void> {
    await this.pool.query(`UPDATE ${SEASON_SCHEMA}.runs SET status = 'queued', job_id = $3, error = NULL WHERE season_id = $1 AND run_index = $2 AND status <> 'done'`, [id, index, jobId]);
  }

  /** A worker starts an attempt; false when the run is already done (a duplicate delivery). */
  async markRunning(id: string, index: number, worker: string): Promise<boolean> {
    const { rowCount } = await this.pool.query(
      `UPDATE ${SEASON_SCHEMA}.runs SET status = 'running', worker = $3, attempts = attempts + 1, started_at = now(), error = NULL WHERE season_id = $1 AND run_index = $2 AND status <> 'done'`,
      [id, index, worker],
    );
    return rowCount === 1;
  }

  /** Stores a finished run; false when another attempt finished it first. */
  async finishRun(id: string, outcome: RunOutcome): Promise<boolean> {
    const { rowCount } = await this.pool.query(
      `UPDATE ${SEASON_SCHEMA}.runs SET status = 'done', finished_at = now(), wall_ms = $3, metrics = $4, report = $5, run_schema = $6,
         spent_input_tokens = spent_input_tokens + $7, spent_output_tokens = spent_output_tokens + $8, spent_usd = spent_usd + $9, error = NULL
       WHERE season_id = $1 AND run_index = $2 AND status <> 'done'`,
      [id, outcome.index, outcome.wallMs, JSON.stringify(outcome.metrics), JSON.stringify(outcome.report), outcome.schema, outcome.spent.inputTokens, outcome.spent.outputTokens, outcome.spent.costUsd.toFixed(6)],
    );
    return rowCount === 1;
  }

  /** An attempt failed: back to queued while the queue retries it, failed when it will not. */
  async failRun(id: string, index: number, error: string, final: boolean): Promise<void> {
    await this.pool.query(`UPDATE ${SEASON_SCHEMA}.runs SET status = $3, error = $4, finished_at = CASE WHEN $3 = 'failed' THEN now() ELSE finished_at END WHERE season_id = $1 AND run_index = $2 AND status <> 'done'`, [id, index, final ? "failed" : "queued", error]);
  }

  /** The budget was spent before the run started. */
  async skipRun(id: string, index: number, reason: string): Promise<void> {
    await this.pool.query(`UPDATE ${SEASON_SCHEMA}.runs SET status = 'skipped', error = $3 WHERE season_id = $1 AND run_index = $2 AND status <> 'done'`, [id, index, reason]);
  }

  /** Status counts, spend and mean run time. */
  async progress(id: string): Promise<SeasonProgress> {
    const { rows } = await this.pool.query(
      `SELECT status, count(*)::int AS n, coalesce(sum(spent_input_tokens + spent_output_tokens), 0)::bigint AS tokens, coalesce(sum(spent_usd), 0)::numeric AS usd,
              avg(wall_ms) FILTER (WHERE status = 'done') AS wall
       FROM ${SEASON_SCHEMA}.runs WHERE season_id = $1 GROUP BY status`,
      [id],
    );
    const byStatus: Record<RunStatus, number> = { pending: 0, queued: 0, running: 0, done: 0, failed: 0, skipped: 0 };
    let tokens = 0;
    let usd = 0;
    let wallSum = 0;
    for (const r of rows as Array<{ status: RunStatus; n: number; tokens: string; usd: string; wall: string | null }>) {
      byStatus[r.status] = r.n;
      tokens += Number(r.tokens);
      usd += Number(r.usd);
      if (r.wall !== null) wallSum += Number(r.wall) * r.n;
    }
    const total = Object.values(byStatus).reduce((a, b) => a + b, 0);
    return { total, byStatus, spentTokens: tokens, spentUsd: usd, meanWallMs: byStatus.done > 0 ? wallSum / byStatus.done : null };
  }
}
