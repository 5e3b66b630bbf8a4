/** Equity curves of every model on one lightweight-charts chart, in dollars or percent. */
import { type IChartApi, type ISeriesApi, LineSeries, type UTCTimestamp, createChart } from "lightweight-charts";
import type { Equity } from "./api.js";

/** Series colours, one per model in order. */
export const PALETTE = ["#2962ff", "#e91e63", "#00a86b", "#ff9800", "#9c27b0", "#00bcd4", "#795548", "#607d8b", "#cddc39", "#f44336"];

/** A mounted chart. */
export interface EquityChart {
  update(equity: Equity, unit: "usd" | "pct"): void;
  destroy(): void;
}

/** Mounts the chart in an element. */
export function mountEquityChart(element: HTMLElement): EquityChart {
  const chart: IChartApi = createChart(element, {
    autoSize: true,
    height: 320,
    layout: { background: { color: "transparent" }, textColor: "#9aa4b2", attributionLogo: false },
    grid: { vertLines: { color: "rgba(128,128,128,0.12)" }, horzLines: { color: "rgba(128,128,128,0.12)" } },
    timeScale: { timeVisible: true, secondsVisible: false },
    rightPriceScale: { borderVisible: false },
  });
  let series: ISeriesApi<"Line">[] = [];
  return {
    update(equity, unit) {
      for (const s of series) chart.removeSeries(s);
      series = equity.series.map((s, i) => {
        const line = chart.addSeries(LineSeries, { color: PALETTE[i % PALETTE.length]!, lineWidth: 2, title: s.name, priceLineVisible: false });
        const first = Number(s.points[0]?.total ?? 0);
        const seen = new Set<number>();
        const data = [];
        for (const p of s.points) {
          const t = Math.floor(p.t / 1000);
          if (seen.has(t)) continue;
          seen.add(t);
          const total = Number(p.total);
          data.push({ time: t as UTCTimestamp, value: unit === "usd" ? total : first > 0 ? (total / first - 1) * 100 : 0 });
        }
        line.setData(data);
        line.applyOptions({ priceFormat: unit === "usd" ? { type: "price", precision: 2, minMove: 0.01 } : { type: "percent", precision: 2, minMove: 0.01 } } as never);
        return line;
      });
      chart.timeScale().fitContent();
    },
    destroy() {
      chart.remove();
    },
  };
}
