/**
 * Local season worker processes: `autonome season worker` children of this process,
 * one per core by default, each a separate Node process taking jobs from the same
 * queue (so a season uses every core, and the same code runs on other machines).
 */
import { type ChildProcess, spawn } from "node:child_process";
import { createWriteStream, existsSync, type WriteStream } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

/** The node arguments that run the `autonome` CLI from wherever this module is (dist/cli.js, or src/cli.ts through tsx). */
export function cliCommand(): string[] {
  const here = dirname(fileURLToPath(import.meta.url));
  for (const dir of [here, dirname(here)]) {
    if (existsSync(join(dir, "cli.js"))) return [join(dir, "cli.js")];
    if (existsSync(join(dir, "cli.ts"))) return ["--import", import.meta.resolve("tsx"), join(dir, "cli.ts")];
  }
  throw new Error(`the autonome CLI was not found near ${here}`);
}

/** Local worker processes. */
export interface WorkerProcesses {
  readonly children: ChildProcess[];
  /** Children still running. */
  alive(): number;
  /** Process ids of the children that have exited (by themselves, killed, or stopped). */
  exited(): number[];
  /** SIGTERM to each (a run in progress goes back to the queue), then waits for them to exit (SIGKILL after `timeoutMs`). */
  stop(timeoutMs?: number): Promise<void>;
}

/** Starts `count` `autonome season worker` processes with `args`, the season database in their environment, output appended to `logFile`. */
export function startWorkerProcesses(count: number, options: { args: string[]; databaseUrl: string; logFile: string; env?: NodeJS.ProcessEnv }): WorkerProcesses {
  const command = cliCommand();
  const log: WriteStream = createWriteStream(options.logFile, { flags: "a" });
  const children: ChildProcess[] = [];
  const exited = new Set<ChildProcess>();
  for (let i = 0; i < count; i++) {
    const child = spawn(process.execPath, [...command, "season", "worker", ...options.args], {
      env: { ...(options.env ?? process.env), DATABASE_URL: options.databaseUrl },
      stdio: ["ignore", "pipe", "pipe"],
    });
    child.stdout?.pipe(log, { end: false });
    child.stderr?.pipe(log, { end: false });
    child.once("exit", () => exited.add(child));
    children.push(child);
  }
  return {
    children,
    alive: () => children.length - exited.size,
    exited: () => [...exited].flatMap((child) => (child.pid === undefined ? [] : [child.pid])),
    async stop(timeoutMs = 15_000) {
      const waits = children.map((child) =>
        exited.has(child)
          ? Promise.resolve()
          : new Promise<void>((resolve) => {
              child.once("exit", () => resolve());
              child.kill("SIGTERM");
              setTimeout(() => {
                if (!exited.has(child)) child.kill("SIGKILL");
              }, timeoutMs).unref();
            }),
      );
      await Promise.all(waits);
      await new Promise<void>((resolve) => log.end(() => resolve()));
    },
  };
}
