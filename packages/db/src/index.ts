export { type Db, type DbConfig, type DbTarget, type DbTransaction, DEFAULT_DATA_DIR, createDb, dbTargetFromEnv, dropSchema, redactUrl, splitSchemaFromUrl } from "./db.js";
export {
  type Migration,
  type MigrationResult,
  type MigrationSession,
  type SqlConnection,
  migrationChecksum,
  readMigrationsDir,
  runMigrations,
} from "./migrator.js";
export { type MemoryPglite, type MemoryPgliteOptions, type PgliteTemplateSource, openMemoryPglite, pgliteCacheDir, pgliteTemplateKey, saveMemoryPglite } from "./pglite-template.js";
export { type MigrationFailure, MigrationError, type LeaseHolder, LeaseLostError } from "./errors.js";
export {
  type DataDirLock,
  type DataDirLockOwner,
  type LockDataDirOptions,
  DataDirInUseError,
  dataDirLockHolderAlive,
  dataDirLockPath,
  lockDataDir,
  parseDataDirLock,
  readDataDirLock,
} from "./data-dir-lock.js";
export { describeThrown } from "./internal/thrown.js";
export {
  type ModelRecord,
  type ModelInput,
  type ModelCounterIncrements,
  type TradingMode,
  ModelsRepository,
} from "./repositories/models.js";
export {
  type OpenOrder,
  type ClosedOrder,
  type OrderRecord,
  type TriggerOrders,
  type TriggerOrdersInput,
  type OpenPositionInput,
  type ClosePositionInput,
  type ClosePartInput,
  type PartialClose,
  type ClosedTradesQuery,
  type Page,
  OrdersRepository,
} from "./repositories/orders.js";
export {
  type InvocationRecord,
  type ToolCallRecord,
  type StartInvocationInput,
  type FinishInvocationInput,
  type FinishManyResult,
  type InvocationFinish,
  type RecordToolCallInput,
  type CompletedInvocationInput,
  type InvocationsQuery,
  type InvocationsHistoryQuery,
  type InvocationsCountQuery,
  type AbandonInvocationsInput,
  type AbandonedInvocation,
  ABANDONED_PREFIX,
  InvocationsRepository,
} from "./repositories/invocations.js";
export {
  type PortfolioSnapshotRecord,
  type RecordSnapshotInput,
  type TimeRange,
  type ThinningPolicy,
  type ThinningResult,
  PortfolioSnapshotsRepository,
} from "./repositories/portfolio-snapshots.js";
export { type LeaderboardInput, type ClosedTradeStats, type LedgerTrade, type LedgerCursor, type ModelStanding, LeaderboardRepository } from "./repositories/leaderboard.js";
export { type LeaseRecord, type LeaseGrant, type LeaseTicket, LeasesRepository } from "./repositories/leases.js";
export { type WorkerHeartbeatRecord, type WorkerHeartbeatInput, WorkerHeartbeatsRepository } from "./repositories/worker-heartbeats.js";
export { type ControlRequestRecord, ControlRequestsRepository } from "./repositories/control-requests.js";
export { type NotificationTransport } from "./internal/notifications.js";
export {
  type EventChannel,
  type ReceivedEvent,
  type TruncatedEvent,
  EVENT_CHANNEL,
  MAX_EVENT_PAYLOAD_BYTES,
  createEventChannel,
  encodeEvent,
  decodeEvent,
} from "./events/event-channel.js";
export { bundledMigrations } from "../generated/migrations.js";
