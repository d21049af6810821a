// POST /v1/webhooks/stripe: Stripe's events about checkouts, subscriptions and invoices (issue 6).
import { z } from "@hono/zod-openapi";
import type { App } from "../app";
import { publicRoute } from "../openapi/route";
import { jsonContent } from "../openapi/schemas";
import { serviceContext } from "../services/context";
import { receiveStripeWebhook } from "../services/stripe-webhooks";

export const route = publicRoute({
  method: "post",
  path: "/v1/webhooks/stripe",
  tags: ["Webhooks"],
  summary: "Receive a Stripe webhook",
  description: [
    "A Stripe event, signed in `Stripe-Signature` (`t=…,v1=…`: HMAC-SHA256 of `t.raw body` under",
    "STRIPE_WEBHOOK_SECRET, within 300 s). A missing, wrong or stale signature is 400",
    "`stripe_signature_invalid` (`details.reason`) and has no effect. Each event id is taken once (a",
    "redelivery answers `duplicate: true`) and applied in the background: a paid balance top-up checkout",
    "credits the organization's balance once; subscription events set the plan's included stamps;",
    "`invoice.payment_failed` notifies the organization. Other event types are acknowledged and ignored.",
  ].join(" "),
  responses: {
    200: jsonContent(
      z.object({ received: z.literal(true), eventId: z.string(), duplicate: z.boolean() }),
      "Taken (or already taken)",
    ),
  },
});

export function register(app: App) {
  app.openapi(route, async (c) => {
    // The signature covers the bytes as sent: the body is read raw, never re-serialized.
    const body = new Uint8Array(await c.req.arrayBuffer());
    const receipt = await receiveStripeWebhook(serviceContext(c), body, c.req.header("stripe-signature"));
    return c.json({ received: true as const, ...receipt }, 200);
  });
}
