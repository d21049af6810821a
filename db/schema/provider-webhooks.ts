/**
 * Webhook events received from stamping providers (Facturapi), one row per provider event id: the
 * row is the deduplication (a redelivered event finds it) and the queue job's input.
 */
import { integer, primaryKey, sqliteTable, text } from "drizzle-orm/sqlite-core";

export const providerWebhookEvents = sqliteTable(
  "provider_webhook_events",
  {
    provider: text("provider").notNull(),
    /** The provider's event id. */
    eventId: text("event_id").notNull(),
    type: text("type").notNull(),
    /** The part of the event the job reads (the object's id and states), as received. */
    data: text("data", { mode: "json" }).$type<Record<string, unknown>>().notNull(),
    /** Whether the provider's live or test environment sent it. */
    livemode: integer("livemode", { mode: "boolean" }),
    receivedAt: text("received_at").notNull(),
    /** Set once the job is on the queue; a redelivery of an event never enqueued enqueues it. */
    enqueuedAt: text("enqueued_at"),
    processedAt: text("processed_at"),
    /** What the job did: `updated`, `unchanged`, `invoice_not_found`, `ignored`. */
    outcome: text("outcome"),
  },
  (t) => [primaryKey({ columns: [t.provider, t.eventId] })],
);
