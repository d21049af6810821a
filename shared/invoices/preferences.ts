/**
 * An organization's invoice preferences (the seed's InvoicePreferences) as rules a received invoice
 * must meet. Every field is optional; null or an empty list means "no restriction". A violation refuses
 * the upload (400) with one of the codes below and nothing is stored; all violations are listed in the
 * error's details, not just the first.
 *
 * The seed names the fields but not their exact semantics for two of them; ours:
 * - `allowedInvoiceDays`: windows `{day: 0–6 (0 = Sunday), from: "HH:MM", to: "HH:MM"}` in Mexico City
 *   time in which providers may submit; outside every window → `invoice_day_not_allowed`.
 * - `monthEndInvoiceDays` (0–3): with `isStampedAtCurrentMonthMandatory`, invoices stamped in the
 *   previous month are still accepted during the first N days of the month (books close late).
 */
import { AppError } from "../errors";

export interface InvoicePreferenceRules {
  paymentMethods?: string[] | null;
  cfdiUses?: string[] | null;
  paymentForms?: string[] | null;
  currencyCodes?: string[] | null;
  allowedInvoiceDays?: { day: number; from: string; to: string }[] | null;
  monthEndInvoiceDays?: number | null;
  isPurchaseOrderMandatory?: boolean | null;
  isStampedAtCurrentMonthMandatory?: boolean | null;
}

export interface SubmittedInvoice {
  paymentMethod: string | null;
  cfdiUse: string | null;
  paymentForm: string | null;
  currencyCode: string;
  /** FechaTimbrado (no offset, Mexico's local time), or null for an unstamped document. */
  stampedAt: string | null;
  hasPurchaseOrder: boolean;
}

export const PREFERENCE_ERROR_CODES = [
  "payment_method_not_allowed",
  "cfdi_use_not_allowed",
  "payment_form_not_allowed",
  "currency_not_allowed",
  "purchase_order_required",
  "stamped_at_not_current_month",
  "invoice_day_not_allowed",
] as const;
export type PreferenceErrorCode = (typeof PREFERENCE_ERROR_CODES)[number];

export interface PreferenceViolation {
  code: PreferenceErrorCode;
  message: string;
}

/** Mexico City has had no daylight saving time since October 2022: UTC−6 all year. */
const MEXICO_CITY_OFFSET_MS = -6 * 3_600_000;

function mexicoCityParts(now: Date) {
  const local = new Date(now.getTime() + MEXICO_CITY_OFFSET_MS);
  return {
    year: local.getUTCFullYear(),
    month: local.getUTCMonth() + 1,
    day: local.getUTCDate(),
    weekday: local.getUTCDay(),
    minutes: local.getUTCHours() * 60 + local.getUTCMinutes(),
  };
}

const restricts = (list: string[] | null | undefined): list is string[] =>
  Array.isArray(list) && list.length > 0;
const hhmm = (value: string) => {
  const [h, m] = value.split(":").map(Number);
  return (h ?? 0) * 60 + (m ?? 0);
};

export function preferenceViolations(
  rules: InvoicePreferenceRules,
  invoice: SubmittedInvoice,
  now: Date,
): PreferenceViolation[] {
  const out: PreferenceViolation[] = [];
  const listed = (
    list: string[] | null | undefined,
    value: string | null,
    code: PreferenceErrorCode,
    what: string,
  ) => {
    if (restricts(list) && (value === null || !list.includes(value))) {
      out.push({
        code,
        message: `${what} ${value ?? "(none)"} is not accepted; allowed: ${list.join(", ")}`,
      });
    }
  };
  listed(rules.paymentMethods, invoice.paymentMethod, "payment_method_not_allowed", "Payment method");
  listed(rules.cfdiUses, invoice.cfdiUse, "cfdi_use_not_allowed", "CFDI use");
  listed(rules.paymentForms, invoice.paymentForm, "payment_form_not_allowed", "Payment form");
  listed(rules.currencyCodes, invoice.currencyCode, "currency_not_allowed", "Currency");

  if (rules.isPurchaseOrderMandatory && !invoice.hasPurchaseOrder) {
    out.push({
      code: "purchase_order_required",
      message: "This organization requires the purchase order (purchaseOrderPdf) with every invoice",
    });
  }

  const today = mexicoCityParts(now);
  if (rules.isStampedAtCurrentMonthMandatory) {
    const stamped = invoice.stampedAt?.match(/^(\d{4})-(\d{2})/);
    const year = stamped ? Number(stamped[1]) : 0;
    const month = stamped ? Number(stamped[2]) : 0;
    const current = year === today.year && month === today.month;
    const previousYear = today.month === 1 ? today.year - 1 : today.year;
    const previousMonth = today.month === 1 ? 12 : today.month - 1;
    const grace =
      year === previousYear && month === previousMonth && today.day <= (rules.monthEndInvoiceDays ?? 0);
    if (!current && !grace) {
      out.push({
        code: "stamped_at_not_current_month",
        message: invoice.stampedAt
          ? `The invoice was stamped on ${invoice.stampedAt.slice(0, 10)}; this organization accepts only invoices stamped this month`
          : "This organization accepts only invoices stamped this month, and this CFDI is not stamped",
      });
    }
  }

  const windows = rules.allowedInvoiceDays;
  if (Array.isArray(windows) && windows.length > 0) {
    const open = windows.some(
      (w) => w.day === today.weekday && hhmm(w.from) <= today.minutes && today.minutes <= hhmm(w.to),
    );
    if (!open) {
      out.push({
        code: "invoice_day_not_allowed",
        message: "This organization does not accept invoices at this day and time (Mexico City time)",
      });
    }
  }
  return out;
}

/** The refusal for a list of violations: the first one's code, every violation in the details. */
export function preferencesError(violations: PreferenceViolation[]): AppError {
  const first = violations[0]!;
  return new AppError(400, first.code, first.message, { violations });
}
