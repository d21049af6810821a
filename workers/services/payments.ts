/**
 * Manual payments (seed #194/#195): a bank transfer proven by its CEP data (tracking or reference
 * number, both banks, the receiving CLABE) or by a payment proof file, covering whole invoices.
 *
 * Permission: `invoices.status` ("update invoice statuses"), because recording a payment is what moves
 * invoices from accepted to paid and deleting it moves them back; the seed ties status changes to that
 * permission. Uploading a payment complement, by contrast, is receiving a document (`invoices.write`).
 *
 * Creating: every invoice must be reachable by the caller, belong to an organization
 * (`invoice_doesnt_belong_to_an_organization`), all to the same one and the same provider, be
 * `accepted` (`invalid_invoice_status`) and share one currency (the payment's amount is their sum).
 * The payment covers each invoice's outstanding balance at that moment (`payment_invoices.amount`, the
 * status it had kept as `previousStatus`), the invoices become `paid` and an `invoice.paid` event is
 * appended per invoice, all in one batch whose invoice updates are guarded: of two concurrent payments
 * of one invoice exactly one is written, the other answers `invalid_invoice_status`.
 *
 * Deleting: every linked invoice must still be `paid` (`invalid_invoice_status`); each returns to its
 * previous status with its payment fields recomputed without the payment (`invoice.payment_removed`).
 */
import { eq } from "drizzle-orm";
import type { BatchItem } from "drizzle-orm/batch";
import { batchWrite, insertRows } from "../../db/client";
import { files, paymentInvoices, payments } from "../../db/schema";
import { formatAmount, sum } from "../../shared/cfdi/amounts";
import { AppError, badRequest, conflict, notFound } from "../../shared/errors";
import { statusTransition } from "../../shared/invoices/edits";
import { currencyPlaces, type PaymentState } from "../../shared/invoices/payment-status";
import type { InvoiceStatus } from "../../shared/invoices/status";
import { type ActorContext, nowIso } from "./context";
import { announceInvoiceEvents } from "./event-feed";
import type { FileRow } from "./files";
import {
  accessibleInvoices,
  appliedManual,
  guardedInvoiceUpdate,
  isGuardFailure,
  loadPaymentRecords,
  type PaymentLinkRow,
  type PaymentRow,
  stateOf,
} from "./invoice-payment-state";
import { type InvoiceRow, invoiceEventStatement } from "./invoices";
import { requireOrgAccess, requireSharedAccess } from "./tenancy";

export interface CreatePaymentInput {
  invoiceIds: string[];
  paymentProofFileId?: string;
  paymentTrackingNumber?: string;
  paymentReferenceNumber?: string;
  paymentIssuerBankId?: string;
  paymentRecipientBankIdentifier?: string;
  paymentIsOrderingBank?: boolean;
  /** YYYY-MM-DD, a Mexico City day; the route has checked it is a real day and not in the future. */
  paidAt: string;
}

export interface PaymentResult {
  payment: PaymentRow;
  proofFile: FileRow | null;
  invoices: { invoice: InvoiceRow; state: PaymentState }[];
}

function statusError(invoices: readonly InvoiceRow[], expected: InvoiceStatus, what: string) {
  const wrong = invoices.filter((i) => i.status !== expected).map((i) => i.id);
  return wrong.length === 0
    ? null
    : badRequest("invalid_invoice_status", `All the invoices must be in '${expected}' status to ${what}`, {
        invoiceIds: wrong,
      });
}

function sameValue<K extends keyof InvoiceRow>(
  invoices: readonly InvoiceRow[],
  key: K,
  code: string,
  what: string,
) {
  if (invoices.some((i) => i[key] !== invoices[0]![key])) {
    throw badRequest(code, `All the invoices of a payment must have the same ${what}`, {
      invoiceIds: invoices.map((i) => i.id),
    });
  }
}

/** The payment proof file, which the caller must be able to read, of one of the two organizations. */
async function proofFile(ctx: ActorContext, id: string, sides: readonly (string | null)[]) {
  const [file] = await ctx.db.select().from(files).where(eq(files.id, id)).limit(1);
  if (!file || !sides.includes(file.organizationId)) throw notFound("File");
  await requireOrgAccess(ctx, file.organizationId, "files.read", "File");
  if (file.type !== "payment_proof") {
    throw badRequest(
      "invalid_payment_proof_file",
      "paymentProofFileId must be a file uploaded with type payment_proof",
      { type: file.type },
    );
  }
  return file;
}

/** After a guarded batch failed: the error the checks give now, else a plain conflict to retry. */
async function afterRace(ctx: ActorContext, ids: string[], expected: InvoiceStatus, what: string) {
  const now = await accessibleInvoices(ctx, ids, "invoices.status");
  return (
    statusError(
      now.map((n) => n.invoice),
      expected,
      what,
    ) ?? conflict("invoice_changed", "The invoices changed while the payment was being written; try again")
  );
}

export async function createPayment(ctx: ActorContext, input: CreatePaymentInput): Promise<PaymentResult> {
  const targets = (await accessibleInvoices(ctx, input.invoiceIds, "invoices.status")).map((t) => t.invoice);
  const orphan = targets.find((i) => i.organizationId === null);
  if (orphan) {
    throw badRequest(
      "invoice_doesnt_belong_to_an_organization",
      "The invoice does not belong to an organization",
      { invoiceId: orphan.id },
    );
  }
  sameValue(targets, "organizationId", "invoices_different_organizations", "organization");
  sameValue(targets, "providerId", "invoices_different_providers", "provider");
  const notAccepted = statusError(targets, "accepted", "pay them");
  if (notAccepted) throw notAccepted;
  sameValue(targets, "currencyCode", "invoices_different_currencies", "currency");
  const first = targets[0]!;
  const proof = input.paymentProofFileId
    ? await proofFile(ctx, input.paymentProofFileId, [first.organizationId, first.providerId])
    : null;

  const now = nowIso();
  const paymentId = crypto.randomUUID();
  const records = await loadPaymentRecords(
    ctx.db,
    targets.map((i) => i.id),
  );
  const applied = targets.map((invoice) => {
    const before = stateOf(invoice, records.get(invoice.id)!);
    const amount = before.fields.dueAmount;
    const state = stateOf(invoice, records.get(invoice.id)!, {
      manual: [appliedManual({ paidAt: input.paidAt }, amount)],
    });
    const transition = statusTransition(invoice.status, "paid", new Date(now));
    if (transition instanceof AppError) throw transition;
    return { invoice, amount, state, transition };
  });

  const payment: PaymentRow = {
    id: paymentId,
    organizationId: first.organizationId!,
    providerId: first.providerId,
    trackingNumber: input.paymentTrackingNumber ?? null,
    referenceNumber: input.paymentReferenceNumber ?? null,
    issuerBankId: input.paymentIssuerBankId ?? null,
    recipientBankIdentifier: input.paymentRecipientBankIdentifier ?? null,
    isOrderingBank: input.paymentIsOrderingBank ?? null,
    paymentProofFileId: proof?.id ?? null,
    paidAt: input.paidAt,
    amount: formatAmount(sum(applied.map((a) => a.amount)), currencyPlaces(first.currencyCode)),
    createdByUserId: ctx.userId,
    createdAt: now,
    updatedAt: now,
  };
  const links: PaymentLinkRow[] = applied.map(({ invoice, amount }) => ({
    paymentId,
    invoiceId: invoice.id,
    amount,
    previousStatus: invoice.status,
  }));
  const statements: BatchItem<"sqlite">[] = [
    ctx.db.insert(payments).values(payment) as unknown as BatchItem<"sqlite">,
    ...insertRows(ctx.db, paymentInvoices, links),
  ];
  const written: PaymentResult["invoices"] = [];
  for (const { invoice, amount, state, transition } of applied) {
    const changes = { ...state.fields, ...transition };
    statements.push(
      guardedInvoiceUpdate(ctx.db, invoice, changes, now),
      invoiceEventStatement(ctx, invoice, "invoice.paid", {
        paymentId,
        amount,
        paidAt: input.paidAt,
        from: invoice.status,
        to: transition.status,
      }),
    );
    written.push({ invoice: { ...invoice, ...changes, updatedAt: now }, state });
  }
  try {
    await batchWrite(ctx.db, statements);
  } catch (error) {
    if (isGuardFailure(error)) throw await afterRace(ctx, input.invoiceIds, "accepted", "pay them");
    throw error;
  }
  announceInvoiceEvents(
    ctx,
    applied.map((a) => a.invoice),
  );
  return { payment, proofFile: proof, invoices: written };
}

async function findPayment(ctx: ActorContext, id: string) {
  const [payment] = await ctx.db.select().from(payments).where(eq(payments.id, id)).limit(1);
  if (!payment) throw notFound("Payment");
  await requireSharedAccess(ctx, payment, "invoices.status", "Payment");
  return payment;
}

export async function deletePayment(ctx: ActorContext, id: string): Promise<Pick<PaymentResult, "invoices">> {
  await findPayment(ctx, id);
  const links = await ctx.db.select().from(paymentInvoices).where(eq(paymentInvoices.paymentId, id));
  const ids = links.map((l) => l.invoiceId);
  const targets = (await accessibleInvoices(ctx, ids, "invoices.status")).map((t) => t.invoice);
  const notPaid = statusError(targets, "paid", "delete their payment");
  if (notPaid) throw notPaid;

  const now = nowIso();
  const records = await loadPaymentRecords(ctx.db, ids);
  const reverted = targets.map((invoice, i) => {
    const own = records.get(invoice.id)!;
    const state = stateOf(invoice, { ...own, manual: own.manual.filter((m) => m.payment.id !== id) });
    const transition = statusTransition(invoice.status, links[i]!.previousStatus, new Date(now));
    if (transition instanceof AppError) throw transition;
    return { invoice, state, transition };
  });

  const statements: BatchItem<"sqlite">[] = [
    ctx.db.delete(paymentInvoices).where(eq(paymentInvoices.paymentId, id)) as unknown as BatchItem<"sqlite">,
    ctx.db.delete(payments).where(eq(payments.id, id)) as unknown as BatchItem<"sqlite">,
  ];
  const written: PaymentResult["invoices"] = [];
  for (const { invoice, state, transition } of reverted) {
    const changes = { ...state.fields, ...transition };
    statements.push(
      guardedInvoiceUpdate(ctx.db, invoice, changes, now),
      invoiceEventStatement(ctx, invoice, "invoice.payment_removed", {
        paymentId: id,
        from: invoice.status,
        to: transition.status,
      }),
    );
    written.push({ invoice: { ...invoice, ...changes, updatedAt: now }, state });
  }
  try {
    await batchWrite(ctx.db, statements);
  } catch (error) {
    if (isGuardFailure(error)) {
      await findPayment(ctx, id);
      throw await afterRace(ctx, ids, "paid", "delete their payment");
    }
    throw error;
  }
  announceInvoiceEvents(
    ctx,
    reverted.map((r) => r.invoice),
  );

  return { invoices: written };
}
