/**
 * The build every publishable package shares: ESM and CommonJS with declarations, for
 * Node 20. A package's tsup.config.ts spreads it and adds only what differs (entries,
 * shims).
 */
import type { Options } from "tsup";

/** The shared tsup options of a publishable package. */
export const packageBuild = {
  entry: ["src/index.ts"],
  format: ["esm", "cjs"],
  dts: true,
  sourcemap: true,
  clean: true,
  target: "node20",
} satisfies Options;
