// POST /v1/invoices/{id}/cancel: the issuer asks SAT, through the provider that stamped it, to cancel an invoice (seed #160).
import { z } from "@hono/zod-openapi";
import type { App } from "../app";
import { ErrorEnvelope } from "../openapi/errors";
import { authedRoute } from "../openapi/route";
import { IdParam, jsonBody, jsonContent } from "../openapi/schemas";
import { cancelInvoice } from "../services/cancellation";
import { actorContext } from "../services/context";
import { presentInvoice } from "../services/invoice-presenter";
import { loadInvoiceDetail } from "../services/invoices";
import { InvoiceSchema } from "./invoices_get";

export const CancelBody = z
  .object({
    motive: z.enum(["01", "02", "03", "04"]).openapi({
      description:
        "SAT's motive: 01 issued with errors, with a substituting CFDI; 02 issued with errors, without relation; 03 the operation did not take place; 04 a nominative operation in a global invoice",
    }),
    substitution: z.string().min(1).max(64).optional().openapi({
      description: "Motive 01 only: the substituting invoice (its id or UUID), stamped by this organization",
    }),
    force: z.boolean().optional().openapi({
      description:
        "If true, SAT's status is not waited for: the invoice is marked cancelled at once even while the receiver has to accept (the request is still sent and tracked)",
    }),
  })
  .superRefine((body, ctx) => {
    if (body.motive === "01" && body.substitution === undefined) {
      ctx.addIssue({ code: "custom", path: ["substitution"], message: "Required with motive 01" });
    }
    if (body.motive !== "01" && body.substitution !== undefined) {
      ctx.addIssue({
        code: "custom",
        path: ["substitution"],
        message: "Only motive 01 takes a substitution",
      });
    }
  })
  .openapi("CancelInvoice");

export const route = authedRoute({
  method: "post",
  path: "/v1/invoices/{id}/cancel",
  tags: ["Invoices"],
  summary: "Cancel invoice",
  description: [
    "Asks SAT to cancel an invoice the organization stamped through Timbre (`invoices.stamp` on the issuer; the",
    "receiver gets 400 `invoice_not_issued`). The invoice must be `sent` (400 `invalid_invoice_status`) with payment",
    "method PUE or PPD (400 `invalid_payment_method`). `cancellationStatus` says where the request stands: `accepted`",
    "(isCancelled, out of the balances) when SAT needs no acceptance, else `pending` until the receiver accepts,",
    "rejects, or lets it expire (then it may be asked again). Asking again while pending or accepted sends nothing:",
    "the same motive answers with the invoice, another is 409 `cancellation_in_progress` or `invoice_already_cancelled`.",
    "The provider's refusals are 422 with SAT's code (202 already cancelled, 205 unknown UUID, 207–209 motive and",
    "substitution).",
  ].join(" "),
  request: { params: IdParam, body: jsonBody(CancelBody) },
  responses: {
    200: jsonContent(
      z.object({ success: z.literal(true), invoice: InvoiceSchema }),
      "The invoice with its cancellation status",
    ),
    409: jsonContent(ErrorEnvelope, "Another cancellation is pending or done"),
    422: jsonContent(ErrorEnvelope, "The provider refused the cancellation (SAT's code)"),
  },
});

export function register(app: App) {
  app.openapi(route, async (c) => {
    const ctx = actorContext(c);
    const { invoice } = await cancelInvoice(ctx, c.req.valid("param").id, c.req.valid("json"));
    const detail = await loadInvoiceDetail(ctx.db, invoice);
    return c.json(
      { success: true as const, invoice: presentInvoice(detail, new URL(c.req.url).origin) },
      200,
    );
  });
}
