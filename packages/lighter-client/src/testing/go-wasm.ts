/**
 * Test-only loader for the lighter-go WASM builds shipped inside the npm SDKs
 * (devDependencies). Loads wasm_exec.js (which defines globalThis.Go), runs the
 * module, and returns the globals it registers (SignCreateOrder, CreateClient, ...).
 * Each SDK registers the same global names, so one test file loads one build.
 */
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";

/** The functions a lighter-go WASM build registers on globalThis. */
export type GoWasmGlobals = Record<string, ((...args: unknown[]) => unknown) | undefined>;

const require = createRequire(import.meta.url);

/** Loads `<package>/wasm/lighter-signer.wasm` with its wasm_exec.js and returns the registered globals. */
export async function loadLighterWasm(packageName: string): Promise<GoWasmGlobals> {
  const root = dirname(require.resolve(`${packageName}/package.json`));
  require(join(root, "wasm", "wasm_exec.js"));
  const GoCtor = (globalThis as unknown as { Go: new () => GoRuntime }).Go;
  const go = new GoCtor();
  go.argv = ["js"];
  go.env = {};
  // The base tsconfig has no DOM lib, so WebAssembly is reached through a narrow local type.
  const wasmApi = (globalThis as unknown as { WebAssembly: WasmApi }).WebAssembly;
  const { instance } = await wasmApi.instantiate(readFileSync(join(root, "wasm", "lighter-signer.wasm")), go.importObject);
  void go.run(instance);
  // The Go program registers its functions synchronously in main(); yield once so it gets there.
  for (let i = 0; i < 50 && typeof (globalThis as Record<string, unknown>)["SignCreateOrder"] !== "function"; i++) {
    await new Promise((r) => setTimeout(r, 20));
  }
  return globalThis as unknown as GoWasmGlobals;
}

interface WasmApi {
  instantiate(bytes: Uint8Array, imports: unknown): Promise<{ instance: unknown }>;
}

interface GoRuntime {
  argv: string[];
  env: Record<string, string>;
  importObject: unknown;
  run(instance: unknown): Promise<void>;
}
