/**
 * Cross-check against the lighter-go WASM shipped in `lighter-ts-sdk` (a standalone
 * signer build: CreateClient(privateKey, account, apiKeyIndex, chainId), and sign
 * calls without account arguments; it returns tx_info but no hash). We compare
 * the unsigned tx_info bytes and verify its signatures against our tx hash.
 */
import { beforeAll, describe, expect, it } from "vitest";
import { loadLighterWasm, type GoWasmGlobals } from "../testing/go-wasm.js";
import { LighterApiKey } from "../signer/api-key.js";
import { signatureFromBytes, schnorrVerify } from "../signer/schnorr.js";
import { verifyAuthToken } from "./auth-token.js";
import { hashTx, txInfoJson, type UnsignedTx } from "./transactions.js";
import { TX_TYPE } from "./tx-types.js";

const CHAIN_ID = 300;
const ACCOUNT = 777;
const API_KEY_INDEX = 4;
const key = LighterApiKey.fromSeed("ab".repeat(40));
let wasm: GoWasmGlobals;

function call(name: string, ...args: unknown[]): string {
  const out = wasm[name]!(...args) as { txInfo?: string; error?: string };
  if (out.error || !out.txInfo) throw new Error(`${name}: ${out.error ?? "no txInfo"}`);
  return out.txInfo;
}

function crossCheck(txInfo: string, build: (info: Record<string, number>) => UnsignedTx): void {
  const info = JSON.parse(txInfo) as Record<string, number> & { Sig: string };
  const tx = build(info);
  const theirs = txInfo.replace(/"Sig":"[^"]*"/, '"Sig":null');
  const ours = theirs.includes("L2TxAttributes") ? txInfoJson(tx, null) : txInfoJson(tx, null).replace(',"L2TxAttributes":null', "");
  expect(ours).toBe(theirs);
  const sig = signatureFromBytes(new Uint8Array(Buffer.from(info.Sig, "base64")));
  expect(schnorrVerify(key.publicKey, hashTx(tx, CHAIN_ID), sig)).toBe(true);
}

const envelope = (info: Record<string, number>) => ({
  accountIndex: info.AccountIndex!,
  apiKeyIndex: info.ApiKeyIndex!,
  expiredAt: info.ExpiredAt!,
  nonce: info.Nonce!,
});

describe("cross-check with lighter-go WASM (lighter-ts-sdk)", () => {
  beforeAll(async () => {
    wasm = await loadLighterWasm("lighter-ts-sdk");
    const created = wasm["CreateClient"]!(key.exportPrivateKeyHex(), ACCOUNT, API_KEY_INDEX, CHAIN_ID) as { error?: string } | null;
    expect(created?.error || undefined).toBeUndefined();
  }, 20_000);

  it("signs create orders whose unsigned tx_info matches ours and whose signature our verifier accepts", () => {
    const cases = [
      { market: 0, coi: 1001, base: 500, price: 400000, isAsk: false, type: 1, tif: 0, ro: false, trigger: 0, expiry: 0, nonce: 42 },
      { market: 1, coi: 7, base: 12, price: 9650000, isAsk: true, type: 2, tif: 0, ro: true, trigger: 9700000, expiry: 1_900_000_000_000, nonce: 43 },
      { market: 2, coi: 2 ** 40, base: 3, price: 150000, isAsk: true, type: 4, tif: 0, ro: true, trigger: 160000, expiry: 1_900_000_000_000, nonce: 44 },
    ];
    for (const c of cases) {
      const txInfo = call("SignCreateOrder", c.market, c.coi, c.base, c.price, c.isAsk ? 1 : 0, c.type, c.tif, c.ro ? 1 : 0, c.trigger, c.expiry, c.nonce);
      crossCheck(txInfo, (info) => ({
        txType: TX_TYPE.CREATE_ORDER, ...envelope(info), marketIndex: c.market, clientOrderIndex: c.coi, baseAmount: c.base, price: c.price,
        isAsk: c.isAsk, orderType: c.type, timeInForce: c.tif, reduceOnly: c.ro, triggerPrice: c.trigger, orderExpiry: c.expiry,
      }));
    }
  });

  it("signs cancel, cancel-all and update-leverage transactions we agree with", () => {
    crossCheck(call("SignCancelOrder", 0, 1001, 50), (info) => ({ txType: TX_TYPE.CANCEL_ORDER, ...envelope(info), marketIndex: 0, index: 1001 }));
    crossCheck(call("SignCancelAllOrders", 0, 0, 51), (info) => ({ txType: TX_TYPE.CANCEL_ALL_ORDERS, ...envelope(info), timeInForce: 0, time: 0 }));
    // This build's SignUpdateLeverage ignores its margin-mode argument (always cross), so we use cross.
    crossCheck(call("SignUpdateLeverage", 0, 1000, 0, 52), (info) => ({
      txType: TX_TYPE.UPDATE_LEVERAGE, ...envelope(info), marketIndex: 0, initialMarginFraction: 1000, marginMode: 0,
    }));
  });

  it("creates auth tokens our verifier accepts", () => {
    const deadline = Math.floor(Date.now() / 1000) + 600;
    const out = wasm["CreateAuthToken"]!(deadline) as { authToken?: string; error?: string };
    expect(out.error || undefined).toBeUndefined();
    expect(verifyAuthToken(out.authToken!, key.publicKey, Date.now())).toBeDefined();
  });
});
