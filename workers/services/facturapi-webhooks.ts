/**
 * Facturapi's webhooks (seed 001 §1.7): receiving them and applying them to the invoices Timbre
 * stamped through Facturapi.
 *
 * Receiving (`receiveFacturapiWebhook`), fast and with no effect unless authentic:
 * 1. `Facturapi-Signature` must be the lowercase hex HMAC-SHA256 of the raw body under
 *    FACTURAPI_WEBHOOK_SECRET, checked in constant time (WebCrypto's verify) → else 401
 *    `webhook_signature_invalid` and nothing is stored;
 * 2. the event is stored once per event id (provider_webhook_events: a redelivery finds it) with the
 *    part the job reads, and a `facturapi.webhook` job is enqueued unless an earlier delivery did.
 *
 * Applying (`applyFacturapiEvent`, the job): `invoice.status_updated` and
 * `invoice.cancellation_status_updated` find the invoice by its Facturapi id (stamping_provider
 * 'facturapi', provider_reference) and move its cancellation state forward (shared/invoices/status:
 * canChangeCancellation) with an event, in one guarded batch. A state already recorded, an event out
 * of order (an older state after a newer one) or a replay changes nothing; an unknown invoice is logged
 * and acknowledged. Facturapi's other statuses (pending, valid, failed of an asynchronous stamp)
 * belong to the stamping reconciliation and are left alone.
 */
import { and, eq, isNull } from "drizzle-orm";
import type { BatchItem } from "drizzle-orm/batch";
import { z } from "zod";
import { batchWrite } from "../../db/client";
import { invoices, providerWebhookEvents } from "../../db/schema";
import { constantTimeEqual, hmacSha256Hex } from "../../shared/auth/crypto";
import { AppError, badRequest, unauthorized } from "../../shared/errors";
import {
  CANCELLATION_STATUSES,
  canChangeCancellation,
  type InvoiceCancellationStatus,
} from "../../shared/invoices/status";
import { nowIso, type ServiceContext } from "./context";
import { announceInvoiceEvents } from "./event-feed";
import { guardedInvoiceUpdate, isGuardFailure } from "./invoice-payment-state";
import { type InvoiceRow, invoiceEventStatement } from "./invoices";

const PROVIDER = "facturapi";
export const HANDLED_EVENTS = ["invoice.status_updated", "invoice.cancellation_status_updated"] as const;

/** What the job reads of an event: the invoice's Facturapi id and states, as Facturapi sent them. */
export interface FacturapiEventData {
  objectId: string | null;
  status: string | null;
  cancellationStatus: string | null;
  canceledAt: string | null;
  createdAt: string | null;
}

const Event = z.object({
  id: z.string().min(1).max(200),
  type: z.string().min(1).max(200),
  created_at: z.string().max(64).optional(),
  livemode: z.boolean().optional(),
  data: z
    .object({
      object: z
        .object({
          id: z.string().max(200).optional(),
          status: z.string().max(64).optional(),
          cancellation_status: z.string().max(64).optional(),
          canceled_at: z.string().max(64).nullable().optional(),
        })
        .passthrough(),
    })
    .passthrough(),
});

/** Whether `signature` is the hex HMAC-SHA256 of `body` under `secret`; compared in constant time. */
export async function verifyFacturapiSignature(
  secret: string,
  body: Uint8Array,
  signature: string | undefined,
): Promise<boolean> {
  const hex = signature?.trim().toLowerCase() ?? "";
  if (!/^[0-9a-f]{64}$/.test(hex)) return false;
  return constantTimeEqual(hex, await hmacSha256Hex(secret, body));
}

export interface WebhookReceipt {
  eventId: string;
  duplicate: boolean;
}

export async function receiveFacturapiWebhook(
  ctx: ServiceContext,
  body: Uint8Array,
  signature: string | undefined,
): Promise<WebhookReceipt> {
  const secret = ctx.env.FACTURAPI_WEBHOOK_SECRET;
  if (!secret || !(await verifyFacturapiSignature(secret, body, signature))) {
    throw unauthorized("The Facturapi-Signature header does not sign this body", "webhook_signature_invalid");
  }
  let parsed: z.infer<typeof Event>;
  try {
    parsed = Event.parse(JSON.parse(new TextDecoder().decode(body)));
  } catch {
    throw badRequest("invalid_request_body", "The webhook body is not a Facturapi event");
  }
  const object = parsed.data.object;
  const data: FacturapiEventData = {
    objectId: object.id ?? null,
    status: object.status ?? null,
    cancellationStatus: object.cancellation_status ?? null,
    canceledAt: object.canceled_at ?? null,
    createdAt: parsed.created_at ?? null,
  };
  const handled = (HANDLED_EVENTS as readonly string[]).includes(parsed.type);
  const now = nowIso();
  const inserted = await ctx.db
    .insert(providerWebhookEvents)
    .values({
      provider: PROVIDER,
      eventId: parsed.id,
      type: parsed.type,
      data: data as unknown as Record<string, unknown>,
      livemode: parsed.livemode ?? null,
      receivedAt: now,
      // Events nobody handles are recorded as seen, never queued.
      ...(!handled && { processedAt: now, outcome: "ignored" }),
    })
    .onConflictDoNothing()
    .returning({ eventId: providerWebhookEvents.eventId });
  const key = and(eq(providerWebhookEvents.provider, PROVIDER), eq(providerWebhookEvents.eventId, parsed.id));
  if (handled) {
    const [row] = await ctx.db
      .select({ enqueuedAt: providerWebhookEvents.enqueuedAt })
      .from(providerWebhookEvents)
      .where(key)
      .limit(1);
    // A delivery whose enqueue failed left the row without enqueuedAt: the redelivery enqueues it.
    if (row && !row.enqueuedAt) {
      await ctx.env.JOBS.send({ type: "facturapi.webhook", eventId: parsed.id });
      await ctx.db.update(providerWebhookEvents).set({ enqueuedAt: nowIso() }).where(key);
    }
  }
  return { eventId: parsed.id, duplicate: inserted.length === 0 };
}

// ---------------------------------------------------------------------------------------------
// Applying

/** Facturapi's cancellation word → ours; `verifying` (SAT checking the request) is still pending. */
function cancellationOf(data: FacturapiEventData): InvoiceCancellationStatus | null {
  if (data.status === "canceled") return "accepted";
  if (data.cancellationStatus === "verifying") return "pending";
  return (CANCELLATION_STATUSES as readonly string[]).includes(data.cancellationStatus ?? "")
    ? (data.cancellationStatus as InvoiceCancellationStatus)
    : null;
}

/** The changes an event makes to the invoice, or null when it has nothing new to say. */
export function facturapiChanges(invoice: InvoiceRow, data: FacturapiEventData, now: string) {
  const target = cancellationOf(data);
  if (!target || target === invoice.cancellationStatus) {
    return target === "accepted" && !invoice.isCancelled ? cancelledFields(data, now) : null;
  }
  if (!canChangeCancellation(invoice.cancellationStatus, target)) return null;
  return {
    cancellationStatus: target,
    ...(invoice.cancellationStatus === null && { cancellationRequestedAt: data.createdAt ?? now }),
    ...(target === "accepted" && !invoice.isCancelled && cancelledFields(data, now)),
  };
}

const cancelledFields = (data: FacturapiEventData, now: string) => ({
  cancellationStatus: "accepted" as const,
  isCancelled: true,
  cancelledAt: data.canceledAt ?? data.createdAt ?? now,
});

export type ApplyOutcome = "updated" | "unchanged" | "invoice_not_found" | "ignored" | "already_processed";

export async function applyFacturapiEvent(ctx: ServiceContext, eventId: string): Promise<ApplyOutcome> {
  const key = and(eq(providerWebhookEvents.provider, PROVIDER), eq(providerWebhookEvents.eventId, eventId));
  const [event] = await ctx.db.select().from(providerWebhookEvents).where(key).limit(1);
  if (!event) {
    ctx.log("warn", "facturapi webhook: no stored event", { eventId });
    return "ignored";
  }
  if (event.processedAt) return "already_processed";
  const data = event.data as unknown as FacturapiEventData;
  const finish = (outcome: ApplyOutcome) =>
    ctx.db
      .update(providerWebhookEvents)
      .set({ processedAt: nowIso(), outcome })
      .where(and(key, isNull(providerWebhookEvents.processedAt)));

  // A guard failure means the invoice changed while this ran: read it again and decide again.
  for (let attempt = 0; attempt < 3; attempt++) {
    const [invoice] = data.objectId
      ? await ctx.db
          .select()
          .from(invoices)
          .where(and(eq(invoices.providerReference, data.objectId), eq(invoices.stampingProvider, PROVIDER)))
          .limit(1)
      : [];
    if (!invoice) {
      ctx.log("warn", "facturapi webhook: no invoice with this Facturapi id", {
        eventId,
        type: event.type,
        objectId: data.objectId,
      });
      await finish("invoice_not_found");
      return "invoice_not_found";
    }
    const now = nowIso();
    const changes = facturapiChanges(invoice, data, now);
    if (!changes) {
      await finish("unchanged");
      return "unchanged";
    }
    try {
      await batchWrite(ctx.db, [
        guardedInvoiceUpdate(ctx.db, invoice, changes, now),
        invoiceEventStatement(
          ctx,
          invoice,
          "isCancelled" in changes ? "invoice.cancelled" : "invoice.updated",
          {
            cancellationStatus: changes.cancellationStatus,
            provider: PROVIDER,
            providerEventId: eventId,
            providerStatus: data.cancellationStatus ?? data.status,
          },
        ),
        finish("updated") as unknown as BatchItem<"sqlite">,
      ]);
      announceInvoiceEvents(ctx, [invoice]);
      return "updated";
    } catch (error) {
      if (!isGuardFailure(error)) throw error;
    }
  }
  throw new AppError(
    409,
    "concurrent_update",
    `Invoice kept changing while applying Facturapi event ${eventId}`,
  );
}
