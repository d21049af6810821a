/**
 * One query layer over two stores. Services receive a `Db` and never know which driver is behind it:
 * D1 locally and in tests, Turso/libSQL in production when TURSO_DATABASE_URL is set.
 */
import { createClient } from "@libsql/client/web";
import { getTableColumns } from "drizzle-orm";
import type { BatchItem } from "drizzle-orm/batch";
import { drizzle as drizzleD1 } from "drizzle-orm/d1";
import { drizzle as drizzleLibsql } from "drizzle-orm/libsql/web";
import type { BaseSQLiteDatabase, SQLiteTable } from "drizzle-orm/sqlite-core";
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

/**
 * Multi-row inserts for a batch, split so that no statement binds more parameters than D1 allows.
 * Sized by the table's column count, not the row's keys: drizzle binds a value (or default) for
 * every column of a multi-row insert.
 */
export function insertRows<T extends SQLiteTable>(
  db: Db,
  table: T,
  rows: T["$inferInsert"][],
): BatchItem<"sqlite">[] {
  if (rows.length === 0) return [];
  const perRow = Math.max(1, Object.keys(getTableColumns(table)).length);
  const chunk = Math.max(1, Math.floor(MAX_BOUND_PARAMETERS / perRow));
  const statements: BatchItem<"sqlite">[] = [];
  for (let i = 0; i < rows.length; i += chunk) {
    statements.push(db.insert(table).values(rows.slice(i, i + chunk)) as unknown as BatchItem<"sqlite">);
  }
  return statements;
}

export { schema };
