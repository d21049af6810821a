// Password reset: request a link (sent through the outbox), then set a new password with its code.
import { z } from "@hono/zod-openapi";
import type { App } from "../app";
import { SuccessResponse } from "../openapi/errors";
import { publicRoute } from "../openapi/route";
import { jsonBody, jsonContent } from "../openapi/schemas";
import { serviceContext } from "../services/context";
import { requestPasswordReset, resetPassword } from "../services/users";

export const requestRoute = publicRoute({
  method: "post",
  path: "/v1/auth/password-reset-requests",
  tags: ["Authentication"],
  summary: "Request password reset",
  description: "Always answers success, whether or not the email belongs to a user.",
  request: {
    body: jsonBody(
      z
        .object({
          email: z.email(),
          passwordResetPath: z
            .string()
            .regex(/^\/.*\[passwordResetCode\]/, "a path containing [passwordResetCode]")
            .openapi({ example: "/reset-password/[passwordResetCode]" }),
        })
        .strict(),
    ),
  },
  responses: { 200: jsonContent(SuccessResponse) },
});

export const resetRoute = publicRoute({
  method: "post",
  path: "/v1/auth/password-reset",
  tags: ["Authentication"],
  summary: "Reset password",
  description: "Sets the new password and ends every session of the user.",
  request: {
    body: jsonBody(z.object({ passwordResetCode: z.string().min(1), password: z.string() }).strict()),
  },
  responses: { 200: jsonContent(SuccessResponse) },
});

export function register(app: App) {
  app.openapi(requestRoute, async (c) => {
    const { email, passwordResetPath } = c.req.valid("json");
    await requestPasswordReset(serviceContext(c), email, passwordResetPath);
    return c.json({ success: true as const, message: "Password reset request sent" }, 200);
  });
  app.openapi(resetRoute, async (c) => {
    const { passwordResetCode, password } = c.req.valid("json");
    await resetPassword(serviceContext(c), passwordResetCode, password);
    return c.json({ success: true as const, message: "Password reset successfully" }, 200);
  });
}
