/**
 * The filter model (shared/invoices/filters) as SQL over the invoice tables: the one place that knows
 * how a logical field, a comparison, a sort or a cursor reads in SQLite. Every query starts from
 * `tenantCondition`, ANDed first; filters only ever narrow it.
 *
 * Aggregates (Tatem's list envelope and balance), precisely:
 * - totalCount: invoices matching the filters; unreadCount: those of them with isRead false.
 * - Money counts only invoices whose status is in COUNTS_IN_BALANCES (sent, accepted, paid,
 *   completed: never not_valid, draft, processing or rejected) and that are not cancelled:
 *   amountDue = Σ dueAmount; amountPastDue = Σ dueAmount of those with paymentDueAt before now;
 *   amountPaid = Σ paidAmount; balance grossPriceAmount = Σ grossPriceAmount.
 * - Amounts are in MXN: an invoice in another currency with an exchange rate counts as amount × rate,
 *   rounded half away from zero to millionths per (currency, rate) group; one without a rate counts
 *   as written.
 * - Sums run in SQL on integer millionths, read back as decimal text into BigInt (a driver that
 *   returns doubles never sees them). SQLite refuses an integer sum that leaves 64 bits ("integer
 *   overflow") instead of rounding it; only then is the query repeated with every sum split into whole
 *   units and remainders (`sum(x / 1000000)`, `sum(x % 1000000)`), neither of which can overflow. No
 *   float is involved; results are exact decimal strings.
 * - Cost: when the filters only name status, archived, cancelled, payment method or one product key
 *   (the inbox's tabs and "spend by product"), the counts and sums come from the tenant's running
 *   totals (invoice_rollups, kept by triggers) plus the invoices due earlier today, whatever the
 *   inbox's size. Otherwise from one pass over the matching invoices, grouped by status and by the
 *   currency and rate to convert (a receiver's listing indexes carry the columns it reads, so on that
 *   side the pass reads no rows). A page is chosen by rowid before any row is read (see
 *   selectInvoicePage). bench/inbox.bench.ts measures both at 10k and 100k invoices.
 */
import { type SQL, sql } from "drizzle-orm";
import type { SQLiteColumn } from "drizzle-orm/sqlite-core";
import type {
  Comparison,
  Direction,
  Field,
  InvoiceCondition,
  ItemField,
  Scope,
  Side,
  Sort,
  TaxField,
} from "../shared/invoices/filters/model";
import { SIDES } from "../shared/invoices/filters/model";
import { fromMicros, toMicros } from "../shared/invoices/record";
import { COUNTS_IN_BALANCES, STATUS_CODES } from "../shared/invoices/status";
import type { Db } from "./client";
import { containsInsensitive } from "./filters";
import {
  invoiceItemRollups,
  invoiceItems,
  invoiceRollups,
  invoices,
  invoiceTaxes,
  organizations,
} from "./schema";

export type InvoiceRow = typeof invoices.$inferSelect;

/** The organizations whose invoices a query may see, and on which sides (see Scope). */
export interface Tenant {
  organizationIds: readonly string[];
  scope: Scope;
}

const NEVER = sql`0`;
const ALWAYS = sql`1`;

const sideColumn = (side: Side) => (side === "organization" ? invoices.organizationId : invoices.providerId);

/** Short lists bind one parameter per value; long ones one JSON array (D1 binds at most 100). */
const LISTED_VALUES = 8;

function inList(expression: SQL | SQLiteColumn, values: readonly unknown[]): SQL {
  if (values.length > LISTED_VALUES) {
    return sql`${expression} in (select value from json_each(${JSON.stringify(values)}))`;
  }
  return sql`${expression} in (${sql.join(
    values.map((v) => sql`${v}`),
    sql`, `,
  )})`;
}

function heldBy(side: Side, ids: readonly string[]): SQL {
  const column = sideColumn(side);
  return ids.length === 1 ? sql`${column} = ${ids[0]}` : inList(column, ids);
}

/** The tenant of a Tatem request: one organization, on the side its parameter named. */
export const sideTenant = (organizationId: string, side: Side): Tenant => ({
  organizationIds: [organizationId],
  scope: { [side]: true },
});

/** Which invoices the tenant may see at all. Every query ANDs this first. */
export function tenantCondition({ organizationIds, scope }: Tenant): SQL {
  if (organizationIds.length === 0) return NEVER;
  const required = SIDES.filter((s) => scope[s] === true);
  const open = SIDES.filter((s) => scope[s] !== false);
  if (open.length === 0) return NEVER;
  const parts = required.length
    ? required.map((s) => heldBy(s, organizationIds))
    : [
        sql`(${sql.join(
          open.map((s) => heldBy(s, organizationIds)),
          sql` or `,
        )})`,
      ];
  for (const side of SIDES.filter((s) => scope[s] === false)) {
    parts.push(sql`(${sideColumn(side)} is null or not (${heldBy(side, organizationIds)}))`);
  }
  return sql.join(parts, sql` and `);
}

/** Fields that are columns of `invoices`. */
const COLUMNS: Partial<Record<Field, SQLiteColumn>> = {
  id: invoices.id,
  uuid: invoices.uuid,
  status: invoices.status,
  statusCode: invoices.statusCode,
  cfdiVersion: invoices.cfdiVersion,
  cfdiType: invoices.cfdiType,
  series: invoices.series,
  folioNumber: invoices.folioNumber,
  cfdiUse: invoices.cfdiUse,
  paymentMethod: invoices.paymentMethod,
  paymentForm: invoices.paymentForm,
  currencyCode: invoices.currencyCode,
  issuerName: invoices.issuerName,
  issuerTaxIdentifier: invoices.issuerTaxIdentifier,
  issuerTaxRegime: invoices.issuerTaxRegime,
  issuerIsEntity: invoices.issuerIsEntity,
  recipientName: invoices.recipientName,
  recipientTaxIdentifier: invoices.recipientTaxIdentifier,
  recipientTaxRegime: invoices.recipientTaxRegime,
  recipientIsEntity: invoices.recipientIsEntity,
  pacTaxIdentifier: invoices.pacTaxIdentifier,
  xmlFileId: invoices.xmlFileId,
  pdfFileId: invoices.pdfFileId,
  isCancelled: invoices.isCancelled,
  isRead: invoices.isRead,
  grossPrice: invoices.grossPriceMicros,
  netPrice: invoices.netPriceMicros,
  discount: invoices.discountMicros,
  tax: invoices.taxMicros,
  paid: invoices.paidMicros,
  due: invoices.dueMicros,
  createdAt: invoices.createdAt,
  updatedAt: invoices.updatedAt,
  sentAt: invoices.sentAt,
  paymentDueAt: invoices.paymentDueAt,
  cancelledAt: invoices.cancelledAt,
  archivedByOrganizationAt: invoices.archivedByOrganizationAt,
  archivedByProviderAt: invoices.archivedByProviderAt,
  issuedAt: invoices.issuedAt,
  stampedAt: invoices.stampedAt,
  lastPaymentAt: invoices.lastPaymentAt,
  fullyPaidAt: invoices.fullyPaidAt,
};

/** Fields computed from columns. */
const DERIVED: Partial<Record<Field, SQL>> = {
  issuedMonth: sql`substr(${invoices.issuedAt}, 6, 2)`,
  organizationName: sql`(select ${organizations.name} from ${organizations} where ${organizations.id} = ${invoices.organizationId})`,
  organizationTaxIdentifier: sql`(select ${organizations.taxIdentifier} from ${organizations} where ${organizations.id} = ${invoices.organizationId})`,
};

/** Fields we hold no data for: always null. */
const ALWAYS_NULL = new Set<Field>([
  "cancellationStatus",
  "cancellationProcessStatus",
  "issuerBlacklistStatus",
  "recipientBlacklistStatus",
]);

/**
 * Decimal text (digits, optional point, up to 6 decimals, as CFDI rates are written) → exact integer
 * millionths, in SQL: "0.16" and "0.160000" both give 160000.
 */
const textMicros = (column: SQLiteColumn) => sql`(case when instr(${column}, '.') = 0
  then cast(${column} as integer) * 1000000
  else cast(substr(${column}, 1, instr(${column}, '.') - 1) as integer) * 1000000
    + cast(substr(substr(${column}, instr(${column}, '.') + 1) || '000000', 1, 6) as integer) end)`;

/** A bound parameter; micros beyond 2^53 travel as text and are cast back, never as a float. */
function param(value: unknown): SQL {
  if (typeof value === "bigint") {
    return Number.isSafeInteger(Number(value))
      ? sql`${Number(value)}`
      : sql`cast(${value.toString()} as integer)`;
  }
  if (typeof value === "boolean") return sql`${value ? 1 : 0}`;
  return sql`${value}`;
}

type Target = { expression: SQL | SQLiteColumn; column?: SQLiteColumn; value?: (v: unknown) => unknown };

function compare(target: Target, c: Comparison<string>): SQL {
  const { expression } = target;
  const v = (x: unknown) => param(target.value ? target.value(x) : x);
  switch (c.op) {
    case "eq":
      return sql`${expression} = ${v(c.value)}`;
    case "in":
      return inList(
        expression,
        c.values.map((x) => (target.value ? target.value(x) : typeof x === "boolean" ? Number(x) : x)),
      );
    case "contains":
      if (!target.column) throw new Error(`contains needs a column, not an expression (${c.field})`);
      return containsInsensitive(target.column, c.value);
    case "range":
      return sql.join(
        [
          c.lower && sql`${expression} ${sql.raw(c.lower.inclusive ? ">=" : ">")} ${v(c.lower.value)}`,
          c.upper && sql`${expression} ${sql.raw(c.upper.inclusive ? "<=" : "<")} ${v(c.upper.value)}`,
        ].filter((x): x is SQL => x !== undefined),
        sql` and `,
      );
    case "exists":
      return c.present ? sql`${expression} is not null` : sql`${expression} is null`;
  }
}

function invoiceTarget(field: Field): Target | null {
  if (ALWAYS_NULL.has(field)) return null;
  // Status filters read status_code, which the (side, status_code, created_at) indexes cover.
  if (field === "status") {
    return { expression: invoices.statusCode, value: (s) => STATUS_CODES[s as keyof typeof STATUS_CODES] };
  }
  const column = COLUMNS[field];
  if (column) return { expression: column, column };
  const derived = DERIVED[field];
  if (!derived) throw new Error(`No SQL for field ${field}`);
  return { expression: derived };
}

const ITEM_TARGETS: Record<ItemField, Target> = {
  itemKey: { expression: invoiceItems.itemKey, column: invoiceItems.itemKey },
  itemDescription: { expression: invoiceItems.description, column: invoiceItems.description },
};
const TAX_TARGETS: Record<TaxField, Target> = {
  taxId: { expression: invoiceTaxes.taxId, column: invoiceTaxes.taxId },
  taxRate: { expression: textMicros(invoiceTaxes.rate) },
};

/** Counterparty names: a tenant's invoices repeat a few hundred of them (see nameContains). */
const NAME_COLUMNS: Partial<Record<Field, SQLiteColumn>> = {
  issuerName: invoices.issuerName,
  recipientName: invoices.recipientName,
};

/**
 * "Contains" on a counterparty name, matched once per distinct name of the tenant's invoices instead
 * of once per invoice (the case folding costs a dozen string functions per value): the names are
 * read in order from the (side, name) index, matched, and the invoices found by name. `limit -1`
 * stops SQLite from pushing the match into the DISTINCT subquery, where it would run per row again.
 */
function nameContains(tenant: Tenant, column: SQLiteColumn, value: string): SQL {
  const name = sql.raw("matched_name");
  return sql`${column} in (select ${name} from (select distinct ${column} as ${name} from ${invoices} where ${tenantCondition(tenant)} limit -1) where ${containsInsensitive(name, value)})`;
}

interface WhereOptions {
  /** Match concepts' product keys against invoices read in index order instead of finding them by key. */
  walk?: boolean;
}

function condition(c: InvoiceCondition, tenant: Tenant, options: WhereOptions): SQL {
  switch (c.op) {
    case "any":
      return c.of.length
        ? sql`(${sql.join(
            c.of.map((d) => condition(d, tenant, options)),
            sql` or `,
          )})`
        : NEVER;
    case "item": {
      const where = sql.join(
        c.where.map((w) => compare(ITEM_TARGETS[w.field], w)),
        sql` and `,
      );
      // By key, the item_key index finds the invoices directly (or, with `walk`, their ids become a
      // set that invoices read in index order are checked against: `+` keeps SQLite from driving the
      // query from it); a description has no index, so it is checked per candidate invoice through
      // (invoice_id, position).
      if (!c.where.some((w) => w.field === "itemKey" && (w.op === "eq" || w.op === "in"))) {
        return sql`exists (select 1 from ${invoiceItems} where ${invoiceItems.invoiceId} = ${invoices.id} and ${where})`;
      }
      const id = options.walk ? sql`+${invoices.id}` : sql`${invoices.id}`;
      return sql`${id} in (select ${invoiceItems.invoiceId} from ${invoiceItems} where ${where})`;
    }
    case "tax": {
      const where = sql.join(
        c.where.map((w) => compare(TAX_TARGETS[w.field], w)),
        sql` and `,
      );
      return sql`exists (select 1 from ${invoiceTaxes} where ${invoiceTaxes.invoiceId} = ${invoices.id} and ${where})`;
    }
    default: {
      const name = NAME_COLUMNS[c.field];
      if (name && c.op === "contains") return nameContains(tenant, name, c.value);
      const target = invoiceTarget(c.field);
      if (target) return compare(target, c);
      return c.op === "exists" && !c.present ? ALWAYS : NEVER;
    }
  }
}

/** The tenant condition, then every filter. */
export function invoiceWhere(
  tenant: Tenant,
  conditions: readonly InvoiceCondition[],
  options: WhereOptions = {},
): SQL {
  return sql.join(
    [tenantCondition(tenant), ...conditions.map((c) => sql`(${condition(c, tenant, options)})`)],
    sql` and `,
  );
}

/**
 * The listing's full order: the requested keys, then createdAt and id in the direction of the last
 * key, so that equal keys still order the same on every request (stable pages, unique cursors).
 */
export function completeOrder(sort: readonly Sort[]): Sort[] {
  const direction: Direction = sort.at(-1)?.direction ?? "desc";
  const out = [...sort];
  for (const field of ["createdAt", "id"] as const) {
    if (!out.some((s) => s.field === field)) out.push({ field, direction });
  }
  return out;
}

function sortExpression(field: Field): SQL | SQLiteColumn {
  const target = invoiceTarget(field);
  if (!target) return sql`null`;
  return field === "status" ? invoices.status : target.expression;
}

const orderBy = (sort: readonly Sort[]) =>
  sort.map((s) => sql`${sortExpression(s.field)} ${sql.raw(s.direction === "asc" ? "asc" : "desc")}`);

export interface OffsetPage {
  page: number;
  limit: number;
}

/**
 * One page of invoices by page number. The page's rowids are chosen first and only its rows read
 * after: SQLite would otherwise carry whole rows through a sort, and read every row an OFFSET skips
 * whenever the order is not an index's, where the rowids come from index entries and sort keys alone.
 */
export function selectInvoicePage(
  db: Db,
  tenant: Tenant,
  conditions: readonly InvoiceCondition[],
  sort: readonly Sort[],
  { page, limit }: OffsetPage,
  options: WhereOptions = {},
): Promise<InvoiceRow[]> {
  const order = orderBy(completeOrder(sort));
  const chosen = db
    .select({ rowid: sql`${invoices}.rowid` })
    .from(invoices)
    .where(invoiceWhere(tenant, conditions, options))
    .orderBy(...order)
    .limit(limit)
    .offset((page - 1) * limit);
  return db
    .select()
    .from(invoices)
    .where(sql`${invoices}.rowid in ${chosen}`)
    .orderBy(...order);
}

export async function countInvoices(db: Db, tenant: Tenant, conditions: readonly InvoiceCondition[]) {
  const [row] = await db
    .select({ n: sql<number>`count(*)` })
    .from(invoices)
    .where(invoiceWhere(tenant, conditions));
  return Number(row?.n ?? 0);
}

export interface CursorPage {
  limit: number;
  after?: string;
  before?: string;
}

export interface CursorResult {
  rows: InvoiceRow[];
  hasNext: boolean;
  hasPrevious: boolean;
}

/** "Comes after `value` in `direction`", with SQLite's null placement (first ascending, last descending). */
function after(expression: SQL | SQLiteColumn, direction: Direction, value: unknown): SQL {
  if (value === null) return direction === "asc" ? sql`${expression} is not null` : NEVER;
  return direction === "asc"
    ? sql`${expression} > ${param(value)}`
    : sql`(${expression} < ${param(value)} or ${expression} is null)`;
}

const same = (expression: SQL | SQLiteColumn, value: unknown) =>
  value === null ? sql`${expression} is null` : sql`${expression} = ${param(value)}`;

/** Rows strictly after the cursor row in `order`: the keyset predicate over the full order. */
function keyset(order: readonly Sort[], values: readonly unknown[]): SQL {
  const branches = order.map((s, i) => {
    const equal = order.slice(0, i).map((p, j) => same(sortExpression(p.field), values[j]));
    return sql`(${sql.join([...equal, after(sortExpression(s.field), s.direction, values[i])], sql` and `)})`;
  });
  return sql`(${sql.join(branches, sql` or `)})`;
}

export class CursorNotFound extends Error {}

/**
 * A keyset page. The cursor is an invoice id the tenant can see (else CursorNotFound): `after` gives
 * the rows that follow it in the listing order, `before` the rows that precede it (read in reverse,
 * returned in listing order).
 */
export async function selectInvoicesByCursor(
  db: Db,
  tenant: Tenant,
  conditions: readonly InvoiceCondition[],
  sort: readonly Sort[],
  { limit, after: afterId, before: beforeId }: CursorPage,
): Promise<CursorResult> {
  const order = completeOrder(sort);
  const cursorId = afterId ?? beforeId;
  const backwards = beforeId !== undefined;
  const readOrder = backwards
    ? order.map((s) => ({ ...s, direction: s.direction === "asc" ? ("desc" as const) : ("asc" as const) }))
    : order;
  const where = [invoiceWhere(tenant, conditions)];
  if (cursorId) {
    const selection = Object.fromEntries(order.map((s, i) => [`k${i}`, sql`${sortExpression(s.field)}`]));
    const [cursor] = await db
      .select(selection)
      .from(invoices)
      .where(sql`${invoices.id} = ${cursorId} and ${tenantCondition(tenant)}`)
      .limit(1);
    if (!cursor) throw new CursorNotFound(cursorId);
    where.push(
      keyset(
        readOrder,
        order.map((_, i) => (cursor as Record<string, unknown>)[`k${i}`] ?? null),
      ),
    );
  }
  const rows = await db
    .select()
    .from(invoices)
    .where(sql.join(where, sql` and `))
    .orderBy(...orderBy(readOrder))
    .limit(limit + 1);
  const more = rows.length > limit;
  const page = rows.slice(0, limit);
  if (backwards) return { rows: page.reverse(), hasNext: true, hasPrevious: more };
  return { rows: page, hasNext: more, hasPrevious: cursorId !== undefined };
}

/** Half away from zero: amount (micros) × rate (micros) → micros. */
function convertMicros(amount: bigint, rate: bigint): bigint {
  const product = amount * rate;
  const magnitude = product < 0n ? -product : product;
  const rounded = (magnitude + 500_000n) / 1_000_000n;
  return product < 0n ? -rounded : rounded;
}

/** Amounts that must be converted to MXN (another currency with an exchange rate). */
const converted = sql`${invoices.currencyCode} <> 'MXN' and ${invoices.exchangeRate} is not null`;

/** A sum of `column` over the rows of a pass, restricted further to `when` when given. */
interface SumSpec {
  column: SQLiteColumn;
  when?: SQL;
}

/** The select fields of `sums`: one exact integer sum each, or two (units and remainders) when split. */
function sumFields(sums: Record<string, SumSpec>, split: boolean): Record<string, SQL> {
  const fields: Record<string, SQL> = {};
  for (const [key, { column, when }] of Object.entries(sums)) {
    const value = when ? sql`case when ${when} then ${column} end` : sql`${column}`;
    if (split) {
      fields[`${key}Units`] = sql`coalesce(sum(${value} / 1000000), 0)`;
      fields[`${key}Rest`] = sql`coalesce(sum(${value} % 1000000), 0)`;
    } else {
      fields[key] = sql`cast(coalesce(sum(${value}), 0) as text)`;
    }
  }
  return fields;
}

const readSum = (row: Record<string, unknown>, key: string, split: boolean) =>
  split
    ? BigInt(row[`${key}Units`] as number) * 1_000_000n + BigInt(row[`${key}Rest`] as number)
    : BigInt(String(row[key]));

/** SQLite's refusal of an integer sum, however many wrappers (drizzle's query error) it comes in. */
function isIntegerOverflow(error: unknown): boolean {
  for (let e = error, depth = 0; e && depth < 5; e = (e as { cause?: unknown }).cause, depth++) {
    if (/integer overflow/i.test(String((e as Error).message ?? e))) return true;
  }
  return false;
}

/** Runs `query` with plain sums, and again with split sums only if SQLite refused one as too large. */
async function exactly<T>(query: (split: boolean) => Promise<T>): Promise<{ result: T; split: boolean }> {
  try {
    return { result: await query(false), split: false };
  } catch (error) {
    if (!isIntegerOverflow(error)) throw error;
    return { result: await query(true), split: true };
  }
}

interface SumRow<K extends string, E> {
  totals: Record<K, bigint>;
  extra: Record<keyof E, unknown>;
}

/**
 * One pass over the invoices matching `where`, one row per group of `by` (a single row without):
 * `sums` exactly, and the plain aggregates of `extra`.
 */
async function sumRows<K extends string, E extends Record<string, SQL | SQLiteColumn>>(
  db: Db,
  where: SQL,
  sums: Record<K, SumSpec>,
  extra: E,
  by: Array<SQLiteColumn | SQL> = [],
): Promise<SumRow<K, E>[]> {
  const { result, split } = await exactly((split) =>
    db
      .select({ ...extra, ...sumFields(sums, split) })
      .from(invoices)
      .where(where)
      .groupBy(...by),
  );
  const keys = Object.keys(sums) as K[];
  return (result as Array<Record<string, unknown>>).map((row) => ({
    totals: Object.fromEntries(keys.map((key) => [key, readSum(row, key, split)])) as Record<K, bigint>,
    extra: row as Record<keyof E, unknown>,
  }));
}

export interface ListAggregates {
  totalCount: number;
  unreadCount: number;
  amountDue: string;
  amountPastDue: string;
  amountPaid: string;
}

const BALANCE_CODES = new Set(COUNTS_IN_BALANCES.map((s) => STATUS_CODES[s]));

/** The running totals of one tenant side (db/schema/invoice-rollups.ts), by what converting needs apart. */
interface RollupGroup {
  statusCode: number;
  currencyCode: string;
  exchangeRate: string;
  invoices: number;
  unread: number;
  due: bigint;
  paid: bigint;
  pastDue: bigint;
  gross: bigint;
}

/** Either rollup table: the same key and total columns (db/schema/invoice-rollups.ts). */
type RollupTable = typeof invoiceRollups | typeof invoiceItemRollups;

/**
 * A condition on the rollups' key columns, when `c` only names them; null when it names anything else
 * (the aggregates then read the invoices).
 */
function rollupCondition(c: InvoiceCondition, side: Side, r: RollupTable): SQL | null {
  switch (c.op) {
    case "any": {
      const parts = c.of.map((d) => rollupCondition(d, side, r));
      if (parts.some((p) => p === null)) return null;
      return parts.length ? sql`(${sql.join(parts as SQL[], sql` or `)})` : NEVER;
    }
    case "item":
    case "tax":
      return null;
    default: {
      const archivedField = side === "organization" ? "archivedByOrganizationAt" : "archivedByProviderAt";
      if (c.field === archivedField && c.op === "exists") return sql`${r.archived} = ${c.present ? 1 : 0}`;
      if (c.op !== "eq" && c.op !== "in") return null;
      const target: Record<string, Target> = {
        status: { expression: r.statusCode, value: (s) => STATUS_CODES[s as keyof typeof STATUS_CODES] },
        statusCode: { expression: r.statusCode },
        isCancelled: { expression: r.isCancelled, value: (b) => (b ? 1 : 0) },
        paymentMethod: { expression: r.paymentMethod },
      };
      const t = target[c.field];
      return t ? compare(t, c) : null;
    }
  }
}

/** The one product key of "some concept has key K", the only item condition the item rollups answer. */
function singleItemKey(c: InvoiceCondition): string | null {
  if (c.op !== "item" || c.where.length !== 1) return null;
  const [w] = c.where;
  if (w?.field !== "itemKey") return null;
  if (w.op === "eq") return String(w.value);
  return w.op === "in" && w.values.length === 1 ? String(w.values[0]) : null;
}

/**
 * The tenant's rollup rows that the conditions select, when the rollups can answer: one organization on
 * one side (Tatem's listings), conditions only on rollup keys, and at most one product key (an invoice
 * with two of several keys would count twice). Null otherwise.
 */
function rollupSelection(
  tenant: Tenant,
  conditions: readonly InvoiceCondition[],
): { table: RollupTable; where: SQL } | null {
  const sides = SIDES.filter((s) => tenant.scope[s] !== undefined);
  const side = sides[0];
  if (tenant.organizationIds.length !== 1 || sides.length !== 1 || !side || tenant.scope[side] !== true) {
    return null;
  }
  const itemKeys = conditions.filter((c) => c.op === "item");
  const itemKey = itemKeys.length === 1 ? singleItemKey(itemKeys[0]!) : null;
  if (itemKeys.length > 0 && itemKey === null) return null;
  const table: RollupTable = itemKey === null ? invoiceRollups : invoiceItemRollups;
  const parts = [sql`${table.tenantId} = ${tenant.organizationIds[0]}`, sql`${table.side} = ${side}`];
  if (itemKey !== null) parts.push(sql`${invoiceItemRollups.itemKey} = ${itemKey}`);
  for (const c of conditions) {
    if (c.op === "item") continue;
    const part = rollupCondition(c, side, table);
    if (!part) return null;
    parts.push(sql`(${part})`);
  }
  return { table, where: sql.join(parts, sql` and `) };
}

/** Sums of the selected rollup rows, grouped by status and by conversion. */
async function rollupGroups(
  db: Db,
  { table: r, where }: { table: RollupTable; where: SQL },
  now: Date,
): Promise<RollupGroup[]> {
  const live = sql`${r.isCancelled} = 0`;
  // Days before today are wholly past; today's invoices are summed from the invoices (invoiceAggregates).
  const pastDue = sql`${live} and ${r.dueAt} <> '' and ${r.dueAt} < ${utcDay(now)}`;
  // Whole units and remainders are summed apart (see the schema), and read back as text into BigInt.
  const total = (units: SQLiteColumn, rest: SQLiteColumn, when: SQL) =>
    sql<string>`cast(coalesce(sum(case when ${when} then ${units} end), 0) as text) || ':' || cast(coalesce(sum(case when ${when} then ${rest} end), 0) as text)`;
  const rows = await db
    .select({
      statusCode: r.statusCode,
      currencyCode: r.currencyCode,
      exchangeRate: r.exchangeRate,
      invoices: sql<number>`sum(${r.invoices})`,
      unread: sql<number>`sum(${r.unread})`,
      due: total(r.dueUnits, r.dueRest, live),
      paid: total(r.paidUnits, r.paidRest, live),
      pastDue: total(r.dueUnits, r.dueRest, pastDue),
      gross: total(r.grossUnits, r.grossRest, live),
    })
    .from(r as typeof invoiceRollups)
    .where(where)
    .groupBy(r.statusCode, r.currencyCode, r.exchangeRate);
  const micros = (pair: string) => {
    const [units, rest] = pair.split(":");
    return BigInt(units!) * 1_000_000n + BigInt(rest!);
  };
  return rows.map((row) => ({
    statusCode: Number(row.statusCode),
    currencyCode: row.currencyCode,
    exchangeRate: row.exchangeRate,
    invoices: Number(row.invoices),
    unread: Number(row.unread),
    due: micros(row.due),
    paid: micros(row.paid),
    pastDue: micros(row.pastDue),
    gross: micros(row.gross),
  }));
}

type MoneyKey = "due" | "paid" | "pastDue" | "gross";

/**
 * Balance money of rollup groups (or of invoices grouped the same way) in MXN: groups of statuses that
 * do not count are skipped, and each (currency, rate) is converted once over all its statuses.
 */
function rollupMoney(groups: readonly RollupGroup[]): Record<MoneyKey, bigint> {
  const keys: MoneyKey[] = ["due", "paid", "pastDue", "gross"];
  const totals: Record<MoneyKey, bigint> = { due: 0n, paid: 0n, pastDue: 0n, gross: 0n };
  const converted = new Map<string, Record<MoneyKey, bigint>>();
  for (const g of groups) {
    if (!BALANCE_CODES.has(g.statusCode)) continue;
    if (g.currencyCode === "") {
      for (const k of keys) totals[k] += g[k];
      continue;
    }
    const id = `${g.currencyCode}\n${g.exchangeRate}`;
    const sums = converted.get(id) ?? { due: 0n, paid: 0n, pastDue: 0n, gross: 0n };
    for (const k of keys) sums[k] += g[k];
    converted.set(id, sums);
  }
  for (const [id, sums] of converted) {
    const rate = BigInt(toMicros(id.split("\n")[1]!));
    for (const k of keys) totals[k] += convertMicros(sums[k], rate);
  }
  return totals;
}

/**
 * Tatem's list aggregates over the filtered invoices (see the header for the definitions). From the
 * rollups when they can answer (a few hundred rows instead of every invoice), else from one pass over
 * the invoices grouped like the rollups, so that which statuses count in balances is decided once per
 * group instead of once per invoice. Both give the same numbers (test/node/db/invoice-rollups.test.ts).
 */
export async function invoiceAggregates(
  db: Db,
  tenant: Tenant,
  conditions: readonly InvoiceCondition[],
  now: Date,
): Promise<ListAggregates> {
  const rollup = rollupSelection(tenant, conditions);
  const totals = rollup
    ? await rollupTotals(db, tenant, conditions, rollup, now)
    : await invoiceTotals(db, tenant, conditions, now);
  return {
    totalCount: totals.totalCount,
    unreadCount: totals.unreadCount,
    amountDue: fromMicros(totals.due),
    amountPastDue: fromMicros(totals.pastDue),
    amountPaid: fromMicros(totals.paid),
  };
}

interface Totals {
  totalCount: number;
  unreadCount: number;
  due: bigint;
  pastDue: bigint;
  paid: bigint;
  gross: bigint;
}

/** The UTC date of an instant, as the rollups' due days are written. */
const utcDay = (at: Date) => at.toISOString().slice(0, 10);

/**
 * The totals from the rollups, plus what falls due earlier today: the rollups know the day an invoice
 * is due, not the hour, so today's invoices due before `now` are summed from the invoices (the few of
 * one day, found through the due-date index).
 */
async function rollupTotals(
  db: Db,
  tenant: Tenant,
  conditions: readonly InvoiceCondition[],
  selection: { table: RollupTable; where: SQL },
  now: Date,
): Promise<Totals> {
  const dueEarlierToday: InvoiceCondition = {
    op: "range",
    field: "paymentDueAt",
    lower: { value: `${utcDay(now)}T00:00:00.000Z`, inclusive: true },
    upper: { value: now.toISOString(), inclusive: false },
  };
  const [groups, today] = await Promise.all([
    rollupGroups(db, selection, now),
    // The day's few invoices come from the due-date index; a product key is checked against them.
    invoiceTotals(db, tenant, [...conditions, dueEarlierToday], now, { walk: true }),
  ]);
  const money = rollupMoney(groups);
  return {
    totalCount: groups.reduce((n, g) => n + g.invoices, 0),
    unreadCount: groups.reduce((n, g) => n + g.unread, 0),
    due: money.due,
    pastDue: money.pastDue + today.pastDue,
    paid: money.paid,
    gross: money.gross,
  };
}

/**
 * The totals from the invoices themselves, in one pass grouped as the rollups are (by status, and by
 * currency and rate for the invoices converted to MXN), so that both paths share rollupMoney.
 */
async function invoiceTotals(
  db: Db,
  tenant: Tenant,
  conditions: readonly InvoiceCondition[],
  now: Date,
  options: WhereOptions = {},
): Promise<Totals> {
  const live = sql`${invoices.isCancelled} = 0`;
  // Settled invoices (most of an inbox) owe nothing: they skip the date comparison.
  const pastDue = sql`${live} and ${invoices.dueMicros} <> 0 and ${invoices.paymentDueAt} < ${now.toISOString()}`;
  const currency = sql`case when ${converted} then ${invoices.currencyCode} else '' end`;
  const rate = sql`case when ${converted} then ${invoices.exchangeRate} else '' end`;
  const rows = await sumRows(
    db,
    invoiceWhere(tenant, conditions, options),
    {
      due: { column: invoices.dueMicros, when: live },
      paid: { column: invoices.paidMicros, when: live },
      pastDue: { column: invoices.dueMicros, when: pastDue },
      gross: { column: invoices.grossPriceMicros, when: live },
    },
    {
      statusCode: invoices.statusCode,
      currencyCode: currency,
      exchangeRate: rate,
      total: sql`count(*)`,
      unread: sql`coalesce(sum(${invoices.isRead} = 0), 0)`,
    },
    [invoices.statusCode, currency, rate],
  );
  const groups: RollupGroup[] = rows.map(({ extra, totals }) => ({
    statusCode: Number(extra.statusCode),
    currencyCode: String(extra.currencyCode),
    exchangeRate: String(extra.exchangeRate),
    invoices: Number(extra.total),
    unread: Number(extra.unread),
    ...totals,
  }));
  const money = rollupMoney(groups);
  return {
    totalCount: groups.reduce((n, g) => n + g.invoices, 0),
    unreadCount: groups.reduce((n, g) => n + g.unread, 0),
    due: money.due,
    pastDue: money.pastDue,
    paid: money.paid,
    gross: money.gross,
  };
}

/** How many invoices the conditions select, from the rollups; null when they cannot answer. */
async function rollupCount(db: Db, tenant: Tenant, conditions: readonly InvoiceCondition[]) {
  const selection = rollupSelection(tenant, conditions);
  if (!selection) return null;
  const [row] = await db
    .select({ n: sql<number>`coalesce(sum(${selection.table.invoices}), 0)` })
    .from(selection.table as typeof invoiceRollups)
    .where(selection.where);
  return Number(row?.n ?? 0);
}

/**
 * Index steps one look-up of an invoice by id costs, relative to reading the next entry of an index in
 * order: measured ~15 at 100k invoices (bench/inbox.bench.ts, "item key" against "default list").
 */
const LOOKUP_STEPS = 15;

/**
 * Whether a page filtered by product key is cheaper walked (the listing order's index read from the
 * start, each invoice checked against the key's set, until the page is complete) than found (one
 * look-up per invoice with the key, then sorted): walking reads about (page end) × candidates ÷ matching
 * entries, at most every candidate; finding costs a look-up per matching invoice.
 */
function walkIsCheaper(matching: number, candidates: number, { page, limit }: OffsetPage): boolean {
  if (matching === 0) return false;
  const walked = Math.min(candidates, Math.ceil((page * limit * candidates) / matching));
  return walked < LOOKUP_STEPS * matching;
}

/**
 * One page of a listing and the aggregates of everything its filters select. Without a concept filter
 * both run at once. With one, the aggregates (from the rollups, so cheap) come first, because how many
 * invoices carry the product key decides how the page is best read (walkIsCheaper).
 */
export async function invoicePageWithAggregates(
  db: Db,
  tenant: Tenant,
  conditions: readonly InvoiceCondition[],
  sort: readonly Sort[],
  page: OffsetPage,
  now: Date,
): Promise<{ rows: InvoiceRow[]; aggregates: ListAggregates }> {
  if (!conditions.some((c) => c.op === "item")) {
    const [rows, aggregates] = await Promise.all([
      selectInvoicePage(db, tenant, conditions, sort, page),
      invoiceAggregates(db, tenant, conditions, now),
    ]);
    return { rows, aggregates };
  }
  const [aggregates, candidates] = await Promise.all([
    invoiceAggregates(db, tenant, conditions, now),
    rollupCount(
      db,
      tenant,
      conditions.filter((c) => c.op !== "item"),
    ),
  ]);
  const walk = candidates !== null && walkIsCheaper(aggregates.totalCount, candidates, page);
  return { rows: await selectInvoicePage(db, tenant, conditions, sort, page, { walk }), aggregates };
}

/** Σ grossPriceAmount of the filtered balance invoices (Tatem's invoices balance). */
export async function grossPriceBalance(
  db: Db,
  tenant: Tenant,
  conditions: readonly InvoiceCondition[],
): Promise<string> {
  const rollup = rollupSelection(tenant, conditions);
  if (rollup) return fromMicros(rollupMoney(await rollupGroups(db, rollup, new Date())).gross);
  return fromMicros((await invoiceTotals(db, tenant, conditions, new Date())).gross);
}

export const DISTINCT_LISTS = [
  "productKeys",
  "paymentForms",
  "paymentMethods",
  "cfdiUses",
  "entityTypes",
] as const;
export type DistinctList = (typeof DISTINCT_LISTS)[number];

export interface DistinctValue {
  value: string | boolean;
  count: number;
}

/**
 * The values a field takes on the tenant's invoices, each with how many invoices carry it, most used
 * first. Entity types are the counterparty's: the issuer's for a receiver, the recipient's for an
 * issuer. Product keys count invoices with at least one concept of that key.
 */
export async function distinctValues(
  db: Db,
  tenant: Tenant,
  side: Side,
  list: DistinctList,
): Promise<DistinctValue[]> {
  const where = tenantCondition(tenant);
  if (list === "productKeys") {
    const rows = await db
      .select({ value: invoiceItems.itemKey, count: sql<number>`count(distinct ${invoiceItems.invoiceId})` })
      .from(invoiceItems)
      .innerJoin(invoices, sql`${invoices.id} = ${invoiceItems.invoiceId}`)
      .where(sql`${where} and ${invoiceItems.itemKey} is not null`)
      .groupBy(invoiceItems.itemKey)
      .orderBy(sql`2 desc`, sql`1 asc`);
    return rows.map((r) => ({ value: r.value as string, count: Number(r.count) }));
  }
  const column = {
    paymentForms: invoices.paymentForm,
    paymentMethods: invoices.paymentMethod,
    cfdiUses: invoices.cfdiUse,
    entityTypes: side === "organization" ? invoices.issuerIsEntity : invoices.recipientIsEntity,
  }[list];
  const rows = await db
    .select({ value: column, count: sql<number>`count(*)` })
    .from(invoices)
    .where(sql`${where} and ${column} is not null`)
    .groupBy(column)
    .orderBy(sql`2 desc`, sql`1 asc`);
  return rows.map((r) => ({ value: r.value as string | boolean, count: Number(r.count) }));
}
