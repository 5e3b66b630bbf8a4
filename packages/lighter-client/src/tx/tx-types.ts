/**
 * Lighter transaction and order constants (lighter-go types/txtypes/constants.go @17f2d60).
 */

/** Transaction type codes this package signs. */
export const TX_TYPE = {
  CREATE_ORDER: 14,
  CANCEL_ORDER: 15,
  CANCEL_ALL_ORDERS: 16,
  MODIFY_ORDER: 17,
  UPDATE_LEVERAGE: 20,
} as const;
/** A transaction type code this package signs. */
export type TxType = (typeof TX_TYPE)[keyof typeof TX_TYPE];

/** Order type codes. */
export const ORDER_TYPE = {
  LIMIT: 0,
  MARKET: 1,
  STOP_LOSS: 2,
  STOP_LOSS_LIMIT: 3,
  TAKE_PROFIT: 4,
  TAKE_PROFIT_LIMIT: 5,
  TWAP: 6,
} as const;
/** An order type code. */
export type OrderTypeCode = (typeof ORDER_TYPE)[keyof typeof ORDER_TYPE];

/** Time-in-force codes. */
export const TIME_IN_FORCE = { IMMEDIATE_OR_CANCEL: 0, GOOD_TILL_TIME: 1, POST_ONLY: 2 } as const;
/** A time-in-force code. */
export type TimeInForceCode = (typeof TIME_IN_FORCE)[keyof typeof TIME_IN_FORCE];

/** Cancel-all modes (its TimeInForce field). */
export const CANCEL_ALL_MODE = { IMMEDIATE: 0, SCHEDULED: 1, ABORT_SCHEDULED: 2 } as const;

/** Margin modes for UpdateLeverage. */
export const MARGIN_MODE = { CROSS: 0, ISOLATED: 1 } as const;

/** Margin fractions are in 1/10000 (MarginFractionTick). */
export const MARGIN_FRACTION_TICK = 10_000;

/** Chain ids used in tx hashes. */
export const CHAIN_ID = { MAINNET: 304, TESTNET: 300 } as const;

/** Limits from the reference's Validate functions. */
export const LIMITS = {
  MAX_ACCOUNT_INDEX: 281474976710654n,
  MAX_API_KEY_INDEX: 254,
  MAX_PERPS_MARKET_INDEX: 254,
  MIN_SPOT_MARKET_INDEX: 2048,
  MAX_SPOT_MARKET_INDEX: 4094,
  MAX_CLIENT_ORDER_INDEX: (1n << 48n) - 1n,
  MAX_ORDER_INDEX: (1n << 60n) - 1n,
  MAX_BASE_AMOUNT: (1n << 48n) - 1n,
  MAX_PRICE: 2 ** 32 - 1,
  MAX_TIMESTAMP: 2 ** 48 - 1,
} as const;

/** Default tx lifetime: 10 minutes minus one second (lighter-go DefaultExpireTime). */
export const DEFAULT_TX_LIFETIME_MS = 10 * 60_000 - 1_000;
