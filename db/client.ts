/**
 * One query layer over two stores. Services receive a `Db` and never know which driver is behind it:
 * D1 locally and in tests, Turso/libSQL in production when TURSO_DATABASE_URL is set.
 */
import { createClient } from "@libsql/client/web";
import { getTableColumns, is, SQL, sql } from "drizzle-orm";
import type { BatchItem } from "drizzle-orm/batch";
import { drizzle as drizzleD1 } from "drizzle-orm/d1";
import { drizzle as drizzleLibsql } from "drizzle-orm/libsql/web";
import type { BaseSQLiteDatabase, SQLiteColumn, SQLiteTable } from "drizzle-orm/sqlite-core";
import * as schema from "./schema";

export type Schema = typeof schema;
// biome-ignore lint/suspicious/noExplicitAny: the run-result type differs per driver (D1Result vs ResultSet).
export type Db = BaseSQLiteDatabase<"async", any, Schema>;

export interface DbBindings {
  DB: D1Database;
  TURSO_DATABASE_URL?: string;
  TURSO_AUTH_TOKEN?: string;
}

export function createDb(env: DbBindings): Db {
  if (env.TURSO_DATABASE_URL) {
    const client = createClient({ url: env.TURSO_DATABASE_URL, authToken: env.TURSO_AUTH_TOKEN });
    return drizzleLibsql(client, { schema }) as unknown as Db;
  }
  return drizzleD1(env.DB, { schema }) as unknown as Db;
}

type Batchable = {
  batch(items: readonly [BatchItem<"sqlite">, ...BatchItem<"sqlite">[]]): Promise<unknown[]>;
};

/**
 * Runs statements atomically: D1 has no interactive transactions, but `batch` is all-or-nothing on D1
 * and on libSQL alike. Build every statement first (no reads in between), then hand them here.
 */
export async function batchWrite(db: Db, statements: BatchItem<"sqlite">[]): Promise<void> {
  if (statements.length === 0) return;
  const [first, ...rest] = statements;
  await (db as unknown as Batchable).batch([first!, ...rest]);
}

/** D1 binds at most 100 parameters per statement; libSQL allows more, so D1's limit rules both. */
const MAX_BOUND_PARAMETERS = 100;

/** Values per `IN (…)` list, leaving room for the query's other parameters. */
export const IN_LIST_LIMIT = 80;

/** `values` cut into lists short enough for one `IN (…)` each. */
export function inChunks<T>(values: readonly T[], size = IN_LIST_LIMIT): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < values.length; i += size) out.push(values.slice(i, i + size));
  return out;
}

/** The most JSON text one statement carries: well under D1's 2 MB for a string value. */
const MAX_JSON_PARAMETER = 512 * 1024;

/** A column's stored value for a row: drizzle's own conversion, or the column's default when absent. */
function driverValue(column: SQLiteColumn, value: unknown): unknown {
  if (value === undefined) {
    if (column.defaultFn) return column.mapToDriverValue(column.defaultFn());
    if (column.default === undefined) {
      return column.onUpdateFn ? column.mapToDriverValue(column.onUpdateFn()) : null;
    }
    if (is(column.default, SQL)) throw new SqlDefault();
    return column.mapToDriverValue(column.default);
  }
  return value === null ? null : column.mapToDriverValue(value);
}

/** A default computed by SQL (not by drizzle): only drizzle's own insert can leave the column out. */
class SqlDefault extends Error {}

/**
 * Rows written by one statement per at most 512 KB of JSON: the values travel as a single JSON
 * parameter read back with json_each. A wide table (an invoice has ~90 columns) fits one row per
 * statement under D1's 100 bound parameters, and every statement is compiled with the table's
 * triggers (the invoice rollups): one statement instead of fifty is what makes a ZIP slice cheap.
 */
function insertFromJson<T extends SQLiteTable>(db: Db, table: T, rows: T["$inferInsert"][]) {
  const columns = Object.entries(getTableColumns(table)) as [string, SQLiteColumn][];
  const encoded = rows.map((row) =>
    JSON.stringify(
      columns.map(([key, column]) => driverValue(column, (row as Record<string, unknown>)[key])),
    ),
  );
  const reads = sql.join(
    columns.map((_, i) => sql.raw(`json_extract(value, '$[${i}]')`)),
    sql`, `,
  );
  const statements: BatchItem<"sqlite">[] = [];
  for (let start = 0; start < encoded.length; ) {
    let end = start;
    let size = 2;
    while (end < encoded.length && (end === start || size + encoded[end]!.length + 1 <= MAX_JSON_PARAMETER)) {
      size += encoded[end]!.length + 1;
      end++;
    }
    const json = `[${encoded.slice(start, end).join(",")}]`;
    // Drizzle lists the table's columns after `insert into` in this same order (getTableColumns).
    statements.push(
      db.insert(table).select(sql`select ${reads} from json_each(${json})`) as unknown as BatchItem<"sqlite">,
    );
    start = end;
  }
  return statements;
}

/**
 * Multi-row inserts for a batch that no statement binds more parameters than D1 allows. Rows that fit
 * one drizzle insert go as one; more go as JSON (insertFromJson), unless a column's default is SQL
 * that only drizzle's insert can leave to the database, in which case they are split by the table's
 * column count (drizzle binds a value or default for every column of a multi-row insert).
 */
export function insertRows<T extends SQLiteTable>(
  db: Db,
  table: T,
  rows: T["$inferInsert"][],
): BatchItem<"sqlite">[] {
  if (rows.length === 0) return [];
  const perRow = Math.max(1, Object.keys(getTableColumns(table)).length);
  const chunk = Math.max(1, Math.floor(MAX_BOUND_PARAMETERS / perRow));
  if (rows.length > chunk) {
    try {
      return insertFromJson(db, table, rows);
    } catch (error) {
      if (!(error instanceof SqlDefault)) throw error;
    }
  }
  const statements: BatchItem<"sqlite">[] = [];
  for (let i = 0; i < rows.length; i += chunk) {
    statements.push(db.insert(table).values(rows.slice(i, i + chunk)) as unknown as BatchItem<"sqlite">);
  }
  return statements;
}

export { schema };
