/**
 * The backtest report: per model the performance metrics of @autonome/risk (total
 * return, Sharpe, Sortino, max drawdown and its duration, win rate, profit factor),
 * trades, fees, funding, tokens and cost; buy-and-hold BTC as the baseline row; the
 * equity curves. report.json is a pure function of the run's simulated outcome (no
 * wall-clock time, no random ids), so the same data, seed and rule models give the
 * same bytes. report.html is self-contained (inline SVG, no script, no network).
 */
import { basename } from "node:path";
import { computePerformanceMetrics } from "@autonome/risk";
import { type Decimal, ZERO, toDecimal } from "@autonome/core";
import type { BacktestResult } from "./run.js";

/** One row of the report's table. */
export interface ReportRow {
  name: string;
  kind: "openai" | "rule" | "baseline";
  finalEquity: string;
  totalReturn: number | null;
  sharpe: number | null;
  sortino: number | null;
  maxDrawdown: number;
  maxDrawdownDurationMs: number;
  winRate: number | null;
  profitFactor: number | null;
  trades: number;
  feesUsd: string;
  /** Net funding paid, USD (negative = received). */
  fundingPaidUsd: string;
  realizedPnlUsd: string;
  invocations: number;
  failedInvocations: number;
  inputTokens: number;
  outputTokens: number;
  costUsd: string;
}

/** report.json. */
export interface BacktestReport {
  version: 1;
  data: { klines: string[]; funding: string[] };
  symbols: string[];
  from: string;
  to: string;
  tickIntervalMs: number;
  ticks: number;
  seed: number;
  simulator: Record<string, unknown>;
  initialCapitalUsd: string;
  /**
   * How stops, targets, liquidations and time exits are evaluated (`rule`, in words), and the
   * venue closes of the run: how many of each trigger, and how many fell between ticks.
   */
  triggers: { rule: string; closes: { STOP: number; TARGET: number; LIQUIDATION: number }; betweenTicks: number };
  rows: ReportRow[];
  /** Tokens and cost of every invocation (as if paid), and what this run really spent (requests not answered from the cache). */
  llm: { inputTokens: number; outputTokens: number; costUsd: string; cachedResponses: number; requestedResponses: number; spentInputTokens: number; spentOutputTokens: number; spentCostUsd: string };
  /** Equity curves: `times` (epoch ms) and one equity series (USD numbers, 2 dp) per row name. */
  equity: { times: number[]; series: Record<string, number[]> };
}

/** How the backtest evaluates triggers (report.json `triggers.rule` and the HTML report say it). */
export const TRIGGER_RULE =
  "Stops, targets, liquidations and time exits are checked at each tick and, between ticks, along every one-minute candle's path: " +
  "open, then the nearer of high and low, then the other, then close (at 0/15/30/45 s). " +
  "Inside a minute the price moves continuously: a stop or target fires at its own price plus the slippage of the book of that moment; " +
  "when the price gaps through it between one minute's close and the next minute's open (or at a tick), it fills at the open. " +
  "When one minute's range holds both the stop and the target of a position, the stop is taken. " +
  "Liquidations are checked at each of those points.";

const round = (x: number | null, dp = 6): number | null => (x === null || !Number.isFinite(x) ? null : Number(x.toFixed(dp)));

/** Builds the report of a finished run. */
export function buildReport(result: BacktestResult): BacktestReport {
  const { options, times } = result;
  const capital = toDecimal(result.initialCapital);
  const rows: ReportRow[] = [];
  const series: Record<string, number[]> = {};
  let tokensIn = 0;
  let tokensOut = 0;
  let cost: Decimal = ZERO;
  for (const m of result.models) {
    const snapshots = [{ ts: result.fromMs - options.tickIntervalMs, equity: capital }, ...m.equity.map((e, i) => ({ ts: times[i]!, equity: toDecimal(e) }))];
    const metrics = computePerformanceMetrics({ snapshots, trades: m.trades, intervalMs: options.tickIntervalMs });
    rows.push({
      name: m.name,
      kind: m.kind,
      finalEquity: toDecimal(m.equity.at(-1) ?? capital).toFixed(2),
      totalReturn: round(metrics.totalReturn),
      sharpe: round(metrics.sharpe, 4),
      sortino: round(metrics.sortino, 4),
      maxDrawdown: round(metrics.maxDrawdown) ?? 0,
      maxDrawdownDurationMs: metrics.maxDrawdownDurationMs,
      winRate: round(metrics.winRate, 4),
      profitFactor: round(metrics.profitFactor, 4),
      trades: metrics.tradeCount,
      feesUsd: metrics.feesPaid.plus(m.openFees).toFixed(2),
      fundingPaidUsd: m.fundingCashFlow.negated().toFixed(2),
      realizedPnlUsd: metrics.realizedPnl.toFixed(2),
      invocations: m.invocations,
      failedInvocations: m.failedInvocations,
      inputTokens: m.inputTokens,
      outputTokens: m.outputTokens,
      costUsd: m.costUsd.toFixed(6),
    });
    series[m.name] = m.equity.map((e) => Number(toDecimal(e).toFixed(2)));
    tokensIn += m.inputTokens;
    tokensOut += m.outputTokens;
    cost = cost.plus(m.costUsd);
  }
  const first = result.btcMid.find((p) => Number.isFinite(p));
  if (first !== undefined) {
    const curve = result.btcMid.map((p) => (Number.isFinite(p) ? capital.times(p).div(first) : capital));
    const snapshots = [{ ts: result.fromMs - options.tickIntervalMs, equity: capital }, ...curve.map((equity, i) => ({ ts: times[i]!, equity }))];
    const metrics = computePerformanceMetrics({ snapshots, trades: [], intervalMs: options.tickIntervalMs });
    rows.push({
      name: "baseline: buy and hold BTC",
      kind: "baseline",
      finalEquity: (curve.at(-1) ?? capital).toFixed(2),
      totalReturn: round(metrics.totalReturn),
      sharpe: round(metrics.sharpe, 4),
      sortino: round(metrics.sortino, 4),
      maxDrawdown: round(metrics.maxDrawdown) ?? 0,
      maxDrawdownDurationMs: metrics.maxDrawdownDurationMs,
      winRate: null,
      profitFactor: null,
      trades: 0,
      feesUsd: "0.00",
      fundingPaidUsd: "0.00",
      realizedPnlUsd: "0.00",
      invocations: 0,
      failedInvocations: 0,
      inputTokens: 0,
      outputTokens: 0,
      costUsd: "0.000000",
    });
    series["baseline: buy and hold BTC"] = curve.map((e) => Number(e.toFixed(2)));
  }
  const sim: Record<string, unknown> = { seed: options.seed, ...options.simulator };
  const closes = { STOP: 0, TARGET: 0, LIQUIDATION: 0 };
  let betweenTicks = 0;
  for (const m of result.models) {
    for (const t of m.trades) {
      if (t.closeTrigger !== "STOP" && t.closeTrigger !== "TARGET" && t.closeTrigger !== "LIQUIDATION") continue;
      closes[t.closeTrigger]++;
      if ((t.closedAt - result.fromMs) % options.tickIntervalMs !== 0) betweenTicks++;
    }
  }
  return {
    version: 1,
    data: { klines: options.klines.map((f) => basename(f)), funding: options.funding.map((f) => basename(f)) },
    symbols: result.symbols,
    from: new Date(result.fromMs).toISOString(),
    to: new Date(result.toMs).toISOString(),
    tickIntervalMs: options.tickIntervalMs,
    ticks: times.length,
    seed: options.seed,
    simulator: Object.fromEntries(Object.keys(sim).sort().map((k) => [k, sim[k]])),
    initialCapitalUsd: capital.toFixed(2),
    triggers: { rule: TRIGGER_RULE, closes, betweenTicks },
    rows,
    llm: {
      inputTokens: tokensIn,
      outputTokens: tokensOut,
      costUsd: cost.toFixed(6),
      cachedResponses: result.llmCache.hits,
      requestedResponses: result.llmCache.misses,
      spentInputTokens: result.llmCache.spentInputTokens,
      spentOutputTokens: result.llmCache.spentOutputTokens,
      spentCostUsd: result.llmCache.spentCostUsd.toFixed(6),
    },
    equity: { times, series },
  };
}

/** report.json text: stable key order, two-space indent, trailing newline. */
export function reportJson(report: BacktestReport): string {
  return `${JSON.stringify(report, null, 2)}\n`;
}

const COLORS = ["#2563eb", "#16a34a", "#dc2626", "#9333ea", "#ea580c", "#0891b2", "#ca8a04", "#db2777"];

function esc(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]!);
}

const pct = (x: number | null) => (x === null ? "–" : `${(x * 100).toFixed(2)}%`);
const num = (x: number | null) => (x === null ? "–" : x.toFixed(2));
function duration(ms: number): string {
  const h = ms / 3_600_000;
  return h >= 48 ? `${(h / 24).toFixed(1)} d` : `${h.toFixed(1)} h`;
}

/** The equity chart as inline SVG: every model and the baseline on one set of axes. */
export function equityChartSvg(report: BacktestReport, width = 960, height = 360): string {
  const { times, series } = report.equity;
  const names = Object.keys(series);
  const pad = { left: 70, right: 16, top: 16, bottom: 40 };
  const all = names.flatMap((n) => series[n]!);
  if (times.length < 2 || all.length === 0) return `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}"><text x="20" y="40">not enough ticks for a chart</text></svg>`;
  let lo = Math.min(...all);
  let hi = Math.max(...all);
  if (hi - lo < 1e-9) {
    lo -= 1;
    hi += 1;
  }
  const t0 = times[0]!;
  const t1 = times.at(-1)!;
  const x = (t: number) => pad.left + ((t - t0) / (t1 - t0)) * (width - pad.left - pad.right);
  const y = (v: number) => pad.top + (1 - (v - lo) / (hi - lo)) * (height - pad.top - pad.bottom);
  const parts: string[] = [];
  for (let i = 0; i <= 4; i++) {
    const v = lo + ((hi - lo) * i) / 4;
    parts.push(`<line x1="${pad.left}" x2="${width - pad.right}" y1="${y(v).toFixed(1)}" y2="${y(v).toFixed(1)}" stroke="#e5e7eb"/>`);
    parts.push(`<text x="${pad.left - 6}" y="${(y(v) + 4).toFixed(1)}" text-anchor="end" font-size="11" fill="#6b7280">${v.toFixed(0)}</text>`);
  }
  for (let i = 0; i <= 4; i++) {
    const t = t0 + ((t1 - t0) * i) / 4;
    const label = new Date(t).toISOString().slice(5, 16).replace("T", " ");
    parts.push(`<text x="${x(t).toFixed(1)}" y="${height - pad.bottom + 18}" text-anchor="middle" font-size="11" fill="#6b7280">${label}</text>`);
  }
  names.forEach((name, k) => {
    const values = series[name]!;
    const step = Math.max(1, Math.floor(values.length / 1500));
    const points: string[] = [];
    for (let i = 0; i < values.length; i += step) points.push(`${x(times[i]!).toFixed(1)},${y(values[i]!).toFixed(1)}`);
    points.push(`${x(times[values.length - 1]!).toFixed(1)},${y(values.at(-1)!).toFixed(1)}`);
    const dashed = name.startsWith("baseline") ? ' stroke-dasharray="6 4"' : "";
    parts.push(`<polyline fill="none" stroke="${COLORS[k % COLORS.length]}" stroke-width="1.6"${dashed} points="${points.join(" ")}"/>`);
  });
  return `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${width} ${height}" width="100%" role="img" aria-label="equity curves">${parts.join("")}</svg>`;
}

/** report.html: the table and the chart, self-contained (opens from file://). */
export function reportHtml(report: BacktestReport): string {
  const names = Object.keys(report.equity.series);
  const legend = names
    .map((n, k) => `<span class="key"><i style="background:${COLORS[k % COLORS.length]}"></i>${esc(n)}</span>`)
    .join(" ");
  const header = ["model", "final equity", "return", "Sharpe", "Sortino", "max DD", "DD duration", "win rate", "profit factor", "trades", "fees", "funding paid", "tokens in/out", "cost"];
  const body = report.rows
    .map(
      (r) =>
        `<tr${r.kind === "baseline" ? ' class="baseline"' : ""}><td>${esc(r.name)}</td><td>$${r.finalEquity}</td><td class="${(r.totalReturn ?? 0) >= 0 ? "up" : "down"}">${pct(r.totalReturn)}</td><td>${num(r.sharpe)}</td><td>${num(r.sortino)}</td><td>${pct(r.maxDrawdown)}</td><td>${duration(r.maxDrawdownDurationMs)}</td><td>${pct(r.winRate)}</td><td>${num(r.profitFactor)}</td><td>${r.trades}</td><td>$${r.feesUsd}</td><td>$${r.fundingPaidUsd}</td><td>${r.inputTokens}/${r.outputTokens}</td><td>$${r.costUsd}</td></tr>`,
    )
    .join("\n");
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Autonome backtest ${esc(report.from)} to ${esc(report.to)}</title>
<style>
body{font:14px/1.45 system-ui,sans-serif;margin:24px;color:#111827;max-width:1280px}
h1{font-size:20px;margin:0 0 4px}p.meta{color:#4b5563;margin:0 0 16px}
table{border-collapse:collapse;width:100%;font-variant-numeric:tabular-nums;font-size:12px}
th,td{padding:4px 6px;border-bottom:1px solid #e5e7eb;text-align:right;white-space:nowrap}
th:first-child,td:first-child{text-align:left}th{background:#f9fafb}
tr.baseline td{color:#4b5563;font-style:italic}.up{color:#15803d}.down{color:#b91c1c}
.key{display:inline-flex;align-items:center;margin-right:14px;font-size:13px}.key i{display:inline-block;width:14px;height:3px;margin-right:6px}
</style></head><body>
<h1>Backtest: ${esc(report.symbols.join(", "))}</h1>
<p class="meta">${esc(report.from)} to ${esc(report.to)} · ${report.ticks} ticks of ${report.tickIntervalMs / 60_000} min · seed ${report.seed} · capital $${report.initialCapitalUsd} · data ${esc(report.data.klines.join(", "))} · LLM tokens ${report.llm.inputTokens}/${report.llm.outputTokens}, cost $${report.llm.costUsd} (spent this run: $${report.llm.spentCostUsd}, ${report.llm.cachedResponses} responses from the cache)</p>
<p class="meta">Triggers: ${esc(report.triggers.rule)} This run: ${report.triggers.closes.STOP} stops, ${report.triggers.closes.TARGET} targets, ${report.triggers.closes.LIQUIDATION} liquidations, ${report.triggers.betweenTicks} of them between ticks.</p>
<table><thead><tr>${header.map((h) => `<th>${h}</th>`).join("")}</tr></thead><tbody>
${body}
</tbody></table>
<h2 style="font-size:16px;margin:20px 0 6px">Equity</h2>
<div>${legend}</div>
${equityChartSvg(report)}
</body></html>
`;
}
