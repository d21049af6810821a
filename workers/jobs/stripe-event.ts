/**
 * The `stripe.event` job: applies one stored Stripe event (workers/services/stripe-webhooks.ts).
 * Idempotent: a redelivered message finds the event processed, and each effect is keyed (the ledger
 * credit by the checkout session, notifications by their source).
 */
import type { ServiceContext } from "../services/context";
import { applyStripeEvent } from "../services/stripe-webhooks";

export async function runStripeEvent(ctx: ServiceContext, eventId: string) {
  return { eventId, outcome: await applyStripeEvent(ctx, eventId) };
}
