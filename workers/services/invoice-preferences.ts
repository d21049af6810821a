/**
 * An organization's invoice preferences (seed #34/#35): read with `invoice_preferences.read`, replaced
 * with `invoice_preferences.update`. The rules they express are enforced on every received invoice
 * by shared/invoices/preferences.ts; this module only stores them.
 */
import { eq } from "drizzle-orm";
import { invoicePreferences } from "../../db/schema";
import { type ActorContext, nowIso } from "./context";
import { requireOrgAccess } from "./tenancy";

export type InvoicePreferencesRow = typeof invoicePreferences.$inferSelect;
export type InvoicePreferencesInput = Partial<
  Omit<InvoicePreferencesRow, "organizationId" | "createdAt" | "updatedAt">
>;

const FIELDS = [
  "paymentMethods",
  "cfdiUses",
  "paymentForms",
  "currencyCodes",
  "paymentDay",
  "allowedInvoiceDays",
  "monthEndInvoiceDays",
  "isEfosClearanceMandatory",
  "isComplianceDocumentMandatory",
  "numberOfMissingPendingInvoicePaymentsAllowed",
  "isBankingInformationMandatory",
  "isPurchaseOrderMandatory",
  "isStampedAtCurrentMonthMandatory",
  "archivePaidInvoices",
  "paymentDueAtAnchor",
] as const satisfies readonly (keyof InvoicePreferencesInput)[];

/** Every field, null when the organization never set it. */
export function presentInvoicePreferences(row: InvoicePreferencesRow | undefined) {
  const out = {} as { [K in (typeof FIELDS)[number]]: InvoicePreferencesRow[K] | null };
  for (const field of FIELDS) (out as Record<string, unknown>)[field] = row?.[field] ?? null;
  return out;
}

export async function getInvoicePreferences(ctx: ActorContext, organizationId: string) {
  await requireOrgAccess(ctx, organizationId, "invoice_preferences.read");
  const [row] = await ctx.db
    .select()
    .from(invoicePreferences)
    .where(eq(invoicePreferences.organizationId, organizationId))
    .limit(1);
  return row;
}

/** Fields present in the input are set (null clears one); absent fields keep their value. */
export async function updateInvoicePreferences(
  ctx: ActorContext,
  organizationId: string,
  input: InvoicePreferencesInput,
) {
  await requireOrgAccess(ctx, organizationId, "invoice_preferences.update");
  const now = nowIso();
  const changes: InvoicePreferencesInput = {};
  for (const field of FIELDS) {
    if (input[field] !== undefined) (changes as Record<string, unknown>)[field] = input[field];
  }
  const [row] = await ctx.db
    .insert(invoicePreferences)
    .values({ ...changes, organizationId, createdAt: now, updatedAt: now })
    .onConflictDoUpdate({ target: invoicePreferences.organizationId, set: { ...changes, updatedAt: now } })
    .returning();
  return row!;
}
