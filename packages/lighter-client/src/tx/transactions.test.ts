import { ValidationError } from "@autonome/core";
import { describe, expect, it } from "vitest";
import { LighterApiKey } from "../signer/api-key.js";
import { hexToBytes } from "../signer/hex.js";
import { fromBytesLE } from "../signer/quintic.js";
import { signatureFromBytes, schnorrVerify } from "../signer/schnorr.js";
import { createAuthToken, parseAuthToken, verifyAuthToken } from "./auth-token.js";
import { hashTx, signTx, txHashElements, txInfoJson, validateTx, type UnsignedTx } from "./transactions.js";
import { ORDER_TYPE, TX_TYPE } from "./tx-types.js";

const key = LighterApiKey.fromSeed("42".repeat(32));
const marketOrder: UnsignedTx = {
  txType: TX_TYPE.CREATE_ORDER,
  accountIndex: 12345,
  apiKeyIndex: 3,
  expiredAt: 1767880100000,
  nonce: 42,
  marketIndex: 0,
  clientOrderIndex: 1001,
  baseAmount: 500,
  price: 400000,
  isAsk: false,
  orderType: ORDER_TYPE.MARKET,
  timeInForce: 0,
  reduceOnly: false,
  triggerPrice: 0,
  orderExpiry: 0,
};

describe("transactions", () => {
  it("hashes create-order fields in lighter-go's order: chain, type, nonce, expiry, then the body", () => {
    expect(txHashElements(marketOrder, 304)).toEqual([304n, 14n, 42n, 1767880100000n, 12345n, 3n, 0n, 1001n, 500n, 400000n, 0n, 1n, 0n, 0n, 0n, 0n]);
  });

  it("writes tx_info with Go's field order and a base64 signature", () => {
    const signed = signTx(marketOrder, key, 304);
    expect(signed.txInfo).toMatch(
      /^\{"AccountIndex":12345,"ApiKeyIndex":3,"MarketIndex":0,"ClientOrderIndex":1001,"BaseAmount":500,"Price":400000,"IsAsk":0,"Type":1,"TimeInForce":0,"ReduceOnly":0,"TriggerPrice":0,"OrderExpiry":0,"ExpiredAt":1767880100000,"Nonce":42,"Sig":"[A-Za-z0-9+/]{106}[A-Za-z0-9+/=]{2}","L2TxAttributes":null\}$/,
    );
    expect(signed.txHash).toHaveLength(80);
    const sig = signatureFromBytes(new Uint8Array(Buffer.from(JSON.parse(signed.txInfo).Sig as string, "base64")));
    expect(schnorrVerify(key.publicKey, fromBytesLE(hexToBytes(signed.txHash)), sig)).toBe(true);
  });

  it("folds non-nil attributes into the hash and lists them in tx_info", () => {
    const withSkip: UnsignedTx = { ...marketOrder, attributes: { skipNonce: 1 } };
    expect(hashTx(withSkip, 304)).not.toEqual(hashTx(marketOrder, 304));
    expect(txInfoJson(withSkip, null)).toContain('"L2TxAttributes":{"4":1}');
    // A nil-valued attribute does not change the hash.
    expect(hashTx({ ...marketOrder, attributes: { skipNonce: 0 } }, 304)).toEqual(hashTx(marketOrder, 304));
  });

  it("serializes order indexes beyond 2^53 exactly", () => {
    const cancel: UnsignedTx = { txType: TX_TYPE.CANCEL_ORDER, accountIndex: 1, apiKeyIndex: 3, expiredAt: 1, nonce: 1, marketIndex: 0, index: (1n << 60n) - 1n };
    expect(txInfoJson(cancel, null)).toContain(`"Index":${(1n << 60n) - 1n}`);
  });

  it("rejects what lighter-go's Validate rejects", () => {
    expect(() => validateTx({ ...marketOrder, timeInForce: 1 })).toThrow(ValidationError);
    expect(() => validateTx({ ...marketOrder, orderType: ORDER_TYPE.STOP_LOSS, triggerPrice: 0, orderExpiry: 1 })).toThrow(ValidationError);
    expect(() => validateTx({ ...marketOrder, baseAmount: 0 })).toThrow(ValidationError);
    expect(() => validateTx({ ...marketOrder, price: 2 ** 32 })).toThrow(ValidationError);
    expect(() => validateTx({ ...marketOrder, marketIndex: 300 })).toThrow(ValidationError);
    expect(() => validateTx({ ...marketOrder, reduceOnly: true, baseAmount: 0 })).not.toThrow();
  });
});

describe("auth tokens", () => {
  it("signs 'deadline:account:apiKey' and verifies with the public key until the deadline", () => {
    const now = 1_767_880_000_000;
    const token = createAuthToken(key, 12345, 3, now + 3_600_000);
    expect(token).toMatch(/^1767883600:12345:3:[0-9a-f]{160}$/);
    expect(verifyAuthToken(token, key.publicKey, now)).toMatchObject({ accountIndex: 12345n, apiKeyIndex: 3 });
    expect(verifyAuthToken(token, key.publicKey, now + 3_601_000)).toBeUndefined();
    expect(verifyAuthToken(token.replace(":3:", ":4:"), key.publicKey, now)).toBeUndefined();
    expect(parseAuthToken("nonsense")).toBeUndefined();
  });
});

describe("LighterApiKey", () => {
  it("never reveals the private key through toString, JSON or inspect", async () => {
    const { inspect } = await import("node:util");
    const secret = key.exportPrivateKeyHex().slice(2);
    // eslint-disable-next-line @typescript-eslint/restrict-template-expressions -- interpolating the key is what this test checks
    for (const text of [String(key), JSON.stringify(key), inspect(key), `${key}`]) expect(text).not.toContain(secret);
  });

  it("derives a seed key as lighter-go's GetScalarFromSeed: sha256(1||seed) || sha256(2||seed)[0..8], big-endian, mod n", async () => {
    const { createHash } = await import("node:crypto");
    const { ORDER } = await import("../signer/scalar.js");
    const seed = Buffer.from("0123456789abcdef".repeat(4), "hex");
    const bytes = Buffer.concat([
      createHash("sha256").update(Buffer.from([1])).update(seed).digest(),
      createHash("sha256").update(Buffer.from([2])).update(seed).digest().subarray(0, 8),
    ]);
    const expected = BigInt(`0x${bytes.toString("hex")}`) % ORDER;
    const exported = LighterApiKey.fromSeed(seed.toString("hex")).exportPrivateKeyHex();
    const littleEndian = Buffer.from(exported.slice(2), "hex").reverse().toString("hex");
    expect(BigInt(`0x${littleEndian}`)).toBe(expected);
  });

  it("round-trips the private key hex and derives the same public key", () => {
    const again = LighterApiKey.fromPrivateKeyHex(key.exportPrivateKeyHex());
    expect(again.publicKeyHex).toBe(key.publicKeyHex);
    expect(() => LighterApiKey.fromPrivateKeyHex("0x1234")).toThrow(ValidationError);
    expect(() => LighterApiKey.fromSeed("00")).toThrow(ValidationError);
  });
});
