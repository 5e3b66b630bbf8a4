/** Maps Prisma's known request errors to core's typed errors. */
import { NotFoundError, StateConflictError } from "@autonome/core";

function prismaCode(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === "string" && /^P\d{4}$/.test(code) ? code : undefined;
}

/** PostgreSQL's SQLSTATE of a failed raw query (P2010), as the driver adapter reports it. */
function rawSqlState(error: unknown): string | undefined {
  if (prismaCode(error) !== "P2010") return undefined;
  const code = (error as { meta?: { driverAdapterError?: { cause?: { originalCode?: unknown } } } }).meta?.driverAdapterError?.cause?.originalCode;
  return typeof code === "string" ? code : undefined;
}

/** Whether the error is a unique-constraint violation (P2002, or 23505 from raw SQL). */
export function isUniqueViolation(error: unknown): boolean {
  return prismaCode(error) === "P2002" || rawSqlState(error) === "23505";
}

/** Whether the error is a foreign-key violation (P2003, or 23503 from raw SQL). */
export function isForeignKeyViolation(error: unknown): boolean {
  return prismaCode(error) === "P2003" || rawSqlState(error) === "23503";
}

/** Whether the error says the row to update or delete does not exist (P2025). */
export function isRecordMissing(error: unknown): boolean {
  return prismaCode(error) === "P2025";
}

/** Rethrows a Prisma error as NotFoundError / StateConflictError where it means one; otherwise as is. */
export function translatePrismaError(error: unknown, entity: string, id: string): never {
  if (isRecordMissing(error) || isForeignKeyViolation(error)) throw new NotFoundError(entity, id);
  if (isUniqueViolation(error)) throw new StateConflictError(`${entity} ${id} already exists`, entity, id);
  throw error;
}
