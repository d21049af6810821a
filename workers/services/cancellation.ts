/**
 * Cancelling an invoice the organization issued through Timbre (seed "Cancel invoice"): the request
 * goes to the provider that stamped it, with SAT's motive, and the invoice records where the request
 * stands (shared/invoices/status: cancellationStatus).
 *
 * Rules, in order, each refused before the provider is called:
 * - only the issuer (`invoices.stamp` on the invoice's provider side) cancels; the receiver gets 400
 *   `invoice_not_issued`, anyone else 404; an invoice Timbre did not stamp → 400 `invoice_not_stamped`;
 * - a request pending or accepted is not made again: the same motive and substitution answer with the
 *   invoice as it stands (no provider call), another → 409 `cancellation_in_progress` or
 *   `invoice_already_cancelled`;
 * - the seed's: status `sent` (else 400 `invalid_invoice_status`) and payment method PUE or PPD (else
 *   400 `invalid_payment_method`);
 * - motive 01's substitution must be another stamped, uncancelled invoice the organization issued,
 *   named by its id or UUID (else 400 `substitution_not_found`).
 * Then the provider is asked, under an idempotency key derived from the invoice, the motive, the
 * substitution and the previous request (so a retry after a crash repeats the same request, and a new
 * request after a rejected or expired one is a new one). `accepted` marks the invoice cancelled
 * (isCancelled, cancelledAt: it leaves the balances) with an `invoice.cancelled` event; `pending` is
 * recorded with an `invoice.updated` event and followed by the provider's webhooks. Both in one batch,
 * guarded against a concurrent change of the invoice.
 *
 * `force` (the seed: "SAT status won't be checked before setting the invoice as cancelled"): the
 * invoice is marked cancelled at once even while SAT waits for the receiver; the request is still
 * made (skipping it would leave the CFDI valid at SAT) and its status is still tracked.
 */
import { and, eq, or } from "drizzle-orm";
import { batchWrite } from "../../db/client";
import { invoices } from "../../db/schema";
import { mexicoCityInstant } from "../../shared/cfdi/build/time";
import { badRequest, conflict, notFound } from "../../shared/errors";
import { canRequestCancellation } from "../../shared/invoices/status";
import type { CancellationMotive, CancelResult } from "../../shared/pac/provider";
import { type ActorContext, nowIso } from "./context";
import { announceInvoiceEvents } from "./event-feed";
import { guardedInvoiceUpdate, isGuardFailure } from "./invoice-payment-state";
import { type InvoiceRow, invoiceEventStatement } from "./invoices";
import { stampingProviderFor } from "./stamping-providers";
import { findMembership, requireOrgAccess, requireSharedAccess } from "./tenancy";

export interface CancelInvoiceInput {
  motive: CancellationMotive;
  /** Motive 01 only: the substituting invoice's id or UUID. */
  substitution?: string;
  force?: boolean;
}

export interface CancelOutcome {
  invoice: InvoiceRow;
  /** False when the request was already made (nothing was asked of the provider this time). */
  requested: boolean;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

async function loadInvoice(ctx: ActorContext, id: string): Promise<InvoiceRow> {
  const [invoice] = UUID.test(id)
    ? await ctx.db.select().from(invoices).where(eq(invoices.id, id)).limit(1)
    : [];
  if (!invoice) throw notFound("Invoice");
  return invoice;
}

/** The issuer's access: its members with `invoices.stamp`; the receiver's members are told why not. */
async function requireIssuer(ctx: ActorContext, invoice: InvoiceRow): Promise<string> {
  const issuer = invoice.providerId;
  if (!issuer || !(await findMembership(ctx, issuer))) {
    await requireSharedAccess(ctx, invoice, "invoices.read", "Invoice");
    throw badRequest("invoice_not_issued", "Only the organization that issued the invoice can cancel it");
  }
  await requireOrgAccess(ctx, issuer, "invoices.stamp", "Invoice");
  return issuer;
}

/** The substituting invoice of motive 01: the issuer's own, stamped and not cancelled. */
async function substitutionUuid(ctx: ActorContext, issuer: string, invoice: InvoiceRow, ref: string) {
  const [found] = await ctx.db
    .select({ id: invoices.id, uuid: invoices.uuid, isCancelled: invoices.isCancelled })
    .from(invoices)
    .where(
      and(
        eq(invoices.providerId, issuer),
        UUID.test(ref) ? or(eq(invoices.id, ref), eq(invoices.uuid, ref.toUpperCase())) : eq(invoices.id, ""),
      ),
    )
    .limit(1);
  if (!found?.uuid || found.isCancelled || found.id === invoice.id) {
    throw badRequest(
      "substitution_not_found",
      "The substitution must be another stamped, uncancelled invoice issued by this organization (its id or UUID)",
      { substitution: ref },
    );
  }
  return found.uuid;
}

const sameRequest = (invoice: InvoiceRow, motive: string, substitution: string | undefined) =>
  invoice.cancellationMotive === motive && (invoice.cancellationSubstitution ?? undefined) === substitution;

/** A request already pending or accepted: the invoice as it stands, or 409 when another was asked. */
function standing(invoice: InvoiceRow, motive: string, substitution: string | undefined): CancelOutcome {
  if (sameRequest(invoice, motive, substitution)) return { invoice, requested: false };
  const details = {
    cancellationStatus: invoice.cancellationStatus,
    motive: invoice.cancellationMotive,
    substitution: invoice.cancellationSubstitution,
  };
  throw invoice.cancellationStatus === "pending"
    ? conflict("cancellation_in_progress", "A cancellation of this invoice is waiting for SAT", details)
    : conflict("invoice_already_cancelled", "This invoice is already cancelled", details);
}

export async function cancelInvoice(
  ctx: ActorContext,
  id: string,
  input: CancelInvoiceInput,
): Promise<CancelOutcome> {
  const invoice = await loadInvoice(ctx, id);
  const issuer = await requireIssuer(ctx, invoice);
  if (!invoice.stampingProvider || !invoice.uuid || !invoice.stampedAt) {
    throw badRequest("invoice_not_stamped", "Only invoices stamped through Timbre can be cancelled here");
  }
  const substitution =
    input.motive === "01" && input.substitution
      ? await substitutionUuid(ctx, issuer, invoice, input.substitution)
      : undefined;
  if (!canRequestCancellation(invoice.cancellationStatus)) {
    return standing(invoice, input.motive, substitution);
  }
  if (invoice.status !== "sent") {
    throw badRequest("invalid_invoice_status", "The invoice must be in 'sent' status to be cancelled", {
      status: invoice.status,
    });
  }
  if (invoice.paymentMethod !== "PUE" && invoice.paymentMethod !== "PPD") {
    throw badRequest("invalid_payment_method", "The invoice's payment method must be 'PPD' or 'PUE'", {
      paymentMethod: invoice.paymentMethod,
    });
  }

  const provider = await stampingProviderFor(ctx, issuer);
  if (provider.id !== invoice.stampingProvider) {
    throw conflict(
      "stamping_provider_changed",
      `This invoice was stamped through ${invoice.stampingProvider}; the organization now issues through ${provider.id}`,
      { stampingProvider: invoice.stampingProvider, currentProvider: provider.id },
    );
  }
  const result = await provider.cancel({
    uuid: invoice.uuid,
    issuerRfc: invoice.issuerTaxIdentifier ?? "",
    receiverRfc: invoice.recipientTaxIdentifier ?? "",
    total: invoice.grossPriceAmount,
    stampedAt: mexicoCityInstant(invoice.stampedAt).toISOString(),
    ...(invoice.providerReference && { providerReference: invoice.providerReference }),
    motive: input.motive,
    ...(substitution && { substitution }),
    idempotencyKey: [
      "cancel",
      invoice.id,
      input.motive,
      substitution ?? "",
      invoice.cancellationRequestedAt ?? "first",
    ].join(":"),
  });
  return record(ctx, invoice, input, substitution, result);
}

async function record(
  ctx: ActorContext,
  invoice: InvoiceRow,
  input: CancelInvoiceInput,
  substitution: string | undefined,
  result: CancelResult,
): Promise<CancelOutcome> {
  const now = nowIso();
  const cancelled = result.status === "accepted" || (input.force === true && result.status === "pending");
  const changes = {
    cancellationStatus: result.status,
    cancellationMotive: input.motive,
    cancellationSubstitution: substitution ?? null,
    cancellationRequestedAt: result.requestedAt,
    ...(cancelled && { isCancelled: true, cancelledAt: now }),
  };
  const data = {
    motive: input.motive,
    substitution: substitution ?? null,
    cancellationStatus: result.status,
    provider: invoice.stampingProvider,
    providerStatus: result.providerStatus ?? null,
    ...(input.force && { forced: true }),
  };
  try {
    await batchWrite(ctx.db, [
      guardedInvoiceUpdate(ctx.db, invoice, changes, now),
      invoiceEventStatement(ctx, invoice, cancelled ? "invoice.cancelled" : "invoice.updated", data),
    ]);
    announceInvoiceEvents(ctx, [invoice]);
  } catch (error) {
    if (!isGuardFailure(error)) throw error;
    // A concurrent request got there first: the same request answers with what it recorded.
    const current = await loadInvoice(ctx, invoice.id);
    if (!canRequestCancellation(current.cancellationStatus)) {
      return standing(current, input.motive, substitution);
    }
    throw conflict(
      "concurrent_update",
      "The invoice changed while it was being cancelled; read it again and retry",
    );
  }
  return { invoice: await loadInvoice(ctx, invoice.id), requested: true };
}
