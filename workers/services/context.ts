/**
 * What every domain service receives: the database, the bindings it may need and the actor. Services
 * never read Hono's context, so they run the same from a route, a queue job or a test.
 */
import type { Context } from "hono";
import type { Db } from "../../db/client";
import type { AppBindings, HonoEnv } from "../env";
import type { Logger } from "../middleware/logger";

export interface ServiceContext {
  db: Db;
  env: AppBindings;
  log: Logger;
  /** The authenticated user, when there is one. */
  userId?: string;
  /** The session of the access token, when there is one. */
  sessionId?: string;
  /** Background work that must finish after the response (ctx.waitUntil in a Worker). */
  defer(promise: Promise<unknown>): void;
}

export interface ActorContext extends ServiceContext {
  userId: string;
}

export const nowIso = () => new Date().toISOString();

export function serviceContext(c: Context<HonoEnv>): ServiceContext {
  const auth = c.get("auth") as HonoEnv["Variables"]["auth"] | undefined;
  return {
    db: c.get("db"),
    env: c.env,
    log: c.get("log"),
    userId: auth?.userId,
    sessionId: auth?.sessionId,
    defer: (p) => {
      try {
        c.executionCtx.waitUntil(p);
      } catch {
        // No execution context (e.g. app.request in a unit test): let it run unawaited.
        void p;
      }
    },
  };
}

export function actorContext(c: Context<HonoEnv>): ActorContext {
  const ctx = serviceContext(c);
  if (!ctx.userId) throw new Error("actorContext used on a route without the auth middleware");
  return ctx as ActorContext;
}
