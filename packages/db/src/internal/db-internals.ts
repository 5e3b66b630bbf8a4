/**
 * What an open Db keeps to itself: its Prisma client and where it lives. The public `Db`
 * interface offers repositories only; code inside this package (its tests, the
 * `@autonome/db/testing` helpers) reaches the client through `internalsOf`.
 *
 * The internals hang on the Db object under a `Symbol.for` key, not in a module-level
 * map: the CommonJS build bundles each entry (main and `./testing`) with its own copy of
 * this module, and a registered symbol is the same in both.
 */
import type { PrismaClient } from "../../generated/prisma/client.js";

const INTERNALS = Symbol.for("@autonome/db.internals");

/** An open database's Prisma client and location. */
export interface DbInternals {
  readonly prisma: PrismaClient;
  readonly kind: "postgres" | "pglite";
  /** The PostgreSQL schema it was opened in; null for the default one (and for PGlite). */
  readonly schema: string | null;
}

/** Attaches the internals to a Db object (not enumerable: logs and equality checks never see them). */
export function attachInternals<T extends object>(db: T, internals: DbInternals): T {
  Object.defineProperty(db, INTERNALS, { value: internals, enumerable: false, writable: false, configurable: false });
  return db;
}

/** The internals of a Db opened by createDb; TypeError for any other object. */
export function internalsOf(db: object): DbInternals {
  const internals = (db as { [INTERNALS]?: DbInternals })[INTERNALS];
  if (internals === undefined) throw new TypeError("not a Db opened by createDb of @autonome/db");
  return internals;
}

/** The Prisma client of a Db (for this package's own tests and helpers). */
export function prismaOf(db: object): PrismaClient {
  return internalsOf(db).prisma;
}
