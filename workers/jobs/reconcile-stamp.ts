/**
 * Stamps whose outcome the provider left unknown (a timeout, a 5xx, no answer: `isStampOutcomeUnknown`)
 * and their reconciliation, the JOBS message `invoices.reconcile_stamp`.
 *
 * `recordProcessingStamp` (called by ../services/stamping in place of releasing) writes the invoice as
 * `processing` with what is known before the stamp: series and folio, issuer, recipient, totals, the
 * provider. It is the issuer's only until stamped: the receiver sees it once it is a CFDI. The request
 * sent to the provider is kept in R2 (org/<id>/stamping/<invoiceId>.json: the sealed XML, or the
 * document for a provider that seals), and the folio is committed right away: the provider may have
 * issued a CFDI with that Serie/Folio, so the ledger's reservation expiry (10 minutes) must never hand
 * it to another invoice, whatever the reconcile takes. (A reservation cannot be extended; a committed
 * folio cannot be released, so a refused reconcile keeps it on its `not_valid` invoice: numbering
 * stays without gaps and without reuse.) The hold stays held: holds do not expire.
 *
 * `reconcileStamp` asks the provider again under the same idempotency key (Facturapi answers a repeated
 * key with the invoice it created; the sandbox replays or stamps the same sealed XML), then:
 * - stamped → the invoice gets its UUID, XML and PDF, items and taxes from the stamped CFDI, status
 *   `sent` (or `not_valid` if the CFDI fails verification), the receiver; the hold is captured and the
 *   consumption recorded;
 * - refused → `not_valid` with the refusal as its validation error (never counted in balances); the
 *   hold is released;
 * - still unknown → it throws, so the queue retries with backoff; after the last attempt the message
 *   is dead-lettered and the invoice stays `processing`, visible, with its hold.
 * Redelivery: the invoice's row is written under a guard on its status; a settled invoice only has its
 * ledger settlement repeated (capture and release answer the same when repeated), so nothing happens twice.
 */
import { eq } from "drizzle-orm";
import type { BatchItem } from "drizzle-orm/batch";
import { batchWrite, insertRows } from "../../db/client";
import {
  files,
  invoiceItems,
  invoiceItemTaxes,
  invoiceLocalTaxes,
  invoices,
  invoiceTaxes,
} from "../../db/schema";
import type { Cfdi } from "../../shared/cfdi/model";
import { parseCfdi } from "../../shared/cfdi/parse";
import { validateCfdi } from "../../shared/cfdi/validate";
import { verifyCfdi } from "../../shared/cfdi/verify";
import { type AppError, isAppError } from "../../shared/errors";
import { paymentState } from "../../shared/invoices/payment-status";
import { invoiceRecord } from "../../shared/invoices/record";
import { STATUS_CODES } from "../../shared/invoices/status";
import { stampFailedNotification } from "../../shared/notifications/notifications";
import { isStampRefusal, type StampResult } from "../../shared/pac";
import { normalizeRfc } from "../../shared/rfc";
import type { JobMessage } from "../env";
import { type ActorContext, nowIso, type ServiceContext } from "../services/context";
import { announceInvoiceEvents } from "../services/event-feed";
import { prepareFile } from "../services/files";
import { guardedInvoiceUpdate, isGuardFailure } from "../services/invoice-payment-state";
import {
  type InvoiceRow,
  invoiceDetailRows,
  invoiceEventStatement,
  linkedOrganization,
} from "../services/invoices";
import { ledgerCall } from "../services/ledger";
import { notifyOrganization } from "../services/notifications";
import { linkEvidence } from "../services/provider-evidence";
import { settleStamp } from "../services/stamp-settlement";
import { stampedPdf, stampingProviderFor } from "../services/stamping-providers";

/** A stamp whose outcome the provider left unknown, with what it takes to ask again. */
export interface PendingStamp {
  provider: string;
  /** The computed CFDI: what the provider was asked to stamp. */
  document: Cfdi;
  /** The sealed XML sent to a sealed-XML provider (the sandbox); absent for a document provider. */
  sealedXml?: string;
  /** The idempotency key the provider was called with; every reconcile uses it again. */
  providerKey: string;
  holdId: string;
  reservationId: string;
  /** The provider's id of the document, when its failure named one (Facturapi still stamping). */
  providerReference: string | null;
}

export type ReconcileStampJob = Extract<JobMessage, { type: "invoices.reconcile_stamp" }>;

interface StoredRequest {
  document: Cfdi;
  sealedXml?: string;
}

const requestKeyOf = (organizationId: string, invoiceId: string) =>
  `org/${organizationId}/stamping/${invoiceId}.json`;

/** Nothing was verified or validated yet: the processing row only carries the document's facts. */
const UNCHECKED = {
  verification: { valid: true, checks: [] },
  validation: { valid: true, errors: [], warnings: [] },
};

/**
 * Keeps the provider request in R2, writes the invoice `processing` with its `invoice.received` event
 * (one batch), commits the folio and enqueues the reconcile. Throws only before the invoice is written (the
 * caller then releases everything); after that, a failure to commit or enqueue is logged: the
 * invoice is there, visible, and a redelivered or later reconcile commits the folio again.
 */
export async function recordProcessingStamp(
  ctx: ActorContext,
  organizationId: string,
  pending: PendingStamp,
): Promise<InvoiceRow> {
  const id = crypto.randomUUID();
  const stored: StoredRequest = {
    document: pending.document,
    ...(pending.sealedXml !== undefined && { sealedXml: pending.sealedXml }),
  };
  await ctx.env.FILES.put(requestKeyOf(organizationId, id), JSON.stringify(stored), {
    httpMetadata: { contentType: "application/json" },
  });
  const {
    items: _items,
    taxes: _taxes,
    localTaxes: _localTaxes,
    ...fields
  } = invoiceRecord(pending.document, UNCHECKED.verification, UNCHECKED.validation);
  const now = nowIso();
  const sides = { id, organizationId: null, providerId: organizationId };
  await batchWrite(ctx.db, [
    ctx.db.insert(invoices).values({
      ...fields,
      ...sides,
      status: "processing",
      statusCode: STATUS_CODES.processing,
      validationErrors: null,
      validationWarnings: null,
      stampingProvider: pending.provider,
      providerReference: pending.providerReference,
      source: "stamp",
      createdByUserId: ctx.userId,
      createdAt: now,
      updatedAt: now,
    }) as unknown as BatchItem<"sqlite">,
    invoiceEventStatement(ctx, sides, "invoice.received", {
      status: "processing",
      uuid: null,
      source: "stamp",
    }),
  ]);
  const [invoice] = await ctx.db.select().from(invoices).where(eq(invoices.id, id)).limit(1);
  const settle = async (what: string, run: () => Promise<unknown>) => {
    try {
      await run();
    } catch (error) {
      ctx.log("error", `processing stamp: ${what} failed`, {
        organizationId,
        invoiceId: id,
        error: isAppError(error) ? error.code : String(error),
      });
    }
  };
  await linkEvidence(ctx, organizationId, pending.providerKey, id);
  await settle("folio commit", () =>
    ledgerCall(ctx.env, organizationId, (l) => l.commitFolio(pending.reservationId)),
  );
  await settle("enqueue", () =>
    ctx.env.JOBS.send({
      type: "invoices.reconcile_stamp",
      organizationId,
      invoiceId: id,
      providerKey: pending.providerKey,
      holdId: pending.holdId,
      reservationId: pending.reservationId,
    }),
  );
  announceInvoiceEvents(ctx, [{ organizationId: null, providerId: organizationId }]);
  return invoice!;
}

export type ReconcileOutcome = "stamped" | "refused" | "already_settled" | "invoice_not_found";

export async function reconcileStamp(ctx: ServiceContext, job: ReconcileStampJob): Promise<ReconcileOutcome> {
  const [invoice] = await ctx.db.select().from(invoices).where(eq(invoices.id, job.invoiceId)).limit(1);
  if (!invoice || invoice.providerId !== job.organizationId) return "invoice_not_found";
  if (invoice.status !== "processing") {
    await settleLedger(ctx, job, invoice);
    return "already_settled";
  }
  const object = await ctx.env.FILES.get(requestKeyOf(job.organizationId, job.invoiceId));
  if (!object) throw new Error(`the stamp request of invoice ${job.invoiceId} is missing from R2`);
  const request = (await object.json()) as StoredRequest;

  const provider = await stampingProviderFor(
    ctx,
    job.organizationId,
    invoice.stampingProvider === "facturapi" ? "facturapi" : "sandbox",
    { invoiceId: invoice.id, stampOperation: "reconcile" },
  );
  let stamped: StampResult;
  try {
    stamped =
      provider.kind === "document"
        ? await provider.stamp({ document: request.document, idempotencyKey: job.providerKey })
        : await provider.stamp({ xml: request.sealedXml!, idempotencyKey: job.providerKey });
  } catch (error) {
    // Anything but a refusal leaves the outcome unknown still: the queue retries with backoff.
    if (!isStampRefusal(error)) throw error;
    if (!(await markRefused(ctx, invoice, error))) return "already_settled";
    const outcome = await settled(ctx, job, "refused");
    // The notification is a courtesy on top of the invoice's own state: its failure is logged.
    await notifyOrganization(
      ctx.env,
      job.organizationId,
      stampFailedNotification({ invoiceId: invoice.id, code: error.code, message: error.message }),
    ).catch((e) => ctx.log("warn", "stamp.failed not notified", { invoiceId: invoice.id, error: String(e) }));
    return outcome;
  }
  const pdf = await stampedPdf(ctx, provider, stamped);
  return (await markStamped(ctx, invoice, { ...stamped, provider: provider.id }, pdf))
    ? settled(ctx, job, "stamped")
    : "already_settled";
}

async function settled(ctx: ServiceContext, job: ReconcileStampJob, outcome: "stamped" | "refused") {
  const [invoice] = await ctx.db.select().from(invoices).where(eq(invoices.id, job.invoiceId)).limit(1);
  await settleLedger(ctx, job, invoice!);
  announceInvoiceEvents(ctx, [invoice!]);
  return outcome;
}

/**
 * The ledger's side of a settled invoice, repeatable: the folio stays committed; a stamped invoice
 * (it has a UUID) captures the hold and records the consumption, a refused one releases the hold.
 */
async function settleLedger(ctx: ServiceContext, job: ReconcileStampJob, invoice: InvoiceRow) {
  const ledger = <T>(call: Parameters<typeof ledgerCall<T>>[2]) =>
    ledgerCall(ctx.env, job.organizationId, call);
  if (invoice.uuid) {
    await settleStamp(ctx, { ...job, invoiceId: invoice.id });
    return;
  }
  await ledger((l) => l.commitFolio(job.reservationId));
  await ledger((l) => l.release(job.holdId));
}

/** Writes a refusal on the processing invoice; false when another delivery settled it first. */
async function markRefused(ctx: ServiceContext, invoice: InvoiceRow, refusal: AppError): Promise<boolean> {
  const now = nowIso();
  return guardedWrite(ctx, [
    guardedInvoiceUpdate(
      ctx.db,
      invoice,
      {
        status: "not_valid",
        statusCode: STATUS_CODES.not_valid,
        validationErrors: [{ code: refusal.code, message: refusal.message, source: "validation" }],
      },
      now,
    ),
    invoiceEventStatement(ctx, invoice, "invoice.status_changed", {
      from: "processing",
      to: "not_valid",
      code: refusal.code,
    }),
  ]);
}

/**
 * Turns the processing invoice into the stamped CFDI: its fields, items and taxes as the inbox
 * records any CFDI (shared/invoices/record), its files, its receiver. False when another delivery
 * settled it first.
 */
async function markStamped(
  ctx: ServiceContext,
  invoice: InvoiceRow,
  stamped: StampResult & { provider: string },
  pdf: Uint8Array,
): Promise<boolean> {
  const cfdi = parseCfdi(stamped.xml);
  const { items, taxes, localTaxes, ...fields } = invoiceRecord(
    cfdi,
    await verifyCfdi(cfdi),
    validateCfdi(cfdi),
  );
  const receiver =
    (await linkedOrganization(ctx.db, "client", invoice.providerId!, normalizeRfc(cfdi.Receptor.Rfc)))?.id ??
    null;
  // Files belong to the receiving organization when it is here, else to the issuer (as received ones).
  const owner = receiver ?? invoice.providerId!;
  const [xmlFile, pdfFile] = await Promise.all([
    prepareFile(ctx, {
      organizationId: owner,
      type: "invoice_xml",
      file: new File([stamped.xml], `${stamped.uuid}.xml`, { type: "application/xml" }),
    }),
    prepareFile(ctx, {
      organizationId: owner,
      type: "invoice_pdf",
      file: new File([pdf], `${stamped.uuid}.pdf`, { type: "application/pdf" }),
    }),
  ]);
  const now = nowIso();
  const changes = {
    ...fields,
    organizationId: receiver,
    xmlFileId: xmlFile.id,
    pdfFileId: pdfFile.id,
    sentAt: fields.status === "not_valid" ? null : now,
    stampingProvider: stamped.provider,
    providerReference: stamped.providerReference ?? invoice.providerReference,
  };
  Object.assign(changes, paymentState({ ...invoice, ...changes }, [], []).fields);
  const detail = invoiceDetailRows(invoice.id, { items, taxes, localTaxes }, now);
  return guardedWrite(ctx, [
    // First: a delivery that finds the invoice changed stops here, before anything else is written.
    guardedInvoiceUpdate(ctx.db, invoice, changes, now),
    ...insertRows(ctx.db, files, [xmlFile, pdfFile]),
    ...insertRows(ctx.db, invoiceItems, detail.items),
    ...insertRows(ctx.db, invoiceItemTaxes, detail.itemTaxes),
    ...insertRows(ctx.db, invoiceTaxes, detail.taxes),
    ...insertRows(ctx.db, invoiceLocalTaxes, detail.localTaxes),
    invoiceEventStatement(ctx, { ...invoice, organizationId: receiver }, "invoice.status_changed", {
      from: "processing",
      to: fields.status,
      uuid: fields.uuid,
    }),
  ]);
}

async function guardedWrite(ctx: ServiceContext, statements: Parameters<typeof batchWrite>[1]) {
  try {
    await batchWrite(ctx.db, statements);
    return true;
  } catch (error) {
    if (isGuardFailure(error)) return false;
    throw error;
  }
}
