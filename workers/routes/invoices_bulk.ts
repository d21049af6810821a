// PATCH /v1/invoices and PATCH /v1/invoices/status: changes to many invoices, chosen by ids or by the
// listing's filters (INV_FILTERS), all applied or none.
import { z } from "@hono/zod-openapi";
import { tatemFilterQuery } from "../../shared/invoices/filters/tatem";
import { INVOICE_STATUSES } from "../../shared/invoices/status";
import type { App } from "../app";
import { SuccessResponse } from "../openapi/errors";
import { authedRoute } from "../openapi/route";
import { jsonBody, jsonContent, Uuid } from "../openapi/schemas";
import { actorContext } from "../services/context";
import { MAX_FILTER_TARGETS, updateInvoiceStatuses, updateInvoices } from "../services/invoice-changes";

const SELECTION = [
  "Invoices are chosen by `invoiceIds` (up to 100; the query filters are then ignored, and an id you cannot",
  "see → 404 naming it) or by the query filters of GET /v1/invoices for the one side organization_id or",
  `provider_id names (at most ${MAX_FILTER_TARGETS} invoices, else 400 \`too_many_invoices\`).`,
  "All invoices change or none does; a concurrent change of one of them → 409 `concurrent_update`.",
].join(" ");

const InvoiceIds = z.array(Uuid).min(1).max(100).optional().openapi({
  description:
    "IDs of the invoices to update. If this parameter is specified, query filters will be ignored.",
});

const UpdateInvoices = z
  .object({
    invoiceIds: InvoiceIds,
    archive: z.boolean().optional().openapi({
      description:
        "Archive (true) or unarchive (false) for your side only. Archiving needs every invoice 'rejected' or 'completed' (else 400 `invalid_invoice_status`)",
    }),
    paymentDay: z
      .union([z.literal(1), z.literal(2), z.literal(3)])
      .optional()
      .openapi({
        description:
          "paymentDueAt becomes the 1st, 2nd or 3rd next occurrence (after today, Mexico City) of the weekday in the organization's invoice preferences. Errors: `invalid_invoice_status` (not accepted), `invoice_doesnt_belong_to_an_organization`, `invoice_preferences_not_found`, `payment_day_not_set`",
      }),
    paymentDueAt: z.string().max(40).optional().openapi({
      format: "date",
      description:
        "When payment is due, in Mexico timezone. Every invoice must be 'accepted' (else 400 `invalid_invoice_status`)",
    }),
    isRead: z.boolean().optional(),
  })
  .strict()
  .refine((v) => [v.archive, v.paymentDay, v.paymentDueAt, v.isRead].some((x) => x !== undefined), {
    message: "Send archive, paymentDay, paymentDueAt or isRead",
  })
  .openapi("UpdateInvoices");

export const updateRoute = authedRoute({
  method: "patch",
  path: "/v1/invoices",
  tags: ["Invoices"],
  summary: "Update invoices",
  description: `Needs \`invoices.write\`. ${SELECTION}`,
  request: { query: tatemFilterQuery, body: jsonBody(UpdateInvoices) },
  responses: { 200: jsonContent(SuccessResponse) },
});

const UpdateStatuses = z
  .object({
    invoiceIds: InvoiceIds,
    status: z.enum(INVOICE_STATUSES),
    invoicePaymentId: Uuid.optional().openapi({
      description:
        'Required when status is "completed": a valid payment complement applied to every invoice (else 400 `invoice_payment_not_linked`)',
    }),
  })
  .strict()
  .openapi("UpdateInvoiceStatuses");

export const statusRoute = authedRoute({
  method: "patch",
  path: "/v1/invoices/status",
  tags: ["Invoices"],
  summary: "Update multiple invoice statuses",
  description: [
    "Needs `invoices.status` in one side of each invoice; when both sides are organizations here they must be",
    "linked as provider and client (else 403 `not_associated`). Moves follow the invoice lifecycle",
    "(processing → sent|draft|not_valid, draft → sent, sent → accepted|rejected, accepted → paid|rejected,",
    "paid → completed|accepted, rejected → accepted|sent); any other → 400 `invalid_status_transition` listing",
    "each {id, from, to}. An invoice already in the status is left as is. Accepting derives paymentDueAt from",
    `the provider link's credit terms and the receiver's invoice preferences. ${SELECTION}`,
  ].join(" "),
  request: { query: tatemFilterQuery, body: jsonBody(UpdateStatuses) },
  responses: {
    200: jsonContent(
      z.object({ status: z.array(z.object({ id: Uuid, status: z.enum(INVOICE_STATUSES) })) }),
      "Each invoice's status after the change",
    ),
  },
});

export function register(app: App) {
  app.openapi(statusRoute, async (c) => {
    const { invoiceIds: ids, ...request } = c.req.valid("json");
    const status = await updateInvoiceStatuses(
      actorContext(c),
      { invoiceIds: ids, filters: c.req.valid("query") },
      request,
    );
    return c.json({ status }, 200);
  });
  app.openapi(updateRoute, async (c) => {
    const { invoiceIds: ids, ...patch } = c.req.valid("json");
    await updateInvoices(actorContext(c), { invoiceIds: ids, filters: c.req.valid("query") }, patch);
    return c.json({ success: true as const }, 200);
  });
}
