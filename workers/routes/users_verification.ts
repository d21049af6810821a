// Email and WhatsApp verification: send a code, then verify it.
import { z } from "@hono/zod-openapi";
import type { App } from "../app";
import { SuccessResponse } from "../openapi/errors";
import { authedRoute } from "../openapi/route";
import { jsonBody, jsonContent } from "../openapi/schemas";
import { actorContext } from "../services/context";
import { sendVerification, verifyChannel } from "../services/users";

const CodeBody = z.object({ code: z.string().regex(/^[0-9]{6}$/, "6 digits") }).strict();

const CHANNELS = {
  email: { label: "email address", sent: "Email verification message sent", done: "Email address verified" },
  whatsapp: {
    label: "WhatsApp number",
    sent: "Whatsapp verification code resent",
    done: "Whatsapp number verified",
  },
} as const;

function channelRoutes(channel: keyof typeof CHANNELS) {
  const { label } = CHANNELS[channel];
  return {
    send: authedRoute({
      method: "post",
      path: `/v1/users/me/${channel}/verification`,
      tags: ["Users"],
      summary: `Send a ${label} verification code`,
      responses: { 200: jsonContent(SuccessResponse) },
    }),
    verify: authedRoute({
      method: "post",
      path: `/v1/users/me/${channel}/verify`,
      tags: ["Users"],
      summary: `Verify ${label}`,
      request: { body: jsonBody(CodeBody) },
      responses: { 200: jsonContent(SuccessResponse) },
    }),
  };
}

export const routes = { email: channelRoutes("email"), whatsapp: channelRoutes("whatsapp") };

export function register(app: App) {
  for (const channel of ["email", "whatsapp"] as const) {
    const { send, verify } = routes[channel];
    app.openapi(send, async (c) => {
      await sendVerification(actorContext(c), channel);
      return c.json({ success: true as const, message: CHANNELS[channel].sent }, 200);
    });
    app.openapi(verify, async (c) => {
      await verifyChannel(actorContext(c), channel, c.req.valid("json").code);
      return c.json({ success: true as const, message: CHANNELS[channel].done }, 200);
    });
  }
}
