// POST /v1/webhooks/facturapi: Facturapi's events about invoices stamped through it (seed 001 §1.7).
import { z } from "@hono/zod-openapi";
import type { App } from "../app";
import { ErrorEnvelope } from "../openapi/errors";
import { publicRoute } from "../openapi/route";
import { jsonContent } from "../openapi/schemas";
import { serviceContext } from "../services/context";
import { receiveFacturapiWebhook } from "../services/facturapi-webhooks";

export const route = publicRoute({
  method: "post",
  path: "/v1/webhooks/facturapi",
  tags: ["Webhooks"],
  summary: "Receive a Facturapi webhook",
  description: [
    "Facturapi's event `{id, type, created_at, livemode, organization, data: {type, object}}`, signed in the",
    "`Facturapi-Signature` header: the lowercase hex HMAC-SHA256 of the raw body under the webhook's secret",
    "(FACTURAPI_WEBHOOK_SECRET). A missing or wrong signature is 401 `webhook_signature_invalid` and has no effect.",
    "Each event id is taken once (a redelivery answers `duplicate: true`) and applied in the background:",
    "`invoice.status_updated` and `invoice.cancellation_status_updated` update the cancellation state of the invoice",
    "with that Facturapi id. Other event types are acknowledged and ignored.",
  ].join(" "),
  responses: {
    200: jsonContent(
      z.object({ received: z.literal(true), eventId: z.string(), duplicate: z.boolean() }),
      "Taken (or already taken)",
    ),
    401: jsonContent(ErrorEnvelope, "`webhook_signature_invalid`"),
  },
});

export function register(app: App) {
  app.openapi(route, async (c) => {
    // The signature covers the bytes as sent: the body is read raw, never re-serialized.
    const body = new Uint8Array(await c.req.arrayBuffer());
    const receipt = await receiveFacturapiWebhook(
      serviceContext(c),
      body,
      c.req.header("facturapi-signature"),
    );
    return c.json({ received: true as const, ...receipt }, 200);
  });
}
