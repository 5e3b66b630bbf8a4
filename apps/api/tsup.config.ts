import { defineConfig } from "tsup";

export default defineConfig({
  entry: ["src/index.ts", "src/main.ts", "src/testing/seed.ts"],
  format: ["esm"],
  dts: { entry: ["src/index.ts", "src/testing/seed.ts"] },
  sourcemap: true,
  clean: true,
  target: "node20",
});
