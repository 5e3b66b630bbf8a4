/**
 * Test support (not exported): the worker as a child process, the way `pnpm start` runs
 * it, with its stdout and stderr collected line by line (stderr alone in `errors`; exited
 * waits for "close": the exit code once all output is read; `options` runs it as another user).
 */
import { type ChildProcess, spawn } from "node:child_process";
import { join } from "node:path";

/** A worker process and what it printed so far. */
export interface RunningWorker {
  child: ChildProcess;
  lines: string[];
  errors: string[];
  exited: Promise<number | null>;
}

const appDir = join(import.meta.dirname, "..", "..");

/** Starts `src/main.ts` through tsx in apps/worker with `env` over this process's environment. */
export function startWorkerProcess(env: Record<string, string>, options: { uid?: number; gid?: number } = {}): RunningWorker {
  const child = spawn(process.execPath, ["--import", "tsx", join(appDir, "src/main.ts")], { cwd: appDir, env: { ...process.env, ...env }, stdio: ["ignore", "pipe", "pipe"], ...options });
  const lines: string[] = [];
  let buffer = "";
  const onData = (chunk: Buffer) => {
    buffer += chunk.toString("utf8");
    const parts = buffer.split("\n");
    buffer = parts.pop()!;
    lines.push(...parts);
  };
  child.stdout.on("data", onData);
  child.stderr.on("data", onData);
  const errors: string[] = [];
  let errorBuffer = "";
  child.stderr.on("data", (chunk: Buffer) => {
    errorBuffer += chunk.toString("utf8");
    const parts = errorBuffer.split("\n");
    errorBuffer = parts.pop()!;
    errors.push(...parts);
  });
  return { child, lines, errors, exited: new Promise((resolve) => child.on("close", (code) => resolve(code))) };
}
