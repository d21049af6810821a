// GET /v1/health: liveness plus a database round trip; public, cheap, no tenant data.
import { z } from "@hono/zod-openapi";
import { sql } from "drizzle-orm";
import type { App } from "../app";
import { publicRoute } from "../openapi/route";

export const route = publicRoute({
  method: "get",
  path: "/v1/health",
  tags: ["Status"],
  summary: "Service health",
  responses: {
    200: {
      description: "Healthy",
      content: {
        "application/json": {
          schema: z.object({ ok: z.literal(true), database: z.literal("ok"), time: z.string() }),
        },
      },
    },
  },
});

export function register(app: App) {
  app.openapi(route, async (c) => {
    await c.get("db").run(sql`select 1`);
    return c.json({ ok: true as const, database: "ok" as const, time: new Date().toISOString() }, 200);
  });
}
