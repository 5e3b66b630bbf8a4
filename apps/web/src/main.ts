/**
 * The dashboard: hash routes (#/, #/model/<id>, #/analytics, #/health), data from the
 * api's JSON, live updates from its SSE stream (a trading event refreshes the page it
 * concerns and lands in the live feed).
 */
import "./styles.css";
import type { ArenaEvent as WholeEvent, EventMeta } from "@autonome/core";
import { type Equity, type Invocation, type LeaderboardRow, type Model, type Page, type Position, type Trade, getJson } from "./api.js";
import { type EquityChart, PALETTE, mountEquityChart } from "./equity-chart.js";
import { esc, money, num, percent, time, tone } from "./format.js";

/** An event as the api streams it: whole, or only its metadata when it was too large to send whole. */
type ArenaEvent = WholeEvent | (EventMeta & { type: WholeEvent["type"]; truncated: true });

const app = document.getElementById("app")!;
const liveBadge = document.getElementById("live")!;
const state = {
  window: (localStorage.getItem("window") as "24h" | "7d" | "30d" | "all" | null) ?? "7d",
  unit: (localStorage.getItem("unit") as "usd" | "pct" | null) ?? "usd",
  feed: [] as ArenaEvent[],
  models: new Map<string, Model>(),
};
let chart: EquityChart | null = null;
let refreshTimer: ReturnType<typeof setTimeout> | undefined;
let renderSeq = 0;

function modelName(id: string | undefined): string {
  const m = id === undefined ? undefined : state.models.get(id);
  return m === undefined ? (id ?? "arena").slice(0, 8) : m.variant === "default" ? m.name : `${m.name} (${m.variant})`;
}

function describeEvent(e: ArenaEvent): string {
  // A truncated event carries no payload: its type is all there is to show.
  if ("truncated" in e) return e.type;
  switch (e.type) {
    case "positionOpened": {
      const p = e.payload;
      return `${modelName(p.modelId)} opened ${p.side} ${p.quantity} ${p.symbol} @ ${p.entryPrice}`;
    }
    case "positionClosed":
      return `${modelName(e.payload.modelId)} closed ${e.payload.symbol}: ${money(e.payload.realizedPnl)}`;
    case "exitTriggered": {
      const p = e.payload;
      return `${modelName(p.modelId)} ${p.trigger} hit on ${p.symbol} @ ${p.exitPrice}`;
    }
    case "positionLiquidated":
      return `${modelName(e.payload.modelId)} liquidated on ${e.payload.symbol}`;
    case "decisionMade": {
      const p = e.payload;
      return `${modelName(p.modelId)} decided ${p.type}${p.symbol ? ` ${p.symbol}` : ""}${p.accepted ? "" : " (rejected)"}`;
    }
    case "invocationFinished":
      return `${modelName(e.payload.modelId)} ${e.payload.ok ? "finished" : "failed"} in ${e.payload.latencyMs} ms`;
    case "portfolioSnapshotted":
      return `${modelName(e.payload.modelId)} account ${money(e.payload.total)}`;
    case "tickStarted":
      return `tick ${e.payload.tick} started`;
    case "tickFinished":
      return `tick ${e.payload.tick} finished in ${e.payload.durationMs} ms`;
    case "modelStale":
      return `${modelName(e.payload.modelId)} was stale and cleared`;
    case "exitPlanUpdated":
      return e.type;
  }
}

function feedHtml(): string {
  if (state.feed.length === 0) return `<li class="muted">Waiting for the worker's events…</li>`;
  return state.feed
    .slice(0, 30)
    .map((e) => `<li data-event-type="${esc(e.type)}"><time>${esc(time(e.tsEvent).slice(11))}</time> ${esc(describeEvent(e))}</li>`)
    .join("");
}

async function loadModels(): Promise<void> {
  const { items } = await getJson<{ items: Model[] }>("/api/models");
  state.models = new Map(items.map((m) => [m.id, m]));
}

function setActiveNav(name: string): void {
  for (const a of document.querySelectorAll<HTMLAnchorElement>("nav a")) a.classList.toggle("active", a.dataset.nav === name);
}

async function renderLeaderboard(seq: number): Promise<void> {
  setActiveNav("leaderboard");
  const [board, equity] = await Promise.all([
    getJson<{ rows: LeaderboardRow[] }>(`/api/leaderboard?window=${state.window}`),
    getJson<Equity>(`/api/equity?window=${state.window}&points=300`),
  ]);
  if (seq !== renderSeq) return;
  const colour = new Map(equity.series.map((s, i) => [s.modelId, PALETTE[i % PALETTE.length]!]));
  const windows = (["24h", "7d", "30d", "all"] as const)
    .map((w) => `<button data-window="${w}" class="${w === state.window ? "on" : ""}">${w}</button>`)
    .join("");
  const rows = board.rows
    .map(
      (r) => `<tr data-model="${esc(r.model.id)}">
        <td>${r.rank}</td>
        <td class="name"><span class="dot" style="background:${colour.get(r.model.id) ?? "#888"}"></span><a href="#/model/${esc(r.model.id)}">${esc(modelName(r.model.id))}</a></td>
        <td>${money(r.accountValue)}</td>
        <td class="${tone(r.return)}">${percent(r.return)}</td>
        <td class="${tone(r.pnl)}">${money(r.pnl)}</td>
        <td>${money(r.fees)}</td>
        <td>${percent(r.winRate, 0).replace("+", "")}</td>
        <td class="pos">${money(r.biggestWin)}</td>
        <td class="neg">${money(r.biggestLoss)}</td>
        <td>${num(r.sharpe)}</td>
        <td>${r.maxDrawdown === null ? "—" : `${(r.maxDrawdown * 100).toFixed(1)}%`}</td>
        <td>${r.trades}</td>
      </tr>`,
    )
    .join("");
  const existing = document.getElementById("equity");
  if (existing === null) {
    chart?.destroy();
    chart = null;
    app.innerHTML = `
      <section class="panel">
        <div class="bar"><h1>Leaderboard</h1><div class="seg" id="windows"></div><div class="seg" id="units"></div></div>
        <div id="equity" class="chart"></div>
        <div class="scroll"><table class="board"><thead><tr>
          <th>#</th><th>Model</th><th>Account</th><th>Return</th><th>PnL</th><th>Fees</th><th>Win rate</th><th>Best</th><th>Worst</th><th>Sharpe</th><th>Max DD</th><th>Trades</th>
        </tr></thead><tbody id="board-rows"></tbody></table></div>
      </section>
      <section class="panel"><h2>Live</h2><ul id="feed" class="feed"></ul></section>`;
    chart = mountEquityChart(document.getElementById("equity")!);
  }
  document.getElementById("windows")!.innerHTML = windows;
  document.getElementById("units")!.innerHTML = `<button data-unit="usd" class="${state.unit === "usd" ? "on" : ""}">$</button><button data-unit="pct" class="${state.unit === "pct" ? "on" : ""}">%</button>`;
  document.getElementById("board-rows")!.innerHTML = rows || `<tr><td colspan="12" class="muted">No models yet.</td></tr>`;
  document.getElementById("feed")!.innerHTML = feedHtml();
  chart?.update(equity, state.unit);
}

function positionsHtml(items: Position[]): string {
  if (items.length === 0) return `<p class="muted">No open positions.</p>`;
  return `<div class="scroll"><table><thead><tr><th>Symbol</th><th>Side</th><th>Size</th><th>Lev.</th><th>Entry</th><th>Mark</th><th>Unrealized</th><th>Stop</th><th>Target</th><th>Opened</th></tr></thead><tbody>${items
    .map(
      (p) => `<tr><td>${esc(p.symbol)}</td><td class="${p.side === "LONG" ? "pos" : "neg"}">${p.side}</td><td>${esc(p.quantity)}</td><td>${esc(p.leverage)}x</td>
      <td>${esc(p.entryPrice)}</td><td title="${esc(p.priceSource)}">${esc(p.markPrice ?? "—")}${p.priceSource === "lastKnown" ? "*" : ""}</td>
      <td class="${tone(p.unrealizedPnl)}">${money(p.unrealizedPnl)}</td><td>${esc(p.exitPlan.stop ?? "—")}</td><td>${esc(p.exitPlan.target ?? "—")}</td><td>${time(p.openedAt)}</td></tr>`,
    )
    .join("")}</tbody></table></div><p class="muted small">* marked at the last price the arena recorded (no live market in this process).</p>`;
}

function tradesHtml(items: Trade[]): string {
  if (items.length === 0) return `<p class="muted">No closed trades.</p>`;
  return `<div class="scroll"><table><thead><tr><th>Closed</th><th>Symbol</th><th>Side</th><th>Size</th><th>Entry</th><th>Exit</th><th>PnL</th><th>Fees</th><th>Trigger</th></tr></thead><tbody>${items
    .map(
      (t) => `<tr><td>${time(t.closedAt)}</td><td>${esc(t.symbol)}</td><td>${t.side}</td><td>${esc(t.quantity)}</td><td>${esc(t.entryPrice)}</td><td>${esc(t.exitPrice)}</td>
      <td class="${tone(t.realizedPnl)}">${money(t.realizedPnl)}</td><td>${money(t.fees)}</td><td>${esc(t.closeTrigger ?? "model")}</td></tr>`,
    )
    .join("")}</tbody></table></div>`;
}

function invocationHtml(inv: Invocation): string {
  const calls = inv.toolCalls
    .map(
      (c) => `<li class="${c.accepted ? "" : "rejected"}"><code>${esc(c.type ?? c.tool)}</code> <code class="args">${esc(JSON.stringify(c.arguments))}</code>${c.accepted ? "" : ` — rejected: ${esc(c.rejectionReason)}`}</li>`,
    )
    .join("");
  return `<details class="chat">
    <summary><time>${time(inv.startedAt)}</time> <span>${esc(inv.error ? `failed: ${inv.error}` : (inv.response ?? "").slice(0, 120) || "(no reply)")}</span>
      <span class="muted small">${inv.toolCalls.length} tool call${inv.toolCalls.length === 1 ? "" : "s"} · ${inv.inputTokens}+${inv.outputTokens} tok · ${inv.latencyMs ?? "—"} ms</span></summary>
    ${inv.reasoning ? `<h4>Reasoning</h4><p>${esc(inv.reasoning)}</p>` : ""}
    <h4>Tool calls</h4>${calls ? `<ul>${calls}</ul>` : `<p class="muted">none</p>`}
    ${inv.response && inv.response !== inv.reasoning ? `<h4>Response</h4><pre>${esc(inv.response)}</pre>` : ""}
    ${inv.error ? `<h4>Error</h4><pre>${esc(inv.error)}</pre>` : ""}
    ${inv.steps !== null && inv.steps !== undefined ? `<h4>Steps</h4><pre class="steps">${esc(JSON.stringify(inv.steps, null, 2))}</pre>` : ""}
    <h4>Prompt</h4><pre>${esc(inv.prompt)}</pre>
  </details>`;
}

async function renderModel(seq: number, id: string, tab: string): Promise<void> {
  setActiveNav("");
  const [model, positions, trades, chats] = await Promise.all([
    getJson<Model>(`/api/models/${encodeURIComponent(id)}`),
    getJson<{ items: Position[]; totalUnrealizedPnl: string }>(`/api/positions?modelId=${encodeURIComponent(id)}`),
    getJson<Page<Trade>>(`/api/trades?modelId=${encodeURIComponent(id)}&limit=100`),
    getJson<Page<Invocation>>(`/api/invocations?modelId=${encodeURIComponent(id)}&limit=25`),
  ]);
  if (seq !== renderSeq) return;
  chart?.destroy();
  chart = null;
  const tabs = [
    ["positions", `Positions (${positions.items.length})`],
    ["trades", `Trades (${trades.items.length}${trades.nextCursor ? "+" : ""})`],
    ["chat", "ModelChat"],
  ]
    .map(([key, label]) => `<a class="tab ${key === tab ? "on" : ""}" href="#/model/${esc(id)}/${key}">${label}</a>`)
    .join("");
  const body = tab === "trades" ? tradesHtml(trades.items) : tab === "chat" ? chats.items.map(invocationHtml).join("") || `<p class="muted">No invocations yet.</p>` : positionsHtml(positions.items);
  app.innerHTML = `<section class="panel">
    <div class="bar"><h1>${esc(modelName(model.id) || model.name)}</h1><span class="muted">${esc(model.provider)} / ${esc(model.modelName)} · ${model.mode ?? "default mode"} · ${model.invocationCount} invocations</span></div>
    <p>Unrealized PnL: <strong class="${tone(positions.totalUnrealizedPnl)}">${money(positions.totalUnrealizedPnl)}</strong> · <a href="#/analytics">analytics</a></p>
    <nav class="tabs">${tabs}</nav><div class="tab-body">${body}</div></section>`;
}

interface Analytics {
  model: Model;
  metrics: Record<string, number | string | null>;
}

async function renderAnalytics(seq: number): Promise<void> {
  setActiveNav("analytics");
  await loadModels();
  const all = await Promise.all([...state.models.keys()].map((id) => getJson<Analytics>(`/api/models/${id}/analytics?window=${state.window}`)));
  if (seq !== renderSeq) return;
  chart?.destroy();
  chart = null;
  const rows: [string, (m: Analytics["metrics"]) => string][] = [
    ["Total return", (m) => percent(m.totalReturn as number | null)],
    ["Annualized return", (m) => percent(m.annualizedReturn as number | null)],
    ["Sharpe", (m) => num(m.sharpe as number | null)],
    ["Sortino", (m) => num(m.sortino as number | null)],
    ["Calmar", (m) => num(m.calmar as number | null)],
    ["Max drawdown", (m) => percent(m.maxDrawdown as number).replace("+", "")],
    ["Trades", (m) => String(m.tradeCount)],
    ["Win rate", (m) => percent(m.winRate as number | null, 0).replace("+", "")],
    ["Profit factor", (m) => num(m.profitFactor as number | null)],
    ["Expectancy", (m) => money(m.expectancy as string | null)],
    ["Biggest win", (m) => money(m.biggestWin as string | null)],
    ["Biggest loss", (m) => money(m.biggestLoss as string | null)],
    ["Realized PnL", (m) => money(m.realizedPnl as string)],
    ["Fees paid", (m) => money(m.feesPaid as string)],
    ["Avg. leverage", (m) => num(m.averageLeverage as number | null)],
    ["Avg. confidence", (m) => num(m.averageConfidence as number | null)],
    ["Long share", (m) => percent(m.longShare as number | null, 0).replace("+", "")],
    ["Decision quality", (m) => num(m.decisionQuality as number | null)],
  ];
  app.innerHTML = `<section class="panel"><div class="bar"><h1>Analytics</h1><span class="muted">window ${esc(state.window)}</span></div>
    <div class="scroll"><table><thead><tr><th>Metric</th>${all.map((a) => `<th><a href="#/model/${esc(a.model.id)}">${esc(modelName(a.model.id))}</a></th>`).join("")}</tr></thead>
    <tbody>${rows.map(([label, f]) => `<tr><td>${label}</td>${all.map((a) => `<td>${esc(f(a.metrics))}</td>`).join("")}</tr>`).join("")}</tbody></table></div></section>`;
}

interface Health {
  status: string;
  workers: { workerId: string; host: string; status: string; tick: number; lastTickAt: number | null; lastSuccessAt: number | null; runningModelIds: string[]; consecutiveFailedCycles: number; degraded: boolean; degradedReason: string | null; stale: boolean }[];
  models: { id: string; name: string; failedWorkflowCount: number; failedToolCallCount: number }[];
}

async function renderHealth(seq: number): Promise<void> {
  setActiveNav("health");
  const [health, failed] = await Promise.all([getJson<Health>("/api/health"), getJson<Page<Invocation>>("/api/invocations/failed?limit=25")]);
  if (seq !== renderSeq) return;
  chart?.destroy();
  chart = null;
  const workers = health.workers
    .map(
      (w) => `<tr><td>${esc(w.workerId)}</td><td>${esc(w.host)}</td><td>${esc(w.status)}${w.stale ? " (stale)" : ""}</td><td>${w.tick}</td><td>${time(w.lastTickAt)}</td><td>${time(w.lastSuccessAt)}</td>
      <td>${w.runningModelIds.map(modelName).map(esc).join(", ") || "—"}</td><td>${w.consecutiveFailedCycles}</td><td class="${w.degraded ? "neg" : "pos"}">${w.degraded ? esc(w.degradedReason ?? "degraded") : "no"}</td></tr>`,
    )
    .join("");
  app.innerHTML = `<section class="panel"><div class="bar"><h1>Health</h1><span class="status ${esc(health.status)}">${esc(health.status)}</span></div>
    <div class="scroll"><table><thead><tr><th>Worker</th><th>Host</th><th>Status</th><th>Tick</th><th>Last tick</th><th>Last success</th><th>Running</th><th>Failed cycles</th><th>Degraded</th></tr></thead>
    <tbody>${workers || `<tr><td colspan="9" class="muted">No worker has reported.</td></tr>`}</tbody></table></div>
    <h2>Failures per model</h2><div class="scroll"><table><thead><tr><th>Model</th><th>Failed workflows</th><th>Rejected tool calls</th></tr></thead><tbody>
    ${health.models.map((m) => `<tr><td>${esc(modelName(m.id))}</td><td>${m.failedWorkflowCount}</td><td>${m.failedToolCallCount}</td></tr>`).join("")}</tbody></table></div></section>
    <section class="panel"><h2>Failed invocations</h2>${failed.items.map(invocationHtml).join("") || `<p class="muted">None.</p>`}</section>`;
}

async function render(): Promise<void> {
  const seq = ++renderSeq;
  const parts = location.hash.replace(/^#\/?/, "").split("/");
  try {
    if (state.models.size === 0) await loadModels();
    if (parts[0] === "model" && parts[1]) await renderModel(seq, parts[1], parts[2] ?? "positions");
    else if (parts[0] === "analytics") await renderAnalytics(seq);
    else if (parts[0] === "health") await renderHealth(seq);
    else await renderLeaderboard(seq);
  } catch (error) {
    if (seq === renderSeq) app.innerHTML = `<section class="panel error">Could not load: ${esc((error as Error).message)}</section>`;
  }
}

function scheduleRefresh(): void {
  clearTimeout(refreshTimer);
  // Events come in bursts (a tick closes several positions): refresh once per burst.
  refreshTimer = setTimeout(() => void render(), 400);
}

const REFRESHING = new Set(["positionOpened", "positionClosed", "exitTriggered", "positionLiquidated", "exitPlanUpdated", "portfolioSnapshotted", "invocationFinished", "tickFinished"]);

function connect(): void {
  const source = new EventSource("/api/events");
  source.onopen = () => {
    liveBadge.textContent = "live";
    liveBadge.classList.add("on");
  };
  source.onerror = () => {
    liveBadge.textContent = "reconnecting";
    liveBadge.classList.remove("on");
  };
  source.addEventListener("gap", () => scheduleRefresh());
  source.onmessage = (message) => {
    const event = JSON.parse(message.data as string) as ArenaEvent;
    state.feed.unshift(event);
    state.feed.length = Math.min(state.feed.length, 100);
    const feed = document.getElementById("feed");
    if (feed !== null) feed.innerHTML = feedHtml();
    if (REFRESHING.has(event.type)) scheduleRefresh();
  };
}

app.addEventListener("click", (e) => {
  const target = e.target as HTMLElement;
  const w = target.closest<HTMLButtonElement>("button[data-window]")?.dataset.window;
  const u = target.closest<HTMLButtonElement>("button[data-unit]")?.dataset.unit;
  if (w) {
    state.window = w as typeof state.window;
    localStorage.setItem("window", w);
    void render();
  }
  if (u) {
    state.unit = u as typeof state.unit;
    localStorage.setItem("unit", u);
    void render();
  }
});
window.addEventListener("hashchange", () => void render());
void render();
connect();
