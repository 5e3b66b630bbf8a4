import { describe, expect, it } from "vitest";
import { lighterErrorFor } from "./errors.js";
import { NonceManager } from "./nonce-manager.js";

describe("NonceManager", () => {
  it("fetches once per (account, key), then increments locally, sharing the first fetch", async () => {
    const fetches: string[] = [];
    const manager = new NonceManager(async (account, key) => {
      fetches.push(`${account}:${key}`);
      return account === 1 ? 10 : 500;
    });
    const first = await Promise.all([manager.acquire(1, 3), manager.acquire(1, 3), manager.acquire(1, 3)]);
    expect(first.sort()).toEqual([10, 11, 12]);
    expect(await manager.acquire(2, 3)).toBe(500);
    expect(fetches).toEqual(["1:3", "2:3"]);
  });

  it("resyncs on invalid nonce (21104) and retries once with the fresh nonce", async () => {
    let serverNonce = 7;
    const manager = new NonceManager(async () => serverNonce);
    expect(await manager.acquire(1, 3)).toBe(7);
    serverNonce = 20; // another client used the key meanwhile
    const tried: number[] = [];
    const result = await manager.withNonce(1, 3, async (nonce) => {
      tried.push(nonce);
      if (nonce !== serverNonce) throw lighterErrorFor(21104, "invalid nonce", 400);
      return `sent with ${nonce}`;
    });
    expect(result).toBe("sent with 20");
    expect(tried).toEqual([8, 20]);
    expect(await manager.acquire(1, 3)).toBe(21);
  });

  it("gives up after one retry, and refetches after any other error", async () => {
    let fetches = 0;
    const manager = new NonceManager(async () => {
      fetches++;
      return 1;
    });
    let calls = 0;
    await expect(
      manager.withNonce(1, 3, async () => {
        calls++;
        throw lighterErrorFor(21104, "invalid nonce", 400);
      }),
    ).rejects.toMatchObject({ lighterCode: 21104 });
    expect(calls).toBe(2);
    await expect(manager.withNonce(1, 3, async () => Promise.reject(lighterErrorFor(21739, "not enough margin", 400)))).rejects.toMatchObject({
      lighterCode: 21739,
    });
    const before = fetches;
    expect(await manager.acquire(1, 3)).toBe(1);
    expect(fetches).toBe(before + 1);
  });
});
