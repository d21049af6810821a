/**
 * Stripe's webhooks: receiving them (fast, no effect unless authentic) and applying them (the
 * `stripe.event` job).
 *
 * Receiving (`receiveStripeWebhook`):
 * 1. `Stripe-Signature` must sign the raw body under STRIPE_WEBHOOK_SECRET within 300 s
 *    (shared/billing/stripe-signature.ts) → else 400 `stripe_signature_invalid` and nothing stored;
 * 2. the event is stored once per event id in provider_webhook_events (provider 'stripe') with the
 *    part the job reads (shared/billing/stripe-events.ts), and a `stripe.event` job is enqueued unless
 *    an earlier delivery did. A redelivery answers `duplicate: true` and changes nothing.
 *
 * Applying (`applyStripeEvent`), at least once and idempotent at every step:
 * - `checkout.session.completed` / `checkout.session.async_payment_succeeded` of a session Timbre
 *   created for a balance top-up, paid: credits `amount_total` centavos as MXN to the organization's
 *   OrgLedger under the idempotency key of the session id (a second credit of that session is the
 *   same entry), then notifies the organization (keyed by the ledger entry: one notification);
 * - `customer.subscription.*`: mirrors the subscription and writes the effective plan to the ledger
 *   (workers/services/billing.ts `recordSubscription`);
 * - `invoice.payment_failed`: notifies the organization, once per event.
 * A failure throws, so the queue retries; the event is marked processed only after its effect.
 */
import { and, eq, isNull } from "drizzle-orm";
import { providerWebhookEvents } from "../../db/schema";
import { paymentFailedNotification } from "../../shared/billing/notifications";
import {
  HANDLED_STRIPE_EVENTS,
  type ParsedStripeEvent,
  parseStripeEvent,
  type StripeEventData,
} from "../../shared/billing/stripe-events";
import { verifyStripeSignature } from "../../shared/billing/stripe-signature";
import { badRequest } from "../../shared/errors";
import { formatMxn } from "../../shared/ledger/money";
import { balanceCreditedNotification } from "../../shared/notifications/notifications";
import { checkoutSessionRow, organizationOfCustomer, recordSubscription } from "./billing";
import { nowIso, type ServiceContext } from "./context";
import { ledgerCall } from "./ledger";
import { notifyOrganization } from "./notifications";

const PROVIDER = "stripe";

export interface StripeWebhookReceipt {
  eventId: string;
  duplicate: boolean;
}

/** What the job reads: the event's Timbre data and its Stripe time. */
interface StoredStripeEvent {
  created: number;
  event: StripeEventData;
}

export async function receiveStripeWebhook(
  ctx: ServiceContext,
  body: Uint8Array,
  signature: string | undefined,
): Promise<StripeWebhookReceipt> {
  const secret = ctx.env.STRIPE_WEBHOOK_SECRET?.trim();
  if (!secret) {
    throw badRequest(
      "stripe_webhook_not_configured",
      "Stripe webhooks are not configured (no STRIPE_WEBHOOK_SECRET)",
    );
  }
  const check = await verifyStripeSignature(body, signature, secret);
  if (!check.ok) {
    throw badRequest(
      "stripe_signature_invalid",
      check.reason === "stale"
        ? "The Stripe-Signature timestamp is outside the 300 s tolerance"
        : "The Stripe-Signature header does not sign this body",
      { reason: check.reason },
    );
  }
  let parsed: ParsedStripeEvent;
  try {
    parsed = parseStripeEvent(new TextDecoder().decode(body));
  } catch {
    throw badRequest("invalid_request_body", "The webhook body is not a Stripe event Timbre can read");
  }
  const handled = parsed.data !== null && (HANDLED_STRIPE_EVENTS as readonly string[]).includes(parsed.type);
  const now = nowIso();
  const stored: StoredStripeEvent | Record<string, never> = parsed.data
    ? { created: parsed.created, event: parsed.data }
    : {};
  const inserted = await ctx.db
    .insert(providerWebhookEvents)
    .values({
      provider: PROVIDER,
      eventId: parsed.id,
      type: parsed.type,
      data: stored as unknown as Record<string, unknown>,
      livemode: parsed.livemode,
      receivedAt: now,
      // Events nobody handles are recorded as seen, never queued.
      ...(!handled && { processedAt: now, outcome: "ignored" }),
    })
    .onConflictDoNothing()
    .returning({ eventId: providerWebhookEvents.eventId });
  if (handled) {
    const key = eventKey(parsed.id);
    const [row] = await ctx.db
      .select({ enqueuedAt: providerWebhookEvents.enqueuedAt })
      .from(providerWebhookEvents)
      .where(key)
      .limit(1);
    // A delivery whose enqueue failed left the row without enqueuedAt: the redelivery enqueues it.
    if (row && !row.enqueuedAt) {
      await ctx.env.JOBS.send({ type: "stripe.event", eventId: parsed.id });
      await ctx.db.update(providerWebhookEvents).set({ enqueuedAt: nowIso() }).where(key);
    }
  }
  return { eventId: parsed.id, duplicate: inserted.length === 0 };
}

const eventKey = (eventId: string) =>
  and(eq(providerWebhookEvents.provider, PROVIDER), eq(providerWebhookEvents.eventId, eventId));

export type StripeApplyOutcome =
  | "credited"
  | "awaiting_payment"
  | "not_a_top_up"
  | "unknown_session"
  | "unexpected_amount"
  | "subscription_recorded"
  | "unknown_customer"
  | "notified"
  | "ignored"
  | "already_processed";

export async function applyStripeEvent(ctx: ServiceContext, eventId: string): Promise<StripeApplyOutcome> {
  const key = eventKey(eventId);
  const [row] = await ctx.db.select().from(providerWebhookEvents).where(key).limit(1);
  if (!row) {
    ctx.log("warn", "stripe webhook: no stored event", { eventId });
    return "ignored";
  }
  if (row.processedAt) return "already_processed";
  const stored = row.data as unknown as StoredStripeEvent;
  const outcome = await apply(ctx, eventId, stored);
  await ctx.db
    .update(providerWebhookEvents)
    .set({ processedAt: nowIso(), outcome })
    .where(and(key, isNull(providerWebhookEvents.processedAt)));
  return outcome;
}

async function apply(
  ctx: ServiceContext,
  eventId: string,
  stored: StoredStripeEvent,
): Promise<StripeApplyOutcome> {
  const event = stored.event;
  switch (event.kind) {
    case "checkout": {
      if (event.purpose !== "balance_top_up") return "not_a_top_up";
      if (event.paymentStatus !== "paid") return "awaiting_payment";
      // Only sessions of the organization they name ever credit: one Timbre recorded for it, or (had
      // that record been lost after Stripe created the session) one paid by that organization's customer.
      const session = await checkoutSessionRow(ctx, event.sessionId);
      const owner = session
        ? session.purpose === "balance_top_up"
          ? session.organizationId
          : null
        : await organizationOfCustomer(ctx, event.customerId);
      if (!owner || owner !== event.organizationId) {
        ctx.log("warn", "stripe webhook: checkout session of no known organization", {
          eventId,
          sessionId: event.sessionId,
        });
        return "unknown_session";
      }
      if (event.currency?.toLowerCase() !== "mxn" || !event.amountTotal) {
        // Timbre only creates MXN top-ups; retrying would not change this, so it is kept for a person.
        ctx.log("error", "stripe webhook: top-up paid in an unexpected amount", {
          eventId,
          sessionId: event.sessionId,
          currency: event.currency,
          amountTotal: event.amountTotal,
        });
        return "unexpected_amount";
      }
      const amountTotal = event.amountTotal;
      const organizationId = owner;
      const entry = await ledgerCall(ctx.env, organizationId, (l) =>
        l.credit({
          amount: formatMxn(amountTotal),
          idempotencyKey: `stripe-checkout:${event.sessionId}`,
          reference: `stripe:${event.sessionId}`,
        }),
      );
      const balance = await ledgerCall(ctx.env, organizationId, async (l) => ({
        ok: true,
        value: await l.balance(),
      }));
      await notifyOrganization(
        ctx.env,
        organizationId,
        balanceCreditedNotification({
          entryId: entry.id,
          amount: entry.amount,
          balanceAmount: balance.balanceAmount,
        }),
      );
      return "credited";
    }
    case "subscription": {
      // The customer Timbre created names the organization; metadata alone is not trusted for it.
      const organizationId = await organizationOfCustomer(ctx, event.customerId);
      if (!organizationId) {
        ctx.log("warn", "stripe webhook: subscription of an unknown customer", {
          eventId,
          customerId: event.customerId,
        });
        return "unknown_customer";
      }
      await recordSubscription(ctx, organizationId, event, stored.created);
      return "subscription_recorded";
    }
    case "payment_failed": {
      const organizationId = await organizationOfCustomer(ctx, event.customerId);
      if (!organizationId) return "unknown_customer";
      await notifyOrganization(ctx.env, organizationId, paymentFailedNotification(eventId, event));
      return "notified";
    }
  }
}
