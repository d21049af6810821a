// Plans from Stripe prices and subscription states, and the Stripe events read into job data.
import { describe, expect, it } from "vitest";
import { NO_PLAN, PLANS, planForSubscription, planOfPrice } from "../../../shared/billing/plans";
import { parseStripeEvent } from "../../../shared/billing/stripe-events";

describe("plans", () => {
  it("reads price metadata first, then the lookup key, else no plan", () => {
    expect(
      planOfPrice({
        id: "price_1",
        metadata: { included_stamps: "250", stamp_unit_price: "0.9" },
        lookup_key: "x",
      }),
    ).toEqual({ key: "x", includedStamps: 250, stampUnitPrice: "0.90" });
    expect(planOfPrice({ id: "price_2", lookup_key: "timbre_business_monthly" })).toEqual(
      PLANS.timbre_business_monthly,
    );
    expect(
      planOfPrice({ id: "price_3", metadata: { included_stamps: "-1", stamp_unit_price: "1" } }),
    ).toBeNull();
    expect(planOfPrice({ id: "price_4", lookup_key: "unknown" })).toBeNull();
  });

  it("entitles while trialing, active or past due; anything else or deleted is no plan", () => {
    const price = { id: "p", lookup_key: "timbre_standard_monthly" };
    for (const status of ["trialing", "active", "past_due"]) {
      expect(planForSubscription(status, price)).toEqual(PLANS.timbre_standard_monthly);
    }
    for (const status of ["canceled", "unpaid", "incomplete", "incomplete_expired", "paused"]) {
      expect(planForSubscription(status, price)).toEqual(NO_PLAN);
    }
    expect(planForSubscription("active", price, true)).toEqual(NO_PLAN);
  });
});

describe("parseStripeEvent", () => {
  const envelope = (type: string, object: Record<string, unknown>) =>
    JSON.stringify({
      id: "evt_1",
      object: "event",
      type,
      created: 1_800_000_000,
      livemode: false,
      data: { object },
    });

  it("reads a paid checkout with integer minor units", () => {
    const parsed = parseStripeEvent(
      envelope("checkout.session.completed", {
        id: "cs_1",
        payment_status: "paid",
        amount_total: 12_345,
        currency: "mxn",
        customer: "cus_1",
        metadata: { organization_id: "org", purpose: "balance_top_up" },
      }),
    );
    expect(parsed.data).toMatchObject({
      kind: "checkout",
      sessionId: "cs_1",
      amountTotal: 12_345,
      organizationId: "org",
      purpose: "balance_top_up",
      customerId: "cus_1",
    });
  });

  it("reads a subscription's period from its item (API 2025-03-31 and later) and an invoice's subscription from its parent", () => {
    const sub = parseStripeEvent(
      envelope("customer.subscription.deleted", {
        id: "sub_1",
        status: "canceled",
        customer: { id: "cus_1" },
        items: { data: [{ price: { id: "price_1", lookup_key: "k" }, current_period_end: 1_800_100_000 }] },
      }),
    );
    expect(sub.data).toMatchObject({ kind: "subscription", deleted: true, currentPeriodEnd: 1_800_100_000 });
    const invoice = parseStripeEvent(
      envelope("invoice.payment_failed", {
        id: "in_1",
        customer: "cus_1",
        amount_due: 49_900,
        parent: { subscription_details: { subscription: "sub_1" } },
      }),
    );
    expect(invoice.data).toMatchObject({
      kind: "payment_failed",
      subscriptionId: "sub_1",
      amountDue: 49_900,
    });
  });

  it("leaves other types without data and refuses what is not an event", () => {
    expect(parseStripeEvent(envelope("charge.refunded", { id: "ch_1" })).data).toBeNull();
    expect(() => parseStripeEvent("[]")).toThrow();
    expect(() => parseStripeEvent(envelope("checkout.session.completed", { amount_total: 1.5 }))).toThrow();
  });
});
