// GET /v1/invoices/{id}: the seed's Invoice object with items, taxes, files and payments.
import { z } from "@hono/zod-openapi";
import type { App } from "../app";
import { authedRoute } from "../openapi/route";
import { IdParam, jsonContent } from "../openapi/schemas";
import { actorContext } from "../services/context";
import { presentInvoice } from "../services/invoice-presenter";
import { getInvoice, loadInvoiceDetail } from "../services/invoices";

// The object is wide and documented field by field in the seed; the contract names the stable core.
export const InvoiceSchema = z
  .object({
    id: z.string(),
    status: z.enum(["draft", "sent", "accepted", "paid", "completed", "rejected", "processing", "not_valid"]),
    uuid: z.string().nullable(),
    grossPriceAmount: z.number(),
    netPriceAmount: z.number(),
    currencyCode: z.string(),
    issuerTaxIdentifier: z.string().nullable(),
    recipientTaxIdentifier: z.string().nullable(),
    validationErrors: z
      .array(
        z.object({ code: z.string(), message: z.string(), source: z.string(), path: z.string().optional() }),
      )
      .nullable(),
    items: z.array(z.record(z.string(), z.unknown())).optional(),
    taxes: z.array(z.record(z.string(), z.unknown())).optional(),
  })
  .passthrough()
  .openapi("Invoice");

export const route = authedRoute({
  method: "get",
  path: "/v1/invoices/{id}",
  tags: ["Invoices"],
  summary: "Get invoice details by ID",
  request: { params: IdParam },
  responses: { 200: jsonContent(InvoiceSchema) },
});

export function register(app: App) {
  app.openapi(route, async (c) => {
    const ctx = actorContext(c);
    const { invoice } = await getInvoice(ctx, c.req.valid("param").id);
    const detail = await loadInvoiceDetail(ctx.db, invoice);
    return c.json(presentInvoice(detail, new URL(c.req.url).origin), 200);
  });
}
