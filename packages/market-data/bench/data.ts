/**
 * The history the replay bench runs on. A data directory (`--data DIR` or the
 * AUTONOME_DATA_DIR environment variable), such as the output of `pnpm autonome data
 * download`, gives recorded one-minute klines: the BTC rows of its kline CSVs (plain
 * or gzip, long format or one symbol a file) and its `*funding*` CSVs. Without one,
 * the bench writes a deterministic synthetic market of the same size (seed
 * "autonome", BTC, 30 days of minutes) and runs on that.
 */
import { readdirSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { SYNTHETIC_MINUTES, SYNTHETIC_SEED } from "../../../scripts/bench-data.js";
import { writeSyntheticHistory } from "../src/index.js";
import { marketSymbolOf, pairInFileName, readTextLines } from "../src/replay/text-file.js";

/** One symbol's klines and funding, and a line saying where they come from. */
export interface BenchData {
  klines: string[];
  funding: string[];
  label: string;
}

/** BTC's klines and funding from `dir`, or, without a directory, a synthetic BTC history written under `scratch`. */
export async function btcHistory(dir: string | undefined, scratch: string): Promise<BenchData> {
  if (dir === undefined) {
    const history = await writeSyntheticHistory({ directory: scratch, seed: SYNTHETIC_SEED, minutes: SYNTHETIC_MINUTES, symbols: ["BTC"] });
    // Gzip it like recorded and downloaded files, so loading costs the same kind of work.
    const klines = join(scratch, "BTC-synthetic-1m.csv.gz");
    writeFileSync(klines, gzipSync(readTextLines(history.klines).lines.join("\n")));
    return { klines: [klines], funding: [history.funding], label: `synthetic (seed ${SYNTHETIC_SEED}, 1 symbol x ${SYNTHETIC_MINUTES} min)` };
  }
  if (!statSync(dir, { throwIfNoEntry: false })?.isDirectory()) throw new Error(`data directory ${dir} does not exist`);
  const csv = readdirSync(dir).filter((f) => /\.csv(\.gz)?$/.test(f)).sort();
  const funding = csv.filter((f) => /funding/i.test(f)).map((f) => join(dir, f));
  const klines = csv.filter((f) => !/funding/i.test(f)).flatMap((f, i) => btcRows(join(dir, f), join(scratch, `btc-${i}.csv.gz`)));
  if (klines.length === 0) throw new Error(`no BTC one-minute klines in ${dir} (run pnpm autonome data download --symbols BTC ...)`);
  return { klines, funding, label: `${dir} (recorded)` };
}

/** A one-symbol BTC file as is; the BTC rows of a long-format file, written to `out`; nothing otherwise. */
function btcRows(file: string, out: string): string[] {
  const { lines } = readTextLines(file);
  const column = (lines[0] ?? "").split(",").map((c) => c.trim().toLowerCase()).indexOf("symbol");
  if (column < 0) return marketSymbolOf(pairInFileName(file) ?? "") === "BTC" ? [file] : [];
  const rows = lines.slice(1).filter((line) => marketSymbolOf(line.split(",")[column] ?? "") === "BTC");
  if (rows.length === 0) return [];
  writeFileSync(out, gzipSync(`${[lines[0]!, ...rows].join("\n")}\n`));
  return [out];
}
