/**
 * Structured, readable logs: one line per fact, `time LEVEL message key=value ...`
 * (logfmt), so a human can read them and a script can parse them. Fields whose name
 * suggests a secret are replaced before printing.
 */
import type { LogLevel } from "./config.js";

/** A structured log sink (the shape @autonome/trading's TradingLogger expects, plus debug). */
export interface Logger {
  debug(message: string, fields?: Record<string, unknown>): void;
  info(message: string, fields?: Record<string, unknown>): void;
  warn(message: string, fields?: Record<string, unknown>): void;
  error(message: string, fields?: Record<string, unknown>): void;
}

const RANK: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };
const SECRET_FIELD = /(key|secret|password|token|authorization)$/i;

function formatValue(value: unknown): string {
  if (value === null || value === undefined) return "-";
  let text: string;
  if (typeof value === "string") text = value;
  else if (value instanceof Error) text = value.message;
  else if (typeof value === "number" || typeof value === "boolean" || typeof value === "bigint") text = value.toString();
  else text = JSON.stringify(value) ?? typeof value; // a function or symbol stringifies to undefined
  return /^[^\s"=]+$/.test(text) ? text : JSON.stringify(text);
}

/** Formats one line (exported for tests). */
export function formatLine(at: number, level: LogLevel, message: string, fields: Record<string, unknown> = {}): string {
  const parts = [new Date(at).toISOString(), level.toUpperCase().padEnd(5), message];
  for (const [key, value] of Object.entries(fields)) {
    if (value === undefined) continue;
    parts.push(`${key}=${SECRET_FIELD.test(key) ? "***" : formatValue(value)}`);
  }
  return parts.join(" ");
}

/** A logger writing lines at or above `level` to `write` (stdout by default). */
export function createLogger(level: LogLevel, write: (line: string) => void = (line) => process.stdout.write(`${line}\n`), now: () => number = () => Date.now()): Logger {
  const min = RANK[level];
  const log = (l: LogLevel) => (message: string, fields?: Record<string, unknown>) => {
    if (RANK[l] >= min) write(formatLine(now(), l, message, fields));
  };
  return { debug: log("debug"), info: log("info"), warn: log("warn"), error: log("error") };
}

/** A logger that drops everything. */
export const SILENT: Logger = { debug() {}, info() {}, warn() {}, error() {} };
