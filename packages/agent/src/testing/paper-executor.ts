/**
 * An in-memory paper account that implements ToolExecutor: fills at the mark
 * with a taker fee, isolated margin per position, realized PnL on close. Enough
 * to run a model's decisions end to end in tests and examples; the trading
 * package's simulated broker (the matching engine) is the faithful one.
 */
import {
  type Clock,
  type Decimal,
  DEFAULT_MARKETS,
  type DecimalLike,
  type Market,
  type Position,
  type Trade,
  type TradingDecision,
  ZERO,
  formatUsd,
  notional,
  realizedPnl,
  sumDecimals,
  toDecimal,
  unrealizedPnl,
} from "@autonome/core";
import type { RiskState, ToolExecutor, ToolResult } from "../executor.js";

/** Options of a paper account. */
export interface PaperExecutorOptions {
  clock: Clock;
  /** Mark price per symbol. */
  marks: Iterable<[string, DecimalLike]>;
  startingCash?: DecimalLike;
  /** Fraction of notional paid on every fill (default 0.0005). */
  takerFeeRate?: DecimalLike;
  markets?: readonly Market[];
  modelId?: string;
}

/** An in-memory account executing decisions at the mark. */
export class PaperExecutor implements ToolExecutor {
  readonly positions: Position[] = [];
  readonly trades: Trade[] = [];
  /** Every decision executed, in order. */
  readonly executed: TradingDecision[] = [];
  private cash: Decimal;
  private readonly marks = new Map<string, Decimal>();
  private readonly markets: Map<string, Market>;
  private readonly feeRate: Decimal;
  private readonly clock: Clock;
  private readonly modelId: string;
  private nextOrder = 1;

  constructor(options: PaperExecutorOptions) {
    this.clock = options.clock;
    this.cash = toDecimal(options.startingCash ?? 10_000);
    this.feeRate = toDecimal(options.takerFeeRate ?? "0.0005");
    this.markets = new Map((options.markets ?? DEFAULT_MARKETS).map((m) => [m.symbol, m]));
    this.modelId = options.modelId ?? "paper";
    for (const [symbol, price] of options.marks) this.marks.set(symbol, toDecimal(price));
  }

  /** Moves a mark price. */
  setMark(symbol: string, price: DecimalLike): void {
    this.marks.set(symbol, toDecimal(price));
  }

  /** Wallet balance plus unrealized PnL. */
  accountValue(): Decimal {
    return this.cash.plus(sumDecimals(this.positions.map((p) => unrealizedPnl(p.side, p.quantity, p.entryPrice, this.mark(p.symbol)))));
  }

  /** Account value minus the margin held by open positions. */
  availableCash(): Decimal {
    return this.accountValue().minus(sumDecimals(this.positions.map((p) => notional(p.quantity, p.entryPrice).div(p.leverage))));
  }

  private mark(symbol: string): Decimal {
    return this.marks.get(symbol) ?? ZERO;
  }

  async riskState(): Promise<RiskState> {
    return {
      accountValue: this.accountValue(),
      positions: [...this.positions],
      marks: new Map(this.marks),
      markets: this.markets,
      recentCloses: [...this.trades],
    };
  }

  async execute(decision: TradingDecision): Promise<ToolResult> {
    const now = this.clock.now();
    switch (decision.type) {
      case "HOLDING":
        this.executed.push(decision);
        return { ok: true, message: `holding: ${decision.reason}` };
      case "CREATE_POSITION": {
        const price = this.mark(decision.symbol);
        const quantity = decision.quantity;
        if (!quantity || price.lte(0)) return { ok: false, message: `no price or size for ${decision.symbol}` };
        const margin = notional(quantity, price).div(decision.leverage);
        const fee = notional(quantity, price).mul(this.feeRate);
        if (margin.plus(fee).gt(this.availableCash())) return { ok: false, message: `insufficient margin: need ${formatUsd(margin.plus(fee))}, have ${formatUsd(this.availableCash())}` };
        const orderId = `paper-${this.nextOrder++}`;
        this.cash = this.cash.minus(fee);
        this.positions.push({ orderId, modelId: this.modelId, symbol: decision.symbol, side: decision.side, quantity, entryPrice: price, leverage: decision.leverage, exitPlan: decision.exitPlan, openedAt: now });
        this.executed.push(decision);
        return { ok: true, orderId, message: `opened ${decision.side} ${quantity.toString()} ${decision.symbol} at ${price.toString()}, ${decision.leverage.toString()}x, fee ${formatUsd(fee)}` };
      }
      case "CLOSE_POSITION": {
        const index = this.positions.findIndex((p) => p.symbol === decision.symbol);
        const position = this.positions[index];
        if (!position) return { ok: false, message: `no open ${decision.symbol} position` };
        const price = this.mark(decision.symbol);
        const fee = notional(position.quantity, price).mul(this.feeRate);
        const pnl = realizedPnl(position.side, position.quantity, position.entryPrice, price).minus(fee);
        this.cash = this.cash.plus(pnl);
        this.positions.splice(index, 1);
        this.trades.push({ ...position, exitPrice: price, realizedPnl: pnl, fees: fee, closeTrigger: "MANUAL", closedAt: now });
        this.executed.push(decision);
        return { ok: true, orderId: position.orderId, message: `closed ${position.side} ${position.quantity.toString()} ${decision.symbol} at ${price.toString()}, PnL ${formatUsd(pnl)}` };
      }
      case "UPDATE_EXIT_PLAN": {
        const position = this.positions.find((p) => p.symbol === decision.symbol);
        if (!position) return { ok: false, message: `no open ${decision.symbol} position` };
        position.exitPlan = decision.exitPlan;
        this.executed.push(decision);
        return { ok: true, orderId: position.orderId, message: `updated the ${decision.symbol} exit plan` };
      }
    }
  }

  async accountState(): Promise<string> {
    const lines = [`Account value ${formatUsd(this.accountValue())}, available cash ${formatUsd(this.availableCash())}.`];
    for (const p of this.positions) {
      const mark = this.mark(p.symbol);
      lines.push(`${p.symbol} ${p.side} ${p.quantity.toString()} @ ${p.entryPrice.toString()}, mark ${mark.toString()}, unrealized ${formatUsd(unrealizedPnl(p.side, p.quantity, p.entryPrice, mark))}, ${p.leverage.toString()}x`);
    }
    if (this.positions.length === 0) lines.push("No open positions.");
    return lines.join("\n");
  }
}
