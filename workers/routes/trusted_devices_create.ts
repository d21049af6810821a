// POST /v1/trusted-devices: registers the caller's device so later password grants skip 2FA.
import { z } from "@hono/zod-openapi";
import type { App } from "../app";
import { authedRoute } from "../openapi/route";
import { createTrustedDevice } from "../services/auth";
import { actorContext } from "../services/context";

export const route = authedRoute(
  {
    method: "post",
    path: "/v1/trusted-devices",
    tags: ["Trusted Devices"],
    summary: "Create a trusted device",
    description:
      "Returns a device id; send it as `device_id` in the password grant to skip the second factor.",
    responses: {
      201: {
        description: "Created",
        content: {
          "application/json": { schema: z.object({ success: z.literal(true), deviceId: z.uuid() }) },
        },
      },
    },
  },
  { idempotent: true },
);

export function register(app: App) {
  app.openapi(route, async (c) =>
    c.json({ success: true as const, deviceId: await createTrustedDevice(actorContext(c)) }, 201),
  );
}
