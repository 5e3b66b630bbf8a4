/**
 * The four trading tools: their zod schemas (what the model sees as JSON schema),
 * validation of untrusted arguments, and conversion to core's TradingDecision.
 * Arguments are snake_case as models write them; prices are numbers or decimal
 * strings and become Decimals; every numeric argument follows one rule (NUMERIC_ARGUMENT_RULE).
 */
import {
  type Decimal,
  type DecisionType,
  type ExitPlan,
  TOOL_NAMES,
  type ToolName,
  type TradingDecision,
  ValidationError,
  type ValidationIssue,
  decisionTypeOfTool,
  emptyExitPlan,
  toDecimal,
} from "@autonome/core";
import { z } from "zod";

// The tool names and the decision each makes are core's (one table for every package); re-exported here for the agent's users.
export { TOOL_NAMES, type ToolName };

/**
 * The one coercion rule of every numeric argument: a JSON number or a decimal string
 * ("5", "0.008", "1e-3") is accepted; anything else (hex, "5x", "", booleans) is refused.
 */
export const NUMERIC_ARGUMENT_RULE = 'Every numeric argument may be a JSON number or a decimal string ("5", "0.008").';

const DECIMAL_TEXT = /^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$/;

/** A numeric argument's value as a Decimal, or null when it is not a number under the rule. */
function numericValue(v: unknown): Decimal | null {
  if (typeof v === "number") return Number.isFinite(v) ? toDecimal(v) : null;
  if (typeof v === "string" && DECIMAL_TEXT.test(v.trim())) return toDecimal(v.trim());
  return null;
}

/** A numeric argument (number or decimal string) that satisfies `check`. */
function numeric(check: (d: Decimal) => boolean, message: string) {
  return z.union([z.number(), z.string()]).refine((v) => {
    const d = numericValue(v);
    return d !== null && check(d);
  }, message);
}

const positive = numeric((d) => d.gt(0), "must be a positive number (a number or a decimal string)");
const wholeMinutes = (max: number) => numeric((d) => d.isInteger() && d.gt(0) && d.lte(max), `must be a whole number of minutes from 1 to ${max}`);

const symbol = z.string().min(1).max(20).describe("Market symbol, for example BTC");

/** The exit plan as a tool argument. */
export const exitPlanArgsSchema = z
  .object({
    stop: positive.optional().describe("Stop-loss trigger price: below entry for LONG, above for SHORT"),
    target: positive.optional().describe("Take-profit trigger price: above entry for LONG, below for SHORT"),
    invalidation: z.string().max(500).optional().describe("In words, what would prove the trade wrong"),
    invalidation_price: positive.optional().describe("A price that, if crossed, invalidates the idea"),
    confidence: numeric((d) => d.gte(0) && d.lte(1), "must be a number from 0 to 1").optional().describe("Your confidence in the trade, from 0 to 1"),
    time_exit_minutes: wholeMinutes(60 * 24 * 30).optional().describe("Close the position after this many minutes"),
    cooldown_minutes: wholeMinutes(60 * 24 * 7).optional().describe("After the position closes, no new entry on this symbol for this many minutes"),
  })
  .strict();

/** Arguments of create_position. */
export const createPositionArgsSchema = z
  .object({
    symbol,
    side: z.enum(["LONG", "SHORT"]).describe("LONG profits when the price rises, SHORT when it falls"),
    quantity: positive.optional().describe("Size in base units; give this or risk_usd"),
    risk_usd: positive.optional().describe("Dollars to lose if the stop fills; the size is derived from the stop distance and confidence"),
    leverage: numeric((d) => d.gte(1) && d.lte(100), "must be a number from 1 to 100").describe("Leverage, for example 5"),
    exit_plan: exitPlanArgsSchema.describe("Stop, target, invalidation and confidence"),
  })
  .strict();

/** Arguments of close_position. */
export const closePositionArgsSchema = z.object({ symbol, reason: z.string().min(1).max(1000).describe("Why you close") }).strict();
/** Arguments of hold. */
export const holdArgsSchema = z.object({ reason: z.string().min(1).max(1000).describe("Why you hold") }).strict();
/** Arguments of update_exit_plan; fields left out keep their current value. */
export const updateExitPlanArgsSchema = z
  .object({ symbol, exit_plan: exitPlanArgsSchema.describe("Only the fields to change") })
  .strict();

/** Each tool's description and schema. */
export const TOOL_SPECS = {
  create_position: {
    description: `Open a new position with an exit plan. Give quantity or risk_usd (not both). Passes risk checks before execution. ${NUMERIC_ARGUMENT_RULE}`,
    schema: createPositionArgsSchema,
  },
  close_position: { description: "Close the open position of a symbol at market.", schema: closePositionArgsSchema },
  hold: { description: "Do nothing this run, and say why.", schema: holdArgsSchema },
  update_exit_plan: { description: `Change the stop, target, invalidation or confidence of an open position. ${NUMERIC_ARGUMENT_RULE}`, schema: updateExitPlanArgsSchema },
} as const satisfies Record<ToolName, { description: string; schema: z.ZodType }>;

type ExitPlanArgs = z.infer<typeof exitPlanArgsSchema>;

function issuesOf(error: z.ZodError): ValidationIssue[] {
  return error.issues.map((i) => ({ path: i.path.join("."), message: i.message }));
}

const dec = (v: string | number | undefined): Decimal | null => (v === undefined ? null : numericValue(v));
const numberOf = (v: string | number): number => numericValue(v)!.toNumber();

function planFromArgs(args: ExitPlanArgs, nowMs: number, base: ExitPlan = emptyExitPlan()): ExitPlan {
  return {
    stop: args.stop !== undefined ? dec(args.stop) : base.stop,
    target: args.target !== undefined ? dec(args.target) : base.target,
    invalidation: args.invalidation ?? base.invalidation,
    invalidationPrice: args.invalidation_price !== undefined ? dec(args.invalidation_price) : base.invalidationPrice,
    confidence: args.confidence !== undefined ? numberOf(args.confidence) : base.confidence,
    timeExit: args.time_exit_minutes !== undefined ? nowMs + numberOf(args.time_exit_minutes) * 60_000 : base.timeExit,
    cooldownUntil: args.cooldown_minutes !== undefined ? nowMs + numberOf(args.cooldown_minutes) * 60_000 : base.cooldownUntil,
  };
}

/** Models write "long" as often as "LONG": normalise the side before validation. */
function normaliseArgs(type: DecisionType | undefined, raw: unknown): unknown {
  if (type === "CREATE_POSITION" && raw && typeof raw === "object" && typeof (raw as { side?: unknown }).side === "string") {
    return { ...raw, side: (raw as { side: string }).side.toUpperCase() };
  }
  return raw;
}

/** Context for turning arguments into a decision. */
export interface DecisionOptions {
  /** Epoch ms now, for relative times in the exit plan. */
  nowMs: number;
  /** The current exit plan of the symbol's open position, for update_exit_plan. */
  currentExitPlan?: (symbol: string) => ExitPlan | undefined;
}

/**
 * Validates a tool call's arguments and converts them to a TradingDecision.
 * Throws ValidationError naming each bad field (the agent shows it to the model).
 */
export function decisionFromToolCall(name: string, rawArgs: unknown, options: DecisionOptions): TradingDecision {
  const type = decisionTypeOfTool(name);
  const args = normaliseArgs(type, rawArgs);
  switch (type) {
    case "CREATE_POSITION": {
      const parsed = createPositionArgsSchema.safeParse(args);
      if (!parsed.success) throw new ValidationError("invalid create_position arguments", issuesOf(parsed.error));
      const a = parsed.data;
      if ((a.quantity === undefined) === (a.risk_usd === undefined)) {
        throw new ValidationError("invalid create_position arguments", [{ path: "quantity", message: "give exactly one of quantity and risk_usd" }]);
      }
      return {
        type: "CREATE_POSITION",
        symbol: a.symbol.toUpperCase(),
        side: a.side,
        quantity: dec(a.quantity),
        riskUsd: dec(a.risk_usd),
        leverage: numericValue(a.leverage)!,
        exitPlan: planFromArgs(a.exit_plan, options.nowMs),
      };
    }
    case "CLOSE_POSITION": {
      const parsed = closePositionArgsSchema.safeParse(args);
      if (!parsed.success) throw new ValidationError("invalid close_position arguments", issuesOf(parsed.error));
      return { type: "CLOSE_POSITION", symbol: parsed.data.symbol.toUpperCase(), reason: parsed.data.reason };
    }
    case "HOLDING": {
      const parsed = holdArgsSchema.safeParse(args);
      if (!parsed.success) throw new ValidationError("invalid hold arguments", issuesOf(parsed.error));
      return { type: "HOLDING", reason: parsed.data.reason };
    }
    case "UPDATE_EXIT_PLAN": {
      const parsed = updateExitPlanArgsSchema.safeParse(args);
      if (!parsed.success) throw new ValidationError("invalid update_exit_plan arguments", issuesOf(parsed.error));
      const sym = parsed.data.symbol.toUpperCase();
      const base = options.currentExitPlan?.(sym) ?? emptyExitPlan();
      return { type: "UPDATE_EXIT_PLAN", symbol: sym, exitPlan: planFromArgs(parsed.data.exit_plan, options.nowMs, base) };
    }
    case undefined:
      throw new ValidationError(`unknown tool ${name}`, [{ path: "name", message: `must be one of ${TOOL_NAMES.join(", ")}` }]);
  }
}
