/**
 * The mock serves third-party clients too: lighter-ts-sdk's own SignerClient
 * (lighter-go WASM signing, axios REST) places and cancels an order against it,
 * and the mock verifies its signatures with our verifier.
 */
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createAuthToken, LighterApiKey, LighterRestClient } from "@autonome/lighter-client";
import { MockLighterServer } from "./mock-server.js";

const require = createRequire(import.meta.url);
const ACCOUNT = 400;
const KEY_INDEX = 5;
const key = LighterApiKey.fromSeed("c3".repeat(32));
let server: MockLighterServer;

interface SdkSignerClient {
  initialize(): Promise<void>;
  ensureWasmClient(): Promise<void>;
  createOrder(params: Record<string, unknown>): Promise<[Record<string, unknown> | null, string, string | null]>;
  cancelOrder(params: Record<string, unknown>): Promise<[Record<string, unknown> | null, string, string | null]>;
}

describe("lighter-ts-sdk SignerClient against the mock server", () => {
  beforeAll(async () => {
    server = await new MockLighterServer({ chainId: 304 }).start();
    server.exchange.registerApiKey(ACCOUNT, KEY_INDEX, key.publicKeyHex, 0);
    server.exchange.setCollateral(ACCOUNT, "1000");
  });
  afterAll(async () => server.stop());

  it("places a limit order and cancels it through the SDK's own client", async () => {
    const sdkRoot = dirname(require.resolve("lighter-ts-sdk/package.json"));
    const { SignerClient } = require("lighter-ts-sdk") as { SignerClient: new (config: Record<string, unknown>) => SdkSignerClient };
    const log = console.log;
    console.log = () => undefined; // the SDK logs its initialization; keep test output clean
    let client: SdkSignerClient;
    try {
      client = new SignerClient({
        url: server.url,
        privateKey: key.exportPrivateKeyHex(),
        accountIndex: ACCOUNT,
        apiKeyIndex: KEY_INDEX,
        wasmConfig: { wasmPath: join(sdkRoot, "wasm", "lighter-signer.wasm"), wasmExecPath: join(sdkRoot, "wasm", "wasm_exec.js") },
      });
      await client.initialize();
      await client.ensureWasmClient();
    } finally {
      console.log = log;
    }
    const [placed, txHash, placeError] = await client.createOrder({
      marketIndex: 0, clientOrderIndex: 4242, baseAmount: 1000, price: 250000, isAsk: false, orderType: 0, timeInForce: 1,
      reduceOnly: false, orderExpiry: Date.now() + 3_600_000,
    });
    expect(placeError).toBeNull();
    expect(placed).toMatchObject({ AccountIndex: ACCOUNT, ClientOrderIndex: 4242 });
    expect(txHash).toHaveLength(80);
    expect(server.exchange.tx(txHash)?.status).toBe(2);

    const rest = new LighterRestClient({ baseUrl: server.url });
    const token = createAuthToken(key, ACCOUNT, KEY_INDEX, Date.now() + 600_000);
    const [open] = await rest.accountActiveOrders(ACCOUNT, 0, token);
    expect(open).toMatchObject({ status: "open", clientOrderIndex: 4242n });
    expect(open!.price.toString()).toBe("2500");

    const [, cancelHash, cancelError] = await client.cancelOrder({ marketIndex: 0, orderIndex: Number(open!.orderIndex) });
    expect(cancelError).toBeNull();
    expect(cancelHash).toHaveLength(80);
    expect(await rest.accountActiveOrders(ACCOUNT, 0, token)).toEqual([]);
    const { orders } = await rest.accountInactiveOrders(ACCOUNT, token, { marketId: 0 });
    expect(orders[0]).toMatchObject({ status: "canceled", clientOrderIndex: 4242n });
  });
});
