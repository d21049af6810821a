/**
 * The Billing operations against the Stripe fake (test/fakes/stripe.ts), answered in-process for
 * STRIPE_API_BASE: embedded checkout sessions (top-up minimum, clientSecret, metadata, one customer
 * per organization), session status by organization, the billing account, subscriptions (trial, plan
 * on the ledger, promotion code, cancel with password, resume), payment methods under Timbre's ids,
 * billing invoices, tenancy and roles — and, without STRIPE_SECRET_KEY, 503 with direct top-ups.
 */
import { env } from "cloudflare:workers";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { FakeStripe, PROMOTION_CODE, STANDARD_PRICE } from "../fakes/stripe";
import { addMember, call, createOrg, PASSWORD, signUp } from "./harness";

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

const owner = await signUp("billing");
const org = await createOrg(owner);
const outsider = await signUp("billing-outsider");
const otherOrg = await createOrg(outsider);
const collaborator = await signUp("billing-collaborator");
await addMember(org.id, collaborator.id, "collaborator");

const checkout = (kind: string, query: string, token = owner.token, orgId = org.id) =>
  call(
    "POST",
    `/v1/billing/checkout-sessions/${kind}?organization_id=${orgId}&success_path=/billing/done${query}`,
    {
      token,
    },
  );
const customerOf = (orgId: string) =>
  [...fake.customers.values()].filter((c) => c.metadata.organization_id === orgId);

describe("checkout sessions", () => {
  it("refuses a top-up below 100 MXN or with more than 2 decimals, and a success path that leaves the site", async () => {
    for (const amount of ["99.99", "0", "50"]) {
      const res = await checkout("payment", `&amount=${amount}`);
      expect(res.status).toBe(400);
      expect(res.json.error).toBe("amount_below_minimum");
    }
    for (const query of ["&amount=100.001", "&amount=abc", ""]) {
      const res = await checkout("payment", query);
      expect(res.status).toBe(400);
      expect(res.json.error).toBe("validation_failed");
    }
    const offsite = await call(
      "POST",
      `/v1/billing/checkout-sessions/payment?organization_id=${org.id}&success_path=//evil.example&amount=100`,
      { token: owner.token },
    );
    expect(offsite.json.error).toBe("validation_failed");
    expect(fake.sessions.size).toBe(0);
  });

  it("returns the embedded checkout's clientSecret; the session carries the organization and purpose", async () => {
    const res = await call(
      "POST",
      `/v1/billing/checkout-sessions/payment?organization_id=${org.id}&success_path=/billing/done&amount=500.50`,
      { token: owner.token, headers: { origin: "https://app.timbre.example" } },
    );
    expect(res.status, res.text).toBe(201);
    expect(res.json.clientSecret).toMatch(/^cs_test_.+_secret_/);
    const session = fake.sessions.get(res.json.sessionId)!;
    expect(session).toMatchObject({
      mode: "payment",
      ui_mode: "embedded",
      amount_total: 50_050,
      currency: "mxn",
      metadata: { organization_id: org.id, purpose: "balance_top_up" },
      return_url: "https://app.timbre.example/billing/done?session_id={CHECKOUT_SESSION_ID}",
    });
    // One Stripe customer per organization, however many checkouts.
    const again = await checkout("setup", "");
    expect(again.status).toBe(201);
    expect(fake.sessions.get(again.json.sessionId)).toMatchObject({
      mode: "setup",
      metadata: { organization_id: org.id, purpose: "payment_method" },
    });
    expect(customerOf(org.id)).toHaveLength(1);
    expect(session.customer).toBe(customerOf(org.id)[0]!.id);
  });

  it("subscription checkout: Timbre's plan price and a promotion code; an unknown code is 400", async () => {
    const res = await checkout("subscription", `&promotion_code=${PROMOTION_CODE.code}`);
    expect(res.status, res.text).toBe(201);
    const session = fake.sessions.get(res.json.sessionId)!;
    expect(session).toMatchObject({ mode: "subscription", amount_total: STANDARD_PRICE.unit_amount });
    expect(session.discounts).toEqual([{ promotion_code: PROMOTION_CODE.id }]);
    expect(session.metadata.purpose).toBe("subscription");
    const unknown = await checkout("subscription", "&promotion_code=NOPE");
    expect(unknown.status).toBe(400);
    expect(unknown.json.error).toBe("invalid_promotion_code");
  });

  it("tells the session's status to its organization only", async () => {
    const created = await checkout("payment", "&amount=150");
    const id = created.json.sessionId;
    const status = (token = owner.token, orgId = org.id) =>
      call("GET", `/v1/billing/checkout-sessions/${id}?organization_id=${orgId}`, { token });
    expect((await status()).json).toMatchObject({
      isPaymentSuccessful: false,
      status: "open",
      amountTotal: 150,
      purpose: "balance_top_up",
      isSubscription: false,
    });
    fake.completeCheckout(id);
    expect((await status()).json).toMatchObject({ isPaymentSuccessful: true, status: "complete" });
    expect((await status(outsider.token, otherOrg.id)).status).toBe(404);
    expect((await status(outsider.token)).status).toBe(404);
    expect((await status(collaborator.token)).status).toBe(403);
    expect(
      (
        await call("GET", `/v1/billing/checkout-sessions/cs_test_unknown?organization_id=${org.id}`, {
          token: owner.token,
        })
      ).status,
    ).toBe(404);
  });

  it("is refused to another organization's member (404) and to a role without billing (403)", async () => {
    expect((await checkout("payment", "&amount=100", outsider.token)).status).toBe(404);
    const denied = await checkout("payment", "&amount=100", collaborator.token);
    expect(denied.status).toBe(403);
    expect(denied.json.error).toBe("forbidden");
  });

  it("with Stripe configured, a direct top-up is refused: money comes in through checkout", async () => {
    const res = await call("POST", `/v1/balance/top-ups?organization_id=${org.id}`, {
      token: owner.token,
      body: { amount: 100 },
    });
    expect(res.status).toBe(409);
    expect(res.json.error).toBe("checkout_required");
  });
});

describe("billing account", () => {
  it("is null until given, then stored (upper-cased RFC) and pushed to the Stripe customer", async () => {
    const path = `/v1/billing/account?organization_id=${org.id}`;
    expect((await call("GET", path, { token: owner.token })).json).toEqual({
      success: true,
      billingAccount: null,
    });
    const body = {
      name: "EMPRESA DE PRUEBA",
      commercialName: "Prueba",
      taxIdentifier: "eku9003173c9",
      taxRegime: "601",
      postalCode: "42501",
      cfdiUse: "G03",
    };
    const put = await call("PUT", path, { token: owner.token, body });
    expect(put.status, put.text).toBe(200);
    expect(put.json.billingAccount).toMatchObject({
      taxIdentifier: "EKU9003173C9",
      hasPaymentCustomer: true,
    });
    expect(customerOf(org.id)[0]).toMatchObject({
      name: "EMPRESA DE PRUEBA",
      address: { postal_code: "42501" },
    });
    const bad = await call("PUT", path, { token: owner.token, body: { ...body, postalCode: "123" } });
    expect(bad.status).toBe(400);
    expect((await call("GET", path, { token: outsider.token })).status).toBe(404);
  });
});

describe("subscriptions", () => {
  const sub = (method: string, suffix: string, body?: unknown, token = owner.token) =>
    call(
      method,
      `/v1/billing/subscriptions${suffix}${suffix.includes("?") ? "&" : "?"}organization_id=${org.id}`,
      {
        token,
        body,
      },
    );
  const stampPlan = async () =>
    (
      (await call("GET", `/v1/consumables?organization_id=${org.id}`, { token: owner.token })).json as Array<{
        consumableKey: string;
        includedUnits: number;
      }>
    ).find((c) => c.consumableKey === "stamp");

  it("starts a trial with the plan's stamps, refuses a second one, cancels with the password and resumes", async () => {
    expect((await sub("GET", "")).json).toEqual({ didHaveSubscription: false, subscriptions: [] });
    expect((await sub("POST", "?paymentMethodId=typo")).json.error).toBe("validation_failed");
    const created = await sub("POST", "");
    expect(created.status, created.text).toBe(201);
    expect(created.json.subscription).toMatchObject({
      status: "trialing",
      plan: "standard",
      includedStamps: 100,
    });
    expect(fake.subscriptions.get(created.json.subscription.id)!.metadata.organization_id).toBe(org.id);
    expect(await stampPlan()).toMatchObject({ includedUnits: 100 });
    expect((await sub("POST", "")).json.error).toBe("subscription_exists");

    const promo = await sub("PATCH", `/promotion-code?promotion_code=${PROMOTION_CODE.code}`);
    expect(promo.status, promo.text).toBe(200);

    const wrong = await sub("POST", "/cancel", { password: "not-it" });
    expect(wrong.status).toBe(400);
    expect(wrong.json.error).toBe("invalid_password");
    const cancelled = await sub("POST", "/cancel", { password: PASSWORD });
    expect(cancelled.json).toMatchObject({
      success: true,
      message: "subscription_scheduled_for_cancellation",
      subscription: { cancelAtPeriodEnd: true },
    });
    const resumed = await sub("POST", "/resume");
    expect(resumed.json.subscription.cancelAtPeriodEnd).toBe(false);
    expect((await sub("POST", "/resume")).json.error).toBe("subscription_not_paused");
    expect((await sub("GET", "")).json).toMatchObject({
      didHaveSubscription: true,
      subscriptions: [{ status: "trialing" }],
    });
    expect((await sub("POST", "/cancel", { password: PASSWORD }, collaborator.token)).status).toBe(403);
  });
});

describe("payment methods and billing invoices", () => {
  it("lists Stripe's payment methods under stable uuids, sets the default and deletes", async () => {
    const customer = customerOf(org.id)[0]!.id;
    const visa = fake.attachPaymentMethod(customer, { brand: "visa", last4: "4242" });
    fake.attachPaymentMethod(customer, { brand: "mastercard", last4: "4444" });
    const path = `/v1/billing/payment-methods?organization_id=${org.id}`;
    const list = await call("GET", path, { token: owner.token });
    expect(list.status, list.text).toBe(200);
    const methods = list.json as Array<{ id: string; last4: string; isDefault: boolean }>;
    expect(methods.map((m) => m.last4).sort()).toEqual(["4242", "4444"]);
    expect(methods.every((m) => /^[0-9a-f-]{36}$/.test(m.id))).toBe(true);
    const again = (await call("GET", path, { token: owner.token })).json as typeof methods;
    expect(again.map((m) => m.id).sort()).toEqual(methods.map((m) => m.id).sort());

    const target = methods.find((m) => m.last4 === "4242")!;
    expect(
      (await call("PUT", `/v1/billing/payment-methods/${target.id}/default`, { token: outsider.token }))
        .status,
    ).toBe(404);
    expect(
      (await call("PUT", `/v1/billing/payment-methods/${target.id}/default`, { token: collaborator.token }))
        .status,
    ).toBe(403);
    const made = await call("PUT", `/v1/billing/payment-methods/${target.id}/default`, {
      token: owner.token,
    });
    expect(made.json).toEqual({ success: true });
    expect(fake.customers.get(customer)!.invoice_settings.default_payment_method).toBe(visa.id);
    expect(
      ((await call("GET", path, { token: owner.token })).json as typeof methods).find((m) => m.isDefault)?.id,
    ).toBe(target.id);

    const other = methods.find((m) => m.last4 === "4444")!;
    expect(
      (await call("DELETE", `/v1/billing/payment-methods/${other.id}`, { token: owner.token })).json,
    ).toEqual({
      success: true,
    });
    expect(
      ((await call("GET", path, { token: owner.token })).json as typeof methods).map((m) => m.last4),
    ).toEqual(["4242"]);
    expect(
      (await call("DELETE", `/v1/billing/payment-methods/${other.id}`, { token: owner.token })).status,
    ).toBe(404);
  });

  it("lists billing invoices newest first, filtered by subscription and date, paged", async () => {
    const customer = customerOf(org.id)[0]!.id;
    fake.addInvoice(customer, { total: 49_900, subscription: "sub_1", created: 1_800_000_000 });
    fake.addInvoice(customer, { total: 10_000, created: 1_800_000_100 });
    fake.addInvoice(customer, { total: 49_900, subscription: "sub_1", created: 1_800_000_200 });
    const list = (query: string) =>
      call("GET", `/v1/billing/invoices?organization_id=${org.id}${query}`, { token: owner.token });
    const all = await list("");
    expect(all.status, all.text).toBe(200);
    expect(all.json.invoices.map((i: { total: number }) => i.total)).toEqual([499, 100, 499]);
    expect((await list("&is_subscription=true")).json.invoices).toHaveLength(2);
    expect((await list("&is_subscription=false")).json.invoices[0]).toMatchObject({
      total: 100,
      isSubscription: false,
    });
    expect((await list("&limit=1&page=2")).json.invoices[0].total).toBe(100);
    expect(
      (await list(`&created_at_to=${new Date(1_800_000_050_000).toISOString()}`)).json.invoices,
    ).toHaveLength(1);
    // An organization without a Stripe customer has none, and asks Stripe nothing.
    const before = fake.requests.length;
    expect(
      (await call("GET", `/v1/billing/invoices?organization_id=${otherOrg.id}`, { token: outsider.token }))
        .json,
    ).toEqual({
      success: true,
      invoices: [],
    });
    expect(fake.requests.length).toBe(before);
  });
});

describe("without STRIPE_SECRET_KEY", () => {
  it("billing answers 503 billing_not_configured and POST /v1/balance/top-ups credits directly", async () => {
    env.STRIPE_SECRET_KEY = "";
    try {
      const fresh = await createOrg(owner);
      const res = await checkout("payment", "&amount=100", owner.token, fresh.id);
      expect(res.status).toBe(503);
      expect(res.json.error).toBe("billing_not_configured");
      expect(
        (await call("POST", `/v1/billing/subscriptions?organization_id=${fresh.id}`, { token: owner.token }))
          .status,
      ).toBe(503);
      // What Timbre holds itself still answers.
      expect(
        (await call("GET", `/v1/billing/payment-methods?organization_id=${fresh.id}`, { token: owner.token }))
          .json,
      ).toEqual([]);
      const topUp = await call("POST", `/v1/balance/top-ups?organization_id=${fresh.id}`, {
        token: owner.token,
        body: { amount: 100 },
      });
      expect(topUp.status).toBe(201);
      expect(topUp.json).toMatchObject({ paymentProvider: null, balance: { balanceAmount: 100 } });
    } finally {
      env.STRIPE_SECRET_KEY = API_KEY;
    }
  });
});
