import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["src/**/*.test.ts"],
    // PGlite starts in 1-6 s; migrations and the PostgreSQL schema set-up run in beforeAll.
    hookTimeout: 60_000,
    testTimeout: 30_000,
  },
});
