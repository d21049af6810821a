// POST /v1/invoices: receive a CFDI (multipart invoiceXml, invoicePdf, purchaseOrderPdf).
import { z } from "@hono/zod-openapi";
import type { App } from "../app";
import { multipartBody, multipartFiles } from "../http/multipart";
import { ErrorEnvelope } from "../openapi/errors";
import { authedRoute } from "../openapi/route";
import { jsonContent } from "../openapi/schemas";
import { actorContext } from "../services/context";
import { presentInvoice } from "../services/invoice-presenter";
import { loadInvoiceDetail, receiveInvoice } from "../services/invoices";
import { InvoiceSchema } from "./invoices_get";

const Query = z.object({
  organization_id: z.string().min(1).optional().openapi({
    format: "uuid",
    description: "The receiver: your organization, when you received the invoice",
  }),
  provider_id: z.string().min(1).optional().openapi({
    format: "uuid",
    description:
      "The issuer: your organization when you submit an invoice to a client; with organization_id, one of its linked providers",
  }),
});

export const route = authedRoute(
  {
    method: "post",
    path: "/v1/invoices",
    tags: ["Invoices"],
    summary: "Create a new invoice",
    description: [
      "Receives a CFDI 3.3 or 4.0 by uploading its XML (and optionally its PDF and the purchase order).",
      "The XML is parsed, its Sello and stamp verified and SAT's rules validated; a document that fails is stored",
      "with status `not_valid` and its `validationErrors`, and never counts in balances. The Receptor must be",
      "organization_id's RFC (400 `recipient_mismatch`) and the Emisor the provider's (400 `issuer_mismatch`).",
      "The receiver's invoice preferences are enforced (400 with the violated rule's code).",
      "A UUID already in your inbox → 409 `duplicate_invoice` with `details.existingId`.",
      "Payment complements (type P) go to POST /v1/invoice-payments.",
    ].join(" "),
    request: {
      query: Query,
      body: multipartBody({
        invoiceXml: { required: true },
        invoicePdf: {},
        purchaseOrderPdf: { description: "Optional PDF of the purchase order" },
      }),
    },
    responses: {
      201: jsonContent(
        z.object({
          success: z.literal(true),
          isValid: z.boolean(),
          message: z.string(),
          invoice: InvoiceSchema,
        }),
        "Stored (also when not valid: see isValid and invoice.validationErrors)",
      ),
      409: jsonContent(ErrorEnvelope, "`duplicate_invoice`: this UUID is already in your inbox"),
      413: jsonContent(ErrorEnvelope, "`file_too_large` or `xml_too_large`"),
    },
  },
  { idempotent: true },
);

export function register(app: App) {
  app.openapi(route, async (c) => {
    const query = c.req.valid("query");
    const ctx = actorContext(c);
    const { invoice } = await receiveInvoice(ctx, {
      organizationId: query.organization_id,
      providerId: query.provider_id,
      readFiles: async () => {
        const parts = await multipartFiles(c.req.raw, ["invoiceXml"], ["invoicePdf", "purchaseOrderPdf"]);
        return { xml: parts.invoiceXml, pdf: parts.invoicePdf, purchaseOrder: parts.purchaseOrderPdf };
      },
    });
    const isValid = invoice.status !== "not_valid";
    const detail = await loadInvoiceDetail(ctx.db, invoice);
    return c.json(
      {
        success: true as const,
        isValid,
        message: isValid ? "Invoice created successfully" : "Invoice stored as not_valid",
        invoice: presentInvoice(detail, new URL(c.req.url).origin),
      },
      201,
    );
  });
}
