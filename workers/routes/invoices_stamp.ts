// POST /v1/invoices/stamp: issue a CFDI 4.0 (seed #153): build, seal, stamp, store as an issued invoice.
import { z } from "@hono/zod-openapi";
import type { App } from "../app";
import { ErrorEnvelope } from "../openapi/errors";
import { authedRoute } from "../openapi/route";
import { jsonBody, jsonContent } from "../openapi/schemas";
import { actorContext } from "../services/context";
import { presentInvoice } from "../services/invoice-presenter";
import { loadInvoiceDetail } from "../services/invoices";
import { stampInvoice } from "../services/stamping";
import { InvoiceSchema } from "./invoices_get";

export const Amount = z
  .union([z.number().nonnegative(), z.string().regex(/^\d{1,18}(\.\d{1,6})?$/)])
  .openapi({ description: "A decimal (number or string) with at most 6 decimals", example: "1500.00" });

export const Tax = z.object({
  type: z.enum(["IVA", "ISR", "IEPS"]),
  rate: Amount.optional().openapi({
    description: "0.16 for 16 %; a cuota per unit for IEPS Cuota; absent for Exento",
  }),
  factor: z.enum(["Tasa", "Cuota", "Exento"]).optional().openapi({ description: "Default Tasa" }),
  withholding: z.boolean().optional().openapi({ description: "A retención (ISR is always one)" }),
});

export const Description = z.string().min(1).max(1000);
export const ItemKey = z
  .string()
  .regex(/^\d{8}$/)
  .openapi({ description: "c_ClaveProdServ", example: "86121600" });
export const UnitKey = z
  .string()
  .regex(/^[A-Z0-9]{1,3}$/)
  .openapi({ description: "c_ClaveUnidad", example: "E48" });

/** Fields a line may leave to its `itemId`, each required without one. */
const FROM_ITEM = ["description", "itemKey", "unitKey", "netUnitPriceAmount"] as const;

const Item = z
  .object({
    itemId: z.uuid().optional().openapi({
      description:
        "An item of /v1/items of the issuing organization (else 400 `item_not_found`): its description, keys, price and taxes fill what the line leaves out",
    }),
    description: Description.optional(),
    itemKey: ItemKey.optional(),
    unitKey: UnitKey.optional(),
    quantity: Amount,
    netUnitPriceAmount: Amount.optional().openapi({
      description: "Unit price before taxes (unless taxIncluded)",
    }),
    discount: Amount.optional().openapi({ description: "Discount of the line, before taxes" }),
    taxIncluded: z.boolean().optional().openapi({
      description:
        "netUnitPriceAmount includes the transferred taxes: the unit price is (price − Σ cuotas) / (1 + Σ tasas), rounded half-up to 6 decimals. Withholdings are not part of the price.",
    }),
    taxes: z.array(Tax).max(20).optional().openapi({
      description: "Omitted: IVA 16 % transferred. Empty: not subject to tax (ObjetoImp 01).",
    }),
  })
  .superRefine((item, ctx) => {
    if (item.itemId) return;
    for (const field of FROM_ITEM) {
      if (item[field] === undefined)
        ctx.addIssue({ code: "custom", path: [field], message: "Required without itemId" });
    }
  });

const RelatedDocuments = z
  .object({
    relationship: z
      .string()
      .regex(/^0[1-9]$/)
      .openapi({
        description:
          "c_TipoRelacion: 01 nota de crédito, 03 devolución, 04 sustitución, 07 aplicación de anticipo…",
        example: "01",
      }),
    uuids: z.array(z.guid()).max(100).optional().openapi({ description: "UUIDs of invoices you issued" }),
    invoiceIds: z.array(z.uuid()).max(100).optional().openapi({ description: "Ids of invoices you issued" }),
  })
  .refine((r) => (r.uuids?.length ?? 0) + (r.invoiceIds?.length ?? 0) > 0, {
    path: ["uuids"],
    message: "Give uuids or invoiceIds",
  });

export const StampBody = z
  .object({
    type: z.enum(["I", "E"]).optional().openapi({
      description:
        "I: ingreso (the default). E: egreso, a credit note; relatedDocuments names the invoices it credits. Payment complements (P) have their own operation, POST /v1/invoice-payments/stamp.",
    }),
    recipient: z.object({
      name: z.string().min(1).max(300),
      taxIdentifier: z.string().min(12).max(13).openapi({ example: "MCI7306249Y1" }),
      taxRegime: z
        .string()
        .regex(/^\d{3}$/)
        .openapi({ example: "603" }),
      postalCode: z.string().regex(/^\d{5}$/),
      email: z.email().optional(),
    }),
    items: z.array(Item).min(1).max(5000),
    paymentForm: z
      .string()
      .regex(/^\d{2}$/)
      .openapi({ example: "03" }),
    cfdiUse: z
      .string()
      .regex(/^[A-Z]{1,2}\d{2}$/)
      .openapi({ example: "G03" }),
    paymentMethod: z.enum(["PUE", "PPD"]),
    folioNumber: z
      .union([z.number().int().positive().max(Number.MAX_SAFE_INTEGER), z.string().regex(/^[1-9]\d{0,14}$/)])
      .optional()
      .openapi({ description: "A folio of the series not used yet; the next free one when absent" }),
    series: z
      .string()
      .min(1)
      .max(25)
      .regex(/^[^|]+$/)
      .optional(),
    relatedDocuments: z.array(RelatedDocuments).max(20).optional().openapi({
      description:
        "CfdiRelacionados: invoices issued by provider_id, by UUID or id (at least one for type E, each issued to this recipient and not cancelled)",
    }),
  })
  .openapi("StampInvoice");

const Query = z.object({
  provider_id: z.string().min(1).openapi({
    format: "uuid",
    description: "The issuing organization (its RFC, CSD, folios and balance)",
  }),
});

export const route = authedRoute(
  {
    method: "post",
    path: "/v1/invoices/stamp",
    tags: ["Invoices"],
    summary: "Stamp an invoice",
    description: [
      "Builds a CFDI 4.0 ingreso (or, with type E, a credit note relating invoices provider_id issued) from the body,",
      "has it sealed and stamped by the organization's provider (PUT /v1/organizations/{id}/stamping-provider:",
      "the embedded sandbox PAC, which seals with the CSD kept here, or Facturapi, which seals with the CSD",
      "uploaded there), then stores it as an invoice issued by provider_id (status `sent`, with its uuid, series",
      "and folioNumber) with its XML and PDF; the recipient organization sees it when it is a client linked with",
      "that RFC, and its invoice preferences are checked first. One stamp is held on the balance before the",
      "provider is called and charged once stored. Errors: 402 `insufficient_balance` (nothing stamped); 422 `csd_not_uploaded`,",
      "`issuer_profile_incomplete`, or the provider's refusal with its PAC code (301–307, 401, CFDI40xxx);",
      "409 `folio_in_use` for a folioNumber already used; 422 `related_invoice_not_found` (also for another",
      "organization's invoice), `related_invoice_recipient_mismatch`, `related_invoice_cancelled`.",
      "A failure leaves no folio used, no charge and no invoice. When the provider times out or fails without",
      "refusing (it may have stamped), the answer is 202 with the invoice `processing`: it keeps its folio and the",
      "held stamp, and a queued job asks the provider again under the same idempotency key until it becomes `sent`",
      "(charged once) or `not_valid` (refused, nothing charged); GET /v1/invoices/{id}/evidence shows every",
      "provider request. Payment complements: POST /v1/invoice-payments/stamp.",
    ].join(" "),
    request: { query: Query, body: jsonBody(StampBody) },
    responses: {
      201: jsonContent(
        z.object({
          success: z.literal(true),
          invoice: InvoiceSchema,
          isValid: z.boolean(),
          message: z.string(),
        }),
        "Stamped and stored",
      ),
      202: jsonContent(
        z.object({
          success: z.literal(true),
          invoice: InvoiceSchema,
          isValid: z.boolean(),
          message: z.string(),
        }),
        "The provider's answer is not known yet: the invoice is `processing` until a queued job reconciles it",
      ),
      402: jsonContent(ErrorEnvelope, "`insufficient_balance`: top up with POST /v1/balance/top-ups"),
    },
  },
  { idempotent: true },
);

export function register(app: App) {
  app.openapi(route, async (c) => {
    const ctx = actorContext(c);
    const { invoice, processing } = await stampInvoice(
      ctx,
      c.req.valid("query").provider_id,
      c.req.valid("json"),
      c.req.header("idempotency-key"),
    );
    const detail = await loadInvoiceDetail(ctx.db, invoice);
    const body = {
      success: true as const,
      invoice: presentInvoice(detail, new URL(c.req.url).origin),
      isValid: invoice.status !== "not_valid",
    };
    return processing
      ? c.json(
          { ...body, message: "The provider has not confirmed the stamp yet; the invoice is processing" },
          202,
        )
      : c.json({ ...body, message: "Invoice created successfully" }, 201);
  });
}
