// GET /v1/catalogs/efos?tax_identifier=: whether RFCs are on the SAT's article 69-B list (EFOS), read
// through the `EfosList` interface (shared/catalogs/efos.ts); public and cached like every catalog.
import { z } from "@hono/zod-openapi";
import { shippedEfosList } from "../../shared/catalogs/efos";
import { isValidRfc, normalizeRfc } from "../../shared/rfc";
import type { App } from "../app";
import { publicRoute } from "../openapi/route";
import { catalogResponse } from "../services/catalogs";
import { serviceContext } from "../services/context";
import { catalogResponses } from "./catalogs";

const MAX_RFCS = 100;

const EfosResult = z
  .object({
    taxIdentifier: z.string().openapi({ example: "EKU9003173C9" }),
    listed: z.boolean(),
    name: z.string().nullable().openapi({ description: "Name on the list, when listed" }),
    situation: z.string().nullable().openapi({
      description:
        "SAT's situación: Presunto, Definitivo, Desvirtuado or Sentencia Favorable; null when not listed",
    }),
  })
  .openapi("EfosResult");

export const route = publicRoute({
  method: "get",
  path: "/v1/catalogs/efos",
  tags: ["Catalogs"],
  summary: "Check if a tax identifier is in the EFOS list",
  description: `Looks each RFC up in the SAT's article 69-B list as of \`listAsOf\` (null when no list is loaded). Up to ${MAX_RFCS} RFCs, comma separated; an RFC that is not well formed → 400 \`validation_failed\`. Public; versioned by the catalog release: send the ETag back in If-None-Match to get 304.`,
  request: {
    query: z.object({
      tax_identifier: z
        .string()
        .transform((v) => v.split(",").map(normalizeRfc).filter(Boolean))
        .refine((list) => list.length > 0 && list.length <= MAX_RFCS, {
          message: `Send 1 to ${MAX_RFCS} RFCs, comma separated`,
        })
        .refine((list) => list.every(isValidRfc), { message: "Every RFC must be well formed" })
        .openapi({ type: "string", example: "EKU9003173C9,XAXX010101000" }),
      organization_id: z.uuid().optional().openapi({
        description: "Accepted as the seed sends it; the answer does not depend on it (the list is public)",
      }),
    }),
  },
  responses: catalogResponses(
    z.object({
      success: z.literal(true),
      listAsOf: z.string().nullable().openapi({ description: "Update date of the loaded list (ISO date)" }),
      data: z.array(EfosResult),
    }),
  ),
});

export function register(app: App) {
  app.openapi(route, (c) => {
    const rfcs = c.req.valid("query").tax_identifier;
    return catalogResponse(serviceContext(c), c.req.raw, "efos", { tax_identifier: rfcs.join(",") }, () => ({
      success: true,
      listAsOf: shippedEfosList.asOf,
      data: rfcs.map((rfc) => {
        const entry = shippedEfosList.find(rfc);
        return {
          taxIdentifier: rfc,
          listed: entry !== undefined,
          name: entry?.nombre ?? null,
          situation: entry?.situacion ?? null,
        };
      }),
    }));
  });
}
