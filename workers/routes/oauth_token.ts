// POST /v1/oauth/token: password, refresh_token and two_factor grants; errors in RFC 6749 form.
import { z } from "@hono/zod-openapi";
import type { Context } from "hono";
import { isAppError } from "../../shared/errors";
import type { App } from "../app";
import type { HonoEnv } from "../env";
import { publicRoute } from "../openapi/route";
import { passwordGrant, refreshGrant, twoFactorGrant } from "../services/auth";
import { serviceContext } from "../services/context";

const TokenRequest = z
  .object({
    grant_type: z.string().openapi({ description: "`password`, `refresh_token` or `two_factor`" }),
    username: z.string().optional(),
    password: z.string().optional(),
    client_id: z.string().optional(),
    client_secret: z.string().optional(),
    device_id: z.string().optional().openapi({ description: "A trusted device id: skips the second factor" }),
    refresh_token: z.string().optional(),
    temporary_token: z
      .string()
      .optional()
      .openapi({ description: "two_factor: the token the password grant returned" }),
    code: z
      .string()
      .optional()
      .openapi({ description: "two_factor: the 6-digit code sent by WhatsApp or email" }),
  })
  .openapi("TokenRequest");

const TokenResponse = z
  .object({
    access_token: z.string(),
    token_type: z.literal("Bearer"),
    expires_in: z.number().int(),
    refresh_token: z.string(),
  })
  .openapi("TokenResponse");

const TwoFactorResponse = z
  .object({
    two_factor_required: z.literal(true),
    temporary_token: z.string(),
    expires_in: z.number().int(),
    channel: z.enum(["email", "whatsapp"]),
  })
  .openapi("TwoFactorRequired");

const OAuthError = z
  .object({ error: z.string().openapi({ example: "invalid_request" }), error_description: z.string() })
  .openapi("OAuthError");
const oauthErrorResponse = (description: string) => ({
  description,
  content: { "application/json": { schema: OAuthError } },
});

export const route = publicRoute({
  method: "post",
  path: "/v1/oauth/token",
  tags: ["Authentication"],
  summary: "Obtain or refresh tokens",
  description:
    "Form-encoded OAuth2 token endpoint. `grant_type=password` (username, password, client_id, client_secret, device_id) returns tokens, or — for a user with 2FA on an untrusted device — `{two_factor_required, temporary_token}` and sends a code. `grant_type=two_factor` (temporary_token, code, client_id, client_secret) completes it. `grant_type=refresh_token` (refresh_token, client_id, client_secret) rotates the refresh token; reusing a rotated one revokes the whole session.",
  request: {
    body: { content: { "application/x-www-form-urlencoded": { schema: TokenRequest } }, required: true },
  },
  responses: {
    200: {
      description: "Tokens, or a second-factor challenge",
      content: { "application/json": { schema: z.union([TokenResponse, TwoFactorResponse]) } },
    },
    400: oauthErrorResponse("invalid_request, invalid_grant, unsupported_grant_type"),
    401: oauthErrorResponse("invalid_client"),
    429: oauthErrorResponse("too_many_attempts"),
  },
});

const oauthFailure = (c: Context<HonoEnv>, status: number, error: string, description: string) => {
  c.header("Cache-Control", "no-store");
  if (status === 401) c.header("WWW-Authenticate", 'Basic realm="timbre"');
  return c.json({ error, error_description: description }, status as 400);
};

export function register(app: App) {
  app.openapi(
    route,
    async (c) => {
      const body = c.req.valid("form");
      const ctx = serviceContext(c);
      c.header("Cache-Control", "no-store");
      try {
        switch (body.grant_type) {
          case "password":
            return c.json(
              await passwordGrant(ctx, {
                username: body.username,
                password: body.password,
                clientId: body.client_id,
                clientSecret: body.client_secret,
                deviceId: body.device_id,
                ip: c.req.header("cf-connecting-ip") ?? "local",
              }),
              200,
            );
          case "refresh_token":
            return c.json(
              await refreshGrant(ctx, {
                refreshToken: body.refresh_token,
                clientId: body.client_id,
                clientSecret: body.client_secret,
              }),
              200,
            );
          case "two_factor":
            return c.json(
              await twoFactorGrant(ctx, {
                temporaryToken: body.temporary_token,
                code: body.code,
                clientId: body.client_id,
                clientSecret: body.client_secret,
              }),
              200,
            );
          default:
            return oauthFailure(
              c,
              400,
              "unsupported_grant_type",
              `Unsupported grant_type '${body.grant_type}'`,
            );
        }
      } catch (e) {
        if (isAppError(e)) return oauthFailure(c, e.status, e.code, e.message);
        throw e;
      }
    },
    (result, c) => {
      if (!result.success) {
        const missingGrant = result.error.issues.some((i) => i.path[0] === "grant_type");
        return oauthFailure(
          c as Context<HonoEnv>,
          400,
          "invalid_request",
          missingGrant ? "Missing grant_type parameter" : "The request is malformed",
        );
      }
    },
  );
}
