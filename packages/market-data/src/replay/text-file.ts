/**
 * Reads a recorded text file, plain or gzip (detected by its magic bytes, not its
 * name), as lines. Line numbers reported in errors are 1-based.
 */
import { readFileSync } from "node:fs";
import { basename } from "node:path";
import { gunzipSync } from "node:zlib";
import { MarketDataFormatError } from "../errors.js";

/** The lines of a file and the name errors should show. */
export interface TextLines {
  readonly file: string;
  readonly lines: string[];
}

/** Reads `path` (gzip or plain) into lines; a final empty line is dropped. */
export function readTextLines(path: string): TextLines {
  let bytes: Buffer;
  try {
    bytes = readFileSync(path);
  } catch (error) {
    throw new MarketDataFormatError(path, 0, `cannot read file: ${(error as Error).message}`);
  }
  if (bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b) {
    try {
      bytes = gunzipSync(bytes);
    } catch (error) {
      throw new MarketDataFormatError(path, 0, `corrupt gzip: ${(error as Error).message}`);
    }
  }
  const lines = bytes.toString("utf8").split("\n");
  if (lines.length > 0 && lines[lines.length - 1] === "") lines.pop();
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    if (line.endsWith("\r")) lines[i] = line.slice(0, -1);
  }
  return { file: path, lines };
}

/** Market symbol of an exchange pair: "BTCUSDT" -> "BTC", "ETH-PERP" -> "ETH", "SOL" -> "SOL". */
export function marketSymbolOf(pair: string): string {
  const upper = pair.toUpperCase().replace(/[-_/]?(PERP|SWAP)$/, "");
  const match = /^([A-Z0-9]+?)[-_/]?(USDT|USDC|BUSD|FDUSD|USD)$/.exec(upper);
  return match ? match[1]! : upper;
}

/** The pair named in a file name ("..._BTCUSDT_1m_...csv.gz" -> "BTCUSDT"), if one is. */
export function pairInFileName(path: string): string | undefined {
  const tokens = basename(path).split(/[_.\s-]/);
  return tokens.find((t) => /^[A-Z0-9]{2,}(USDT|USDC|BUSD|FDUSD|USD)$/.test(t));
}
