/**
 * The amounts of a payment complement we issue (Pagos 2.0) that come from the invoice it pays rather
 * than from the request: the taxes of the paid share (ImpuestosDR) and the EquivalenciaDR between the
 * invoice's currency and the payment's. Pure: the stamping service reads the invoice and calls these.
 *
 * Taxes of the paid share: each tax group of the invoice's concepts (Impuesto, withholding or not,
 * TipoFactor, TasaOCuota) contributes a base proportional to the payment,
 *   BaseDR = Σ concept bases of the group × ImpPagado / Total, rounded half-up (SAT) to the invoice's
 *   currency decimals,
 * and the engine computes ImporteDR = BaseDR × TasaOCuota from it. For an invoice taxed at a single rate
 * this is ImpPagado / (1 + rate) up to the invoice's own rounding; unlike that formula it also holds for
 * invoices mixing rates, exempt lines, lines without taxes and withholdings. Concept level, not document
 * level: a CFDI's document-level Retenciones carry no base nor rate.
 */
import { type Dec, dec, roundSat } from "../cfdi/amounts";

/** A tax of one concept of the paid invoice (an `invoice_item_taxes` row fits). */
export interface ConceptTax {
  /** IVA, ISR or IEPS. */
  code: string;
  isWithholding: boolean;
  factor: "Tasa" | "Cuota" | "Exento";
  /** TasaOCuota as written, null when Exento. */
  rate: string | null;
  baseAmount: string | null;
}

/** One tax of the paid share, as the engine's payment document takes it (an explicit base). */
export interface PaidShareTax {
  tax: "IVA" | "ISR" | "IEPS";
  factor: "Tasa" | "Cuota" | "Exento";
  rate?: string;
  withholding: boolean;
  base: string;
}

const TAX_CODES = new Set(["IVA", "ISR", "IEPS"]);

/**
 * ImpuestosDR of `amountPaid` (in the invoice's currency) out of an invoice of `total`, from its concept
 * taxes (see the header). A group whose share rounds to zero is left out: SAT requires BaseDR > 0, and
 * a share that small carries no tax at the currency's decimals anyway.
 */
export function paidShareTaxes(
  taxes: readonly ConceptTax[],
  total: string,
  amountPaid: string,
  places: number,
): PaidShareTax[] {
  const invoiceTotal = dec(total);
  if (!invoiceTotal.gt(0)) return [];
  const share = dec(amountPaid).div(invoiceTotal);
  const groups = new Map<string, { tax: ConceptTax; base: Dec }>();
  for (const tax of taxes) {
    if (!TAX_CODES.has(tax.code) || tax.baseAmount === null) continue;
    const key = `${tax.code}|${tax.isWithholding}|${tax.factor}|${tax.rate === null ? "" : dec(tax.rate).toFixed()}`;
    const group = groups.get(key);
    if (group) group.base = group.base.plus(tax.baseAmount);
    else groups.set(key, { tax, base: dec(tax.baseAmount) });
  }
  const out: PaidShareTax[] = [];
  for (const { tax, base } of groups.values()) {
    const shareBase = roundSat(base.times(share), places);
    if (!shareBase.gt(0)) continue;
    out.push({
      tax: tax.code as PaidShareTax["tax"],
      factor: tax.factor,
      ...(tax.factor !== "Exento" && tax.rate !== null && { rate: tax.rate }),
      withholding: tax.isWithholding,
      base: shareBase.toFixed(places),
    });
  }
  return out;
}

/**
 * EquivalenciaDR (units of the invoice's currency per unit of the payment's): absent when the currencies
 * match; the caller's when given; the payment's TipoCambioP when the invoice is in MXN (MXN per unit of
 * the payment's currency is exactly that). Otherwise null: it takes a rate between two currencies the
 * request does not give.
 */
export function documentEquivalence(
  invoiceCurrency: string,
  payment: { currency: string; exchangeRate?: string },
  given?: string,
): string | null | undefined {
  if (invoiceCurrency === payment.currency) return undefined;
  if (given !== undefined) return given;
  if (invoiceCurrency === "MXN" && payment.exchangeRate !== undefined) return payment.exchangeRate;
  return null;
}
