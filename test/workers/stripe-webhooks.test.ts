/**
 * POST /v1/webhooks/stripe and its `stripe.event` job, against the Stripe fake (test/fakes/stripe.ts):
 * a bad, stale or missing signature is 400 and stores nothing; a paid top-up checkout delivered five
 * times is stored and queued once, and its job run five times credits the balance once, by
 * amount_total / 100, with one notification; subscription events set the plan's included stamps on
 * the ledger (newest Stripe time wins); `invoice.payment_failed` notifies the organization.
 */
import { createExecutionContext, createMessageBatch, getQueueResult } from "cloudflare:test";
import { env, exports } from "cloudflare:workers";
import { and, eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { billingCheckoutSessions, providerWebhookEvents } from "../../db/schema";
import { signStripePayload } from "../../shared/billing/stripe-signature";
import type { JobMessage } from "../../workers/env";
import worker from "../../workers/index";
import { notificationsStub } from "../../workers/services/notifications";
import { FakeStripe, STANDARD_PRICE } from "../fakes/stripe";
import { BASE, call, createOrg, db, signUp } from "./harness";

const API_KEY = "sk_test_TimbreFakeStripe0123456789";
const fake = new FakeStripe({ apiKey: API_KEY });
const FAKE_ORIGIN = new URL(env.STRIPE_API_BASE!).origin;

beforeAll(() => {
  env.STRIPE_SECRET_KEY = API_KEY;
  const realFetch = globalThis.fetch;
  vi.spyOn(globalThis, "fetch").mockImplementation(async (input, init) => {
    const request = new Request(input, init);
    return new URL(request.url).origin === FAKE_ORIGIN ? fake.fetch(request) : realFetch(input, init);
  });
});
afterAll(() => {
  env.STRIPE_SECRET_KEY = "";
  vi.restoreAllMocks();
});

const owner = await signUp("stripe-webhooks");
const org = await createOrg(owner);

/** Posts the exact bytes, signed now with the endpoint's secret unless told otherwise. */
async function post(body: string, signature?: string | null) {
  const headers: Record<string, string> = { "content-type": "application/json" };
  const value =
    signature === undefined
      ? await signStripePayload(env.STRIPE_WEBHOOK_SECRET!, body, Math.floor(Date.now() / 1000))
      : signature;
  if (value !== null) headers["stripe-signature"] = value;
  const res = await exports.default.fetch(
    new Request(`${BASE}/v1/webhooks/stripe`, { method: "POST", headers, body }),
  );
  const text = await res.text();
  return { status: res.status, json: text ? JSON.parse(text) : undefined };
}

async function runJobs(eventIds: string[]) {
  const batch = createMessageBatch<JobMessage>(
    "timbre-jobs",
    eventIds.map((eventId, i) => ({
      id: `m${i}`,
      timestamp: new Date(),
      attempts: 1,
      body: { type: "stripe.event", eventId },
    })),
  );
  const exec = createExecutionContext();
  await worker.queue(batch, env, exec);
  return getQueueResult(batch, exec);
}

const stored = (eventId: string) =>
  db()
    .select()
    .from(providerWebhookEvents)
    .where(and(eq(providerWebhookEvents.provider, "stripe"), eq(providerWebhookEvents.eventId, eventId)));
/** The balance in centavos (the API answers MXN as a number). */
const balance = async (orgId = org.id) =>
  Math.round(
    (await call("GET", `/v1/balance?organization_id=${orgId}`, { token: owner.token })).json.balanceAmount *
      100,
  );
const stampPlan = async (orgId = org.id) => {
  const res = await call("GET", `/v1/consumables?organization_id=${orgId}`, { token: owner.token });
  return (res.json as Array<{ consumableKey: string; includedUnits: number; unitPrice: unknown }>).find(
    (c) => c.consumableKey === "stamp",
  );
};
const notifications = async (orgId = org.id) =>
  (await notificationsStub(env, orgId).list(owner.id, { page: 1, limit: 100 })).data as Array<{
    type: string;
    data: Record<string, unknown>;
  }>;

/** A top-up checkout created through the API and paid in the fake: Stripe's completed session object. */
async function paidTopUp(amount: string) {
  const res = await call(
    "POST",
    `/v1/billing/checkout-sessions/payment?organization_id=${org.id}&success_path=/saldo&amount=${amount}`,
    { token: owner.token },
  );
  expect(res.status, res.text).toBe(201);
  return fake.completeCheckout(res.json.sessionId);
}

describe("POST /v1/webhooks/stripe: the signature", () => {
  it("refuses a missing, malformed, wrong, tampered or stale signature with 400, storing and enqueuing nothing", async () => {
    const sends = vi.spyOn(env.JOBS, "send");
    const body = JSON.stringify(
      fake.event("checkout.session.completed", { id: "cs_forged" }, { id: "evt_forged" }),
    );
    const now = Math.floor(Date.now() / 1000);
    const cases: Array<[string | null, string]> = [
      [null, "missing"],
      ["", "missing"],
      ["t=abc,v1=00", "malformed"],
      [await signStripePayload("whsec_someone_else", body, now), "mismatch"],
      [await signStripePayload(env.STRIPE_WEBHOOK_SECRET!, `${body} `, now), "mismatch"],
      [await signStripePayload(env.STRIPE_WEBHOOK_SECRET!, body, now - 301), "stale"],
      [await signStripePayload(env.STRIPE_WEBHOOK_SECRET!, body, now + 301), "stale"],
    ];
    for (const [signature, reason] of cases) {
      const res = await post(body, signature);
      expect(res.status, String(signature)).toBe(400);
      expect(res.json.error).toBe("stripe_signature_invalid");
      expect(res.json.details.reason).toBe(reason);
    }
    expect(await stored("evt_forged")).toHaveLength(0);
    expect(sends).not.toHaveBeenCalled();
    sends.mockRestore();
  });

  it("answers a signed body that is not a Stripe event with 400, and other event types with 2xx and no job", async () => {
    expect((await post("[1,2]")).json.error).toBe("invalid_request_body");
    const sends = vi.spyOn(env.JOBS, "send");
    const res = await post(
      JSON.stringify(fake.event("charge.refunded", { id: "ch_1" }, { id: "evt_refund" })),
    );
    expect(res.status).toBe(200);
    expect(sends).not.toHaveBeenCalled();
    sends.mockRestore();
    expect((await stored("evt_refund"))[0]).toMatchObject({ outcome: "ignored" });
  });
});

describe("a paid balance top-up", () => {
  it("delivered five times is stored and queued once, and five job runs credit amount_total / 100 once", async () => {
    const before = await balance();
    const session = await paidTopUp("1234.56");
    expect(session).toMatchObject({ amount_total: 123_456, payment_status: "paid" });
    const body = JSON.stringify(fake.event("checkout.session.completed", session));
    const eventId = JSON.parse(body).id as string;
    const sends = vi.spyOn(env.JOBS, "send");
    const answers = [];
    for (let i = 0; i < 5; i++) answers.push(await post(body));
    expect(answers.map((a) => a.status)).toEqual([200, 200, 200, 200, 200]);
    expect(answers.map((a) => a.json.duplicate)).toEqual([false, true, true, true, true]);
    expect(sends).toHaveBeenCalledTimes(1);
    expect(sends).toHaveBeenCalledWith({ type: "stripe.event", eventId });
    sends.mockRestore();
    expect(await stored(eventId)).toHaveLength(1);

    const first = await runJobs([eventId]);
    expect(first.explicitAcks).toEqual(["m0"]);
    await runJobs([eventId, eventId, eventId, eventId]);
    expect(await balance()).toBe(before + 123_456);
    expect((await stored(eventId))[0]).toMatchObject({ outcome: "credited" });
    const credited = (await notifications()).filter((n) => n.type === "balance.credited");
    expect(credited).toHaveLength(1);
    expect(credited[0]!.data.amount).toBe("1234.56");
  });

  it("credits once across two events of one session (completed, then async_payment_succeeded)", async () => {
    const before = await balance();
    const session = await paidTopUp("100");
    const a = fake.event("checkout.session.completed", session);
    const b = fake.event("checkout.session.async_payment_succeeded", session);
    await post(JSON.stringify(a));
    await post(JSON.stringify(b));
    await runJobs([a.id, b.id, a.id]);
    expect(await balance()).toBe(before + 100_00);
  });

  it("credits a paid session of the organization's customer even without Timbre's record of it", async () => {
    const before = await balance();
    const session = await paidTopUp("250");
    await db().delete(billingCheckoutSessions).where(eq(billingCheckoutSessions.id, session.id));
    const e = fake.event("checkout.session.completed", session);
    await post(JSON.stringify(e));
    await runJobs([e.id]);
    expect(await balance()).toBe(before + 250_00);
  });

  it("credits nothing for an unpaid session, a session Timbre did not create, or another purpose", async () => {
    const before = await balance();
    const res = await call(
      "POST",
      `/v1/billing/checkout-sessions/payment?organization_id=${org.id}&success_path=/saldo&amount=200`,
      { token: owner.token },
    );
    const unpaid = fake.sessions.get(res.json.sessionId)!;
    const foreign = {
      ...unpaid,
      id: "cs_test_not_ours",
      customer: "cus_someone_else",
      payment_status: "paid",
      metadata: { organization_id: org.id, purpose: "balance_top_up" },
    };
    const otherPurpose = {
      ...unpaid,
      payment_status: "paid",
      metadata: { ...unpaid.metadata, purpose: "subscription" },
    };
    const events = [
      fake.event("checkout.session.completed", unpaid),
      fake.event("checkout.session.completed", foreign),
      fake.event("checkout.session.completed", otherPurpose),
    ];
    for (const e of events) await post(JSON.stringify(e));
    await runJobs(events.map((e) => e.id));
    expect(await balance()).toBe(before);
    const outcomes = await Promise.all(events.map(async (e) => (await stored(e.id))[0]!.outcome));
    expect(outcomes).toEqual(["awaiting_payment", "unknown_session", "not_a_top_up"]);
  });
});

describe("subscription events", () => {
  it("set the plan's included stamps and unit price on the ledger; an older event changes nothing; deletion ends it", async () => {
    const res = await call(
      "POST",
      `/v1/billing/checkout-sessions/subscription?organization_id=${org.id}&success_path=/plan`,
      { token: owner.token },
    );
    expect(res.status, res.text).toBe(201);
    const session = fake.completeCheckout(res.json.sessionId);
    const subscription = fake.subscriptions.get(session.subscription)!;
    expect(subscription.metadata.organization_id).toBe(org.id);
    expect(subscription.items.data[0].price.id).toBe(STANDARD_PRICE.id);

    const created = fake.event("customer.subscription.created", subscription, { created: 1_900_000_000 });
    await post(JSON.stringify(created));
    await runJobs([created.id]);
    expect(await stampPlan()).toMatchObject({ includedUnits: 100 });

    const custom = {
      ...subscription,
      items: {
        object: "list",
        data: [
          {
            ...subscription.items.data[0],
            price: { id: "price_custom", metadata: { included_stamps: "500", stamp_unit_price: "0.75" } },
          },
        ],
      },
    };
    const updated = fake.event("customer.subscription.updated", custom, { created: 1_900_000_100 });
    const stale = fake.event("customer.subscription.updated", subscription, { created: 1_900_000_050 });
    // Stripe's time, not the signature's, orders them: the events are signed now.
    await post(JSON.stringify(updated));
    await post(JSON.stringify(stale));
    await runJobs([updated.id, stale.id]);
    expect(await stampPlan()).toMatchObject({ includedUnits: 500, unitPrice: expect.anything() });
    expect(Number((await stampPlan())!.unitPrice)).toBe(0.75);

    const list = await call("GET", `/v1/billing/subscriptions?organization_id=${org.id}`, {
      token: owner.token,
    });
    expect(list.json).toMatchObject({
      didHaveSubscription: true,
      subscriptions: [{ id: subscription.id, includedStamps: 500 }],
    });

    const deleted = fake.event(
      "customer.subscription.deleted",
      { ...custom, status: "canceled" },
      { created: 1_900_000_200 },
    );
    await post(JSON.stringify(deleted));
    await runJobs([deleted.id]);
    expect(await stampPlan()).toMatchObject({ includedUnits: 0 });
    expect(Number((await stampPlan())!.unitPrice)).toBe(1);
  });

  it("of a customer Timbre does not know are acknowledged without effect", async () => {
    const e = fake.event("customer.subscription.created", {
      id: "sub_foreign",
      status: "active",
      customer: "cus_unknown",
      metadata: { organization_id: org.id },
      items: { data: [{ price: { id: "p", lookup_key: "timbre_business_monthly" } }] },
    });
    await post(JSON.stringify(e));
    await runJobs([e.id]);
    expect((await stored(e.id))[0]!.outcome).toBe("unknown_customer");
  });
});

describe("invoice.payment_failed", () => {
  it("notifies the organization once, however often delivered and run", async () => {
    const account = await call("GET", `/v1/billing/account?organization_id=${org.id}`, {
      token: owner.token,
    });
    expect(account.status).toBe(200);
    const customerId = [...fake.customers.values()].find((c) => c.metadata.organization_id === org.id)!.id;
    const e = fake.event("invoice.payment_failed", {
      id: "in_failed_1",
      customer: customerId,
      amount_due: 49_900,
      currency: "mxn",
      attempt_count: 1,
      parent: { subscription_details: { subscription: "sub_x" } },
    });
    await post(JSON.stringify(e));
    await post(JSON.stringify(e));
    await runJobs([e.id, e.id]);
    const failed = (await notifications()).filter((n) => n.type === "billing.payment_failed");
    expect(failed).toHaveLength(1);
    expect(failed[0]!.data).toMatchObject({ invoiceId: "in_failed_1", amountDue: "499.00" });
  });
});
