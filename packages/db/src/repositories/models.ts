/**
 * Models: the arena's trading models, one row per (name, variant). Counters are
 * incremented atomically in SQL, so concurrent workers never lose an increment.
 */
import { type Clock, NotFoundError, StateConflictError, ValidationError } from "@autonome/core";
import type { Model as ModelRow } from "../../generated/prisma/client.js";
import { checkCount, checkId, checkText, fromDbTime, toDbTime } from "../internal/convert.js";
import type { DbClient } from "../internal/client.js";
import { isUniqueViolation } from "../internal/prisma-errors.js";

/** Where a model's orders go: the simulator or Lighter. */
export type TradingMode = "SIM" | "LIVE";

/** A trading model as stored. */
export interface ModelRecord {
  id: string;
  name: string;
  provider: string;
  modelName: string;
  variant: string;
  enabled: boolean;
  /** Why the worker paused it (configuration errors), or null. */
  pausedReason: string | null;
  /** Null: the global default (IS_SIMULATION_ENABLED) applies. */
  mode: TradingMode | null;
  /** Lighter account index for live mode. */
  accountIndex: number | null;
  invocationCount: number;
  failedWorkflowCount: number;
  failedToolCallCount: number;
  /** Epoch ms. */
  createdAt: number;
  /** Epoch ms. */
  updatedAt: number;
}

/** What defines a model; `name` + `variant` identify it. */
export interface ModelInput {
  name: string;
  provider: string;
  modelName: string;
  /** Strategy variant; defaults to "default". */
  variant?: string;
  /** Defaults to true on create; left unchanged by upsert when omitted. */
  enabled?: boolean;
  /** Null or omitted: follow the global default. */
  mode?: TradingMode | null;
  accountIndex?: number | null;
}

/** Counter increments; each defaults to 0. */
export interface ModelCounterIncrements {
  invocations?: number;
  failedWorkflows?: number;
  failedToolCalls?: number;
}

function toRecord(row: ModelRow): ModelRecord {
  return {
    id: row.id,
    name: row.name,
    provider: row.provider,
    modelName: row.modelName,
    variant: row.variant,
    enabled: row.enabled,
    pausedReason: row.pausedReason,
    mode: row.mode,
    accountIndex: row.accountIndex === null ? null : Number(row.accountIndex),
    invocationCount: row.invocationCount,
    failedWorkflowCount: row.failedWorkflowCount,
    failedToolCallCount: row.failedToolCallCount,
    createdAt: fromDbTime(row.createdAt),
    updatedAt: fromDbTime(row.updatedAt),
  };
}

const MAX_ACCOUNT_INDEX = 2 ** 48;

function checkInput(input: ModelInput) {
  const name = checkText("name", input.name, 200);
  const variant = checkText("variant", input.variant ?? "default", 200);
  const provider = checkText("provider", input.provider, 200);
  const modelName = checkText("modelName", input.modelName, 200);
  if (input.enabled !== undefined && typeof input.enabled !== "boolean") {
    throw new ValidationError("invalid model", [{ path: "enabled", message: "must be a boolean" }]);
  }
  const mode = input.mode ?? null;
  if (mode !== null && mode !== "SIM" && mode !== "LIVE") {
    throw new ValidationError("invalid model", [{ path: "mode", message: 'must be "SIM", "LIVE" or null' }]);
  }
  const accountIndex = input.accountIndex ?? null;
  if (accountIndex !== null) checkCount("accountIndex", accountIndex, MAX_ACCOUNT_INDEX);
  return { name, variant, provider, modelName, mode, accountIndex: accountIndex === null ? null : BigInt(accountIndex) };
}

/** Reads and writes the Models table. */
export class ModelsRepository {
  constructor(
    private readonly prisma: DbClient,
    private readonly clock: Clock,
  ) {}

  /** Creates a model; StateConflictError when (name, variant) exists. */
  async create(input: ModelInput): Promise<ModelRecord> {
    const data = checkInput(input);
    try {
      return toRecord(await this.prisma.model.create({ data: { ...data, enabled: input.enabled ?? true, createdAt: toDbTime("createdAt", this.clock.now()) } }));
    } catch (error) {
      if (isUniqueViolation(error)) {
        throw new StateConflictError(`model ${data.name}/${data.variant} already exists`, "model", `${data.name}/${data.variant}`);
      }
      throw error;
    }
  }

  /** Creates the model or updates its definition, keyed by (name, variant); keeps `enabled` unless given. */
  async upsert(input: ModelInput): Promise<ModelRecord> {
    const data = checkInput(input);
    const row = await this.prisma.model.upsert({
      where: { name_variant: { name: data.name, variant: data.variant } },
      create: { ...data, enabled: input.enabled ?? true, createdAt: toDbTime("createdAt", this.clock.now()) },
      update: {
        provider: data.provider,
        modelName: data.modelName,
        mode: data.mode,
        accountIndex: data.accountIndex,
        ...(input.enabled === undefined ? {} : { enabled: input.enabled }),
      },
    });
    return toRecord(row);
  }

  /** The model with this id, or null. */
  async byId(id: string): Promise<ModelRecord | null> {
    let checked: string;
    try {
      checked = checkId("model", id);
    } catch {
      return null;
    }
    const row = await this.prisma.model.findUnique({ where: { id: checked } });
    return row === null ? null : toRecord(row);
  }

  /** The model with this id; NotFoundError when there is none. */
  async require(id: string): Promise<ModelRecord> {
    const model = await this.byId(id);
    if (model === null) throw new NotFoundError("model", String(id));
    return model;
  }

  /** The model named so (variant defaults to "default"), or null. */
  async byName(name: string, variant = "default"): Promise<ModelRecord | null> {
    const row = await this.prisma.model.findUnique({ where: { name_variant: { name, variant } } });
    return row === null ? null : toRecord(row);
  }

  /** Every model, by name then variant. */
  async list(): Promise<ModelRecord[]> {
    const rows = await this.prisma.model.findMany({ orderBy: [{ name: "asc" }, { variant: "asc" }] });
    return rows.map(toRecord);
  }

  /** The models the worker runs, by name then variant. */
  async listEnabled(): Promise<ModelRecord[]> {
    const rows = await this.prisma.model.findMany({ where: { enabled: true }, orderBy: [{ name: "asc" }, { variant: "asc" }] });
    return rows.map(toRecord);
  }

  /**
   * Enables or pauses a model; NotFoundError when it does not exist. A pause may say why (the
   * worker's, after configuration errors); enabling clears the reason.
   */
  async setEnabled(id: string, enabled: boolean, reason?: string | null): Promise<ModelRecord> {
    const checked = checkId("model", id);
    const pausedReason = enabled ? null : reason === undefined || reason === null ? null : checkText("reason", reason, 1000);
    const { count } = await this.prisma.model.updateMany({ where: { id: checked }, data: { enabled, pausedReason } });
    if (count === 0) throw new NotFoundError("model", checked);
    return this.require(checked);
  }

  /** Adds to the model's counters atomically; NotFoundError when it does not exist. */
  async incrementCounters(id: string, increments: ModelCounterIncrements): Promise<ModelRecord> {
    const checked = checkId("model", id);
    const invocations = checkCount("invocations", increments.invocations ?? 0);
    const failedWorkflows = checkCount("failedWorkflows", increments.failedWorkflows ?? 0);
    const failedToolCalls = checkCount("failedToolCalls", increments.failedToolCalls ?? 0);
    const { count } = await this.prisma.model.updateMany({
      where: { id: checked },
      data: {
        invocationCount: { increment: invocations },
        failedWorkflowCount: { increment: failedWorkflows },
        failedToolCallCount: { increment: failedToolCalls },
      },
    });
    if (count === 0) throw new NotFoundError("model", checked);
    return this.require(checked);
  }

  /** Counts one failed trade workflow (crash, timeout) of the model. */
  async recordFailedWorkflow(id: string): Promise<ModelRecord> {
    return this.incrementCounters(id, { failedWorkflows: 1 });
  }
}
