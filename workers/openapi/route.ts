/**
 * Route contracts. `authedRoute` is the only way to declare an authenticated operation: it adds the
 * bearer security scheme, the auth middleware and the shared error responses, so the OpenAPI document
 * and the runtime behaviour cannot drift apart. `publicRoute` does the same for open operations.
 */
import { createRoute } from "@hono/zod-openapi";
import type { MiddlewareHandler } from "hono";
import { requireAuth } from "../middleware/auth";
import { idempotent } from "../middleware/idempotency";
import { bearerSecurity, errorResponses, publicErrorResponses } from "./errors";

type RouteConfig = Parameters<typeof createRoute>[0];
type Options = { idempotent?: boolean };

export function authedRoute<const R extends RouteConfig>(config: R, options: Options = {}) {
  const middleware: MiddlewareHandler[] = [requireAuth()];
  if (options.idempotent) middleware.push(idempotent());
  return createRoute({
    ...config,
    security: bearerSecurity,
    middleware,
    responses: { ...errorResponses, ...config.responses },
  } as R & { middleware: MiddlewareHandler[] });
}

export function publicRoute<const R extends RouteConfig>(config: R, options: Options = {}) {
  const middleware: MiddlewareHandler[] = options.idempotent ? [idempotent()] : [];
  return createRoute({
    ...config,
    security: [],
    middleware,
    responses: { ...publicErrorResponses, ...config.responses },
  } as R & { middleware: MiddlewareHandler[] });
}
