export { type WorkerConfig, type MarketSourceKind, type LogLevel, type SimulatorOverrides, type LighterSettings, DEFAULT_INTERVALS, loadConfig, describeConfig, redactUrl } from "./config.js";
export { type Logger, createLogger, formatLine, SILENT } from "./logger.js";
export { type HealthInputs, type HealthThresholds, DEFAULT_HEALTH_THRESHOLDS, assessHealth } from "./health.js";
export {
  type ModelRunOutcome,
  type RunStatus,
  type ScheduledRun,
  type SchedulerHooks,
  type SchedulerOptions,
  type SchedulerConfig,
  type TickReport,
  type SchedulerHealth,
  Scheduler,
  newWorkerId,
} from "./scheduler.js";
export { type Worker, type StartWorkerOptions, startWorker, createRuntime, createMarket, registryConfigs, modelRowOf, seedModels, serveControlRequests } from "./app.js";
export { type EmbeddedLock, type EmbeddedServer, type ServeEmbeddedOptions, type Connection, lockPathOf, readLock, liveLock, serveEmbedded, connectDatabase } from "./embedded.js";
export { StartupError, describeError, isTransientDatabaseFailure, startupFailure, waitForPostgres } from "./startup.js";
export { USAGE, UsageError, runCli } from "./commands.js";
