import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { BacktestInputError, demoDataDir } from "../backtest/options.js";
import { parseSeasonArgs } from "./options.js";
import { buildSeasonSpec, pickWindows, seasonIdOf } from "./spec.js";

const TICK = 300_000;

describe("pickWindows", () => {
  it("picks K non-overlapping windows on the tick grid inside the range, reproducibly from the seed", () => {
    const range = { fromMs: 1_000_000_000, toMs: 1_000_000_000 + 30 * 86_400_000, windows: 20, windowMs: 86_400_000, tickIntervalMs: TICK };
    for (const seed of [1, 2, 3, 42]) {
      const windows = pickWindows({ ...range, seed });
      expect(windows).toHaveLength(20);
      for (const [i, w] of windows.entries()) {
        expect(w.toMs - w.fromMs).toBe(86_400_000);
        expect(w.fromMs % TICK).toBe(0);
        expect(w.fromMs).toBeGreaterThanOrEqual(range.fromMs);
        expect(w.toMs).toBeLessThanOrEqual(range.toMs);
        if (i > 0) expect(w.fromMs).toBeGreaterThanOrEqual(windows[i - 1]!.toMs);
      }
      expect(pickWindows({ ...range, seed })).toEqual(windows);
    }
    expect(pickWindows({ ...range, seed: 1 })).not.toEqual(pickWindows({ ...range, seed: 2 }));
  });

  it("spreads the slack: over many seeds the first window starts anywhere in the free room", () => {
    const starts = Array.from({ length: 200 }, (_, seed) => pickWindows({ fromMs: 0, toMs: 10 * 3_600_000, windows: 2, windowMs: 3_600_000, tickIntervalMs: TICK, seed })[0]!.fromMs);
    expect(Math.min(...starts)).toBe(0);
    expect(Math.max(...starts)).toBeGreaterThan(5 * 3_600_000);
  });

  it("returns nothing when the windows do not fit", () => {
    expect(pickWindows({ fromMs: 0, toMs: 3 * 3_600_000, windows: 4, windowMs: 3_600_000, tickIntervalMs: TICK, seed: 1 })).toEqual([]);
  });
});

describe("season options and spec", () => {
  const demo = () => parseSeasonArgs(["--demo", "--out", "/tmp/x"], {}, "/tmp");

  it("--demo is the three rule models over 4 windows of the demo data and 4 synthetic seeds", () => {
    const spec = buildSeasonSpec(demo().input);
    expect(spec.models.map((m) => m.id)).toEqual(["buy-and-hold-btc", "trend-follower", "mean-reverter"]);
    expect(spec.runs.map((r) => r.kind)).toEqual(["history", "history", "history", "history", "synthetic", "synthetic", "synthetic", "synthetic"]);
    expect(new Set(spec.runs.map((r) => r.seed)).size).toBe(8);
    expect(spec.history!.files.map((f) => f.name).sort()).toEqual(["funding_6sym_8h_2025-06-21_2025-06-23.csv.gz", "klines_6sym_1m_2025-06-21_2025-06-23.csv.gz"]);
  });

  it("names a season by its content: the same inputs give the same id wherever the files are, another seed another id", () => {
    const a = buildSeasonSpec(demo().input);
    const moved = { ...a, history: { ...a.history!, files: a.history!.files.map((f) => ({ ...f, path: join("/elsewhere", f.name) })) } };
    expect(seasonIdOf(moved)).toBe(seasonIdOf(a));
    const other = buildSeasonSpec(parseSeasonArgs(["--demo", "--seed", "7"], {}, "/tmp").input);
    expect(seasonIdOf(other)).not.toBe(seasonIdOf(a));
  });

  it("refuses a season that cannot run, before any work, naming the flag", () => {
    const fail = (args: string[]) => {
      try {
        buildSeasonSpec(parseSeasonArgs(args, {}, "/tmp").input);
      } catch (error) {
        expect(error).toBeInstanceOf(BacktestInputError);
        return (error as BacktestInputError).subject;
      }
      throw new Error("no error");
    };
    expect(fail([])).toBe("--windows");
    expect(fail(["--windows", "20", "--window", "1d", "--data", demoDataDir()])).toBe("--windows");
    expect(fail(["--seeds", "3", "--models", "trend-follower"])).toBe("--models");
    expect(fail(["--windows", "2", "--signal", "0.3"])).toBe("--seeds");
    expect(fail(["--seeds", "2", "--signal", "strong"])).toBe("--signal");
    expect(fail(["--seeds", "2", "--metric", "luck"])).toBe("--metric");
    expect(fail(["--seeds", "2", "--synthetic-symbols", "FOO"])).toBe("--synthetic-symbols");
  });
});
