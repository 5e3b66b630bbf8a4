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
  /** Resolves once the exit code is known and everything printed has been read. */
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
  const errors: string[] = [];
  const reader = (also: string[] | null) => {
    let buffer = "";
    const onData = (chunk: Buffer) => {
      buffer += chunk.toString("utf8");
      const parts = buffer.split("\n");
      buffer = parts.pop()!;
      lines.push(...parts);
      also?.push(...parts);
    };
    const onEnd = () => {
      if (buffer !== "") onData(Buffer.from("\n"));
    };
    return { onData, onEnd };
  };
  const out = reader(null);
  const err = reader(errors);
  child.stdout!.on("data", out.onData);
  child.stderr!.on("data", err.onData);
  const read = (stream: NodeJS.ReadableStream, onEnd: () => void) => new Promise<void>((resolve) => stream.on("close", () => (onEnd(), resolve())));
  const exit = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
  return { child, lines, errors, exited: Promise.all([exit, read(child.stdout!, out.onEnd), read(child.stderr!, err.onEnd)]).then(([code]) => code) };
}
