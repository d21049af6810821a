// GET /v1/taxpayers/{rfc}/invoices: seed 004's (Syntage) hydra collection of a taxpayer's invoices,
// issued and received, with its filters and keyset cursor pagination (id[lt] next, id[gt] previous).
import { z } from "@hono/zod-openapi";
import { SYNTAGE_PARAMETERS, syntageQuery } from "../../shared/invoices/filters/syntage";
import type { App } from "../app";
import { authedRoute } from "../openapi/route";
import { jsonContent } from "../openapi/schemas";
import { actorContext } from "../services/context";
import { presentSyntageInvoice } from "../services/invoice-dialects";
import { listTaxpayerInvoices } from "../services/invoice-listings";

const RfcParam = z.object({
  rfc: z
    .string()
    .max(20)
    .openapi({
      param: { name: "rfc", in: "path" },
      example: "EKU9003173C9",
      description: "Your organization's RFC",
    }),
});

const basePath = (rfc: string) => `/v1/taxpayers/${encodeURIComponent(rfc)}/invoices`;

/** The collection's search template: every parameter, mapped to the property it filters. */
const search = (rfc: string) => ({
  "@type": "hydra:IriTemplate",
  "hydra:template": `${basePath(rfc)}{?${SYNTAGE_PARAMETERS.join(",")}}`,
  "hydra:variableRepresentation": "BasicRepresentation",
  "hydra:mapping": SYNTAGE_PARAMETERS.map((variable) => ({
    "@type": "IriTemplateMapping",
    variable,
    property: variable.replace(/^(order|exists)\[(.+)\]$/, "$2").replace(/\[[^\]]+\]$/, ""),
    required: false,
  })),
});

const Collection = z
  .object({
    "@context": z.literal("/contexts/Invoice"),
    "@id": z.string(),
    "@type": z.literal("hydra:Collection"),
    "hydra:member": z.array(z.record(z.string(), z.unknown())),
    "hydra:view": z.object({
      "@id": z.string(),
      "@type": z.literal("hydra:PartialCollectionView"),
      "hydra:next": z.string().optional(),
      "hydra:previous": z.string().optional(),
    }),
    "hydra:search": z.record(z.string(), z.unknown()),
  })
  .openapi("TaxpayerInvoiceCollection");

export const route = authedRoute({
  method: "get",
  path: "/v1/taxpayers/{rfc}/invoices",
  tags: ["Invoices"],
  summary: "List a taxpayer's invoices (Syntage)",
  description: [
    "`rfc` is the RFC of an organization you belong to (another RFC → 404). Both sides unless",
    "`isIssuer`/`isReceiver` say otherwise. Exact, partial (case-insensitive), date",
    "(`[before]` ≤, `[strictly_before]` <, `[after]` ≥, `[strictly_after]` >) and amount",
    "(`[between]=min..max`, `[gt]`, `[gte]`, `[lt]`, `[lte]`) filters, `exists[paymentMethod]`,",
    "`order[…]` (earlier parameters sort first; default newest first). Pages: `itemsPerPage` 1–1000",
    "(default 20); `hydra:next` carries `id[lt]=<last id>`, `hydra:previous` `id[gt]=<first id>`: the page",
    "continues after/before that invoice in the listing's order (a cursor that is not in the listing →",
    "400 `invalid_cursor`; both cursors → 400 `conflicting_cursors`).",
  ].join(" "),
  request: { params: RfcParam, query: syntageQuery },
  responses: { 200: jsonContent(Collection) },
});

export function register(app: App) {
  app.openapi(route, async (c) => {
    const { rfc } = c.req.valid("param");
    const raw = c.req.query();
    const page = await listTaxpayerInvoices(actorContext(c), rfc, c.req.valid("query"), Object.keys(raw));
    const taxpayerIds = new Set(page.organizations.map((o) => o.id));
    const url = new URL(c.req.url);
    const link = (cursor: "id[lt]" | "id[gt]", id: string) => {
      const params = new URLSearchParams(url.search);
      params.delete("id[lt]");
      params.delete("id[gt]");
      params.set(cursor, id);
      return `${basePath(rfc)}?${params}`;
    };
    const first = page.rows[0];
    const last = page.rows.at(-1);
    return c.json(
      {
        "@context": "/contexts/Invoice" as const,
        "@id": basePath(rfc),
        "@type": "hydra:Collection" as const,
        "hydra:member": page.rows.map((row) => presentSyntageInvoice(row, taxpayerIds)),
        "hydra:view": {
          "@id": `${basePath(rfc)}${url.search}`,
          "@type": "hydra:PartialCollectionView" as const,
          ...(page.hasNext && last ? { "hydra:next": link("id[lt]", last.id) } : {}),
          ...(page.hasPrevious && first ? { "hydra:previous": link("id[gt]", first.id) } : {}),
        },
        "hydra:search": search(rfc),
      },
      200,
    );
  });
}
