/**
 * The client a repository runs on: the Prisma client, or the transaction client of
 * `db.transaction`, where every call joins the caller's transaction instead of
 * opening one of its own (a nested one would need savepoints, which the PGlite
 * adapter does not implement, and would not be needed anyway).
 */
import type { Prisma, PrismaClient } from "../../generated/prisma/client.js";

/** The Prisma client or a transaction client. */
export type DbClient = PrismaClient | Prisma.TransactionClient;

const openTransactions = new WeakSet<object>();

/**
 * Limits of every interactive transaction. Prisma's defaults (wait 2 s for a
 * connection, run 5 s) fail healthy writes on a busy machine or a full pool; a
 * repository transaction is short, so waiting longer is safe, never a deadlock.
 */
export const TRANSACTION_LIMITS = { maxWait: 10_000, timeout: 15_000 } as const;

/** Marks a transaction client so repository calls on it join its transaction. */
export function markTransaction(tx: Prisma.TransactionClient): Prisma.TransactionClient {
  openTransactions.add(tx);
  return tx;
}

/** Runs `fn` in a transaction: the one the client already is, or a new one. */
export function inTransaction<T>(client: DbClient, fn: (tx: Prisma.TransactionClient) => Promise<T>): Promise<T> {
  if (openTransactions.has(client) || !("$transaction" in client)) return fn(client);
  return (client as PrismaClient).$transaction(fn, TRANSACTION_LIMITS);
}
