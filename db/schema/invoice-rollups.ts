/**
 * Running totals of each tenant's invoices, one row per combination of the few fields that listings
 * filter on most (status, archived on that side, cancelled, payment method) and of what the list
 * aggregates need apart (the currency and rate of invoices converted to MXN, and when an unsettled
 * invoice falls due). An unfiltered or lightly filtered inbox then adds up a few hundred rows instead of
 * reading every invoice (db/invoice-queries `invoiceAggregates`).
 *
 * `invoice_item_rollups` holds the same totals per SAT product key of the invoices' concepts (an invoice
 * counts once per distinct key it carries), for the "spend by product" filter.
 *
 * Kept by SQLite triggers on `invoices` and `invoice_items` (migration 0008_invoice_rollup_triggers), in the same
 * statement as the change they count: no code path can write an invoice and forget its rollup, and D1
 * and libSQL behave the same. Every invoice is counted once per side that has an organization.
 *
 * Key columns are never null ('' stands for "none"): SQLite treats nulls in a unique key as distinct,
 * which would defeat the triggers' upserts. Sums are kept as whole units and remainders of micros, like
 * the aggregate queries, so that no running total can leave 64-bit integers (SQLite would turn an
 * overflowing `+` into a float).
 */
import { integer, primaryKey, type SQLiteColumn, sqliteTable, text } from "drizzle-orm/sqlite-core";

const totals = {
  invoices: integer("invoices").notNull(),
  unread: integer("unread").notNull(),
  dueUnits: integer("due_units").notNull(),
  dueRest: integer("due_rest").notNull(),
  paidUnits: integer("paid_units").notNull(),
  paidRest: integer("paid_rest").notNull(),
  grossUnits: integer("gross_units").notNull(),
  grossRest: integer("gross_rest").notNull(),
};

const keys = {
  /** 1 when archived by this side. */
  archived: integer("archived").notNull(),
  statusCode: integer("status_code").notNull(),
  isCancelled: integer("is_cancelled").notNull(),
  /** PUE, PPD, or '' when the CFDI has none. */
  paymentMethod: text("payment_method").notNull(),
  /** Set only for invoices converted to MXN in aggregates (another currency with a rate), else ''. */
  currencyCode: text("currency_code").notNull(),
  exchangeRate: text("exchange_rate").notNull(),
  /**
   * The UTC date (YYYY-MM-DD) paymentDueAt falls on, for invoices that still owe something (due > 0),
   * else ''. Days, not instants, so that an inbox has a few hundred rows, not one per unpaid invoice;
   * the day that is today is summed from the invoices themselves (db/invoice-queries).
   */
  dueAt: text("due_at").notNull(),
};

type KeyColumns = Record<keyof typeof keys, SQLiteColumn>;
const keyColumns = (t: KeyColumns) => [
  t.archived,
  t.statusCode,
  t.isCancelled,
  t.paymentMethod,
  t.currencyCode,
  t.exchangeRate,
  t.dueAt,
];

export const invoiceRollups = sqliteTable(
  "invoice_rollups",
  {
    tenantId: text("tenant_id").notNull(),
    /** "organization" (receiver) or "provider" (issuer). */
    side: text("side").notNull(),
    ...keys,
    ...totals,
  },
  (t) => [primaryKey({ columns: [t.tenantId, t.side, ...keyColumns(t)] })],
);

export const invoiceItemRollups = sqliteTable(
  "invoice_item_rollups",
  {
    tenantId: text("tenant_id").notNull(),
    side: text("side").notNull(),
    itemKey: text("item_key").notNull(),
    ...keys,
    ...totals,
  },
  (t) => [primaryKey({ columns: [t.tenantId, t.side, t.itemKey, ...keyColumns(t)] })],
);
