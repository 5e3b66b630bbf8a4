/**
 * Decimals as text, the form the journal and snapshots store them in. Invariant: a Decimal
 * survives decimalText -> parseDecimal unchanged; nothing here rounds or uses floats.
 */
import { type Decimal, type DecimalLike, isDecimal, toDecimal } from "@autonome/core";

/** A decimal-like value as the string a journal stores; unparseable input stays as its text. */
export function decimalText(value: DecimalLike): string {
  return isDecimal(value) ? value.toString() : String(value);
}

/** The finite Decimal a text holds, or null (absent, unparseable, NaN or infinite). */
export function parseDecimal(text: string | undefined): Decimal | null {
  if (text === undefined) return null;
  try {
    const value = toDecimal(text);
    return value.isFinite() ? value : null;
  } catch {
    return null;
  }
}

/** Converts Decimals to strings, recursively, for JSON-safe state and comparisons. */
export function jsonSafe(value: unknown): unknown {
  if (isDecimal(value)) return value.toString();
  if (Array.isArray(value)) return value.map(jsonSafe);
  if (value !== null && typeof value === "object") {
    const out: Record<string, unknown> = {};
    for (const [key, inner] of Object.entries(value)) out[key] = jsonSafe(inner);
    return out;
  }
  return value;
}
