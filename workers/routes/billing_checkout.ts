// /v1/billing/checkout-sessions: Stripe embedded checkout for a subscription, a balance top-up and a
// payment-method update (seed #77, #78, #80), and a session's status (seed #79).
import { z } from "@hono/zod-openapi";
import type { Context } from "hono";
import type { CheckoutPurpose } from "../../shared/billing/stripe-events";
import type { App } from "../app";
import type { HonoEnv } from "../env";
import { authedRoute } from "../openapi/route";
import { IsoDate, jsonContent } from "../openapi/schemas";
import { createCheckoutSession, getCheckoutSession } from "../services/billing";
import { actorContext } from "../services/context";

const OrganizationId = z.string().min(1).openapi({ format: "uuid" });
const SuccessPath = z
  .string()
  .max(500)
  .regex(/^\/(?!\/)\S*$/, "a path starting with /")
  .openapi({
    description:
      "Where Stripe sends the browser back, on the caller's site; `session_id={CHECKOUT_SESSION_ID}` is appended",
    example: "/billing/success",
  });

const ClientSecret = z
  .object({
    clientSecret: z.string().openapi({ description: "For Stripe.js `initEmbeddedCheckout`" }),
    sessionId: z.string().openapi({ example: "cs_test_a1b2c3" }),
  })
  .openapi("CheckoutSessionSecret");

const NOT_CONFIGURED =
  "Without Stripe configured (STRIPE_SECRET_KEY) the answer is 503 `billing_not_configured`.";

const checkoutRoute = <Q extends z.ZodObject>(path: string, summary: string, description: string, query: Q) =>
  authedRoute(
    {
      method: "post",
      path,
      tags: ["Billing"],
      summary,
      description: `${description} ${NOT_CONFIGURED}`,
      request: { query },
      responses: { 201: jsonContent(ClientSecret, "Created") },
    },
    { idempotent: true },
  );

export const subscriptionRoute = checkoutRoute(
  "/v1/billing/checkout-sessions/subscription",
  "Create a Stripe checkout session for subscription",
  "Embedded checkout of Timbre's subscription plan (price lookup key `timbre_standard_monthly`), with an optional promotion code (400 `invalid_promotion_code` when unknown). The organization's Stripe customer is created if it has none. Needs subscription management.",
  z.object({
    organization_id: OrganizationId,
    success_path: SuccessPath,
    promotion_code: z.string().trim().min(1).max(100).optional(),
  }),
);

export const paymentRoute = checkoutRoute(
  "/v1/billing/checkout-sessions/payment",
  "Create a Stripe checkout session for one-time payment",
  "Embedded checkout of a balance top-up of `amount` MXN (at least 100, else 400 `amount_below_minimum`; at most 2 decimals). When Stripe reports the session paid (webhook `checkout.session.completed`), the amount is credited to the organization's balance once and the organization is notified. Needs billing management.",
  z.object({
    organization_id: OrganizationId,
    success_path: SuccessPath,
    amount: z
      .string()
      .regex(/^\d{1,13}(\.\d{1,2})?$/, "an amount in MXN with at most 2 decimals")
      .openapi({ example: "500.00" }),
  }),
);

export const setupRoute = checkoutRoute(
  "/v1/billing/checkout-sessions/setup",
  "Create a Stripe checkout session to update payment method in Stripe",
  "Embedded checkout in setup mode: the customer saves a payment method without paying. Needs billing management.",
  z.object({ organization_id: OrganizationId, success_path: SuccessPath }),
);

export const statusRoute = authedRoute({
  method: "get",
  path: "/v1/billing/checkout-sessions/{session_id}",
  tags: ["Billing"],
  summary: "Get the status of a Stripe checkout session",
  description: `A session the organization created (another's, or an unknown id → 404). ${NOT_CONFIGURED}`,
  request: {
    params: z.object({
      session_id: z
        .string()
        .min(1)
        .max(255)
        .openapi({ param: { name: "session_id", in: "path" } }),
    }),
    query: z.object({ organization_id: OrganizationId }),
  },
  responses: {
    200: jsonContent(
      z
        .object({
          isPaymentSuccessful: z.boolean(),
          status: z.string().nullable().openapi({ example: "complete" }),
          purpose: z.enum(["balance_top_up", "subscription", "payment_method"]),
          amountTotal: z.number().nullable().openapi({ description: "Major units (MXN)", example: 500 }),
          currency: z.string().nullable(),
          createdAt: IsoDate,
          expiresAt: IsoDate.nullable(),
          paymentMethod: z.object({ types: z.array(z.string()) }),
          isSubscription: z.boolean(),
        })
        .openapi("CheckoutSessionStatus"),
    ),
  },
});

/** The caller's site (its Origin), else this API's own origin: the success path is resolved there. */
function returnUrl(c: Context<HonoEnv>, path: string) {
  const origin = c.req.header("origin");
  const base = origin && /^https?:\/\/[^/\s]+$/i.test(origin) ? origin : new URL(c.req.url).origin;
  return `${base}${path}`;
}

export function register(app: App) {
  const create = (
    c: Context<HonoEnv>,
    purpose: CheckoutPurpose,
    query: { organization_id: string; success_path: string; amount?: string; promotion_code?: string },
  ) =>
    createCheckoutSession(actorContext(c), query.organization_id, {
      purpose,
      returnUrl: returnUrl(c, query.success_path),
      amount: query.amount,
      promotionCode: query.promotion_code,
    });

  app.openapi(subscriptionRoute, async (c) =>
    c.json(await create(c, "subscription", c.req.valid("query")), 201),
  );
  app.openapi(paymentRoute, async (c) =>
    c.json(await create(c, "balance_top_up", c.req.valid("query")), 201),
  );
  app.openapi(setupRoute, async (c) => c.json(await create(c, "payment_method", c.req.valid("query")), 201));

  app.openapi(statusRoute, async (c) => {
    const status = await getCheckoutSession(
      actorContext(c),
      c.req.valid("query").organization_id,
      c.req.valid("param").session_id,
    );
    return c.json(status, 200);
  });
}
