import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["src/**/*.test.ts"],
    hookTimeout: 60_000,
    testTimeout: 30_000,
    // Without TEST_DATABASE_URL, a PostgreSQL 18 from npm for this run (see the file).
    globalSetup: ["../../scripts/test-postgres.mjs"],
  },
});
