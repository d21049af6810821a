// GET /v1/organizations/{organizationId}
import type { App } from "../app";
import { authedRoute } from "../openapi/route";
import { jsonContent, OrganizationSchema, OrgIdParam } from "../openapi/schemas";
import { actorContext } from "../services/context";
import { getOrganization, presentOrganization } from "../services/organizations";

export const route = authedRoute({
  method: "get",
  path: "/v1/organizations/{organizationId}",
  tags: ["Organizations"],
  summary: "Get organization details by ID",
  request: { params: OrgIdParam },
  responses: { 200: jsonContent(OrganizationSchema) },
});

export function register(app: App) {
  app.openapi(route, async (c) => {
    const org = await getOrganization(actorContext(c), c.req.valid("param").organizationId);
    return c.json(presentOrganization(org), 200);
  });
}
