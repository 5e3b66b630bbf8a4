import { createHash } from "node:crypto";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { type IncomingMessage, type Server, type ServerResponse, createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ManualClock } from "@autonome/core";
import { ReplayMarket, ReplayRecording } from "@autonome/market-data";
import { zipSync } from "fflate";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runDataCommand } from "./command.js";
import { ChecksumMismatchError } from "./fetch-file.js";
import { downloadHistory } from "./download.js";

const MAY = Date.UTC(2025, 4, 1);
const JUNE = Date.UTC(2025, 5, 1);
const JUNE_2 = Date.UTC(2025, 5, 2);

function klineCsv(pair: string, from: number, to: number, header: boolean): string {
  const rows = header ? ["open_time,open,high,low,close,volume,close_time,quote_volume,count,taker_buy_volume,taker_buy_quote_volume,ignore"] : [];
  for (let t = from, i = 0; t < to; t += 60_000, i++) {
    const p = 100_000 + (i % 500);
    rows.push(`${t},${p},${p + 5},${p - 5},${p + 1},1.5,${t + 59_999},150000,10,0.7,70000,0`);
  }
  return `${rows.join("\n")}\n`;
}

function fundingCsv(from: number, to: number): string {
  const rows = ["calc_time,funding_interval_hours,last_funding_rate"];
  for (let t = from; t < to; t += 8 * 3_600_000) rows.push(`${t},8,0.00010000`);
  return `${rows.join("\n")}\n`;
}

const zip = (name: string, text: string) => Buffer.from(zipSync({ [name]: new TextEncoder().encode(text) }));
const sha = (b: Buffer) => createHash("sha256").update(b).digest("hex");

/** A local stand-in for data.binance.vision and Lighter's REST API. */
class ArchiveServer {
  readonly files = new Map<string, Buffer>();
  readonly requests: Array<{ path: string; range: string | undefined }> = [];
  /** Paths whose first full request is cut after half the bytes. */
  readonly dropOnce = new Set<string>();
  private server!: Server;
  url = "";

  publish(path: string, body: Buffer, checksumOf: Buffer = body): void {
    this.files.set(path, body);
    this.files.set(`${path}.CHECKSUM`, Buffer.from(`${sha(checksumOf)}  ${path.split("/").at(-1)}\n`));
  }

  async start(): Promise<void> {
    this.server = createServer((req: IncomingMessage, res: ServerResponse) => {
      const url = new URL(req.url ?? "/", "http://127.0.0.1");
      const range = typeof req.headers.range === "string" ? req.headers.range : undefined;
      this.requests.push({ path: url.pathname, range });
      if (url.pathname === "/api/v1/candles") {
        const start = Number(url.searchParams.get("start_timestamp"));
        const end = Number(url.searchParams.get("end_timestamp"));
        const c = [];
        for (let t = start; t < end; t += 60_000) c.push({ t, o: 3000, h: 3010, l: 2990, c: 3005, O: 3000, H: 3010, L: 2990, C: 3005, v: 2.5, V: 7500, i: 1 });
        res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify({ code: 200, r: "1m", c }));
        return;
      }
      if (url.pathname === "/api/v1/fundings") {
        const start = Number(url.searchParams.get("start_timestamp"));
        const end = Number(url.searchParams.get("end_timestamp"));
        const fundings = [];
        for (let t = Math.ceil(start / 3_600_000) * 3_600_000; t < end; t += 3_600_000) fundings.push({ timestamp: t / 1000, value: "0.01", rate: "0.0012", direction: (t / 3_600_000) % 2 ? "short" : "long" });
        res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify({ code: 200, resolution: "1h", fundings }));
        return;
      }
      const body = this.files.get(url.pathname);
      if (!body) {
        res.writeHead(404).end();
        return;
      }
      const m = range ? /^bytes=(\d+)-$/.exec(range) : null;
      if (m) {
        const from = Number(m[1]);
        if (from >= body.length) {
          res.writeHead(416).end();
          return;
        }
        res.writeHead(206, { "content-length": body.length - from, "content-range": `bytes ${from}-${body.length - 1}/${body.length}` }).end(body.subarray(from));
        return;
      }
      if (this.dropOnce.delete(url.pathname)) {
        res.writeHead(200, { "content-length": body.length });
        res.write(body.subarray(0, Math.floor(body.length / 2)), () => res.destroy());
        return;
      }
      res.writeHead(200, { "content-length": body.length }).end(body);
    });
    await new Promise<void>((resolve) => this.server.listen(0, "127.0.0.1", resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  close(): Promise<void> {
    this.server.closeAllConnections();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}

const server = new ArchiveServer();
const work = mkdtempSync(join(tmpdir(), "autonome-data-"));
const MONTHLY = "/data/futures/um/monthly/klines/BTCUSDT/1m/BTCUSDT-1m-2025-05.zip";
const DAILY = "/data/futures/um/daily/klines/BTCUSDT/1m/BTCUSDT-1m-2025-06-01.zip";

beforeAll(async () => {
  server.publish(MONTHLY, zip("BTCUSDT-1m-2025-05.csv", klineCsv("BTCUSDT", MAY, JUNE, false)));
  server.publish(DAILY, zip("BTCUSDT-1m-2025-06-01.csv", klineCsv("BTCUSDT", JUNE, JUNE_2, true)));
  server.publish("/data/futures/um/monthly/fundingRate/BTCUSDT/BTCUSDT-fundingRate-2025-05.zip", zip("BTCUSDT-fundingRate-2025-05.csv", fundingCsv(MAY, JUNE)));
  server.publish("/data/futures/um/monthly/fundingRate/BTCUSDT/BTCUSDT-fundingRate-2025-06.zip", zip("BTCUSDT-fundingRate-2025-06.csv", fundingCsv(JUNE, Date.UTC(2025, 6, 1))));
  // ETH's daily archive does not match its published checksum.
  const good = zip("ETHUSDT-1m-2025-06-01.csv", klineCsv("ETHUSDT", JUNE, JUNE_2, true));
  const corrupt = Buffer.from(good);
  corrupt[corrupt.length >> 1] = corrupt[corrupt.length >> 1]! ^ 0xff;
  server.publish("/data/futures/um/daily/klines/ETHUSDT/1m/ETHUSDT-1m-2025-06-01.zip", corrupt, good);
  server.dropOnce.add(MONTHLY);
  await server.start();
});
afterAll(async () => {
  await server.close();
  rmSync(work, { recursive: true, force: true });
});

describe("autonome data download", () => {
  it("fetches Binance archives, verifies their checksums, resumes a dropped connection with Range, and writes files ReplayMarket plays", async () => {
    const out = join(work, "binance");
    const lines: string[] = [];
    const code = await runDataCommand(["download", "--symbols", "BTC", "--from", "2025-05-01", "--to", "2025-06-01", "--out", out, "--binance-url", server.url], (l) => lines.push(l), work);
    expect(code).toBe(0);
    const resumed = server.requests.filter((r) => r.path === MONTHLY);
    expect(resumed.map((r) => r.range === undefined)).toEqual([true, false]); // cut, then resumed
    expect(lines.join("\n")).toMatch(/46080 kline rows/); // May monthly + June 1 daily (--to is inclusive)

    const recording = ReplayRecording.load({ klines: [join(out, "binance_klines_1m_2025-05-01_2025-06-01.csv.gz")], funding: [join(out, "binance_funding_2025-05-01_2025-06-01.csv")] });
    expect(recording.symbols()).toEqual(["BTC"]);
    const market = new ReplayMarket({ clock: new ManualClock(0), recording });
    expect(market.startTime).toBe(MAY);
    expect(market.endTime).toBe(JUNE_2);

    // A rerun finds every file verified and asks the server for nothing.
    const before = server.requests.length;
    const again = await downloadHistory({ source: "binance", symbols: ["BTC"], fromMs: MAY, toMs: JUNE_2, outDir: out, binanceUrl: server.url });
    expect(server.requests.length).toBe(before);
    expect(again.files.every((f) => f.status === "skipped")).toBe(true);
    expect(again.klineRows).toBe(44_640 + 1_440);
  });

  it("retries a file whose checksum does not match, then reports it and keeps no bad copy", async () => {
    const out = join(work, "corrupt");
    const error = await downloadHistory({ source: "binance", symbols: ["ETH"], fromMs: JUNE, toMs: JUNE_2, outDir: out, binanceUrl: server.url }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ChecksumMismatchError);
    expect((error as Error).message).toMatch(/ETHUSDT-1m-2025-06-01\.zip: sha256 [0-9a-f]{64} does not match the published checksum/);
    expect(server.requests.filter((r) => r.path.endsWith("ETHUSDT-1m-2025-06-01.zip"))).toHaveLength(2);
    expect(existsSync(join(out, "raw/binance/data/futures/um/daily/klines/ETHUSDT/1m/ETHUSDT-1m-2025-06-01.zip"))).toBe(false);
  });

  it("pages Lighter candles and fundings into the replay format, and a rerun reuses the pages on disk", async () => {
    const out = join(work, "lighter");
    const first = await downloadHistory({ source: "lighter", symbols: ["ETH"], fromMs: JUNE, toMs: JUNE_2, outDir: out, lighterUrl: server.url });
    expect(first.klineRows).toBe(1_440);
    expect(first.fundingRows).toBe(25);
    const candleRequests = server.requests.filter((r) => r.path === "/api/v1/candles").length;
    expect(candleRequests).toBe(2); // 1,000-minute pages
    await downloadHistory({ source: "lighter", symbols: ["ETH"], fromMs: JUNE, toMs: JUNE_2, outDir: out, lighterUrl: server.url });
    expect(server.requests.filter((r) => r.path.startsWith("/api/v1/")).length).toBe(candleRequests + 1);
    const recording = ReplayRecording.load({ klines: [first.klinesFile], funding: [first.fundingFile] });
    const market = new ReplayMarket({ clock: new ManualClock(JUNE + 3_600_000), recording });
    market.advanceTo(JUNE + 3_600_000);
    expect(market.midPrice("ETH")?.toString()).toBe("3000");
    expect(market.fundingRate("ETH")?.rate.toString()).toBe("-0.0012");
  });
});
