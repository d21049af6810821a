// POST and DELETE /v1/organizations/{organizationId}/deletion-request: schedule or cancel deletion.
import type { App } from "../app";
import { SuccessResponse } from "../openapi/errors";
import { authedRoute } from "../openapi/route";
import { jsonContent, OrgIdParam } from "../openapi/schemas";
import { actorContext } from "../services/context";
import { cancelDeletion, requestDeletion } from "../services/organizations";

export const requestRoute = authedRoute({
  method: "post",
  path: "/v1/organizations/{organizationId}/deletion-request",
  tags: ["Organizations"],
  summary: "Request delete organization",
  description: "The organization will be deleted after 30 days unless the request is cancelled.",
  request: { params: OrgIdParam },
  responses: { 200: jsonContent(SuccessResponse) },
});

export const cancelRoute = authedRoute({
  method: "delete",
  path: "/v1/organizations/{organizationId}/deletion-request",
  tags: ["Organizations"],
  summary: "Cancel organization deletion",
  request: { params: OrgIdParam },
  responses: { 200: jsonContent(SuccessResponse) },
});

export function register(app: App) {
  app.openapi(requestRoute, async (c) => {
    await requestDeletion(actorContext(c), c.req.valid("param").organizationId);
    return c.json({ success: true as const }, 200);
  });
  app.openapi(cancelRoute, async (c) => {
    await cancelDeletion(actorContext(c), c.req.valid("param").organizationId);
    return c.json({ success: true as const }, 200);
  });
}
