// SQL building blocks shared by every listing's filters, so each filter means the same everywhere.
import { type SQL, sql } from "drizzle-orm";
import type { SQLiteColumn } from "drizzle-orm/sqlite-core";

/**
 * Capitals SQLite's lower() leaves alone (it folds ASCII only) that Mexican names and RFCs carry: a
 * search for "muñoz" must find "MUÑOZ".
 */
const SPANISH_CAPITALS: [string, string][] = [
  ["Á", "á"],
  ["É", "é"],
  ["Í", "í"],
  ["Ó", "ó"],
  ["Ú", "ú"],
  ["Ü", "ü"],
  ["Ñ", "ñ"],
];

function lowerSpanish(column: SQLiteColumn | SQL): SQL {
  let folded: SQL = sql`${column}`;
  for (const [upper, lower] of SPANISH_CAPITALS) folded = sql`replace(${folded}, ${upper}, ${lower})`;
  return sql`lower(${folded})`;
}

/** Case-insensitive "contains" (ASCII and Spanish letters), with LIKE wildcards in the user's text taken literally. */
export function containsInsensitive(column: SQLiteColumn | SQL, value: string): SQL {
  const escaped = value.toLowerCase().replace(/[%_\\]/g, "\\$&");
  return sql`${lowerSpanish(column)} like ${`%${escaped}%`} escape '\\'`;
}
