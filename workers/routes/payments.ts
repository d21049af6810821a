// POST /v1/payments (a manual payment covering accepted invoices) and DELETE /v1/payments/{id}.
import { z } from "@hono/zod-openapi";
import { isValidClabe } from "../../shared/clabe";
import { mexicoDate } from "../../shared/invoices/edits";
import { instantOf } from "../../shared/invoices/payment-status";
import type { App } from "../app";
import { authedRoute } from "../openapi/route";
import { IdParam, jsonBody, jsonContent } from "../openapi/schemas";
import { actorContext } from "../services/context";
import { presentFile } from "../services/files";
import { presentManualPayment } from "../services/invoice-payment-state";
import { presentInvoiceSummary } from "../services/invoice-presenter";
import { createPayment, deletePayment, type PaymentResult } from "../services/payments";
import { InvoiceSchema } from "./invoices_get";

const isDay = (value: string) => {
  try {
    instantOf(value);
    return true;
  } catch {
    return false;
  }
};

const Body = z
  .object({
    invoiceIds: z
      .array(z.uuid())
      .min(1)
      .max(100)
      .refine((ids) => new Set(ids).size === ids.length, "Must not repeat an invoice")
      .openapi({ description: "The invoices the payment covers, each for its whole outstanding balance" }),
    paymentProofFileId: z.uuid().nullish().openapi({
      description: "A file uploaded with type payment_proof; with it the CEP data becomes optional",
    }),
    paymentTrackingNumber: z
      .string()
      .regex(/^[A-Za-z0-9]{1,30}$/, "Must be the transfer's clave de rastreo: 1 to 30 letters and digits")
      .nullish(),
    paymentReferenceNumber: z
      .string()
      .regex(/^\d{1,7}$/, "Must be the transfer's referencia numérica: 1 to 7 digits")
      .nullish(),
    paymentIssuerBankId: z
      .string()
      .regex(/^\d{3}$/, "Must be the 3-digit code of the sending bank")
      .nullish()
      .openapi({ example: "012" }),
    paymentRecipientBankIdentifier: z
      .string()
      .refine(isValidClabe, "Must be an 18-digit CLABE whose last digit is its check digit")
      .nullish()
      .openapi({ description: "CLABE of the receiving account", example: "032180000118359719" }),
    paymentIsOrderingBank: z.boolean().nullish(),
    paidAt: z
      .string()
      .regex(/^\d{4}-\d{2}-\d{2}$/, "Must be a date (YYYY-MM-DD)")
      .refine(isDay, "Must be a date that exists")
      .refine((day) => day <= mexicoDate(new Date()), "Cannot be in the future (Mexico City time)")
      .openapi({ description: "When the transfer was made, a Mexico City day", example: "2024-03-20" }),
  })
  .strict()
  .superRefine((body, ctx) => {
    const cep = [
      body.paymentTrackingNumber,
      body.paymentReferenceNumber,
      body.paymentIssuerBankId,
      body.paymentRecipientBankIdentifier,
    ];
    // CEP data identifies the transfer unless a proof file is attached; what is given must be complete.
    if (body.paymentProofFileId && cep.every((v) => v == null)) return;
    const missing = (path: string, message: string) =>
      ctx.addIssue({ code: "custom", path: [path], message });
    if (body.paymentTrackingNumber == null && body.paymentReferenceNumber == null) {
      missing("paymentTrackingNumber", "paymentTrackingNumber or paymentReferenceNumber is required");
    }
    if (body.paymentIssuerBankId == null) missing("paymentIssuerBankId", "The sending bank is required");
    if (body.paymentRecipientBankIdentifier == null) {
      missing("paymentRecipientBankIdentifier", "The receiving CLABE is required");
    }
  });

export const PaymentSchema = z
  .object({
    id: z.string(),
    organizationId: z.string(),
    providerId: z.string().nullable(),
    totalAmount: z.number(),
    paidAt: z.string(),
    paymentTrackingNumber: z.string().nullable(),
    paymentReferenceNumber: z.string().nullable(),
    paymentIssuerBankId: z.string().nullable(),
    paymentRecipientBankIdentifier: z.string().nullable(),
    paymentIsOrderingBank: z.boolean().nullable(),
    paymentProofFile: z.record(z.string(), z.unknown()).nullable(),
    createdAt: z.string(),
  })
  .openapi("Payment");

const PaidInvoices = z.array(InvoiceSchema);

export const createRoute = authedRoute(
  {
    method: "post",
    path: "/v1/payments",
    tags: ["Payments"],
    summary: "Create a payment",
    description: [
      "Records a bank transfer that pays whole invoices. Either paymentTrackingNumber or paymentReferenceNumber",
      "and both banks (the sending bank's 3-digit code and the receiving CLABE, whose check digit is verified)",
      "are required, unless a payment proof file is attached. paidAt is a Mexico City day, not in the future.",
      "The invoices must be `accepted` (400 `invalid_invoice_status`), belong to one organization",
      "(`invoice_doesnt_belong_to_an_organization`, `invoices_different_organizations`), one provider",
      "(`invoices_different_providers`) and one currency (`invoices_different_currencies`). Each is paid for",
      "its outstanding balance and becomes `paid`. Needs the permission to update invoice statuses.",
    ].join(" "),
    request: { body: jsonBody(Body) },
    responses: {
      201: jsonContent(
        z.object({ success: z.literal(true), payment: PaymentSchema, invoices: PaidInvoices }),
        "Created",
      ),
    },
  },
  { idempotent: true },
);

export const deleteRoute = authedRoute({
  method: "delete",
  path: "/v1/payments/{id}",
  tags: ["Payments"],
  summary: "Delete a payment",
  description: [
    "All the invoices of the payment must still be `paid` (400 `invalid_invoice_status`); they roll back to",
    "`accepted` with their payment fields and estadoPago recomputed without this payment.",
  ].join(" "),
  request: { params: IdParam },
  responses: {
    200: jsonContent(z.object({ success: z.literal(true), invoices: PaidInvoices })),
  },
});

const presentInvoices = (invoices: PaymentResult["invoices"]) =>
  invoices.map(({ invoice, state }) => ({ ...presentInvoiceSummary(invoice), estadoPago: state.estadoPago }));

export function register(app: App) {
  app.openapi(createRoute, async (c) => {
    const body = c.req.valid("json");
    const result = await createPayment(actorContext(c), {
      invoiceIds: body.invoiceIds,
      paymentProofFileId: body.paymentProofFileId ?? undefined,
      paymentTrackingNumber: body.paymentTrackingNumber ?? undefined,
      paymentReferenceNumber: body.paymentReferenceNumber ?? undefined,
      paymentIssuerBankId: body.paymentIssuerBankId ?? undefined,
      paymentRecipientBankIdentifier: body.paymentRecipientBankIdentifier ?? undefined,
      paymentIsOrderingBank: body.paymentIsOrderingBank ?? undefined,
      paidAt: body.paidAt,
    });
    const origin = new URL(c.req.url).origin;
    const file = (id: string | null) =>
      result.proofFile && result.proofFile.id === id ? presentFile(result.proofFile, origin) : null;
    return c.json(
      {
        success: true as const,
        payment: presentManualPayment(result.payment, null, file),
        invoices: presentInvoices(result.invoices),
      },
      201,
    );
  });

  app.openapi(deleteRoute, async (c) => {
    const { invoices } = await deletePayment(actorContext(c), c.req.valid("param").id);
    return c.json({ success: true as const, invoices: presentInvoices(invoices) }, 200);
  });
}
