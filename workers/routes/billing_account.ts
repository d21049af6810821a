// GET and PUT /v1/billing/account: the fiscal data of Timbre's own invoices to the organization (seed #82, #83).
import { z } from "@hono/zod-openapi";
import { RFC_PATTERN } from "../../shared/rfc";
import type { App } from "../app";
import { authedRoute } from "../openapi/route";
import { IsoDate, jsonBody, jsonContent } from "../openapi/schemas";
import { getBillingAccount, putBillingAccount } from "../services/billing";
import { actorContext } from "../services/context";

const Query = z.object({ organization_id: z.string().min(1).openapi({ format: "uuid" }) });

const BillingAccount = z
  .object({
    name: z.string().openapi({ example: "Razón Social" }),
    commercialName: z.string().nullable(),
    taxIdentifier: z.string().nullable().openapi({ example: "XAXX010101000" }),
    taxRegime: z.string().nullable().openapi({ example: "601" }),
    postalCode: z.string().nullable().openapi({ example: "12345" }),
    cfdiUse: z.string().nullable().openapi({ example: "G03" }),
    hasPaymentCustomer: z.boolean().openapi({ description: "Whether a Stripe customer exists for it" }),
    updatedAt: IsoDate,
  })
  .openapi("BillingAccount");

const Response = z.object({ success: z.literal(true), billingAccount: BillingAccount.nullable() });

const Body = z
  .object({
    name: z.string().trim().min(1).max(300),
    commercialName: z.string().trim().min(1).max(300),
    taxIdentifier: z
      .string()
      .trim()
      .toUpperCase()
      .regex(RFC_PATTERN, "an RFC")
      .openapi({ example: "XAXX010101000" }),
    taxRegime: z
      .string()
      .regex(/^\d{3}$/)
      .openapi({ example: "601" }),
    postalCode: z
      .string()
      .regex(/^\d{5}$/)
      .openapi({ example: "12345" }),
    cfdiUse: z
      .string()
      .regex(/^[A-Z]\d{2}$|^CP01$|^CN01$/)
      .openapi({ example: "G03" }),
  })
  .openapi("BillingAccountInput");

export const getRoute = authedRoute({
  method: "get",
  path: "/v1/billing/account",
  tags: ["Billing"],
  summary: "Get billing account",
  description:
    "The organization's fiscal data for Timbre's invoices to it; `billingAccount: null` until given.",
  request: { query: Query },
  responses: { 200: jsonContent(Response) },
});

export const putRoute = authedRoute({
  method: "put",
  path: "/v1/billing/account",
  tags: ["Billing"],
  summary: "Create or update billing account",
  description:
    "Stores the fiscal data; when the organization already has a Stripe customer, its name and postal code are updated there too.",
  request: { query: Query, body: jsonBody(Body) },
  responses: { 200: jsonContent(Response) },
});

export function register(app: App) {
  app.openapi(getRoute, async (c) => {
    const billingAccount = await getBillingAccount(actorContext(c), c.req.valid("query").organization_id);
    return c.json({ success: true as const, billingAccount }, 200);
  });
  app.openapi(putRoute, async (c) => {
    const billingAccount = await putBillingAccount(
      actorContext(c),
      c.req.valid("query").organization_id,
      c.req.valid("json"),
    );
    return c.json({ success: true as const, billingAccount }, 200);
  });
}
