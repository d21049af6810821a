/**
 * Outgoing webhook subscriptions of an organization (seed 003): create, read, update, delete and the
 * list of deliveries. Every operation checks `webhooks.manage` on the subscription's organization
 * first. A URL passes the SSRF policy (shared/net/url-policy) before it is stored; the signing secret
 * is generated unless given, returned once, and stored sealed under the subscription's identity.
 * Publishing and delivering events live in ./webhook-deliveries.
 */
import { and, count, desc, eq, max } from "drizzle-orm";
import { batchWrite } from "../../db/client";
import { invoiceEvents, webhookDeliveries, webhookSubscriptions } from "../../db/schema";
import { deriveDataKey, open, seal } from "../../shared/crypto/envelope";
import { base64ToBytes, bytesToBase64 } from "../../shared/encoding";
import { notFound } from "../../shared/errors";
import { dohResolver } from "../../shared/net/doh";
import { checkUrl, type UrlPolicy } from "../../shared/net/url-policy";
import { type Page, pageOffset } from "../../shared/pagination";
import { newWebhookSecret } from "../../shared/webhooks/signing";
import type { AppBindings } from "../env";
import { type ActorContext, nowIso, type ServiceContext } from "./context";
import { requireOrgAccess } from "./tenancy";

export type SubscriptionRow = typeof webhookSubscriptions.$inferSelect;
export type DeliveryRow = typeof webhookDeliveries.$inferSelect;

// Versioned: a change of what is sealed gets a new purpose, hence a new key.
const SECRET_PURPOSE = "webhook-secret/v1";
const secretAad = (row: Pick<SubscriptionRow, "id" | "organizationId">) => `${row.organizationId}/${row.id}`;

/**
 * The URL policy of this deployment. The insecure local mode needs the explicit setting and is
 * ignored in production whatever the setting says.
 */
export function webhookUrlPolicy(env: AppBindings): UrlPolicy {
  return {
    resolver: dohResolver(),
    allowInsecureLocal: env.WEBHOOKS_ALLOW_INSECURE_LOCAL === "true" && env.ENVIRONMENT !== "production",
  };
}

export async function subscriptionSecret(ctx: ServiceContext, row: SubscriptionRow): Promise<string> {
  const key = await deriveDataKey(ctx.env.DATA_ENCRYPTION_KEY, SECRET_PURPOSE);
  const plain = await open(
    key,
    { iv: base64ToBytes(row.secretIv), ciphertext: base64ToBytes(row.secretCiphertext) },
    secretAad(row),
  );
  return new TextDecoder().decode(plain);
}

export interface SubscriptionInput {
  name: string;
  url: string;
  eventTypes: string[];
  secret?: string;
  active?: boolean;
}

export async function createSubscription(
  ctx: ActorContext,
  organizationId: string,
  input: SubscriptionInput,
) {
  await requireOrgAccess(ctx, organizationId, "webhooks.manage");
  await checkUrl(input.url, webhookUrlPolicy(ctx.env));
  const id = crypto.randomUUID();
  const secret = input.secret ?? newWebhookSecret();
  const key = await deriveDataKey(ctx.env.DATA_ENCRYPTION_KEY, SECRET_PURPOSE);
  const sealed = await seal(key, new TextEncoder().encode(secret), secretAad({ id, organizationId }));
  // A new subscription receives what happens from now on, not the organization's history; offsets are
  // assigned in commit order, so nothing committed after this read can fall below it.
  const [latest] = await ctx.db.select({ offset: max(invoiceEvents.offset) }).from(invoiceEvents);
  const now = nowIso();
  const row: SubscriptionRow = {
    id,
    organizationId,
    name: input.name,
    url: input.url,
    eventTypes: [...new Set(input.eventTypes)],
    active: input.active ?? true,
    lastPublishedOffset: latest?.offset ?? 0,
    secretIv: bytesToBase64(sealed.iv),
    secretCiphertext: bytesToBase64(sealed.ciphertext),
    createdByUserId: ctx.userId,
    createdAt: now,
    updatedAt: now,
  };
  await ctx.db.insert(webhookSubscriptions).values(row);
  return { subscription: row, secret };
}

export async function listSubscriptions(
  ctx: ActorContext,
  organizationId: string,
  query: Page & { includeInactive: boolean },
) {
  await requireOrgAccess(ctx, organizationId, "webhooks.manage");
  const where = and(
    eq(webhookSubscriptions.organizationId, organizationId),
    query.includeInactive ? undefined : eq(webhookSubscriptions.active, true),
  );
  const [rows, [total]] = await Promise.all([
    ctx.db
      .select()
      .from(webhookSubscriptions)
      .where(where)
      .orderBy(desc(webhookSubscriptions.createdAt), desc(webhookSubscriptions.id))
      .limit(query.limit)
      .offset(pageOffset(query)),
    ctx.db.select({ n: count() }).from(webhookSubscriptions).where(where),
  ]);
  return { rows, totalCount: total?.n ?? 0 };
}

/** A subscription the actor may manage, or 404 (also when it belongs to another organization). */
export async function getSubscription(ctx: ActorContext, id: string): Promise<SubscriptionRow> {
  const [row] = await ctx.db
    .select()
    .from(webhookSubscriptions)
    .where(eq(webhookSubscriptions.id, id))
    .limit(1);
  if (!row) throw notFound("Webhook subscription");
  await requireOrgAccess(ctx, row.organizationId, "webhooks.manage", "Webhook subscription");
  return row;
}

export interface SubscriptionPatch {
  name?: string;
  url?: string;
  eventTypes?: string[];
  active?: boolean;
  /** Moving the cursor back replays events after it; forward skips them. */
  lastPublishedOffset?: number;
}

export async function updateSubscription(ctx: ActorContext, id: string, patch: SubscriptionPatch) {
  const row = await getSubscription(ctx, id);
  if (patch.url !== undefined && patch.url !== row.url) await checkUrl(patch.url, webhookUrlPolicy(ctx.env));
  const changes = {
    ...(patch.name !== undefined ? { name: patch.name } : {}),
    ...(patch.url !== undefined ? { url: patch.url } : {}),
    ...(patch.eventTypes !== undefined ? { eventTypes: [...new Set(patch.eventTypes)] } : {}),
    ...(patch.active !== undefined ? { active: patch.active } : {}),
    ...(patch.lastPublishedOffset !== undefined ? { lastPublishedOffset: patch.lastPublishedOffset } : {}),
    updatedAt: nowIso(),
  };
  const [updated] = await ctx.db
    .update(webhookSubscriptions)
    .set(changes)
    .where(eq(webhookSubscriptions.id, row.id))
    .returning();
  if (!updated) throw notFound("Webhook subscription");
  return updated;
}

/** Removes the subscription and its delivery history; queued deliveries of it find nothing and stop. */
export async function deleteSubscription(ctx: ActorContext, id: string): Promise<void> {
  const row = await getSubscription(ctx, id);
  await batchWrite(ctx.db, [
    ctx.db.delete(webhookDeliveries).where(eq(webhookDeliveries.subscriptionId, row.id)),
    ctx.db.delete(webhookSubscriptions).where(eq(webhookSubscriptions.id, row.id)),
  ]);
}

export async function listDeliveries(
  ctx: ActorContext,
  subscriptionId: string,
  query: Page & { status?: DeliveryRow["status"] },
) {
  const subscription = await getSubscription(ctx, subscriptionId);
  const where = and(
    eq(webhookDeliveries.subscriptionId, subscription.id),
    query.status ? eq(webhookDeliveries.status, query.status) : undefined,
  );
  const [rows, [total]] = await Promise.all([
    ctx.db
      .select()
      .from(webhookDeliveries)
      .where(where)
      .orderBy(desc(webhookDeliveries.createdAt), desc(webhookDeliveries.eventOffset))
      .limit(query.limit)
      .offset(pageOffset(query)),
    ctx.db.select({ n: count() }).from(webhookDeliveries).where(where),
  ]);
  return { rows, totalCount: total?.n ?? 0 };
}

export function presentSubscription(row: SubscriptionRow) {
  return {
    id: row.id,
    organizationId: row.organizationId,
    name: row.name,
    url: row.url,
    eventTypes: row.eventTypes,
    active: row.active,
    lastPublishedOffset: row.lastPublishedOffset,
    createdAt: row.createdAt,
    updatedAt: row.updatedAt,
  };
}

export function presentDelivery(row: DeliveryRow) {
  return {
    id: row.id,
    subscriptionId: row.subscriptionId,
    eventId: row.eventId,
    eventType: row.eventType,
    eventOffset: row.eventOffset,
    status: row.status,
    attempts: row.attempts,
    lastStatusCode: row.lastStatusCode,
    lastError: row.lastError,
    lastAttemptAt: row.lastAttemptAt,
    nextAttemptAt: row.status === "pending" ? row.nextAttemptAt : null,
    deliveredAt: row.deliveredAt,
    parkedAt: row.parkedAt,
    createdAt: row.createdAt,
    /** The body sent on every attempt. */
    payload: JSON.parse(row.payload) as Record<string, unknown>,
  };
}
