/**
 * Test support (not exported): the worker as a child process, the way `pnpm start` runs
 * it, with its stdout and stderr collected line by line (stderr alone in `errors` too).
 */
import { type ChildProcess, spawn } from "node:child_process";
import { join } from "node:path";

/** A worker process and what it printed so far. */
export interface RunningWorker {
  child: ChildProcess;
  lines: string[];
  /** stderr alone. */
  errors: string[];
  /** Resolves once the process exited and everything it printed has been read. */
  exited: Promise<number | null>;
}

const appDir = join(import.meta.dirname, "..", "..");

/** Options of startWorkerProcess: run as this user and group (as root, to test permissions). */
export interface WorkerProcessOptions {
  uid?: number;
  gid?: number;
}

/** Starts `src/main.ts` through tsx in apps/worker with `env` over this process's environment. */
export function startWorkerProcess(env: Record<string, string>, options: WorkerProcessOptions = {}): RunningWorker {
  const child = spawn(process.execPath, ["--import", "tsx", join(appDir, "src/main.ts")], { cwd: appDir, env: { ...process.env, ...env }, stdio: ["ignore", "pipe", "pipe"], ...options });
  const lines: string[] = [];
  let buffer = "";
  const onData = (chunk: Buffer) => {
    buffer += chunk.toString("utf8");
    const parts = buffer.split("\n");
    buffer = parts.pop()!;
    lines.push(...parts);
  };
  child.stdout!.on("data", onData);
  child.stderr!.on("data", onData);
  const errors: string[] = [];
  let errorBuffer = "";
  child.stderr!.on("data", (chunk: Buffer) => {
    errorBuffer += chunk.toString("utf8");
    const parts = errorBuffer.split("\n");
    errorBuffer = parts.pop()!;
    errors.push(...parts);
  });
  // "close" comes after "exit" once stdout and stderr are drained.
  return { child, lines, errors, exited: new Promise((resolve) => child.on("close", (code) => resolve(code))) };
}
