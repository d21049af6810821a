/**
 * The seed's rules for changing invoices, as pure functions that return the column changes to write or
 * the AppError to answer with: the single PATCH, the bulk PATCH (archive, paymentDay, paymentDueAt,
 * isRead), status changes, and the derived payment due date.
 *
 * Decisions where the seed is silent:
 * - Dates: `paymentDueAt` is a Mexico City day, stored as the ISO 8601 UTC instant that day begins;
 *   an EXT invoice's `stampedAt` is stored as Mexico City wall-clock time without offset, the form of
 *   the FechaTimbrado every stamped invoice carries.
 * - Bulk `paymentDay` (1, 2 or 3) is the first, second or third occurrence, after today in Mexico City,
 *   of the weekday the organization's preferences name (`paymentDay`, 0 = Sunday).
 * - Only archiving demands rejected or completed invoices; unarchiving is always allowed, so that an
 *   invoice reconsidered after it was archived can come back.
 * - A status change to the status an invoice already has is a no-op, not an error.
 * - Catalog checks answer 400 `validation_failed` with the field paths, like the request schemas do.
 *   Country codes are c_Pais keys (MEX, USA); state codes are c_Estado keys of the issuer's country
 *   (Mexico's when none is set), free text for countries c_Estado does not cover.
 */

import { estados, formasPago, paises, usosCfdi } from "../catalogs";
import { dec, decimalPlaces, formatAmount, isDecimalLiteral } from "../cfdi/amounts";
import { mexicoCityDateTime, mexicoCityInstant } from "../cfdi/build/time";
import { AppError, badRequest } from "../errors";
import { currencyPlaces, instantOf } from "./payment-status";
import { MAX_AMOUNT, toMicros } from "./record";
import { canTransition, type InvoiceStatus, STATUS_CODES } from "./status";

/** One problem with a field, in the shape of the request validator's details. */
export interface FieldIssue {
  path: string;
  message: string;
  code: "custom";
}

const issue = (path: string, message: string): FieldIssue => ({ path, message, code: "custom" });

const invalid = (issues: FieldIssue[]) =>
  new AppError(400, "validation_failed", "The request is invalid", issues);

// ---------------------------------------------------------------------------------------------
// Calendar: Mexico City days.

const DAY_MS = 86_400_000;

/** The Mexico City calendar date (YYYY-MM-DD) of an instant. */
export const mexicoDate = (instant: string | Date) => mexicoCityDateTime(new Date(instant)).slice(0, 10);

/** The ISO 8601 UTC instant at which a Mexico City day begins. */
export const mexicoDayStart = (date: string) => mexicoCityInstant(`${date}T00:00:00`).toISOString();

const weekday = (date: string) => new Date(`${date}T00:00:00Z`).getUTCDay();

const addDays = (date: string, days: number) =>
  new Date(Date.parse(`${date}T00:00:00Z`) + days * DAY_MS).toISOString().slice(0, 10);

/** Calendar months later; the day is clamped to the target month's last day (Jan 31 + 1 m = Feb 28). */
function addMonths(date: string, months: number): string {
  const [y, m, d] = date.split("-").map(Number) as [number, number, number];
  const target = new Date(Date.UTC(y, m - 1 + months, 1));
  const lastDay = new Date(Date.UTC(target.getUTCFullYear(), target.getUTCMonth() + 1, 0)).getUTCDate();
  target.setUTCDate(Math.min(d, lastDay));
  return target.toISOString().slice(0, 10);
}

/** The first date on or after `date` that falls on `day` (0 = Sunday). */
const onOrAfterWeekday = (date: string, day: number) => addDays(date, (day - weekday(date) + 7) % 7);

/** A submitted due date (a date, or a date-time whose Mexico City day counts) as its day's start. */
function dueDay(value: string): string | null {
  try {
    return mexicoDayStart(mexicoDate(instantOf(value)));
  } catch {
    return null;
  }
}

// ---------------------------------------------------------------------------------------------
// Derived payment due date.

export type PaymentDueAtAnchor = "createdAt" | "stampedAt" | "acceptedAt";

export interface DueAnchors {
  createdAt: string;
  stampedAt: string | null;
  acceptedAt: string | null;
}

/** The provider link's terms (`organizations_on_organizations`). */
export interface CreditTerms {
  creditDays: number;
  creditPeriod: "d" | "m" | "y";
}

export interface DuePreferences {
  paymentDueAtAnchor: PaymentDueAtAnchor | null;
  paymentDay: number | null;
}

/**
 * paymentDueAt = anchor (preferences.paymentDueAtAnchor, default acceptedAt) + creditDays ×
 * creditPeriod, counted in Mexico City calendar days, months or years, then moved forward to the
 * preferences' paymentDay when one is set. Null while the anchor has not happened (e.g. not accepted).
 */
export function derivePaymentDueAt(
  invoice: DueAnchors,
  terms: CreditTerms,
  preferences: DuePreferences | null,
): string | null {
  const anchor = invoice[preferences?.paymentDueAtAnchor ?? "acceptedAt"];
  if (!anchor) return null;
  const start = mexicoDate(instantOf(anchor));
  let due =
    terms.creditPeriod === "d"
      ? addDays(start, terms.creditDays)
      : addMonths(start, terms.creditDays * (terms.creditPeriod === "y" ? 12 : 1));
  if (preferences?.paymentDay !== null && preferences?.paymentDay !== undefined) {
    due = onOrAfterWeekday(due, preferences.paymentDay);
  }
  return mexicoDayStart(due);
}

// ---------------------------------------------------------------------------------------------
// Single PATCH /invoices/{id}.

/** Fields that only invoices outside the CFDI system (payment method EXT) may change. */
export const EXT_ONLY_FIELDS = [
  "cfdiUse",
  "paymentForm",
  "stampedAt",
  "folioNumber",
  "series",
  "issuerName",
  "issuerTaxIdentifier",
  "issuerPostalCode",
  "issuerCountry",
  "issuerAddressStreet",
  "issuerAddressNumber",
  "issuerAddressNumberInterior",
  "issuerAddressNeighborhood",
  "issuerAddressCity",
  "issuerAddressMunicipality",
  "issuerAddressState",
] as const;
export type ExtOnlyField = (typeof EXT_ONLY_FIELDS)[number];

export type InvoicePatch = Partial<Record<ExtOnlyField, string>> & {
  notes?: string | null;
  isRead?: boolean;
  paymentDueAt?: string;
  grossPriceAmount?: string | number;
};

export type InvoiceChanges = Partial<Record<ExtOnlyField, string>> & {
  notes?: string | null;
  isRead?: boolean;
  paymentDueAt?: string;
  grossPriceAmount?: string;
  grossPriceMicros?: number;
};

export interface EditableInvoice {
  status: InvoiceStatus;
  paymentMethod: string | null;
  currencyCode: string;
  originalCurrencyCode: string | null;
  issuerCountry: string | null;
}

function stateIssue(state: string, country: string): FieldIssue | null {
  const states = estados.entries.filter((e) => e.pais === country);
  if (states.length === 0) return state.trim() ? null : issue("issuerAddressState", "Must not be empty");
  return states.some((e) => e.clave === state)
    ? null
    : issue("issuerAddressState", `Must be a valid state code of ${country} (c_Estado)`);
}

function grossPrice(value: string | number, currency: string): { amount: string } | { issue: FieldIssue } {
  const text = typeof value === "number" ? String(value) : value;
  if (!isDecimalLiteral(text)) return { issue: issue("grossPriceAmount", "Must be a decimal amount") };
  const amount = dec(text);
  const places = decimalPlaces(amount);
  const allowed = currencyPlaces(currency);
  if (!amount.gt(0)) return { issue: issue("grossPriceAmount", "Must be greater than 0") };
  if (amount.gt(MAX_AMOUNT)) return { issue: issue("grossPriceAmount", `Must not exceed ${MAX_AMOUNT}`) };
  if (places > allowed) {
    return { issue: issue("grossPriceAmount", `${currency} amounts have at most ${allowed} decimals`) };
  }
  return { amount: formatAmount(amount, allowed) };
}

/**
 * The changes a single PATCH makes, or its error: 400 `invalid_payment_method` for EXT-only fields on
 * another invoice, `invalid_currency` / `invalid_status` for grossPriceAmount outside an accepted USD
 * EXT invoice, `invalid_status` for paymentDueAt outside `accepted`, `validation_failed` for values.
 */
export function invoicePatchChanges(
  invoice: EditableInvoice,
  patch: InvoicePatch,
): InvoiceChanges | AppError {
  const extFields: string[] = EXT_ONLY_FIELDS.filter((f) => patch[f] !== undefined);
  if (patch.grossPriceAmount !== undefined) extFields.push("grossPriceAmount");
  if (extFields.length > 0 && invoice.paymentMethod !== "EXT") {
    return badRequest("invalid_payment_method", "These fields can only be changed on EXT invoices", {
      fields: extFields,
    });
  }
  if (patch.grossPriceAmount !== undefined) {
    if (invoice.originalCurrencyCode !== "USD") {
      return badRequest(
        "invalid_currency",
        "grossPriceAmount can only be changed on invoices originally in USD",
      );
    }
    if (invoice.status !== "accepted") {
      return badRequest("invalid_status", "grossPriceAmount can only be changed on accepted invoices");
    }
  }
  if (patch.paymentDueAt !== undefined && invoice.status !== "accepted") {
    return badRequest("invalid_status", "paymentDueAt can only be changed on accepted invoices");
  }

  const issues: FieldIssue[] = [];
  const changes: InvoiceChanges = {};
  if (patch.notes !== undefined) changes.notes = patch.notes;
  if (patch.isRead !== undefined) changes.isRead = patch.isRead;
  if (patch.paymentDueAt !== undefined) {
    const day = dueDay(patch.paymentDueAt);
    if (day) changes.paymentDueAt = day;
    else issues.push(issue("paymentDueAt", "Must be a date (YYYY-MM-DD)"));
  }
  for (const field of EXT_ONLY_FIELDS) {
    const value = patch[field]?.trim();
    if (value === undefined) continue;
    if (value === "" && field !== "issuerAddressState") {
      issues.push(issue(field, "Must be at least 1 character long"));
      continue;
    }
    changes[field] = value;
  }
  if (changes.cfdiUse !== undefined && !usosCfdi.has(changes.cfdiUse)) {
    issues.push(issue("cfdiUse", "Must be a valid CFDI use (c_UsoCFDI)"));
  }
  if (changes.paymentForm !== undefined && !formasPago.has(changes.paymentForm)) {
    issues.push(issue("paymentForm", "Must be a valid payment form (c_FormaPago)"));
  }
  if (changes.stampedAt !== undefined) {
    const stamped = changes.stampedAt;
    try {
      changes.stampedAt = mexicoCityDateTime(new Date(instantOf(stamped)));
    } catch {
      issues.push(issue("stampedAt", "Must be a date-time"));
    }
  }
  if (changes.issuerCountry !== undefined) {
    changes.issuerCountry = changes.issuerCountry.toUpperCase();
    if (!paises.has(changes.issuerCountry)) {
      issues.push(issue("issuerCountry", "Must be a valid country code (c_Pais)"));
    }
  }
  if (changes.issuerAddressState !== undefined) {
    changes.issuerAddressState = changes.issuerAddressState.toUpperCase();
    const country = changes.issuerCountry ?? invoice.issuerCountry ?? "MEX";
    const problem = stateIssue(changes.issuerAddressState, country);
    if (problem) issues.push(problem);
  }
  if (patch.grossPriceAmount !== undefined) {
    const result = grossPrice(patch.grossPriceAmount, invoice.currencyCode);
    if ("issue" in result) issues.push(result.issue);
    else {
      changes.grossPriceAmount = result.amount;
      changes.grossPriceMicros = toMicros(result.amount);
    }
  }
  return issues.length > 0 ? invalid(issues) : changes;
}

// ---------------------------------------------------------------------------------------------
// Bulk PATCH /invoices.

export interface BulkPatch {
  archive?: boolean;
  paymentDay?: number;
  paymentDueAt?: string;
  isRead?: boolean;
}

export interface BulkTarget {
  id: string;
  status: InvoiceStatus;
  organizationId: string | null;
}

export interface BulkContext {
  /** Which tenant asks: archiving is per side. */
  side: "organization" | "provider";
  now: Date;
  /** Invoice preferences of the targets' organizations; an organization without preferences is absent. */
  preferences: ReadonlyMap<string, { paymentDay: number | null }>;
}

export interface BulkInvoiceChanges {
  archivedByOrganizationAt?: string | null;
  archivedByProviderAt?: string | null;
  paymentDueAt?: string;
  isRead?: boolean;
}

export interface BulkChange {
  id: string;
  changes: BulkInvoiceChanges;
}

const ARCHIVABLE: readonly InvoiceStatus[] = ["rejected", "completed"];

function statusError(targets: readonly BulkTarget[], allowed: readonly InvoiceStatus[], what: string) {
  const wrong = targets.filter((t) => !allowed.includes(t.status)).map((t) => t.id);
  if (wrong.length === 0) return null;
  return badRequest(
    "invalid_invoice_status",
    `All the invoices must be in ${allowed.map((s) => `'${s}'`).join(" or ")} status to ${what}`,
    { invoiceIds: wrong },
  );
}

/**
 * The changes of a bulk PATCH for each target, or the error: 400 `invalid_invoice_status` (archive
 * outside rejected/completed, paymentDay or paymentDueAt outside accepted),
 * `invoice_doesnt_belong_to_an_organization`, `invoice_preferences_not_found`, `payment_day_not_set`.
 */
export function bulkInvoiceChanges(
  patch: BulkPatch,
  targets: readonly BulkTarget[],
  ctx: BulkContext,
): BulkChange[] | AppError {
  const issues: FieldIssue[] = [];
  if (patch.paymentDay !== undefined && patch.paymentDueAt !== undefined) {
    issues.push(issue("paymentDay", "paymentDay and paymentDueAt cannot be combined"));
  }
  if (patch.paymentDay !== undefined && ![1, 2, 3].includes(patch.paymentDay)) {
    issues.push(issue("paymentDay", "Must be 1, 2 or 3"));
  }
  const dueAt = patch.paymentDueAt === undefined ? undefined : dueDay(patch.paymentDueAt);
  if (dueAt === null) issues.push(issue("paymentDueAt", "Must be a date (YYYY-MM-DD)"));
  if (issues.length > 0) return invalid(issues);

  if (patch.archive === true) {
    const error = statusError(targets, ARCHIVABLE, "archive them");
    if (error) return error;
  }
  if (patch.paymentDay !== undefined || patch.paymentDueAt !== undefined) {
    const error = statusError(targets, ["accepted"], "change their payment due date");
    if (error) return error;
  }

  const byTarget = new Map<string, string>();
  if (patch.paymentDay !== undefined) {
    const firstOccurrence = addDays(mexicoDate(ctx.now), 1);
    for (const target of targets) {
      if (target.organizationId === null) {
        return badRequest(
          "invoice_doesnt_belong_to_an_organization",
          "The invoice does not belong to an organization",
          { invoiceId: target.id },
        );
      }
      const preferences = ctx.preferences.get(target.organizationId);
      if (!preferences) {
        return badRequest(
          "invoice_preferences_not_found",
          "The organization has not set its invoice preferences",
          {
            invoiceId: target.id,
            organizationId: target.organizationId,
          },
        );
      }
      if (preferences.paymentDay === null) {
        return badRequest(
          "payment_day_not_set",
          "The organization's invoice preferences have no paymentDay",
          {
            invoiceId: target.id,
            organizationId: target.organizationId,
          },
        );
      }
      const next = onOrAfterWeekday(firstOccurrence, preferences.paymentDay);
      byTarget.set(target.id, mexicoDayStart(addDays(next, 7 * (patch.paymentDay - 1))));
    }
  }

  const now = ctx.now.toISOString();
  return targets.map((target) => {
    const changes: BulkInvoiceChanges = {};
    if (patch.archive !== undefined) {
      const at = patch.archive ? now : null;
      if (ctx.side === "organization") changes.archivedByOrganizationAt = at;
      else changes.archivedByProviderAt = at;
    }
    const due = byTarget.get(target.id) ?? dueAt;
    if (due) changes.paymentDueAt = due;
    if (patch.isRead !== undefined) changes.isRead = patch.isRead;
    return { id: target.id, changes };
  });
}

// ---------------------------------------------------------------------------------------------
// Status changes.

export interface StatusChanges {
  status: InvoiceStatus;
  statusCode: number;
  sentAt?: string;
  acceptedAt?: string;
  paidAt?: string | null;
  completedAt?: string;
  rejectedAt?: string | null;
}

/**
 * The columns one transition writes, or 400 `invalid_status_transition` naming from and to. Entering a
 * status stamps its date; rolling paid back to accepted clears paidAt, leaving rejected clears
 * rejectedAt. Used by bulk changes and by the payment services alike.
 */
export function statusTransition(
  from: InvoiceStatus,
  to: InvoiceStatus,
  now: Date,
): StatusChanges | AppError {
  if (!canTransition(from, to)) {
    return badRequest("invalid_status_transition", `An invoice cannot go from '${from}' to '${to}'`, {
      from,
      to,
    });
  }
  const at = now.toISOString();
  const changes: StatusChanges = { status: to, statusCode: STATUS_CODES[to] };
  if (to === "sent") changes.sentAt = at;
  if (to === "accepted" && from !== "paid") changes.acceptedAt = at;
  if (to === "paid") changes.paidAt = at;
  if (from === "paid" && to === "accepted") changes.paidAt = null;
  if (to === "completed") changes.completedAt = at;
  if (to === "rejected") changes.rejectedAt = at;
  if (from === "rejected") changes.rejectedAt = null;
  return changes;
}

export interface StatusChangeRequest {
  status: InvoiceStatus;
  invoicePaymentId?: string | null;
}

export interface StatusChange {
  id: string;
  from: InvoiceStatus;
  changes: StatusChanges;
}

/**
 * The changes of PATCH /invoices/status for each target whose status differs, or the error:
 * 400 `validation_failed` when `completed` comes without invoicePaymentId, 400
 * `invalid_status_transition` listing every target that cannot make the move ({id, from, to}).
 */
export function bulkStatusChanges(
  targets: readonly { id: string; status: InvoiceStatus }[],
  request: StatusChangeRequest,
  now: Date,
): StatusChange[] | AppError {
  if (request.status === "completed" && !request.invoicePaymentId) {
    return invalid([issue("invoicePaymentId", "Required when status is 'completed'")]);
  }
  const changes: StatusChange[] = [];
  const refused: { id: string; from: InvoiceStatus; to: InvoiceStatus }[] = [];
  for (const target of targets) {
    if (target.status === request.status) continue;
    const result = statusTransition(target.status, request.status, now);
    if (result instanceof AppError) refused.push({ id: target.id, from: target.status, to: request.status });
    else changes.push({ id: target.id, from: target.status, changes: result });
  }
  if (refused.length > 0) {
    const first = refused[0]!;
    return badRequest(
      "invalid_status_transition",
      `An invoice cannot go from '${first.from}' to '${first.to}'${refused.length > 1 ? ` (and ${refused.length - 1} more)` : ""}`,
      { invoices: refused },
    );
  }
  return changes;
}
