// Cross-cutting platform tables: stored files (bytes live in R2) and idempotency records.
import { index, integer, primaryKey, sqliteTable, text } from "drizzle-orm/sqlite-core";
import { id, timestamps } from "./columns";

export const files = sqliteTable(
  "files",
  {
    id: id(),
    organizationId: text("organization_id").notNull(),
    uploadedByUserId: text("uploaded_by_user_id"),
    type: text("type").notNull(),
    filename: text("filename").notNull(),
    contentType: text("content_type").notNull(),
    size: integer("size").notNull(),
    sha256: text("sha256").notNull(),
    storageKey: text("storage_key").notNull(),
    status: text("status", { enum: ["processing", "ready"] })
      .notNull()
      .default("ready"),
    ...timestamps,
  },
  (t) => [
    index("files_org_idx").on(t.organizationId, t.createdAt),
    // Finds an unstamped invoice uploaded again by its bytes.
    index("files_sha256_idx").on(t.sha256),
  ],
);

/**
 * Stored results of POSTs made with an Idempotency-Key. `scope` is the caller (user id), so two users
 * never collide. A row in state `in_progress` is the lock that turns a concurrent duplicate into 409.
 */
export const idempotencyKeys = sqliteTable(
  "idempotency_keys",
  {
    scope: text("scope").notNull(),
    key: text("key").notNull(),
    requestHash: text("request_hash").notNull(),
    state: text("state", { enum: ["in_progress", "completed"] }).notNull(),
    responseStatus: integer("response_status"),
    responseBody: text("response_body"),
    createdAt: text("created_at").notNull(),
    expiresAt: text("expires_at").notNull(),
  },
  (t) => [primaryKey({ columns: [t.scope, t.key] }), index("idempotency_expires_idx").on(t.expiresAt)],
);
