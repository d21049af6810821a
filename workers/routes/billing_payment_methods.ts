// /v1/billing/payment-methods: list, delete and set default (seed #92–#94), under Timbre's uuids.
import { z } from "@hono/zod-openapi";
import type { App } from "../app";
import { SuccessResponse } from "../openapi/errors";
import { authedRoute } from "../openapi/route";
import { IdParam, IsoDate, jsonContent } from "../openapi/schemas";
import { deletePaymentMethod, listPaymentMethods, setDefaultPaymentMethod } from "../services/billing";
import { actorContext } from "../services/context";

const PaymentMethod = z
  .object({
    id: z.string().openapi({ format: "uuid" }),
    type: z.string().openapi({ example: "card" }),
    brand: z.string().nullable().openapi({ example: "visa" }),
    last4: z.string().nullable().openapi({ example: "4242" }),
    expMonth: z.number().int().nullable(),
    expYear: z.number().int().nullable(),
    isDefault: z.boolean(),
    createdAt: IsoDate,
  })
  .openapi("PaymentMethod");

const NOT_CONFIGURED =
  "Without Stripe configured (STRIPE_SECRET_KEY) the answer is 503 `billing_not_configured`.";

export const listRoute = authedRoute({
  method: "get",
  path: "/v1/billing/payment-methods",
  tags: ["Billing"],
  summary: "Get payment methods",
  description: `The organization's saved payment methods as Stripe has them now (none before its first checkout). ${NOT_CONFIGURED}`,
  request: { query: z.object({ organization_id: z.string().min(1).openapi({ format: "uuid" }) }) },
  responses: { 200: jsonContent(z.array(PaymentMethod)) },
});

export const deleteRoute = authedRoute({
  method: "delete",
  path: "/v1/billing/payment-methods/{id}",
  tags: ["Billing"],
  summary: "Delete payment method",
  description: `Detaches the payment method from the organization's Stripe customer. ${NOT_CONFIGURED}`,
  request: { params: IdParam },
  responses: { 200: jsonContent(SuccessResponse) },
});

export const defaultRoute = authedRoute({
  method: "put",
  path: "/v1/billing/payment-methods/{id}/default",
  tags: ["Billing"],
  summary: "Set default payment method",
  description: `Makes it the default for the subscription's invoices and for paid subscriptions. ${NOT_CONFIGURED}`,
  request: { params: IdParam },
  responses: { 200: jsonContent(SuccessResponse) },
});

export function register(app: App) {
  app.openapi(listRoute, async (c) =>
    c.json(await listPaymentMethods(actorContext(c), c.req.valid("query").organization_id), 200),
  );
  app.openapi(deleteRoute, async (c) => {
    await deletePaymentMethod(actorContext(c), c.req.valid("param").id);
    return c.json({ success: true as const }, 200);
  });
  app.openapi(defaultRoute, async (c) => {
    await setDefaultPaymentMethod(actorContext(c), c.req.valid("param").id);
    return c.json({ success: true as const }, 200);
  });
}
