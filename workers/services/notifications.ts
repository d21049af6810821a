/**
 * Realtime notifications (seed #135–#138), kept by one Notifications Durable Object per organization.
 * - Subscribing: `issueNotificationsToken` signs a 5-minute capability (organization, user, subscribe;
 *   its own audience and `typ`, so no other token passes for it) after the tenant check;
 *   `openNotificationsSocket` verifies it, checks the membership again and hands the upgrade to the
 *   organization's object.
 * - Feeding: `pokeNotifications` asks the objects of organizations whose invoice events were just
 *   appended to read them, right after the response; a poke that fails goes to the JOBS queue, and
 *   the hourly `sweepNotifications` pokes every organization with recent events, so a lost poke
 *   delays a notification but never loses it. Other sources call `notifyOrganization` with a source
 *   id that makes each notification unique.
 * - Reading: the user's list, read and clear go to the object after the tenant check.
 */
import { desc, eq, gt, lt } from "drizzle-orm";
import { errors as joseErrors, jwtVerify, SignJWT } from "jose";
import { inChunks } from "../../db/client";
import { invoiceEvents, tasks } from "../../db/schema";
import type { Notifications } from "../../durable-objects/notifications";
import { AppError, unauthorized } from "../../shared/errors";
import { formatMxn, parseMxn } from "../../shared/ledger/money";
import {
  crossedBelow,
  importProgressQuarter,
  lowBalanceNotification,
  type NotificationInput,
} from "../../shared/notifications/notifications";
import { type Page, pageEnvelope } from "../../shared/pagination";
import type { AppBindings, JobMessage } from "../env";
import type { ActorContext, ServiceContext } from "./context";
import { ledgerCall } from "./ledger";
import { requireOrgAccess } from "./tenancy";
import { ISSUER, signingKey } from "./tokens";

export const NOTIFICATIONS_TOKEN_TTL_SECONDS = 300;
const TOKEN_AUDIENCE = "timbre-notifications";
const TOKEN_TYP = "timbre-notifications+jwt";
const SUBSCRIBE = "subscribe";

/** Below this balance a stamp's capture warns the organization (the seed's minimum top-up). */
export const LOW_BALANCE_THRESHOLD_CENTS = 100_00;

/** How far back the hourly sweep looks for organizations with events (overlapping runs). */
const SWEEP_WINDOW_MS = 2 * 60 * 60_000;
const SEND_BATCH_LIMIT = 100;

export const notificationsStub = (
  env: Pick<AppBindings, "NOTIFICATIONS">,
  organizationId: string,
): DurableObjectStub<Notifications> => env.NOTIFICATIONS.get(env.NOTIFICATIONS.idFromName(organizationId));

// ---------------------------------------------------------------------------------------------
// Subscribing

export async function issueNotificationsToken(ctx: ActorContext, organizationId: string) {
  await requireOrgAccess(ctx, organizationId, "notifications.read");
  const timestamp = Date.now();
  const expiresAt = Math.floor(timestamp / 1000) + NOTIFICATIONS_TOKEN_TTL_SECONDS;
  const nonce = crypto.randomUUID();
  const token = await new SignJWT({ org: organizationId, cap: [SUBSCRIBE] })
    .setProtectedHeader({ alg: "HS256", typ: TOKEN_TYP })
    .setSubject(ctx.userId)
    .setIssuer(ISSUER)
    .setAudience(TOKEN_AUDIENCE)
    .setIssuedAt()
    .setJti(nonce)
    .setExpirationTime(expiresAt)
    .sign(signingKey(ctx));
  return {
    token,
    expiresAt: new Date(expiresAt * 1000).toISOString(),
    clientId: ctx.userId,
    capability: JSON.stringify({ [`org:${organizationId}:notifications`]: [SUBSCRIBE] }),
    timestamp,
    nonce,
  };
}

async function verifyNotificationsToken(ctx: ServiceContext, token: string) {
  let payload: { sub?: unknown; org?: unknown; cap?: unknown };
  try {
    ({ payload } = await jwtVerify(token, signingKey(ctx), {
      issuer: ISSUER,
      audience: TOKEN_AUDIENCE,
      typ: TOKEN_TYP,
      algorithms: ["HS256"],
    }));
  } catch (e) {
    if (e instanceof joseErrors.JWTExpired) {
      throw unauthorized(
        "The notifications token has expired; request a new one",
        "notifications_token_expired",
      );
    }
    throw unauthorized("The notifications token is invalid", "invalid_notifications_token");
  }
  const { sub, org, cap } = payload;
  if (typeof sub !== "string" || typeof org !== "string" || !Array.isArray(cap) || !cap.includes(SUBSCRIBE)) {
    throw unauthorized("The notifications token is invalid", "invalid_notifications_token");
  }
  return { userId: sub, organizationId: org };
}

/**
 * The organization's WebSocket for the token's user. Everything is checked before the upgrade, so a
 * refused client never gets a socket: the token (401), that it names this organization (401), that
 * the user still belongs to it (404/403), and that the request is an upgrade (426).
 */
export async function openNotificationsSocket(
  ctx: ServiceContext,
  input: { token: string; organizationId: string; lastId?: string; request: Request },
): Promise<Response> {
  const claims = await verifyNotificationsToken(ctx, input.token);
  if (claims.organizationId !== input.organizationId) {
    throw unauthorized("The notifications token is for another organization", "invalid_notifications_token");
  }
  await requireOrgAccess({ ...ctx, userId: claims.userId }, claims.organizationId, "notifications.read");
  if (input.request.headers.get("upgrade")?.toLowerCase() !== "websocket") {
    throw new AppError(426, "upgrade_required", "Open this URL as a WebSocket (Upgrade: websocket)");
  }
  const url = new URL("https://notifications.internal/connect");
  url.searchParams.set("user_id", claims.userId);
  if (input.lastId) url.searchParams.set("last_id", input.lastId);
  return notificationsStub(ctx.env, claims.organizationId).fetch(url.toString(), {
    headers: input.request.headers,
  });
}

// ---------------------------------------------------------------------------------------------
// Reading

export async function listNotifications(ctx: ActorContext, organizationId: string, page: Page) {
  await requireOrgAccess(ctx, organizationId, "notifications.read");
  const result = await notificationsStub(ctx.env, organizationId).list(ctx.userId, page);
  return { ...pageEnvelope(result.data, result.totalCount, page), unreadCount: result.unreadCount };
}

export async function markNotifications(
  ctx: ActorContext,
  organizationId: string,
  notificationIds: string[],
  mark: "read" | "cleared",
) {
  await requireOrgAccess(ctx, organizationId, "notifications.read");
  const count = await notificationsStub(ctx.env, organizationId).mark(ctx.userId, notificationIds, mark);
  return { success: true as const, count };
}

// ---------------------------------------------------------------------------------------------
// Feeding

/**
 * Stores and pushes one notification (billing, the ledger, imports). Idempotent by `sourceId`: a
 * retried caller gets null instead of a second notification. Throws when the object is unreachable,
 * so a queue job calling it is retried.
 */
export function notifyOrganization(
  env: Pick<AppBindings, "NOTIFICATIONS">,
  organizationId: string,
  notification: NotificationInput,
) {
  return notificationsStub(env, organizationId).notify(notification);
}

/** `notifyOrganization` after the response, for request paths: a failure is logged, not thrown. */
export function notifyAfterResponse(
  ctx: ServiceContext,
  organizationId: string,
  notification: NotificationInput,
) {
  ctx.defer(
    notifyOrganization(ctx.env, organizationId, notification).catch((error) =>
      ctx.log("warn", "notification not sent", {
        organizationId,
        type: notification.type,
        error: String(error),
      }),
    ),
  );
}

/** The feed read of one organization's object (the JOBS handler of `notifications.poke`). */
export const runNotificationsPoke = (env: Pick<AppBindings, "NOTIFICATIONS">, organizationId: string) =>
  notificationsStub(env, organizationId).poke(organizationId);

/**
 * Pokes the objects of organizations whose invoice events were just appended, after the response, so
 * their clients hear of it at once. A poke that fails is queued for a retry.
 */
export function pokeNotifications(ctx: ServiceContext, organizationIds: Array<string | null>) {
  const ids = [...new Set(organizationIds.filter((id): id is string => id !== null))];
  if (ids.length === 0) return;
  ctx.defer(
    Promise.all(
      ids.map(async (organizationId) => {
        try {
          await runNotificationsPoke(ctx.env, organizationId);
        } catch (error) {
          ctx.log("warn", "notifications poke failed; queued", { organizationId, error: String(error) });
          await ctx.env.JOBS.send({ type: "notifications.poke", organizationId }).catch((queueError) =>
            ctx.log("warn", "notifications poke not queued", { organizationId, error: String(queueError) }),
          );
        }
      }),
    ),
  );
}

/** The cron's safety net: a queued poke for every organization with invoice events in the last two hours. */
export async function sweepNotifications(ctx: ServiceContext, now = new Date()) {
  const cutoff = new Date(now.getTime() - SWEEP_WINDOW_MS).toISOString();
  // Offsets grow with time: the newest event older than the window bounds the recent ones, found by
  // walking back from the newest event only as far as the window.
  const [before] = await ctx.db
    .select({ offset: invoiceEvents.offset })
    .from(invoiceEvents)
    .where(lt(invoiceEvents.createdAt, cutoff))
    .orderBy(desc(invoiceEvents.offset))
    .limit(1);
  const sides = await ctx.db
    .selectDistinct({ organizationId: invoiceEvents.organizationId, providerId: invoiceEvents.providerId })
    .from(invoiceEvents)
    .where(gt(invoiceEvents.offset, before?.offset ?? 0));
  const ids = [...new Set(sides.flatMap((s) => [s.organizationId, s.providerId]))].filter(
    (id): id is string => id !== null,
  );
  for (const chunk of inChunks(ids, SEND_BATCH_LIMIT)) {
    await ctx.env.JOBS.sendBatch(
      chunk.map((organizationId) => ({ body: { type: "notifications.poke", organizationId } as JobMessage })),
    );
  }
  return { organizations: ids.length };
}

/**
 * After a stamp's capture: warns the organization when that charge took its balance below the
 * threshold. Runs after the response; a failure only loses the warning.
 */
export function checkLowBalance(
  ctx: ServiceContext,
  organizationId: string,
  captured: { id: string; amount: string },
) {
  const charged = parseMxn(captured.amount) ?? 0;
  if (charged === 0) return;
  ctx.defer(
    (async () => {
      const balance = await ledgerCall(ctx.env, organizationId, async (l) => ({
        ok: true,
        value: await l.balance(),
      }));
      const cents = parseMxn(balance.balanceAmount) ?? 0;
      if (!crossedBelow(cents, charged, LOW_BALANCE_THRESHOLD_CENTS)) return;
      await notifyOrganization(
        ctx.env,
        organizationId,
        lowBalanceNotification({
          captureId: captured.id,
          balanceAmount: balance.balanceAmount,
          thresholdAmount: formatMxn(LOW_BALANCE_THRESHOLD_CENTS),
        }),
      );
    })().catch((error) =>
      ctx.log("warn", "low-balance check failed", { organizationId, error: String(error) }),
    ),
  );
}

/**
 * A ZIP import's news after one of its slices: completed or failed once, and its 25/50/75 % marks
 * while it runs. A failure is logged: the import itself has succeeded.
 */
export async function notifyImportProgress(ctx: ServiceContext, taskId: string) {
  try {
    const [task] = await ctx.db.select().from(tasks).where(eq(tasks.id, taskId)).limit(1);
    if (!task) return;
    const counts = {
      taskId,
      total: task.total,
      processed: task.processed,
      created: task.created,
      duplicates: task.duplicates,
      failed: task.failed,
    };
    let notification: NotificationInput | null = null;
    if (task.status === "completed") {
      notification = {
        sourceId: `task:${taskId}:completed`,
        type: "import.completed",
        title: "Invoice import finished",
        body: `${task.created} imported, ${task.duplicates} duplicates and ${task.failed} failed of ${task.total} files`,
        data: counts,
      };
    } else if (task.status === "failed") {
      notification = {
        sourceId: `task:${taskId}:failed`,
        type: "import.failed",
        title: "Invoice import failed",
        body: task.error ?? "The import could not be completed",
        data: { ...counts, error: task.error },
      };
    } else {
      const quarter = importProgressQuarter(task.processed, task.total);
      if (quarter !== null) {
        notification = {
          sourceId: `task:${taskId}:progress:${quarter}`,
          type: "import.progress",
          title: "Invoice import in progress",
          body: `${task.processed} of ${task.total} files processed`,
          data: counts,
        };
      }
    }
    if (notification) await notifyOrganization(ctx.env, task.organizationId, notification);
  } catch (error) {
    ctx.log("warn", "import notification not sent", { taskId, error: String(error) });
  }
}
