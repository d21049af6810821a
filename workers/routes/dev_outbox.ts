// GET /v1/dev/outbox: local-only view of queued emails and WhatsApp messages (404 unless DEV_ROUTES=true).
import { z } from "@hono/zod-openapi";
import { notFound } from "../../shared/errors";
import type { App } from "../app";
import { publicRoute } from "../openapi/route";
import { jsonContent } from "../openapi/schemas";
import { serviceContext } from "../services/context";
import { listOutbox } from "../services/outbox";

const Message = z.object({
  id: z.string(),
  channel: z.enum(["email", "whatsapp"]),
  recipient: z.string(),
  template: z.string(),
  subject: z.string().nullable(),
  body: z.string(),
  status: z.enum(["pending", "sent", "failed"]),
  createdAt: z.string(),
});

export const route = publicRoute({
  method: "get",
  path: "/v1/dev/outbox",
  tags: ["Development"],
  summary: "Messages waiting in the outbox (local development only)",
  description:
    "Exists only when the Worker runs with DEV_ROUTES=true (npm start sets it). Lists newest first.",
  request: {
    query: z.object({
      recipient: z.string().optional(),
      limit: z.coerce.number().int().min(1).max(100).default(20),
    }),
  },
  responses: { 200: jsonContent(z.object({ data: z.array(Message) })) },
});

export function register(app: App) {
  app.openapi(route, async (c) => {
    if (c.env.DEV_ROUTES !== "true") throw notFound("Route", "route_not_found");
    const { recipient, limit } = c.req.valid("query");
    const rows = await listOutbox(serviceContext(c), recipient, limit);
    return c.json(
      {
        data: rows.map((m) => ({
          id: m.id,
          channel: m.channel,
          recipient: m.recipient,
          template: m.template,
          subject: m.subject,
          body: m.body,
          status: m.status,
          createdAt: m.createdAt,
        })),
      },
      200,
    );
  });
}
