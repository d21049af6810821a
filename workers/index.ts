/**
 * The Worker entry: HTTP through the Hono app, JOBS through the queue consumer, housekeeping through
 * the cron trigger, and the Durable Object classes exported for their bindings.
 */
import { lt, sql } from "drizzle-orm";
import { createDb } from "../db/client";
import { idempotencyKeys, loginAttempts, twoFactorChallenges } from "../db/schema";
import { createApp } from "./app";
import type { AppBindings, JobMessage } from "./env";
import { consumeJobs, jobContext } from "./jobs/consumer";
import { sweepNotifications } from "./services/notifications";
import { purgeOrganizationsDueForDeletion } from "./services/organizations";
import { sweepWebhooks } from "./services/webhook-deliveries";

export { Notifications } from "../durable-objects/notifications";
export { OrgLedger } from "../durable-objects/org-ledger";

const app = createApp();

export async function runHousekeeping(env: AppBindings, exec: ExecutionContext, now = new Date()) {
  const ctx = jobContext(env, exec, { job: "housekeeping" });
  const db = createDb(env);
  const nowIso = now.toISOString();
  await db.delete(idempotencyKeys).where(lt(idempotencyKeys.expiresAt, nowIso));
  await db.delete(twoFactorChallenges).where(lt(twoFactorChallenges.expiresAt, nowIso));
  await db
    .delete(loginAttempts)
    .where(lt(loginAttempts.createdAt, new Date(now.getTime() - 86_400_000).toISOString()));
  const deleted = await purgeOrganizationsDueForDeletion(ctx, now);
  // Keeps the query planner's statistics current as tables grow, so listings keep choosing the
  // selective index (SQLite's recommended periodic maintenance; D1 and libSQL both run it).
  await db.run(sql`PRAGMA optimize`);
  ctx.log("info", "housekeeping done", { organizationsDeleted: deleted });
  return { organizationsDeleted: deleted };
}

export default {
  fetch: app.fetch,
  queue: (batch, env, exec) => consumeJobs(batch, env, exec),
  scheduled: async (_controller, env, exec) => {
    await runHousekeeping(env, exec);
    await sweepWebhooks(jobContext(env, exec, { job: "webhooks.sweep" }));
    await sweepNotifications(jobContext(env, exec, { job: "notifications.sweep" }));
  },
} satisfies ExportedHandler<AppBindings, JobMessage>;
