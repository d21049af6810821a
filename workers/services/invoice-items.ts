/**
 * Invoice item and item-tax edits (seed #169–172), allowed on accepted EXT invoices only. An item or
 * item tax is reached through its invoice's tenant check (`getInvoice`, `invoices.write`): one of
 * another organization is 404 like an unknown id. shared/invoices/recalculate decides and computes;
 * this module writes the whole result in one guarded batch: the changed items and item taxes, the
 * invoice's document-level taxes replaced, its totals and payment fields, and an `invoice.updated`
 * event. The invoice update is guarded (`guardedInvoiceUpdate`: still as read, including its
 * updatedAt), since every total derives from the rows this request read: of two concurrent edits of
 * one invoice, one is 409 `concurrent_update`.
 */
import { and, eq } from "drizzle-orm";
import type { BatchItem } from "drizzle-orm/batch";
import { insertRows } from "../../db/client";
import { invoiceItems, invoiceItemTaxes, invoiceTaxes } from "../../db/schema";
import { AppError, notFound } from "../../shared/errors";
import {
  createItemTax,
  deleteItemTax,
  editInvoiceItem,
  type InvoiceSnapshot,
  type ItemPatch,
  type ItemTaxInput,
  type RecalcItemTax,
  type Recalculation,
  updateItemTax,
} from "../../shared/invoices/recalculate";
import { type ActorContext, nowIso } from "./context";
import { paymentFieldsAfter, writeGuarded } from "./invoice-changes";
import { guardedInvoiceUpdate } from "./invoice-payment-state";
import { presentTax } from "./invoice-presenter";
import { getInvoice, type InvoiceRow, invoiceEventStatement } from "./invoices";

type ItemRow = typeof invoiceItems.$inferSelect;
type ItemTaxRow = typeof invoiceItemTaxes.$inferSelect;
type InvoiceTaxRow = typeof invoiceTaxes.$inferSelect;

interface Loaded {
  invoice: InvoiceRow;
  items: ItemRow[];
  itemTaxes: ItemTaxRow[];
  invoiceTaxes: InvoiceTaxRow[];
  snapshot: InvoiceSnapshot;
}

/** The invoice (after its tenant check) with every row the recalculation reads. */
async function loadInvoice(ctx: ActorContext, invoiceId: string): Promise<Loaded> {
  const { invoice } = await getInvoice(ctx, invoiceId, "invoices.write");
  const [items, itemTaxes, documentTaxes] = await Promise.all([
    ctx.db.select().from(invoiceItems).where(eq(invoiceItems.invoiceId, invoice.id)),
    ctx.db.select().from(invoiceItemTaxes).where(eq(invoiceItemTaxes.invoiceId, invoice.id)),
    ctx.db.select().from(invoiceTaxes).where(eq(invoiceTaxes.invoiceId, invoice.id)),
  ]);
  return {
    invoice,
    items,
    itemTaxes,
    invoiceTaxes: documentTaxes,
    snapshot: { invoice, items, itemTaxes, invoiceTaxes: documentTaxes },
  };
}

async function loadByItem(ctx: ActorContext, itemId: string): Promise<Loaded> {
  const [item] = await ctx.db
    .select({ invoiceId: invoiceItems.invoiceId })
    .from(invoiceItems)
    .where(eq(invoiceItems.id, itemId))
    .limit(1);
  if (!item) throw notFound("Invoice item");
  return loadInvoice(ctx, item.invoiceId);
}

async function loadByItemTax(ctx: ActorContext, itemTaxId: string): Promise<Loaded> {
  const [tax] = await ctx.db
    .select({ invoiceId: invoiceItemTaxes.invoiceId })
    .from(invoiceItemTaxes)
    .where(eq(invoiceItemTaxes.id, itemTaxId))
    .limit(1);
  if (!tax) throw notFound("Invoice item tax");
  return loadInvoice(ctx, tax.invoiceId);
}

const ITEM_FIELDS = [
  "quantity",
  "description",
  "netUnitPriceAmount",
  "netPriceAmount",
  "discount",
  "grossPriceAmount",
] as const;
const TAX_FIELDS = [
  "taxId",
  "code",
  "isWithholding",
  "factor",
  "rate",
  "baseAmount",
  "value",
] as const satisfies readonly (keyof RecalcItemTax)[];

const pick = <T, K extends keyof T>(row: T, keys: readonly K[]) =>
  Object.fromEntries(keys.map((k) => [k, row[k]])) as Pick<T, K>;
const differs = <T, K extends keyof T>(a: T, b: T, keys: readonly K[]) => keys.some((k) => a[k] !== b[k]);

/**
 * One batch: the invoice (guarded on status and version, totals and payment fields when amounts
 * changed), the items and item taxes that differ from what was read, the document taxes replaced,
 * and the event.
 */
async function write(
  ctx: ActorContext,
  loaded: Loaded,
  result: { items: ItemRow[]; itemTaxes: RecalcItemTax[]; recalculation: Recalculation | null },
  event: Record<string, unknown>,
) {
  const { invoice } = loaded;
  const updatedAt = nowIso();
  const totals = result.recalculation
    ? {
        ...result.recalculation.invoice,
        ...(await paymentFieldsAfter(ctx.db, {
          ...invoice,
          grossPriceAmount: result.recalculation.invoice.grossPriceAmount,
        })),
      }
    : {};
  const statements: BatchItem<"sqlite">[] = [guardedInvoiceUpdate(ctx.db, invoice, totals, updatedAt)];

  const itemsBefore = new Map(loaded.items.map((i) => [i.id, i]));
  for (const item of result.items) {
    const before = itemsBefore.get(item.id)!;
    if (!differs(before, item, ITEM_FIELDS)) continue;
    statements.push(
      ctx.db
        .update(invoiceItems)
        .set({ ...pick(item, ITEM_FIELDS), updatedAt })
        .where(and(eq(invoiceItems.id, item.id), eq(invoiceItems.invoiceId, invoice.id))),
    );
  }

  const taxesBefore = new Map(loaded.itemTaxes.map((t) => [t.id, t]));
  const taxesAfter = new Set(result.itemTaxes.map((t) => t.id));
  for (const before of loaded.itemTaxes) {
    if (!taxesAfter.has(before.id)) {
      statements.push(ctx.db.delete(invoiceItemTaxes).where(eq(invoiceItemTaxes.id, before.id)));
    }
  }
  const created: ItemTaxRow[] = [];
  for (const tax of result.itemTaxes) {
    const before = taxesBefore.get(tax.id);
    if (!before) {
      created.push({
        ...pick(tax, TAX_FIELDS),
        id: tax.id,
        invoiceId: invoice.id,
        invoiceItemId: tax.invoiceItemId,
        createdAt: updatedAt,
        updatedAt,
      });
    } else if (differs(before, { ...before, ...tax }, TAX_FIELDS)) {
      statements.push(
        ctx.db
          .update(invoiceItemTaxes)
          .set({ ...pick(tax, TAX_FIELDS), updatedAt })
          .where(eq(invoiceItemTaxes.id, tax.id)),
      );
    }
  }
  statements.push(...insertRows(ctx.db, invoiceItemTaxes, created));

  if (result.recalculation) {
    const documentBefore = new Map(loaded.invoiceTaxes.map((t) => [t.id, t]));
    statements.push(ctx.db.delete(invoiceTaxes).where(eq(invoiceTaxes.invoiceId, invoice.id)));
    statements.push(
      ...insertRows(
        ctx.db,
        invoiceTaxes,
        result.recalculation.invoiceTaxes.map((t) => ({
          ...t,
          createdAt: documentBefore.get(t.id)?.createdAt ?? updatedAt,
          updatedAt,
        })),
      ),
    );
  }
  statements.push(invoiceEventStatement(ctx, invoice, "invoice.updated", event));
  await writeGuarded(ctx, statements, [invoice]);
}

/** A new id for a document-level tax group that did not exist before. */
const newId = () => crypto.randomUUID();

export async function updateInvoiceItem(ctx: ActorContext, itemId: string, patch: ItemPatch) {
  const loaded = await loadByItem(ctx, itemId);
  const edit = editInvoiceItem(loaded.snapshot, itemId, patch, newId);
  if (edit instanceof AppError) throw edit;
  // Only the edited item changes; a description alone recalculates nothing.
  const items = loaded.items.map((i) => (i.id === itemId ? { ...i, ...edit.item } : i));
  const itemTaxes = edit.recalculation?.itemTaxes ?? loaded.itemTaxes;
  await write(
    ctx,
    loaded,
    { items, itemTaxes, recalculation: edit.recalculation },
    {
      invoiceItemId: itemId,
      action: "item_updated",
      changes: patch,
    },
  );
}

export async function addInvoiceItemTax(
  ctx: ActorContext,
  input: { invoiceItemId: string; taxId: string; rate: string | number; isWithholding?: boolean },
) {
  const loaded = await loadByItem(ctx, input.invoiceItemId);
  const result = createItemTax(loaded.snapshot, { ...input, id: crypto.randomUUID() }, newId);
  if (result instanceof AppError) throw result;
  await write(ctx, loaded, withItems(loaded, result), {
    invoiceItemId: input.invoiceItemId,
    invoiceItemTaxId: result.created.id,
    action: "item_tax_created",
  });
  return result.created;
}

export async function updateInvoiceItemTax(ctx: ActorContext, itemTaxId: string, patch: ItemTaxInput) {
  const loaded = await loadByItemTax(ctx, itemTaxId);
  const result = updateItemTax(loaded.snapshot, itemTaxId, patch, newId);
  if (result instanceof AppError) throw result;
  await write(ctx, loaded, withItems(loaded, result), {
    invoiceItemTaxId: itemTaxId,
    action: "item_tax_updated",
    changes: patch,
  });
  return result.itemTaxes.find((t) => t.id === itemTaxId)!;
}

export async function deleteInvoiceItemTax(ctx: ActorContext, itemTaxId: string) {
  const loaded = await loadByItemTax(ctx, itemTaxId);
  const result = deleteItemTax(loaded.snapshot, itemTaxId, newId);
  if (result instanceof AppError) throw result;
  await write(ctx, loaded, withItems(loaded, result), {
    invoiceItemTaxId: itemTaxId,
    action: "item_tax_deleted",
  });
}

/** The stored item rows with the recalculated values laid over them. */
function withItems(loaded: Loaded, recalculation: Recalculation) {
  const after = new Map(recalculation.items.map((i) => [i.id, i]));
  return {
    items: loaded.items.map((i) => ({ ...i, ...after.get(i.id) })),
    itemTaxes: recalculation.itemTaxes,
    recalculation,
  };
}

/** An item tax as the API shows it: the invoice's tax presenter, which names the item. */
export const presentItemTax = (tax: RecalcItemTax) => ({
  ...presentTax(tax),
  invoiceItemId: tax.invoiceItemId,
});
