// GET /v1/organizations/{organizationId}/health: reaches the organization's two Durable Objects.
import { z } from "@hono/zod-openapi";
import type { App } from "../app";
import { authedRoute } from "../openapi/route";
import { actorContext } from "../services/context";
import { requireOrgAccess } from "../services/tenancy";

const ObjectHealth = z.object({
  ok: z.literal(true),
  object: z.string(),
  organizationId: z.string(),
  since: z.string(),
});

export const route = authedRoute({
  method: "get",
  path: "/v1/organizations/{organizationId}/health",
  tags: ["Organizations"],
  summary: "Health of the organization's ledger and notification objects",
  request: { params: z.object({ organizationId: z.string() }) },
  responses: {
    200: {
      description: "Both objects answered",
      content: {
        "application/json": {
          schema: z.object({
            ledger: ObjectHealth,
            notifications: ObjectHealth.extend({ connections: z.number() }),
          }),
        },
      },
    },
  },
});

export function register(app: App) {
  app.openapi(route, async (c) => {
    const { organizationId } = c.req.valid("param");
    await requireOrgAccess(actorContext(c), organizationId, "organization.read");
    const ledger = c.env.ORG_LEDGER.get(c.env.ORG_LEDGER.idFromName(organizationId));
    const notifications = c.env.NOTIFICATIONS.get(c.env.NOTIFICATIONS.idFromName(organizationId));
    const [l, n] = await Promise.all([ledger.health(organizationId), notifications.health(organizationId)]);
    return c.json({ ledger: l, notifications: n }, 200);
  });
}
