export { P as GOLDILOCKS_PRIME } from "./signer/goldilocks.js";
export { type Fp5, fromBytesLE as fp5FromBytesLE, toBytesLE as fp5ToBytesLE } from "./signer/quintic.js";
export {
  permute as poseidon2Permute,
  hashNToMNoPad,
  hashNoPad,
  hashTwoToOne,
  hashNToOne,
  hashToQuinticExtension,
  type HashOut,
} from "./signer/poseidon2.js";
export { ORDER as ECGFP5_ORDER } from "./signer/scalar.js";
export { type SchnorrSignature, schnorrSign, schnorrVerify, publicKeyFromSecret, signatureToBytes, signatureFromBytes, verifySignatureBytes } from "./signer/schnorr.js";
export { LighterApiKey } from "./signer/api-key.js";
export { bytesToHex, hexToBytes } from "./signer/hex.js";
export {
  TX_TYPE,
  type TxType,
  ORDER_TYPE,
  type OrderTypeCode,
  TIME_IN_FORCE,
  type TimeInForceCode,
  CANCEL_ALL_MODE,
  MARGIN_MODE,
  MARGIN_FRACTION_TICK,
  CHAIN_ID,
  DEFAULT_TX_LIFETIME_MS,
} from "./tx/tx-types.js";
export {
  type IntLike,
  type TxAttributes,
  type TxEnvelope,
  type CreateOrderBody,
  type CancelOrderBody,
  type CancelAllOrdersBody,
  type ModifyOrderBody,
  type UpdateLeverageBody,
  type UnsignedTx,
  type SignedTx,
  hashTx,
  txInfoJson,
  validateTx,
  signTx,
} from "./tx/transactions.js";
export {
  MAX_AUTH_TOKEN_LIFETIME_MS,
  createAuthToken,
  parseAuthToken,
  verifyAuthToken,
  type ParsedAuthToken,
} from "./tx/auth-token.js";
export {
  LighterError,
  LighterRequestError,
  LighterOrderRejectedError,
  LighterNotFoundError,
  LighterAuthError,
  LighterTransientError,
  LighterRateLimitError,
  LighterTimeoutError,
  LighterInvalidNonceError,
  LighterUnavailableError,
  LIGHTER_ERROR_CLASSES,
  lighterErrorFor,
} from "./errors.js";
export { NonceManager, type NonceSource } from "./nonce-manager.js";
export { LighterRestClient, type LighterRestClientOptions, type SendTxResult, type CandleResolution } from "./rest/rest-client.js";
export {
  type LighterMarketDetails,
  type BookOrder,
  type BookOrders,
  type LighterPosition,
  type LighterAccount,
  type LighterTx,
  TX_STATUS,
  type LighterOrder,
  type LighterCandle,
  type LighterFunding,
  type LighterFundingRate,
  type LighterTrade,
  type LighterPositionFunding,
  tradeFeeOf,
  type LighterLiquidation,
  type LiquidationType,
} from "./rest/schemas.js";
export { LighterWsClient, type LighterWsClientOptions, type LighterWsEvents } from "./ws/ws-client.js";
export { LocalOrderBook, type BookLevel, type WireLevel, type ApplyResult } from "./ws/local-order-book.js";
export {
  LighterTradingClient,
  type LighterTradingClientOptions,
  type MarketOrderRequest,
  type TriggerOrderRequest,
  type PlacedOrder,
  type FillReport,
  fillReport,
} from "./trading/trading-client.js";
