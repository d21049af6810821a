// Bearer authentication for every route that declares `bearerAuth` security.
import { createMiddleware } from "hono/factory";
import { unauthorized } from "../../shared/errors";
import type { HonoEnv } from "../env";
import { serviceContext } from "../services/context";
import { authenticateAccessToken } from "../services/tokens";

export const requireAuth = () =>
  createMiddleware<HonoEnv>(async (c, next) => {
    const header = c.req.header("authorization");
    const match = header?.match(/^Bearer\s+(\S+)$/i);
    if (!match?.[1]) throw unauthorized("Send an access token as `Authorization: Bearer <token>`");
    c.set("auth", await authenticateAccessToken(serviceContext(c), match[1]));
    await next();
  });
