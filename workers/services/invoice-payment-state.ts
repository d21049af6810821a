/**
 * What has been paid on invoices, read from the database: the applied documents of valid payment
 * complements and the manual payments, the payment state derived from them (shared/invoices/
 * payment-status), and how that part of the Invoice object is presented (`estadoPago`, `pagos`,
 * `payments`, `invoicePayments`). Both payment services recompute an invoice's stored payment fields
 * from here after every change, and the invoice detail shows the same computation.
 *
 * Writes that depend on what was read use `guardedInvoiceUpdate`: D1 has no interactive transactions,
 * so the update itself checks that the invoice is still as it was read (status, paid amount,
 * updatedAt) and otherwise sets `status` to NULL, which the NOT NULL constraint turns into an error
 * that rolls the whole batch back. Nothing of a batch whose invoices changed underneath it is written.
 */
import { and, eq, inArray, sql } from "drizzle-orm";
import type { BatchItem } from "drizzle-orm/batch";
import { type Db, inChunks } from "../../db/client";
import {
  files,
  invoicePaymentDocuments,
  invoicePayments,
  invoices,
  paymentInvoices,
  payments,
} from "../../db/schema";
import { notFound } from "../../shared/errors";
import {
  type AppliedComplementDocument,
  type AppliedManualPayment,
  type PaymentState,
  paymentState,
} from "../../shared/invoices/payment-status";
import type { Permission } from "../../shared/permissions";
import type { ActorContext } from "./context";
import { presentFile } from "./files";
import { type OrgAccess, requireSharedAccess } from "./tenancy";

type InvoiceRow = typeof invoices.$inferSelect;
type InvoiceChanges = Partial<Omit<typeof invoices.$inferInsert, "id" | "status" | "updatedAt">> & {
  status?: InvoiceRow["status"];
};
export type ComplementRow = typeof invoicePayments.$inferSelect;
export type ComplementDocumentRow = typeof invoicePaymentDocuments.$inferSelect;
export type PaymentRow = typeof payments.$inferSelect;
export type PaymentLinkRow = typeof paymentInvoices.$inferSelect;

/** Everything applied to one invoice. */
export interface InvoicePaymentRecords {
  documents: { document: ComplementDocumentRow; complement: ComplementRow }[];
  manual: { link: PaymentLinkRow; payment: PaymentRow }[];
}

/**
 * The invoices named by a request, in its order, each checked with the tenant rule for shared records
 * (either side, `permission`): an id that does not exist or that the caller cannot see → 404, a role
 * without the permission → 403. Invoices of one pair of organizations share one check.
 */
export async function accessibleInvoices(
  ctx: ActorContext,
  ids: readonly string[],
  permission: Permission,
): Promise<{ invoice: InvoiceRow; access: OrgAccess & { side: "organization" | "provider" } }[]> {
  const rows = new Map<string, InvoiceRow>();
  for (const part of inChunks([...new Set(ids)])) {
    for (const row of await ctx.db.select().from(invoices).where(inArray(invoices.id, part)))
      rows.set(row.id, row);
  }
  const checked = new Map<string, OrgAccess & { side: "organization" | "provider" }>();
  const out = [];
  for (const id of ids) {
    const invoice = rows.get(id);
    if (!invoice) throw notFound("Invoice");
    const pair = `${invoice.organizationId}|${invoice.providerId}`;
    let access = checked.get(pair);
    if (!access) {
      access = await requireSharedAccess(ctx, invoice, permission, "Invoice");
      checked.set(pair, access);
    }
    out.push({ invoice, access });
  }
  return out;
}

/** The applied complement documents and manual payments of each invoice (every id has an entry). */
export async function loadPaymentRecords(
  db: Db,
  invoiceIds: readonly string[],
): Promise<Map<string, InvoicePaymentRecords>> {
  const out = new Map<string, InvoicePaymentRecords>(
    invoiceIds.map((id) => [id, { documents: [], manual: [] }]),
  );
  for (const ids of inChunks([...out.keys()])) {
    const [documents, manual] = await Promise.all([
      db
        .select({ document: invoicePaymentDocuments, complement: invoicePayments })
        .from(invoicePaymentDocuments)
        .innerJoin(invoicePayments, eq(invoicePayments.id, invoicePaymentDocuments.invoicePaymentId))
        .where(and(inArray(invoicePaymentDocuments.invoiceId, ids), eq(invoicePayments.status, "valid"))),
      db
        .select({ link: paymentInvoices, payment: payments })
        .from(paymentInvoices)
        .innerJoin(payments, eq(payments.id, paymentInvoices.paymentId))
        .where(inArray(paymentInvoices.invoiceId, ids)),
    ]);
    for (const row of documents) out.get(row.document.invoiceId)!.documents.push(row);
    for (const row of manual) out.get(row.link.invoiceId)!.manual.push(row);
  }
  return out;
}

export const appliedDocument = (
  document: Omit<
    ComplementDocumentRow,
    "id" | "invoicePaymentId" | "invoiceId" | "relatedUuid" | "createdAt"
  >,
  complementUuid: string | null,
): AppliedComplementDocument => ({
  complementUuid,
  paidAt: document.paidAt,
  paymentForm: document.paymentForm,
  paymentCurrency: document.paymentCurrency,
  documentCurrency: document.documentCurrency,
  equivalence: document.equivalence,
  amountPaid: document.amountPaid,
});

export const appliedManual = (payment: Pick<PaymentRow, "paidAt">, amount: string): AppliedManualPayment => ({
  paidAt: payment.paidAt,
  amount,
});

/** The payment state of an invoice from its records, plus what a service is about to apply. */
export function stateOf(
  invoice: InvoiceRow,
  records: InvoicePaymentRecords,
  added: { documents?: AppliedComplementDocument[]; manual?: AppliedManualPayment[] } = {},
): PaymentState {
  return paymentState(
    invoice,
    [
      ...records.documents.map((r) => appliedDocument(r.document, r.complement.uuid)),
      ...(added.documents ?? []),
    ],
    [...records.manual.map((r) => appliedManual(r.payment, r.link.amount)), ...(added.manual ?? [])],
  );
}

/**
 * The update of one invoice as part of a batch, written only if the invoice is still as `read` saw
 * it; otherwise the batch fails with `NOT NULL constraint failed: invoices.status` (see the header).
 */
export function guardedInvoiceUpdate(
  db: Db,
  read: InvoiceRow,
  changes: InvoiceChanges,
  now: string,
): BatchItem<"sqlite"> {
  const status = changes.status ?? read.status;
  return db
    .update(invoices)
    .set({
      ...changes,
      status: sql`CASE WHEN ${invoices.status} = ${read.status} AND ${invoices.paidAmount} = ${read.paidAmount} AND ${invoices.updatedAt} = ${read.updatedAt} THEN ${status} ELSE NULL END`,
      updatedAt: now,
    })
    .where(eq(invoices.id, read.id)) as unknown as BatchItem<"sqlite">;
}

/** Whether a failed batch was stopped by `guardedInvoiceUpdate`. */
export function isGuardFailure(error: unknown): boolean {
  for (let e: unknown = error; e; e = (e as { cause?: unknown }).cause) {
    if (/NOT NULL constraint failed: invoices\.status/.test(String((e as Error).message ?? e))) return true;
  }
  return false;
}

/**
 * Whether each invoice has complements or manual payments, as columns for listings that present
 * `estadoPago` from the stored payment fields (`estadoPago(row, {paidAmount, hasComplements, …})`).
 * Both subqueries are served by the `invoice_id` indexes of their tables.
 */
export const paymentFlagColumns = {
  // Written out with aliases: drizzle leaves column references unqualified inside a select list, where
  // `id` and `status` would be ambiguous.
  hasComplements:
    sql<boolean>`exists (select 1 from invoice_payment_documents d inner join invoice_payments p on p.id = d.invoice_payment_id where d.invoice_id = ${invoices}."id" and p.status = 'valid')`.mapWith(
      Boolean,
    ),
  hasManualPayments:
    sql<boolean>`exists (select 1 from payment_invoices pi where pi.invoice_id = ${invoices}."id")`.mapWith(
      Boolean,
    ),
};

// ---------------------------------------------------------------------------------------------
// The payment part of the Invoice object.

export interface InvoicePaymentDetail {
  state: PaymentState;
  records: InvoicePaymentRecords;
  files: Map<string, typeof files.$inferSelect>;
}

/** What GET /v1/invoices/{id} shows about payments: estadoPago is computed on every read (seed 002). */
export async function loadInvoicePaymentDetail(db: Db, invoice: InvoiceRow): Promise<InvoicePaymentDetail> {
  const records = (await loadPaymentRecords(db, [invoice.id])).get(invoice.id)!;
  const fileIds = [
    ...records.documents.flatMap((r) => [r.complement.xmlFileId, r.complement.pdfFileId]),
    ...records.manual.map((r) => r.payment.paymentProofFileId),
  ].filter((id): id is string => id !== null);
  const fileRows = new Map<string, typeof files.$inferSelect>();
  for (const ids of inChunks([...new Set(fileIds)])) {
    for (const row of await db.select().from(files).where(inArray(files.id, ids))) fileRows.set(row.id, row);
  }
  return { state: stateOf(invoice, records), records, files: fileRows };
}

const amount = (value: string | null) => (value === null ? null : Number(value));

/** A complement as the API shows it; `documents` are those applied to the invoices in question. */
export function presentComplement(
  complement: ComplementRow,
  documents: ComplementDocumentRow[],
  file: (id: string | null) => ReturnType<typeof presentFile> | null,
) {
  return {
    id: complement.id,
    uuid: complement.uuid,
    version: complement.version,
    status: complement.status,
    validationErrors: complement.validationErrors,
    issuerTaxIdentifier: complement.issuerTaxIdentifier,
    recipientTaxIdentifier: complement.recipientTaxIdentifier,
    totalAmount: Number(complement.totalAmount),
    issuedAt: complement.issuedAt,
    stampedAt: complement.stampedAt,
    xmlFile: file(complement.xmlFileId),
    pdfFile: file(complement.pdfFileId),
    createdAt: complement.createdAt,
    documents: documents.map((d) => ({
      id: d.id,
      invoiceId: d.invoiceId,
      relatedUuid: d.relatedUuid,
      paidAt: d.paidAt,
      paymentForm: d.paymentForm,
      paymentCurrency: d.paymentCurrency,
      documentCurrency: d.documentCurrency,
      equivalence: amount(d.equivalence),
      installment: d.installment,
      previousBalance: amount(d.previousBalance),
      amountPaid: Number(d.amountPaid),
      remainingBalance: amount(d.remainingBalance),
    })),
  };
}

/** A manual payment with the seed's input names; `amount` is the part applied to the invoice. */
export function presentManualPayment(
  payment: PaymentRow,
  applied: Pick<PaymentLinkRow, "amount" | "previousStatus"> | null,
  file: (id: string | null) => ReturnType<typeof presentFile> | null,
) {
  return {
    id: payment.id,
    organizationId: payment.organizationId,
    providerId: payment.providerId,
    ...(applied ? { amount: Number(applied.amount), previousStatus: applied.previousStatus } : {}),
    totalAmount: Number(payment.amount),
    paidAt: payment.paidAt,
    paymentTrackingNumber: payment.trackingNumber,
    paymentReferenceNumber: payment.referenceNumber,
    paymentIssuerBankId: payment.issuerBankId,
    paymentRecipientBankIdentifier: payment.recipientBankIdentifier,
    paymentIsOrderingBank: payment.isOrderingBank,
    paymentProofFile: file(payment.paymentProofFileId),
    createdAt: payment.createdAt,
  };
}

/** The fields the Invoice object gains from its payments. */
export function presentInvoicePayments(detail: InvoicePaymentDetail, origin: string) {
  const file = (id: string | null) => {
    const row = id ? detail.files.get(id) : undefined;
    return row ? presentFile(row, origin) : null;
  };
  const byComplement = new Map<string, { complement: ComplementRow; documents: ComplementDocumentRow[] }>();
  for (const { complement, document } of detail.records.documents) {
    const entry = byComplement.get(complement.id) ?? { complement, documents: [] };
    entry.documents.push(document);
    byComplement.set(complement.id, entry);
  }
  return {
    estadoPago: detail.state.estadoPago,
    pagos: detail.state.pagos,
    payments: detail.records.manual.map(({ payment, link }) => presentManualPayment(payment, link, file)),
    invoicePayments: [...byComplement.values()].map((c) =>
      presentComplement(c.complement, c.documents, file),
    ),
  };
}
