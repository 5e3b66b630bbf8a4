import { defineConfig } from "vitest/config";

// Tests talk real HTTP and start a child process on a machine shared by parallel builds:
// a generous guard against hangs, not a speed assertion.
export default defineConfig({ test: { testTimeout: 60_000 } });
