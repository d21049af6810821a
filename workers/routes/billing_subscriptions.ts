// /v1/billing/subscriptions: list, create (trial or paid), promotion code, cancel and resume (seed #84–#88).
import { z } from "@hono/zod-openapi";
import type { App } from "../app";
import { authedRoute } from "../openapi/route";
import { IsoDate, jsonBody, jsonContent, Uuid } from "../openapi/schemas";
import {
  cancelSubscription,
  createSubscription,
  listSubscriptions,
  resumeSubscription,
  updatePromotionCode,
} from "../services/billing";
import { actorContext } from "../services/context";

const OrganizationId = z.string().min(1).openapi({ format: "uuid" });
const Query = z.object({ organization_id: OrganizationId });
const PromotionCode = z.string().trim().min(1).max(100).openapi({ example: "BIENVENIDA20" });

const Subscription = z
  .object({
    id: z.string().openapi({ example: "sub_1a2b3c" }),
    status: z.string().openapi({ description: "Stripe's status: trialing, active, past_due, canceled, …" }),
    plan: z.string().nullable().openapi({ example: "standard" }),
    includedStamps: z.number().int().openapi({ description: "Stamps included per month" }),
    stampUnitPrice: z.number().openapi({ description: "MXN per stamp beyond the included ones" }),
    cancelAtPeriodEnd: z.boolean(),
    currentPeriodEnd: IsoDate.nullable(),
    trialEnd: IsoDate.nullable(),
    createdAt: IsoDate,
    updatedAt: IsoDate,
  })
  .openapi("Subscription");

const NOT_CONFIGURED =
  "Without Stripe configured (STRIPE_SECRET_KEY) the answer is 503 `billing_not_configured`.";

export const listRoute = authedRoute({
  method: "get",
  path: "/v1/billing/subscriptions",
  tags: ["Billing"],
  summary: "Get organization subscriptions",
  description: "The organization's subscriptions as last reported by Stripe, newest first.",
  request: { query: Query },
  responses: {
    200: jsonContent(z.object({ didHaveSubscription: z.boolean(), subscriptions: z.array(Subscription) })),
  },
});

export const createRoute = authedRoute(
  {
    method: "post",
    path: "/v1/billing/subscriptions",
    tags: ["Billing"],
    summary: "Create a trial subscription or a paid subscription",
    description: [
      "A 14-day trial when the organization never had a subscription and names no payment method;",
      "otherwise a paid subscription charged to `payment_method_id` (a payment method of",
      "GET /v1/billing/payment-methods) or the default one (400 `payment_method_required` when none).",
      "409 `subscription_exists` when one is live. Unknown query parameters are refused, so a misspelt",
      `payment method never turns a paid subscription into a trial. ${NOT_CONFIGURED}`,
    ].join(" "),
    request: {
      query: z.strictObject({
        organization_id: OrganizationId,
        payment_method_id: Uuid.optional(),
        promotion_code: PromotionCode.optional(),
      }),
    },
    responses: {
      201: jsonContent(z.object({ success: z.literal(true), subscription: Subscription }), "Created"),
    },
  },
  { idempotent: true },
);

export const promotionCodeRoute = authedRoute({
  method: "patch",
  path: "/v1/billing/subscriptions/promotion-code",
  tags: ["Billing"],
  summary: "Update a subscription promotion code",
  description: `Applies a promotion code to the live subscription (404 \`subscription_not_found\` without one). ${NOT_CONFIGURED}`,
  request: { query: z.object({ organization_id: OrganizationId, promotion_code: PromotionCode }) },
  responses: { 200: jsonContent(z.object({ success: z.literal(true), subscription: Subscription })) },
});

export const cancelRoute = authedRoute({
  method: "post",
  path: "/v1/billing/subscriptions/cancel",
  tags: ["Billing"],
  summary: "Cancels a subscription",
  description: `Schedules the live subscription to end at the close of the paid period, after checking the user's password again (400 \`invalid_password\`). ${NOT_CONFIGURED}`,
  request: {
    query: Query,
    body: jsonBody(z.object({ password: z.string().min(1).max(200) }).openapi("PasswordCheck")),
  },
  responses: {
    200: jsonContent(
      z.object({
        success: z.literal(true),
        message: z.literal("subscription_scheduled_for_cancellation"),
        subscription: Subscription,
      }),
    ),
  },
});

export const resumeRoute = authedRoute({
  method: "post",
  path: "/v1/billing/subscriptions/resume",
  tags: ["Billing"],
  summary: "Resume a paused subscription",
  description: `Resumes a paused subscription, or keeps one scheduled for cancellation (409 \`subscription_not_paused\` otherwise). ${NOT_CONFIGURED}`,
  request: { query: Query },
  responses: { 200: jsonContent(z.object({ success: z.literal(true), subscription: Subscription })) },
});

export function register(app: App) {
  app.openapi(listRoute, async (c) =>
    c.json(await listSubscriptions(actorContext(c), c.req.valid("query").organization_id), 200),
  );
  app.openapi(createRoute, async (c) => {
    const query = c.req.valid("query");
    const subscription = await createSubscription(actorContext(c), query.organization_id, {
      paymentMethodId: query.payment_method_id,
      promotionCode: query.promotion_code,
    });
    return c.json({ success: true as const, subscription }, 201);
  });
  app.openapi(promotionCodeRoute, async (c) => {
    const query = c.req.valid("query");
    const subscription = await updatePromotionCode(
      actorContext(c),
      query.organization_id,
      query.promotion_code,
    );
    return c.json({ success: true as const, subscription }, 200);
  });
  app.openapi(cancelRoute, async (c) => {
    const subscription = await cancelSubscription(
      actorContext(c),
      c.req.valid("query").organization_id,
      c.req.valid("json").password,
    );
    return c.json(
      { success: true as const, message: "subscription_scheduled_for_cancellation" as const, subscription },
      200,
    );
  });
  app.openapi(resumeRoute, async (c) => {
    const subscription = await resumeSubscription(actorContext(c), c.req.valid("query").organization_id);
    return c.json({ success: true as const, subscription }, 200);
  });
}
