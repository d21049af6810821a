// The values used on one side's invoices, with how many invoices use each (seed #161–165): product
// keys, payment forms, payment methods, CFDI uses and the counterparty's entity type. The seed shows
// them without authorization; here they need a token and a membership of the side, like the listing.
import { z } from "@hono/zod-openapi";
import type { DistinctList } from "../../db/invoice-queries";
import { formasPago, metodosPago, usosCfdi } from "../../shared/catalogs";
import { tatemSideQuery } from "../../shared/invoices/filters/tatem";
import type { App } from "../app";
import { authedRoute } from "../openapi/route";
import { jsonContent } from "../openapi/schemas";
import { actorContext } from "../services/context";
import { invoiceValues } from "../services/invoice-listings";

const count = z.number().int().openapi({ description: "Invoices with this value" });
const description = z.string().nullable().openapi({ description: "SAT catalog text" });
const text = (key: string, catalog?: { get(clave: string): { texto: string } | undefined }) => ({
  schema: z.object({ [key]: z.string(), ...(catalog ? { description } : {}), count }),
  present: (value: string | boolean, n: number) => ({
    [key]: value as string,
    ...(catalog ? { description: catalog.get(value as string)?.texto ?? null } : {}),
    count: n,
  }),
});

const LISTS: Array<{
  list: DistinctList;
  path: string;
  summary: string;
  schema: z.ZodType;
  present: (value: string | boolean, n: number) => Record<string, unknown>;
}> = [
  {
    list: "productKeys",
    path: "product-keys",
    summary: "Get product keys list from invoices",
    ...text("itemKey"),
  },
  {
    list: "paymentForms",
    path: "payment-forms",
    summary: "Get payment forms list from invoices",
    ...text("paymentForm", formasPago),
  },
  {
    list: "paymentMethods",
    path: "payment-methods",
    summary: "Get payment methods list from invoices",
    ...text("paymentMethod", metodosPago),
  },
  {
    list: "cfdiUses",
    path: "cfdi-uses",
    summary: "Get CFDI uses list from invoices",
    ...text("cfdiUse", usosCfdi),
  },
  {
    list: "entityTypes",
    path: "entity-types",
    summary: "Get entity types list from invoices",
    schema: z.object({ isEntity: z.boolean(), description: z.string(), count }),
    present: (value, n) => ({
      isEntity: value,
      description: value ? "Persona moral" : "Persona física",
      count: n,
    }),
  },
];

export function register(app: App) {
  for (const { list, path, summary, schema, present } of LISTS) {
    const route = authedRoute({
      method: "get",
      path: `/v1/invoices/${path}`,
      tags: ["Invoices"],
      summary,
      description:
        "Over the invoices of the side named by exactly one of `organization_id` / `provider_id` (else 400 `side_required`), most used first. Entity types are the counterparty's (the issuer's for a receiver, the recipient's for an issuer).",
      request: { query: tatemSideQuery },
      responses: { 200: jsonContent(z.array(schema)) },
    });
    app.openapi(route, async (c) => {
      const values = await invoiceValues(actorContext(c), c.req.valid("query"), list);
      return c.json(
        values.map((v) => present(v.value, v.count)),
        200,
      );
    });
  }
}
