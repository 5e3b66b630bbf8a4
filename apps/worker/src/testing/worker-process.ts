/**
 * Test support (not exported): the worker as a child process, the way `pnpm start` runs
 * it, with its stdout and stderr collected line by line (together in `lines`, stderr
 * alone in `errors`).
 */
import { type ChildProcess, spawn } from "node:child_process";
import { join } from "node:path";

/** A worker process and what it printed so far. */
export interface RunningWorker {
  child: ChildProcess;
  /** stdout and stderr, interleaved as they came. */
  lines: string[];
  /** stderr alone. */
  errors: string[];
  exited: Promise<number | null>;
}

const appDir = join(import.meta.dirname, "..", "..");

/** Options of startWorkerProcess. */
export interface WorkerProcessOptions {
  /** Run as this user and group (the test runs as root and needs permissions to apply). */
  uid?: number;
  gid?: number;
}

/** Starts `src/main.ts` through tsx in apps/worker with `env` over this process's environment. */
export function startWorkerProcess(env: Record<string, string>, options: WorkerProcessOptions = {}): RunningWorker {
  const child = spawn(process.execPath, ["--import", "tsx", join(appDir, "src/main.ts")], {
    cwd: appDir,
    env: { ...process.env, ...env },
    stdio: ["ignore", "pipe", "pipe"],
    ...(options.uid === undefined ? {} : { uid: options.uid }),
    ...(options.gid === undefined ? {} : { gid: options.gid }),
  });
  const lines: string[] = [];
  const errors: string[] = [];
  const collect = (target: string[] | null) => {
    let buffer = "";
    return {
      data(chunk: Buffer) {
        buffer += chunk.toString("utf8");
        const parts = buffer.split("\n");
        buffer = parts.pop()!;
        lines.push(...parts);
        target?.push(...parts);
      },
      end() {
        if (buffer === "") return;
        lines.push(buffer);
        target?.push(buffer);
        buffer = "";
      },
    };
  };
  const out = collect(null);
  const err = collect(errors);
  child.stdout!.on("data", out.data);
  child.stderr!.on("data", err.data);
  const closed = (stream: NodeJS.ReadableStream, end: () => void) => new Promise<void>((resolve) => stream.on("close", () => (end(), resolve())));
  const streamsClosed = Promise.all([closed(child.stdout!, out.end), closed(child.stderr!, err.end)]);
  const exit = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
  // Resolves once the exit code is known and everything printed has been read.
  return { child, lines, errors, exited: Promise.all([exit, streamsClosed]).then(([code]) => code) };
}
