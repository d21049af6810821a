/**
 * Item and item-tax edits on EXT invoices (the seed allows them only for payment method EXT in status
 * accepted) and the exact recalculation they trigger: the edited item's unit price, its taxes' base
 * and value, its gross amount, the document-level taxes grouped as a CFDI groups them, and the
 * invoice totals. Input and output are plain objects shaped like the rows of the inbox tables, so the
 * service writes the whole result in one batch (update the invoice, the items and item taxes by id,
 * insert a created item tax, replace the invoice's document-level taxes).
 *
 * Amounts, following the SAT's rules for a CFDI (shared/cfdi/amounts):
 * - Item level (unit price, tax base and value) keeps up to 6 decimals, SAT half-up, written with at
 *   least the currency's decimals: 100 / 3 = "33.333333", 100 × 0.16 = "16.00".
 * - Unit price = netPriceAmount / quantity. Tax base = netPriceAmount − discount (Tasa and Exento; a
 *   Cuota's base is a quantity of units and stays). Tax value = base × rate. Item gross = base +
 *   transferred − withheld.
 * - Document level is at the currency's decimals: each group (transfers by tax, factor and rate;
 *   withholdings by tax, as the CFDI's Retenciones carry only Impuesto and Importe) is the rounded sum
 *   of its item amounts; the totals are sums of those rounded parts:
 *   total = subtotal − discount + transferred − withheld + local transferred − local withheld.
 *
 * Taxes: `taxId` is the c_Impuesto key (001 ISR, 002 IVA, 003 IEPS) and `code` its name. Whether a
 * tax is withheld is `isWithholding`, which defaults from the catalog: ISR can only be withheld, so it
 * is a withholding; IVA and IEPS default to transferred and are withheld when the request says so.
 * A new rate is written as the CFDI writes TasaOCuota, with 6 decimals ("0.160000").
 */

import { impuestos } from "../catalogs";
import { type Dec, dec, decimalPlaces, formatAmount, isDecimalLiteral, roundSat, sum } from "../cfdi/amounts";
import { AppError, badRequest, notFound } from "../errors";
import { currencyPlaces } from "./payment-status";
import { MAX_AMOUNT, toMicros } from "./record";
import type { InvoiceStatus } from "./status";

export type TaxFactor = "Tasa" | "Cuota" | "Exento";

export interface RecalcInvoice {
  id: string;
  status: InvoiceStatus;
  paymentMethod: string | null;
  currencyCode: string;
  localTransferredTaxAmount: string;
  localWithheldTaxAmount: string;
}

export interface RecalcItem {
  id: string;
  quantity: string;
  description: string;
  netUnitPriceAmount: string;
  netPriceAmount: string;
  discount: string;
  grossPriceAmount: string;
}

interface TaxColumns {
  id: string;
  invoiceId: string;
  taxId: string;
  code: string;
  isWithholding: boolean;
  factor: TaxFactor;
  rate: string | null;
  baseAmount: string | null;
  value: string | null;
}

export interface RecalcItemTax extends TaxColumns {
  invoiceItemId: string;
}

export type RecalcInvoiceTax = TaxColumns;

export interface InvoiceSnapshot {
  invoice: RecalcInvoice;
  items: readonly RecalcItem[];
  itemTaxes: readonly RecalcItemTax[];
  invoiceTaxes: readonly RecalcInvoiceTax[];
}

export interface InvoiceTotals {
  netPriceAmount: string;
  discount: string;
  transferredTaxAmount: string;
  withheldTaxAmount: string;
  grossPriceAmount: string;
  netPriceMicros: number;
  discountMicros: number;
  taxMicros: number;
  grossPriceMicros: number;
}

export interface Recalculation {
  invoice: InvoiceTotals;
  /** Every item of the invoice, the edited ones recalculated. */
  items: RecalcItem[];
  /** Every item tax of the invoice after the change. */
  itemTaxes: RecalcItemTax[];
  /**
   * The invoice's complete document-level taxes, in the order their first item tax appears: they
   * replace its rows (ids kept where a group stays).
   */
  invoiceTaxes: RecalcInvoiceTax[];
}

interface FieldIssue {
  path: string;
  message: string;
  code: "custom";
}

const invalid = (path: string, message: string) =>
  new AppError(400, "validation_failed", "The request is invalid", [
    { path, message, code: "custom" } satisfies FieldIssue,
  ]);

/** The seed's gate for item and item-tax changes: 400 `invalid_payment_method` or `invalid_status`. */
export function checkItemsEditable(
  invoice: Pick<RecalcInvoice, "paymentMethod" | "status">,
): AppError | null {
  if (invoice.paymentMethod !== "EXT") {
    return badRequest("invalid_payment_method", "Items and their taxes can only be changed on EXT invoices");
  }
  if (invoice.status !== "accepted") {
    return badRequest("invalid_status", "Items and their taxes can only be changed on accepted invoices");
  }
  return null;
}

const ITEM_PLACES = 6;

/** An item-level amount: SAT rounding at 6 decimals, written with at least the currency's decimals. */
function itemAmount(value: Dec, places: number): string {
  const rounded = roundSat(value, ITEM_PLACES);
  return formatAmount(rounded, Math.max(places, decimalPlaces(rounded)));
}

const rateKey = (rate: string | null) => (rate === null ? "" : formatAmount(rate, ITEM_PLACES));

const groupKey = (t: Pick<TaxColumns, "taxId" | "isWithholding" | "factor" | "rate">) =>
  t.isWithholding ? `R|${t.taxId}` : `T|${t.taxId}|${t.factor}|${rateKey(t.rate)}`;

function recalculateItem(item: RecalcItem, taxes: RecalcItemTax[], places: number) {
  const base = dec(item.netPriceAmount).minus(item.discount);
  const recalculated = taxes.map((tax): RecalcItemTax => {
    if (tax.factor === "Exento")
      return { ...tax, rate: null, baseAmount: itemAmount(base, places), value: null };
    const taxBase = tax.factor === "Cuota" ? dec(tax.baseAmount ?? "0") : base;
    return {
      ...tax,
      baseAmount: itemAmount(taxBase, places),
      value: itemAmount(taxBase.times(tax.rate ?? "0"), places),
    };
  });
  const net = (withholding: boolean) =>
    sum(recalculated.filter((t) => t.isWithholding === withholding && t.value !== null).map((t) => t.value!));
  return {
    item: { ...item, grossPriceAmount: itemAmount(base.plus(net(false)).minus(net(true)), places) },
    taxes: recalculated,
  };
}

/**
 * Recalculates the items in `touched` (their taxes and gross amount), then the document-level taxes
 * and the totals from every item. `newId` names document-level tax groups that did not exist before.
 */
function recalculate(
  snapshot: InvoiceSnapshot,
  items: readonly RecalcItem[],
  itemTaxes: readonly RecalcItemTax[],
  touched: ReadonlySet<string>,
  newId: () => string,
): Recalculation {
  const places = currencyPlaces(snapshot.invoice.currencyCode);
  const outItems: RecalcItem[] = [];
  const outTaxes: RecalcItemTax[] = [];
  for (const item of items) {
    const taxes = itemTaxes.filter((t) => t.invoiceItemId === item.id);
    if (touched.has(item.id)) {
      const r = recalculateItem(item, taxes, places);
      outItems.push(r.item);
      outTaxes.push(...r.taxes);
    } else {
      outItems.push({ ...item });
      outTaxes.push(...taxes.map((t) => ({ ...t })));
    }
  }

  const groups = new Map<string, { sample: RecalcItemTax; bases: string[]; values: string[] }>();
  for (const tax of outTaxes) {
    const key = groupKey(tax);
    const group = groups.get(key) ?? { sample: tax, bases: [], values: [] };
    if (tax.baseAmount !== null) group.bases.push(tax.baseAmount);
    if (tax.value !== null) group.values.push(tax.value);
    groups.set(key, group);
  }
  const existing = new Map(snapshot.invoiceTaxes.map((t) => [groupKey(t), t.id]));
  const invoiceTaxes: RecalcInvoiceTax[] = [...groups].map(([key, { sample, bases, values }]) => {
    const withheld = sample.isWithholding;
    return {
      id: existing.get(key) ?? newId(),
      invoiceId: snapshot.invoice.id,
      taxId: sample.taxId,
      code: sample.code,
      isWithholding: withheld,
      factor: withheld ? "Tasa" : sample.factor,
      rate: withheld || sample.rate === null ? null : rateKey(sample.rate),
      baseAmount: withheld ? null : formatAmount(sum(bases), places),
      value: sample.factor === "Exento" && !withheld ? null : formatAmount(sum(values), places),
    };
  });

  const groupTotal = (withholding: boolean) =>
    sum(invoiceTaxes.filter((t) => t.isWithholding === withholding && t.value !== null).map((t) => t.value!));
  const subtotal = dec(formatAmount(sum(outItems.map((i) => i.netPriceAmount)), places));
  const discount = dec(formatAmount(sum(outItems.map((i) => i.discount)), places));
  const transferred = groupTotal(false);
  const withheld = groupTotal(true);
  const total = subtotal
    .minus(discount)
    .plus(transferred)
    .minus(withheld)
    .plus(snapshot.invoice.localTransferredTaxAmount)
    .minus(snapshot.invoice.localWithheldTaxAmount);
  const totals = {
    netPriceAmount: formatAmount(subtotal, places),
    discount: formatAmount(discount, places),
    transferredTaxAmount: formatAmount(transferred, places),
    withheldTaxAmount: formatAmount(withheld, places),
    grossPriceAmount: formatAmount(total, places),
  };
  return {
    invoice: {
      ...totals,
      netPriceMicros: toMicros(totals.netPriceAmount),
      discountMicros: toMicros(totals.discount),
      taxMicros: toMicros(transferred.minus(withheld).toFixed()),
      grossPriceMicros: toMicros(totals.grossPriceAmount),
    },
    items: outItems,
    itemTaxes: outTaxes,
    invoiceTaxes,
  };
}

function findItem(snapshot: InvoiceSnapshot, itemId: string): RecalcItem | AppError {
  return snapshot.items.find((i) => i.id === itemId) ?? notFound("Invoice item");
}

function findItemTax(snapshot: InvoiceSnapshot, itemTaxId: string): RecalcItemTax | AppError {
  return snapshot.itemTaxes.find((t) => t.id === itemTaxId) ?? notFound("Invoice item tax");
}

/** A positive amount of at most 6 decimals within the inbox's range, or the field's error. */
function positiveAmount(path: string, value: string | number): Dec | AppError {
  const text = typeof value === "number" ? String(value) : value.trim();
  if (!isDecimalLiteral(text)) return invalid(path, "Must be a decimal amount");
  const amount = dec(text);
  if (!amount.gt(0)) return invalid(path, "Must be greater than 0");
  if (amount.gt(MAX_AMOUNT)) return invalid(path, `Must not exceed ${MAX_AMOUNT}`);
  if (decimalPlaces(amount) > ITEM_PLACES) return invalid(path, "Must have at most 6 decimals");
  return amount;
}

export interface ItemPatch {
  netPriceAmount?: string | number;
  quantity?: number;
  description?: string;
}

export interface ItemEdit {
  item: RecalcItem;
  /** Null when only the description changed: the seed recalculates nothing then. */
  recalculation: Recalculation | null;
}

/** PATCH /invoice-items/{id}: the edited item and, for amount or quantity changes, the recalculation. */
export function editInvoiceItem(
  snapshot: InvoiceSnapshot,
  itemId: string,
  patch: ItemPatch,
  newId: () => string,
): ItemEdit | AppError {
  const gate = checkItemsEditable(snapshot.invoice);
  if (gate) return gate;
  const item = findItem(snapshot, itemId);
  if (item instanceof AppError) return item;
  const places = currencyPlaces(snapshot.invoice.currencyCode);
  const edited: RecalcItem = { ...item };
  if (patch.description !== undefined) {
    if (!patch.description.trim()) return invalid("description", "Must not be empty");
    edited.description = patch.description.trim();
  }
  if (patch.netPriceAmount === undefined && patch.quantity === undefined) {
    return { item: edited, recalculation: null };
  }
  if (patch.quantity !== undefined) {
    if (!Number.isSafeInteger(patch.quantity) || patch.quantity < 1) {
      return invalid("quantity", "Must be an integer of at least 1");
    }
    edited.quantity = String(patch.quantity);
  }
  if (patch.netPriceAmount !== undefined) {
    const amount = positiveAmount("netPriceAmount", patch.netPriceAmount);
    if (amount instanceof AppError) return amount;
    if (amount.lt(item.discount))
      return invalid("netPriceAmount", "Must not be less than the item's discount");
    edited.netPriceAmount = itemAmount(amount, places);
  }
  edited.netUnitPriceAmount = itemAmount(dec(edited.netPriceAmount).div(edited.quantity), places);
  const items = snapshot.items.map((i) => (i.id === itemId ? edited : i));
  const recalculation = recalculate(snapshot, items, snapshot.itemTaxes, new Set([itemId]), newId);
  return { item: recalculation.items.find((i) => i.id === itemId)!, recalculation };
}

export interface ItemTaxInput {
  taxId?: string;
  rate?: string | number;
  isWithholding?: boolean;
}

/** code and isWithholding for a c_Impuesto key, or the field's error. */
function resolveTax(taxId: string, isWithholding: boolean | undefined) {
  const entry = impuestos.get(taxId);
  if (!entry) return invalid("taxId", "Must be a tax of c_Impuesto (001 ISR, 002 IVA, 003 IEPS)");
  const withholding = isWithholding ?? !entry.traslado;
  if (withholding && !entry.retencion) return invalid("isWithholding", `${entry.texto} cannot be withheld`);
  if (!withholding && !entry.traslado) return invalid("isWithholding", `${entry.texto} can only be withheld`);
  return { code: entry.texto, isWithholding: withholding };
}

function resolveRate(rate: string | number): string | AppError {
  const text = typeof rate === "number" ? String(rate) : rate.trim();
  if (!isDecimalLiteral(text) || dec(text).lt(0)) return invalid("rate", "Must be a decimal of at least 0");
  if (decimalPlaces(dec(text)) > ITEM_PLACES) return invalid("rate", "Must have at most 6 decimals");
  return formatAmount(text, ITEM_PLACES);
}

/** POST /invoice-item-taxes: the new tax (with the caller's id) and the recalculation. */
export function createItemTax(
  snapshot: InvoiceSnapshot,
  input: { id: string; invoiceItemId: string; taxId: string; rate: string | number; isWithholding?: boolean },
  newId: () => string,
): (Recalculation & { created: RecalcItemTax }) | AppError {
  const gate = checkItemsEditable(snapshot.invoice);
  if (gate) return gate;
  const item = findItem(snapshot, input.invoiceItemId);
  if (item instanceof AppError) return item;
  const tax = resolveTax(input.taxId, input.isWithholding);
  if (tax instanceof AppError) return tax;
  const rate = resolveRate(input.rate);
  if (rate instanceof AppError) return rate;
  const created: RecalcItemTax = {
    id: input.id,
    invoiceId: snapshot.invoice.id,
    invoiceItemId: item.id,
    taxId: input.taxId,
    code: tax.code,
    isWithholding: tax.isWithholding,
    factor: "Tasa",
    rate,
    baseAmount: null,
    value: null,
  };
  const recalculation = recalculate(
    snapshot,
    snapshot.items,
    [...snapshot.itemTaxes, created],
    new Set([item.id]),
    newId,
  );
  return { ...recalculation, created: recalculation.itemTaxes.find((t) => t.id === input.id)! };
}

/**
 * PATCH /invoice-item-taxes/{id}: a new rate recalculates base and value (and makes the factor Tasa);
 * a new taxId repopulates code and isWithholding.
 */
export function updateItemTax(
  snapshot: InvoiceSnapshot,
  itemTaxId: string,
  patch: ItemTaxInput,
  newId: () => string,
): Recalculation | AppError {
  const gate = checkItemsEditable(snapshot.invoice);
  if (gate) return gate;
  const current = findItemTax(snapshot, itemTaxId);
  if (current instanceof AppError) return current;
  const updated: RecalcItemTax = { ...current };
  if (patch.taxId !== undefined || patch.isWithholding !== undefined) {
    const taxId = patch.taxId ?? current.taxId;
    const tax = resolveTax(taxId, patch.isWithholding);
    if (tax instanceof AppError) return tax;
    Object.assign(updated, { taxId, ...tax });
  }
  if (patch.rate !== undefined) {
    const rate = resolveRate(patch.rate);
    if (rate instanceof AppError) return rate;
    Object.assign(updated, { rate, factor: updated.factor === "Cuota" ? "Cuota" : "Tasa" });
  }
  const itemTaxes = snapshot.itemTaxes.map((t) => (t.id === itemTaxId ? updated : t));
  return recalculate(snapshot, snapshot.items, itemTaxes, new Set([current.invoiceItemId]), newId);
}

/** DELETE /invoice-item-taxes/{id}: the recalculation without that tax. */
export function deleteItemTax(
  snapshot: InvoiceSnapshot,
  itemTaxId: string,
  newId: () => string,
): Recalculation | AppError {
  const gate = checkItemsEditable(snapshot.invoice);
  if (gate) return gate;
  const current = findItemTax(snapshot, itemTaxId);
  if (current instanceof AppError) return current;
  const itemTaxes = snapshot.itemTaxes.filter((t) => t.id !== itemTaxId);
  return recalculate(snapshot, snapshot.items, itemTaxes, new Set([current.invoiceItemId]), newId);
}
