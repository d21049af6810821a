// SQL building blocks shared by every listing's filters, so each filter means the same everywhere.
import { type SQL, sql } from "drizzle-orm";
import type { SQLiteColumn } from "drizzle-orm/sqlite-core";

/** Case-insensitive "contains", with LIKE wildcards in the user's text taken literally. */
export function containsInsensitive(column: SQLiteColumn, value: string): SQL {
  const escaped = value.toLowerCase().replace(/[%_\\]/g, "\\$&");
  return sql`lower(${column}) like ${`%${escaped}%`} escape '\\'`;
}
