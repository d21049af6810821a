// Per-request context: request id (echoed in X-Request-Id), a structured logger and the database.
import { createMiddleware } from "hono/factory";
import { createDb } from "../../db/client";
import type { HonoEnv } from "../env";
import { createLogger } from "./logger";

const REQUEST_ID = /^[A-Za-z0-9._-]{8,128}$/;

export const requestContext = () =>
  createMiddleware<HonoEnv>(async (c, next) => {
    const incoming = c.req.header("x-request-id");
    const requestId = incoming && REQUEST_ID.test(incoming) ? incoming : crypto.randomUUID();
    const log = createLogger({ requestId });
    c.set("requestId", requestId);
    c.set("log", log);
    c.set("db", createDb(c.env));
    const started = Date.now();
    await next();
    c.header("X-Request-Id", requestId);
    log("info", "request", {
      method: c.req.method,
      path: new URL(c.req.url).pathname,
      status: c.res.status,
      ms: Date.now() - started,
    });
  });
