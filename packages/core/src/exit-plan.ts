/**
 * The exit plan a model attaches to a position: where it is wrong (stop), where it
 * takes profit (target), what would invalidate the idea, how sure it is, and timing.
 * Stored as jsonb on the Order; prices travel as decimal strings in JSON.
 */
import { z } from "zod";
import { ValidationError } from "./errors.js";
import { type Decimal, toDecimal } from "./money.js";

/** A model's exit plan for one position. */
export interface ExitPlan {
  /** Stop-loss trigger price. */
  stop: Decimal | null;
  /** Take-profit trigger price. */
  target: Decimal | null;
  /** In words, what would prove the trade wrong. */
  invalidation: string | null;
  /** A price that, if crossed, invalidates the idea (checked by the workflow). */
  invalidationPrice: Decimal | null;
  /** The model's confidence, a fraction in [0, 1]. */
  confidence: number | null;
  /** Close the position at this time (epoch ms) whatever the price. */
  timeExit: number | null;
  /** No new entry on this symbol before this time (epoch ms). */
  cooldownUntil: number | null;
}

/** The JSON form of an ExitPlan (jsonb column, events, HTTP). */
export interface ExitPlanJson {
  stop: string | null;
  target: string | null;
  invalidation: string | null;
  invalidationPrice: string | null;
  confidence: number | null;
  timeExit: number | null;
  cooldownUntil: number | null;
}

const positiveDecimalString = z
  .union([z.string(), z.number()])
  .transform((v, ctx) => {
    try {
      const d = toDecimal(v);
      if (d.lte(0)) {
        ctx.addIssue({ code: "custom", message: "must be a positive price" });
        return z.NEVER;
      }
      return d.toString();
    } catch {
      ctx.addIssue({ code: "custom", message: "must be a decimal number" });
      return z.NEVER;
    }
  });

/** zod schema of the JSON form; accepts numbers or strings for prices, fills absent keys with null. */
export const exitPlanJsonSchema = z
  .object({
    stop: positiveDecimalString.nullish(),
    target: positiveDecimalString.nullish(),
    invalidation: z.string().max(2000).nullish(),
    invalidationPrice: positiveDecimalString.nullish(),
    confidence: z.number().min(0).max(1).nullish(),
    timeExit: z.number().int().nonnegative().nullish(),
    cooldownUntil: z.number().int().nonnegative().nullish(),
  })
  .strict()
  .transform(
    (v): ExitPlanJson => ({
      stop: v.stop ?? null,
      target: v.target ?? null,
      invalidation: v.invalidation ?? null,
      invalidationPrice: v.invalidationPrice ?? null,
      confidence: v.confidence ?? null,
      timeExit: v.timeExit ?? null,
      cooldownUntil: v.cooldownUntil ?? null,
    }),
  );

/** An exit plan with nothing set. */
export function emptyExitPlan(): ExitPlan {
  return { stop: null, target: null, invalidation: null, invalidationPrice: null, confidence: null, timeExit: null, cooldownUntil: null };
}

/** Parses untrusted JSON into an ExitPlan; throws ValidationError naming each bad field. */
export function parseExitPlan(input: unknown): ExitPlan {
  const parsed = exitPlanJsonSchema.safeParse(input ?? {});
  if (!parsed.success) {
    throw new ValidationError(
      "malformed exit plan",
      parsed.error.issues.map((i) => ({ path: i.path.join("."), message: i.message })),
    );
  }
  return exitPlanFromJson(parsed.data);
}

/** Converts the JSON form to an ExitPlan (trusted input). */
export function exitPlanFromJson(json: ExitPlanJson): ExitPlan {
  return {
    stop: json.stop === null ? null : toDecimal(json.stop),
    target: json.target === null ? null : toDecimal(json.target),
    invalidation: json.invalidation,
    invalidationPrice: json.invalidationPrice === null ? null : toDecimal(json.invalidationPrice),
    confidence: json.confidence,
    timeExit: json.timeExit,
    cooldownUntil: json.cooldownUntil,
  };
}

/** Converts an ExitPlan to its JSON form. */
export function exitPlanToJson(plan: ExitPlan): ExitPlanJson {
  return {
    stop: plan.stop?.toString() ?? null,
    target: plan.target?.toString() ?? null,
    invalidation: plan.invalidation,
    invalidationPrice: plan.invalidationPrice?.toString() ?? null,
    confidence: plan.confidence,
    timeExit: plan.timeExit,
    cooldownUntil: plan.cooldownUntil,
  };
}
