// GET /v1/notifications/token (seed #135: a capability to subscribe, in place of the seed's Ably
// token request) and GET /v1/notifications/socket (the WebSocket it opens, authorized by that token).
import { z } from "@hono/zod-openapi";
import type { App } from "../app";
import { ErrorEnvelope } from "../openapi/errors";
import { authedRoute, publicRoute } from "../openapi/route";
import { IsoDate, jsonContent, Uuid } from "../openapi/schemas";
import { actorContext, serviceContext } from "../services/context";
import {
  issueNotificationsToken,
  NOTIFICATIONS_TOKEN_TTL_SECONDS,
  openNotificationsSocket,
} from "../services/notifications";

const SOCKET_PATH = "/v1/notifications/socket";

const OrgQuery = z.object({
  organization_id: z
    .string()
    .min(1)
    .openapi({ format: "uuid", description: "The organization to subscribe to" }),
});

export const tokenRoute = authedRoute({
  method: "get",
  path: "/v1/notifications/token",
  tags: ["Notifications"],
  summary: "Get notifications token",
  description: [
    `A ${NOTIFICATIONS_TOKEN_TTL_SECONDS / 60}-minute capability to subscribe to the organization's notifications`,
    "as the caller. Open `socketUrl` as a WebSocket before it expires; the socket then stays open.",
  ].join(" "),
  request: { query: OrgQuery },
  responses: {
    200: jsonContent(
      z
        .object({
          token: z.string(),
          expiresAt: IsoDate,
          socketUrl: z.string().openapi({ description: "The WebSocket URL, token included" }),
          clientId: Uuid.openapi({ description: "The subscribing user" }),
          capability: z.string().openapi({ example: '{"org:<orgId>:notifications":["subscribe"]}' }),
          timestamp: z.number().int().openapi({ description: "Issued at, in ms since the epoch" }),
          nonce: z.string(),
        })
        .openapi("NotificationsToken"),
    ),
  },
});

export const socketRoute = publicRoute({
  method: "get",
  path: SOCKET_PATH,
  tags: ["Notifications"],
  summary: "Subscribe to notifications (WebSocket)",
  description: [
    "A WebSocket upgrade authorized by the notifications token instead of a bearer token. Every frame is",
    'JSON: `{"type":"notification","notification":{…}}` as they happen, `{"type":"ready",…}` once the',
    "socket is live. With `last_id` (the last notificationId seen; or send",
    '`{"type":"resume","lastId":"…"}` as the first message) the notifications missed since are replayed,',
    'in order, before `ready`. `{"type":"ping"}` is answered with `{"type":"pong"}`.',
    "401 `invalid_notifications_token` for a forged token, another kind of token or a token for another",
    "organization, 401 `notifications_token_expired` after it expired; 404 when the user no longer",
    "belongs to the organization; 426 `upgrade_required` without `Upgrade: websocket`.",
  ].join(" "),
  request: {
    query: OrgQuery.extend({
      token: z.string().min(1).max(4096).openapi({ description: "From GET /v1/notifications/token" }),
      last_id: z.string().max(64).optional().openapi({ description: "The last notificationId received" }),
    }),
  },
  responses: {
    101: { description: "Switching Protocols: the WebSocket is open" },
    401: jsonContent(ErrorEnvelope, "`invalid_notifications_token` or `notifications_token_expired`"),
    426: jsonContent(ErrorEnvelope, "`upgrade_required`"),
  },
});

export function register(app: App) {
  app.openapi(tokenRoute, async (c) => {
    const { organization_id } = c.req.valid("query");
    const issued = await issueNotificationsToken(actorContext(c), organization_id);
    const socket = new URL(SOCKET_PATH, c.req.url);
    socket.protocol = socket.protocol === "http:" ? "ws:" : "wss:";
    socket.search = new URLSearchParams({ organization_id, token: issued.token }).toString();
    return c.json({ ...issued, socketUrl: socket.toString() }, 200);
  });

  app.openapi(socketRoute, async (c) => {
    const { organization_id, token, last_id } = c.req.valid("query");
    // The object's 101 response carries the socket; it is passed through untouched.
    return (await openNotificationsSocket(serviceContext(c), {
      token,
      organizationId: organization_id,
      lastId: last_id,
      request: c.req.raw,
    })) as never;
  });
}
