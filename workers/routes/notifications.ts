// GET /v1/notifications, POST /v1/notifications/read and POST /v1/notifications/clear (seed #136–#138):
// the caller's notifications of one organization, and what they read or cleared of them.
import { z } from "@hono/zod-openapi";
import { pageQuery } from "../../shared/pagination";
import type { App } from "../app";
import { authedRoute } from "../openapi/route";
import { IsoDate, jsonBody, jsonContent, Uuid } from "../openapi/schemas";
import { actorContext } from "../services/context";
import { listNotifications, markNotifications } from "../services/notifications";

const OrgQuery = z.object({
  organization_id: z.string().min(1).openapi({ format: "uuid", description: "The organization notified" }),
});

export const NotificationSchema = z
  .object({
    notificationId: Uuid,
    sequence: z
      .number()
      .int()
      .openapi({ description: "Monotonic per organization: the order notifications happened in" }),
    type: z.string().openapi({ example: "invoice.received" }),
    title: z.string().openapi({ example: "Invoice received" }),
    body: z.string(),
    data: z.record(z.string(), z.unknown()).openapi({ description: "What the notification is about (ids)" }),
    isRead: z.boolean(),
    readAt: IsoDate.nullable(),
    createdAt: IsoDate,
  })
  .openapi("Notification");

export const listRoute = authedRoute({
  method: "get",
  path: "/v1/notifications",
  tags: ["Notifications"],
  summary: "Get user notifications",
  description:
    "The caller's notifications of the organization, newest first, without the ones they cleared; `unreadCount` counts the unread ones.",
  request: { query: pageQuery().extend(OrgQuery.shape) },
  responses: {
    200: jsonContent(
      z.object({
        data: z.array(NotificationSchema),
        totalPages: z.number().int(),
        totalCount: z.number().int(),
        unreadCount: z.number().int(),
      }),
    ),
  },
});

const Selection = z
  .array(z.object({ notificationId: Uuid }))
  .min(1)
  .max(100)
  .openapi("NotificationSelection");

const MarkResult = jsonContent(
  z.object({
    success: z.literal(true),
    count: z.number().int().openapi({ description: "How many notifications changed" }),
  }),
);

const markRoute = (action: "read" | "clear") =>
  authedRoute({
    method: "post",
    path: `/v1/notifications/${action}`,
    tags: ["Notifications"],
    summary: action === "read" ? "Mark notifications as read" : "Clear notifications",
    description:
      action === "read"
        ? "Marks the caller's notifications read (for the caller only). `count` leaves out ids already read, cleared or unknown."
        : "Removes notifications from the caller's list (for the caller only; clearing also reads). `count` leaves out ids already cleared or unknown.",
    request: { query: OrgQuery, body: jsonBody(Selection) },
    responses: { 200: MarkResult },
  });

export const readRoute = markRoute("read");
export const clearRoute = markRoute("clear");

export function register(app: App) {
  app.openapi(listRoute, async (c) => {
    const { organization_id, page, limit } = c.req.valid("query");
    return c.json(await listNotifications(actorContext(c), organization_id, { page, limit }), 200);
  });
  for (const [route, mark] of [
    [readRoute, "read"],
    [clearRoute, "cleared"],
  ] as const) {
    app.openapi(route, async (c) => {
      const ids = c.req.valid("json").map((s) => s.notificationId);
      return c.json(
        await markNotifications(actorContext(c), c.req.valid("query").organization_id, ids, mark),
        200,
      );
    });
  }
}
