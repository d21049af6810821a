// PATCH /v1/invoice-items/{id} and POST, PATCH, DELETE /v1/invoice-item-taxes: line and tax edits of
// accepted EXT invoices, each recalculating the item, its taxes and the invoice's totals exactly.
import { z } from "@hono/zod-openapi";
import type { App } from "../app";
import { SuccessResponse } from "../openapi/errors";
import { authedRoute } from "../openapi/route";
import { IdParam, jsonBody, jsonContent, Uuid } from "../openapi/schemas";
import { actorContext } from "../services/context";
import {
  addInvoiceItemTax,
  deleteInvoiceItemTax,
  presentItemTax,
  updateInvoiceItem,
  updateInvoiceItemTax,
} from "../services/invoice-items";

const RULE =
  "Only on EXT invoices in status accepted (else 400 `invalid_payment_method` or `invalid_status`). Needs `invoices.write` in the invoice's receiver or issuer; a concurrent edit of the same invoice → 409 `concurrent_update`.";

const Amount = z.union([z.string().max(40), z.number()]);

const UpdateItem = z
  .object({
    netPriceAmount: Amount.optional().openapi({ description: "Importe (> 0, up to 6 decimals)" }),
    quantity: z.number().int().min(1).optional(),
    description: z.string().max(1000).optional().openapi({ description: "Changes nothing else" }),
  })
  .strict()
  .refine((v) => Object.values(v).some((x) => x !== undefined), {
    message: "Send at least one field to update",
  })
  .openapi("UpdateInvoiceItem");

export const itemRoute = authedRoute({
  method: "patch",
  path: "/v1/invoice-items/{id}",
  tags: ["Invoice Items"],
  summary: "Update invoice item",
  description: `netPriceAmount and quantity recalculate netUnitPriceAmount, grossPriceAmount, the item's taxes, the invoice's taxes and its totals. ${RULE}`,
  request: { params: IdParam, body: jsonBody(UpdateItem) },
  responses: {
    200: jsonContent(z.object({ success: z.literal(true), message: z.string() })),
  },
});

const ItemTaxSchema = z
  .object({
    id: Uuid,
    invoiceItemId: Uuid,
    taxId: z.string().openapi({ example: "002" }),
    code: z.string().openapi({ example: "IVA" }),
    isWithholding: z.boolean(),
    factor: z.enum(["Tasa", "Cuota", "Exento"]),
    rate: z.number().nullable(),
    baseAmount: z.number().nullable(),
    value: z.number().nullable(),
  })
  .openapi("InvoiceItemTax");

const TaxFields = {
  taxId: z
    .string()
    .max(10)
    .openapi({ description: "c_Impuesto: 001 ISR, 002 IVA, 003 IEPS", example: "002" }),
  rate: Amount.openapi({ description: "TasaOCuota (≥ 0, up to 6 decimals), e.g. 0.16" }),
  isWithholding: z.boolean().optional().openapi({
    description: "Withheld rather than transferred; defaults from the tax (ISR is always withheld)",
  }),
};

const CreateItemTax = z
  .object({ invoiceItemId: Uuid, ...TaxFields })
  .strict()
  .openapi("CreateInvoiceItemTax");

export const createTaxRoute = authedRoute(
  {
    method: "post",
    path: "/v1/invoice-item-taxes",
    tags: ["Invoice Items"],
    summary: "Create invoice item tax",
    description: `Recalculates the item's grossPriceAmount, the invoice's taxes and its totals. ${RULE}`,
    request: { body: jsonBody(CreateItemTax) },
    responses: { 201: jsonContent(z.object({ success: z.literal(true), data: ItemTaxSchema }), "Created") },
  },
  { idempotent: true },
);

const UpdateItemTax = z
  .object({
    taxId: TaxFields.taxId.optional(),
    rate: TaxFields.rate.optional(),
    isWithholding: TaxFields.isWithholding,
  })
  .strict()
  .refine((v) => Object.values(v).some((x) => x !== undefined), {
    message: "Send at least one field to update",
  })
  .openapi("UpdateInvoiceItemTax");

export const updateTaxRoute = authedRoute({
  method: "patch",
  path: "/v1/invoice-item-taxes/{id}",
  tags: ["Invoice Items"],
  summary: "Update invoice item tax",
  description: `A new rate recalculates baseAmount and value; a new taxId fills code and isWithholding. ${RULE}`,
  request: { params: IdParam, body: jsonBody(UpdateItemTax) },
  responses: { 200: jsonContent(z.object({ success: z.literal(true), data: ItemTaxSchema })) },
});

export const deleteTaxRoute = authedRoute({
  method: "delete",
  path: "/v1/invoice-item-taxes/{id}",
  tags: ["Invoice Items"],
  summary: "Delete invoice item tax",
  description: `Recalculates the item, the invoice's taxes and its totals. ${RULE}`,
  request: { params: IdParam },
  responses: { 200: jsonContent(SuccessResponse) },
});

export function register(app: App) {
  app.openapi(itemRoute, async (c) => {
    await updateInvoiceItem(actorContext(c), c.req.valid("param").id, c.req.valid("json"));
    return c.json({ success: true as const, message: "Invoice item updated successfully" }, 200);
  });
  app.openapi(createTaxRoute, async (c) => {
    const created = await addInvoiceItemTax(actorContext(c), c.req.valid("json"));
    return c.json({ success: true as const, data: presentItemTax(created) }, 201);
  });
  app.openapi(updateTaxRoute, async (c) => {
    const updated = await updateInvoiceItemTax(actorContext(c), c.req.valid("param").id, c.req.valid("json"));
    return c.json({ success: true as const, data: presentItemTax(updated) }, 200);
  });
  app.openapi(deleteTaxRoute, async (c) => {
    await deleteInvoiceItemTax(actorContext(c), c.req.valid("param").id);
    return c.json({ success: true as const }, 200);
  });
}
