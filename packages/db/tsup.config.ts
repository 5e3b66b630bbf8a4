import { defineConfig } from "tsup";
import { packageBuild } from "../../tsup.base";

export default defineConfig({
  ...packageBuild,
  entry: { index: "src/index.ts", testing: "src/testing/index.ts", "embedded-postgres": "src/embedded-postgres.ts" },
  // The generated Prisma client reads import.meta.url; shims make it work in the CJS build.
  shims: true,
});
