/**
 * Invocations and their tool calls: what each model was asked, what it answered, what
 * it cost, and every tool call it made, accepted or rejected with the reason it was told.
 * Starting an invocation counts it on the model; a rejected tool call counts as a failed
 * one; both in the same transaction as the row.
 */
import {
  type Clock,
  type Decimal,
  type DecimalLike,
  type DecisionType,
  NotFoundError,
  StateConflictError,
  ValidationError,
  ZERO,
  toolOfDecisionType,
} from "@autonome/core";
import { Prisma } from "../../generated/prisma/client.js";
import type { Invocation as InvocationRow, ToolCall as ToolCallRow } from "../../generated/prisma/client.js";
import {
  NUMERIC_18_8,
  checkCount,
  chunks,
  checkId,
  checkJson,
  fromDbDecimal,
  fromDbDecimalOrNull,
  fromDbTime,
  fromDbTimeOrNull,
  toColumnDecimal,
  toDbTime,
} from "../internal/convert.js";
import { type DbClient, inTransaction } from "../internal/client.js";
import { orderedUuid } from "../internal/ids.js";
import { isForeignKeyViolation, isUniqueViolation } from "../internal/prisma-errors.js";
import { type Page, checkLimit } from "./orders.js";
import type { TimeRange } from "./portfolio-snapshots.js";

/** One recorded tool call. */
export interface ToolCallRecord {
  id: string;
  invocationId: string;
  /** Null for a call to a tool that does not exist. */
  type: DecisionType | null;
  /** The tool's name as the model wrote it. */
  tool: string;
  arguments: unknown;
  result: unknown;
  accepted: boolean;
  /** Why it was rejected, as the model was told; null when accepted. */
  rejectionReason: string | null;
  /** Epoch ms. */
  createdAt: number;
}

/** One agent invocation with its tool calls. */
export interface InvocationRecord {
  id: string;
  modelId: string;
  prompt: string;
  response: string | null;
  responsePayload: unknown;
  inputTokens: number;
  outputTokens: number;
  /** USD. */
  cost: Decimal | null;
  latencyMs: number | null;
  /** Per-step telemetry as the agent reported it. */
  steps: unknown;
  error: string | null;
  /** Epoch ms. */
  startedAt: number;
  /** Epoch ms; null while running. */
  finishedAt: number | null;
  /** Oldest first. */
  toolCalls: ToolCallRecord[];
}

/** What starting an invocation records. */
export interface StartInvocationInput {
  modelId: string;
  prompt: string;
  /** Epoch ms; defaults to the clock's now. */
  startedAt?: number;
}

/** What finishing an invocation records. */
export interface FinishInvocationInput {
  response?: string | null;
  responsePayload?: unknown;
  inputTokens?: number;
  outputTokens?: number;
  /** USD, rounded to 8 decimals. */
  cost?: DecimalLike | null;
  /** Defaults to finishedAt - startedAt. */
  latencyMs?: number;
  steps?: unknown;
  /** Why it failed; null or omitted when it succeeded. */
  error?: string | null;
  /** Epoch ms; defaults to the clock's now. */
  finishedAt?: number;
}

/** What recording a tool call stores. */
export interface RecordToolCallInput {
  invocationId: string;
  /** Null for a call to a tool that does not exist (then `tool` is required, and the call is not accepted). */
  type: DecisionType | null;
  /** The tool's name as the model wrote it; defaults to the type's tool. */
  tool?: string;
  arguments: unknown;
  result?: unknown;
  accepted: boolean;
  /** Required when rejected, refused when accepted. */
  rejectionReason?: string | null;
  /** Epoch ms; defaults to the clock's now. */
  createdAt?: number;
}

/** A finished invocation recorded in one go (start, tool calls and finish), see InvocationsRepository.recordCompleted. */
export interface CompletedInvocationInput extends StartInvocationInput, FinishInvocationInput {
  /** A UUID chosen by the caller (an id handed out before the row is written); default a random one. */
  id?: string;
  /** Its tool calls, in the order they were made. */
  toolCalls?: ReadonlyArray<Omit<RecordToolCallInput, "invocationId">>;
}

/** One finish of InvocationsRepository.finishMany. */
export interface InvocationFinish {
  invocationId: string;
  finish: FinishInvocationInput;
}

/** What finishMany did: the invocations it finished (read back with their tool calls), and those it found finished already. */
export interface FinishManyResult {
  finished: InvocationRecord[];
  /** Closed before (as ABANDONED, say): left as they were. */
  alreadyFinished: string[];
}

/** Which invocations to list. */
export interface InvocationsQuery {
  modelId?: string;
  /** Only invocations that ended with an error (failed runs, with their step telemetry). */
  failedOnly?: boolean;
  /** Page size, 1..200; default 20. */
  limit?: number;
  cursor?: string | null;
}

/** Which invocations to read in time order (InvocationsRepository.history). */
export interface InvocationsHistoryQuery extends TimeRange {
  /** Only this model's; every model's when omitted. */
  modelId?: string;
  /** At most this many, the newest kept; 1..100,000, default 10,000. */
  limit?: number;
}

/** Which invocations to count. */
export interface InvocationsCountQuery extends TimeRange {
  modelId?: string;
  /** Only those that ended with an error. */
  failedOnly?: boolean;
}

/** Which unfinished invocations to close as abandoned (InvocationsRepository.abandonUnfinished). */
export interface AbandonInvocationsInput {
  /** Only invocations started before this time (epoch ms): older than STALE_AFTER_MS, say. */
  startedBefore: number;
  /** Only these models' invocations; every model's when omitted. */
  modelIds?: readonly string[];
  /** Why, after "ABANDONED: " in the error column. */
  reason: string;
  /** Epoch ms recorded as their finish; defaults to the clock's now. */
  finishedAt?: number;
}

/** An invocation closed as abandoned. */
export interface AbandonedInvocation {
  id: string;
  modelId: string;
  /** Epoch ms. */
  startedAt: number;
}

/** The error an abandoned invocation is closed with starts with this. */
export const ABANDONED_PREFIX = "ABANDONED: ";

const TOOL_CALL_TYPES: readonly DecisionType[] = ["CREATE_POSITION", "CLOSE_POSITION", "HOLDING", "UPDATE_EXIT_PLAN"];

function toToolCall(row: ToolCallRow): ToolCallRecord {
  return {
    id: row.id,
    invocationId: row.invocationId,
    type: row.type,
    tool: row.tool,
    arguments: row.arguments,
    result: row.result,
    accepted: row.accepted,
    rejectionReason: row.rejectionReason,
    createdAt: fromDbTime(row.createdAt),
  };
}

function toInvocation(row: InvocationRow & { toolCalls: ToolCallRow[] }): InvocationRecord {
  return {
    id: row.id,
    modelId: row.modelId,
    prompt: row.prompt,
    response: row.response,
    responsePayload: row.responsePayload,
    inputTokens: row.inputTokens,
    outputTokens: row.outputTokens,
    cost: fromDbDecimalOrNull(row.cost),
    latencyMs: row.latencyMs,
    steps: row.steps,
    error: row.error,
    startedAt: fromDbTime(row.startedAt),
    finishedAt: fromDbTimeOrNull(row.finishedAt),
    toolCalls: row.toolCalls.map(toToolCall),
  };
}

function jsonOrNull(field: string, value: unknown): Prisma.InputJsonValue | typeof Prisma.DbNull | undefined {
  if (value === undefined) return undefined;
  if (value === null) return Prisma.DbNull;
  return checkJson(field, value) as Prisma.InputJsonValue;
}

function checkPrompt(prompt: unknown): string {
  if (typeof prompt !== "string") throw new ValidationError("invalid prompt", [{ path: "prompt", message: "must be a string" }]);
  return prompt;
}

/** The validated columns a finish writes (latencyMs only when given). */
function finishData(input: FinishInvocationInput, finishedAt: Date): Prisma.InvocationUncheckedUpdateManyInput {
  const data: Prisma.InvocationUncheckedUpdateManyInput = {
    finishedAt,
    inputTokens: checkCount("inputTokens", input.inputTokens ?? 0),
    outputTokens: checkCount("outputTokens", input.outputTokens ?? 0),
  };
  if (input.response !== undefined) {
    if (input.response !== null && typeof input.response !== "string") {
      throw new ValidationError("invalid response", [{ path: "response", message: "must be a string or null" }]);
    }
    data.response = input.response;
  }
  const payload = jsonOrNull("responsePayload", input.responsePayload);
  if (payload !== undefined) data.responsePayload = payload;
  const steps = jsonOrNull("steps", input.steps);
  if (steps !== undefined) data.steps = steps;
  if (input.cost !== undefined) {
    data.cost = input.cost === null ? null : toColumnDecimal("cost", input.cost, { column: NUMERIC_18_8, sign: "non-negative", places: "round" }).toString();
  }
  if (input.error !== undefined && input.error !== null && typeof input.error !== "string") {
    throw new ValidationError("invalid error", [{ path: "error", message: "must be a string or null" }]);
  }
  data.error = input.error ?? null;
  if (input.latencyMs !== undefined) data.latencyMs = checkCount("latencyMs", input.latencyMs);
  return data;
}

/** The validated row of a tool call (without its invocation). */
function toolCallData(input: Omit<RecordToolCallInput, "invocationId">, now: number): Omit<Prisma.ToolCallCreateManyInput, "invocationId"> {
  if (input.type !== null && !TOOL_CALL_TYPES.includes(input.type)) {
    throw new ValidationError("invalid tool call type", [{ path: "type", message: `must be one of ${TOOL_CALL_TYPES.join(", ")} or null` }]);
  }
  if (typeof input.accepted !== "boolean") throw new ValidationError("invalid tool call", [{ path: "accepted", message: "must be a boolean" }]);
  const tool = input.tool ?? (input.type === null ? undefined : toolOfDecisionType(input.type));
  if (typeof tool !== "string" || tool.trim() === "" || tool.length > 200) {
    throw new ValidationError("invalid tool call", [{ path: "tool", message: "must be the tool's name, 1-200 characters (required for an unknown tool)" }]);
  }
  if (input.type === null && input.accepted) {
    throw new ValidationError("invalid tool call", [{ path: "accepted", message: "a call to an unknown tool cannot be accepted" }]);
  }
  const reason = input.rejectionReason ?? null;
  if (input.accepted && reason !== null) {
    throw new ValidationError("invalid tool call", [{ path: "rejectionReason", message: "an accepted tool call has no rejection reason" }]);
  }
  if (!input.accepted && (typeof reason !== "string" || reason.trim() === "")) {
    throw new ValidationError("invalid tool call", [{ path: "rejectionReason", message: "a rejected tool call needs the reason" }]);
  }
  const result = jsonOrNull("result", input.result);
  return {
    // Ordered ids: tool calls made in the same millisecond read back in the order they were made.
    id: orderedUuid(),
    type: input.type,
    tool,
    arguments: checkJson("arguments", input.arguments ?? {}) as Prisma.InputJsonValue,
    ...(result === undefined ? {} : { result }),
    accepted: input.accepted,
    rejectionReason: reason,
    createdAt: toDbTime("createdAt", input.createdAt ?? now),
  };
}

/** A JSON column's value as SQL text: null for absent or DbNull, else its JSON. */
function jsonText(value: unknown): string | null {
  if (value === undefined || value === null || value === Prisma.DbNull || value === Prisma.JsonNull) return value === Prisma.JsonNull ? "null" : null;
  return JSON.stringify(value);
}

/** Rows a batch statement takes at most (chunks' default). */
const STATEMENT_ROWS = 1000;

const WITH_TOOL_CALLS = { toolCalls: { orderBy: [{ createdAt: "asc" as const }, { id: "asc" as const }] } };

/** Reads and writes Invocations and ToolCalls. */
export class InvocationsRepository {
  constructor(
    private readonly prisma: DbClient,
    private readonly clock: Clock,
  ) {}

  /** Records the start of an invocation and counts it on the model; NotFoundError for an unknown model. */
  async start(input: StartInvocationInput): Promise<InvocationRecord> {
    const modelId = checkId("model", input.modelId);
    checkPrompt(input.prompt);
    const startedAt = toDbTime("startedAt", input.startedAt ?? this.clock.now());
    const row = await inTransaction(this.prisma, async (tx) => {
      const { count } = await tx.model.updateMany({ where: { id: modelId }, data: { invocationCount: { increment: 1 } } });
      if (count === 0) throw new NotFoundError("model", modelId);
      return tx.invocation.create({
        data: { id: globalThis.crypto.randomUUID(), modelId, prompt: input.prompt, startedAt },
        include: WITH_TOOL_CALLS,
      });
    });
    return toInvocation(row);
  }

  /**
   * Records the starts of many invocations (of any models) and counts them on their models, as
   * start does one by one, in one statement per thousand (so concurrent runs of a tick start
   * together). Every input is validated first; NotFoundError for an unknown model (nothing
   * written). Returns the ids, in the order of the inputs.
   */
  async startMany(inputs: readonly StartInvocationInput[]): Promise<string[]> {
    if (inputs.length === 0) return [];
    const now = this.clock.now();
    const rows = inputs.map((input) => {
      const modelId = checkId("model", input.modelId);
      return { id: globalThis.crypto.randomUUID(), modelId, prompt: checkPrompt(input.prompt), startedAt: toDbTime("startedAt", input.startedAt ?? now) };
    });
    // One chunk is one statement, atomic without a transaction of its own (a round trip each for BEGIN and COMMIT saved).
    const write = rows.length <= STATEMENT_ROWS ? (fn: (client: DbClient) => Promise<void>) => fn(this.prisma) : (fn: (client: DbClient) => Promise<void>) => inTransaction(this.prisma, fn);
    try {
      await write(async (tx) => {
        for (const chunk of chunks(rows, STATEMENT_ROWS)) {
          await tx.$executeRaw`WITH input AS (
              SELECT * FROM (VALUES ${Prisma.join(chunk.map((r) => Prisma.sql`(${r.id}::uuid, ${r.modelId}::uuid, ${r.prompt}::text, ${r.startedAt}::timestamptz)`))}) AS v(id, model_id, prompt, started_at)
            ),
            counted AS (
              UPDATE models SET invocation_count = models.invocation_count + c.n, updated_at = ${new Date(now)}::timestamptz
              FROM (SELECT model_id, count(*)::int AS n FROM input GROUP BY model_id) AS c WHERE models.id = c.model_id
              RETURNING models.id
            )
            INSERT INTO invocations (id, model_id, prompt, input_tokens, output_tokens, started_at)
            SELECT id, model_id, prompt, 0, 0, started_at FROM input`;
        }
      });
    } catch (error) {
      if (isForeignKeyViolation(error)) throw new NotFoundError("model", [...new Set(rows.map((r) => r.modelId))].join(", "));
      throw error;
    }
    return rows.map((r) => r.id);
  }

  /** Records how an invocation ended; StateConflictError when it was finished already. */
  async finish(invocationId: string, input: FinishInvocationInput): Promise<InvocationRecord> {
    const id = checkId("invocation", invocationId);
    const finishedAt = toDbTime("finishedAt", input.finishedAt ?? this.clock.now());
    const data = finishData(input, finishedAt);

    const row = await inTransaction(this.prisma, async (tx) => {
      const current = await tx.invocation.findUnique({ where: { id }, select: { startedAt: true, finishedAt: true } });
      if (current === null) throw new NotFoundError("invocation", id);
      if (current.finishedAt !== null) throw new StateConflictError(`invocation ${id} is already finished`, "invocation", id);
      if (finishedAt.getTime() < current.startedAt.getTime()) {
        throw new ValidationError("invalid finish time", [{ path: "finishedAt", message: "must not be before startedAt" }]);
      }
      if (data.latencyMs === undefined) data.latencyMs = Math.min(finishedAt.getTime() - current.startedAt.getTime(), 2_147_483_647);
      const { count } = await tx.invocation.updateMany({ where: { id, finishedAt: null }, data });
      if (count === 0) throw new StateConflictError(`invocation ${id} is already finished`, "invocation", id);
      return tx.invocation.findUniqueOrThrow({ where: { id }, include: WITH_TOOL_CALLS });
    });
    return toInvocation(row);
  }

  /** Records one tool call of an invocation; a rejected one also counts as a failed tool call on the model. */
  async recordToolCall(input: RecordToolCallInput): Promise<ToolCallRecord> {
    const invocationId = checkId("invocation", input.invocationId);
    const data = toolCallData(input, this.clock.now());
    const row = await inTransaction(this.prisma, async (tx) => {
      const invocation = await tx.invocation.findUnique({ where: { id: invocationId }, select: { modelId: true } });
      if (invocation === null) throw new NotFoundError("invocation", invocationId);
      if (!input.accepted) {
        await tx.model.update({ where: { id: invocation.modelId }, data: { failedToolCallCount: { increment: 1 } } });
      }
      return tx.toolCall.create({ data: { ...data, invocationId } });
    });
    return toToolCall(row);
  }

  /**
   * Records tool calls of started invocations (any number, any invocations) in one statement
   * per thousand rows, and counts the rejected ones on their models, as recordToolCall does one
   * by one: for a writer that batches a tick's records. Every row is validated before anything
   * is written; NotFoundError for an unknown invocation (nothing written). Returns how many.
   */
  async recordToolCalls(inputs: readonly RecordToolCallInput[]): Promise<number> {
    if (inputs.length === 0) return 0;
    const now = this.clock.now();
    const rows = inputs.map((input) => ({ ...toolCallData(input, now), invocationId: checkId("invocation", input.invocationId) }));
    try {
      await inTransaction(this.prisma, async (tx) => {
        for (const chunk of chunks(rows)) {
          await tx.$executeRaw`WITH inserted AS (
              INSERT INTO tool_calls (id, invocation_id, type, tool, arguments, result, accepted, rejection_reason, created_at)
              VALUES ${Prisma.join(
                chunk.map(
                  (r) =>
                    Prisma.sql`(${r.id}::uuid, ${r.invocationId}::uuid, ${r.type ?? null}::"ToolCallType", ${r.tool}, ${jsonText(r.arguments)}::jsonb, ${jsonText(r.result)}::jsonb, ${r.accepted}, ${r.rejectionReason ?? null}, ${r.createdAt}::timestamptz)`,
                ),
              )}
              RETURNING invocation_id, accepted
            ),
            rejected AS (
              SELECT i.model_id, count(*)::int AS n FROM inserted JOIN invocations i ON i.id = inserted.invocation_id WHERE NOT inserted.accepted GROUP BY i.model_id
            )
            UPDATE models SET failed_tool_call_count = models.failed_tool_call_count + rejected.n, updated_at = ${new Date(now)}::timestamptz
            FROM rejected WHERE models.id = rejected.model_id`;
        }
      });
    } catch (error) {
      if (isForeignKeyViolation(error)) throw new NotFoundError("invocation", [...new Set(rows.map((r) => r.invocationId))].join(", "));
      throw error;
    }
    return rows.length;
  }

  /**
   * Finishes many invocations in one transaction (a read, one UPDATE per thousand and the
   * read-back), each as finish would: for a writer that batches a tick's records. Invocations
   * finished already (closed as ABANDONED meanwhile) are left as they are and listed.
   * NotFoundError for an unknown invocation, ValidationError for a finish before its start or
   * an invocation named twice: nothing is written then.
   */
  async finishMany(finishes: readonly InvocationFinish[]): Promise<FinishManyResult> {
    if (finishes.length === 0) return { finished: [], alreadyFinished: [] };
    const now = this.clock.now();
    const rows = finishes.map((f) => {
      const id = checkId("invocation", f.invocationId);
      const finishedAt = toDbTime("finishedAt", f.finish.finishedAt ?? now);
      return { id, finishedAt, input: f.finish, data: finishData(f.finish, finishedAt) };
    });
    const ids = rows.map((r) => r.id);
    if (new Set(ids).size !== ids.length) throw new ValidationError("invalid finishes", [{ path: "invocationId", message: "each invocation at most once a batch" }]);
    return inTransaction(this.prisma, async (tx) => {
      const current = new Map((await tx.invocation.findMany({ where: { id: { in: ids } }, select: { id: true, startedAt: true, finishedAt: true } })).map((c) => [c.id, c]));
      const open: typeof rows = [];
      const alreadyFinished: string[] = [];
      for (const row of rows) {
        const c = current.get(row.id);
        if (c === undefined) throw new NotFoundError("invocation", row.id);
        if (row.finishedAt.getTime() < c.startedAt.getTime()) {
          throw new ValidationError("invalid finish time", [{ path: "finishedAt", message: `must not be before startedAt (invocation ${row.id})` }]);
        }
        if (c.finishedAt !== null) alreadyFinished.push(row.id);
        else {
          row.data.latencyMs ??= Math.min(row.finishedAt.getTime() - c.startedAt.getTime(), 2_147_483_647);
          open.push(row);
        }
      }
      const done: string[] = [];
      for (const chunk of chunks(open)) {
        // A column a finish does not give keeps its value (finish's meaning): each has its "given" flag.
        const updated = await tx.$queryRaw<Array<{ id: string }>>`UPDATE invocations AS i SET
            finished_at = v.finished_at, input_tokens = v.input_tokens, output_tokens = v.output_tokens,
            response = CASE WHEN v.has_response THEN v.response ELSE i.response END,
            response_payload = CASE WHEN v.has_payload THEN v.payload ELSE i.response_payload END,
            steps = CASE WHEN v.has_steps THEN v.steps ELSE i.steps END,
            cost = CASE WHEN v.has_cost THEN v.cost ELSE i.cost END,
            error = v.error, latency_ms = v.latency_ms
          FROM (VALUES ${Prisma.join(
            chunk.map(({ id, input, data }) => {
              const d = data as { response?: string | null; responsePayload?: unknown; steps?: unknown; cost?: string | null; error?: string | null; latencyMs?: number };
              return Prisma.sql`(${id}::uuid, ${data.finishedAt}::timestamptz, ${data.inputTokens}::int, ${data.outputTokens}::int,
                ${input.response !== undefined}::boolean, ${d.response ?? null}::text, ${d.responsePayload !== undefined}::boolean, ${jsonText(d.responsePayload)}::jsonb,
                ${d.steps !== undefined}::boolean, ${jsonText(d.steps)}::jsonb, ${input.cost !== undefined}::boolean, ${d.cost ?? null}::numeric,
                ${d.error ?? null}::text, ${d.latencyMs ?? null}::int)`;
            }),
          )}) AS v(id, finished_at, input_tokens, output_tokens, has_response, response, has_payload, payload, has_steps, steps, has_cost, cost, error, latency_ms)
          WHERE i.id = v.id AND i.finished_at IS NULL
          RETURNING i.id::text AS id`;
        done.push(...updated.map((u) => u.id));
      }
      // Closed meanwhile by another writer (between the read and the update): left as it is.
      const doneSet = new Set(done);
      for (const row of open) if (!doneSet.has(row.id)) alreadyFinished.push(row.id);
      const finished = done.length === 0 ? [] : await tx.invocation.findMany({ where: { id: { in: done } }, include: WITH_TOOL_CALLS });
      const order = new Map(ids.map((id, i) => [id, i]));
      finished.sort((a, b) => order.get(a.id)! - order.get(b.id)!);
      return { finished: finished.map(toInvocation), alreadyFinished };
    });
  }

  /**
   * Records finished invocations with their tool calls in one transaction and counts them
   * (invocations, rejected tool calls) on their models: what start, recordToolCall and
   * finish record, in one statement per model and per thousand rows. For a writer that owns its
   * models (a backtest) and writes a tick's invocations at once. NotFoundError for an
   * unknown model, StateConflictError for an id already recorded. Returns the ids.
   */
  async recordCompleted(inputs: readonly CompletedInvocationInput[]): Promise<string[]> {
    if (inputs.length === 0) return [];
    const now = this.clock.now();
    const invocations: Prisma.InvocationCreateManyInput[] = [];
    const toolCalls: Prisma.ToolCallCreateManyInput[] = [];
    const counts = new Map<string, { invocations: number; failedToolCalls: number }>();
    for (const input of inputs) {
      const modelId = checkId("model", input.modelId);
      const id = input.id === undefined ? globalThis.crypto.randomUUID() : checkId("invocation", input.id);
      const startedAt = toDbTime("startedAt", input.startedAt ?? now);
      const finishedAt = toDbTime("finishedAt", input.finishedAt ?? now);
      if (finishedAt.getTime() < startedAt.getTime()) {
        throw new ValidationError("invalid finish time", [{ path: "finishedAt", message: "must not be before startedAt" }]);
      }
      const data = finishData(input, finishedAt);
      data.latencyMs ??= Math.min(finishedAt.getTime() - startedAt.getTime(), 2_147_483_647);
      invocations.push({ ...(data as Omit<Prisma.InvocationCreateManyInput, "id" | "modelId" | "prompt" | "startedAt">), id, modelId, prompt: checkPrompt(input.prompt), startedAt });
      const count = counts.get(modelId) ?? { invocations: 0, failedToolCalls: 0 };
      count.invocations++;
      for (const call of input.toolCalls ?? []) {
        toolCalls.push({ ...toolCallData(call, finishedAt.getTime()), invocationId: id });
        if (!call.accepted) count.failedToolCalls++;
      }
      counts.set(modelId, count);
    }
    try {
      await inTransaction(this.prisma, async (tx) => {
        for (const [modelId, c] of counts) {
          const { count } = await tx.model.updateMany({
            where: { id: modelId },
            data: { invocationCount: { increment: c.invocations }, failedToolCallCount: { increment: c.failedToolCalls } },
          });
          if (count === 0) throw new NotFoundError("model", modelId);
        }
        // Multi-row INSERTs in SQL: Prisma's createMany costs several times as much per row, and a backtest writes tens of thousands.
        for (const chunk of chunks(invocations)) {
          await tx.$executeRaw`INSERT INTO invocations (id, model_id, prompt, response, response_payload, input_tokens, output_tokens, cost, latency_ms, steps, error, started_at, finished_at)
            VALUES ${Prisma.join(
              chunk.map(
                (r) =>
                  Prisma.sql`(${r.id}::uuid, ${r.modelId}::uuid, ${r.prompt}, ${r.response ?? null}, ${jsonText(r.responsePayload)}::jsonb, ${r.inputTokens ?? 0}, ${r.outputTokens ?? 0}, ${r.cost ?? null}::numeric, ${r.latencyMs ?? null}, ${jsonText(r.steps)}::jsonb, ${r.error ?? null}, ${r.startedAt}::timestamptz, ${r.finishedAt ?? null}::timestamptz)`,
              ),
            )}`;
        }
        for (const chunk of chunks(toolCalls)) {
          await tx.$executeRaw`INSERT INTO tool_calls (id, invocation_id, type, tool, arguments, result, accepted, rejection_reason, created_at)
            VALUES ${Prisma.join(
              chunk.map(
                (r) =>
                  Prisma.sql`(${r.id}::uuid, ${r.invocationId}::uuid, ${r.type ?? null}::"ToolCallType", ${r.tool}, ${jsonText(r.arguments)}::jsonb, ${jsonText(r.result)}::jsonb, ${r.accepted}, ${r.rejectionReason ?? null}, ${r.createdAt}::timestamptz)`,
              ),
            )}`;
        }
      });
    } catch (error) {
      if (isUniqueViolation(error)) throw new StateConflictError("an invocation of the batch is already recorded", "invocation", String(invocations[0]?.id));
      if (isForeignKeyViolation(error)) throw new NotFoundError("model", [...counts.keys()].join(", "));
      throw error;
    }
    return invocations.map((i) => i.id as string);
  }

  /**
   * Closes the invocations no run will finish (their worker died, or their run was cleared as
   * stale): every unfinished invocation started before `startedBefore`, of the given models or
   * all, is finished with the error "ABANDONED: reason", and each counts as a failed workflow
   * on its model, in one statement. Returns them, oldest first. A run that still finishes one
   * later gets StateConflictError from finish (and must not count it again).
   */
  async abandonUnfinished(input: AbandonInvocationsInput): Promise<AbandonedInvocation[]> {
    const before = toDbTime("startedBefore", input.startedBefore);
    const finishedAt = toDbTime("finishedAt", input.finishedAt ?? this.clock.now());
    if (typeof input.reason !== "string" || input.reason.trim() === "") {
      throw new ValidationError("invalid reason", [{ path: "reason", message: "must be a non-empty string" }]);
    }
    const modelIds = input.modelIds?.map((id) => checkId("model", id));
    if (modelIds !== undefined && modelIds.length === 0) return [];
    const models = modelIds === undefined ? Prisma.empty : Prisma.sql`AND model_id IN (SELECT value::uuid FROM json_array_elements_text(${JSON.stringify(modelIds)}::json))`;
    const rows = await this.prisma.$queryRaw<Array<{ id: string; model_id: string; started_at: Date | string }>>`
      WITH abandoned AS (
        UPDATE invocations
        SET finished_at = GREATEST(${finishedAt}::timestamptz, started_at), error = ${ABANDONED_PREFIX + input.reason},
            latency_ms = LEAST(FLOOR(EXTRACT(EPOCH FROM (GREATEST(${finishedAt}::timestamptz, started_at) - started_at)) * 1000), 2147483647)::int
        WHERE finished_at IS NULL AND started_at < ${before}::timestamptz ${models}
        RETURNING id, model_id, started_at
      ),
      counted AS (
        UPDATE models SET failed_workflow_count = failed_workflow_count + a.n, updated_at = ${new Date(this.clock.now())}::timestamptz
        FROM (SELECT model_id, count(*)::int AS n FROM abandoned GROUP BY model_id) AS a
        WHERE models.id = a.model_id
        RETURNING models.id
      )
      SELECT id::text AS id, model_id::text AS model_id, started_at FROM abandoned ORDER BY started_at, id`;
    return rows.map((r) => ({ id: r.id, modelId: r.model_id, startedAt: r.started_at instanceof Date ? r.started_at.getTime() : new Date(r.started_at).getTime() }));
  }

  /** The invocation with its tool calls, or null. */
  async byId(invocationId: string): Promise<InvocationRecord | null> {
    let id: string;
    try {
      id = checkId("invocation", invocationId);
    } catch {
      return null;
    }
    const row = await this.prisma.invocation.findUnique({ where: { id }, include: WITH_TOOL_CALLS });
    return row === null ? null : toInvocation(row);
  }

  /** Invocations newest first (of one model or all), with their tool calls, one page at a time. */
  async list(query: InvocationsQuery = {}): Promise<Page<InvocationRecord>> {
    const limit = checkLimit(query.limit, 20, 200);
    const modelId = query.modelId === undefined ? undefined : checkId("model", query.modelId);
    const where: Prisma.InvocationWhereInput = modelId === undefined ? {} : { modelId };
    if (query.failedOnly === true) where.error = { not: null };
    if (query.cursor) {
      const cursor = decodeInvocationCursor(query.cursor);
      const at = new Date(cursor.startedAt);
      where.OR = [{ startedAt: { lt: at } }, { startedAt: at, id: { lt: cursor.id } }];
    }
    const rows = await this.prisma.invocation.findMany({
      where,
      orderBy: [{ startedAt: "desc" }, { id: "desc" }],
      take: limit + 1,
      include: WITH_TOOL_CALLS,
    });
    const items = rows.slice(0, limit).map(toInvocation);
    const last = items[items.length - 1];
    const nextCursor =
      rows.length > limit && last !== undefined ? Buffer.from(JSON.stringify([last.startedAt, last.id]), "utf8").toString("base64url") : null;
    return { items, nextCursor };
  }

  /**
   * Invocations started in a range (from inclusive, to exclusive), of one model or all,
   * with their tool calls, oldest first (by startedAt, then id); at most `limit`, the
   * newest kept. For reading back a run (a backtest's decisions); pages for a UI come from `list`.
   */
  async history(query: InvocationsHistoryQuery = {}): Promise<InvocationRecord[]> {
    const limit = query.limit ?? 10_000;
    if (!Number.isInteger(limit) || limit < 1 || limit > 100_000) {
      throw new ValidationError("invalid limit", [{ path: "limit", message: "must be an integer in [1, 100000]" }]);
    }
    const rows = await this.prisma.invocation.findMany({
      where: rangeWhere(query),
      orderBy: [{ startedAt: "desc" }, { id: "desc" }],
      take: limit,
      include: WITH_TOOL_CALLS,
    });
    return rows.reverse().map(toInvocation);
  }

  /** How many invocations started in a range (from inclusive, to exclusive), of one model or all, failed only or all. */
  async count(query: InvocationsCountQuery = {}): Promise<number> {
    const where = rangeWhere(query);
    if (query.failedOnly === true) where.error = { not: null };
    return this.prisma.invocation.count({ where });
  }

  /**
   * What the invocations started in a range cost, per model, USD (exact: the sum of the
   * stored numeric(18,8) costs). Every model with an invocation in the range has an entry;
   * invocations without a cost (rule models) count as 0.
   */
  async costByModel(range: TimeRange = {}): Promise<Map<string, Decimal>> {
    const groups = await this.prisma.invocation.groupBy({ by: ["modelId"], where: rangeWhere(range), _sum: { cost: true }, orderBy: { modelId: "asc" } });
    return new Map(groups.map((g) => [g.modelId, g._sum.cost === null ? ZERO : fromDbDecimal(g._sum.cost)]));
  }
}

/** The where clause of a model and a startedAt range (from inclusive, to exclusive). */
function rangeWhere(query: TimeRange & { modelId?: string }): Prisma.InvocationWhereInput {
  const where: Prisma.InvocationWhereInput = {};
  if (query.modelId !== undefined) where.modelId = checkId("model", query.modelId);
  const startedAt: { gte?: Date; lt?: Date } = {};
  if (query.from !== undefined) startedAt.gte = toDbTime("from", query.from);
  if (query.to !== undefined) startedAt.lt = toDbTime("to", query.to);
  if (startedAt.gte !== undefined || startedAt.lt !== undefined) where.startedAt = startedAt;
  return where;
}

function decodeInvocationCursor(text: string): { startedAt: number; id: string } {
  try {
    const [startedAt, id] = JSON.parse(Buffer.from(text, "base64url").toString("utf8")) as [unknown, unknown];
    if (typeof startedAt === "number" && Number.isSafeInteger(startedAt) && typeof id === "string") return { startedAt, id: checkId("invocation", id) };
  } catch {
    // fall through
  }
  throw new ValidationError("invalid cursor", [{ path: "cursor", message: "must be a nextCursor returned by a previous page" }]);
}
