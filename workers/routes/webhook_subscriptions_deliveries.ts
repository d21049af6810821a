// GET /v1/webhook-subscriptions/{id}/deliveries: what was sent to a subscription, retried or parked.
import { z } from "@hono/zod-openapi";
import { WEBHOOK_DELIVERY_STATUSES } from "../../db/schema/webhooks";
import { pageEnvelope, pageQuery } from "../../shared/pagination";
import type { App } from "../app";
import { authedRoute } from "../openapi/route";
import { IdParam, IsoDate, jsonContent, Uuid } from "../openapi/schemas";
import { actorContext } from "../services/context";
import { listDeliveries, presentDelivery } from "../services/webhooks";

const WebhookDeliverySchema = z
  .object({
    id: Uuid,
    subscriptionId: Uuid,
    eventId: Uuid.openapi({ description: "Sent as Timbre-Event-Id and as the body's `id`" }),
    eventType: z.string(),
    eventOffset: z.number().int(),
    status: z.enum(WEBHOOK_DELIVERY_STATUSES).openapi({
      description: "pending (waiting for its first attempt or a retry), delivered (a 2xx), parked (given up)",
    }),
    attempts: z.number().int(),
    lastStatusCode: z.number().int().nullable(),
    lastError: z.string().nullable(),
    lastAttemptAt: IsoDate.nullable(),
    nextAttemptAt: IsoDate.nullable(),
    deliveredAt: IsoDate.nullable(),
    parkedAt: IsoDate.nullable(),
    createdAt: IsoDate,
    payload: z
      .record(z.string(), z.unknown())
      .openapi({ description: "The JSON body sent on every attempt" }),
  })
  .openapi("WebhookDelivery");

export const route = authedRoute({
  method: "get",
  path: "/v1/webhook-subscriptions/{id}/deliveries",
  tags: ["Webhooks"],
  summary: "List a webhook subscription's deliveries",
  description: "Newest first; `status=parked` lists the deliveries given up after every retry.",
  request: {
    params: IdParam,
    query: pageQuery()
      .extend({ status: z.enum(WEBHOOK_DELIVERY_STATUSES).optional() })
      .strict(),
  },
  responses: {
    200: jsonContent(
      z.object({
        data: z.array(WebhookDeliverySchema),
        totalPages: z.number().int(),
        totalCount: z.number().int(),
      }),
    ),
  },
});

export function register(app: App) {
  app.openapi(route, async (c) => {
    const q = c.req.valid("query");
    const page = { page: q.page, limit: q.limit };
    const { rows, totalCount } = await listDeliveries(actorContext(c), c.req.valid("param").id, {
      ...page,
      status: q.status,
    });
    return c.json(pageEnvelope(rows.map(presentDelivery), totalCount, page), 200);
  });
}
