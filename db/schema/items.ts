/**
 * Each organization's product catalog (seed #189–193, `/v1/items`) and the reporting copy of its
 * consumptions (seed #127, `/v1/consumables/consumptions`).
 *
 * Items: what a stamp request may name by `itemId` instead of repeating description, keys, price and
 * taxes. The price is exact decimal text plus integer micros for sorting; `taxes` is the stamp body's
 * tax list, null when the item leaves it to the stamp's default (IVA 16 % transferred).
 *
 * Consumptions: the OrgLedger Durable Object is the only writer and the truth of the balance; each
 * settled consumption (a captured hold) is copied here once, keyed by the ledger's entry id, so that
 * listings filter, sort and page in SQL.
 */
import { index, integer, sqliteTable, text, uniqueIndex } from "drizzle-orm/sqlite-core";
import { id, timestamps } from "./columns";

export interface ItemTax {
  type: "IVA" | "ISR" | "IEPS";
  factor: "Tasa" | "Cuota" | "Exento";
  /** Exact decimal text; absent for Exento. */
  rate?: string;
  withholding: boolean;
}

export const items = sqliteTable(
  "items",
  {
    id: id(),
    organizationId: text("organization_id").notNull(),
    description: text("description").notNull(),
    /** The description folded for uniqueness: trimmed, single-spaced, lower case (Spanish letters too). */
    descriptionKey: text("description_key").notNull(),
    /** c_ClaveProdServ. */
    itemKey: text("item_key").notNull(),
    /** c_ClaveUnidad. */
    unitKey: text("unit_key").notNull(),
    netUnitPriceAmount: text("net_unit_price_amount").notNull(),
    netUnitPriceMicros: integer("net_unit_price_micros").notNull(),
    taxes: text("taxes", { mode: "json" }).$type<ItemTax[]>(),
    ...timestamps,
  },
  (t) => [
    uniqueIndex("items_org_description_uq").on(t.organizationId, t.descriptionKey),
    index("items_org_created_idx").on(t.organizationId, t.createdAt),
  ],
);

export const consumptions = sqliteTable(
  "consumptions",
  {
    id: id(),
    organizationId: text("organization_id").notNull(),
    /** What was consumed ("stamp"). */
    consumableKey: text("consumable_key").notNull(),
    /** The Mexico City month it counts against, YYYY-MM. */
    period: text("period").notNull(),
    /** Units consumed (the seed's `count`). */
    count: integer("count").notNull(),
    /** Of those, units the plan included for the period (not charged). */
    includedUnits: integer("included_units").notNull(),
    /** MXN per charged unit, integer centavos (the ledger's unit). */
    unitPriceCents: integer("unit_price_cents").notNull(),
    /** MXN charged to the balance, integer centavos. */
    amountCents: integer("amount_cents").notNull(),
    /** The invoice a stamp consumption paid for. */
    invoiceId: text("invoice_id"),
    /** The ledger's entry (the hold that was captured): one row per entry, whatever retries happen. */
    ledgerEntryId: text("ledger_entry_id").notNull(),
    createdAt: text("created_at").notNull(),
  },
  (t) => [
    uniqueIndex("consumptions_ledger_entry_uq").on(t.ledgerEntryId),
    index("consumptions_org_created_idx").on(t.organizationId, t.createdAt),
  ],
);
