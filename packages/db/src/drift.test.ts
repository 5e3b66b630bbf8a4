import { readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import internals from "@prisma/internals";
import { expect, it } from "vitest";
import { prismaOf } from "./internal/db-internals.js";
import { factsOfDatabase, factsOfDatamodel } from "./internal/drift.js";
import { describeEachDatabase } from "./testing/databases.js";

const schemaPath = join(fileURLToPath(new URL(".", import.meta.url)), "..", "prisma", "schema.prisma");
const dmmf = await internals.getDMMF({ datamodel: readFileSync(schemaPath, "utf8") });
const expected = factsOfDatamodel(dmmf.datamodel);

describeEachDatabase("migrations against prisma/schema.prisma (drift)", (t) => {
  it("produce exactly the tables, columns, types, nullability, defaults, enums, indexes and foreign keys the schema declares", async () => {
    const actual = await factsOfDatabase((sql) => prismaOf(t.db).$queryRawUnsafe<Record<string, unknown>[]>(sql));
    const missing = expected.filter((f) => !actual.includes(f));
    const extra = actual.filter((f) => !expected.includes(f));
    expect({ missing, extra }).toEqual({ missing: [], extra: [] });
    // Guard against a comparison that compares nothing.
    expect(expected.filter((f) => f.startsWith("column ")).length).toBeGreaterThan(50);
    expect(expected).toContain("column orders.quantity numeric(18,8) not null");
    expect(expected).toContain("index orders(model_id,closed_at)");
  });

  it("detects a difference: a column whose nullability changed", async () => {
    await prismaOf(t.db).$executeRawUnsafe(`ALTER TABLE orders ALTER COLUMN symbol DROP NOT NULL`);
    try {
      const actual = await factsOfDatabase((sql) => prismaOf(t.db).$queryRawUnsafe<Record<string, unknown>[]>(sql));
      expect(actual).toContain("column orders.symbol text null");
      expect(expected).not.toContain("column orders.symbol text null");
    } finally {
      await prismaOf(t.db).$executeRawUnsafe(`ALTER TABLE orders ALTER COLUMN symbol SET NOT NULL`);
    }
  });
});
