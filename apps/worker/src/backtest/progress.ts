/**
 * Backtest progress: a bar on a terminal (simulated time done, ticks/s, ETA), plain
 * log lines otherwise. Wall time is read here only, never in the simulated path.
 */
import type { BacktestProgress } from "./run.js";

/** Where progress goes. */
export interface ProgressSink {
  isTTY?: boolean;
  write(text: string): unknown;
}

function formatEta(seconds: number): string {
  if (!Number.isFinite(seconds)) return "--";
  const s = Math.max(0, Math.round(seconds));
  return s >= 3600 ? `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, "0")}m` : s >= 60 ? `${Math.floor(s / 60)}m${String(s % 60).padStart(2, "0")}s` : `${s}s`;
}

/** One progress line (no newline): bar, simulated time done, ticks/s, ETA. */
export function progressLine(p: BacktestProgress, elapsedMs: number, barWidth = 24): string {
  const done = p.tick / p.ticks;
  const filled = Math.round(done * barWidth);
  const rate = elapsedMs > 0 ? (p.tick * 1000) / elapsedMs : 0;
  const inDays = (p.toMs - p.fromMs) / 3_600_000 >= 48;
  const unit = inDays ? 86_400_000 : 3_600_000;
  const simDone = (p.at - p.fromMs) / unit;
  const simTotal = (p.toMs - p.fromMs) / unit;
  const eta = rate > 0 ? (p.ticks - p.tick) / rate : Number.POSITIVE_INFINITY;
  return `[${"#".repeat(filled)}${"-".repeat(barWidth - filled)}] ${(done * 100).toFixed(0).padStart(3)}% ${new Date(p.at).toISOString().slice(0, 16)}Z ${simDone.toFixed(1)}/${simTotal.toFixed(1)} ${inDays ? "d" : "h"} simulated, ${p.tick}/${p.ticks} ticks, ${rate.toFixed(1)} ticks/s, ETA ${formatEta(eta)}`;
}

/** A progress reporter: redraws one line on a TTY, logs every 10% otherwise. */
export function createProgress(sink: ProgressSink, now: () => number = () => performance.now()): { onTick: (p: BacktestProgress) => void; done: () => void } {
  const started = now();
  let lastDraw = -Infinity;
  let lastDecile = -1;
  let drew = false;
  return {
    onTick(p) {
      const t = now();
      if (sink.isTTY) {
        if (t - lastDraw < 100 && p.tick < p.ticks) return;
        lastDraw = t;
        drew = true;
        sink.write(`\r${progressLine(p, t - started)}\u001b[K`);
        return;
      }
      const decile = Math.floor((p.tick / p.ticks) * 10);
      if (decile > lastDecile || p.tick === p.ticks) {
        lastDecile = decile;
        sink.write(`backtest ${progressLine(p, t - started, 0).replace(/^\[\] +/, "")}\n`);
      }
    },
    done() {
      if (drew) sink.write("\n");
    },
  };
}
