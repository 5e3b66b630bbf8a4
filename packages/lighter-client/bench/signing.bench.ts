/**
 * Signing throughput of the pure TypeScript signer: Poseidon2 tx hashes per second,
 * signatures per second (hash + Schnorr sign), verifications per second.
 * Run with `pnpm bench`; the last line is the headline number.
 */
import { LighterApiKey, hashTx, signTx, TX_TYPE, ORDER_TYPE, type UnsignedTx } from "../src/index.js";
import { schnorrVerify } from "../src/signer/schnorr.js";
import { fromBytesLE } from "../src/signer/quintic.js";
import { hexToBytes } from "../src/signer/hex.js";
import { signatureFromBytes } from "../src/signer/schnorr.js";

const key = LighterApiKey.fromSeed("5a".repeat(32));
const order = (nonce: number): UnsignedTx => ({
  txType: TX_TYPE.CREATE_ORDER,
  accountIndex: 12345,
  apiKeyIndex: 3,
  expiredAt: 1_767_880_100_000,
  nonce,
  marketIndex: 0,
  clientOrderIndex: 1000 + nonce,
  baseAmount: 500,
  price: 400_000,
  isAsk: false,
  orderType: ORDER_TYPE.MARKET,
  timeInForce: 0,
  reduceOnly: false,
  triggerPrice: 0,
  orderExpiry: 0,
});

/**
 * Runs `body` for at least `minMs` of wall time. Rates are per CPU-second of this
 * process (process.cpuUsage), which stays meaningful on a shared, loaded machine;
 * the wall-clock rate is printed beside it.
 */
function measure(label: string, minMs: number, body: (i: number) => void): number {
  body(0); // warm-up (builds the generator table on first signature)
  const start = process.hrtime.bigint();
  const cpuStart = process.cpuUsage();
  let n = 0;
  let elapsedMs = 0;
  while (elapsedMs < minMs) {
    body(n++);
    elapsedMs = Number(process.hrtime.bigint() - start) / 1e6;
  }
  const cpu = process.cpuUsage(cpuStart);
  const cpuMs = (cpu.user + cpu.system) / 1000;
  const perCpuSecond = (n * 1000) / cpuMs;
  const perWallSecond = (n * 1000) / elapsedMs;
  console.log(`${label}: ${perCpuSecond.toFixed(0)} ops per CPU-second, ${perWallSecond.toFixed(0)} ops/s wall (${n} in ${elapsedMs.toFixed(0)} ms)`);
  return perCpuSecond;
}

const hashes = measure("tx hash (Poseidon2)", 1000, (i) => void hashTx(order(i), 304));
const signed = signTx(order(1), key, 304);
const sig = signatureFromBytes(new Uint8Array(Buffer.from((JSON.parse(signed.txInfo) as { Sig: string }).Sig, "base64")));
const hash = fromBytesLE(hexToBytes(signed.txHash));
measure("verify", 1500, () => void schnorrVerify(key.publicKey, hash, sig));
const sigs = measure("sign tx (hash + Schnorr)", 2000, (i) => void signTx(order(i), key, 304));
console.log(`lighter-client hashing: ${hashes.toFixed(0)} hash/s`);
console.log(`lighter-client signing: ${sigs.toFixed(0)} sig/s`);
