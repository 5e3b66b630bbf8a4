import { describe, expect, it } from "vitest";
import { createProgress, progressLine } from "./progress.js";

const p = (tick: number) => ({ tick, ticks: 100, at: Date.UTC(2025, 5, 22) + tick * 300_000, fromMs: Date.UTC(2025, 5, 22), toMs: Date.UTC(2025, 5, 22) + 100 * 300_000 });

describe("backtest progress", () => {
  it("shows simulated time done, ticks per second and the ETA", () => {
    expect(progressLine(p(50), 10_000, 10)).toBe("[#####-----]  50% 2025-06-22T04:10Z 4.2/8.3 h simulated, 50/100 ticks, 5.0 ticks/s, ETA 10s");
  });

  it("redraws one line on a terminal and logs a plain line every 10% otherwise", () => {
    let now = 0;
    const tty: string[] = [];
    const bar = createProgress({ isTTY: true, write: (t) => tty.push(t) }, () => now);
    const plain: string[] = [];
    const log = createProgress({ isTTY: false, write: (t) => plain.push(t) }, () => now);
    for (let tick = 1; tick <= 100; tick++) {
      now += 200;
      bar.onTick(p(tick));
      log.onTick(p(tick));
    }
    bar.done();
    expect(tty.every((t) => t.startsWith("\r") || t === "\n")).toBe(true);
    expect(tty.at(-2)).toContain("100/100 ticks");
    expect(plain).toHaveLength(11);
    expect(plain.every((line) => line.startsWith("backtest ") && line.endsWith("\n") && !line.includes("\r"))).toBe(true);
  });
});
