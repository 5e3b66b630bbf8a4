/** `autonome data download`: argument parsing and the run. */
import { isAbsolute, resolve } from "node:path";
import { DEFAULT_BINANCE_URL, DEFAULT_LIGHTER_URL, downloadHistory } from "./download.js";

/** Help text of `autonome data`. */
export const DATA_USAGE = `usage: autonome data download [options]
  --source binance|lighter   Binance USD-M public archives (default) or Lighter REST
  --symbols BTC,ETH,...      market symbols (default BTC,ETH,SOL,BNB,XRP,DOGE)
  --from YYYY-MM-DD          first day (UTC)
  --to YYYY-MM-DD            last day, inclusive (UTC)
  --out DIR                  output directory (default ./data/history); raw archives
                             are kept in DIR/raw so a rerun resumes and skips verified files
  --binance-url URL          default ${DEFAULT_BINANCE_URL}
  --lighter-url URL          default ${DEFAULT_LIGHTER_URL}
Then: pnpm backtest --data DIR`;

/** Runs `autonome data <command> ...`; returns the exit code. */
export async function runDataCommand(argv: string[], out: (line: string) => void = console.log, cwd = process.env.INIT_CWD ?? process.cwd()): Promise<number> {
  const [command, ...rest] = argv;
  if (command !== "download" || rest.includes("--help")) {
    out(DATA_USAGE);
    return command === undefined || command === "help" || command === "--help" || rest.includes("--help") ? 0 : 2;
  }
  const opt = (name: string): string | undefined => {
    const i = rest.indexOf(name);
    return i >= 0 ? rest[i + 1] : undefined;
  };
  const fail = (message: string): number => {
    out(`autonome data: ${message}\n${DATA_USAGE}`);
    return 2;
  };
  const source = opt("--source") ?? "binance";
  if (source !== "binance" && source !== "lighter") return fail(`--source ${source} is binance or lighter`);
  const from = opt("--from");
  const to = opt("--to");
  if (!from || !/^\d{4}-\d{2}-\d{2}$/.test(from)) return fail("--from YYYY-MM-DD is required");
  if (!to || !/^\d{4}-\d{2}-\d{2}$/.test(to)) return fail("--to YYYY-MM-DD is required");
  const fromMs = Date.parse(`${from}T00:00:00Z`);
  const toMs = Date.parse(`${to}T00:00:00Z`) + 86_400_000;
  if (!(toMs > fromMs)) return fail("--to must not be before --from");
  const symbols = (opt("--symbols") ?? "BTC,ETH,SOL,BNB,XRP,DOGE").split(",").map((s) => s.trim().toUpperCase().replace(/USDT$/, "")).filter(Boolean);
  const dir = opt("--out") ?? "data/history";
  const outDir = isAbsolute(dir) ? dir : resolve(cwd, dir);
  const binanceUrl = opt("--binance-url");
  const lighterUrl = opt("--lighter-url");
  const result = await downloadHistory({
    source,
    symbols,
    fromMs,
    toMs,
    outDir,
    ...(binanceUrl ? { binanceUrl } : {}),
    ...(lighterUrl ? { lighterUrl } : {}),
    log: (line) => process.stderr.write(`${line}\n`),
  });
  const fetched = result.files.filter((f) => f.status === "downloaded").length;
  const skipped = result.files.filter((f) => f.status === "skipped").length;
  out(`${result.klineRows} kline rows -> ${result.klinesFile}`);
  out(`${result.fundingRows} funding rows -> ${result.fundingFile}`);
  if (result.files.length > 0) out(`${fetched} archives downloaded, ${skipped} already verified`);
  return 0;
}
