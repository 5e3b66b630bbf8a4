/**
 * Scheduler health as a pure function of what the scheduler recorded: degraded when
 * no model succeeded for a while although runs were attempted, or when several
 * cycles in a row failed.
 */

/** What the scheduler knows about its own recent history. */
export interface HealthInputs {
  /** Epoch ms the scheduler started. */
  startedAt: number;
  /** Epoch ms of the last successful model run, or null. */
  lastSuccessAt: number | null;
  /** Whether any run was attempted since the last success (an idle worker is not degraded). */
  attemptedSinceSuccess: boolean;
  /** Cycles in a row in which every attempted run failed. */
  consecutiveFailedCycles: number;
}

/** Thresholds of degradation. */
export interface HealthThresholds {
  /** Default 15 minutes. */
  noSuccessForMs: number;
  /** Default 3. */
  failedCycles: number;
}

/** The defaults of the issue: 15 minutes without a success, or 3 failed cycles in a row. */
export const DEFAULT_HEALTH_THRESHOLDS: Readonly<HealthThresholds> = Object.freeze({ noSuccessForMs: 15 * 60_000, failedCycles: 3 });

/** Whether the scheduler is degraded at `now`, and why. */
export function assessHealth(inputs: HealthInputs, now: number, thresholds: HealthThresholds = DEFAULT_HEALTH_THRESHOLDS): { degraded: boolean; reason: string | null } {
  if (inputs.consecutiveFailedCycles >= thresholds.failedCycles) {
    return { degraded: true, reason: `${inputs.consecutiveFailedCycles} cycles in a row failed` };
  }
  const since = inputs.lastSuccessAt ?? inputs.startedAt;
  if (inputs.attemptedSinceSuccess && now - since >= thresholds.noSuccessForMs) {
    return { degraded: true, reason: `no model succeeded for ${Math.round((now - since) / 60_000)} min` };
  }
  return { degraded: false, reason: null };
}
