/**
 * Schema drift (test support, not exported): what the Prisma schema says, read through
 * Prisma's DMMF, against what a migrated database has, read from information_schema
 * and pg_catalog. Compared: tables, columns (type, precision, nullability, whether the
 * database holds a default), enums and their values, primary keys, unique and plain
 * indexes, and foreign keys with their ON DELETE action. CHECK constraints are extra
 * guards Prisma cannot express and are not compared.
 */
import type internals from "@prisma/internals";

type Datamodel = Awaited<ReturnType<typeof internals.getDMMF>>["datamodel"];
type Field = Datamodel["models"][number]["fields"][number];

/** One fact about a schema, as a comparable string. */
export type SchemaFact = string;

type Query = (sql: string) => Promise<Record<string, unknown>[]>;

const CLIENT_SIDE_DEFAULTS = new Set(["uuid", "cuid", "nanoid", "ulid"]);

function columnType(field: Field, enums: Map<string, string>): string {
  if (field.kind === "enum") return `enum ${enums.get(field.type) ?? field.type}`;
  const native = field.nativeType as [string, string[]] | null | undefined;
  switch (field.type) {
    case "String":
      if (native?.[0] === "Uuid") return "uuid";
      if (native?.[0] === "VarChar") return `character varying(${native[1][0]})`;
      return "text";
    case "Decimal":
      return native?.[0] === "Decimal" ? `numeric(${native[1][0]},${native[1][1]})` : "numeric(65,30)";
    case "Int":
      return "integer";
    case "BigInt":
      return "bigint";
    case "Boolean":
      return "boolean";
    case "Float":
      return "double precision";
    case "Json":
      return native?.[0] === "Json" ? "json" : "jsonb";
    case "DateTime": {
      if (native?.[0] === "Timestamptz") return `timestamp with time zone(${native[1][0] ?? "6"})`;
      if (native?.[0] === "Date") return "date";
      return `timestamp without time zone(${native?.[1][0] ?? "3"})`;
    }
    default:
      return `unsupported ${field.type}`;
  }
}

function hasDbDefault(field: Field): boolean {
  const d = field.default as { name?: string } | string | number | boolean | undefined;
  if (d === undefined) return false;
  if (typeof d === "object" && d !== null && "name" in d && CLIENT_SIDE_DEFAULTS.has(String(d.name))) return false;
  return true;
}

/** The facts a Prisma datamodel states. */
export function factsOfDatamodel(datamodel: Datamodel): SchemaFact[] {
  const facts: SchemaFact[] = [];
  const enums = new Map(datamodel.enums.map((e) => [e.name, e.dbName ?? e.name]));
  for (const e of datamodel.enums) facts.push(`enum ${e.dbName ?? e.name} = ${e.values.map((v) => v.dbName ?? v.name).join(",")}`);
  const tableOf = new Map(datamodel.models.map((m) => [m.name, m.dbName ?? m.name]));
  for (const model of datamodel.models) {
    const table = model.dbName ?? model.name;
    const columnOf = new Map(model.fields.map((f) => [f.name, (f as { dbName?: string | null }).dbName ?? f.name]));
    facts.push(`table ${table}`);
    for (const field of model.fields) {
      if (field.kind === "object") {
        if (field.relationFromFields && field.relationFromFields.length > 0) {
          const target = datamodel.models.find((m) => m.name === field.type);
          const targetColumns = (field.relationToFields ?? []).map((n) => {
            const f = target?.fields.find((x) => x.name === n);
            return (f as { dbName?: string | null } | undefined)?.dbName ?? n;
          });
          const onDelete = (field.relationOnDelete ?? (field.isRequired ? "Restrict" : "SetNull")).toString();
          facts.push(
            `foreign key ${table}(${field.relationFromFields.map((n) => columnOf.get(n)).join(",")}) -> ${tableOf.get(field.type)}(${targetColumns.join(",")}) on delete ${onDelete.toUpperCase()}`,
          );
        }
        continue;
      }
      const column = columnOf.get(field.name);
      facts.push(
        `column ${table}.${column} ${columnType(field, enums)} ${field.isRequired ? "not null" : "null"}${hasDbDefault(field) ? " default" : ""}`,
      );
    }
  }
  for (const index of datamodel.indexes) {
    const table = tableOf.get(index.model);
    const model = datamodel.models.find((m) => m.name === index.model);
    const columns = index.fields.map((f) => {
      const field = model?.fields.find((x) => x.name === f.name);
      return (field as { dbName?: string | null } | undefined)?.dbName ?? f.name;
    });
    const kind = index.type === "id" ? "primary key" : index.type === "unique" ? "unique index" : "index";
    facts.push(`${kind} ${table}(${columns.join(",")})`);
  }
  return facts.sort();
}

const ON_DELETE: Record<string, string> = { a: "NOACTION", r: "RESTRICT", c: "CASCADE", n: "SETNULL", d: "SETDEFAULT" };

/** The same facts as the database in the current schema has them (the migrations table left out). */
export async function factsOfDatabase(query: Query): Promise<SchemaFact[]> {
  const facts: SchemaFact[] = [];
  const enums = await query(`
    SELECT t.typname AS name, string_agg(e.enumlabel, ',' ORDER BY e.enumsortorder) AS vals
    FROM pg_type t JOIN pg_enum e ON e.enumtypid = t.oid JOIN pg_namespace n ON n.oid = t.typnamespace
    WHERE n.nspname = current_schema() GROUP BY t.typname`);
  for (const e of enums) facts.push(`enum ${String(e.name)} = ${String(e.vals)}`);

  const tables = await query(`
    SELECT table_name AS name FROM information_schema.tables
    WHERE table_schema = current_schema() AND table_type = 'BASE TABLE' AND table_name <> '_prisma_migrations'`);
  for (const t of tables) facts.push(`table ${String(t.name)}`);

  const columns = await query(`
    SELECT table_name, column_name, data_type, udt_name, is_nullable, column_default,
           numeric_precision, numeric_scale, datetime_precision, character_maximum_length
    FROM information_schema.columns
    WHERE table_schema = current_schema() AND table_name <> '_prisma_migrations'`);
  for (const c of columns) {
    let type = String(c.data_type);
    if (type === "numeric") type = `numeric(${String(c.numeric_precision)},${String(c.numeric_scale)})`;
    else if (type === "USER-DEFINED") type = `enum ${String(c.udt_name)}`;
    else if (type.startsWith("timestamp")) type = `${type}(${String(c.datetime_precision)})`;
    else if (type === "character varying") type = `character varying(${String(c.character_maximum_length)})`;
    facts.push(
      `column ${String(c.table_name)}.${String(c.column_name)} ${type} ${c.is_nullable === "YES" ? "null" : "not null"}${c.column_default === null ? "" : " default"}`,
    );
  }

  const indexes = await query(`
    SELECT t.relname AS table_name, i.indisprimary AS is_primary, i.indisunique AS is_unique,
           (SELECT string_agg(a.attname, ',' ORDER BY k.ord)
              FROM unnest(i.indkey::int2[]) WITH ORDINALITY AS k(attnum, ord)
              JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum = k.attnum) AS columns
    FROM pg_index i
    JOIN pg_class t ON t.oid = i.indrelid
    JOIN pg_namespace n ON n.oid = t.relnamespace
    WHERE n.nspname = current_schema() AND t.relname <> '_prisma_migrations'`);
  for (const i of indexes) {
    const kind = i.is_primary ? "primary key" : i.is_unique ? "unique index" : "index";
    facts.push(`${kind} ${String(i.table_name)}(${String(i.columns)})`);
  }

  const foreignKeys = await query(`
    SELECT src.relname AS table_name, dst.relname AS target,
           (SELECT string_agg(a.attname, ',' ORDER BY k.ord) FROM unnest(c.conkey) WITH ORDINALITY AS k(attnum, ord)
              JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = k.attnum) AS columns,
           (SELECT string_agg(a.attname, ',' ORDER BY k.ord) FROM unnest(c.confkey) WITH ORDINALITY AS k(attnum, ord)
              JOIN pg_attribute a ON a.attrelid = c.confrelid AND a.attnum = k.attnum) AS target_columns,
           c.confdeltype::text AS on_delete
    FROM pg_constraint c
    JOIN pg_class src ON src.oid = c.conrelid
    JOIN pg_class dst ON dst.oid = c.confrelid
    JOIN pg_namespace n ON n.oid = src.relnamespace
    WHERE c.contype = 'f' AND n.nspname = current_schema()`);
  for (const f of foreignKeys) {
    facts.push(
      `foreign key ${String(f.table_name)}(${String(f.columns)}) -> ${String(f.target)}(${String(f.target_columns)}) on delete ${ON_DELETE[String(f.on_delete)] ?? String(f.on_delete)}`,
    );
  }
  return facts.sort();
}
