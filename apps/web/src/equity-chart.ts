/**
 * Equity curves of every model (or one) on one lightweight-charts chart, in dollars or in
 * percent of each series' baseline (the same baseline the leaderboard's return uses), with
 * markers for closed trades. Updates keep the series, the zoom and the scroll.
 */
import { type IChartApi, type ISeriesApi, type ISeriesMarkersPluginApi, LineSeries, type SeriesMarker, type Time, type UTCTimestamp, createChart, createSeriesMarkers } from "lightweight-charts";
import type { Equity, Trade } from "./api.js";

/** Series colours, one per model in order. */
export const PALETTE = ["#4c8dff", "#ff5c8a", "#2ecc8f", "#ffae42", "#b67cff", "#27c6da", "#c49a6c", "#9aa5b1", "#d4e157", "#ff7043"];

/** A mounted chart. */
export interface EquityChart {
  update(equity: Equity, unit: "usd" | "pct", trades: readonly Trade[], colours: ReadonlyMap<string, string>): void;
  destroy(): void;
}

/** Mounts the chart in an element. */
export function mountEquityChart(element: HTMLElement, height = 360): EquityChart {
  const chart: IChartApi = createChart(element, {
    autoSize: true,
    height,
    layout: { background: { color: "transparent" }, textColor: "#9aa4b2", attributionLogo: false },
    grid: { vertLines: { color: "rgba(128,128,128,0.10)" }, horzLines: { color: "rgba(128,128,128,0.10)" } },
    timeScale: { timeVisible: true, secondsVisible: true, borderVisible: false },
    rightPriceScale: { borderVisible: false },
    crosshair: { mode: 0 },
  });
  const lines = new Map<string, { line: ISeriesApi<"Line">; markers: ISeriesMarkersPluginApi<Time> }>();
  let fitted = false;
  let lastUnit: "usd" | "pct" | null = null;
  return {
    update(equity, unit, trades, colours) {
      const seen = new Set<string>();
      for (const [i, s] of equity.series.entries()) {
        seen.add(s.modelId);
        const colour = colours.get(s.modelId) ?? PALETTE[i % PALETTE.length]!;
        let entry = lines.get(s.modelId);
        if (entry === undefined) {
          // Names beside the last values only where there is room for them (not on a phone).
          const line = chart.addSeries(LineSeries, { color: colour, lineWidth: 2, title: element.clientWidth >= 600 ? s.name : "", priceLineVisible: false, lastValueVisible: true });
          entry = { line, markers: createSeriesMarkers(line, []) };
          lines.set(s.modelId, entry);
        }
        const base = Number(s.baseline?.value ?? s.points[0]?.total ?? 0);
        const data: { time: UTCTimestamp; value: number }[] = [];
        for (const p of s.points) {
          const t = Math.floor(p.t / 1000) as UTCTimestamp;
          const total = Number(p.total);
          const value = unit === "usd" ? total : base > 0 ? (total / base - 1) * 100 : 0;
          // One point per second: the later one wins.
          if (data.length > 0 && data[data.length - 1]!.time === t) data[data.length - 1] = { time: t, value };
          else data.push({ time: t, value });
        }
        entry.line.setData(data);
        entry.line.applyOptions({ color: colour, priceFormat: unit === "usd" ? { type: "price", precision: 2, minMove: 0.01 } : { type: "percent", precision: 2, minMove: 0.01 } });
        // A closed trade is marked on its model's curve at the point at or before its close.
        const markers: SeriesMarker<Time>[] = [];
        for (const t of trades) {
          if (t.modelId !== s.modelId || data.length === 0) continue;
          const at = Math.floor(t.closedAt / 1000);
          let k = data.length - 1;
          while (k > 0 && data[k]!.time > at) k--;
          if (data[k]!.time > at) continue;
          const win = Number(t.realizedPnl) >= 0;
          markers.push({ time: data[k]!.time, position: win ? "aboveBar" : "belowBar", color: win ? "#2ecc8f" : "#ff5c5c", shape: win ? "arrowDown" : "arrowUp", size: 0.8 });
        }
        markers.sort((a, b) => (a.time as number) - (b.time as number));
        entry.markers.setMarkers(markers);
      }
      for (const [id, entry] of lines) {
        if (seen.has(id)) continue;
        chart.removeSeries(entry.line);
        lines.delete(id);
      }
      // Fit once (and when the unit changes); later updates keep the user's zoom and scroll.
      if (!fitted || lastUnit !== unit) chart.timeScale().fitContent();
      fitted = true;
      lastUnit = unit;
    },
    destroy() {
      chart.remove();
    },
  };
}
