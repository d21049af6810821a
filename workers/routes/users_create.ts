// POST /v1/users: sign up. The user can log in at once; the email stays unverified until the code is used.
import { z } from "@hono/zod-openapi";
import type { App } from "../app";
import { publicRoute } from "../openapi/route";
import { jsonBody, jsonContent, UserSchema } from "../openapi/schemas";
import { serviceContext } from "../services/context";
import { createUser, presentUser } from "../services/users";

const CreateUser = z
  .object({
    firstName: z.string().trim().min(1).max(100),
    lastName: z.string().trim().min(1).max(100),
    emailAddress: z.email().max(254),
    password: z.string().openapi({
      description: "At least 8 characters, including lowercase, uppercase, number, and special character",
    }),
    country: z
      .string()
      .regex(/^[A-Z]{2}$/)
      .optional()
      .openapi({ example: "MX" }),
    region: z
      .string()
      .regex(/^[A-Z]{2}-[A-Z0-9]{1,3}$/)
      .optional()
      .openapi({ example: "MX-DF" }),
    city: z.string().max(100).optional(),
  })
  .strict()
  .openapi("CreateUser");

export const route = publicRoute(
  {
    method: "post",
    path: "/v1/users",
    tags: ["Users"],
    summary: "Create a new user",
    request: { body: jsonBody(CreateUser) },
    responses: { 201: jsonContent(z.object({ success: z.literal(true), user: UserSchema }), "Created") },
  },
  { idempotent: true },
);

export function register(app: App) {
  app.openapi(route, async (c) => {
    const ctx = serviceContext(c);
    const user = await createUser(ctx, c.req.valid("json"));
    return c.json({ success: true as const, user: await presentUser(ctx, user) }, 201);
  });
}
