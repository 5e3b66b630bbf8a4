import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { runReadmeExample } from "../../../scripts/readme-example.js";
import { bytesToHex, CHAIN_ID, fp5ToBytesLE, hashTx, ORDER_TYPE, TIME_IN_FORCE, TX_TYPE } from "./index.js";

const packageDir = fileURLToPath(new URL("..", import.meta.url));

describe("README example", () => {
  it("runs against the built package and prints what its comments say", { timeout: 60_000 }, () => {
    const { output } = runReadmeExample(packageDir);
    const [txHash, verified, account, ...rest] = output.trim().split("\n");
    // The same order hashed here, from the source: the README's hash is the one Lighter would report.
    const expiresAt = Date.parse("2030-01-01T00:00:00Z");
    const expected = hashTx(
      {
        txType: TX_TYPE.CREATE_ORDER, accountIndex: 1001, apiKeyIndex: 3, nonce: 7, expiredAt: expiresAt,
        marketIndex: 0, clientOrderIndex: 1, baseAmount: 5000, price: 300000, isAsk: false,
        orderType: ORDER_TYPE.LIMIT, timeInForce: TIME_IN_FORCE.GOOD_TILL_TIME, reduceOnly: false, triggerPrice: 0, orderExpiry: expiresAt,
      },
      CHAIN_ID.MAINNET,
    );
    expect(txHash).toBe(bytesToHex(fp5ToBytesLE(expected)));
    expect(txHash).toMatch(/^[0-9a-f]{80}$/);
    expect(verified).toBe("true");
    expect(account).toBe("1001n");
    expect(rest).toEqual([]);
  });
});
