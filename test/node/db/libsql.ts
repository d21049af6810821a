/**
 * The libSQL side of the query layer, for Node suites: an embedded libSQL database in a temporary file
 * (a real database file, as an embedded replica would be), migrated with drizzle's libSQL migrator from
 * the same `db/migrations` the Worker uses, and a hand-built ServiceContext whose JOBS producer records
 * what the services enqueue.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { createClient } from "@libsql/client";
import { drizzle } from "drizzle-orm/libsql";
import { migrate } from "drizzle-orm/libsql/migrator";
import type { Db } from "../../../db/client";
import * as schema from "../../../db/schema";
import { sha256Hex } from "../../../shared/auth/crypto";
import type { AppBindings, JobMessage } from "../../../workers/env";
import type { ActorContext, ServiceContext } from "../../../workers/services/context";

const MIGRATIONS = fileURLToPath(new URL("../../../db/migrations", import.meta.url));

export const CLIENT_ID = "node-tests";
export const CLIENT_SECRET = "node-tests-secret";
export const PASSWORD = "Sup3r-Secret!";

export interface LibsqlHarness {
  db: Db;
  ctx: ServiceContext;
  /** Messages the services sent to the JOBS queue, in order. */
  sent: JobMessage[];
  as(userId: string): ActorContext;
  close(): void;
}

export async function openLibsql(): Promise<LibsqlHarness> {
  const dir = mkdtempSync(join(tmpdir(), "timbre-libsql-"));
  const client = createClient({ url: `file:${join(dir, "timbre.db")}` });
  const database = drizzle(client, { schema });
  await migrate(database, { migrationsFolder: MIGRATIONS });
  const db = database as unknown as Db;

  const sent: JobMessage[] = [];
  const jobs = {
    async send(message: JobMessage) {
      sent.push(message);
    },
    async sendBatch(messages: Iterable<{ body: JobMessage }>) {
      for (const m of messages) sent.push(m.body);
    },
  };
  // R2 does not run in plain Node; the workerd suite covers the real bucket. This keeps objects in a
  // Map with the few operations the services use, so file clean-up paths still execute here.
  const objects = new Map<string, Uint8Array>();
  const files = {
    async put(key: string, value: Uint8Array) {
      objects.set(key, value);
      return { key };
    },
    async head(key: string) {
      return objects.has(key) ? { key } : null;
    },
    async get(key: string) {
      const value = objects.get(key);
      return value ? { key, size: value.length, arrayBuffer: async () => value.slice().buffer } : null;
    },
    async list({ prefix = "" }: { prefix?: string } = {}) {
      const keys = [...objects.keys()].filter((k) => k.startsWith(prefix));
      return { objects: keys.map((key) => ({ key })), truncated: false };
    },
    async delete(keys: string | string[]) {
      for (const key of Array.isArray(keys) ? keys : [keys]) objects.delete(key);
    },
  };
  const env = {
    FILES: files,
    TOKEN_SIGNING_KEY: "node-signing-key-0123456789abcdef0123456789",
    ACCESS_TOKEN_TTL_SECONDS: "900",
    ENVIRONMENT: "test",
    JOBS: jobs,
  } as unknown as AppBindings;
  const ctx: ServiceContext = { db, env, log: () => {}, defer: () => {} };

  await db.insert(schema.oauthClients).values({
    id: CLIENT_ID,
    name: "Node tests",
    secretHash: await sha256Hex(CLIENT_SECRET),
    createdAt: new Date().toISOString(),
  });

  return {
    db,
    ctx,
    sent,
    as: (userId) => ({ ...ctx, userId }),
    close() {
      client.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
