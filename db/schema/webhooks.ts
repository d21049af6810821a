/**
 * Outgoing webhooks (seed 003): an organization's subscriptions, and one delivery per (subscription,
 * event) that records every attempt. The signing secret is stored sealed (AES-GCM, see
 * workers/services/webhooks.ts) because it must be read back to sign; it is shown once, on create.
 */
import { index, integer, sqliteTable, text, uniqueIndex } from "drizzle-orm/sqlite-core";
import { id, timestamps } from "./columns";

export const webhookSubscriptions = sqliteTable(
  "webhook_subscriptions",
  {
    id: id(),
    organizationId: text("organization_id").notNull(),
    name: text("name").notNull(),
    url: text("url").notNull(),
    eventTypes: text("event_types", { mode: "json" }).$type<string[]>().notNull(),
    active: integer("active", { mode: "boolean" }).notNull().default(true),
    /** The last `invoice_events.offset` handed to delivery; the publisher continues after it. */
    lastPublishedOffset: integer("last_published_offset").notNull().default(0),
    secretIv: text("secret_iv").notNull(),
    secretCiphertext: text("secret_ciphertext").notNull(),
    createdByUserId: text("created_by_user_id"),
    ...timestamps,
  },
  (t) => [
    index("webhook_subscriptions_org_idx").on(t.organizationId, t.createdAt),
    index("webhook_subscriptions_active_idx").on(t.active, t.organizationId),
  ],
);

export const WEBHOOK_DELIVERY_STATUSES = ["pending", "delivered", "parked"] as const;

export const webhookDeliveries = sqliteTable(
  "webhook_deliveries",
  {
    id: id(),
    subscriptionId: text("subscription_id").notNull(),
    organizationId: text("organization_id").notNull(),
    eventId: text("event_id").notNull(),
    eventType: text("event_type").notNull(),
    eventOffset: integer("event_offset").notNull(),
    /** The exact JSON body sent on every attempt (only the signature's timestamp changes). */
    payload: text("payload").notNull(),
    status: text("status", { enum: WEBHOOK_DELIVERY_STATUSES }).notNull().default("pending"),
    attempts: integer("attempts").notNull().default(0),
    lastStatusCode: integer("last_status_code"),
    lastError: text("last_error"),
    lastAttemptAt: text("last_attempt_at"),
    /** When the next attempt is due; while one runs, the end of its lease. */
    nextAttemptAt: text("next_attempt_at").notNull(),
    deliveredAt: text("delivered_at"),
    parkedAt: text("parked_at"),
    ...timestamps,
  },
  (t) => [
    // Publishing an event twice (a retried publish job) must not deliver it twice.
    uniqueIndex("webhook_deliveries_event_uq").on(t.subscriptionId, t.eventId),
    index("webhook_deliveries_subscription_idx").on(t.subscriptionId, t.createdAt),
    index("webhook_deliveries_due_idx").on(t.status, t.nextAttemptAt),
  ],
);
