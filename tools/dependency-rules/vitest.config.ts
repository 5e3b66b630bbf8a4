import { defineConfig } from "vitest/config";

// A guard against hangs on a busy 2-core machine, not a speed assertion.
export default defineConfig({ test: { include: ["src/**/*.test.ts"], testTimeout: 30_000 } });
