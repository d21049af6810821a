/**
 * The organization's product catalog (seed #189–193): items with a SAT product key (c_ClaveProdServ),
 * a unit key (c_ClaveUnidad), a net unit price and the stamp body's taxes, and their use by
 * `POST /v1/invoices/stamp`, whose lines may name an `itemId` instead of repeating those fields.
 *
 * Keys (against c_ClaveProdServ and c_ClaveUnidad) and taxes are checked when an item is written, so
 * a stamp from the catalog fails only on what depends on the invoice. The seed names nothing unique; an organization's catalog holds one item per
 * description (compared without case or extra spaces), the way a person picks items from a list.
 */
import { and, asc, count, desc, eq, inArray, ne, notExists, type SQL, sql } from "drizzle-orm";
import { inChunks } from "../../db/client";
import { containsInsensitive } from "../../db/filters";
import { type ItemTax, items } from "../../db/schema";
import { clavesUnidad, findReglaTasaCuota, isVigente } from "../../shared/catalogs";
import { productKeyExists } from "../../shared/catalogs/product-keys";
import { dec } from "../../shared/cfdi/amounts";
import { badRequest, conflict, notFound } from "../../shared/errors";
import { mexicoDate } from "../../shared/invoices/edits";
import { toMicros } from "../../shared/invoices/record";
import { pageOffset } from "../../shared/pagination";
import { type ActorContext, nowIso } from "./context";
import type { StampInvoiceInput, StampItemInput, StampTaxInput } from "./stamping";
import { requireOrgAccess } from "./tenancy";

export type ItemRow = typeof items.$inferSelect;

export interface ItemFields {
  description: string;
  itemKey: string;
  unitKey: string;
  netUnitPriceAmount: string | number;
  /** Null or absent: the stamp's default (IVA 16 % transferred); empty: not subject to tax. */
  taxes?: StampTaxInput[] | null;
}

type FieldIssue = { path: string; message: string; code: "custom" };
const issue = (path: string, message: string): FieldIssue => ({ path, message, code: "custom" });

/** c_Impuesto codes of the stamp body's tax names. */
const TAX_CODES = { ISR: "001", IVA: "002", IEPS: "003" } as const;

/** The stamp body's tax list, completed with its defaults and checked against c_TasaOCuota. */
function checkedTaxes(taxes: StampTaxInput[], today: string, issues: FieldIssue[]): ItemTax[] {
  return taxes.map((t, i) => {
    const at = (field: string) => `taxes.${i}.${field}`;
    const factor = t.factor ?? "Tasa";
    const withholding = t.withholding ?? false;
    const rate = t.rate === undefined ? undefined : dec(t.rate).toFixed();
    if (factor === "Exento") {
      if (rate !== undefined) issues.push(issue(at("rate"), "An Exento tax has no rate"));
      if (withholding) issues.push(issue(at("factor"), "A withholding cannot be Exento"));
    } else if (rate === undefined) {
      issues.push(issue(at("rate"), `rate is required for a ${factor} tax`));
    } else if (
      !findReglaTasaCuota(TAX_CODES[t.type], factor, rate, withholding ? "retencion" : "traslado", today)
    ) {
      issues.push(
        issue(
          at("rate"),
          `${rate} is not a c_TasaOCuota value of ${t.type} ${factor} as a ${withholding ? "withholding" : "transfer"}`,
        ),
      );
    }
    if (t.type === "ISR" && !withholding) issues.push(issue(at("withholding"), "ISR can only be withheld"));
    return { type: t.type, factor, withholding, ...(rate !== undefined && { rate }) };
  });
}

/** Trimmed, single-spaced, lower case: two descriptions that read the same are the same item. */
const descriptionKey = (description: string) =>
  description.trim().replace(/\s+/g, " ").toLocaleLowerCase("es-MX");

/** The columns of an item's fields, or 400 `validation_failed` naming every field that is wrong. */
function itemColumns(fields: Partial<ItemFields>) {
  const issues: FieldIssue[] = [];
  const today = mexicoDate(new Date());
  const out: Partial<Omit<ItemRow, "id" | "organizationId" | "createdAt" | "updatedAt">> = {};
  if (fields.description !== undefined) {
    out.description = fields.description.trim();
    out.descriptionKey = descriptionKey(fields.description);
    if (!out.description) issues.push(issue("description", "Must not be blank"));
  }
  if (fields.itemKey !== undefined) {
    if (!productKeyExists(fields.itemKey)) {
      issues.push(issue("itemKey", `${fields.itemKey} is not a c_ClaveProdServ key`));
    }
    out.itemKey = fields.itemKey;
  }
  if (fields.unitKey !== undefined) {
    const unit = clavesUnidad.get(fields.unitKey);
    if (!unit || !isVigente(unit, today)) {
      issues.push(issue("unitKey", `${fields.unitKey} is not a c_ClaveUnidad key in force`));
    }
    out.unitKey = fields.unitKey;
  }
  if (fields.netUnitPriceAmount !== undefined) {
    out.netUnitPriceAmount = dec(fields.netUnitPriceAmount).toFixed();
    out.netUnitPriceMicros = toMicros(out.netUnitPriceAmount);
  }
  if (fields.taxes !== undefined) out.taxes = fields.taxes && checkedTaxes(fields.taxes, today, issues);
  if (issues.length) throw badRequest("validation_failed", "The item is invalid", issues);
  return out;
}

const duplicate = () =>
  conflict("item_already_exists", "The organization already has an item with this description");

export async function createItem(ctx: ActorContext, organizationId: string, fields: ItemFields) {
  await requireOrgAccess(ctx, organizationId, "items.manage");
  const columns = itemColumns({ taxes: null, ...fields }) as Omit<
    ItemRow,
    "id" | "organizationId" | "createdAt" | "updatedAt"
  >;
  const now = nowIso();
  const [row] = await ctx.db
    .insert(items)
    .values({ id: crypto.randomUUID(), organizationId, ...columns, createdAt: now, updatedAt: now })
    .onConflictDoNothing()
    .returning();
  if (!row) throw duplicate();
  return row;
}

/** The item, after the tenant check on its organization: another organization's item → 404. */
async function findItem(ctx: ActorContext, id: string, permission: "items.read" | "items.manage") {
  const [row] = await ctx.db.select().from(items).where(eq(items.id, id)).limit(1);
  if (!row) throw notFound("Item");
  await requireOrgAccess(ctx, row.organizationId, permission, "Item");
  return row;
}

export const getItem = (ctx: ActorContext, id: string) => findItem(ctx, id, "items.read");

export async function updateItem(ctx: ActorContext, id: string, fields: Partial<ItemFields>) {
  const current = await findItem(ctx, id, "items.manage");
  const columns = itemColumns(fields);
  // One statement: the description stays unique even against a concurrent write of the same one.
  const [row] = await ctx.db
    .update(items)
    .set({ ...columns, updatedAt: nowIso() })
    .where(
      and(
        eq(items.id, id),
        eq(items.organizationId, current.organizationId),
        notExists(
          ctx.db
            .select({ one: sql`1` })
            .from(items)
            .where(
              and(
                eq(items.organizationId, current.organizationId),
                eq(items.descriptionKey, columns.descriptionKey ?? current.descriptionKey),
                ne(items.id, id),
              ),
            ),
        ),
      ),
    )
    .returning();
  if (row) return row;
  const [still] = await ctx.db.select({ id: items.id }).from(items).where(eq(items.id, id)).limit(1);
  throw still ? duplicate() : notFound("Item");
}

export async function deleteItem(ctx: ActorContext, id: string) {
  const current = await findItem(ctx, id, "items.manage");
  await ctx.db.delete(items).where(and(eq(items.id, id), eq(items.organizationId, current.organizationId)));
}

export const ITEM_SORTS = {
  description: items.descriptionKey,
  itemKey: items.itemKey,
  unitKey: items.unitKey,
  netUnitPriceAmount: items.netUnitPriceMicros,
  createdAt: items.createdAt,
  updatedAt: items.updatedAt,
} as const;

export interface ItemQuery {
  description?: string;
  itemKey?: string;
  unitKey?: string;
  sort: keyof typeof ITEM_SORTS;
  order: "asc" | "desc";
  page: number;
  limit: number;
}

export async function listItems(ctx: ActorContext, organizationId: string, q: ItemQuery) {
  await requireOrgAccess(ctx, organizationId, "items.read");
  const conditions: SQL[] = [eq(items.organizationId, organizationId)];
  if (q.description) conditions.push(containsInsensitive(items.description, q.description));
  if (q.itemKey) conditions.push(sql`${items.itemKey} like ${`${q.itemKey}%`}`);
  if (q.unitKey) conditions.push(eq(items.unitKey, q.unitKey));
  const where = and(...conditions);
  const direction = q.order === "asc" ? asc : desc;
  const [rows, [total]] = await Promise.all([
    ctx.db
      .select()
      .from(items)
      .where(where)
      .orderBy(direction(ITEM_SORTS[q.sort]), asc(items.id))
      .limit(q.limit)
      .offset(pageOffset(q)),
    ctx.db.select({ n: count() }).from(items).where(where),
  ]);
  return { rows, totalCount: Number(total?.n ?? 0) };
}

/** The item as the API shows it (seed's Item plus its taxes and timestamps). */
export function presentItem(row: ItemRow) {
  return {
    id: row.id,
    organizationId: row.organizationId,
    description: row.description,
    itemKey: row.itemKey,
    unitKey: row.unitKey,
    unitDescription: clavesUnidad.get(row.unitKey)?.texto ?? null,
    netUnitPriceAmount: Number(row.netUnitPriceAmount),
    taxes:
      row.taxes?.map((t) => ({
        type: t.type,
        factor: t.factor,
        rate: t.rate === undefined ? null : Number(t.rate),
        withholding: t.withholding,
      })) ?? null,
    createdAt: row.createdAt,
    updatedAt: row.updatedAt,
  };
}

/** Fields a stamp line may leave to its catalog item. */
const FROM_ITEM = ["description", "itemKey", "unitKey", "netUnitPriceAmount"] as const;

export type StampItemRequest = Omit<StampItemInput, (typeof FROM_ITEM)[number]> &
  Partial<Pick<StampItemInput, (typeof FROM_ITEM)[number]>> & { itemId?: string };
export type StampInvoiceRequest = Omit<StampInvoiceInput, "items"> & { items: StampItemRequest[] };

/**
 * The stamp request with every line complete: a line's `itemId` (an item of the issuing organization,
 * else 400 `item_not_found`) supplies the description, keys, price and taxes the line does not give.
 */
export async function withCatalogItems(
  ctx: ActorContext,
  organizationId: string,
  request: StampInvoiceRequest,
): Promise<StampInvoiceInput> {
  const ids = [...new Set(request.items.flatMap((line) => (line.itemId ? [line.itemId] : [])))];
  const found = new Map<string, ItemRow>();
  for (const chunk of inChunks(ids)) {
    const rows = await ctx.db
      .select()
      .from(items)
      .where(and(eq(items.organizationId, organizationId), inArray(items.id, chunk)));
    for (const row of rows) found.set(row.id, row);
  }
  const missing = request.items.flatMap((line, i) =>
    line.itemId && !found.has(line.itemId)
      ? [issue(`items.${i}.itemId`, "Not an item of the issuing organization")]
      : [],
  );
  if (missing.length)
    throw badRequest("item_not_found", "An itemId is not an item of the organization", missing);

  const lines = request.items.map(({ itemId, ...line }): StampItemInput => {
    const given = Object.fromEntries(Object.entries(line).filter(([, v]) => v !== undefined));
    const item = itemId ? found.get(itemId) : undefined;
    if (!item) return given as unknown as StampItemInput;
    return {
      description: item.description,
      itemKey: item.itemKey,
      unitKey: item.unitKey,
      netUnitPriceAmount: item.netUnitPriceAmount,
      ...(item.taxes && { taxes: item.taxes }),
      ...given,
    } as StampItemInput;
  });
  return { ...request, items: lines };
}
