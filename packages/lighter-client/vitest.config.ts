import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    // The WASM cross-checks load 12 MB Go builds and the machine is shared: generous
    // deadlines keep them from failing on load alone (no assertion depends on time).
    testTimeout: 30_000,
    hookTimeout: 30_000,
  },
});
