// GET /v1/invoices (seed #148) and GET /v1/invoices/balance (#152): Tatem's listing of one side's
// invoices with INV_FILTERS and INV_PAGING, its aggregates, and the filtered balance.
import { z } from "@hono/zod-openapi";
import { tatemFilterQuery, tatemListQuery } from "../../shared/invoices/filters/tatem";
import { pageEnvelope } from "../../shared/pagination";
import type { App } from "../app";
import { authedRoute } from "../openapi/route";
import { jsonContent } from "../openapi/schemas";
import { actorContext } from "../services/context";
import { invoicesBalance, listInvoices } from "../services/invoice-listings";
import { amount, presentInvoiceSummary } from "../services/invoice-presenter";
import { InvoiceSchema } from "./invoices_get";

const RULES = [
  "Give exactly one of `organization_id` (invoices your organization received) or `provider_id` (invoices",
  "it issued), else 400 `side_required`; another organization's id → 404. Comma lists mean any of;",
  "`*_period` or `*_current_period=true` with a range on the same date → 400 `conflicting_date_filters`;",
  "dates without offset are Mexico City time, and a bare date as `*_to` covers that day.",
].join(" ");

export const listRoute = authedRoute({
  method: "get",
  path: "/v1/invoices",
  tags: ["Invoices"],
  summary: "Get invoices list",
  description: [
    RULES,
    "`sort`/`order` are comma lists of equal length (else 400 `mismatched_sort_order_length`).",
    "Aggregates cover every invoice the filters select: `unreadCount` those not read; money counts only",
    "sent, accepted, paid and completed invoices that are not cancelled (never not_valid), in MXN:",
    "`amountDue` = Σ dueAmount, `amountPastDue` = Σ dueAmount with paymentDueAt before now,",
    "`amountPaid` = Σ paidAmount.",
  ].join(" "),
  request: { query: tatemListQuery },
  responses: {
    200: jsonContent(
      z.object({
        data: z.array(InvoiceSchema),
        totalPages: z.number().int(),
        totalCount: z.number().int(),
        unreadCount: z.number().int(),
        amountDue: z.number(),
        amountPastDue: z.number(),
        amountPaid: z.number(),
      }),
    ),
  },
});

export const balanceRoute = authedRoute({
  method: "get",
  path: "/v1/invoices/balance",
  tags: ["Invoices"],
  summary: "Get invoices balance",
  description: `${RULES} Σ grossPriceAmount in MXN of the selected sent, accepted, paid and completed invoices that are not cancelled.`,
  request: { query: tatemFilterQuery },
  responses: { 200: jsonContent(z.object({ grossPriceAmount: z.number() })) },
});

export function register(app: App) {
  app.openapi(listRoute, async (c) => {
    const { rows, aggregates, page } = await listInvoices(actorContext(c), c.req.valid("query"));
    return c.json(
      {
        ...pageEnvelope(rows.map(presentInvoiceSummary), aggregates.totalCount, page),
        unreadCount: aggregates.unreadCount,
        amountDue: amount(aggregates.amountDue)!,
        amountPastDue: amount(aggregates.amountPastDue)!,
        amountPaid: amount(aggregates.amountPaid)!,
      },
      200,
    );
  });
  app.openapi(balanceRoute, async (c) => {
    const gross = await invoicesBalance(actorContext(c), c.req.valid("query"));
    return c.json({ grossPriceAmount: amount(gross)! }, 200);
  });
}
