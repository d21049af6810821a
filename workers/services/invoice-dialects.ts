/**
 * Invoice rows in the shapes of the other two listings: Syntage's hydra collection member (seed 004)
 * and Contafy's invoice row with `estadoPago`, `pagos` and `validacion` (seed 002). Amounts leave as
 * JSON numbers through the same `amount` as the Invoice object.
 *
 * Fields we hold no data for say so: Syntage's blacklist and cancellation statuses are null (we do not
 * query SAT's 69-B list or cancellation status), `relations` and `tags` are empty, credited amounts 0.
 * Contafy's `validacion`: `valido` is the invoice not being `not_valid`; `errores`/`advertencias` are
 * the engine's findings; `rfcVerificado` / `regimenFiscalVerificado` say whether the profile's RFC /
 * one of its régimenes is what the CFDI states for the profile's side; `uuidDuplicado` is always
 * false, because a second upload of a UUID is refused (409) and never stored.
 */
import { and, eq, inArray } from "drizzle-orm";
import { type Db, inChunks } from "../../db/client";
import type { InvoiceRow } from "../../db/invoice-queries";
import { invoiceItems, invoiceTaxes, type organizations } from "../../db/schema";
import { dec, formatAmount } from "../../shared/cfdi/amounts";
import { currencyPlaces } from "../../shared/invoices/payment-status";
import { loadPaymentRecords, stateOf } from "./invoice-payment-state";
import { amount } from "./invoice-presenter";

type Organization = typeof organizations.$inferSelect;

async function byChunks<T>(ids: readonly string[], load: (ids: string[]) => Promise<T[]>): Promise<T[]> {
  const out: T[] = [];
  for (const chunk of inChunks(ids)) out.push(...(await load(chunk)));
  return out;
}

const PAYMENT_TERMS: Record<string, string> = { PUE: "immediate_payment", PPD: "deferred_payment" };

/** One member of Syntage's collection; `taxpayerIds` are the organizations of the taxpayer in the path. */
export function presentSyntageInvoice(invoice: InvoiceRow, taxpayerIds: ReadonlySet<string>) {
  return {
    "@id": `/v1/invoices/${invoice.id}`,
    "@type": "Invoice",
    id: invoice.id,
    uuid: invoice.uuid,
    version: invoice.cfdiVersion === null ? null : Number(invoice.cfdiVersion),
    reference: invoice.series,
    internalIdentifier: invoice.folioNumber,
    type: invoice.cfdiType,
    usage: invoice.cfdiUse,
    paymentType: invoice.paymentMethod,
    paymentMethod: invoice.paymentForm,
    paymentTerms: invoice.paymentMethod ? (PAYMENT_TERMS[invoice.paymentMethod] ?? null) : null,
    paymentTermsRaw: invoice.paymentConditions,
    placeOfIssue: invoice.issuerPostalCode,
    issuer: {
      rfc: invoice.issuerTaxIdentifier,
      name: invoice.issuerName,
      taxRegime: invoice.issuerTaxRegime === null ? null : Number(invoice.issuerTaxRegime),
      blacklistStatus: null,
    },
    isIssuer: invoice.providerId !== null && taxpayerIds.has(invoice.providerId),
    receiver: {
      rfc: invoice.recipientTaxIdentifier,
      name: invoice.recipientName,
      blacklistStatus: null,
    },
    isReceiver: invoice.organizationId !== null && taxpayerIds.has(invoice.organizationId),
    currency: invoice.currencyCode,
    exchangeRate: amount(invoice.exchangeRate),
    discount: amount(invoice.discount),
    tax: amount(dec(invoice.transferredTaxAmount).minus(invoice.withheldTaxAmount).toFixed()),
    subtotal: amount(invoice.netPriceAmount),
    total: amount(invoice.grossPriceAmount),
    creditedAmount: 0,
    subtotalCreditedAmount: 0,
    paidAmount: amount(invoice.paidAmount),
    dueAmount: amount(invoice.dueAmount),
    lastPaymentDate: invoice.lastPaymentAt,
    fullyPaidAt: invoice.fullyPaidAt,
    status: invoice.isCancelled ? "CANCELADO" : "VIGENTE",
    pac: invoice.pacTaxIdentifier,
    issuedAt: invoice.issuedAt,
    certifiedAt: invoice.stampedAt,
    cancellationStatus: null,
    cancellationProcessStatus: null,
    canceledAt: invoice.cancelledAt,
    relations: [],
    xml: invoice.xmlFileId !== null,
    pdf: invoice.pdfFileId !== null,
    createdAt: invoice.createdAt,
    updatedAt: invoice.updatedAt,
    tags: [],
  };
}

interface TaxSums {
  iva: string;
  retencionIva: string;
  retencionIsr: string;
}

/** Everything a page of Contafy rows needs beyond the invoice rows, loaded per page. */
async function contafyExtras(db: Db, invoices: readonly InvoiceRow[]) {
  const ids = invoices.map((i) => i.id);
  const [taxes, firstItems, payments] = await Promise.all([
    byChunks(ids, (chunk) =>
      db
        .select({
          invoiceId: invoiceTaxes.invoiceId,
          taxId: invoiceTaxes.taxId,
          isWithholding: invoiceTaxes.isWithholding,
          value: invoiceTaxes.value,
        })
        .from(invoiceTaxes)
        .where(inArray(invoiceTaxes.invoiceId, chunk)),
    ),
    byChunks(ids, (chunk) =>
      db
        .select({ invoiceId: invoiceItems.invoiceId, description: invoiceItems.description })
        .from(invoiceItems)
        .where(and(inArray(invoiceItems.invoiceId, chunk), eq(invoiceItems.position, 1))),
    ),
    loadPaymentRecords(db, ids),
  ]);
  const sums = new Map<
    string,
    { iva: ReturnType<typeof dec>; retIva: ReturnType<typeof dec>; retIsr: ReturnType<typeof dec> }
  >();
  for (const tax of taxes) {
    if (tax.value === null) continue;
    const entry = sums.get(tax.invoiceId) ?? { iva: dec(0), retIva: dec(0), retIsr: dec(0) };
    if (tax.taxId === "002" && !tax.isWithholding) entry.iva = entry.iva.plus(tax.value);
    if (tax.taxId === "002" && tax.isWithholding) entry.retIva = entry.retIva.plus(tax.value);
    if (tax.taxId === "001" && tax.isWithholding) entry.retIsr = entry.retIsr.plus(tax.value);
    sums.set(tax.invoiceId, entry);
  }
  const taxSums = new Map<string, TaxSums>(
    [...sums].map(([id, s]) => [
      id,
      { iva: s.iva.toFixed(), retencionIva: s.retIva.toFixed(), retencionIsr: s.retIsr.toFixed() },
    ]),
  );
  return {
    taxSums,
    concepts: new Map(firstItems.map((i) => [i.invoiceId, i.description])),
    payments,
  };
}

const TIPO: Record<string, "PUE" | "PPD"> = { PUE: "PUE", PPD: "PPD" };

function contafyTipo(invoice: InvoiceRow) {
  if (invoice.cfdiType === "P") return "COMPLEMENTO_PAGO" as const;
  return invoice.paymentMethod ? (TIPO[invoice.paymentMethod] ?? null) : null;
}

/** Contafy rows for a page; each is presented for the caller's profile on that invoice. */
export async function presentContafyInvoices(
  db: Db,
  invoices: readonly InvoiceRow[],
  profiles: readonly Organization[],
) {
  const { taxSums, concepts, payments } = await contafyExtras(db, invoices);
  const byId = new Map(profiles.map((p) => [p.id, p]));
  return invoices.map((invoice) => {
    // The receiver side first: an invoice between two of the caller's profiles shows as received.
    const side = invoice.organizationId && byId.has(invoice.organizationId) ? "receiver" : "issuer";
    const profile = byId.get((side === "receiver" ? invoice.organizationId : invoice.providerId)!)!;
    const state = stateOf(invoice, payments.get(invoice.id)!);
    const taxes = taxSums.get(invoice.id) ?? { iva: "0", retencionIva: "0", retencionIsr: "0" };
    const places = currencyPlaces(invoice.currencyCode);
    const ownRfc = side === "receiver" ? invoice.recipientTaxIdentifier : invoice.issuerTaxIdentifier;
    const ownRegime = side === "receiver" ? invoice.recipientTaxRegime : invoice.issuerTaxRegime;
    const latest = payments
      .get(invoice.id)!
      .documents.reduce<
        (typeof payments extends Map<string, infer R> ? R : never)["documents"][number] | undefined
      >((last, d) => (!last || d.document.paidAt > last.document.paidAt ? d : last), undefined);
    const fecha = invoice.issuedAt ?? invoice.stampedAt;
    return {
      id: invoice.id,
      profile_id: profile.id,
      uuid: invoice.uuid,
      fecha,
      mes: fecha ? Number(fecha.slice(5, 7)) : null,
      año: fecha ? Number(fecha.slice(0, 4)) : null,
      total: amount(invoice.grossPriceAmount)!,
      subtotal: amount(invoice.netPriceAmount)!,
      iva: amount(formatAmount(taxes.iva, places))!,
      iva_amount: amount(formatAmount(taxes.iva, places))!,
      retencion_iva_amount: amount(formatAmount(taxes.retencionIva, places))!,
      retencion_isr_amount: amount(formatAmount(taxes.retencionIsr, places))!,
      tipo: contafyTipo(invoice),
      rfc_emisor: invoice.issuerTaxIdentifier,
      nombre_emisor: invoice.issuerName,
      regimen_fiscal_emisor: invoice.issuerTaxRegime,
      rfc_receptor: invoice.recipientTaxIdentifier,
      nombre_receptor: invoice.recipientName,
      regimen_fiscal_receptor: invoice.recipientTaxRegime,
      concepto: concepts.get(invoice.id) ?? null,
      pagos: state.pagos,
      complemento_pago: latest
        ? {
            uuid: latest.complement.uuid,
            version: latest.complement.version,
            fechaPago: latest.document.paidAt,
            monto: amount(latest.document.amountPaid)!,
          }
        : null,
      validacion: {
        rfcVerificado: ownRfc === profile.taxIdentifier,
        regimenFiscalVerificado: ownRegime !== null && profile.taxRegimes.includes(ownRegime),
        uuidDuplicado: false,
        advertencias: (invoice.validationWarnings ?? []).map((f) => f.message),
        errores: (invoice.validationErrors ?? []).map((f) => f.message),
        valido: invoice.status !== "not_valid",
      },
      profile: { id: profile.id, nombre: profile.name, rfc: profile.taxIdentifier },
      estadoPago: state.estadoPago,
      created_at: invoice.createdAt,
      updated_at: invoice.updatedAt,
    };
  });
}
