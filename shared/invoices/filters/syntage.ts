/**
 * The Syntage dialect (seed 004, API Platform style): the query of `GET /taxpayers/{rfc}/invoices`
 * parsed into the filter model. Operators: exact, partial (case-insensitive), dates
 * `[before]` ≤, `[strictly_before]` <, `[after]` ≥, `[strictly_after]` >, amounts `[between]` (min..max,
 * inclusive), `[gt]`, `[gte]`, `[lt]`, `[lte]` on exact millionths, `exists[…]`, `order[…]` (earlier
 * parameters sort first), `itemsPerPage` 1–1000 (default 20).
 *
 * Cursor: `id[lt]=<invoice id>` is the next page, `id[gt]=<invoice id>` the previous one. The seed
 * pages by id descending, but our ids are random UUIDs, so id order means nothing; the cursor instead
 * names a row and the page continues after (or before) that row in the listing's full order, which
 * always ends in (createdAt, id): a stable, unique keyset even for rows created in the same
 * millisecond. Giving both cursors is a 400 `conflicting_cursors`.
 *
 * `isIssuer` / `isReceiver` choose the taxpayer's side; without them both sides are listed.
 */
import { z } from "zod";
import { badRequest } from "../../errors";
import type { Comparison, Field, InvoiceCondition, ListQuery, Scope, Sort } from "./model";
import { FIELD_KINDS } from "./model";
import { type DateInput, DateText, InvoiceId, onClock, queryBoolean, SignedAmount } from "./values";

/** Exact filters → field. */
const EXACT = {
  uuid: "uuid",
  type: "cfdiType",
  usage: "cfdiUse",
  paymentType: "paymentMethod",
  paymentMethod: "paymentForm",
  currency: "currencyCode",
  version: "cfdiVersion",
  "issuer.blacklistStatus": "issuerBlacklistStatus",
  "receiver.blacklistStatus": "recipientBlacklistStatus",
} as const satisfies Record<string, Field>;

/** Partial (case-insensitive substring) filters → field. */
const PARTIAL = {
  "issuer.rfc": "issuerTaxIdentifier",
  "issuer.name": "issuerName",
  "issuer.taxRegime": "issuerTaxRegime",
  "receiver.rfc": "recipientTaxIdentifier",
  "receiver.name": "recipientName",
  pac: "pacTaxIdentifier",
  cancellationStatus: "cancellationStatus",
  // The seed's filter name differs from its field name (cancellationProcessStatus).
  cancellationStatusProcess: "cancellationProcessStatus",
} as const satisfies Record<string, Field>;

const DATES = {
  issuedAt: "issuedAt",
  canceledAt: "cancelledAt",
  createdAt: "createdAt",
  updatedAt: "updatedAt",
  certifiedAt: "stampedAt",
  lastPaymentDate: "lastPaymentAt",
  fullyPaidAt: "fullyPaidAt",
} as const satisfies Record<string, Field>;
const DATE_OPERATORS = {
  before: { side: "upper", inclusive: true },
  strictly_before: { side: "upper", inclusive: false },
  after: { side: "lower", inclusive: true },
  strictly_after: { side: "lower", inclusive: false },
} as const;

const NUMBERS = {
  tax: "tax",
  discount: "discount",
  subtotal: "netPrice",
  total: "grossPrice",
  paidAmount: "paid",
  dueAmount: "due",
} as const satisfies Record<string, Field>;
const NUMBER_OPERATORS = ["between", "gt", "gte", "lt", "lte"] as const;

const ORDERS = {
  issuedAt: "issuedAt",
  canceledAt: "cancelledAt",
  certifiedAt: "stampedAt",
  amount: "grossPrice",
} as const satisfies Record<string, Field>;

const EXISTS = { paymentMethod: "paymentForm" } as const satisfies Record<string, Field>;

const partial = z.string().trim().min(1).max(254);

const exactSchemas: Record<keyof typeof EXACT, z.ZodType<string, string>> = {
  uuid: z
    .string()
    .regex(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i, "Not a UUID")
    .transform((u) => u.toUpperCase()),
  type: z.enum(["I", "E", "P", "N", "T"]),
  usage: z.string().regex(/^[A-Z]{1,2}\d{2}$/, "Expected a c_UsoCFDI code such as G03"),
  paymentType: z.enum(["PUE", "PPD"]),
  paymentMethod: z.string().regex(/^\d{2}$/, "Expected a c_FormaPago code such as 04"),
  currency: z
    .string()
    .regex(/^[A-Za-z]{3}$/, "Expected a 3-letter currency code")
    .transform((c) => c.toUpperCase()),
  // CFDI versions are written "3.3" / "4.0"; a float such as "4" names the same version.
  version: z
    .string()
    .regex(/^\d(\.\d)?$/, "Expected a CFDI version such as 4.0")
    .transform((v) => Number(v).toFixed(1)),
  "issuer.blacklistStatus": z.enum(["presumed", "dismissed", "definitive", "favorable"]),
  "receiver.blacklistStatus": z.enum(["presumed", "dismissed", "definitive", "favorable"]),
};

/** `min..max`, each an exact amount. */
const Between = z.string().transform((text, ctx) => {
  const parts = text.split("..");
  const [min, max] = parts.map((p) => SignedAmount.safeParse(p));
  if (parts.length !== 2 || !min?.success || !max?.success) {
    ctx.addIssue({ code: "custom", message: `Expected min..max with exact amounts, got "${text}"` });
    return z.NEVER;
  }
  return { min: min.data, max: max.data };
});

const shape: Record<string, z.ZodType> = {
  ...Object.fromEntries(Object.entries(exactSchemas).map(([k, s]) => [k, s.optional()])),
  ...Object.fromEntries(Object.keys(PARTIAL).map((k) => [k, partial.optional()])),
  ...Object.fromEntries(
    Object.keys(DATES).flatMap((d) =>
      Object.keys(DATE_OPERATORS).map((op) => [`${d}[${op}]`, DateText.optional()]),
    ),
  ),
  ...Object.fromEntries(
    Object.keys(NUMBERS).flatMap((n) =>
      NUMBER_OPERATORS.map((op) => [`${n}[${op}]`, (op === "between" ? Between : SignedAmount).optional()]),
    ),
  ),
  ...Object.fromEntries(Object.keys(EXISTS).map((e) => [`exists[${e}]`, queryBoolean.optional()])),
  ...Object.fromEntries(Object.keys(ORDERS).map((o) => [`order[${o}]`, z.enum(["asc", "desc"]).optional()])),
  status: z.enum(["VIGENTE", "CANCELADO"]).optional(),
  isIssuer: queryBoolean.optional(),
  isReceiver: queryBoolean.optional(),
  hasXml: queryBoolean.optional(),
  hasPdf: queryBoolean.optional(),
  "id[lt]": InvoiceId.optional(),
  "id[gt]": InvoiceId.optional(),
  itemsPerPage: z.coerce.number().int().min(1).max(1000).default(20),
};

export const syntageQuery = z.object(shape).strict();

/** Every query parameter the dialect knows, for the collection's hydra:search template. */
export const SYNTAGE_PARAMETERS = Object.keys(shape);

export interface SyntageRequest {
  scope: Scope;
  query: ListQuery;
}

/**
 * Validated query → side scope and listing query. `keyOrder` is the order in which the client wrote the
 * parameters: it decides the precedence of several `order[…]`.
 */
export function syntageList(q: Record<string, unknown>, keyOrder: readonly string[]): SyntageRequest {
  const conditions: InvoiceCondition[] = [];
  for (const [param, field] of Object.entries(EXACT)) {
    const value = q[param] as string | undefined;
    if (value !== undefined) conditions.push({ op: "eq", field, value });
  }
  for (const [param, field] of Object.entries(PARTIAL)) {
    const value = q[param] as string | undefined;
    if (value !== undefined) conditions.push({ op: "contains", field, value });
  }
  for (const [param, field] of Object.entries(DATES)) {
    const { clock } = FIELD_KINDS[field];
    for (const [op, { side, inclusive }] of Object.entries(DATE_OPERATORS)) {
      const value = q[`${param}[${op}]`] as DateInput | undefined;
      if (value) conditions.push({ op: "range", field, [side]: { value: onClock(value, clock), inclusive } });
    }
  }
  for (const [param, field] of Object.entries(NUMBERS)) {
    const between = q[`${param}[between]`] as { min: number; max: number } | undefined;
    if (between) {
      conditions.push({
        op: "range",
        field,
        lower: { value: between.min, inclusive: true },
        upper: { value: between.max, inclusive: true },
      });
    }
    const bound = (op: string, side: "lower" | "upper", inclusive: boolean) => {
      const value = q[`${param}[${op}]`] as number | undefined;
      if (value !== undefined) conditions.push({ op: "range", field, [side]: { value, inclusive } });
    };
    bound("gt", "lower", false);
    bound("gte", "lower", true);
    bound("lt", "upper", false);
    bound("lte", "upper", true);
  }
  for (const [param, field] of Object.entries(EXISTS)) {
    const present = q[`exists[${param}]`] as boolean | undefined;
    if (present !== undefined) conditions.push({ op: "exists", field, present });
  }
  const flag = (param: string, field: Field) => {
    const value = q[param] as boolean | undefined;
    if (value !== undefined) conditions.push({ op: "exists", field, present: value } satisfies Comparison);
  };
  flag("hasXml", "xmlFileId");
  flag("hasPdf", "pdfFileId");
  if (q.status) conditions.push({ op: "eq", field: "isCancelled", value: q.status === "CANCELADO" });

  const sort: Sort[] = keyOrder.flatMap((key) => {
    const m = /^order\[(.+)\]$/.exec(key);
    const field = m ? ORDERS[m[1] as keyof typeof ORDERS] : undefined;
    const direction = q[key] as "asc" | "desc" | undefined;
    return field && direction ? [{ field, direction }] : [];
  });
  if (sort.length === 0) sort.push({ field: "createdAt", direction: "desc" });

  const after = q["id[lt]"] as string | undefined;
  const before = q["id[gt]"] as string | undefined;
  if (after && before) {
    throw badRequest("conflicting_cursors", "Give id[lt] (next page) or id[gt] (previous page), not both");
  }
  const scope: Scope = {};
  if (q.isIssuer !== undefined) scope.provider = q.isIssuer as boolean;
  if (q.isReceiver !== undefined) scope.organization = q.isReceiver as boolean;
  return {
    scope,
    query: {
      conditions,
      sort,
      pagination: {
        kind: "cursor",
        limit: q.itemsPerPage as number,
        ...(after ? { after } : {}),
        ...(before ? { before } : {}),
      },
    },
  };
}
