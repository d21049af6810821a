// GET /v1/balance and POST /v1/balance/top-ups: the organization's prepaid balance (seed #173, #174).
import { z } from "@hono/zod-openapi";
import type { App } from "../app";
import { authedRoute } from "../openapi/route";
import { IsoDate, jsonBody, jsonContent } from "../openapi/schemas";
import { getBalance, topUp } from "../services/balance";
import { actorContext } from "../services/context";

const Query = z.object({
  organization_id: z.string().min(1).openapi({ format: "uuid" }),
});

const Balance = z
  .object({
    balanceAmount: z.number().openapi({ description: "MXN", example: 250.5 }),
    lastTransactionAt: IsoDate.nullable(),
  })
  .openapi("Balance");

const present = (b: { balanceAmount: string; lastTransactionAt: string | null }) => ({
  balanceAmount: Number(b.balanceAmount),
  lastTransactionAt: b.lastTransactionAt,
});

export const getRoute = authedRoute({
  method: "get",
  path: "/v1/balance",
  tags: ["Balance"],
  summary: "Get balance",
  description: "The organization's prepaid balance in MXN (stamps are charged to it) and its last movement.",
  request: { query: Query },
  responses: { 200: jsonContent(Balance) },
});

const TopUpBody = z
  .object({
    amount: z
      .union([z.number().positive(), z.string().regex(/^\d{1,13}(\.\d{1,2})?$/)])
      .openapi({ description: "MXN, at least 100, at most 2 decimals", example: 500 }),
  })
  .openapi("BalanceTopUp");

export const topUpRoute = authedRoute(
  {
    method: "post",
    path: "/v1/balance/top-ups",
    tags: ["Balance"],
    summary: "Add balance to organization",
    description: [
      "Adds `amount` MXN (at least 100, 400 `amount_below_minimum`) to the organization's balance.",
      "Without a payment provider (no STRIPE_SECRET_KEY) the amount is credited directly, without charging",
      "anyone (`paymentProvider: null` in the response), so only members with balance management may do it.",
      "With Stripe configured this answers 409 `checkout_required`: top-ups go through",
      "POST /v1/billing/checkout-sessions/payment and are credited when Stripe reports them paid.",
      "Send an Idempotency-Key: a retry with it never credits twice.",
    ].join(" "),
    request: { query: Query, body: jsonBody(TopUpBody) },
    responses: {
      201: jsonContent(
        z.object({
          success: z.literal(true),
          message: z.string(),
          paymentProvider: z.null(),
          topUp: z.object({ id: z.string(), amount: z.number(), createdAt: IsoDate }),
          balance: Balance,
        }),
        "Credited",
      ),
    },
  },
  { idempotent: true },
);

export function register(app: App) {
  app.openapi(getRoute, async (c) => {
    const balance = await getBalance(actorContext(c), c.req.valid("query").organization_id);
    return c.json(present(balance), 200);
  });

  app.openapi(topUpRoute, async (c) => {
    const { amount } = c.req.valid("json");
    const { entry, balance } = await topUp(
      actorContext(c),
      c.req.valid("query").organization_id,
      String(amount),
      c.req.header("idempotency-key"),
    );
    return c.json(
      {
        success: true as const,
        message: "Credited directly: no payment provider is configured",
        paymentProvider: null,
        topUp: { id: entry.id, amount: Number(entry.amount), createdAt: entry.createdAt },
        balance: present(balance),
      },
      201,
    );
  });
}
