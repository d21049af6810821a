// The small `meta` table every organization Durable Object keeps: which organization it serves, since when.
export function initMeta(storage: DurableObjectStorage) {
  storage.sql.exec("CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)");
}

export function recordMeta(storage: DurableObjectStorage, organizationId: string) {
  storage.sql.exec(
    "INSERT OR IGNORE INTO meta (key, value) VALUES ('organization_id', ?), ('since', ?)",
    organizationId,
    new Date().toISOString(),
  );
  const rows = storage.sql.exec<{ key: string; value: string }>("SELECT key, value FROM meta").toArray();
  const meta = Object.fromEntries(rows.map((r) => [r.key, r.value]));
  return { organizationId: meta.organization_id ?? organizationId, since: meta.since ?? "" };
}
