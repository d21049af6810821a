// POST /v1/invoice-payments: receive a payment complement (multipart invoicePaymentXml, invoicePaymentPdf)
// for invoices of the inbox and apply it.
import { z } from "@hono/zod-openapi";
import { commaList } from "../../shared/invoices/filters/values";
import type { App } from "../app";
import { multipartBody, multipartFiles } from "../http/multipart";
import { ErrorEnvelope } from "../openapi/errors";
import { authedRoute } from "../openapi/route";
import { jsonContent } from "../openapi/schemas";
import { actorContext } from "../services/context";
import { presentFile } from "../services/files";
import { presentComplement } from "../services/invoice-payment-state";
import { uploadInvoicePayment } from "../services/invoice-payments";
import { presentInvoiceSummary } from "../services/invoice-presenter";
import { InvoiceSchema } from "./invoices_get";

const Query = z.object({
  invoice_ids: commaList(z.uuid()).openapi({
    type: "string",
    description: "The invoices the complement pays, comma separated (1 to 100 ids)",
    example: "0b9a3c52-5a3e-4b8e-9d0c-1f6d1d1f0a11,6c1f0e7e-96a4-4a4f-8a55-0e3b0c5f7a22",
  }),
});

export const InvoicePaymentSchema = z
  .object({
    id: z.string(),
    uuid: z.string().nullable(),
    version: z.string().openapi({ example: "2.0" }),
    status: z.enum(["valid", "not_valid"]),
    validationErrors: z.array(z.record(z.string(), z.unknown())).nullable(),
    totalAmount: z.number(),
    documents: z.array(
      z
        .object({
          invoiceId: z.string(),
          relatedUuid: z.string(),
          amountPaid: z.number(),
          paidAt: z.string(),
        })
        .passthrough(),
    ),
  })
  .passthrough()
  .openapi("InvoicePayment");

export const route = authedRoute(
  {
    method: "post",
    path: "/v1/invoice-payments",
    tags: ["Invoices"],
    summary: "Upload invoice payment files for an invoice",
    description: [
      "Receives a payment complement (CFDI type P, Pagos 2.0 or 1.0) and applies each DoctoRelacionado to the",
      "listed invoice with that UUID. Every invoice the complement pays must be listed in `invoice_ids`",
      "(400 `invoices_not_specified`, with the missing UUIDs in `details.invoices`) and be between the",
      "complement's Emisor and Receptor (400 `invoice_payment_party_mismatch`). The XML is verified and",
      "validated; a complement that fails is stored with status `not_valid` and its `validationErrors` and",
      "pays nothing. A complement already received (same UUID, or the same bytes while unstamped) → 409",
      "`duplicate_invoice_payment`. The paid invoices' payment fields and `estadoPago` are recomputed; an",
      "`accepted` invoice left fully paid becomes `paid`. Needs invoices.write on the invoices.",
    ].join(" "),
    request: {
      query: Query,
      body: multipartBody({
        invoicePaymentXml: { required: true, description: "Complemento de pago" },
        invoicePaymentPdf: {},
      }),
    },
    responses: {
      201: jsonContent(
        z.object({
          success: z.literal(true),
          isValid: z.boolean(),
          message: z.string(),
          invoicePayment: InvoicePaymentSchema,
          invoices: z.array(InvoiceSchema),
        }),
        "Stored (also when not valid: see isValid and invoicePayment.validationErrors)",
      ),
      409: jsonContent(ErrorEnvelope, "`duplicate_invoice_payment` or `invoice_changed` (retry)"),
      413: jsonContent(ErrorEnvelope, "`file_too_large` or `xml_too_large`"),
    },
  },
  { idempotent: true },
);

export function register(app: App) {
  app.openapi(route, async (c) => {
    const origin = new URL(c.req.url).origin;
    const result = await uploadInvoicePayment(actorContext(c), {
      invoiceIds: c.req.valid("query").invoice_ids,
      readFiles: async () => {
        const parts = await multipartFiles(c.req.raw, ["invoicePaymentXml"], ["invoicePaymentPdf"]);
        return { xml: parts.invoicePaymentXml, pdf: parts.invoicePaymentPdf };
      },
    });
    const file = (id: string | null) => {
      const row = result.files.find((f) => f.id === id);
      return row ? presentFile(row, origin) : null;
    };
    const isValid = result.complement.status === "valid";
    return c.json(
      {
        success: true as const,
        isValid,
        message: isValid ? "Invoice payment created successfully" : "Invoice payment stored as not_valid",
        invoicePayment: presentComplement(result.complement, result.documents, file),
        invoices: result.invoices.map(({ invoice, state }) => ({
          ...presentInvoiceSummary(invoice),
          estadoPago: state.estadoPago,
        })),
      },
      201,
    );
  });
}
