// Rebuilds the Binance USD-M BTCUSDT order book from the raw feed recorded in
// packages/market-data/fixtures (REST snapshot + depth@0ms diffs, as Binance documents:
// drop diffs with u < lastUpdateId, the first applied one spans lastUpdateId, each next one's
// pu is the previous u) and writes its top 20 levels a side every 250 ms of exchange time to
// binance-usdm-btcusdt-depth20-250ms.jsonl.gz, one {"t", "b", "a"} line per sample.
// Run from the repository root: node packages/matching-engine/examples/data/make-binance-depth.mjs
import { readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { gunzipSync, gzipSync } from "node:zlib";

const here = dirname(fileURLToPath(import.meta.url));
const source = join(here, "../../../market-data/fixtures/hftbacktest_binance-usdm_BTCUSDT_raw-feed_2024-08-08T2354_30s.gz");
const target = join(here, "binance-usdm-btcusdt-depth20-250ms.jsonl.gz");
const LEVELS = 20;
const STEP_MS = 250;

const lines = gunzipSync(readFileSync(source)).toString("utf8").split("\n").filter(Boolean);
const messages = lines.map((line) => JSON.parse(line.slice(line.indexOf(" ") + 1)));
const snapshot = messages.find((m) => m.lastUpdateId !== undefined);
const bids = new Map(snapshot.bids.map(([p, s]) => [p, s]));
const asks = new Map(snapshot.asks.map(([p, s]) => [p, s]));
const diffs = messages.filter((m) => m.data?.e === "depthUpdate").map((m) => m.data);

const top = (side, descending) =>
  [...side.entries()]
    .sort((a, b) => (descending ? Number(b[0]) - Number(a[0]) : Number(a[0]) - Number(b[0])))
    .slice(0, LEVELS);

const out = [];
let previousU = null;
let nextSampleAt = null;
for (const diff of diffs) {
  if (diff.u < snapshot.lastUpdateId) continue;
  if (previousU === null) {
    if (!(diff.U <= snapshot.lastUpdateId && diff.u >= snapshot.lastUpdateId)) throw new Error(`first diff ${diff.U}-${diff.u} does not span ${snapshot.lastUpdateId}`);
  } else if (diff.pu !== previousU) {
    throw new Error(`gap: pu ${diff.pu} after u ${previousU}`);
  }
  previousU = diff.u;
  for (const [side, levels] of [[bids, diff.b], [asks, diff.a]]) {
    for (const [price, size] of levels) {
      if (Number(size) === 0) side.delete(price);
      else side.set(price, size);
    }
  }
  nextSampleAt ??= Math.ceil(diff.E / STEP_MS) * STEP_MS;
  while (diff.E >= nextSampleAt) {
    out.push(JSON.stringify({ t: nextSampleAt, b: top(bids, true), a: top(asks, false) }));
    nextSampleAt += STEP_MS;
  }
}
writeFileSync(target, gzipSync(`${out.join("\n")}\n`, { level: 9 }));
console.log(`${out.length} samples of ${LEVELS} levels a side -> ${target}`);
