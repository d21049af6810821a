/**
 * What a stamp relates to in the inbox, turned into the engine's input: the CfdiRelacionados of an
 * ingreso or a credit note (type E), and the whole input of a payment complement (type P, Pagos 2.0).
 * Only invoices issued by the stamping organization (its `provider_id` side, with a UUID) can be
 * related; an id or UUID of anyone else's invoice is indistinguishable from one that does not exist
 * (422 `related_invoice_not_found`), so nothing about other tenants leaks.
 *
 * A payment complement pays PPD ingresos issued to the complement's recipient, each at most what is
 * still owed. What is owed (ImpSaldoAnt) is the invoice's total minus the complements the inbox has
 * applied to it, not its manual payments: a manual payment records money the complement itself
 * documents, so counting both would refuse the complement for the very payment it covers. NumParcialidad
 * follows the complements already applied. The taxes of the paid share come from the invoice's
 * concepts (shared/invoices/stamp-payments).
 */
import { and, eq, inArray, isNotNull } from "drizzle-orm";
import { inChunks } from "../../db/client";
import { invoiceItemTaxes, invoices } from "../../db/schema";
import { type Dec, dec, decimalPlaces, formatAmount } from "../../shared/cfdi/amounts";
import type { InvoiceInput } from "../../shared/cfdi/build";
import { badRequest, unprocessable } from "../../shared/errors";
import { currencyPlaces } from "../../shared/invoices/payment-status";
import { type ConceptTax, documentEquivalence, paidShareTaxes } from "../../shared/invoices/stamp-payments";
import { normalizeRfc } from "../../shared/rfc";
import type { ActorContext } from "./context";
import { loadPaymentRecords, stateOf } from "./invoice-payment-state";
import type { StampInvoiceInput, StampingIssuer } from "./stamping";

type InvoiceRow = typeof invoices.$inferSelect;
type Amount = string | number;
type Recipient = StampInvoiceInput["recipient"];

export interface StampRelatedDocuments {
  /** c_TipoRelacion, e.g. "01" (nota de crédito de los documentos relacionados). */
  relationship: string;
  uuids?: string[];
  invoiceIds?: string[];
}

export interface StampPaymentDocument {
  invoiceId: string;
  /** ImpPagado, in the invoice's currency. */
  amount: Amount;
  /** NumParcialidad; the one after the complements already applied when absent. */
  installment?: number;
  /** EquivalenciaDR, when it cannot be derived (see `documentEquivalence`). */
  equivalence?: Amount;
}

export interface StampPayment {
  /** FechaPago, Mexico City time: "YYYY-MM-DDTHH:mm:ss" or "YYYY-MM-DD" (then 12:00:00, as SAT asks). */
  date: string;
  paymentForm: string;
  /** The related invoices' currency when they share one, else MXN. */
  currency?: string;
  exchangeRate?: Amount;
  operationNumber?: string;
  relatedDocuments: StampPaymentDocument[];
}

export interface StampPaymentInput {
  recipient: Recipient;
  payments: StampPayment[];
  series?: string;
  folioNumber?: number | string;
}

const invalid = (path: string, message: string) =>
  badRequest("validation_failed", "The request is invalid", [{ path, message, code: "custom" }]);

const notIssued = (path: string, value: string) =>
  unprocessable(
    "related_invoice_not_found",
    "No invoice issued by this organization has this id or UUID in the inbox",
    { path, value },
  );

/** The organization's issued invoices with these ids or UUIDs, keyed by the value asked for. */
async function issuedInvoices(
  ctx: ActorContext,
  organizationId: string,
  column: "id" | "uuid",
  values: readonly string[],
): Promise<Map<string, InvoiceRow>> {
  const out = new Map<string, InvoiceRow>();
  for (const chunk of inChunks([...new Set(values)])) {
    const rows = await ctx.db
      .select()
      .from(invoices)
      .where(
        and(
          eq(invoices.providerId, organizationId),
          isNotNull(invoices.uuid),
          inArray(invoices[column], chunk),
        ),
      );
    for (const row of rows) out.set(column === "id" ? row.id : row.uuid!, row);
  }
  return out;
}

function requireRecipient(invoice: InvoiceRow, recipient: Recipient, path: string) {
  if (normalizeRfc(invoice.recipientTaxIdentifier ?? "") !== normalizeRfc(recipient.taxIdentifier)) {
    throw unprocessable(
      "related_invoice_recipient_mismatch",
      "The related invoice was issued to another recipient",
      { path, invoiceId: invoice.id, recipientTaxIdentifier: invoice.recipientTaxIdentifier },
    );
  }
}

/**
 * CfdiRelacionados of an ingreso or egreso, one group per relationship. A credit note needs at least
 * one, each issued to its recipient and not cancelled; an ingreso may relate any invoice it issued (a
 * substitution, 04, may correct the recipient).
 */
export async function relatedDocumentsInput(
  ctx: ActorContext,
  organizationId: string,
  input: Pick<StampInvoiceInput, "type" | "recipient" | "relatedDocuments">,
): Promise<{ relationType: string; uuids: string[] }[]> {
  const related = input.relatedDocuments ?? [];
  if (input.type === "E" && related.length === 0) {
    throw invalid("relatedDocuments", "A credit note (type E) relates at least one invoice");
  }
  if (related.length === 0) return [];
  const byId = await issuedInvoices(
    ctx,
    organizationId,
    "id",
    related.flatMap((r) => r.invoiceIds ?? []),
  );
  const byUuid = await issuedInvoices(
    ctx,
    organizationId,
    "uuid",
    related.flatMap((r) => (r.uuids ?? []).map((uuid) => uuid.toUpperCase())),
  );
  const groups = new Map<string, Set<string>>();
  related.forEach((r, i) => {
    const refs = [
      ...(r.uuids ?? []).map((uuid, j) => ({
        path: `relatedDocuments.${i}.uuids.${j}`,
        value: uuid,
        invoice: byUuid.get(uuid.toUpperCase()),
      })),
      ...(r.invoiceIds ?? []).map((id, j) => ({
        path: `relatedDocuments.${i}.invoiceIds.${j}`,
        value: id,
        invoice: byId.get(id),
      })),
    ];
    const uuids = groups.get(r.relationship) ?? new Set<string>();
    for (const { path, value, invoice } of refs) {
      if (!invoice) throw notIssued(path, value);
      if (input.type === "E") {
        requireRecipient(invoice, input.recipient, path);
        if (invoice.isCancelled) {
          throw unprocessable(
            "related_invoice_cancelled",
            "A credit note cannot relate a cancelled invoice",
            {
              path,
              invoiceId: invoice.id,
            },
          );
        }
      }
      uuids.add(invoice.uuid!);
    }
    groups.set(r.relationship, uuids);
  });
  return [...groups].map(([relationType, uuids]) => ({ relationType, uuids: [...uuids] }));
}

function requirePayable(invoice: InvoiceRow, recipient: Recipient, path: string) {
  requireRecipient(invoice, recipient, path);
  if (invoice.cfdiType !== "I" || invoice.paymentMethod !== "PPD") {
    throw unprocessable(
      "related_invoice_not_ppd",
      "A payment complement pays ingreso invoices issued with paymentMethod PPD only",
      { path, invoiceId: invoice.id, cfdiType: invoice.cfdiType, paymentMethod: invoice.paymentMethod },
    );
  }
  if (invoice.isCancelled || invoice.status === "not_valid") {
    throw unprocessable("related_invoice_not_payable", "The related invoice is cancelled or not valid", {
      path,
      invoiceId: invoice.id,
    });
  }
}

async function conceptTaxesOf(ctx: ActorContext, invoiceIds: readonly string[]) {
  const out = new Map<string, ConceptTax[]>();
  for (const chunk of inChunks(invoiceIds)) {
    const rows = await ctx.db
      .select()
      .from(invoiceItemTaxes)
      .where(inArray(invoiceItemTaxes.invoiceId, chunk));
    for (const row of rows) {
      const list = out.get(row.invoiceId) ?? [];
      list.push(row);
      out.set(row.invoiceId, list);
    }
  }
  return out;
}

/**
 * The engine's input of a payment complement from the organization to `input.recipient`, and the
 * invoices it pays. Throws 422 `related_invoice_not_found`, `related_invoice_recipient_mismatch`,
 * `related_invoice_not_ppd`, `related_invoice_not_payable` and `amount_exceeds_related_document_balance`
 * (details: path, balance), and 400 `validation_failed` for an amount with more decimals than the
 * invoice's currency or an EquivalenciaDR that cannot be derived.
 */
export async function paymentComplementInput(
  ctx: ActorContext,
  organizationId: string,
  issuer: StampingIssuer,
  input: StampPaymentInput,
): Promise<{ input: InvoiceInput; invoiceIds: string[] }> {
  const refs = input.payments.flatMap((p, i) =>
    p.relatedDocuments.map((doc, j) => ({ path: `payments.${i}.relatedDocuments.${j}`, doc })),
  );
  const found = await issuedInvoices(
    ctx,
    organizationId,
    "id",
    refs.map((r) => r.doc.invoiceId),
  );
  for (const { path, doc } of refs) {
    const invoice = found.get(doc.invoiceId);
    if (!invoice) throw notIssued(`${path}.invoiceId`, doc.invoiceId);
    requirePayable(invoice, input.recipient, `${path}.invoiceId`);
  }
  const invoiceIds = [...found.keys()];
  const [records, conceptTaxes] = await Promise.all([
    loadPaymentRecords(ctx.db, invoiceIds),
    conceptTaxesOf(ctx, invoiceIds),
  ]);
  // What each invoice still owes and its last installment, advanced as this request's documents pay it.
  const open = new Map<string, { balance: Dec; installment: number }>();
  for (const id of invoiceIds) {
    const applied = records.get(id)!.documents;
    const owed = stateOf(found.get(id)!, { documents: applied, manual: [] }).fields.dueAmount;
    open.set(id, { balance: dec(owed), installment: applied.length });
  }

  const payments = input.payments.map((payment, i) => {
    const currencies = new Set(payment.relatedDocuments.map((d) => found.get(d.invoiceId)!.currencyCode));
    const currency = payment.currency ?? (currencies.size === 1 ? [...currencies][0]! : "MXN");
    const exchangeRate = payment.exchangeRate === undefined ? undefined : String(payment.exchangeRate);
    return {
      date: payment.date,
      paymentForm: payment.paymentForm,
      currency,
      ...(exchangeRate !== undefined && { exchangeRate }),
      ...(payment.operationNumber !== undefined && { operationNumber: payment.operationNumber }),
      relatedDocuments: payment.relatedDocuments.map((doc, j) => {
        const path = `payments.${i}.relatedDocuments.${j}`;
        const invoice = found.get(doc.invoiceId)!;
        const places = currencyPlaces(invoice.currencyCode);
        const amount = String(doc.amount);
        if (decimalPlaces(amount) > places) {
          throw invalid(
            `${path}.amount`,
            `amount has more decimals than ${invoice.currencyCode} allows (${places})`,
          );
        }
        const state = open.get(invoice.id)!;
        if (dec(amount).gt(state.balance)) {
          throw unprocessable(
            "amount_exceeds_related_document_balance",
            "The amount exceeds what the invoice still owes",
            {
              path: `${path}.amount`,
              invoiceId: invoice.id,
              balance: formatAmount(state.balance, places),
              amount,
            },
          );
        }
        const equivalence = documentEquivalence(
          invoice.currencyCode,
          { currency, exchangeRate },
          doc.equivalence === undefined ? undefined : String(doc.equivalence),
        );
        if (equivalence === null) {
          throw invalid(
            `${path}.equivalence`,
            `equivalence is required: the invoice is in ${invoice.currencyCode}, the payment in ${currency}`,
          );
        }
        const previousBalance = formatAmount(state.balance, places);
        state.balance = state.balance.minus(amount);
        state.installment = doc.installment ?? state.installment + 1;
        return {
          uuid: invoice.uuid!,
          ...(invoice.series && { series: invoice.series }),
          ...(invoice.folioNumber && { folio: invoice.folioNumber }),
          currency: invoice.currencyCode,
          ...(equivalence !== undefined && { equivalence }),
          installment: String(state.installment),
          previousBalance,
          amountPaid: amount,
          taxes: paidShareTaxes(conceptTaxes.get(invoice.id) ?? [], invoice.grossPriceAmount, amount, places),
        };
      }),
    };
  });

  return {
    invoiceIds,
    input: {
      type: "P",
      issuer: { rfc: issuer.rfc, name: issuer.name, taxRegime: issuer.taxRegime },
      receptor: {
        rfc: input.recipient.taxIdentifier,
        name: input.recipient.name,
        taxRegime: input.recipient.taxRegime,
        postalCode: input.recipient.postalCode,
        cfdiUse: "CP01",
      },
      expeditionPostalCode: issuer.postalCode,
      payments,
    },
  };
}
