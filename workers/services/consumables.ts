/**
 * Consumables (seed #126, #127): what the plan includes per period and what was consumed. The
 * OrgLedger Durable Object keeps the truth (included units, usage, charges); each settled consumption
 * is also copied into D1 (`consumptions`) once, keyed by its ledger entry, for filtered listings.
 */
import { and, asc, count, desc, eq, gt, gte, lt, lte, type SQL } from "drizzle-orm";
import { containsInsensitive } from "../../db/filters";
import { consumptions } from "../../db/schema";
import type { LedgerEntry } from "../../durable-objects/org-ledger-balance";
import type { DateInput } from "../../shared/invoices/filters/values";
import { dayRange } from "../../shared/invoices/filters/values";
import { formatMxn, parseMxn } from "../../shared/ledger/money";
import { pageOffset } from "../../shared/pagination";
import { type ActorContext, nowIso, type ServiceContext } from "./context";
import { ledgerCall } from "./ledger";
import { requireOrgAccess } from "./tenancy";

/** The period's consumables from the ledger; the current Mexico City month when none is given. */
export async function listConsumables(ctx: ActorContext, organizationId: string, period?: string) {
  await requireOrgAccess(ctx, organizationId, "balance.read");
  return ledgerCall(ctx.env, organizationId, (l) => l.consumables(period ? { period } : {}));
}

/**
 * Copies a settled consumption (the ledger's captured hold, which always has a key, period and prices)
 * into D1. Idempotent by the entry's id, so
 * a retried request writes one row. The ledger already holds the charge: a failure here is logged and
 * leaves only the report behind, never fails the operation that consumed.
 */
export async function recordConsumption(
  ctx: ServiceContext,
  organizationId: string,
  entry: LedgerEntry,
  invoiceId: string | null,
) {
  try {
    await ctx.db
      .insert(consumptions)
      .values({
        id: crypto.randomUUID(),
        organizationId,
        consumableKey: entry.consumableKey!,
        period: entry.period!,
        count: entry.units,
        includedUnits: entry.includedUnits,
        unitPriceCents: parseMxn(entry.unitPrice)!,
        amountCents: parseMxn(entry.amount)!,
        invoiceId,
        ledgerEntryId: entry.id,
        createdAt: nowIso(),
      })
      .onConflictDoNothing();
  } catch (error) {
    ctx.log("error", "consumption not copied to the database; the ledger has it", {
      organizationId,
      ledgerEntryId: entry.id,
      error: String(error),
    });
  }
}

export const CONSUMPTION_SORTS = {
  createdAt: consumptions.createdAt,
  count: consumptions.count,
  unitPrice: consumptions.unitPriceCents,
  consumableKey: consumptions.consumableKey,
} as const;

export interface ConsumptionQuery {
  consumableKey?: string;
  createdAtFrom?: DateInput;
  createdAtTo?: DateInput;
  sort: keyof typeof CONSUMPTION_SORTS;
  order: "asc" | "desc";
  page: number;
  limit: number;
}

export async function listConsumptions(ctx: ActorContext, organizationId: string, q: ConsumptionQuery) {
  await requireOrgAccess(ctx, organizationId, "balance.read");
  const conditions: SQL[] = [eq(consumptions.organizationId, organizationId)];
  if (q.consumableKey) conditions.push(containsInsensitive(consumptions.consumableKey, q.consumableKey));
  const { lower, upper } = dayRange("utc", q.createdAtFrom, q.createdAtTo);
  // On the UTC clock the bounds are ISO instants, compared as text with the stored ones.
  const at = consumptions.createdAt;
  if (lower) conditions.push((lower.inclusive ? gte : gt)(at, String(lower.value)));
  if (upper) conditions.push((upper.inclusive ? lte : lt)(at, String(upper.value)));
  const where = and(...conditions);
  const direction = q.order === "asc" ? asc : desc;
  const [rows, [total]] = await Promise.all([
    ctx.db
      .select()
      .from(consumptions)
      .where(where)
      .orderBy(direction(CONSUMPTION_SORTS[q.sort]), direction(consumptions.createdAt), asc(consumptions.id))
      .limit(q.limit)
      .offset(pageOffset(q)),
    ctx.db.select({ n: count() }).from(consumptions).where(where),
  ]);
  return { rows, totalCount: Number(total?.n ?? 0) };
}

/** A consumption as the API shows it: the seed's fields, then what the ledger adds. */
export function presentConsumption(row: typeof consumptions.$inferSelect) {
  return {
    id: row.id,
    consumableKey: row.consumableKey,
    count: row.count,
    unitPrice: Number(formatMxn(row.unitPriceCents)),
    createdAt: row.createdAt,
    period: row.period,
    includedUnits: row.includedUnits,
    chargedUnits: row.count - row.includedUnits,
    amount: Number(formatMxn(row.amountCents)),
    invoiceId: row.invoiceId,
    ledgerEntryId: row.ledgerEntryId,
  };
}
