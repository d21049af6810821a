// /v1/items: the organization's product catalog used for stamping (seed #189–193): create, list, get,
// update, delete.
import { z } from "@hono/zod-openapi";
import { pageEnvelope, pageQuery } from "../../shared/pagination";
import type { App } from "../app";
import { SuccessResponse } from "../openapi/errors";
import { authedRoute } from "../openapi/route";
import { IdParam, IsoDate, jsonBody, jsonContent, Uuid } from "../openapi/schemas";
import { actorContext } from "../services/context";
import {
  createItem,
  deleteItem,
  getItem,
  ITEM_SORTS,
  listItems,
  presentItem,
  updateItem,
} from "../services/items";
import { Amount, Description, ItemKey, Tax, UnitKey } from "./invoices_stamp";

const OrgQuery = z.object({
  organization_id: Uuid.openapi({ description: "The organization whose catalog it is" }),
});

const ItemSchema = z
  .object({
    id: Uuid,
    organizationId: Uuid,
    description: z.string(),
    itemKey: z.string().openapi({ description: "c_ClaveProdServ", example: "86121600" }),
    unitKey: z.string().openapi({ description: "c_ClaveUnidad", example: "E48" }),
    unitDescription: z.string().nullable().openapi({ example: "Unidad de servicio" }),
    netUnitPriceAmount: z.number().openapi({ description: "Unit price before taxes", example: 1500 }),
    taxes: z
      .array(
        z.object({
          type: z.enum(["IVA", "ISR", "IEPS"]),
          factor: z.enum(["Tasa", "Cuota", "Exento"]),
          rate: z.number().nullable(),
          withholding: z.boolean(),
        }),
      )
      .nullable()
      .openapi({
        description: "Null: the stamp's default (IVA 16 % transferred). Empty: not subject to tax.",
      }),
    createdAt: IsoDate,
    updatedAt: IsoDate,
  })
  .openapi("Item");

const Taxes = z.array(Tax).max(20).nullable().openapi({
  description:
    "As in the stamp body. Null or omitted: the stamp's default (IVA 16 % transferred); empty: not subject to tax. Rates must be c_TasaOCuota values.",
});

const Fields = {
  description: Description,
  itemKey: ItemKey,
  unitKey: UnitKey,
  netUnitPriceAmount: Amount.openapi({ description: "Unit price before taxes (at most 9,000,000,000)" }),
  taxes: Taxes.optional(),
};

const CreateBody = z.object(Fields).strict().openapi("CreateItem");
const UpdateBody = z
  .object({
    description: Fields.description.optional(),
    itemKey: Fields.itemKey.optional(),
    unitKey: Fields.unitKey.optional(),
    netUnitPriceAmount: Fields.netUnitPriceAmount.optional(),
    taxes: Fields.taxes,
  })
  .strict()
  .refine((v) => Object.values(v).some((x) => x !== undefined), {
    message: "Send at least one field to update",
  })
  .openapi("UpdateItem");

const CHECKS =
  "The unit key must be a c_ClaveUnidad key in force and the product key eight digits; an invalid field → 400 `validation_failed` with its path. The description is unique in the organization's catalog (case and spacing aside): a second one → 409 `item_already_exists`.";

export const createRoute = authedRoute(
  {
    method: "post",
    path: "/v1/items",
    tags: ["Items"],
    summary: "Create item",
    description: `Adds an item to the catalog of organization_id (items.manage). ${CHECKS}`,
    request: { query: OrgQuery, body: jsonBody(CreateBody) },
    responses: { 201: jsonContent(ItemSchema, "Created") },
  },
  { idempotent: true },
);

const ListQuery = pageQuery()
  .extend({
    organization_id: OrgQuery.shape.organization_id,
    description: z.string().max(1000).optional().openapi({ description: "Case-insensitive partial match" }),
    item_key: z
      .string()
      .regex(/^\d{1,8}$/)
      .optional()
      .openapi({ description: "c_ClaveProdServ or its leading digits", example: "8612" }),
    unit_key: UnitKey.optional(),
    sort: z.enum(Object.keys(ITEM_SORTS) as [keyof typeof ITEM_SORTS]).default("description"),
    order: z.enum(["asc", "desc"]).default("asc"),
  })
  .strict();

export const listRoute = authedRoute({
  method: "get",
  path: "/v1/items",
  tags: ["Items"],
  summary: "List items",
  description: "The catalog of organization_id (items.read), paged and sorted by description by default.",
  request: { query: ListQuery },
  responses: {
    200: jsonContent(
      z.object({ data: z.array(ItemSchema), totalPages: z.number().int(), totalCount: z.number().int() }),
    ),
  },
});

export const getRoute = authedRoute({
  method: "get",
  path: "/v1/items/{id}",
  tags: ["Items"],
  summary: "Get item",
  description: "An item of one of the caller's organizations (items.read there).",
  request: { params: IdParam },
  responses: { 200: jsonContent(ItemSchema) },
});

export const updateRoute = authedRoute({
  method: "patch",
  path: "/v1/items/{id}",
  tags: ["Items"],
  summary: "Update item",
  description: `Changes the fields sent (items.manage); invoices already stamped keep what they were stamped with. ${CHECKS}`,
  request: { params: IdParam, body: jsonBody(UpdateBody) },
  responses: { 200: jsonContent(ItemSchema) },
});

export const deleteRoute = authedRoute({
  method: "delete",
  path: "/v1/items/{id}",
  tags: ["Items"],
  summary: "Delete item",
  description:
    "Removes the item from the catalog (items.manage); invoices already stamped keep what they were stamped with.",
  request: { params: IdParam },
  responses: { 200: jsonContent(SuccessResponse) },
});

export function register(app: App) {
  app.openapi(createRoute, async (c) => {
    const row = await createItem(actorContext(c), c.req.valid("query").organization_id, c.req.valid("json"));
    return c.json(presentItem(row), 201);
  });

  app.openapi(listRoute, async (c) => {
    const q = c.req.valid("query");
    const page = { page: q.page, limit: q.limit };
    const { rows, totalCount } = await listItems(actorContext(c), q.organization_id, {
      description: q.description,
      itemKey: q.item_key,
      unitKey: q.unit_key,
      sort: q.sort,
      order: q.order,
      ...page,
    });
    return c.json(pageEnvelope(rows.map(presentItem), totalCount, page), 200);
  });

  app.openapi(getRoute, async (c) => {
    return c.json(presentItem(await getItem(actorContext(c), c.req.valid("param").id)), 200);
  });

  app.openapi(updateRoute, async (c) => {
    const row = await updateItem(actorContext(c), c.req.valid("param").id, c.req.valid("json"));
    return c.json(presentItem(row), 200);
  });

  app.openapi(deleteRoute, async (c) => {
    await deleteItem(actorContext(c), c.req.valid("param").id);
    return c.json({ success: true as const }, 200);
  });
}
