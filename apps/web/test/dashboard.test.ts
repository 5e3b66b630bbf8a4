/**
 * The dashboard in a real browser: the machine's Chromium (see ./chromium.ts) driven by
 * playwright-core (never a downloaded browser) against the api on 127.0.0.1, over seeded
 * in-memory databases. The tests publish events on the bus the api was given and watch
 * them arrive. Without a browser they are skipped with one line saying how to install
 * one, except under CI=true, where that fails.
 */
import { existsSync, mkdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { type ApiServer, createApiServer } from "@autonome/api";
import { type SeededArena, seedArena } from "@autonome/api/testing";
import { ArenaEventBus, ManualClock, emptyExitPlan, toDecimal } from "@autonome/core";
import { type Db, type ModelRecord, createDb } from "@autonome/db";
import { type Browser, type Page, chromium } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { findChromium } from "./chromium.js";

const here = dirname(fileURLToPath(import.meta.url));
const dist = resolve(here, "../dist");
/** Screenshots of the test runs (not the README's, which come from a real run: see the README). */
const shots = join(tmpdir(), "autonome-web-test-shots");
const CHROMIUM = findChromium();
if (CHROMIUM.problem !== undefined) {
  if (process.env.CI === "true") throw new Error(`CI=true but the browser tests cannot run: ${CHROMIUM.problem}`);
  console.warn(`skipping the dashboard's browser tests: ${CHROMIUM.problem}`);
}

async function launch(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM.path,
    headless: true,
    args: [
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
      // No --user-data-dir: launch() gives every run a fresh temporary profile itself.
    ],
  });
}

/** A page that records script errors. */
async function open(browser: Browser, url: string, viewport = { width: 1280, height: 900 }, mobile = false): Promise<{ page: Page; errors: string[] }> {
  const page = await browser.newPage({ viewport, ...(mobile ? { isMobile: true, hasTouch: true } : {}) });
  const errors: string[] = [];
  page.on("pageerror", (e) => errors.push(e.message));
  await page.goto(url);
  return { page, errors };
}

describe.skipIf(CHROMIUM.path === undefined)("dashboard in Chromium", () => {
  const clock = new ManualClock(Date.UTC(2026, 0, 1));
  const bus = new ArenaEventBus();
  let db: Db;
  let arena: SeededArena;
  let api: ApiServer;
  let base: string;
  let browser: Browser;

  beforeAll(async () => {
    if (!existsSync(join(dist, "index.html"))) throw new Error("build the dashboard first (vite build)");
    mkdirSync(shots, { recursive: true });
    db = await createDb({ kind: "pglite", dataDir: "memory://", clock });
    arena = await seedArena(db, clock);
    api = createApiServer({ db, events: bus, clock, staticDir: dist, heartbeatMs: 5_000 });
    base = (await api.listen({ port: 0, host: "127.0.0.1" })).url;
    browser = await launch();
  });

  afterAll(async () => {
    await browser?.close();
    await api?.close();
    await db?.close();
  });

  it("renders the leaderboard with display names, SIM badges and every model's curve, and applies a live update in place", async () => {
    const { page, errors } = await open(browser, `${base}/`);
    await page.waitForSelector("#board-rows tr[data-model]");
    const names = await page.$$eval("#board-rows tr[data-model] td.name a", (links) => links.map((a) => a.textContent));
    expect(names).toEqual(["Momentum rule", "GPT test (aggressive)", "Mean reversion rule"]);
    expect(await page.$$eval("#board-rows tr[data-model] .badge.sim", (b) => b.length)).toBe(3);
    expect(await page.locator("#equity canvas").count()).toBeGreaterThan(0);
    await page.waitForSelector("#live.on");

    // A row kept across the update is the same element (updated in place, not redrawn).
    // Mean reversion stays third; its row does not change, so it must stay the same element.
    const steady = arena.models[1]!.id;
    await page.evaluate((id) => ((document.querySelector(`#board-rows tr[data-model="${id}"]`) as HTMLElement & { marked?: boolean }).marked = true), steady);
    const quiet = arena.models[2]!;
    clock.advanceBy(60_000);
    await db.portfolio.record({ modelId: quiet.id, total: "12345.67", available: "12000", unrealizedPnl: "0" });
    bus.publish("portfolioSnapshotted", { modelId: quiet.id, total: "12345.67", available: "12000", unrealizedPnl: "0" }, clock.now());
    await page.waitForSelector("#feed li[data-event-type=portfolioSnapshotted]");
    expect(await page.textContent("#feed")).toContain("$12,345.67");
    // The refresh re-ranks the table: the quiet model now leads on account value.
    await page.waitForFunction(() => document.querySelector("#board-rows tr td.name a")?.textContent === "GPT test (aggressive)");
    expect(await page.textContent("#board-rows tr:first-child")).toContain("$12,345.67");
    expect(await page.evaluate((id) => (document.querySelector(`#board-rows tr[data-model="${id}"]`) as HTMLElement & { marked?: boolean }).marked === true, steady)).toBe(true);

    // Sortable: by trades, most first.
    await page.click("#board-head th[data-sort=trades]");
    const trades = await page.$$eval("#board-rows tr[data-model] td[data-label=Trades]", (cells) => cells.map((c) => Number(c.textContent)));
    expect(trades).toEqual([...trades].sort((a, b) => b - a));
    // Times carry seconds and a relative part.
    expect(await page.textContent("#feed time")).toMatch(/\d\d:\d\d:\d\d · \d+ (s|min|h|d) ago|in \d+/);
    expect((await fetch(`${base}/favicon.ico`)).headers.get("content-type")).toBe("image/x-icon");
    await page.screenshot({ path: join(shots, "arena.png"), fullPage: true });
    expect(errors).toEqual([]);
    await page.close();
  });

  it("shows the arena-wide feeds: completed trades, every model's decisions, open positions, coin prices and the recent events on load", async () => {
    bus.publish("tickStarted", { tick: 42, modelIds: arena.models.map((m) => m.id) }, clock.now());
    const { page, errors } = await open(browser, `${base}/`);
    // The live feed shows what happened before the page was opened.
    await page.waitForSelector("#feed li[data-event-type=tickStarted]");
    await page.waitForSelector("#arena-trades li.trade");
    expect(await page.locator("#arena-trades li.trade").count()).toBe(6);
    expect(await page.textContent("#arena-trades")).toContain("Mean reversion rule");
    expect(await page.textContent("#arena-trades")).toMatch(/LONG BTC 5x/);
    // Every model's decisions, newest first, with action chips.
    const chat = await page.$$eval("#arena-chat details.decision", (ds) => ds.map((d) => d.querySelector(".model")?.textContent ?? ""));
    expect(chat).toHaveLength(4);
    expect(new Set(chat.map((c) => c.replace(/SIM$/, "")))).toEqual(new Set(["Momentum rule", "GPT test (aggressive)", "Mean reversion rule"]));
    expect(await page.textContent("#arena-chat")).toContain("LONG BTC");
    expect(await page.textContent("#arena-chat")).toMatch(/HOLD\s*✓/);
    // Positions of every model with notional, liquidation, SL/TP and holding time.
    expect(await page.locator("#arena-positions tr").count()).toBe(2);
    const btc = await page.textContent("#arena-positions tr:has-text('BTC')");
    expect(btc).toContain("Momentum rule");
    expect(btc).toContain("90,000 / 110,000");
    expect(await page.textContent("#prices")).toContain("BTC");
    expect(errors).toEqual([]);
    await page.close();
  });

  it("keeps an open decision open and the scroll where it was across a live update", async () => {
    const { page, errors } = await open(browser, `${base}/#/model/${arena.models[0]!.id}/chat`, { width: 1100, height: 700 });
    await page.waitForSelector("#model-chat details.decision");
    await page.click("#model-chat details.decision summary");
    expect(await page.textContent("#model-chat details.decision[open]")).toContain("momentum-rule: trend is up");
    // The reasoning is readable text; the raw steps and the prompt stay folded.
    expect(await page.isVisible("#model-chat details.decision[open] .prose")).toBe(true);
    expect(await page.isVisible("#model-chat details.decision[open] details[data-part=prompt] pre")).toBe(false);
    await page.click("#model-chat details.decision[open] details[data-part=steps] summary");
    await page.evaluate(() => window.scrollTo(0, 250));
    const scrolled = await page.evaluate(() => window.scrollY);
    expect(scrolled).toBeGreaterThan(0);
    await page.evaluate(() => ((document.querySelector("#model-chat details.decision[open]") as HTMLElement & { marked?: boolean }).marked = true));

    // The model decides again; the worker announces it (and a snapshot, which refreshes the page).
    const model = arena.models[0]!;
    clock.advanceBy(15_000);
    const inv = await db.invocations.start({ modelId: model.id, prompt: "Next tick." });
    await db.invocations.recordToolCall({ invocationId: inv.id, type: "CLOSE_POSITION", arguments: { symbol: "BTC", reason: "target reached" }, accepted: false, rejectionReason: "no open position on BTC" });
    await db.invocations.finish(inv.id, { response: "Closing BTC.", responsePayload: { reasoning: "BTC reached the target.\n\nTaking profit now." }, inputTokens: 900, outputTokens: 40 });
    bus.publish("invocationFinished", { modelId: model.id, invocationId: inv.id, ok: true, latencyMs: 1200, inputTokens: 900, outputTokens: 40, toolCalls: 1, error: null }, clock.now());
    await page.waitForFunction(() => document.querySelectorAll("#model-chat details.decision").length === 2);
    const first = await page.textContent("#model-chat details.decision:first-child summary");
    expect(first).toMatch(/CLOSE BTC\s*✗\s*no open position on BTC/);
    // The decision opened before is still open, is the same element, and the steps inside it too.
    expect(await page.evaluate(() => document.querySelector<HTMLElement & { marked?: boolean }>("#model-chat details.decision[open]")?.marked === true)).toBe(true);
    expect(await page.isVisible("#model-chat details.decision[open] pre.steps")).toBe(true);
    expect(await page.evaluate(() => window.scrollY)).toBe(scrolled);
    // Load older: the page has both decisions; nothing older remains.
    expect(await page.textContent("#model-chat-more")).not.toContain("Load older");
    expect(errors).toEqual([]);
    await page.close();
  });

  it("shows a model's positions and trades, the health page naming models, and analytics with reasons, correlation and CSV", async () => {
    const { page, errors } = await open(browser, `${base}/#/model/${arena.models[0]!.id}`, { width: 1100, height: 800 });
    await page.waitForSelector("#model-positions tr");
    expect(await page.textContent("#model-positions")).toContain("BTC");
    // 0.05 BTC marked at the last price the arena recorded (its own 100,000 entry): $5,000 notional.
    expect(await page.textContent("#model-positions td[data-label=Notional]")).toBe("$5,000.00");
    await page.click("a.tab[href$='/trades']");
    await page.waitForFunction(() => document.querySelectorAll("#model-trades li.trade").length === 3);

    await page.goto(`${base}/#/health`);
    await page.waitForSelector("#failed details.decision");
    expect(await page.textContent("#health-status")).toBe("ok");
    expect(await page.textContent("#failed")).toContain("GPT test (aggressive)");
    expect(await page.textContent("#failed")).toContain("agent timed out after 30000 ms");
    await page.click("#failed details.decision summary");
    await page.click("#failed details.decision[open] details[data-part=steps] summary");
    expect(await page.textContent("#failed details.decision pre.steps")).toContain('"error": "timeout"');

    await page.goto(`${base}/#/analytics`);
    await page.waitForSelector("#correlation");
    expect(await page.textContent("main")).toContain("Profit factor");
    // The quiet model has no trades: its win rate is "—" with the reason beside it.
    expect(await page.textContent("main")).toContain("no closed trades");
    expect(await page.textContent("main")).not.toMatch(/e\+\d/);
    expect(await page.locator("#correlation tbody tr").count()).toBe(3);
    const csv = await page.evaluate(async () => (await fetch((document.getElementById("csv") as HTMLAnchorElement).href)).text());
    const lines = csv.trim().split("\r\n");
    expect(lines[0]).toMatch(/^model,window,totalReturn,annualizedReturn,sharpe/);
    expect(lines).toHaveLength(4);
    expect(await page.getAttribute("#csv", "download")).toMatch(/^autonome-analytics-(24h|7d|30d|all)\.csv$/);
    expect(errors).toEqual([]);
    await page.close();
  });

  it("lays the arena out for a phone: cards instead of clipped tables, no sideways scrolling", async () => {
    const { page, errors } = await open(browser, `${base}/`, { width: 390, height: 844 }, true);
    await page.waitForSelector("#board-rows tr[data-model]");
    await page.waitForSelector("#arena-positions tr");
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    expect(overflow).toBeLessThanOrEqual(0);
    const layout = await page.evaluate(() => {
      const row = document.querySelector("#board-rows tr[data-model]") as HTMLElement;
      const cells = [...document.querySelectorAll<HTMLElement>("#board-rows td, #arena-positions td")].filter((c) => c.offsetParent !== null);
      return {
        display: getComputedStyle(row).display,
        head: getComputedStyle(document.querySelector("#board-head") as HTMLElement).display,
        label: getComputedStyle(cells[0]!, "::before").content,
        clipped: cells.filter((c) => c.getBoundingClientRect().right > window.innerWidth + 0.5 || c.scrollWidth > c.clientWidth + 1).length,
      };
    });
    expect(layout).toEqual({ display: "grid", head: "none", label: '"Model"', clipped: 0 });
    await page.screenshot({ path: join(shots, "phone.png"), fullPage: false });
    expect(errors).toEqual([]);
    await page.close();
  });
});

describe.skipIf(CHROMIUM.path === undefined)("a young arena in Chromium (started minutes ago, no seeded history)", () => {
  let db: Db;
  let api: ApiServer;
  let base: string;
  let browser: Browser;
  let loser: ModelRecord;
  const start = Date.now() - 5 * 60_000;

  beforeAll(async () => {
    const clock = new ManualClock(start);
    db = await createDb({ kind: "pglite", dataDir: "memory://", clock });
    loser = await db.models.create({ name: "trend-follower", provider: "rule", modelName: "trend-follower" });
    const steady = await db.models.create({ name: "mean-reverter", provider: "rule", modelName: "mean-reverter" });
    clock.advanceBy(10_000);
    const o = await db.orders.openPosition({ modelId: loser.id, symbol: "BTC", side: "LONG", quantity: "0.1", leverage: "5", entryPrice: "100000", entryFee: "4", exitPlan: emptyExitPlan() });
    clock.advanceBy(60_000);
    await db.orders.closePosition({ orderId: o.orderId, exitPrice: "99000", closeTrigger: null, exitFee: "4" });
    // Thirty-second snapshots since the start; the first already after the loss.
    for (let i = 1; i <= 9; i++) {
      await db.portfolio.record({ modelId: loser.id, at: start + i * 30_000, total: toDecimal(9_892).minus(i), available: "9000", unrealizedPnl: "0" });
      await db.portfolio.record({ modelId: steady.id, at: start + i * 30_000, total: toDecimal(10_000).plus(i * 2), available: "9000", unrealizedPnl: "0" });
    }
    api = createApiServer({ db, events: new ArenaEventBus(), staticDir: dist, cacheTtlMs: 0 });
    base = (await api.listen({ port: 0, host: "127.0.0.1" })).url;
    browser = await launch();
  });

  afterAll(async () => {
    await browser?.close();
    await api?.close();
    await db?.close();
  });

  it("shows true returns from the starting capital and a curve in every window", async () => {
    const { page, errors } = await open(browser, `${base}/`);
    for (const window of ["24h", "7d", "all"]) {
      await page.click(`button[data-window="${window}"]`);
      await page.waitForFunction((id) => document.querySelector(`#board-rows tr[data-model="${id}"] td[data-label=Return]`)?.textContent?.trim() === "-1.17%", loser.id);
      // 10,000 - 108 (fees and the loss) - 9: -1.17 %, -$117.00.
      const row = await page.textContent(`#board-rows tr[data-model="${loser.id}"]`);
      expect(row).toContain("-$117.00");
      expect(row).toContain("$9,883.00");
      const equity = (await (await fetch(`${base}/api/equity?window=${window}&points=400`)).json()) as { series: { modelId: string; points: unknown[] }[] };
      // The starting point and nine snapshots: a curve, not a dot.
      expect(equity.series.find((s) => s.modelId === loser.id)!.points).toHaveLength(10);
    }
    await page.click('button[data-unit="pct"]');
    expect(await page.locator("#equity canvas").count()).toBeGreaterThan(0);
    // The legend agrees with the table.
    expect(await page.textContent("#legend")).toContain("-1.17%");
    await page.goto(`${base}/#/analytics`);
    await page.waitForSelector("#correlation");
    const text = await page.textContent("main");
    expect(text).toContain("-1.17%");
    expect(text).toContain("needs 7 d of history to annualize");
    expect(text).not.toMatch(/e\+\d|\d{10,}/);
    expect(errors).toEqual([]);
    await page.close();
  });
});
