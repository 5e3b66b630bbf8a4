import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["src/**/*.test.ts"],
    // The third-party client test loads lighter-ts-sdk's 12 MB Go WASM build and the README
    // test runs tsx in a child process, on a shared machine: generous deadlines keep them
    // from failing on load alone (no assertion depends on time).
    testTimeout: 30_000,
    hookTimeout: 30_000,
  },
});
