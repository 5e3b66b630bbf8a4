/**
 * The history the worker's benches replay: the data directory of `--data DIR` or
 * AUTONOME_DATA_DIR when there is one, else a deterministic synthetic market of the same
 * size written under `out`. Prints the `data:` line saying which.
 */
import { join } from "node:path";
import { writeSyntheticHistory } from "@autonome/market-data";
import { SYNTHETIC_MINUTES, SYNTHETIC_SEED, dataDirOption } from "../../../scripts/bench-data.js";

/** The directory of kline (and funding) CSVs a bench replays. */
export async function benchHistoryDir(out: string): Promise<string> {
  const dataDir = dataDirOption();
  if (dataDir !== undefined) {
    console.log(`data: ${dataDir} (recorded)`);
    return dataDir;
  }
  const generated = performance.now();
  const directory = join(out, "synthetic");
  const history = await writeSyntheticHistory({ directory, seed: SYNTHETIC_SEED, minutes: SYNTHETIC_MINUTES });
  console.log(`data: synthetic (seed ${SYNTHETIC_SEED}, ${history.symbols.length} symbols x ${history.minutes} min), written in ${((performance.now() - generated) / 1000).toFixed(1)} s`);
  return directory;
}
