// POST /v1/users: sign up. The user can log in at once; the email stays unverified until the code is used.
import { z } from "@hono/zod-openapi";
import type { App } from "../app";
import { publicRoute } from "../openapi/route";
import { jsonBody, jsonContent, UserSchema } from "../openapi/schemas";
import { serviceContext } from "../services/context";
import { getUserInvitation, joinWithUserInvitation } from "../services/invitations";
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
    userInvitationCode: z
      .string()
      .min(1)
      .optional()
      .openapi({ description: "Joins the organizations of this invitation once the user exists" }),
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
    const { userInvitationCode, ...input } = c.req.valid("json");
    // A wrong or used code is refused before the account exists, so nothing is half created.
    if (userInvitationCode) await getUserInvitation(ctx, userInvitationCode);
    const user = await createUser(ctx, input);
    if (userInvitationCode) {
      try {
        await joinWithUserInvitation({ ...ctx, userId: user.id }, userInvitationCode);
      } catch (e) {
        // Someone used the code in between: the account stands; the invitation is simply gone.
        ctx.log("warn", "invitation not joined at sign-up", { error: String(e) });
      }
    }
    return c.json({ success: true as const, user: await presentUser(ctx, user) }, 201);
  });
}
