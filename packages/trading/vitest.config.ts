import { defineConfig } from "vitest/config";

// Tests start HTTP servers, PGlite and a child process on a machine shared by parallel
// builds: a guard against hangs, not a speed assertion.
export default defineConfig({
  test: {
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // Without TEST_DATABASE_URL, a PostgreSQL 18 from npm for this run (see the file).
    globalSetup: ["../../scripts/test-postgres.mjs"],
  },
});
