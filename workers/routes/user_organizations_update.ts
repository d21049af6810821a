// PATCH and DELETE /v1/user-organizations/{id}: change a membership (own marks, or role and state as an
// owner) and remove a member or leave the organization.
import { z } from "@hono/zod-openapi";
import type { App } from "../app";
import { SuccessResponse } from "../openapi/errors";
import { authedRoute } from "../openapi/route";
import { IdParam, jsonBody, jsonContent, RoleSchema, Uuid } from "../openapi/schemas";
import { actorContext } from "../services/context";
import { removeMembership, updateMembership } from "../services/memberships";

const UpdateMembership = z
  .object({
    isRead: z.boolean().optional().openapi({ description: "The caller's own mark" }),
    isFavorite: z.boolean().optional().openapi({ description: "The caller's own mark" }),
    role: RoleSchema.optional().openapi({
      description: "Role of the user on the organization. Accepted only if user_id is provided.",
    }),
    isDisabled: z.boolean().optional().openapi({ description: "Accepted only if user_id is provided." }),
  })
  .strict()
  .refine((v) => Object.values(v).some((x) => x !== undefined), { message: "Send at least one field" })
  .openapi("UpdateUserOrganization");

export const patchRoute = authedRoute({
  method: "patch",
  path: "/v1/user-organizations/{id}",
  tags: ["UserOnOrganizations"],
  summary: "Update a user on an organization",
  description:
    "`id` is the organization. Without `user_id` the caller updates its own isRead/isFavorite. `role` and " +
    "`isDisabled` need `user_id` and the members.manage permission (owners); nobody grants a role above " +
    "their own, and the last enabled owner cannot be demoted or disabled (409 `last_owner`).",
  request: {
    params: IdParam,
    query: z.object({
      user_id: Uuid.optional().openapi({ description: "ID of the user on the organization" }),
    }),
    body: jsonBody(UpdateMembership),
  },
  responses: { 200: jsonContent(SuccessResponse) },
});

export const deleteRoute = authedRoute({
  method: "delete",
  path: "/v1/user-organizations/{id}",
  tags: ["UserOnOrganizations"],
  summary: "Delete a user on an organization",
  description:
    "Removes the member `user_id` (members.manage), or the caller leaves when `user_id` is its own id. " +
    "The last enabled owner cannot leave (409 `last_owner`).",
  request: { params: IdParam, query: z.object({ user_id: Uuid }) },
  responses: { 200: jsonContent(SuccessResponse) },
});

export function register(app: App) {
  app.openapi(patchRoute, async (c) => {
    await updateMembership(
      actorContext(c),
      c.req.valid("param").id,
      c.req.valid("query").user_id,
      c.req.valid("json"),
    );
    return c.json({ success: true as const }, 200);
  });
  app.openapi(deleteRoute, async (c) => {
    await removeMembership(actorContext(c), c.req.valid("param").id, c.req.valid("query").user_id);
    return c.json({ success: true as const }, 200);
  });
}
