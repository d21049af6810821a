/**
 * The Stripe events Timbre acts on, read out of a verified event body into the small record the
 * `stripe.event` job needs (stored with the event, so the job never asks Stripe again). Amounts stay
 * integer minor units (centavos) here; they become decimal text only at the ledger's edge.
 * Checkout sessions Timbre creates carry `metadata.organization_id` and `metadata.purpose`;
 * subscriptions carry `metadata.organization_id` (and are found by customer otherwise).
 */
import { z } from "zod";

export const CHECKOUT_PURPOSES = ["balance_top_up", "subscription", "payment_method"] as const;
export type CheckoutPurpose = (typeof CHECKOUT_PURPOSES)[number];

export const HANDLED_STRIPE_EVENTS = [
  "checkout.session.completed",
  "checkout.session.async_payment_succeeded",
  "customer.subscription.created",
  "customer.subscription.updated",
  "customer.subscription.deleted",
  "invoice.payment_failed",
] as const;

const Metadata = z.record(z.string(), z.string()).nullish();
const Id = z.string().min(1).max(255);
const Expandable = z.union([Id, z.object({ id: Id }).passthrough()]).nullish();
const idOf = (value: z.infer<typeof Expandable>) =>
  value == null ? null : typeof value === "string" ? value : value.id;

const Price = z.object({ id: Id, lookup_key: z.string().nullish(), metadata: Metadata }).passthrough();

const Envelope = z.object({
  id: Id,
  type: z.string().min(1).max(200),
  created: z.number().int().nonnegative(),
  livemode: z.boolean().optional(),
  data: z.object({ object: z.record(z.string(), z.unknown()) }),
});

const CheckoutSession = z
  .object({
    id: Id,
    mode: z.string().nullish(),
    payment_status: z.string().nullish(),
    status: z.string().nullish(),
    amount_total: z.number().int().nonnegative().nullish(),
    currency: z.string().nullish(),
    customer: Expandable,
    subscription: Expandable,
    metadata: Metadata,
  })
  .passthrough();

const Subscription = z
  .object({
    id: Id,
    status: z.string(),
    customer: Expandable,
    cancel_at_period_end: z.boolean().nullish(),
    current_period_end: z.number().int().nullish(),
    trial_end: z.number().int().nullish(),
    metadata: Metadata,
    items: z
      .object({
        data: z.array(
          z.object({ price: Price, current_period_end: z.number().int().nullish() }).passthrough(),
        ),
      })
      .passthrough()
      .nullish(),
  })
  .passthrough();

const Invoice = z
  .object({
    id: Id,
    customer: Expandable,
    amount_due: z.number().int().nullish(),
    currency: z.string().nullish(),
    attempt_count: z.number().int().nullish(),
    hosted_invoice_url: z.string().nullish(),
    subscription: Expandable,
    parent: z
      .object({ subscription_details: z.object({ subscription: Expandable }).passthrough().nullish() })
      .passthrough()
      .nullish(),
  })
  .passthrough();

export interface CheckoutEventData {
  kind: "checkout";
  sessionId: string;
  organizationId: string | null;
  purpose: string | null;
  paymentStatus: string | null;
  /** Minor units (centavos for MXN). */
  amountTotal: number | null;
  currency: string | null;
  customerId: string | null;
  subscriptionId: string | null;
}

export interface SubscriptionSnapshot {
  subscriptionId: string;
  customerId: string | null;
  organizationId: string | null;
  status: string;
  deleted: boolean;
  price: z.infer<typeof Price> | null;
  cancelAtPeriodEnd: boolean;
  /** Unix seconds. */
  currentPeriodEnd: number | null;
  trialEnd: number | null;
}

export interface SubscriptionEventData extends SubscriptionSnapshot {
  kind: "subscription";
}

export interface PaymentFailedEventData {
  kind: "payment_failed";
  invoiceId: string;
  customerId: string | null;
  subscriptionId: string | null;
  amountDue: number | null;
  currency: string | null;
  attemptCount: number | null;
  hostedInvoiceUrl: string | null;
}

export type StripeEventData = CheckoutEventData | SubscriptionEventData | PaymentFailedEventData;

export interface ParsedStripeEvent {
  id: string;
  type: string;
  /** Unix seconds: orders a subscription's events, which Stripe may deliver out of order. */
  created: number;
  livemode: boolean | null;
  /** Null for the event types Timbre does not act on. */
  data: StripeEventData | null;
}

/** A subscription object (from an event or an API answer) as Timbre keeps it. */
export function subscriptionSnapshot(object: unknown, deleted = false): SubscriptionSnapshot {
  const s = Subscription.parse(object);
  const item = s.items?.data[0];
  return {
    subscriptionId: s.id,
    customerId: idOf(s.customer),
    organizationId: s.metadata?.organization_id ?? null,
    status: s.status,
    deleted,
    price: item?.price ?? null,
    cancelAtPeriodEnd: s.cancel_at_period_end ?? false,
    // Since API version 2025-03-31 the period lives on the items.
    currentPeriodEnd: item?.current_period_end ?? s.current_period_end ?? null,
    trialEnd: s.trial_end ?? null,
  };
}

/** Reads a verified event body; throws (a ZodError or SyntaxError) when it is not a Stripe event. */
export function parseStripeEvent(body: string): ParsedStripeEvent {
  const event = Envelope.parse(JSON.parse(body));
  const object = event.data.object;
  const base = { id: event.id, type: event.type, created: event.created, livemode: event.livemode ?? null };
  switch (event.type) {
    case "checkout.session.completed":
    case "checkout.session.async_payment_succeeded": {
      const s = CheckoutSession.parse(object);
      return {
        ...base,
        data: {
          kind: "checkout",
          sessionId: s.id,
          organizationId: s.metadata?.organization_id ?? null,
          purpose: s.metadata?.purpose ?? null,
          paymentStatus: s.payment_status ?? null,
          amountTotal: s.amount_total ?? null,
          currency: s.currency ?? null,
          customerId: idOf(s.customer),
          subscriptionId: idOf(s.subscription),
        },
      };
    }
    case "customer.subscription.created":
    case "customer.subscription.updated":
    case "customer.subscription.deleted":
      return {
        ...base,
        data: {
          kind: "subscription",
          ...subscriptionSnapshot(object, event.type === "customer.subscription.deleted"),
        },
      };
    case "invoice.payment_failed": {
      const i = Invoice.parse(object);
      return {
        ...base,
        data: {
          kind: "payment_failed",
          invoiceId: i.id,
          customerId: idOf(i.customer),
          subscriptionId: idOf(i.parent?.subscription_details?.subscription) ?? idOf(i.subscription),
          amountDue: i.amount_due ?? null,
          currency: i.currency ?? null,
          attemptCount: i.attempt_count ?? null,
          hostedInvoiceUrl: i.hosted_invoice_url ?? null,
        },
      };
    }
    default:
      return { ...base, data: null };
  }
}
