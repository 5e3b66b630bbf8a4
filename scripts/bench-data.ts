/**
 * The data-directory option of the benchmarks that replay weeks of history (market-data's
 * replay bench, the worker's backtest bench): `--data DIR` (or `--data=DIR`) or the
 * AUTONOME_DATA_DIR environment variable, a directory `pnpm autonome data download`
 * fills. Without one, each bench writes a deterministic synthetic market of this size.
 */
import { resolve } from "node:path";

/** The seed of the synthetic history a bench runs on when it has no data directory. */
export const SYNTHETIC_SEED = "autonome";
/** Minutes of the synthetic history: 30 days, as the recorded month. */
export const SYNTHETIC_MINUTES = 30 * 24 * 60;

/** The data directory named by `--data DIR` (or `--data=DIR`) or AUTONOME_DATA_DIR, if any. */
export function dataDirOption(argv: readonly string[] = process.argv.slice(2), env: NodeJS.ProcessEnv = process.env): string | undefined {
  const args = argv.filter((a) => a !== "--");
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    if (arg === "--data") {
      const value = args[i + 1];
      if (value === undefined || value.startsWith("--")) throw new Error("--data needs a directory");
      return resolve(value);
    }
    if (arg.startsWith("--data=")) return resolve(arg.slice("--data=".length));
    throw new Error(`unknown option ${arg}; the bench takes --data DIR (or AUTONOME_DATA_DIR)`);
  }
  return env.AUTONOME_DATA_DIR ? resolve(env.AUTONOME_DATA_DIR) : undefined;
}
