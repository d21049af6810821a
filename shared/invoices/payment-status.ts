/**
 * How much of an invoice has been paid: seed 002's `estadoPago`, its `pagos[]` rows, and the payment
 * fields the inbox stores on the invoice (paidAmount, dueAmount, their micros, lastPaymentAt,
 * fullyPaidAt) so that listings can filter, sort and add them up. Services call `paymentState` after
 * any payment change (complement linked, manual payment created or deleted, total edited) and write
 * `fields`; reads that have only the stored fields call `estadoPago`.
 *
 * Rules (seed 002 and our decisions where it is silent):
 * - Payments are the applied documents of valid payment complements (ImpPagado, in the related
 *   document's currency) and manual payments (in the invoice's currency). The caller passes only what
 *   is applied: documents of `not_valid` complements never reach this module.
 * - A complement document in another currency than the invoice counts through EquivalenciaDR
 *   (document-currency units per payment-currency unit), when the payment is in the invoice's
 *   currency; any other mix cannot be converted and `amountInInvoiceCurrency` refuses it, which is how
 *   linking rejects it before it is stored.
 * - totalPagado is the sum, rounded (SAT half-up) to the currency's decimals, so that
 *   totalPagado + saldoPendiente = totalFactura exactly whenever nothing is overpaid.
 * - PUE invoices count as paid at issuance (the seed's example: PUE, no pagos, PAGADO 100 %).
 * - NO_PAGADO when nothing was paid; otherwise PAGADO when what is left is at most 0.01, else
 *   PAGO_PARCIAL. porcentajePagado is clamped to 0–100 and rounded to 2 decimals.
 * - Nothing is owed on a cancelled or `not_valid` invoice: saldoPendiente is 0 and no PUE assumption
 *   applies; totalPagado, porcentajePagado and estado still report the payments actually received.
 * - Payment complements (type P) and transfers (type T) are not receivables: they report PAGADO, 100 %,
 *   nothing paid and nothing owed. So does any document whose total is 0.
 * - Dates: stored instants are ISO 8601 UTC; CFDI dates without offset (Fecha, FechaPago) and plain
 *   dates (a manual payment's paidAt) are Mexico City time.
 */

import { monedas } from "../catalogs";
import { Dec, dec, formatAmount, roundSat, sum } from "../cfdi/amounts";
import { mexicoCityInstant } from "../cfdi/build/time";
import { badRequest } from "../errors";
import { toMicros } from "./record";
import type { InvoiceStatus } from "./status";

export const PAID_TOLERANCE = "0.01";

/** Bank transfers (SPEI) are the only manual payments the inbox records (CEP data or its proof). */
const MANUAL_PAYMENT_FORM = "03";

const NOT_RECEIVABLE_TYPES: ReadonlySet<string> = new Set(["P", "T"]);

/** The invoice columns the payment status depends on (an `invoices` row fits). */
export interface PayableInvoice {
  grossPriceAmount: string;
  currencyCode: string;
  paymentMethod: string | null;
  cfdiType: string | null;
  status: InvoiceStatus;
  isCancelled: boolean;
  issuedAt: string | null;
  stampedAt: string | null;
}

/** One applied DoctoRelacionado (an `invoice_payment_documents` row) with its complement's UUID. */
export interface AppliedComplementDocument {
  complementUuid: string | null;
  paidAt: string;
  paymentForm: string | null;
  paymentCurrency: string | null;
  documentCurrency: string | null;
  equivalence: string | null;
  amountPaid: string;
}

/** One manual payment as applied to this invoice (`payment_invoices.amount`, `payments.paidAt`). */
export interface AppliedManualPayment {
  paidAt: string;
  amount: string;
}

export type Estado = "PAGADO" | "PAGO_PARCIAL" | "NO_PAGADO";

/** Seed 002's estadoPago; amounts are JSON numbers as in the seed, exact at the currency's decimals. */
export interface EstadoPago {
  estado: Estado;
  totalFactura: number;
  totalPagado: number;
  saldoPendiente: number;
  porcentajePagado: number;
  completamentePagado: boolean;
  tieneComplementos: boolean;
  tienePagosManuales: boolean;
}

/** Seed 002's pagos[] row; `monto` is in `monedaPago`. */
export interface Pago {
  fechaPago: string;
  formaPago: string | null;
  monedaPago: string;
  monto: number;
  complementoUUID: string | null;
  origen: "COMPLEMENTO" | "MANUAL";
}

/** The payment columns of the `invoices` row. */
export interface PaymentFields {
  paidAmount: string;
  dueAmount: string;
  paidMicros: number;
  dueMicros: number;
  lastPaymentAt: string | null;
  fullyPaidAt: string | null;
}

export interface PaymentState {
  estadoPago: EstadoPago;
  pagos: Pago[];
  fields: PaymentFields;
}

/**
 * Decimals of an invoice's currency (c_Moneda). Stored invoices may carry codes outside the catalog
 * (EXT invoices are not CFDIs), and a read must never fail on stored data, so those use 2.
 */
export const currencyPlaces = (currency: string) => monedas.get(currency)?.decimales ?? 2;

const DATE_ONLY = /^\d{4}-\d{2}-\d{2}$/;
const WALL_CLOCK = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?$/;
const WITH_OFFSET = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:\d{2})$/i;

/**
 * The instant a stored or submitted date denotes, as ISO 8601 UTC: a date (YYYY-MM-DD) is the start of
 * that day in Mexico City, a date-time without offset is Mexico City wall-clock time (SAT's Fecha,
 * FechaPago), a date-time with an offset is taken as is. Anything else is 400 `date_invalid`.
 */
export function instantOf(value: string): string {
  const text = value.trim();
  let at = new Date(Number.NaN);
  if (DATE_ONLY.test(text) || WALL_CLOCK.test(text)) {
    const wallClock = DATE_ONLY.test(text) ? `${text}T00:00:00` : text;
    // Date parsing rolls 2024-02-31 over to March; a round trip exposes days that do not exist.
    const asUtc = new Date(`${wallClock}Z`);
    if (!Number.isNaN(asUtc.getTime()) && asUtc.toISOString().startsWith(wallClock.slice(0, 10))) {
      at = mexicoCityInstant(wallClock);
    }
  } else if (WITH_OFFSET.test(text)) at = new Date(text);
  if (Number.isNaN(at.getTime())) throw badRequest("date_invalid", `Not a date: "${value}"`);
  return at.toISOString();
}

const isReceivableType = (invoice: PayableInvoice) => !NOT_RECEIVABLE_TYPES.has(invoice.cfdiType ?? "");

/** Whether the invoice is a debt at all: a receivable type, in force and valid. */
const isOwed = (invoice: PayableInvoice) =>
  isReceivableType(invoice) && !invoice.isCancelled && invoice.status !== "not_valid";

const paidAtIssuance = (invoice: PayableInvoice) => isOwed(invoice) && invoice.paymentMethod === "PUE";

/**
 * ImpPagado of a complement document in the invoice's currency. Throws 400 `payment_currency_mismatch`
 * when neither the document nor the payment is in the invoice's currency, and
 * `payment_equivalence_invalid` when the conversion has no positive EquivalenciaDR.
 */
export function amountInInvoiceCurrency(invoiceCurrency: string, doc: AppliedComplementDocument): Dec {
  const amount = dec(doc.amountPaid);
  if (doc.documentCurrency === null || doc.documentCurrency === invoiceCurrency) return amount;
  if (doc.paymentCurrency !== invoiceCurrency) {
    throw badRequest(
      "payment_currency_mismatch",
      `The payment is in ${doc.paymentCurrency ?? "an unknown currency"} for a document in ${doc.documentCurrency}, but the invoice is in ${invoiceCurrency}`,
      { invoiceCurrency, documentCurrency: doc.documentCurrency, paymentCurrency: doc.paymentCurrency },
    );
  }
  return amount.div(positiveEquivalence(doc));
}

function positiveEquivalence(doc: AppliedComplementDocument): Dec {
  const equivalence = doc.equivalence === null ? null : dec(doc.equivalence);
  if (equivalence === null || !equivalence.gt(0)) {
    throw badRequest(
      "payment_equivalence_invalid",
      "A payment in another currency than its document needs a positive EquivalenciaDR",
      { equivalence: doc.equivalence },
    );
  }
  return equivalence;
}

/** ImpPagado expressed in the payment's currency (the seed's pagos[].monto with monedaPago). */
function amountInPaymentCurrency(doc: AppliedComplementDocument): { currency: string | null; amount: Dec } {
  const amount = dec(doc.amountPaid);
  if (doc.paymentCurrency === null || doc.paymentCurrency === doc.documentCurrency) {
    return { currency: doc.documentCurrency, amount };
  }
  return {
    currency: doc.paymentCurrency,
    amount: roundSat(amount.div(positiveEquivalence(doc)), currencyPlaces(doc.paymentCurrency)),
  };
}

interface Settlement {
  places: number;
  total: Dec;
  paid: Dec;
  due: Dec;
  percent: Dec;
  estado: Estado;
}

/** The status for a paid amount already in the invoice's currency (before rounding). */
function settle(invoice: PayableInvoice, paidAmount: Dec): Settlement {
  const places = currencyPlaces(invoice.currencyCode);
  const total = dec(invoice.grossPriceAmount);
  const paid = roundSat(paidAmount, places);
  if (!isReceivableType(invoice) || !total.gt(0)) {
    return { places, total, paid, due: new Dec(0), percent: new Dec(100), estado: "PAGADO" };
  }
  const left = total.minus(paid);
  // Nothing paid is NO_PAGADO even when the whole invoice is within the tolerance (a 0.01 invoice).
  const estado: Estado = !paid.gt(0) ? "NO_PAGADO" : left.lte(PAID_TOLERANCE) ? "PAGADO" : "PAGO_PARCIAL";
  const percent = roundSat(Dec.min(100, Dec.max(0, paid.div(total).times(100))), 2);
  const due = isOwed(invoice) ? roundSat(Dec.max(0, left), places) : new Dec(0);
  return { places, total, paid, due, percent, estado };
}

const toNumber = (value: Dec, places: number) => Number(formatAmount(value, places));

function estadoPagoOf(
  s: Settlement,
  flags: { hasComplements: boolean; hasManualPayments: boolean },
): EstadoPago {
  return {
    estado: s.estado,
    totalFactura: toNumber(s.total, s.places),
    totalPagado: toNumber(s.paid, s.places),
    saldoPendiente: toNumber(s.due, s.places),
    porcentajePagado: toNumber(s.percent, 2),
    completamentePagado: s.estado === "PAGADO",
    tieneComplementos: flags.hasComplements,
    tienePagosManuales: flags.hasManualPayments,
  };
}

/**
 * estadoPago from the stored payment fields (`paidAmount` as `paymentState` wrote it), for reads that
 * do not load the payments; gives the same result as `paymentState(...).estadoPago`.
 */
export function estadoPago(
  invoice: PayableInvoice,
  stored: { paidAmount: string; hasComplements: boolean; hasManualPayments: boolean },
): EstadoPago {
  return estadoPagoOf(settle(invoice, dec(stored.paidAmount)), stored);
}

interface Entry {
  at: string;
  amount: Dec;
  pago: Pago;
}

/** The invoice's payments, its estadoPago, and the payment fields to store on the invoice. */
export function paymentState(
  invoice: PayableInvoice,
  complements: readonly AppliedComplementDocument[],
  manualPayments: readonly AppliedManualPayment[],
): PaymentState {
  const entries: Entry[] = [
    ...complements.map((doc): Entry => {
      const inPayment = amountInPaymentCurrency(doc);
      const fechaPago = instantOf(doc.paidAt);
      return {
        at: fechaPago,
        amount: amountInInvoiceCurrency(invoice.currencyCode, doc),
        pago: {
          fechaPago,
          formaPago: doc.paymentForm,
          monedaPago: inPayment.currency ?? invoice.currencyCode,
          monto: toNumber(inPayment.amount, currencyPlaces(inPayment.currency ?? invoice.currencyCode)),
          complementoUUID: doc.complementUuid,
          origen: "COMPLEMENTO",
        },
      };
    }),
    ...manualPayments.map((payment): Entry => {
      const fechaPago = instantOf(payment.paidAt);
      const amount = dec(payment.amount);
      return {
        at: fechaPago,
        amount,
        pago: {
          fechaPago,
          formaPago: MANUAL_PAYMENT_FORM,
          monedaPago: invoice.currencyCode,
          monto: toNumber(amount, currencyPlaces(invoice.currencyCode)),
          complementoUUID: null,
          origen: "MANUAL",
        },
      };
    }),
  ].sort((a, b) => (a.at < b.at ? -1 : a.at > b.at ? 1 : 0));

  const issued = invoice.issuedAt ?? invoice.stampedAt;
  const issuedAt = issued === null ? null : instantOf(issued);
  const atIssuance = paidAtIssuance(invoice);
  const received = sum(entries.map((e) => e.amount));
  const s = settle(invoice, atIssuance ? dec(invoice.grossPriceAmount) : received);

  let fullyPaidAt: string | null = null;
  if (atIssuance) fullyPaidAt = issuedAt;
  else if (isReceivableType(invoice) && s.total.gt(0)) {
    let running = new Dec(0);
    for (const e of entries) {
      running = running.plus(e.amount);
      if (s.total.minus(roundSat(running, s.places)).lte(PAID_TOLERANCE)) {
        fullyPaidAt = e.at;
        break;
      }
    }
  }
  const lastPaymentAt = entries.length > 0 ? entries[entries.length - 1]!.at : atIssuance ? issuedAt : null;

  const paidAmount = formatAmount(s.paid, s.places);
  const dueAmount = formatAmount(s.due, s.places);
  return {
    estadoPago: estadoPagoOf(s, {
      hasComplements: complements.length > 0,
      hasManualPayments: manualPayments.length > 0,
    }),
    pagos: entries.map((e) => e.pago),
    fields: {
      paidAmount,
      dueAmount,
      paidMicros: toMicros(paidAmount),
      dueMicros: toMicros(dueAmount),
      lastPaymentAt,
      fullyPaidAt,
    },
  };
}
