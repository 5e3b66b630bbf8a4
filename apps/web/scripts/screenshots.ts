/**
 * The README's screenshots, taken from a running arena (pnpm start, or any api serving the
 * dashboard) with the machine's Chromium, headless:
 *
 *   node --import tsx scripts/screenshots.ts http://127.0.0.1:3000
 *
 * Writes screenshots/arena-desktop.png, model-desktop.png, analytics-desktop.png,
 * arena-phone.png and chat-phone.png. It opens the first decision of the model it shows, so
 * the ModelChat shots show a decision expanded.
 */
import { mkdirSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { type Page, chromium } from "playwright-core";
import { findChromium } from "../test/chromium.js";

const base = process.argv[2] ?? "http://127.0.0.1:3000";
const out = resolve(dirname(fileURLToPath(import.meta.url)), "../screenshots");
mkdirSync(out, { recursive: true });
const found = findChromium();
if (found.path === undefined) throw new Error(found.problem);
const browser = await chromium.launch({ executablePath: found.path, headless: true, args: ["--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking"] });

/** The model with the most decisions that succeeded: its page is the most telling. */
async function pickModel(): Promise<string> {
  const board = (await (await fetch(`${base}/api/leaderboard?window=24h`)).json()) as { rows: { model: { id: string }; trades: number; failing: unknown }[] };
  const ranked = [...board.rows].filter((r) => r.failing === null).sort((a, b) => b.trades - a.trades);
  return (ranked[0] ?? board.rows[0]!).model.id;
}

async function settle(page: Page, selector: string): Promise<void> {
  await page.waitForSelector(selector);
  await page.waitForTimeout(1500);
}

/** The whole page in one shot: the viewport made as tall as the page (a sticky header stays on top, unlike fullPage). */
async function wholePage(page: Page, path: string, width: number): Promise<void> {
  // No crosshair from the last click.
  await page.mouse.move(0, 0);
  const height = await page.evaluate(() => document.documentElement.scrollHeight);
  await page.setViewportSize({ width, height: Math.min(height, 4000) });
  await page.waitForTimeout(800);
  await page.screenshot({ path });
  await page.setViewportSize({ width, height: 900 });
}

try {
  const model = await pickModel();
  const desktop = await browser.newPage({ viewport: { width: 1440, height: 900 } });
  await desktop.goto(`${base}/`);
  await desktop.evaluate(() => localStorage.setItem("window", "24h"));
  await desktop.goto(`${base}/`);
  await settle(desktop, "#board-rows tr[data-model]");
  await desktop.click("#arena-chat details.decision summary").catch(() => undefined);
  await wholePage(desktop, join(out, "arena-desktop.png"), 1440);
  await desktop.goto(`${base}/#/model/${model}/chat`);
  await settle(desktop, "#model-chat details.decision");
  await desktop.click("#model-chat details.decision summary");
  await desktop.mouse.move(0, 0);
  await desktop.screenshot({ path: join(out, "model-desktop.png") });
  await desktop.goto(`${base}/#/analytics`);
  await settle(desktop, "#correlation");
  await wholePage(desktop, join(out, "analytics-desktop.png"), 1440);

  const phone = await browser.newPage({ viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true, deviceScaleFactor: 2 });
  await phone.goto(`${base}/`);
  await phone.evaluate(() => localStorage.setItem("window", "24h"));
  await phone.goto(`${base}/`);
  await settle(phone, "#board-rows tr[data-model]");
  await phone.screenshot({ path: join(out, "arena-phone.png") });
  await phone.goto(`${base}/#/model/${model}/chat`);
  await settle(phone, "#model-chat details.decision");
  await phone.click("#model-chat details.decision summary");
  await phone.screenshot({ path: join(out, "chat-phone.png") });
  console.log(`screenshots of ${base} in ${out}`);
} finally {
  await browser.close();
}
