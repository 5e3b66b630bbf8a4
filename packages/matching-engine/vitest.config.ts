import { defineConfig } from "vitest/config";

// A guard against hangs on a busy 2-core machine, not a speed assertion: speed is
// measured by `pnpm bench`, never by a test.
export default defineConfig({ test: { include: ["src/**/*.test.ts"], testTimeout: 30_000, hookTimeout: 60_000 } });
