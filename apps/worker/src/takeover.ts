/**
 * Taking over the leases of dead workers at start-up, so a restarted worker does not wait
 * one lease TTL for its own dead predecessor. Only a holder that is provably dead loses
 * its leases: with the embedded database every other holder (the data directory lock
 * proves this process is the only one on it); with PostgreSQL a holder on this host
 * whose process is gone (worker ids are host-pid-random, see newWorkerId).
 */
import { hostname } from "node:os";
import type { Db } from "@autonome/db";

/** Whether `pid` names a process on this host (EPERM: it exists but is not ours). */
export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}

/** The pid of a worker id made on this host, or null (another host, or another format). */
export function localPidOf(workerId: string, host = hostname()): number | null {
  const prefix = `${host}-`;
  if (!workerId.startsWith(prefix)) return null;
  const match = /^(\d+)-[0-9a-f]{8}$/.exec(workerId.slice(prefix.length));
  if (!match) return null;
  const pid = Number(match[1]);
  return Number.isSafeInteger(pid) && pid > 0 ? pid : null;
}

/** Whether the holder of a lease is provably dead, as the module header says. */
export function holderIsDead(holder: string, self: string, embedded: boolean, alive: (pid: number) => boolean = processAlive): boolean {
  if (holder === self) return false;
  if (embedded) return true;
  const pid = localPidOf(holder);
  return pid !== null && pid !== process.pid && !alive(pid);
}

/** Releases the leases of dead holders; returns the models freed with their former holder. */
export async function takeOverDeadLeases(db: Db, self: string, embedded: boolean, alive: (pid: number) => boolean = processAlive): Promise<{ modelId: string; workerId: string }[]> {
  const leases = await db.leases.list();
  const dead = [...new Set(leases.map((l) => l.workerId))].filter((w) => holderIsDead(w, self, embedded, alive));
  for (const holder of dead) await db.leases.release(holder);
  return leases.filter((l) => dead.includes(l.workerId)).map((l) => ({ modelId: l.modelId, workerId: l.workerId }));
}
