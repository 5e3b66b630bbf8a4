/**
 * Test support (not exported): the worker as a child process, the way `pnpm start` runs
 * it, with its stdout and stderr collected line by line.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { join } from "node:path";

/** A worker process and what it printed so far. */
export interface RunningWorker {
  child: ChildProcess;
  lines: string[];
  exited: Promise<number | null>;
}

const appDir = join(import.meta.dirname, "..", "..");

/** Starts `src/main.ts` through tsx in apps/worker with `env` over this process's environment. */
export function startWorkerProcess(env: Record<string, string>): RunningWorker {
  const child = spawn(process.execPath, ["--import", "tsx", join(appDir, "src/main.ts")], { cwd: appDir, env: { ...process.env, ...env }, stdio: ["ignore", "pipe", "pipe"] });
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
  return { child, lines, exited: new Promise((resolve) => child.on("exit", (code) => resolve(code))) };
}
