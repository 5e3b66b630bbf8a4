/**
 * The model registry, from configuration: OpenAI-compatible endpoints (base URL,
 * the NAME of the environment variable that holds the key, model, optional
 * prices and limits) and built-in rule models. Every entry becomes a
 * `TradingAgent` with one `invoke(input, executor)`: the same session, risk
 * checks and executor path whatever decides.
 */
import { type Clock, ConfigError, SystemClock, toDecimal } from "@autonome/core";
import { DEFAULT_RISK_LIMITS, type RiskLimits } from "@autonome/risk";
import { z } from "zod";
import type { ToolExecutor } from "./executor.js";
import { type OpenAiEndpoint, type RunPolicy, runOpenAiAgent } from "./openai-agent.js";
import { type AgentInput, type InvocationResult, NO_USAGE } from "./result.js";
import { RULE_MODELS, RULE_MODEL_KINDS, type RuleModelKind } from "./rule-models.js";
import { type ToolCallRecord, TradingSession } from "./session.js";

const id = z.string().regex(/^[a-z0-9][a-z0-9._-]{0,63}$/, "must be 1-64 lower-case letters, digits, dot, dash or underscore");

const limitsSchema = z
  .object({
    maxLeverage: z.number().min(1).max(100).optional(),
    maxPositionNotionalUsd: z.number().positive().optional(),
    maxTotalNotionalUsd: z.number().positive().optional(),
    maxOpenPositions: z.number().int().positive().optional(),
  })
  .strict();

const common = {
  id,
  name: z.string().min(1).max(100).optional(),
  variant: z.string().optional(),
  limits: limitsSchema.optional(),
  maxSteps: z.number().int().min(1).max(100).optional(),
  timeoutMs: z.number().int().positive().optional(),
  /** Retries after the first attempt of a run. */
  maxRetries: z.number().int().min(0).max(10).optional(),
};

/** Configuration of an OpenAI-compatible model. */
export const openAiModelConfigSchema = z
  .object({
    ...common,
    kind: z.literal("openai"),
    baseURL: z.url(),
    /** Name of the environment variable holding the API key; absent for keyless local servers. */
    apiKeyEnv: z.string().regex(/^[A-Z_][A-Z0-9_]*$/).optional(),
    model: z.string().min(1),
    temperature: z.number().min(0).max(2).optional(),
    maxOutputTokens: z.number().int().positive().optional(),
    pricing: z
      .object({ inputPerMillionUsd: z.number().nonnegative(), outputPerMillionUsd: z.number().nonnegative(), cachedInputPerMillionUsd: z.number().nonnegative().optional() })
      .strict()
      .optional(),
    /** "json" for endpoints without tool calling: the decision is a fenced JSON block in the reply. */
    decisionFormat: z.enum(["tools", "json"]).optional(),
  })
  .strict();

/** Configuration of a built-in rule model. */
export const ruleModelConfigSchema = z
  .object({
    ...common,
    kind: z.literal("rule"),
    rule: z.enum(RULE_MODEL_KINDS as [RuleModelKind, ...RuleModelKind[]]),
    /** Seed of a rule that draws at random (default: the entry's id), combined with the registry's seed. */
    seed: z.union([z.string().min(1), z.number().int()]).optional(),
  })
  .strict();

/** One registry entry. */
export const modelConfigSchema = z.discriminatedUnion("kind", [openAiModelConfigSchema, ruleModelConfigSchema]);
/** A parsed registry entry. */
export type ModelConfig = z.infer<typeof modelConfigSchema>;

/** The rule models an embedded arena starts with: they need no network. */
export const DEFAULT_MODEL_CONFIGS: readonly ModelConfig[] = Object.freeze([
  { id: "buy-and-hold-btc", name: "Buy and hold BTC", kind: "rule", rule: "buy-and-hold-btc" },
  { id: "trend-follower", name: "Trend follower", kind: "rule", rule: "trend-follower" },
  { id: "mean-reverter", name: "Mean reverter", kind: "rule", rule: "mean-reverter" },
] satisfies ModelConfig[]);

/** Options of one invocation. */
export interface InvokeOptions {
  /**
   * The caller's defaults of the run policy (steps, retries, backoff, timeout); a model entry's
   * own maxSteps, timeoutMs and maxRetries win over them.
   */
  policy?: Partial<RunPolicy>;
  /** Risk limits; the entry's own limits are applied on top. */
  limits?: RiskLimits;
  /** Aborts the invocation (the HTTP request too). */
  signal?: AbortSignal;
  /**
   * Called with each tool call as it is handled or recorded as malformed, in order; a handled
   * call's reply to the model waits for it (persist calls as they happen). Failures are ignored.
   */
  onToolCall?: (record: ToolCallRecord) => unknown;
}

/** A model that can be invoked: an endpoint or a rule model, same interface. */
export interface TradingAgent {
  readonly id: string;
  readonly name: string;
  readonly kind: "openai" | "rule";
  readonly config: ModelConfig;
  /** Runs one invocation against an executor; never throws, failures are in the result. */
  invoke(input: AgentInput, executor: ToolExecutor, options?: InvokeOptions): Promise<InvocationResult>;
}

/** Options of {@link createModelRegistry}. */
export interface RegistryOptions {
  /** Where API keys are read from (default process.env). */
  env?: Readonly<Record<string, string | undefined>>;
  clock?: Clock;
  /** Seed of the rule models that draw at random (a backtest passes its run's seed), combined with each entry's own seed or id. */
  seed?: string | number;
}

function limitsFor(config: ModelConfig, base: RiskLimits): RiskLimits {
  const l = config.limits ?? {};
  return {
    ...base,
    ...(l.maxLeverage !== undefined ? { maxLeverage: l.maxLeverage } : {}),
    ...(l.maxPositionNotionalUsd !== undefined ? { maxPositionNotionalUsd: toDecimal(l.maxPositionNotionalUsd) } : {}),
    ...(l.maxTotalNotionalUsd !== undefined ? { maxTotalNotionalUsd: toDecimal(l.maxTotalNotionalUsd) } : {}),
    ...(l.maxOpenPositions !== undefined ? { maxOpenPositions: l.maxOpenPositions } : {}),
  };
}

function createAgentFor(config: ModelConfig, env: Readonly<Record<string, string | undefined>>, clock: Clock, seed: string | number | undefined): TradingAgent {
  const name = config.name ?? config.id;
  if (config.kind === "rule") {
    const rule = RULE_MODELS[config.rule];
    const ruleSeed = `${seed ?? ""}:${config.seed ?? config.id}`;
    return {
      id: config.id,
      name,
      kind: "rule",
      config,
      async invoke(input, executor, options = {}) {
        const startedAt = clock.now();
        const session = new TradingSession({ executor, clock, limits: limitsFor(config, options.limits ?? DEFAULT_RISK_LIMITS), ...(options.onToolCall ? { onRecord: options.onToolCall } : {}) });
        const decision = rule.decide(input.context, { seed: ruleSeed });
        for (const call of decision.calls) await session.handle(call.name, call.args);
        const records = [...session.records];
        return {
          modelId: config.id,
          ok: true,
          text: decision.reasoning,
          reasoning: decision.reasoning,
          toolCalls: records,
          steps: records.map((r, i) => ({ index: i + 1, kind: "tool" as const, attempt: 1, tool: r.tool, status: r.status, at: r.at })),
          attempts: [{ attempt: 1, outcome: "ok" as const, error: null, startedAt, endedAt: clock.now() }],
          usage: NO_USAGE,
          costUsd: toDecimal(0),
          latencyMs: clock.now() - startedAt,
          stepLimitReached: false,
          error: null,
          errorCode: null,
        };
      },
    };
  }
  let apiKey = "not-needed";
  if (config.apiKeyEnv) {
    const value = env[config.apiKeyEnv];
    if (!value) throw new ConfigError(`model ${config.id} needs the environment variable ${config.apiKeyEnv}`, config.apiKeyEnv);
    apiKey = value;
  }
  const endpoint: OpenAiEndpoint = {
    baseURL: config.baseURL,
    apiKey,
    model: config.model,
    ...(config.temperature !== undefined ? { temperature: config.temperature } : {}),
    ...(config.maxOutputTokens !== undefined ? { maxOutputTokens: config.maxOutputTokens } : {}),
    ...(config.pricing ? { pricing: config.pricing } : {}),
    ...(config.decisionFormat ? { decisionFormat: config.decisionFormat } : {}),
  };
  return {
    id: config.id,
    name,
    kind: "openai",
    config,
    invoke(input, executor, options = {}) {
      const session = new TradingSession({ executor, clock, limits: limitsFor(config, options.limits ?? DEFAULT_RISK_LIMITS), ...(options.onToolCall ? { onRecord: options.onToolCall } : {}) });
      // The entry's own settings win over the caller's defaults (the workflow's globals).
      const policy: Partial<RunPolicy> = {
        ...options.policy,
        ...(config.maxSteps !== undefined ? { maxSteps: config.maxSteps } : {}),
        ...(config.timeoutMs !== undefined ? { timeoutMs: config.timeoutMs } : {}),
        ...(config.maxRetries !== undefined ? { maxRetries: config.maxRetries } : {}),
      };
      return runOpenAiAgent({ modelId: config.id, endpoint, input, session, clock, policy, ...(options.signal ? { signal: options.signal } : {}) });
    },
  };
}

/** Models by id. */
export class ModelRegistry {
  private readonly agents = new Map<string, TradingAgent>();

  constructor(agents: Iterable<TradingAgent>) {
    for (const agent of agents) {
      if (this.agents.has(agent.id)) throw new ConfigError(`duplicate model id ${agent.id}`, "models");
      this.agents.set(agent.id, agent);
    }
  }

  /** The agent of an id; throws ConfigError when unknown. */
  get(modelId: string): TradingAgent {
    const agent = this.agents.get(modelId);
    if (!agent) throw new ConfigError(`unknown model ${modelId}; configured: ${[...this.agents.keys()].join(", ")}`, "models");
    return agent;
  }

  /** Whether an id is configured. */
  has(modelId: string): boolean {
    return this.agents.has(modelId);
  }

  /** Every agent in configuration order. */
  list(): TradingAgent[] {
    return [...this.agents.values()];
  }
}

/** Validates configuration (throws ConfigError naming each bad field) and builds the registry. Keys are read from env, never logged. */
export function createModelRegistry(configs: unknown = DEFAULT_MODEL_CONFIGS, options: RegistryOptions = {}): ModelRegistry {
  const parsed = z.array(modelConfigSchema).safeParse(configs);
  if (!parsed.success) {
    const detail = parsed.error.issues.map((i) => `${i.path.join(".") || "(root)"}: ${i.message}`).join("; ");
    throw new ConfigError(`invalid model configuration: ${detail}`, "models");
  }
  const env = options.env ?? process.env;
  const clock = options.clock ?? new SystemClock();
  return new ModelRegistry(parsed.data.map((c) => createAgentFor(c, env, clock, options.seed)));
}

