// POST /v1/oauth/logout: ends the caller's session — its access token and its refresh-token family.
import { z } from "@hono/zod-openapi";
import type { App } from "../app";
import { authedRoute } from "../openapi/route";
import { revokeSessions } from "../services/auth";
import { actorContext } from "../services/context";

export const route = authedRoute({
  method: "post",
  path: "/v1/oauth/logout",
  tags: ["Authentication"],
  summary: "Log out",
  description: "Invalidates the current access token and its associated refresh token.",
  request: {
    body: {
      content: {
        "application/x-www-form-urlencoded": { schema: z.object({ device_id: z.string().optional() }) },
      },
      required: false,
    },
  },
  responses: {
    200: {
      description: "Logged out",
      content: { "application/json": { schema: z.object({ message: z.string() }) } },
    },
  },
});

export function register(app: App) {
  app.openapi(route, async (c) => {
    await revokeSessions(actorContext(c), { sessionId: c.get("auth").sessionId }, "logout");
    return c.json({ message: "Successfully logged out" }, 200);
  });
}
