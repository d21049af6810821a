// GET and PUT /v1/organizations/{organizationId}/invoice-preferences (seed #34, #35).
import { z } from "@hono/zod-openapi";
import { formasPago, metodosPago, monedas, usosCfdi } from "../../shared/catalogs";
import type { App } from "../app";
import { authedRoute } from "../openapi/route";
import { jsonBody, jsonContent, OrgIdParam } from "../openapi/schemas";
import { actorContext } from "../services/context";
import {
  getInvoicePreferences,
  presentInvoicePreferences,
  updateInvoicePreferences,
} from "../services/invoice-preferences";

/** A list of catalog codes; each must exist in the catalog. */
const codes = (catalog: { has(code: string): boolean; name: string }, extra: string[] = []) =>
  z
    .array(
      z.string().refine((code) => catalog.has(code) || extra.includes(code), {
        message: `Not a code of ${catalog.name}`,
      }),
    )
    .max(100)
    .nullable()
    .optional();

const HHMM = z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, "Use HH:MM (24 h)");

const Preferences = z
  .object({
    // EXT marks invoices that are not CFDIs (foreign providers); it is not in c_MetodoPago.
    paymentMethods: codes(metodosPago, ["EXT"]),
    cfdiUses: codes(usosCfdi),
    paymentForms: codes(formasPago),
    currencyCodes: codes(monedas),
    paymentDay: z.number().int().min(0).max(6).nullable().optional().openapi({ description: "0 = Sunday" }),
    allowedInvoiceDays: z
      .array(
        z
          .object({ day: z.number().int().min(0).max(6), from: HHMM, to: HHMM })
          .refine((w) => w.from <= w.to, { message: "from must not be after to", path: ["to"] }),
      )
      .max(50)
      .nullable()
      .optional()
      .openapi({
        description: "Windows per weekday (0 = Sunday) in Mexico City time when invoices are accepted",
      }),
    monthEndInvoiceDays: z.number().int().min(0).max(3).nullable().optional(),
    isEfosClearanceMandatory: z.boolean().nullable().optional(),
    isComplianceDocumentMandatory: z.boolean().nullable().optional(),
    numberOfMissingPendingInvoicePaymentsAllowed: z.number().int().min(0).max(10_000).nullable().optional(),
    isBankingInformationMandatory: z.boolean().nullable().optional(),
    isPurchaseOrderMandatory: z.boolean().nullable().optional(),
    isStampedAtCurrentMonthMandatory: z.boolean().nullable().optional(),
    archivePaidInvoices: z.boolean().nullable().optional(),
    paymentDueAtAnchor: z.enum(["createdAt", "stampedAt", "acceptedAt"]).nullable().optional(),
  })
  .strict()
  .openapi("InvoicePreferences");

export const getRoute = authedRoute({
  method: "get",
  path: "/v1/organizations/{organizationId}/invoice-preferences",
  tags: ["Organizations"],
  summary: "Get invoice preferences for an organization",
  request: { params: OrgIdParam },
  responses: { 200: jsonContent(z.object({ invoicePreferences: Preferences })) },
});

export const putRoute = authedRoute({
  method: "put",
  path: "/v1/organizations/{organizationId}/invoice-preferences",
  tags: ["Organizations"],
  summary: "Update invoice preferences for an organization",
  description:
    "Fields sent are set (null clears a rule); fields left out keep their value. Received invoices must meet them.",
  request: { params: OrgIdParam, body: jsonBody(Preferences) },
  responses: { 200: jsonContent(z.object({ success: z.literal(true), invoicePreferences: Preferences })) },
});

export function register(app: App) {
  app.openapi(getRoute, async (c) => {
    const row = await getInvoicePreferences(actorContext(c), c.req.valid("param").organizationId);
    return c.json({ invoicePreferences: presentInvoicePreferences(row) }, 200);
  });
  app.openapi(putRoute, async (c) => {
    const row = await updateInvoicePreferences(
      actorContext(c),
      c.req.valid("param").organizationId,
      c.req.valid("json"),
    );
    return c.json({ success: true as const, invoicePreferences: presentInvoicePreferences(row) }, 200);
  });
}
