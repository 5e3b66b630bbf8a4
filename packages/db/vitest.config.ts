import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["src/**/*.test.ts"],
    // Without TEST_DATABASE_URL, a PostgreSQL 18 from npm for this run (see the file).
    globalSetup: ["../../scripts/test-postgres.mjs"],
    // Files of one worker share modules, so they share one in-memory PGlite (see
    // src/testing/databases.ts) instead of paying its start-up per file.
    isolate: false,
    // PGlite starts in 1-6 s; migrations and the PostgreSQL schema set-up run in beforeAll.
    hookTimeout: 60_000,
    testTimeout: 30_000,
  },
});
