/**
 * The season report: per model the distribution of return, Sharpe and maximum drawdown
 * across runs; per pair of models the paired difference with bootstrap intervals and
 * sign-test p-values (Holm-adjusted); the ranking. season.json is a pure function of
 * the spec and the runs' outcomes (no wall-clock time, no worker names), so the same
 * season gives the same bytes; season.html is self-contained (inline SVG, no script).
 */
import type { RunModelMetrics } from "./run.js";
import type { RunSpec, SeasonMetric, SeasonSignal, SeasonSpec } from "./spec.js";
import type { RunStatus } from "./store.js";
import { type PairComparison, type Ranking, type SampleSummary, comparePairs, rankModels, summarize } from "./stats.js";

/** The three metrics a season reports, with their sense. */
export const SEASON_METRICS = [
  { key: "totalReturn", label: "return", higherIsBetter: true, percent: true },
  { key: "sharpe", label: "Sharpe", higherIsBetter: true, percent: false },
  { key: "maxDrawdown", label: "max drawdown", higherIsBetter: false, percent: true },
] as const;

/** A metric's key in RunModelMetrics. */
export type MetricKey = (typeof SEASON_METRICS)[number]["key"];

const RANKING_KEY: Record<SeasonMetric, MetricKey> = { return: "totalReturn", sharpe: "sharpe" };

/** How the ranking line reads. */
export const RANKING_NOTATION =
  "Models in order of pairwise wins, then mean. Between neighbours, 'A > B' means A beats B: the paired difference's bootstrap interval at the family-wise level (95% over all pairs, Bonferroni) excludes zero and the exact sign test's Holm-adjusted p-value is below 0.05; 'A ~ B' means the season cannot tell them apart. The matrix has every pair.";

/** One run as the report shows it. */
export interface SeasonReportRun {
  index: number;
  kind: RunSpec["kind"];
  from: string;
  to: string;
  seed: number;
  status: RunStatus;
  /** By model id. */
  metrics: Record<string, RunModelMetrics> | null;
  /** Path of the run's own backtest report, relative to season.html. */
  report: string | null;
  error: string | null;
}

/** season.json. */
export interface SeasonReport {
  version: 1;
  season: string;
  models: string[];
  settings: {
    tickIntervalMs: number;
    seed: number;
    metric: SeasonMetric;
    history: { windows: number; windowMs: number; warmupMs: number; files: string[] } | null;
    synthetic: { seeds: number; windowMs: number; warmupMs: number; symbols: string[]; signal: SeasonSignal | null } | null;
    simulator: Record<string, unknown>;
  };
  runs: SeasonReportRun[];
  /** Completed runs (the statistics use only these). */
  completedRuns: number;
  /** Per model: summaries of each metric over the completed runs. */
  distributions: Record<string, Record<MetricKey, SampleSummary>>;
  /** Per metric, every pair. */
  comparisons: Record<MetricKey, PairComparison[]>;
  ranking: Ranking & { metric: SeasonMetric; notation: string };
  spent: { tokens: number; usd: string };
}

/** The directory of run `index`'s backtest report, relative to the season's output directory. */
export function runDirName(index: number): string {
  return `runs/${String(index).padStart(3, "0")}`;
}

/** Builds the report from the spec and each run's status and metrics. */
export function buildSeasonReport(seasonId: string, spec: SeasonSpec, runs: ReadonlyArray<{ index: number; status: RunStatus; metrics: Record<string, RunModelMetrics> | null; error: string | null }>, spent: { tokens: number; usd: number }): SeasonReport {
  const models = spec.models.map((m) => m.id);
  const done = runs.filter((r) => r.status === "done" && r.metrics !== null);
  const values = (key: MetricKey) => new Map(models.map((m) => [m, new Map(done.flatMap((r) => (r.metrics![m] ? [[r.index, r.metrics![m][key]] as const] : [])))]));
  const distributions: SeasonReport["distributions"] = {};
  for (const m of models) {
    const of = (key: MetricKey) => summarize(done.flatMap((r) => (r.metrics![m] ? [r.metrics![m][key]] : [])));
    distributions[m] = { totalReturn: of("totalReturn"), sharpe: of("sharpe"), maxDrawdown: of("maxDrawdown") };
  }
  const comparisons = {} as Record<MetricKey, PairComparison[]>;
  for (const metric of SEASON_METRICS) comparisons[metric.key] = comparePairs(models, values(metric.key), { seed: `${spec.seed}:${metric.key}`, higherIsBetter: metric.higherIsBetter });
  const rankingKey = RANKING_KEY[spec.metric];
  const ranking = rankModels(models, comparisons[rankingKey], new Map(models.map((m) => [m, distributions[m]![rankingKey].mean])), true);
  const byIndex = new Map(runs.map((r) => [r.index, r]));
  return {
    version: 1,
    season: seasonId,
    models,
    settings: {
      tickIntervalMs: spec.tickIntervalMs,
      seed: spec.seed,
      metric: spec.metric,
      history: spec.history ? { windows: spec.history.windows, windowMs: spec.history.windowMs, warmupMs: spec.history.warmupMs, files: spec.history.files.map((f) => f.name) } : null,
      synthetic: spec.synthetic ? { seeds: spec.synthetic.seeds, windowMs: spec.synthetic.windowMs, warmupMs: spec.synthetic.warmupMs, symbols: spec.synthetic.symbols, signal: spec.synthetic.signal } : null,
      simulator: { ...spec.simulator },
    },
    runs: spec.runs.map((run) => {
      const row = byIndex.get(run.index);
      const status = row?.status ?? "pending";
      return {
        index: run.index,
        kind: run.kind,
        from: new Date(run.fromMs).toISOString(),
        to: new Date(run.toMs).toISOString(),
        seed: run.seed,
        status,
        metrics: status === "done" ? (row?.metrics ?? null) : null,
        report: status === "done" ? `${runDirName(run.index)}/report.html` : null,
        error: row?.error ?? null,
      };
    }),
    completedRuns: done.length,
    distributions,
    comparisons,
    ranking: { ...ranking, metric: spec.metric, notation: RANKING_NOTATION },
    spent: { tokens: spent.tokens, usd: spent.usd.toFixed(6) },
  };
}

/** season.json text: two-space indent, trailing newline. */
export function seasonJson(report: SeasonReport): string {
  return `${JSON.stringify(report, null, 2)}\n`;
}

const COLORS = ["#2563eb", "#16a34a", "#dc2626", "#9333ea", "#ea580c", "#0891b2", "#ca8a04", "#db2777"];

function esc(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]!);
}

function formatter(percent: boolean): (x: number) => string {
  return (x) => (Number.isFinite(x) ? (percent ? `${(x * 100).toFixed(2)}%` : x.toFixed(2)) : "–");
}

/** One metric's distributions as inline SVG: per model a box (quartiles), whiskers (min to max), the mean (diamond) and every run (dots). */
export function distributionSvg(report: SeasonReport, key: MetricKey, width = 960): string {
  const metric = SEASON_METRICS.find((m) => m.key === key)!;
  const fmt = formatter(metric.percent);
  const rowHeight = 34;
  const pad = { left: 170, right: 24, top: 10, bottom: 34 };
  const height = pad.top + pad.bottom + rowHeight * report.models.length;
  const points = report.models.flatMap((m) => report.runs.flatMap((r) => (r.metrics?.[m] ? [r.metrics[m][key]] : [])));
  if (points.length === 0) return `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="40"><text x="10" y="24">no completed run</text></svg>`;
  let lo = Math.min(0, ...points);
  let hi = Math.max(0, ...points);
  if (hi - lo < 1e-12) {
    lo -= 1;
    hi += 1;
  }
  const span = hi - lo;
  lo -= span * 0.04;
  hi += span * 0.04;
  const x = (v: number) => pad.left + ((v - lo) / (hi - lo)) * (width - pad.left - pad.right);
  const parts: string[] = [];
  for (let i = 0; i <= 5; i++) {
    const v = lo + ((hi - lo) * i) / 5;
    parts.push(`<line x1="${x(v).toFixed(1)}" x2="${x(v).toFixed(1)}" y1="${pad.top}" y2="${height - pad.bottom}" stroke="#e5e7eb"/>`);
    parts.push(`<text x="${x(v).toFixed(1)}" y="${height - pad.bottom + 16}" text-anchor="middle" font-size="11" fill="#6b7280">${esc(fmt(v))}</text>`);
  }
  parts.push(`<line x1="${x(0).toFixed(1)}" x2="${x(0).toFixed(1)}" y1="${pad.top}" y2="${height - pad.bottom}" stroke="#9ca3af" stroke-dasharray="3 3"/>`);
  report.models.forEach((model, k) => {
    const s = report.distributions[model]![key];
    const cy = pad.top + rowHeight * k + rowHeight / 2;
    const color = COLORS[k % COLORS.length]!;
    parts.push(`<text x="${pad.left - 10}" y="${cy + 4}" text-anchor="end" font-size="12" fill="#111827">${esc(model)}</text>`);
    if (s.n === 0) return;
    parts.push(`<line x1="${x(s.min).toFixed(1)}" x2="${x(s.max).toFixed(1)}" y1="${cy}" y2="${cy}" stroke="${color}" stroke-width="1.2"/>`);
    parts.push(`<rect x="${x(s.q1).toFixed(1)}" y="${cy - 9}" width="${Math.max(1, x(s.q3) - x(s.q1)).toFixed(1)}" height="18" fill="${color}" fill-opacity="0.18" stroke="${color}"/>`);
    parts.push(`<line x1="${x(s.median).toFixed(1)}" x2="${x(s.median).toFixed(1)}" y1="${cy - 9}" y2="${cy + 9}" stroke="${color}" stroke-width="2.4"/>`);
    report.runs.forEach((r, i) => {
      const v = r.metrics?.[model]?.[key];
      if (v === undefined) return;
      const jitter = ((i * 7) % 11) - 5;
      parts.push(`<circle cx="${x(v).toFixed(1)}" cy="${(cy + jitter).toFixed(1)}" r="2.6" fill="${color}" fill-opacity="0.75"><title>run ${r.index}: ${esc(fmt(v))}</title></circle>`);
    });
    const m = x(s.mean);
    parts.push(`<path d="M${m.toFixed(1)} ${cy - 13} l4 4 l-4 4 l-4 -4 z" fill="#111827"><title>mean ${esc(fmt(s.mean))}</title></path>`);
  });
  return `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${width} ${height}" width="100%" role="img" aria-label="${esc(metric.label)} by model">${parts.join("")}</svg>`;
}

function matrixHtml(report: SeasonReport, key: MetricKey): string {
  const metric = SEASON_METRICS.find((m) => m.key === key)!;
  const fmt = formatter(metric.percent);
  const pairs = report.comparisons[key];
  const find = (a: string, b: string) => pairs.find((p) => (p.a === a && p.b === b) || (p.a === b && p.b === a));
  const head = `<tr><th>row − column</th>${report.models.map((m) => `<th>${esc(m)}</th>`).join("")}</tr>`;
  const rows = report.models.map((a) => {
    const cells = report.models.map((b) => {
      if (a === b) return `<td class="self">—</td>`;
      const p = find(a, b)!;
      const flip = p.a !== a;
      const sign = flip ? -1 : 1;
      const lo = flip ? -p.ciFamily.high : p.ciFamily.low;
      const hi = flip ? -p.ciFamily.low : p.ciFamily.high;
      const winner = p.verdict === "indistinguishable" ? null : p.verdict === "A" ? p.a : p.b;
      const cls = winner === null ? "tie" : winner === a ? "win" : "loss";
      const word = winner === null ? "~" : winner === a ? "&gt;" : "&lt;";
      return `<td class="${cls}"><b>${word}</b> ${esc(fmt(sign * p.meanDifference))}<br><small>[${esc(fmt(lo))}, ${esc(fmt(hi))}] p=${p.pHolm < 0.001 ? p.pHolm.toExponential(1) : p.pHolm.toFixed(3)} · ${flip ? p.bBetter : p.aBetter}/${p.n}</small></td>`;
    });
    return `<tr><th>${esc(a)}</th>${cells.join("")}</tr>`;
  });
  return `<table class="matrix"><thead>${head}</thead><tbody>${rows.join("\n")}</tbody></table>`;
}

const hours = (ms: number) => `${(ms / 3_600_000).toFixed(ms % 3_600_000 === 0 ? 0 : 1)} h`;

/** season.html: ranking, distributions, pairwise matrix, runs with links to their reports. Self-contained. */
export function seasonHtml(report: SeasonReport): string {
  const { settings } = report;
  const parts: string[] = [];
  if (settings.history) parts.push(`${settings.history.windows} windows of ${hours(settings.history.windowMs)} of recorded history (${esc(settings.history.files.join(", "))})`);
  if (settings.synthetic) parts.push(`${settings.synthetic.seeds} seeds of the synthetic market (${hours(settings.synthetic.windowMs)} each${settings.synthetic.signal ? `, planted signal ${settings.synthetic.signal.strength}σ/min, half-life ${settings.synthetic.signal.halfLifeMinutes} min` : ""})`);
  const rankingKey = RANKING_KEY[settings.metric];
  const rankingLabel = SEASON_METRICS.find((m) => m.key === rankingKey)!.label;
  const runRows = report.runs
    .map((r) => {
      const cells = report.models.map((m) => {
        const v = r.metrics?.[m]?.totalReturn;
        return v === undefined ? "<td>–</td>" : `<td class="${v >= 0 ? "up" : "down"}">${(v * 100).toFixed(2)}%</td>`;
      });
      const what = r.kind === "history" ? `${r.from.slice(0, 16).replace("T", " ")} → ${r.to.slice(0, 16).replace("T", " ")}` : `synthetic, seed ${r.seed}`;
      const link = r.report ? `<a href="${esc(r.report)}">report</a>` : esc(r.status + (r.error ? `: ${r.error}` : ""));
      return `<tr><td>${r.index}</td><td>${esc(what)}</td>${cells.join("")}<td>${link}</td></tr>`;
    })
    .join("\n");
  const sections = SEASON_METRICS.map((m) => `<h3>${esc(m.label)}${m.higherIsBetter ? "" : " (lower is better)"}</h3>${distributionSvg(report, m.key)}`).join("\n");
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Autonome season ${esc(report.season)}</title>
<style>
body{font:14px/1.45 system-ui,sans-serif;margin:24px;color:#111827;max-width:1280px}
h1{font-size:20px;margin:0 0 4px}h2{font-size:16px;margin:22px 0 6px}h3{font-size:14px;margin:12px 0 2px;color:#374151}
p.meta{color:#4b5563;margin:0 0 12px}.ranking{font-size:22px;font-weight:600;margin:8px 0 2px}.note{color:#6b7280;font-size:12px;max-width:960px}
table{border-collapse:collapse;font-variant-numeric:tabular-nums;font-size:12px}
th,td{padding:4px 8px;border-bottom:1px solid #e5e7eb;text-align:right;white-space:nowrap}th{background:#f9fafb}
th:first-child,td:first-child{text-align:left}
.matrix td{text-align:center;min-width:150px}.matrix .win{background:#dcfce7}.matrix .loss{background:#fee2e2}.matrix .tie{background:#f3f4f6}.matrix .self{color:#9ca3af}
.up{color:#15803d}.down{color:#b91c1c}
</style></head><body>
<h1>Season ${esc(report.season)}</h1>
<p class="meta">${report.completedRuns} of ${report.runs.length} runs completed · ${report.models.length} models · ${parts.join(" + ")} · ${settings.tickIntervalMs / 60_000}-minute ticks · seed ${settings.seed} · LLM spend ${report.spent.tokens} tokens, $${esc(report.spent.usd)}</p>
<div class="ranking">${esc(report.ranking.text)}</div>
<p class="note">Ranking by ${esc(rankingLabel)}. ${esc(report.ranking.notation)}</p>
<h2>Pairwise: ${esc(rankingLabel)}, row minus column</h2>
${matrixHtml(report, rankingKey)}
<p class="note">Each cell: the verdict for the row model (&gt; beats, &lt; loses to, ~ indistinguishable), the mean paired difference over the runs, its bootstrap interval at the family-wise level, the Holm-adjusted sign-test p-value, and the runs the row model won.</p>
<h2>Distributions across runs</h2>
<p class="note">Box: quartiles; thick line: median; whiskers: min to max; diamond: mean; dots: the runs.</p>
${sections}
<h2>Runs</h2>
<table><thead><tr><th>run</th><th>window</th>${report.models.map((m) => `<th>${esc(m)} return</th>`).join("")}<th>backtest</th></tr></thead><tbody>
${runRows}
</tbody></table>
</body></html>
`;
}
