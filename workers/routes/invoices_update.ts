// PATCH /v1/invoices/{id}: notes, read mark, due date, and the fields of invoices outside the CFDI system.
import { z } from "@hono/zod-openapi";
import type { App } from "../app";
import { SuccessResponse } from "../openapi/errors";
import { authedRoute } from "../openapi/route";
import { IdParam, jsonBody, jsonContent } from "../openapi/schemas";
import { actorContext } from "../services/context";
import { updateInvoice } from "../services/invoice-changes";

const ext = (max: number, description: string) =>
  z
    .string()
    .max(max)
    .optional()
    .openapi({ description: `${description}. Only on EXT invoices (else 400 \`invalid_payment_method\`)` });

const UpdateInvoice = z
  .object({
    notes: z.string().max(5000).nullable().optional(),
    isRead: z.boolean().optional(),
    paymentDueAt: z.string().max(40).optional().openapi({
      format: "date",
      description:
        "When payment is due, a Mexico City day (YYYY-MM-DD). Only on accepted invoices (else 400 `invalid_status`)",
    }),
    cfdiUse: ext(3, "c_UsoCFDI code, e.g. G03"),
    paymentForm: ext(2, "c_FormaPago code, e.g. 03"),
    stampedAt: ext(40, "Date-time; without an offset it is Mexico City time"),
    folioNumber: ext(40, "Folio"),
    series: ext(25, "Series"),
    issuerName: ext(300, "Issuer's name"),
    issuerTaxIdentifier: ext(40, "Issuer's tax identifier"),
    issuerPostalCode: ext(20, "Issuer's postal code"),
    issuerCountry: ext(3, "c_Pais code, e.g. USA"),
    issuerAddressStreet: ext(200, "Street"),
    issuerAddressNumber: ext(50, "Number"),
    issuerAddressNumberInterior: ext(50, "Interior number"),
    issuerAddressNeighborhood: ext(200, "Neighborhood"),
    issuerAddressCity: ext(200, "City"),
    issuerAddressMunicipality: ext(200, "Municipality"),
    issuerAddressState: ext(50, "c_Estado code of the issuer's country (Mexico's when none)"),
    grossPriceAmount: z
      .union([z.string().max(40), z.number()])
      .optional()
      .openapi({
        description:
          "New total. Only on EXT invoices originally in USD and accepted (else 400 `invalid_payment_method`, `invalid_currency` or `invalid_status`); the payment fields are recalculated",
      }),
  })
  .strict()
  .refine((v) => Object.values(v).some((x) => x !== undefined), {
    message: "Send at least one field to update",
  })
  .openapi("UpdateInvoice");

export const route = authedRoute({
  method: "patch",
  path: "/v1/invoices/{id}",
  tags: ["Invoices"],
  summary: "Update invoice",
  description:
    "Needs `invoices.write` in the receiver or the issuer organization. Every change appends an `invoice.updated` event; a concurrent change of the same invoice → 409 `concurrent_update`.",
  request: { params: IdParam, body: jsonBody(UpdateInvoice) },
  responses: { 200: jsonContent(SuccessResponse) },
});

export function register(app: App) {
  app.openapi(route, async (c) => {
    await updateInvoice(actorContext(c), c.req.valid("param").id, c.req.valid("json"));
    return c.json({ success: true as const }, 200);
  });
}
