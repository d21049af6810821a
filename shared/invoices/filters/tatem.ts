/**
 * The Tatem dialect (seed 000): the query of `GET /invoices` and its siblings (balance, distinct
 * lists), i.e. the digest's INV_FILTERS and INV_PAGING, parsed into the filter model.
 *
 * Rules beyond single-field syntax, each a 400 with a stable code:
 * - exactly one of organization_id / provider_id: the caller's side (`side_required`);
 * - `*_period` / `*_current_period=true` with a range or with each other on the same date field
 *   (`conflicting_date_filters`); a range whose start is after its end (`invalid_date_range`);
 * - sort and order lists of different lengths (`mismatched_sort_order_length`);
 * - tax_rates without tax_ids or of another length (`mismatched_tax_rates_length`);
 * - minimun_ above maximun_gross_price_amount (`invalid_amount_range`).
 * Comma lists mean "any of"; separate parameters are ANDed. `archived` (default false) reads the
 * archive mark of the caller's side only.
 */
import { z } from "zod";
import { badRequest } from "../../errors";
import { pageQuery } from "../../pagination";
import { TAX_CODES } from "../record";
import { INVOICE_STATUSES } from "../status";
import {
  FIELD_KINDS,
  type Field,
  type InvoiceCondition,
  type ListQuery,
  type Side,
  type Sort,
} from "./model";
import {
  Amount,
  CfdiUuid,
  commaList,
  type DateInput,
  DateText,
  dayRange,
  type Month,
  mexicoCityMonth,
  monthRange,
  onClock,
  Period,
  queryBoolean,
  RfcText,
} from "./values";

/** The seed's sort keys and the model field each one orders by. */
export const TATEM_SORTS = {
  uuid: "uuid",
  grossPriceAmount: "grossPrice",
  "organization.taxIdentifier": "organizationTaxIdentifier",
  "organization.name": "organizationName",
  issuerName: "issuerName",
  recipientName: "recipientName",
  status: "status",
  statusCode: "statusCode",
  sentAt: "sentAt",
  createdAt: "createdAt",
  updatedAt: "updatedAt",
  paymentDueAt: "paymentDueAt",
  stampedAt: "stampedAt",
  folioNumber: "folioNumber",
  series: "series",
} as const satisfies Record<string, Field>;
type TatemSort = keyof typeof TATEM_SORTS;

/** Date filters: query prefix → field, and whether the seed gives it `_period` / `_current_period`. */
const DATE_FILTERS = [
  { prefix: "created_at", field: "createdAt", periods: true },
  { prefix: "issued_at", field: "issuedAt", periods: true },
  { prefix: "stamped_at", field: "stampedAt", periods: true },
  { prefix: "payment_due_at", field: "paymentDueAt", periods: false },
  { prefix: "sent_at", field: "sentAt", periods: false },
] as const satisfies ReadonlyArray<{ prefix: string; field: Field; periods: boolean }>;

/** c_Impuesto codes, also accepted by name (ISR, IVA, IEPS). */
const TAX_IDS: Record<string, string> = Object.fromEntries(
  Object.entries(TAX_CODES).flatMap(([id, name]) => [
    [id, id],
    [name, id],
  ]),
);

const text = (max = 300) => z.string().trim().min(1).max(max);

const range = { from: DateText.optional(), to: DateText.optional() };
const dateParams = {
  created_at_from: range.from,
  created_at_to: range.to,
  created_at_period: Period.optional(),
  created_at_current_period: queryBoolean.optional(),
  issued_at_from: range.from,
  issued_at_to: range.to,
  issued_at_period: Period.optional(),
  issued_at_current_period: queryBoolean.optional(),
  stamped_at_from: range.from,
  stamped_at_to: range.to,
  stamped_at_period: Period.optional(),
  stamped_at_current_period: queryBoolean.optional(),
  payment_due_at_from: range.from,
  payment_due_at_to: range.to,
  sent_at_from: range.from,
  sent_at_to: range.to,
};

/** INV_FILTERS. */
export const tatemFilterShape = {
  organization_id: z.uuid().optional().describe("The caller's organization as receiver (its payables)"),
  provider_id: z.uuid().optional().describe("The caller's organization as issuer (its receivables)"),
  uuid: commaList(CfdiUuid).optional().describe("CFDI folios fiscales, comma separated"),
  folio_number: commaList(text(40)).optional().describe("Comma separated"),
  series: commaList(text(25)).optional().describe("Comma separated"),
  statuses: commaList(z.enum(INVOICE_STATUSES))
    .optional()
    .describe("Comma separated: draft,sent,accepted,paid,completed,rejected,processing,not_valid"),
  ...dateParams,
  archived: queryBoolean.default(false).describe("Archived by the caller's side (default false)"),
  issuer_name: text().optional().describe("Case-insensitive partial match"),
  recipient_name: text().optional().describe("Case-insensitive partial match"),
  issuer_tax_identifier: commaList(RfcText).optional().describe("Exact RFCs, comma separated"),
  recipient_tax_identifier: commaList(RfcText).optional().describe("Exact RFCs, comma separated"),
  issuer_is_entity: queryBoolean.optional().describe("Issuer is a persona moral"),
  recipient_is_entity: queryBoolean.optional().describe("Recipient is a persona moral"),
  payment_method: commaList(z.enum(["PPD", "PUE", "EXT"]))
    .optional()
    .describe("Comma separated"),
  payment_form: commaList(z.string().regex(/^\d{2}$/, "Expected a c_FormaPago code such as 03"))
    .optional()
    .describe("Comma separated, e.g. 03,99"),
  tax_ids: commaList(
    z
      .string()
      .transform((t) => t.toUpperCase())
      .pipe(z.enum(Object.keys(TAX_IDS) as [string, ...string[]])),
    20,
  )
    .optional()
    .describe("Document taxes: c_Impuesto codes (001, 002, 003) or ISR, IVA, IEPS, comma separated"),
  tax_rates: commaList(Amount, 20)
    .optional()
    .describe("Rates of the tax_ids at the same positions, e.g. 0.16"),
  cfdi_uses: commaList(z.string().regex(/^[A-Z]{1,2}\d{2}$/, "Expected a c_UsoCFDI code such as G03"))
    .optional()
    .describe("Comma separated, e.g. G03,G04"),
  minimun_gross_price_amount: Amount.optional().describe("Inclusive lower bound of the total (sic)"),
  maximun_gross_price_amount: Amount.optional().describe("Inclusive upper bound of the total (sic)"),
  item_key: commaList(text(20)).optional().describe("Some concept has this ClaveProdServ, e.g. 50202310"),
  item_description: text().optional().describe("Some concept's description contains this text"),
};

export const tatemFilterQuery = z.object(tatemFilterShape).strict();

/** INV_FILTERS + INV_PAGING. */
export const tatemListQuery = z
  .object({
    ...tatemFilterShape,
    ...pageQuery().shape,
    sort: commaList(z.enum(Object.keys(TATEM_SORTS) as [TatemSort, ...TatemSort[]]))
      .optional()
      .describe('Comma separated; default "statusCode"'),
    order: commaList(z.enum(["asc", "desc"]))
      .optional()
      .describe('Comma separated, one per sort key; default "asc"'),
  })
  .strict();

/** Only the side: the distinct-value lists. */
export const tatemSideQuery = z
  .object({ organization_id: tatemFilterShape.organization_id, provider_id: tatemFilterShape.provider_id })
  .strict();

export type TatemFilterInput = z.output<typeof tatemFilterQuery>;
export type TatemListInput = z.output<typeof tatemListQuery>;

export interface TatemTenant {
  side: Side;
  organizationId: string;
}

export function tatemSide(q: { organization_id?: string; provider_id?: string }): TatemTenant {
  if (q.organization_id && !q.provider_id) return { side: "organization", organizationId: q.organization_id };
  if (q.provider_id && !q.organization_id) return { side: "provider", organizationId: q.provider_id };
  throw badRequest(
    "side_required",
    "Give exactly one of organization_id (invoices your organization received) or provider_id (invoices it issued)",
  );
}

function dateConditions(q: TatemFilterInput, now: Date): InvoiceCondition[] {
  const out: InvoiceCondition[] = [];
  const input = q as unknown as Record<string, DateInput | Month | boolean | undefined>;
  for (const { prefix, field, periods } of DATE_FILTERS) {
    const clock = FIELD_KINDS[field].clock;
    const from = input[`${prefix}_from`] as DateInput | undefined;
    const to = input[`${prefix}_to`] as DateInput | undefined;
    const period = periods ? (input[`${prefix}_period`] as Month | undefined) : undefined;
    const current = periods ? input[`${prefix}_current_period`] === true : false;
    const given = [from || to ? "range" : null, period ? "period" : null, current ? "current" : null].filter(
      Boolean,
    );
    if (given.length > 1) {
      throw badRequest(
        "conflicting_date_filters",
        `${prefix}: give one of ${prefix}_from/_to, ${prefix}_period or ${prefix}_current_period`,
        { field: prefix },
      );
    }
    if (period || current) {
      out.push({ op: "range", field, ...monthRange(clock, period ?? mexicoCityMonth(now)) });
    } else if (from || to) {
      if (from && to && onClock(from, clock) > onClock(to, clock)) {
        throw badRequest("invalid_date_range", `${prefix}_from is after ${prefix}_to`, { field: prefix });
      }
      out.push({ op: "range", field, ...dayRange(clock, from, to) });
    }
  }
  return out;
}

/** INV_FILTERS → the caller's side and the conditions. `now` fixes the current period. */
export function tatemFilters(q: TatemFilterInput, now = new Date()) {
  const tenant = tatemSide(q);
  const c: InvoiceCondition[] = [];
  const list = (field: Field, values: readonly string[] | undefined) => {
    if (values)
      c.push(values.length === 1 ? { op: "eq", field, value: values[0]! } : { op: "in", field, values });
  };
  list("uuid", q.uuid);
  list("folioNumber", q.folio_number);
  list("series", q.series);
  list("status", q.statuses);
  c.push(...dateConditions(q, now));
  c.push({
    op: "exists",
    field: tenant.side === "organization" ? "archivedByOrganizationAt" : "archivedByProviderAt",
    present: q.archived,
  });
  if (q.issuer_name) c.push({ op: "contains", field: "issuerName", value: q.issuer_name });
  if (q.recipient_name) c.push({ op: "contains", field: "recipientName", value: q.recipient_name });
  list("issuerTaxIdentifier", q.issuer_tax_identifier);
  list("recipientTaxIdentifier", q.recipient_tax_identifier);
  if (q.issuer_is_entity !== undefined)
    c.push({ op: "eq", field: "issuerIsEntity", value: q.issuer_is_entity });
  if (q.recipient_is_entity !== undefined)
    c.push({ op: "eq", field: "recipientIsEntity", value: q.recipient_is_entity });
  list("paymentMethod", q.payment_method);
  list("paymentForm", q.payment_form);
  list("cfdiUse", q.cfdi_uses);

  if (q.tax_rates && (!q.tax_ids || q.tax_ids.length !== q.tax_rates.length)) {
    throw badRequest(
      "mismatched_tax_rates_length",
      "tax_rates needs tax_ids of the same length, pair by pair",
      {
        taxIds: q.tax_ids?.length ?? 0,
        taxRates: q.tax_rates.length,
      },
    );
  }
  if (q.tax_ids) {
    const taxes: InvoiceCondition[] = q.tax_ids.map((id, i) => ({
      op: "tax",
      where: [
        { op: "eq", field: "taxId", value: TAX_IDS[id]! },
        ...(q.tax_rates ? [{ op: "eq" as const, field: "taxRate" as const, value: q.tax_rates[i]! }] : []),
      ],
    }));
    c.push(taxes.length === 1 ? taxes[0]! : { op: "any", of: taxes });
  }

  const min = q.minimun_gross_price_amount;
  const max = q.maximun_gross_price_amount;
  if (min !== undefined && max !== undefined && min > max) {
    throw badRequest(
      "invalid_amount_range",
      "minimun_gross_price_amount is above maximun_gross_price_amount",
    );
  }
  if (min !== undefined || max !== undefined) {
    c.push({
      op: "range",
      field: "grossPrice",
      ...(min !== undefined ? { lower: { value: min, inclusive: true } } : {}),
      ...(max !== undefined ? { upper: { value: max, inclusive: true } } : {}),
    });
  }
  if (q.item_key || q.item_description) {
    c.push({
      op: "item",
      where: [
        ...(q.item_key
          ? [
              q.item_key.length === 1
                ? { op: "eq" as const, field: "itemKey" as const, value: q.item_key[0]! }
                : { op: "in" as const, field: "itemKey" as const, values: q.item_key },
            ]
          : []),
        ...(q.item_description
          ? [{ op: "contains" as const, field: "itemDescription" as const, value: q.item_description }]
          : []),
      ],
    });
  }
  return { tenant, conditions: c };
}

/** INV_FILTERS + INV_PAGING → the listing query. */
export function tatemList(q: TatemListInput, now = new Date()): { tenant: TatemTenant; query: ListQuery } {
  const { tenant, conditions } = tatemFilters(q, now);
  const keys = q.sort ?? ["statusCode"];
  const orders = q.order ?? keys.map(() => "asc" as const);
  if (orders.length !== keys.length) {
    throw badRequest("mismatched_sort_order_length", "sort and order must list the same number of values", {
      sort: keys.length,
      order: orders.length,
    });
  }
  const sort: Sort[] = keys.map((key, i) => ({ field: TATEM_SORTS[key], direction: orders[i]! }));
  return {
    tenant,
    query: { conditions, sort, pagination: { kind: "offset", page: q.page, limit: q.limit } },
  };
}
