/**
 * Publishing and delivering outgoing webhooks. At-least-once, with the event's id as the key
 * receivers deduplicate by:
 * - publish: for each active subscription of an organization, the events after its
 *   `last_published_offset` (either side of the invoice is the organization) become one delivery row
 *   per matching event, in the same batch that advances the cursor; then one JOBS message per new
 *   delivery. A crash between the two leaves pending rows that the cron sweep enqueues again.
 * - deliver: a conditional update claims a due delivery (two copies of a message never post at once),
 *   the URL passes the SSRF policy again (DNS may have changed), the body is signed and posted. 2xx →
 *   delivered; anything else → retried with the delays of shared/webhooks/retry, then parked.
 */
import { and, asc, eq, gt, inArray, isNull, lt, lte, or } from "drizzle-orm";
import type { BatchItem } from "drizzle-orm/batch";
import { batchWrite, inChunks } from "../../db/client";
import { invoiceEvents, organizations, webhookDeliveries, webhookSubscriptions } from "../../db/schema";
import { checkUrl, refusalReason } from "../../shared/net/url-policy";
import { invoiceEventEnvelope, type WebhookEventType } from "../../shared/webhooks/events";
import { retryDelaySeconds, WEBHOOK_MAX_ATTEMPTS } from "../../shared/webhooks/retry";
import { EVENT_ID_HEADER, SIGNATURE_HEADER, signWebhook } from "../../shared/webhooks/signing";
import type { JobMessage } from "../env";
import { nowIso, type ServiceContext } from "./context";
import type { InvoiceEventType } from "./invoices";
import { type DeliveryRow, type SubscriptionRow, subscriptionSecret, webhookUrlPolicy } from "./webhooks";

const PUBLISH_PAGE = 100;
/** Pages per publish run; a longer backlog continues in a follow-up message. */
const PUBLISH_PAGES_PER_RUN = 10;
/** How long a claimed delivery is reserved for the attempt in progress. */
const CLAIM_LEASE_MS = 2 * 60_000;
/** A retried message may arrive a moment before the instant its delivery row says it is due. */
const CLOCK_SLACK_MS = 5_000;
const RECEIVER_TIMEOUT_MS = 10_000;
/** A pending delivery this far past due has lost its queue message (the sweep sends another). */
const LOST_AFTER_MS = 15 * 60_000;
const SWEEP_LIMIT = 500;
/** Cloudflare Queues' limit of messages per sendBatch. */
const SEND_BATCH_LIMIT = 100;

/** A job's request to be retried after a delay it chose (the consumer calls message.retry with it). */
export interface RetryLater {
  retryAfterSeconds: number;
}
export const isRetryLater = (result: unknown): result is RetryLater =>
  typeof result === "object" &&
  result !== null &&
  typeof (result as RetryLater).retryAfterSeconds === "number";

async function enqueue(ctx: ServiceContext, messages: JobMessage[]) {
  for (const chunk of inChunks(messages, SEND_BATCH_LIMIT)) {
    await ctx.env.JOBS.sendBatch(chunk.map((body) => ({ body })));
  }
}

/**
 * Asks for a publish run for the organizations whose events were just appended, after the response:
 * only those with an active subscription get a message. A failure here loses nothing (the cron
 * sweep publishes every hour), so it is logged, never thrown at the caller.
 */
export function requestWebhookPublish(ctx: ServiceContext, organizationIds: Array<string | null>) {
  const ids = [...new Set(organizationIds.filter((id): id is string => id !== null))];
  if (ids.length === 0) return;
  ctx.defer(
    (async () => {
      const rows = await ctx.db
        .selectDistinct({ organizationId: webhookSubscriptions.organizationId })
        .from(webhookSubscriptions)
        .where(and(eq(webhookSubscriptions.active, true), inArray(webhookSubscriptions.organizationId, ids)));
      await enqueue(
        ctx,
        rows.map((r) => ({ type: "webhooks.publish", organizationId: r.organizationId })),
      );
    })().catch((error) => ctx.log("warn", "webhook publish not requested", { error: String(error) })),
  );
}

export async function publishWebhooks(ctx: ServiceContext, organizationId: string) {
  const subscriptions = (
    await ctx.db
      .select({ subscription: webhookSubscriptions })
      .from(webhookSubscriptions)
      .innerJoin(organizations, eq(organizations.id, webhookSubscriptions.organizationId))
      .where(
        and(
          eq(webhookSubscriptions.organizationId, organizationId),
          eq(webhookSubscriptions.active, true),
          // A deleted organization publishes nothing more.
          isNull(organizations.deletedAt),
        ),
      )
  ).map((r) => r.subscription);
  let published = 0;
  let more = false;
  for (const subscription of subscriptions) {
    const run = await publishSubscription(ctx, subscription);
    published += run.published;
    more ||= run.more;
  }
  if (more) await enqueue(ctx, [{ type: "webhooks.publish", organizationId }]);
  return { subscriptions: subscriptions.length, published, more };
}

async function publishSubscription(ctx: ServiceContext, subscription: SubscriptionRow) {
  const org = subscription.organizationId;
  const wanted = new Set(subscription.eventTypes);
  let cursor = subscription.lastPublishedOffset;
  let published = 0;
  for (let page = 0; page < PUBLISH_PAGES_PER_RUN; page++) {
    const events = await ctx.db
      .select()
      .from(invoiceEvents)
      .where(
        and(
          or(eq(invoiceEvents.organizationId, org), eq(invoiceEvents.providerId, org)),
          gt(invoiceEvents.offset, cursor),
        ),
      )
      .orderBy(asc(invoiceEvents.offset))
      .limit(PUBLISH_PAGE);
    if (events.length === 0) return { published, more: false };
    const last = events[events.length - 1]!.offset;
    const now = nowIso();
    const rows: DeliveryRow[] = events
      .filter((event) => wanted.has(event.type as InvoiceEventType satisfies WebhookEventType))
      .map((event) => ({
        id: crypto.randomUUID(),
        subscriptionId: subscription.id,
        organizationId: org,
        eventId: event.id,
        eventType: event.type,
        eventOffset: event.offset,
        payload: JSON.stringify(invoiceEventEnvelope(org, event)),
        status: "pending",
        attempts: 0,
        lastStatusCode: null,
        lastError: null,
        lastAttemptAt: null,
        nextAttemptAt: now,
        deliveredAt: null,
        parkedAt: null,
        createdAt: now,
        updatedAt: now,
      }));
    await batchWrite(ctx.db, [
      // A delivery another run already made for this event stays the only one.
      ...rows.map(
        (row) =>
          ctx.db
            .insert(webhookDeliveries)
            .values(row)
            .onConflictDoNothing() as unknown as BatchItem<"sqlite">,
      ),
      // The cursor only moves forward, even when a slower concurrent run finishes last.
      ctx.db
        .update(webhookSubscriptions)
        .set({ lastPublishedOffset: last })
        .where(
          and(
            eq(webhookSubscriptions.id, subscription.id),
            lt(webhookSubscriptions.lastPublishedOffset, last),
          ),
        ) as unknown as BatchItem<"sqlite">,
    ]);
    // Rows that kept the id this run gave them are the ones it inserted: only those are enqueued here.
    const inserted = [];
    for (const chunk of inChunks(rows.map((r) => r.id))) {
      inserted.push(
        ...(await ctx.db
          .select({ id: webhookDeliveries.id })
          .from(webhookDeliveries)
          .where(inArray(webhookDeliveries.id, chunk))),
      );
    }
    await enqueue(
      ctx,
      inserted.map((r) => ({ type: "webhooks.deliver", deliveryId: r.id })),
    );
    published += inserted.length;
    cursor = last;
    if (events.length < PUBLISH_PAGE) return { published, more: false };
  }
  return { published, more: true };
}

export type DeliveryOutcome = "skipped" | "inactive" | "delivered" | "parked" | RetryLater;

const later = (from: Date, ms: number) => new Date(from.getTime() + ms).toISOString();

/** One attempt at a delivery, if it is pending and due. */
export async function deliverWebhook(ctx: ServiceContext, deliveryId: string): Promise<DeliveryOutcome> {
  const now = new Date();
  const [delivery] = await ctx.db
    .update(webhookDeliveries)
    .set({ nextAttemptAt: later(now, CLAIM_LEASE_MS), updatedAt: now.toISOString() })
    .where(
      and(
        eq(webhookDeliveries.id, deliveryId),
        eq(webhookDeliveries.status, "pending"),
        lte(webhookDeliveries.nextAttemptAt, later(now, CLOCK_SLACK_MS)),
      ),
    )
    .returning();
  // Delivered, parked, deleted, or another copy of the message holds it: nothing to do.
  if (!delivery) return "skipped";
  const [subscription] = await ctx.db
    .select()
    .from(webhookSubscriptions)
    .where(eq(webhookSubscriptions.id, delivery.subscriptionId))
    .limit(1);
  if (!subscription) return "skipped";
  if (!subscription.active) {
    // Kept pending: reactivating the subscription lets the sweep send it.
    await ctx.db
      .update(webhookDeliveries)
      .set({ nextAttemptAt: now.toISOString() })
      .where(eq(webhookDeliveries.id, delivery.id));
    return "inactive";
  }

  let failure: { statusCode: number | null; error: string };
  try {
    await checkUrl(subscription.url, webhookUrlPolicy(ctx.env));
  } catch (error) {
    const reason = refusalReason(error);
    if (reason === null) throw error;
    // A resolver outage is worth retrying; a URL that now points somewhere private is not.
    if (reason !== "resolver_failed") {
      return park(ctx, delivery, { statusCode: null, error: `url_refused: ${reason}` });
    }
    return failed(ctx, delivery, { statusCode: null, error: `url_refused: ${reason}` });
  }
  try {
    const secret = await subscriptionSecret(ctx, subscription);
    const timestamp = Math.floor(Date.now() / 1000);
    const res = await fetch(subscription.url, {
      method: "POST",
      // Following a redirect would reach a host the policy never saw.
      redirect: "manual",
      signal: AbortSignal.timeout(RECEIVER_TIMEOUT_MS),
      headers: {
        "content-type": "application/json",
        "user-agent": "Timbre-Webhooks/1.0",
        [SIGNATURE_HEADER]: await signWebhook(secret, delivery.payload, timestamp),
        [EVENT_ID_HEADER]: delivery.eventId,
      },
      body: delivery.payload,
    });
    await res.body?.cancel();
    if (res.status >= 200 && res.status < 300) {
      const at = nowIso();
      await ctx.db
        .update(webhookDeliveries)
        .set({
          status: "delivered",
          attempts: delivery.attempts + 1,
          lastStatusCode: res.status,
          lastError: null,
          lastAttemptAt: at,
          deliveredAt: at,
          updatedAt: at,
        })
        .where(eq(webhookDeliveries.id, delivery.id));
      return "delivered";
    }
    failure = { statusCode: res.status, error: `receiver answered ${res.status}` };
  } catch (error) {
    failure = { statusCode: null, error: String(error).slice(0, 500) };
  }
  return failed(ctx, delivery, failure);
}

type Failure = { statusCode: number | null; error: string };

async function failed(
  ctx: ServiceContext,
  delivery: DeliveryRow,
  failure: Failure,
): Promise<DeliveryOutcome> {
  const attempts = delivery.attempts + 1;
  if (attempts >= WEBHOOK_MAX_ATTEMPTS) return park(ctx, delivery, failure);
  const delay = retryDelaySeconds(attempts);
  const now = new Date();
  await ctx.db
    .update(webhookDeliveries)
    .set({
      attempts,
      lastStatusCode: failure.statusCode,
      lastError: failure.error,
      lastAttemptAt: now.toISOString(),
      nextAttemptAt: later(now, delay * 1000),
      updatedAt: now.toISOString(),
    })
    .where(eq(webhookDeliveries.id, delivery.id));
  return { retryAfterSeconds: delay };
}

async function park(ctx: ServiceContext, delivery: DeliveryRow, failure: Failure): Promise<"parked"> {
  const at = nowIso();
  await ctx.db
    .update(webhookDeliveries)
    .set({
      status: "parked",
      attempts: delivery.attempts + 1,
      lastStatusCode: failure.statusCode,
      lastError: failure.error,
      lastAttemptAt: at,
      parkedAt: at,
      updatedAt: at,
    })
    .where(eq(webhookDeliveries.id, delivery.id));
  return "parked";
}

/** A delivery whose message reached the dead-letter queue (its handler kept throwing) is parked. */
export async function parkDeadLetter(ctx: ServiceContext, deliveryId: string) {
  const at = nowIso();
  const parked = await ctx.db
    .update(webhookDeliveries)
    .set({ status: "parked", lastError: "dead-lettered by the queue", parkedAt: at, updatedAt: at })
    .where(and(eq(webhookDeliveries.id, deliveryId), eq(webhookDeliveries.status, "pending")))
    .returning({ id: webhookDeliveries.id });
  return parked.length > 0 ? "parked" : "skipped";
}

/**
 * The cron's safety net: a publish run for every organization with an active subscription, and a new
 * message for pending deliveries of active subscriptions whose message was lost.
 */
export async function sweepWebhooks(ctx: ServiceContext, now = new Date()) {
  const publishers = await ctx.db
    .selectDistinct({ organizationId: webhookSubscriptions.organizationId })
    .from(webhookSubscriptions)
    .innerJoin(organizations, eq(organizations.id, webhookSubscriptions.organizationId))
    .where(and(eq(webhookSubscriptions.active, true), isNull(organizations.deletedAt)));
  const lost = await ctx.db
    .select({ id: webhookDeliveries.id })
    .from(webhookDeliveries)
    .innerJoin(webhookSubscriptions, eq(webhookSubscriptions.id, webhookDeliveries.subscriptionId))
    .where(
      and(
        eq(webhookDeliveries.status, "pending"),
        lt(webhookDeliveries.nextAttemptAt, later(now, -LOST_AFTER_MS)),
        eq(webhookSubscriptions.active, true),
      ),
    )
    .orderBy(asc(webhookDeliveries.nextAttemptAt))
    .limit(SWEEP_LIMIT);
  await enqueue(ctx, [
    ...publishers.map((o): JobMessage => ({ type: "webhooks.publish", organizationId: o.organizationId })),
    ...lost.map((d): JobMessage => ({ type: "webhooks.deliver", deliveryId: d.id })),
  ]);
  return { organizations: publishers.length, requeued: lost.length };
}
