// POST /v1/invoice-payments/stamp: issue a payment complement (CFDI type P, Pagos 2.0) for PPD invoices the
// organization issued, and apply it to them as POST /v1/invoice-payments applies a received one.
import { z } from "@hono/zod-openapi";
import type { App } from "../app";
import { ErrorEnvelope } from "../openapi/errors";
import { authedRoute } from "../openapi/route";
import { jsonBody, jsonContent } from "../openapi/schemas";
import { actorContext } from "../services/context";
import { presentFile } from "../services/files";
import { presentComplement } from "../services/invoice-payment-state";
import { presentInvoiceSummary } from "../services/invoice-presenter";
import { stampPaymentComplement } from "../services/stamping-payments";
import { InvoicePaymentSchema } from "./invoice_payments";
import { InvoiceSchema } from "./invoices_get";
import { Amount, StampBody } from "./invoices_stamp";

const PaymentDocument = z.object({
  invoiceId: z.uuid().openapi({ description: "A PPD ingreso issued by provider_id to the recipient" }),
  amount: Amount.openapi({ description: "ImpPagado, in the invoice's currency; at most what it still owes" }),
  installment: z.number().int().min(1).max(999).optional().openapi({
    description: "NumParcialidad; by default the one after the complements the inbox has applied",
  }),
  equivalence: Amount.optional().openapi({
    description:
      "EquivalenciaDR (invoice-currency units per payment-currency unit). Derived when the currencies match or the invoice is in MXN (the payment's exchangeRate); required otherwise",
  }),
});

const Payment = z.object({
  date: z
    .string()
    .regex(/^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}:\d{2})?$/)
    .openapi({
      description: "FechaPago, Mexico City time (a date alone is 12:00:00, as SAT asks)",
      example: "2026-03-02T10:30:00",
    }),
  paymentForm: z
    .string()
    .regex(/^\d{2}$/)
    .openapi({ description: "c_FormaPago (not 99)", example: "03" }),
  currency: z
    .string()
    .regex(/^[A-Z]{3}$/)
    .optional()
    .openapi({ description: "MonedaP; the related invoices' currency when they share one, else MXN" }),
  exchangeRate: Amount.optional().openapi({ description: "TipoCambioP: MXN per unit of currency" }),
  operationNumber: z.string().min(1).max(100).optional().openapi({ description: "NumOperacion" }),
  relatedDocuments: z.array(PaymentDocument).min(1).max(100),
});

export const StampPaymentBody = z
  .object({
    recipient: StampBody.shape.recipient,
    payments: z.array(Payment).min(1).max(20),
    folioNumber: StampBody.shape.folioNumber,
    series: StampBody.shape.series,
  })
  .openapi("StampInvoicePayment");

const Query = z.object({
  provider_id: z.string().min(1).openapi({
    format: "uuid",
    description: "The issuing organization (its RFC, CSD, folios and balance)",
  }),
});

export const route = authedRoute(
  {
    method: "post",
    path: "/v1/invoice-payments/stamp",
    tags: ["Invoices"],
    summary: "Stamp a payment complement",
    description: [
      "Issues a CFDI de pago (type P, Pagos 2.0) from provider_id to the recipient for PPD ingreso invoices it issued",
      "(a separate operation from POST /v1/invoices/stamp because the inbox keeps complements apart from invoices).",
      "For every related document the inbox supplies the UUID, series, folio and currency, ImpSaldoAnt (the total",
      "minus the complements already applied), NumParcialidad, EquivalenciaDR, ObjetoImpDR and the taxes of the paid",
      "share (each tax group's base × amount / total, SAT rounding). Once stamped it is stored and applied like an",
      "uploaded complement: the invoices' payment fields and estadoPago move to PAGO_PARCIAL or PAGADO. Balance,",
      "folio and failure rules are those of POST /v1/invoices/stamp (402 `insufficient_balance`, 409 `folio_in_use`,",
      "422 provider refusals; a failure leaves no folio used, no charge and nothing stored). 422",
      "`related_invoice_not_found` (also for another organization's invoice), `related_invoice_recipient_mismatch`,",
      "`related_invoice_not_ppd`, `related_invoice_not_payable` (cancelled or not valid),",
      "`amount_exceeds_related_document_balance` (details.balance: what is still owed); 409 `invoice_changed` when a",
      "related invoice was paid concurrently (nothing charged; send it again).",
    ].join(" "),
    request: { query: Query, body: jsonBody(StampPaymentBody) },
    responses: {
      201: jsonContent(
        z.object({
          success: z.literal(true),
          isValid: z.boolean(),
          message: z.string(),
          invoicePayment: InvoicePaymentSchema,
          invoices: z.array(InvoiceSchema),
        }),
        "Stamped, stored and applied",
      ),
      402: jsonContent(ErrorEnvelope, "`insufficient_balance`: top up with POST /v1/balance/top-ups"),
      409: jsonContent(ErrorEnvelope, "`folio_in_use`, or `invoice_changed` (send it again)"),
    },
  },
  { idempotent: true },
);

export function register(app: App) {
  app.openapi(route, async (c) => {
    const origin = new URL(c.req.url).origin;
    const result = await stampPaymentComplement(
      actorContext(c),
      c.req.valid("query").provider_id,
      c.req.valid("json"),
      c.req.header("idempotency-key"),
    );
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
