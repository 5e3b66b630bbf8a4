/**
 * The dashboard: hash routes (#/ the arena, #/model/<id>/<tab>, #/analytics, #/health),
 * data from the api's JSON, live from its SSE stream.
 *
 * Live without losing your place: a page's skeleton is drawn once per route; every update
 * (an event, the refresh after it) patches keyed rows in place (./keyed.ts), so an open
 * decision stays open, the scroll stays and the chart keeps its zoom. Times carry seconds
 * and a relative part that a one-second ticker keeps current without re-rendering.
 */
import "./styles.css";
import type { ArenaEvent as WholeEvent, EventMeta } from "@autonome/core";
import { type Equity, type Invocation, type LeaderboardRow, type Model, type Page, type Position, type Prices, type ToolCall, type Trade, getJson } from "./api.js";
import { type EquityChart, PALETTE, mountEquityChart } from "./equity-chart.js";
import { csvField, duration, esc, money, num, percent, price, signedMoney, stamp, tickTimes, tone } from "./format.js";
import { type Keyed, patchList } from "./keyed.js";

/** An event as the api streams it: whole, or only its metadata when it was too large to send whole. */
type ArenaEvent = WholeEvent | (EventMeta & { type: WholeEvent["type"]; truncated: true });
type WindowName = "24h" | "7d" | "30d" | "all";
type SortState = { key: string; dir: 1 | -1 };

const app = document.getElementById("app")!;
const liveBadge = document.getElementById("live")!;
const strip = document.getElementById("prices")!;
const state = {
  window: (localStorage.getItem("window") as WindowName | null) ?? "7d",
  unit: (localStorage.getItem("unit") as "usd" | "pct" | null) ?? "usd",
  feed: [] as { id: string; event: ArenaEvent }[],
  models: new Map<string, Model>(),
  colours: new Map<string, string>(),
  sorts: new Map<string, SortState>(),
  /** The route whose skeleton is on screen. */
  mounted: "",
  /** Loaded pages of the lists with "load older". */
  lists: new Map<string, { items: unknown[]; cursor: string | null }>(),
  board: [] as LeaderboardRow[],
  analytics: [] as Analytics[],
};
let chart: EquityChart | null = null;
let refreshTimer: ReturnType<typeof setTimeout> | undefined;
let renderSeq = 0;

function modelOf(id: string | undefined): Model | undefined {
  return id === undefined ? undefined : state.models.get(id);
}

function nameOf(id: string | undefined): string {
  return modelOf(id)?.displayName ?? (id ?? "arena").slice(0, 8);
}

function colourOf(id: string): string {
  return state.colours.get(id) ?? "#888";
}

/** The model's name with its colour, mode badge and link. */
function modelLabel(id: string, link = true): string {
  const m = modelOf(id);
  const mode = m === undefined ? "" : `<span class="badge ${m.effectiveMode === "LIVE" ? "live" : "sim"}">${m.effectiveMode}</span>`;
  const name = esc(nameOf(id));
  return `<span class="model"><span class="dot" style="background:${colourOf(id)}"></span>${link ? `<a href="#/model/${esc(id)}">${name}</a>` : name}${mode}</span>`;
}

function describeEvent(e: ArenaEvent): string {
  // A truncated event carries no payload: its type is all there is to show.
  if ("truncated" in e) return e.type;
  switch (e.type) {
    case "positionOpened": {
      const p = e.payload;
      return `${nameOf(p.modelId)} opened ${p.side} ${p.symbol} ${p.leverage}x, ${p.quantity} @ ${price(p.entryPrice)}`;
    }
    case "positionClosed":
      return `${nameOf(e.payload.modelId)} closed ${e.payload.side} ${e.payload.symbol}: ${signedMoney(e.payload.realizedPnl)}`;
    case "exitTriggered": {
      const p = e.payload;
      return `${nameOf(p.modelId)} ${p.trigger === "STOP" ? "stop-loss" : "take-profit"} hit on ${p.symbol} @ ${price(p.exitPrice)}`;
    }
    case "positionLiquidated":
      return `${nameOf(e.payload.modelId)} liquidated on ${e.payload.symbol}: ${signedMoney(e.payload.realizedPnl)}`;
    case "decisionMade": {
      const p = e.payload;
      return `${nameOf(p.modelId)} decided ${p.type.replace("_", " ").toLowerCase()}${p.symbol ? ` ${p.symbol}` : ""}${p.accepted ? "" : ` (rejected: ${p.rejectionReason ?? "?"})`}`;
    }
    case "invocationFinished":
      return `${nameOf(e.payload.modelId)} ${e.payload.ok ? "finished" : `failed (${e.payload.error ?? "error"})`} in ${(e.payload.latencyMs / 1000).toFixed(1)} s`;
    case "portfolioSnapshotted":
      return `${nameOf(e.payload.modelId)} account ${money(e.payload.total)}`;
    case "tickStarted":
      return `tick ${e.payload.tick} started`;
    case "tickFinished":
      return `tick ${e.payload.tick} finished in ${(e.payload.durationMs / 1000).toFixed(1)} s${e.payload.failed.length + e.payload.timedOut.length > 0 ? ` (${e.payload.failed.length + e.payload.timedOut.length} failed)` : ""}`;
    case "modelStale":
      return `${nameOf(e.payload.modelId)} was stale and cleared`;
    case "exitPlanUpdated":
      return `${nameOf(e.payload.modelId)} updated the exit plan of ${e.payload.symbol}`;
    case "fillNotRecorded":
      return `${nameOf(e.payload.modelId)} ${e.payload.symbol} filled but not recorded${e.payload.paused ? "; model paused" : ""} (protection: ${e.payload.protection})`;
  }
}

function renderFeed(): void {
  const feed = document.getElementById("feed");
  if (feed === null) return;
  const items: Keyed[] = state.feed.slice(0, 40).map(({ id, event }) => ({
    key: id,
    html: `<li data-event-type="${esc(event.type)}">${stamp(event.tsEvent)} ${esc(describeEvent(event))}</li>`,
  }));
  if (items.length === 0) items.push({ key: "empty", html: `<li class="muted">No events yet: the worker publishes them as it trades.</li>` });
  patchList(feed, items);
  tickTimes(feed, Date.now());
}

async function loadModels(): Promise<void> {
  const { items } = await getJson<{ items: Model[] }>("/api/models");
  state.models = new Map(items.map((m) => [m.id, m]));
  // A model keeps its colour whatever the ranking: colours follow the models' ids in order.
  [...items].sort((a, b) => a.id.localeCompare(b.id)).forEach((m, i) => state.colours.set(m.id, PALETTE[i % PALETTE.length]!));
}

function setActiveNav(name: string): void {
  for (const a of document.querySelectorAll<HTMLAnchorElement>("nav a")) a.classList.toggle("active", a.dataset.nav === name);
}

/** A sortable header cell. */
function th(table: string, key: string, label: string, numeric = true): string {
  const sort = state.sorts.get(table);
  const on = sort?.key === key;
  return `<th data-sort="${esc(key)}" data-table="${esc(table)}" class="${numeric ? "num" : ""} ${on ? "sorted" : ""}" title="sort by ${esc(label)}">${esc(label)}${on ? (sort.dir === 1 ? " ▲" : " ▼") : ""}</th>`;
}

/** Sorts rows by the table's chosen column (keeping the given order when none is chosen). */
function sorted<T>(table: string, rows: readonly T[], value: (row: T, key: string) => number | string | null): T[] {
  const sort = state.sorts.get(table);
  if (sort === undefined) return [...rows];
  return [...rows].sort((a, b) => {
    const x = value(a, sort.key);
    const y = value(b, sort.key);
    if (x === null && y === null) return 0;
    if (x === null) return 1;
    if (y === null) return -1;
    return (typeof x === "string" ? x.localeCompare(String(y)) : x - (y as number)) * sort.dir;
  });
}

function td(label: string, html: string, cls = ""): string {
  return `<td data-label="${esc(label)}" class="${cls}">${html}</td>`;
}

function windowButtons(): string {
  return (["24h", "7d", "30d", "all"] as const).map((w) => `<button data-window="${w}" class="${w === state.window ? "on" : ""}">${w}</button>`).join("");
}

function unitButtons(): string {
  return `<button data-unit="usd" class="${state.unit === "usd" ? "on" : ""}">$</button><button data-unit="pct" class="${state.unit === "pct" ? "on" : ""}">%</button>`;
}

function failingBadge(r: { failing: LeaderboardRow["failing"] }): string {
  if (r.failing === null) return "";
  return `<span class="badge fail" title="${esc(r.failing.lastError ?? "failed")}">failing · ${r.failing.consecutiveFailures} runs</span>`;
}

// ---------------------------------------------------------------- the arena

const BOARD_VALUE = (r: LeaderboardRow, key: string): number | string | null => {
  switch (key) {
    case "rank":
      return r.rank;
    case "model":
      return r.model.displayName;
    case "account":
      return r.accountValue === null ? null : Number(r.accountValue);
    case "return":
      return r.return;
    case "pnl":
      return r.pnl === null ? null : Number(r.pnl);
    case "fees":
      return Number(r.fees);
    case "winRate":
      return r.winRate;
    case "trades":
      return r.trades;
    case "best":
      return r.biggestWin === null ? null : Number(r.biggestWin);
    case "worst":
      return r.biggestLoss === null ? null : Number(r.biggestLoss);
    case "sharpe":
      return r.sharpe;
    case "dd":
      return r.maxDrawdown;
    default:
      return null;
  }
};

function boardRow(r: LeaderboardRow): Keyed {
  const since = r.baseline === null ? "" : r.baseline.kind === "startingCapital" ? `from the starting capital ${money(r.baseline.value)}` : `from ${money(r.baseline.value)} at the window's start`;
  return {
    key: r.model.id,
    html: `<tr data-model="${esc(r.model.id)}" class="${r.failing ? "failing" : ""}">
      ${td("#", String(r.rank))}
      ${td("Model", `${modelLabel(r.model.id)}${failingBadge(r)}`, "name")}
      ${td("Account", money(r.accountValue), "num")}
      ${td("Return", `<span title="${esc(since)}">${percent(r.return)}</span>`, `num ${tone(r.return)}`)}
      ${td("PnL", signedMoney(r.pnl), `num ${tone(r.pnl)}`)}
      ${td("Fees", money(r.fees), "num")}
      ${td("Win rate", percent(r.winRate, 0, false), "num")}
      ${td("Trades", String(r.trades), "num")}
      ${td("Best", money(r.biggestWin), "num pos")}
      ${td("Worst", money(r.biggestLoss), "num neg")}
      ${td("Sharpe", r.sharpe === null ? `<span class="na" title="${esc(r.sharpeUnavailable ?? "")}">—</span>` : num(r.sharpe), "num")}
      ${td("Max DD", r.maxDrawdown === null ? "—" : percent(-r.maxDrawdown, 1), "num")}
    </tr>`,
  };
}

function boardHead(): string {
  return `<tr>${th("board", "rank", "#")}${th("board", "model", "Model", false)}${th("board", "account", "Account")}${th("board", "return", "Return")}${th("board", "pnl", "PnL")}${th("board", "fees", "Fees")}${th("board", "winRate", "Win rate")}${th("board", "trades", "Trades")}${th("board", "best", "Best")}${th("board", "worst", "Worst")}${th("board", "sharpe", "Sharpe")}${th("board", "dd", "Max DD")}</tr>`;
}

function renderBoard(): void {
  const body = document.getElementById("board-rows");
  if (body === null) return;
  const head = document.getElementById("board-head");
  if (head !== null) head.innerHTML = boardHead();
  const rows = sorted("board", state.board, BOARD_VALUE).map(boardRow);
  patchList(body, rows.length > 0 ? rows : [{ key: "empty", html: `<tr><td colspan="12" class="muted">No models yet.</td></tr>` }]);
}

function legendHtml(rows: readonly LeaderboardRow[]): Keyed[] {
  return rows.map((r) => ({
    key: r.model.id,
    html: `<a class="chip" href="#/model/${esc(r.model.id)}"><span class="dot" style="background:${colourOf(r.model.id)}"></span>${esc(r.model.displayName)} <strong>${money(r.accountValue)}</strong> <span class="${tone(r.return)}">${percent(r.return)}</span></a>`,
  }));
}

function tradeItem(t: Trade, withModel: boolean): Keyed {
  const lev = Number(t.leverage);
  return {
    key: t.orderId,
    html: `<li class="trade">
      <div class="line">${withModel ? modelLabel(t.modelId) : ""}<span class="chip-act ${t.side === "LONG" ? "long" : "short"}">${t.side} ${esc(t.symbol)} ${num(lev, 0)}x</span>
        <strong class="${tone(t.realizedPnl)}">${signedMoney(t.realizedPnl)}</strong></div>
      <div class="muted small">${esc(t.quantity)} @ ${price(t.entryPrice)} → ${price(t.exitPrice)} · held ${duration(t.closedAt - t.openedAt)} · fees ${money(t.fees)}${t.closeTrigger ? ` · ${esc(t.closeTrigger.toLowerCase())}` : ""} · ${stamp(t.closedAt)}</div>
    </li>`,
  };
}

/** One chip per tool call: `LONG ETH 5x ✓`, `CLOSE BTC ✗ reason`. */
function actionChips(calls: readonly ToolCall[]): string {
  if (calls.length === 0) return `<span class="chip-act none">no action</span>`;
  return calls
    .map((c) => {
      const a = (c.arguments ?? {}) as Record<string, unknown>;
      const text = (v: unknown): string | null => (typeof v === "string" || typeof v === "number" ? String(v) : null);
      const sym = typeof a.symbol === "string" ? a.symbol.toUpperCase() : "";
      let label: string;
      let cls: string;
      switch (c.type) {
        case "CREATE_POSITION": {
          const side = typeof a.side === "string" ? a.side.toUpperCase() : "OPEN";
          label = `${side} ${sym}${text(a.leverage) !== null ? ` ${text(a.leverage)}x` : ""}`;
          cls = side === "SHORT" ? "short" : "long";
          break;
        }
        case "CLOSE_POSITION":
          label = `CLOSE ${sym}`;
          cls = "close";
          break;
        case "UPDATE_EXIT_PLAN":
          label = `EXIT PLAN ${sym}`;
          cls = "plan";
          break;
        case null:
          // A tool that does not exist: shown by the name the model wrote.
          label = c.tool;
          cls = "unknown";
          break;
        default:
          label = "HOLD";
          cls = "hold";
      }
      const size = c.type === "CREATE_POSITION" ? (text(a.quantity) !== null ? ` · ${esc(text(a.quantity))}` : text(a.risk_usd) !== null ? ` · risk $${esc(text(a.risk_usd))}` : "") : "";
      const verdict = c.accepted ? `<span class="ok">✓</span>` : `<span class="bad">✗</span> <span class="why">${esc(c.rejectionReason ?? "rejected")}</span>`;
      return `<span class="chip-act ${cls} ${c.accepted ? "" : "rejected"}" title="${esc(JSON.stringify(c.arguments))}">${esc(label)}${size} ${verdict}</span>`;
    })
    .join("");
}

/** The model's words: paragraphs of text (the chain of thought where it gave one). */
function prose(text: string): string {
  return text
    .split(/\n{2,}/)
    .map((p) => `<p>${esc(p.trim()).replaceAll("\n", "<br>")}</p>`)
    .join("");
}

function decisionItem(inv: Invocation, withModel: boolean): Keyed {
  const reasons = inv.toolCalls
    .map((c) => (c.arguments as Record<string, unknown> | null)?.reason)
    .filter((r): r is string => typeof r === "string" && r.trim() !== "" && r.trim() !== (inv.reasoning ?? "").trim());
  const reasoning = inv.reasoning ?? "";
  const response = inv.response !== null && inv.response !== inv.reasoning ? inv.response : "";
  const summary = inv.error ? `failed: ${inv.error}` : inv.finishedAt === null ? "deciding…" : (response || reasoning).split("\n")[0]!.slice(0, 160);
  return {
    key: inv.id,
    html: `<details class="decision ${inv.error ? "error" : ""}" data-invocation="${esc(inv.id)}">
      <summary>
        <div class="line">${withModel ? modelLabel(inv.modelId, false) : ""}${actionChips(inv.toolCalls)}<span class="when">${stamp(inv.startedAt)}</span></div>
        <div class="gist">${esc(summary || "(no reply)")}</div>
      </summary>
      <div class="body">
        ${reasoning ? `<h4>Reasoning</h4><div class="prose">${prose(reasoning)}</div>` : ""}
        ${reasons.length > 0 ? `<h4>Reasons given</h4><ul>${reasons.map((r) => `<li>${esc(r)}</li>`).join("")}</ul>` : ""}
        ${response ? `<h4>Reply</h4><div class="prose">${prose(response)}</div>` : ""}
        ${inv.error ? `<h4>Error</h4><pre>${esc(inv.error)}</pre>` : ""}
        <p class="muted small">${inv.inputTokens.toLocaleString("en-US")} + ${inv.outputTokens.toLocaleString("en-US")} tokens · ${inv.latencyMs === null ? "—" : `${(inv.latencyMs / 1000).toFixed(1)} s`}${withModel ? ` · <a href="#/model/${esc(inv.modelId)}/chat">all of ${esc(nameOf(inv.modelId))}'s decisions</a>` : ""}</p>
        <details class="raw" data-part="calls"><summary>Tool calls (raw)</summary><pre>${esc(JSON.stringify(inv.toolCalls.map((c) => ({ tool: c.tool, type: c.type, arguments: c.arguments, accepted: c.accepted, rejectionReason: c.rejectionReason, result: c.result })), null, 2))}</pre></details>
        ${inv.steps !== null && inv.steps !== undefined ? `<details class="raw" data-part="steps"><summary>Steps (raw)</summary><pre class="steps">${esc(JSON.stringify(inv.steps, null, 2))}</pre></details>` : ""}
        <details class="raw" data-part="prompt"><summary>Prompt</summary><pre>${esc(inv.prompt)}</pre></details>
      </div>
    </details>`,
  };
}

function positionRow(p: Position, withModel: boolean): Keyed {
  const sl = p.slTriggerPrice ?? p.exitPlan.stop;
  const tp = p.tpTriggerPrice ?? p.exitPlan.target;
  return {
    key: p.orderId,
    html: `<tr>
      ${withModel ? td("Model", modelLabel(p.modelId), "name") : ""}
      ${td("Coin", `<span class="chip-act ${p.side === "LONG" ? "long" : "short"}">${p.side} ${esc(p.symbol)}</span>`)}
      ${td("Lev.", `${num(Number(p.leverage), 0)}x`, "num")}
      ${td("Size", esc(p.quantity), "num")}
      ${td("Notional", money(p.notional), "num")}
      ${td("Entry", price(p.entryPrice), "num")}
      ${td("Mark", `${price(p.markPrice)}${p.priceSource === "lastKnown" ? "*" : ""}`, "num")}
      ${td("Unreal. PnL", signedMoney(p.unrealizedPnl), `num ${tone(p.unrealizedPnl)}`)}
      ${td("Liq.", price(p.liquidationPrice), "num")}
      ${td("SL / TP", `${price(sl)} / ${price(tp)}`, "num")}
      ${td("Held", `<span class="since" data-since="${p.openedAt}">${duration(p.holdingMs)}</span>`, "num")}
    </tr>`,
  };
}

const POSITION_VALUE = (p: Position, key: string): number | string | null => {
  switch (key) {
    case "model":
      return nameOf(p.modelId);
    case "coin":
      return p.symbol;
    case "lev":
      return Number(p.leverage);
    case "notional":
      return p.notional === null ? null : Number(p.notional);
    case "pnl":
      return p.unrealizedPnl === null ? null : Number(p.unrealizedPnl);
    case "held":
      return -p.openedAt;
    default:
      return null;
  }
};

function positionsTable(id: string, withModel: boolean): string {
  const table = `positions-${id}`;
  return `<table class="cards"><thead><tr>${withModel ? th(table, "model", "Model", false) : ""}${th(table, "coin", "Coin", false)}${th(table, "lev", "Lev.")}<th class="num">Size</th>${th(table, "notional", "Notional")}<th class="num">Entry</th><th class="num">Mark</th>${th(table, "pnl", "Unreal. PnL")}<th class="num">Liq.</th><th class="num">SL / TP</th>${th(table, "held", "Held")}</tr></thead><tbody id="${esc(id)}"></tbody></table>`;
}

function renderPositions(id: string, items: readonly Position[], withModel: boolean): void {
  const body = document.getElementById(id);
  if (body === null) return;
  const rows = sorted(`positions-${id}`, items, POSITION_VALUE).map((p) => positionRow(p, withModel));
  patchList(body, rows.length > 0 ? rows : [{ key: "empty", html: `<tr><td colspan="11" class="muted">No open positions.</td></tr>` }]);
}

/** Loads the first page of a list and merges it with the older pages already loaded (newest first). */
async function loadList<T extends { id?: string; orderId?: string }>(name: string, path: string): Promise<T[]> {
  const page = await getJson<Page<T>>(path);
  const keyOf = (x: T) => x.id ?? x.orderId ?? "";
  const known = state.lists.get(name);
  if (known === undefined) {
    state.lists.set(name, { items: page.items, cursor: page.nextCursor });
    return page.items;
  }
  const fresh = new Set(page.items.map(keyOf));
  const older = (known.items as T[]).filter((x) => !fresh.has(keyOf(x)));
  // Older pages stay loaded; the cursor of the oldest loaded page stays.
  const items = [...page.items, ...older];
  known.items = items;
  if (older.length === 0) known.cursor = page.nextCursor;
  return items;
}

async function loadOlder(name: string, path: string): Promise<void> {
  const known = state.lists.get(name);
  if (known === undefined || known.cursor === null) return;
  const sep = path.includes("?") ? "&" : "?";
  const page = await getJson<Page<{ id?: string; orderId?: string }>>(`${path}${sep}cursor=${encodeURIComponent(known.cursor)}`);
  const seen = new Set((known.items as { id?: string; orderId?: string }[]).map((x) => x.id ?? x.orderId));
  known.items.push(...page.items.filter((x) => !seen.has(x.id ?? x.orderId)));
  known.cursor = page.nextCursor;
}

function olderButton(name: string, path: string): string {
  const known = state.lists.get(name);
  if (known === undefined || known.cursor === null) return `<span class="muted small">${known === undefined || known.items.length === 0 ? "" : "That is all."}</span>`;
  return `<button class="older" data-older="${esc(name)}" data-path="${esc(path)}">Load older</button>`;
}

function renderList(containerId: string, name: string, path: string, item: (x: never) => Keyed, empty: string): void {
  const el = document.getElementById(containerId);
  if (el === null) return;
  const known = state.lists.get(name);
  const items = (known?.items ?? []).map((x) => item(x as never));
  patchList(el, items.length > 0 ? items : [{ key: "empty", html: `<li class="muted">${esc(empty)}</li>` }]);
  const more = document.getElementById(`${containerId}-more`);
  if (more !== null) more.innerHTML = olderButton(name, path);
}

async function renderArena(seq: number): Promise<void> {
  setActiveNav("arena");
  const route = `arena:${state.window}`;
  if (state.mounted !== route) {
    chart?.destroy();
    chart = null;
    state.mounted = route;
    app.innerHTML = `
      <section class="panel hero">
        <div class="bar"><h1>Account value</h1><div class="seg" id="windows">${windowButtons()}</div><div class="seg" id="units">${unitButtons()}</div><span class="muted small" id="chart-note"></span></div>
        <div id="legend" class="legend"></div>
        <div id="equity" class="chart"></div>
      </section>
      <section class="panel">
        <div class="bar"><h2>Leaderboard</h2><span class="muted small">Return and PnL from the starting capital, or from the account value at the window's start for a model trading before it. Click a column to sort.</span></div>
        <table class="board cards"><thead id="board-head"></thead><tbody id="board-rows"></tbody></table>
      </section>
      <section class="panel"><h2>Open positions</h2>${positionsTable("arena-positions", true)}<p class="muted small">* marked at the last price the arena recorded.</p></section>
      <div class="grid2">
        <section class="panel"><h2>Completed trades</h2><ul id="arena-trades" class="list"></ul><div id="arena-trades-more" class="more"></div></section>
        <section class="panel"><h2>ModelChat <span class="muted small">every decision of every model</span></h2><div id="arena-chat" class="decisions"></div><div id="arena-chat-more" class="more"></div></section>
      </div>
      <section class="panel"><h2>Live</h2><ul id="feed" class="feed"></ul></section>`;
    chart = mountEquityChart(document.getElementById("equity")!);
  }
  const [board, equity, positions, trades] = await Promise.all([
    getJson<{ rows: LeaderboardRow[] }>(`/api/leaderboard?window=${state.window}`),
    getJson<Equity>(`/api/equity?window=${state.window}&points=400`),
    getJson<{ items: Position[] }>("/api/positions"),
    loadList<Trade>("arena-trades", "/api/trades?limit=25"),
    loadList<Invocation>("arena-chat", "/api/invocations?limit=15"),
  ]);
  if (seq !== renderSeq) return;
  state.board = board.rows;
  renderBoard();
  const legend = document.getElementById("legend");
  if (legend !== null) patchList(legend, legendHtml(board.rows));
  chart?.update(equity, state.unit, trades, state.colours);
  const note = document.getElementById("chart-note");
  if (note !== null) note.textContent = state.unit === "pct" ? "percent of each model's baseline (as the table's return)" : "";
  renderPositions("arena-positions", positions.items, true);
  renderList("arena-trades", "arena-trades", "/api/trades?limit=25", (t: Trade) => tradeItem(t, true), "No completed trades yet.");
  renderList("arena-chat", "arena-chat", "/api/invocations?limit=15", (i: Invocation) => decisionItem(i, true), "No decisions yet.");
  renderFeed();
}

// ---------------------------------------------------------------- one model

async function renderModel(seq: number, id: string, tab: string): Promise<void> {
  setActiveNav("");
  const route = `model:${id}:${tab}:${state.window}`;
  const tradesPath = `/api/trades?modelId=${encodeURIComponent(id)}&limit=50`;
  const chatPath = `/api/invocations?modelId=${encodeURIComponent(id)}&limit=15`;
  if (state.mounted !== route) {
    chart?.destroy();
    chart = null;
    state.mounted = route;
    const tabs = [
      ["positions", "Positions"],
      ["trades", "Trades"],
      ["chat", "ModelChat"],
    ]
      .map(([key, label]) => `<a class="tab ${key === tab ? "on" : ""}" href="#/model/${esc(id)}/${key}" data-tab="${key}">${label}</a>`)
      .join("");
    const body =
      tab === "trades"
        ? `<ul id="model-trades" class="list"></ul><div id="model-trades-more" class="more"></div>`
        : tab === "chat"
          ? `<div id="model-chat" class="decisions"></div><div id="model-chat-more" class="more"></div>`
          : `${positionsTable("model-positions", false)}<p class="muted small">* marked at the last price the arena recorded.</p>`;
    app.innerHTML = `<section class="panel">
      <div class="bar"><h1 id="model-title"></h1><span class="muted" id="model-meta"></span><div class="seg" id="windows">${windowButtons()}</div><div class="seg" id="units">${unitButtons()}</div></div>
      <div class="stats" id="model-stats"></div>
      <div id="equity" class="chart small-chart"></div>
      <nav class="tabs">${tabs}</nav><div class="tab-body">${body}</div></section>`;
    chart = mountEquityChart(document.getElementById("equity")!, 260);
  }
  const [model, board, equity, positions] = await Promise.all([
    getJson<Model>(`/api/models/${encodeURIComponent(id)}`),
    getJson<{ rows: LeaderboardRow[] }>(`/api/leaderboard?window=${state.window}`),
    getJson<Equity>(`/api/equity?window=${state.window}&points=400&modelId=${encodeURIComponent(id)}`),
    getJson<{ items: Position[]; totalUnrealizedPnl: string }>(`/api/positions?modelId=${encodeURIComponent(id)}`),
  ]);
  // Its trades mark its curve on every tab.
  const trades = await loadList<Trade>(`model-trades:${id}`, tradesPath);
  if (tab === "chat") await loadList<Invocation>(`model-chat:${id}`, chatPath);
  if (seq !== renderSeq) return;
  const row = board.rows.find((r) => r.model.id === id);
  document.getElementById("model-title")!.innerHTML = `${modelLabel(model.id, false)}${row ? failingBadge(row) : ""}`;
  document.getElementById("model-meta")!.textContent = `${model.provider} / ${model.modelName} · ${model.invocationCount.toLocaleString("en-US")} decisions`;
  const stat = (label: string, value: string, cls = "") => `<div class="stat"><span class="muted small">${label}</span><strong class="${cls}">${value}</strong></div>`;
  document.getElementById("model-stats")!.innerHTML = row
    ? [
        stat("Account", money(row.accountValue)),
        stat(`Return (${state.window})`, percent(row.return), tone(row.return)),
        stat("PnL", signedMoney(row.pnl), tone(row.pnl)),
        stat("Unrealized", signedMoney(positions.totalUnrealizedPnl), tone(positions.totalUnrealizedPnl)),
        stat("Fees", money(row.fees)),
        stat("Trades", `${row.trades} (${percent(row.winRate, 0, false)} won)`),
        stat("Sharpe", row.sharpe === null ? `<span class="na" title="${esc(row.sharpeUnavailable ?? "")}">—</span>` : num(row.sharpe)),
        stat("Rank", `#${row.rank}`),
      ].join("")
    : "";
  chart?.update(equity, state.unit, trades, state.colours);
  if (tab === "trades") renderList("model-trades", `model-trades:${id}`, tradesPath, (t: Trade) => tradeItem(t, false), "No closed trades.");
  else if (tab === "chat") renderList("model-chat", `model-chat:${id}`, chatPath, (i: Invocation) => decisionItem(i, false), "No decisions yet.");
  else renderPositions("model-positions", positions.items, false);
}

// ---------------------------------------------------------------- analytics

interface Analytics {
  model: Model;
  metrics: Record<string, number | string | null>;
  unavailable: Record<string, string>;
}

interface Correlation {
  models: { id: string; displayName: string }[];
  matrix: (number | null)[][];
  note: string;
}

const METRIC_ROWS: [string, string, (m: Analytics["metrics"]) => string][] = [
  ["totalReturn", "Return", (m) => percent(m.totalReturn as number | null)],
  ["annualizedReturn", "Annualized return", (m) => percent(m.annualizedReturn as number | null)],
  ["sharpe", "Sharpe", (m) => num(m.sharpe as number | null)],
  ["sortino", "Sortino", (m) => num(m.sortino as number | null)],
  ["calmar", "Calmar", (m) => num(m.calmar as number | null)],
  ["maxDrawdown", "Max drawdown", (m) => percent(-(m.maxDrawdown as number), 2)],
  ["maxDrawdownDurationMs", "Longest drawdown", (m) => duration(m.maxDrawdownDurationMs as number)],
  ["tradeCount", "Trades", (m) => String(m.tradeCount)],
  ["winRate", "Win rate", (m) => percent(m.winRate as number | null, 0, false)],
  ["profitFactor", "Profit factor", (m) => num(m.profitFactor as number | null)],
  ["expectancy", "Expectancy", (m) => signedMoney(m.expectancy as string | null)],
  ["biggestWin", "Biggest win", (m) => money(m.biggestWin as string | null)],
  ["biggestLoss", "Biggest loss", (m) => money(m.biggestLoss as string | null)],
  ["realizedPnl", "Realized PnL", (m) => signedMoney(m.realizedPnl as string)],
  ["feesPaid", "Fees paid", (m) => money(m.feesPaid as string)],
  ["averageHoldMs", "Average hold", (m) => duration(m.averageHoldMs as number | null)],
  ["averageLeverage", "Avg. leverage", (m) => num(m.averageLeverage as number | null)],
  ["averageConfidence", "Avg. confidence", (m) => num(m.averageConfidence as number | null)],
  ["longShare", "Long share", (m) => percent(m.longShare as number | null, 0, false)],
  ["decisionQuality", "Decision quality", (m) => num(m.decisionQuality as number | null)],
];

/** The analytics as CSV: one row per model, one column per metric (raw values). */
function analyticsCsv(all: readonly Analytics[], window: string): string {
  const header = ["model", "window", ...METRIC_ROWS.map(([key]) => key)];
  const lines = [header.map(csvField).join(",")];
  for (const a of all) lines.push([a.model.displayName, window, ...METRIC_ROWS.map(([key]) => a.metrics[key] ?? "")].map(csvField).join(","));
  return `${lines.join("\r\n")}\r\n`;
}

async function renderAnalytics(seq: number): Promise<void> {
  setActiveNav("analytics");
  await loadModels();
  const [all, corr] = await Promise.all([
    Promise.all([...state.models.keys()].map((id) => getJson<Analytics>(`/api/models/${id}/analytics?window=${state.window}`))),
    getJson<Correlation>(`/api/analytics/correlation?window=${state.window}`),
  ]);
  if (seq !== renderSeq) return;
  chart?.destroy();
  chart = null;
  state.mounted = "analytics";
  state.analytics = all;
  const cell = (a: Analytics, key: string, text: string) => {
    const reason = a.unavailable[key];
    return text === "—" && reason ? `<td class="num na" title="${esc(reason)}">— <span class="why">${esc(reason)}</span></td>` : `<td class="num">${esc(text)}</td>`;
  };
  const corrCell = (v: number | null) => (v === null ? `<td class="num na">—</td>` : `<td class="num corr" style="background:${v >= 0 ? `rgba(46,204,143,${Math.abs(v) * 0.45})` : `rgba(255,92,92,${Math.abs(v) * 0.45})`}">${num(v)}</td>`);
  const csv = URL.createObjectURL(new Blob([analyticsCsv(all, state.window)], { type: "text/csv" }));
  app.innerHTML = `<section class="panel"><div class="bar"><h1>Analytics</h1><div class="seg" id="windows">${windowButtons()}</div>
      <a id="csv" class="button" href="${csv}" download="autonome-analytics-${esc(state.window)}.csv">Export CSV</a></div>
    <p class="muted small">A metric that needs more data than there is shows — with the reason.</p>
    <div class="scroll"><table class="metrics"><thead><tr><th>Metric</th>${all.map((a) => `<th class="num">${modelLabel(a.model.id)}</th>`).join("")}</tr></thead>
    <tbody>${METRIC_ROWS.map(([key, label, f]) => `<tr><td>${label}</td>${all.map((a) => cell(a, key, f(a.metrics))).join("")}</tr>`).join("")}</tbody></table></div></section>
    <section class="panel"><h2>Correlation of returns</h2><p class="muted small">${esc(corr.note)}</p>
    <div class="scroll"><table class="corr-matrix" id="correlation"><thead><tr><th></th>${corr.models.map((m) => `<th class="num">${esc(m.displayName)}</th>`).join("")}</tr></thead>
    <tbody>${corr.models.map((m, i) => `<tr><td>${modelLabel(m.id)}</td>${corr.matrix[i]!.map(corrCell).join("")}</tr>`).join("")}</tbody></table></div></section>`;
}

// ---------------------------------------------------------------- health

interface Health {
  status: string;
  reasons: string[];
  workers: { workerId: string; host: string; status: string; tick: number; lastTickAt: number | null; lastSuccessAt: number | null; runningModelIds: string[]; consecutiveFailedCycles: number; degraded: boolean; degradedReason: string | null; stale: boolean }[];
  models: { id: string; displayName: string; failedWorkflowCount: number; failedToolCallCount: number; failing: LeaderboardRow["failing"] }[];
}

async function renderHealth(seq: number): Promise<void> {
  setActiveNav("health");
  if (state.mounted !== "health") {
    chart?.destroy();
    chart = null;
    state.mounted = "health";
    app.innerHTML = `<section class="panel"><div class="bar"><h1>Health</h1><span id="health-status" class="status"></span></div><ul id="health-reasons" class="reasons"></ul>
      <table class="cards"><thead><tr><th>Worker</th><th>Host</th><th>Status</th><th class="num">Tick</th><th>Last tick</th><th>Last success</th><th>Running</th><th class="num">Failed cycles</th><th>Degraded</th></tr></thead><tbody id="workers"></tbody></table>
      <h2>Models</h2><table class="cards"><thead><tr><th>Model</th><th class="num">Failed runs</th><th class="num">Rejected tool calls</th><th>Now</th></tr></thead><tbody id="health-models"></tbody></table></section>
      <section class="panel"><h2>Failed decisions</h2><div id="failed" class="decisions"></div><div id="failed-more" class="more"></div></section>`;
  }
  const [health] = await Promise.all([getJson<Health>("/api/health"), loadList<Invocation>("failed", "/api/invocations/failed?limit=15")]);
  if (seq !== renderSeq) return;
  const status = document.getElementById("health-status")!;
  status.className = `status ${health.status}`;
  status.textContent = health.status;
  patchList(
    document.getElementById("health-reasons")!,
    health.reasons.map((r) => ({ key: r, html: `<li class="neg">${esc(r)}</li>` })),
  );
  patchList(
    document.getElementById("workers")!,
    health.workers.length === 0
      ? [{ key: "none", html: `<tr><td colspan="9" class="muted">No worker has reported.</td></tr>` }]
      : health.workers.map((w) => ({
          key: w.workerId,
          html: `<tr>${td("Worker", esc(w.workerId))}${td("Host", esc(w.host))}${td("Status", `${esc(w.status)}${w.stale ? " (stale)" : ""}`)}${td("Tick", String(w.tick), "num")}${td("Last tick", stamp(w.lastTickAt))}${td("Last success", stamp(w.lastSuccessAt))}
          ${td("Running", w.runningModelIds.map(nameOf).map(esc).join(", ") || "—")}${td("Failed cycles", String(w.consecutiveFailedCycles), "num")}${td("Degraded", w.degraded ? esc(w.degradedReason ?? "degraded") : "no", w.degraded ? "neg" : "pos")}</tr>`,
        })),
  );
  patchList(
    document.getElementById("health-models")!,
    health.models.map((m) => ({
      key: m.id,
      html: `<tr>${td("Model", modelLabel(m.id), "name")}${td("Failed runs", String(m.failedWorkflowCount), "num")}${td("Rejected tool calls", String(m.failedToolCallCount), "num")}${td("Now", m.failing ? `<span class="badge fail">failing · ${m.failing.consecutiveFailures} runs</span> ${esc(m.failing.lastError ?? "")}` : `<span class="pos">running</span>`)}</tr>`,
    })),
  );
  renderList("failed", "failed", "/api/invocations/failed?limit=15", (i: Invocation) => decisionItem(i, true), "None.");
  tickTimes(app, Date.now());
}

// ---------------------------------------------------------------- the shell

async function renderPrices(): Promise<void> {
  const prices = await getJson<Prices>("/api/prices").catch(() => null);
  if (prices === null) return;
  patchList(
    strip,
    prices.items.map((p) => ({ key: p.symbol, html: `<span class="coin"><strong>${esc(p.symbol)}</strong> ${p.price === null ? "—" : `$${price(p.price)}`}${p.source === "lastKnown" ? "*" : ""}</span>` })),
  );
}

async function render(): Promise<void> {
  const seq = ++renderSeq;
  const parts = location.hash.replace(/^#\/?/, "").split("/");
  try {
    if (state.models.size === 0) await loadModels();
    if (parts[0] === "model" && parts[1]) await renderModel(seq, parts[1], parts[2] ?? "positions");
    else if (parts[0] === "analytics") await renderAnalytics(seq);
    else if (parts[0] === "health") await renderHealth(seq);
    else await renderArena(seq);
    tickTimes(app, Date.now());
  } catch (error) {
    if (seq === renderSeq) {
      state.mounted = "";
      app.innerHTML = `<section class="panel error">Could not load: ${esc((error as Error).message)}</section>`;
    }
  }
  void renderPrices();
}

function scheduleRefresh(): void {
  clearTimeout(refreshTimer);
  // Events come in bursts (a tick closes several positions): refresh once per burst.
  refreshTimer = setTimeout(() => {
    // The analytics page is a report: it refreshes when asked (window change), not on every event.
    if (state.mounted !== "analytics") void render();
  }, 400);
}

const REFRESHING = new Set(["positionOpened", "positionClosed", "exitTriggered", "positionLiquidated", "exitPlanUpdated", "portfolioSnapshotted", "invocationFinished", "tickFinished", "decisionMade"]);

function connect(lastEventId: string | null): void {
  const source = new EventSource(lastEventId === null ? "/api/events" : `/api/events?lastEventId=${encodeURIComponent(lastEventId)}`);
  source.onopen = () => {
    liveBadge.textContent = "live";
    liveBadge.classList.add("on");
  };
  source.onerror = () => {
    liveBadge.textContent = "reconnecting";
    liveBadge.classList.remove("on");
  };
  source.addEventListener("gap", () => scheduleRefresh());
  source.addEventListener("dropped", () => {
    liveBadge.textContent = "catching up";
  });
  source.onmessage = (message) => {
    const event = JSON.parse(message.data as string) as ArenaEvent;
    if (state.feed.some((f) => f.id === message.lastEventId)) return;
    state.feed.unshift({ id: message.lastEventId || event.id, event });
    state.feed.length = Math.min(state.feed.length, 100);
    renderFeed();
    if (REFRESHING.has(event.type)) scheduleRefresh();
  };
}

async function start(): Promise<void> {
  // The live feed shows the recent events at once, then continues from the newest of them.
  const recent = await getJson<{ lastEventId: string | null; items: { id: string; event: ArenaEvent }[] }>("/api/events/recent?limit=40").catch(() => ({ lastEventId: null, items: [] }));
  state.feed = recent.items;
  await render();
  connect(recent.lastEventId);
}

app.addEventListener("click", (e) => {
  const target = e.target as HTMLElement;
  const w = target.closest<HTMLButtonElement>("button[data-window]")?.dataset.window;
  const u = target.closest<HTMLButtonElement>("button[data-unit]")?.dataset.unit;
  const sort = target.closest<HTMLElement>("th[data-sort]");
  const older = target.closest<HTMLButtonElement>("button[data-older]");
  if (w) {
    state.window = w as WindowName;
    localStorage.setItem("window", w);
    state.mounted = "";
    void render();
  }
  if (u) {
    state.unit = u as typeof state.unit;
    localStorage.setItem("unit", u);
    for (const b of document.querySelectorAll<HTMLButtonElement>("button[data-unit]")) b.classList.toggle("on", b.dataset.unit === u);
    void render();
  }
  if (sort) {
    const table = sort.dataset.table!;
    const key = sort.dataset.sort!;
    const current = state.sorts.get(table);
    // Numbers sort high to low first; names A to Z.
    const first: 1 | -1 = sort.classList.contains("num") ? -1 : 1;
    state.sorts.set(table, { key, dir: current?.key === key ? (current.dir === 1 ? -1 : 1) : key === "rank" ? 1 : first });
    if (table === "board") renderBoard();
    else void render();
    for (const th of document.querySelectorAll<HTMLElement>(`th[data-table="${table}"]`)) {
      const on = th.dataset.sort === key;
      th.classList.toggle("sorted", on);
      th.textContent = `${th.textContent.replace(/ [▲▼]$/, "")}${on ? (state.sorts.get(table)!.dir === 1 ? " ▲" : " ▼") : ""}`;
    }
  }
  if (older) {
    older.disabled = true;
    void loadOlder(older.dataset.older!, older.dataset.path!).then(() => render());
  }
});

window.addEventListener("hashchange", () => void render());
// Relative times and holding times move every second without re-rendering anything else.
setInterval(() => {
  const now = Date.now();
  tickTimes(document, now);
  for (const el of document.querySelectorAll<HTMLElement>(".since[data-since]")) {
    const text = duration(now - Number(el.dataset.since));
    if (el.textContent !== text) el.textContent = text;
  }
}, 1000);
void start();
