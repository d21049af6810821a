// PATCH /v1/organizations/{organizationId}: details and fiscal data other than the RFC.
import { z } from "@hono/zod-openapi";
import type { App } from "../app";
import { SuccessResponse } from "../openapi/errors";
import { authedRoute } from "../openapi/route";
import { jsonBody, jsonContent, OrgIdParam } from "../openapi/schemas";
import { actorContext } from "../services/context";
import { updateOrganization } from "../services/organizations";
import { OrganizationFields } from "./organizations_create";

const UpdateOrganization = OrganizationFields.partial()
  .extend({
    invoicesInbox: z
      .string()
      .regex(/^[a-z0-9-]{3,64}$/)
      .nullish(),
    avatarUrl: z.url({ protocol: /^https$/ }).nullish(),
  })
  .strict()
  .refine((v) => Object.keys(v).length > 0, { message: "Send at least one field to update" })
  .openapi("UpdateOrganization");

export const route = authedRoute({
  method: "patch",
  path: "/v1/organizations/{organizationId}",
  tags: ["Organizations"],
  summary: "Update organization details",
  request: { params: OrgIdParam, body: jsonBody(UpdateOrganization) },
  responses: { 200: jsonContent(SuccessResponse) },
});

export function register(app: App) {
  app.openapi(route, async (c) => {
    await updateOrganization(actorContext(c), c.req.valid("param").organizationId, c.req.valid("json"));
    return c.json({ success: true as const }, 200);
  });
}
