/**
 * The dashboard in a real browser: the machine's Chromium (see ./chromium.ts) driven by
 * playwright-core (never a downloaded browser) against the api on 127.0.0.1, over a seeded
 * in-memory database. The test publishes events on the bus the api was given and watches
 * them arrive. Without a browser it is skipped with one line saying how to install one,
 * except under CI=true, where that fails.
 */
import { existsSync, mkdirSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { type ApiServer, createApiServer } from "@autonome/api";
import { type SeededArena, seedArena } from "@autonome/api/testing";
import { ArenaEventBus, ManualClock } from "@autonome/core";
import { type Db, createDb } from "@autonome/db";
import { type Browser, chromium } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { findChromium } from "./chromium.js";

const here = dirname(fileURLToPath(import.meta.url));
const dist = resolve(here, "../dist");
const screenshots = resolve(here, "../screenshots");
const CHROMIUM = findChromium();
if (CHROMIUM.problem !== undefined) {
  if (process.env.CI === "true") throw new Error(`CI=true but the browser tests cannot run: ${CHROMIUM.problem}`);
  console.warn(`skipping the dashboard's browser tests: ${CHROMIUM.problem}`);
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
    db = await createDb({ kind: "pglite", dataDir: "memory://", clock });
    arena = await seedArena(db, clock);
    api = createApiServer({ db, events: bus, clock, staticDir: dist, heartbeatMs: 5_000 });
    base = (await api.listen({ port: 0, host: "127.0.0.1" })).url;
    browser = await chromium.launch({
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
  });

  afterAll(async () => {
    await browser?.close();
    await api?.close();
    await db?.close();
  });

  it("renders the leaderboard with every model and its equity curve, and applies a live update from the stream", async () => {
    const page = await browser.newPage({ viewport: { width: 1280, height: 860 } });
    const errors: string[] = [];
    page.on("pageerror", (e) => errors.push(e.message));
    await page.goto(`${base}/`);
    await page.waitForSelector("#board-rows tr[data-model]");
    const names = await page.$$eval("#board-rows tr[data-model] td.name a", (links) => links.map((a) => a.textContent));
    expect(names).toEqual(["momentum-rule", "gpt-test (aggressive)", "mean-reversion-rule"]);
    expect(await page.locator("#equity canvas").count()).toBeGreaterThan(0);
    await page.waitForSelector("#live.on");

    // A new snapshot lands in the database and the worker announces it.
    const quiet = arena.models[2]!;
    clock.advanceBy(60_000);
    await db.portfolio.record({ modelId: quiet.id, total: "12345.67", available: "12000", unrealizedPnl: "0" });
    bus.publish("portfolioSnapshotted", { modelId: quiet.id, total: "12345.67", available: "12000", unrealizedPnl: "0" }, clock.now());
    await page.waitForSelector("#feed li[data-event-type=portfolioSnapshotted]");
    expect(await page.textContent("#feed")).toContain("$12,345.67");
    // The refresh re-ranks the table: the quiet model now leads on account value.
    await page.waitForFunction(() => document.querySelector("#board-rows tr td.name a")?.textContent === "gpt-test (aggressive)");
    expect(await page.textContent("#board-rows tr:first-child")).toContain("$12,345.67");

    mkdirSync(screenshots, { recursive: true });
    await page.screenshot({ path: join(screenshots, "dashboard.png") });
    expect(errors).toEqual([]);
    await page.close();
  });

  it("shows a model's positions, trades and expandable reasoning, and the health and failures page", async () => {
    const page = await browser.newPage({ viewport: { width: 1100, height: 800 } });
    const model = arena.models[0]!;
    await page.goto(`${base}/#/model/${model.id}`);
    await page.waitForSelector(".tab-body table");
    expect(await page.textContent(".tab-body")).toContain("BTC");
    await page.click("a.tab[href$='/trades']");
    await page.waitForFunction(() => document.querySelectorAll(".tab-body tbody tr").length === 3);
    await page.click("a.tab[href$='/chat']");
    await page.waitForSelector("details.chat");
    expect(await page.isVisible("details.chat pre")).toBe(false);
    await page.click("details.chat summary");
    expect(await page.textContent("details.chat")).toContain("momentum-rule: trend is up");
    expect(await page.isVisible("details.chat pre")).toBe(true);
    expect(await page.textContent("details.chat")).toContain("CREATE_POSITION");

    await page.goto(`${base}/#/health`);
    await page.waitForSelector(".status");
    expect(await page.textContent(".status")).toBe("ok");
    expect(await page.textContent("main")).toContain("agent timed out after 30000 ms");
    await page.click("details.chat summary");
    expect(await page.textContent("details.chat pre.steps")).toContain('"error": "timeout"');

    await page.goto(`${base}/#/analytics`);
    await page.waitForFunction(() => document.querySelector("main")?.textContent?.includes("Sharpe") ?? false);
    expect(await page.textContent("main")).toContain("Profit factor");
    await page.close();
  });

  it("fits a phone's width without horizontal scrolling of the page", async () => {
    const page = await browser.newPage({ viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true });
    await page.goto(`${base}/`);
    await page.waitForSelector("#board-rows tr[data-model]");
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    expect(overflow).toBeLessThanOrEqual(0);
    await page.close();
  });
});
