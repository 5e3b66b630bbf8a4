#!/usr/bin/env node
// `pnpm start`: builds what the trader needs and runs apps/worker when it exists.
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";

const root = new URL("..", import.meta.url).pathname;
if (!existsSync(`${root}apps/worker/package.json`)) {
  console.log("Autonome: the worker arrives in a later issue. For now `pnpm test` and `pnpm bench` exercise the packages.");
  process.exit(0);
}
const env = { ...process.env, TURBO_TELEMETRY_DISABLED: "1" };
const build = spawnSync("pnpm", ["exec", "turbo", "run", "build", "--filter=@autonome/worker...", "--filter=@autonome/web"], { stdio: "inherit", cwd: root, env });
if (build.status !== 0) process.exit(build.status ?? 1);
const worker = spawnSync("pnpm", ["--filter", "@autonome/worker", "start", ...process.argv.slice(2)], { stdio: "inherit", cwd: root, env });
process.exit(worker.status ?? 1);
