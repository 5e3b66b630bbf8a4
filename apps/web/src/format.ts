/** Display formatting. Money stays a string until here; numbers only for display. */

const usd = new Intl.NumberFormat("en-US", { style: "currency", currency: "USD", maximumFractionDigits: 2 });

/** "$10,234.56", or an em dash. */
export function money(value: string | null | undefined): string {
  if (value === null || value === undefined) return "—";
  return usd.format(Number(value));
}

/** "+5.21%" from a fraction, or an em dash. */
export function percent(fraction: number | null | undefined, digits = 2): string {
  if (fraction === null || fraction === undefined || !Number.isFinite(fraction)) return "—";
  return `${fraction > 0 ? "+" : ""}${(fraction * 100).toFixed(digits)}%`;
}

/** A plain number or an em dash. */
export function num(value: number | null | undefined, digits = 2): string {
  return value === null || value === undefined || !Number.isFinite(value) ? "—" : value.toFixed(digits);
}

/** "pos" or "neg" class for a signed amount. */
export function tone(value: string | number | null | undefined): string {
  if (value === null || value === undefined) return "";
  const n = Number(value);
  return n > 0 ? "pos" : n < 0 ? "neg" : "";
}

/** A short UTC date-time. */
export function time(ms: number | null | undefined): string {
  if (ms === null || ms === undefined) return "—";
  return new Date(ms).toISOString().replace("T", " ").slice(0, 16) + "Z";
}

/** Escapes text for HTML. */
export function esc(text: string | number | null | undefined): string {
  return String(text ?? "")
    .replaceAll("&", "&amp;")
    .replaceAll("<", "&lt;")
    .replaceAll(">", "&gt;")
    .replaceAll('"', "&quot;");
}
