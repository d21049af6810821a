// GET /v1/billing/invoices: Stripe's invoices to the organization (seed #90).
import { z } from "@hono/zod-openapi";
import type { App } from "../app";
import { authedRoute } from "../openapi/route";
import { IsoDate, jsonContent, QueryBoolean } from "../openapi/schemas";
import { listBillingInvoices } from "../services/billing";
import { actorContext } from "../services/context";

const BillingInvoice = z
  .object({
    id: z.string().openapi({ example: "in_1a2b3c" }),
    number: z.string().nullable(),
    status: z.string().nullable().openapi({ example: "paid" }),
    currency: z.string(),
    total: z.number().openapi({ description: "Major units" }),
    amountDue: z.number(),
    amountPaid: z.number(),
    isSubscription: z.boolean(),
    hostedInvoiceUrl: z.string().nullable(),
    invoicePdf: z.string().nullable(),
    createdAt: IsoDate,
  })
  .openapi("BillingInvoice");

export const listRoute = authedRoute({
  method: "get",
  path: "/v1/billing/invoices",
  tags: ["Billing"],
  summary: "Get billing invoices",
  description:
    "Newest first; none before the organization's first checkout. Without Stripe configured (STRIPE_SECRET_KEY) the answer is 503 `billing_not_configured`.",
  request: {
    query: z.object({
      organization_id: z.string().min(1).openapi({ format: "uuid" }),
      created_at_from: z.iso.datetime({ offset: true }).optional(),
      created_at_to: z.iso.datetime({ offset: true }).optional(),
      is_subscription: QueryBoolean.optional(),
      page: z.coerce.number().int().min(1).max(1000).default(1),
      limit: z.coerce.number().int().min(1).max(100).default(30),
    }),
  },
  responses: { 200: jsonContent(z.object({ success: z.literal(true), invoices: z.array(BillingInvoice) })) },
});

export function register(app: App) {
  app.openapi(listRoute, async (c) => {
    const q = c.req.valid("query");
    const invoices = await listBillingInvoices(actorContext(c), q.organization_id, {
      createdAtFrom: q.created_at_from,
      createdAtTo: q.created_at_to,
      isSubscription: q.is_subscription,
      page: q.page,
      limit: q.limit,
    });
    return c.json({ success: true as const, invoices }, 200);
  });
}
