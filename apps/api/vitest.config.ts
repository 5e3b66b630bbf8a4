import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    testTimeout: 60_000,
    hookTimeout: 120_000,
    // Without TEST_DATABASE_URL, a PostgreSQL 18 from npm for this run (see the file).
    globalSetup: ["../../scripts/test-postgres.mjs"],
  },
});
