// GET, PATCH and DELETE /v1/users/me, and PUT /v1/users/me/default-organization.
import { z } from "@hono/zod-openapi";
import type { App } from "../app";
import { SuccessResponse } from "../openapi/errors";
import { authedRoute } from "../openapi/route";
import { jsonBody, jsonContent, UserSchema, Uuid } from "../openapi/schemas";
import { actorContext } from "../services/context";
import { deleteMe, getUser, presentUser, setDefaultOrganization, updateMe } from "../services/users";

export const getRoute = authedRoute({
  method: "get",
  path: "/v1/users/me",
  tags: ["Users"],
  summary: "Get user information",
  responses: { 200: jsonContent(UserSchema) },
});

const UpdateUser = z
  .object({
    firstName: z.string().trim().min(1).max(100).optional(),
    lastName: z.string().trim().min(1).max(100).optional(),
    emailAddress: z.email().max(254).optional(),
    whatsappNumber: z
      .string()
      .regex(/^[0-9]{12}$/, "12 digits with country code, no +")
      .nullable()
      .optional(),
    currentPassword: z.string().optional().openapi({ description: "Required if newPassword is provided" }),
    newPassword: z.string().optional(),
    is2faEnabled: z.boolean().optional(),
    isLastLogin: z.boolean().optional(),
  })
  .strict()
  .openapi("UpdateUser");

export const patchRoute = authedRoute({
  method: "patch",
  path: "/v1/users/me",
  tags: ["Users"],
  summary: "Update user information",
  request: { body: jsonBody(UpdateUser) },
  responses: {
    200: jsonContent(
      z.object({
        success: z.literal(true),
        user: UserSchema,
        verifyEmail: z.boolean(),
        verifyWhatsappNumber: z.boolean(),
      }),
    ),
  },
});

export const deleteRoute = authedRoute({
  method: "delete",
  path: "/v1/users/me",
  tags: ["Users"],
  summary: "Delete user",
  request: { body: jsonBody(z.object({ password: z.string().min(1) }).strict()) },
  responses: { 200: jsonContent(SuccessResponse) },
});

export const defaultOrgRoute = authedRoute({
  method: "put",
  path: "/v1/users/me/default-organization",
  tags: ["Users"],
  summary: "Update user default organization",
  request: { body: jsonBody(z.object({ defaultOrganizationId: Uuid }).strict()) },
  responses: { 200: jsonContent(SuccessResponse) },
});

export function register(app: App) {
  app.openapi(getRoute, async (c) => {
    const ctx = actorContext(c);
    return c.json(await presentUser(ctx, await getUser(ctx, ctx.userId)), 200);
  });
  app.openapi(patchRoute, async (c) => {
    const ctx = actorContext(c);
    const result = await updateMe(ctx, c.req.valid("json"));
    return c.json(
      {
        success: true as const,
        user: await presentUser(ctx, result.user),
        verifyEmail: result.verifyEmail,
        verifyWhatsappNumber: result.verifyWhatsappNumber,
      },
      200,
    );
  });
  app.openapi(deleteRoute, async (c) => {
    await deleteMe(actorContext(c), c.req.valid("json").password);
    return c.json({ success: true as const }, 200);
  });
  app.openapi(defaultOrgRoute, async (c) => {
    await setDefaultOrganization(actorContext(c), c.req.valid("json").defaultOrganizationId);
    return c.json({ success: true as const, message: "User default organization updated" }, 200);
  });
}
