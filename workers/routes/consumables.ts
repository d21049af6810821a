// GET /v1/consumables (the period's allowance and usage, seed #126) and GET /v1/consumables/consumptions
// (the settled consumptions, seed #127).
import { z } from "@hono/zod-openapi";
import { DateText } from "../../shared/invoices/filters/values";
import { PERIOD } from "../../shared/ledger/period";
import { pageEnvelope, pageQuery } from "../../shared/pagination";
import type { App } from "../app";
import { authedRoute } from "../openapi/route";
import { IsoDate, jsonContent, Uuid } from "../openapi/schemas";
import {
  CONSUMPTION_SORTS,
  listConsumables,
  listConsumptions,
  presentConsumption,
} from "../services/consumables";
import { actorContext } from "../services/context";

const OrganizationId = Uuid.openapi({ description: "The organization whose consumables they are" });

const ConsumablesQuery = z
  .object({
    organization_id: OrganizationId,
    period: z
      .string()
      .regex(PERIOD, "Expected a month as YYYY-MM")
      .optional()
      .openapi({ description: "A Mexico City month; the current one when absent", example: "2026-03" }),
  })
  .strict();

const Mxn = (description: string) => z.number().openapi({ description: `MXN: ${description}` });

const ConsumableSchema = z
  .object({
    consumableKey: z.string().openapi({ example: "stamp" }),
    period: z.string().openapi({ example: "2026-03" }),
    includedUnits: z.number().int().openapi({ description: "Units the plan includes in the period" }),
    usedUnits: z
      .number()
      .int()
      .openapi({ description: "Units consumed in the period (included or charged)" }),
    remainingUnits: z.number().int().openapi({ description: "Included units not used or held yet" }),
    heldUnits: z.number().int().openapi({ description: "Units reserved by operations in progress" }),
    chargedUnits: z.number().int().openapi({ description: "Used units charged to the balance" }),
    unitPrice: Mxn("price of each unit beyond the included ones"),
    chargedAmount: Mxn("charged to the balance in the period"),
  })
  .openapi("Consumable");

export const consumablesRoute = authedRoute({
  method: "get",
  path: "/v1/consumables",
  tags: ["Consumables"],
  summary: "Get consumables",
  description:
    "Per consumable (a stamp is one), the units the plan includes in the period, how many were used and remain, and the unit price charged to the balance once the included units are used (balance.read).",
  request: { query: ConsumablesQuery },
  responses: { 200: jsonContent(z.array(ConsumableSchema)) },
});

const ConsumptionsQuery = pageQuery()
  .extend({
    organization_id: OrganizationId,
    // The seed allows any limit from 1 to 100 here, not the fixed set of the other listings.
    limit: z.coerce.number().int().min(1).max(100).default(30),
    sort: z.enum(Object.keys(CONSUMPTION_SORTS) as [keyof typeof CONSUMPTION_SORTS]).default("createdAt"),
    order: z.enum(["asc", "desc"]).default("desc"),
    created_at_from: DateText.optional().openapi({
      type: "string",
      description: "Date or date-time (Mexico City when no offset), inclusive",
    }),
    created_at_to: DateText.optional().openapi({
      type: "string",
      description: "Inclusive; a bare date means the whole day",
    }),
    consumable_key: z.string().max(64).optional().openapi({ description: "Case-insensitive partial match" }),
  })
  .strict();

const ConsumptionSchema = z
  .object({
    id: Uuid,
    consumableKey: z.string().openapi({ example: "stamp" }),
    count: z.number().int().openapi({ description: "Units consumed" }),
    unitPrice: Mxn("price per charged unit"),
    createdAt: IsoDate,
    period: z.string(),
    includedUnits: z.number().int().openapi({ description: "Units covered by the plan, not charged" }),
    chargedUnits: z.number().int(),
    amount: Mxn("charged to the balance"),
    invoiceId: Uuid.nullable().openapi({ description: "The stamped invoice it paid for" }),
    ledgerEntryId: Uuid,
  })
  .openapi("Consumption");

export const consumptionsRoute = authedRoute({
  method: "get",
  path: "/v1/consumables/consumptions",
  tags: ["Consumables"],
  summary: "Get consumable consumptions",
  description:
    "Every settled consumption of the organization (balance.read): one per stamped invoice, with the units the plan covered and what the balance paid.",
  request: { query: ConsumptionsQuery },
  responses: {
    200: jsonContent(
      z.object({
        data: z.array(ConsumptionSchema),
        totalPages: z.number().int(),
        totalCount: z.number().int(),
      }),
    ),
  },
});

export function register(app: App) {
  app.openapi(consumablesRoute, async (c) => {
    const q = c.req.valid("query");
    const rows = await listConsumables(actorContext(c), q.organization_id, q.period);
    return c.json(
      rows.map((r) => ({
        consumableKey: r.consumableKey,
        period: r.period,
        includedUnits: r.includedUnits,
        usedUnits: r.usedUnits,
        remainingUnits: r.remainingIncludedUnits,
        heldUnits: r.heldUnits,
        chargedUnits: r.chargedUnits,
        unitPrice: Number(r.unitPrice),
        chargedAmount: Number(r.chargedAmount),
      })),
      200,
    );
  });

  app.openapi(consumptionsRoute, async (c) => {
    const q = c.req.valid("query");
    const page = { page: q.page, limit: q.limit };
    const { rows, totalCount } = await listConsumptions(actorContext(c), q.organization_id, {
      consumableKey: q.consumable_key,
      createdAtFrom: q.created_at_from,
      createdAtTo: q.created_at_to,
      sort: q.sort,
      order: q.order,
      ...page,
    });
    return c.json(pageEnvelope(rows.map(presentConsumption), totalCount, page), 200);
  });
}
