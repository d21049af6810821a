// /v1/webhook-subscriptions: create, list, get, update and delete an organization's outgoing webhooks (seed 003).
import { z } from "@hono/zod-openapi";
import { pageEnvelope, pageQuery } from "../../shared/pagination";
import { WEBHOOK_EVENT_TYPES } from "../../shared/webhooks/events";
import type { App } from "../app";
import { SuccessResponse } from "../openapi/errors";
import { authedRoute } from "../openapi/route";
import { IdParam, IsoDate, jsonBody, jsonContent, QueryBoolean, Uuid } from "../openapi/schemas";
import { actorContext } from "../services/context";
import {
  createSubscription,
  deleteSubscription,
  getSubscription,
  listSubscriptions,
  presentSubscription,
  updateSubscription,
} from "../services/webhooks";

const URL_RULES = [
  "Only https URLs; a host that is, or resolves to, a private, loopback, link-local, CGNAT, unique-local",
  "or otherwise reserved address is refused with 400 `webhook_url_refused` (`details.reason`: invalid,",
  "not_https, credentials, private_address, unresolvable, resolver_failed). The check runs again before",
  "every delivery.",
].join(" ");

const Fields = {
  name: z.string().trim().min(1).max(200).openapi({ example: "ERP sync" }),
  url: z.string().trim().min(1).max(2048).openapi({ example: "https://erp.example.com/timbre/webhooks" }),
  eventTypes: z
    .array(z.enum(WEBHOOK_EVENT_TYPES))
    .min(1)
    .max(WEBHOOK_EVENT_TYPES.length)
    .openapi({ description: "The event types delivered to this URL", example: ["invoice.received"] }),
  active: z.boolean(),
};

const CreateBody = z
  .object({
    ...Fields,
    active: Fields.active.optional(),
    secret: z.string().min(24).max(200).optional().openapi({
      description:
        "The HMAC signing secret; generated (whsec_…) when omitted. Returned only in this response.",
    }),
  })
  .strict()
  .openapi("CreateWebhookSubscription");

const UpdateBody = z
  .object({
    name: Fields.name.optional(),
    url: Fields.url.optional(),
    eventTypes: Fields.eventTypes.optional(),
    active: Fields.active.optional(),
    lastPublishedOffset: z.number().int().min(0).max(Number.MAX_SAFE_INTEGER).optional().openapi({
      description: "Move the cursor: back to have later events delivered again, forward to skip them",
    }),
  })
  .strict()
  .openapi("UpdateWebhookSubscription");

export const WebhookSubscriptionSchema = z
  .object({
    id: Uuid,
    organizationId: Uuid,
    name: z.string(),
    url: z.string(),
    eventTypes: z.array(z.string()),
    active: z.boolean(),
    lastPublishedOffset: z
      .number()
      .int()
      .openapi({ description: "The offset of the last event of the organization's log handed to delivery" }),
    createdAt: IsoDate,
    updatedAt: IsoDate,
  })
  .openapi("WebhookSubscription");

const OrgQuery = z.object({ organization_id: Uuid.openapi({ description: "The subscribing organization" }) });

const SIGNING = [
  "Each delivery is a POST of `{id, type, created_at, organization_id, data}` with headers `Timbre-Event-Id`",
  '(the same on every retry: deduplicate by it) and `Timbre-Signature: t=<unix>,v1=<hex HMAC-SHA256(secret, "<t>.<body>")>`.',
  "A non-2xx answer (or none within 10 s) is retried with exponentially growing delays for up to 3 days, then",
  "the delivery is parked (see GET /v1/webhook-subscriptions/{id}/deliveries).",
].join(" ");

export const createRoute = authedRoute(
  {
    method: "post",
    path: "/v1/webhook-subscriptions",
    tags: ["Webhooks"],
    summary: "Create a webhook subscription",
    description: `${URL_RULES} ${SIGNING} Events appended from now on are delivered.`,
    request: { query: OrgQuery, body: jsonBody(CreateBody) },
    responses: {
      201: jsonContent(
        z.object({
          success: z.literal(true),
          subscription: WebhookSubscriptionSchema.extend({
            secret: z.string().openapi({ description: "Shown only here" }),
          }),
        }),
        "Created",
      ),
    },
  },
  { idempotent: true },
);

export const listRoute = authedRoute({
  method: "get",
  path: "/v1/webhook-subscriptions",
  tags: ["Webhooks"],
  summary: "List webhook subscriptions",
  description: "Newest first. Inactive subscriptions are left out unless `include_inactive=true`.",
  request: {
    query: pageQuery()
      .extend({ ...OrgQuery.shape, include_inactive: QueryBoolean.optional() })
      .strict(),
  },
  responses: {
    200: jsonContent(
      z.object({
        data: z.array(WebhookSubscriptionSchema),
        totalPages: z.number().int(),
        totalCount: z.number().int(),
      }),
    ),
  },
});

export const getRoute = authedRoute({
  method: "get",
  path: "/v1/webhook-subscriptions/{id}",
  tags: ["Webhooks"],
  summary: "Get a webhook subscription",
  request: { params: IdParam },
  responses: { 200: jsonContent(WebhookSubscriptionSchema) },
});

export const updateRoute = authedRoute({
  method: "patch",
  path: "/v1/webhook-subscriptions/{id}",
  tags: ["Webhooks"],
  summary: "Update a webhook subscription",
  description: `Changes only the fields given. ${URL_RULES}`,
  request: { params: IdParam, body: jsonBody(UpdateBody) },
  responses: { 200: jsonContent(WebhookSubscriptionSchema) },
});

export const deleteRoute = authedRoute({
  method: "delete",
  path: "/v1/webhook-subscriptions/{id}",
  tags: ["Webhooks"],
  summary: "Delete a webhook subscription",
  description: "Deletes the subscription and its delivery history; nothing more is sent to its URL.",
  request: { params: IdParam },
  responses: { 200: jsonContent(SuccessResponse) },
});

export function register(app: App) {
  app.openapi(createRoute, async (c) => {
    const { subscription, secret } = await createSubscription(
      actorContext(c),
      c.req.valid("query").organization_id,
      c.req.valid("json"),
    );
    return c.json(
      { success: true as const, subscription: { ...presentSubscription(subscription), secret } },
      201,
    );
  });
  app.openapi(listRoute, async (c) => {
    const q = c.req.valid("query");
    const page = { page: q.page, limit: q.limit };
    const { rows, totalCount } = await listSubscriptions(actorContext(c), q.organization_id, {
      ...page,
      includeInactive: q.include_inactive ?? false,
    });
    return c.json(pageEnvelope(rows.map(presentSubscription), totalCount, page), 200);
  });
  app.openapi(getRoute, async (c) => {
    const row = await getSubscription(actorContext(c), c.req.valid("param").id);
    return c.json(presentSubscription(row), 200);
  });
  app.openapi(updateRoute, async (c) => {
    const row = await updateSubscription(actorContext(c), c.req.valid("param").id, c.req.valid("json"));
    return c.json(presentSubscription(row), 200);
  });
  app.openapi(deleteRoute, async (c) => {
    await deleteSubscription(actorContext(c), c.req.valid("param").id);
    return c.json({ success: true as const }, 200);
  });
}
