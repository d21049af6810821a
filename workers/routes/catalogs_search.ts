// GET /v1/catalogs/product-keys and /v1/catalogs/unit-keys: q= search (≥ 3 characters) over SAT
// c_ClaveProdServ and c_ClaveUnidad, in process (shared/catalogs/text-search.ts), public and cached.
import { z } from "@hono/zod-openapi";
import { searchProductKeys, searchUnitKeys } from "../../shared/catalogs";
import { pageOffset, pageQuery } from "../../shared/pagination";
import type { App } from "../app";
import { publicRoute } from "../openapi/route";
import { catalogResponse } from "../services/catalogs";
import { serviceContext } from "../services/context";
import { catalogResponses } from "./catalogs";

const SearchQuery = pageQuery().extend({
  q: z.string().trim().min(3).max(100).openapi({
    description: "At least 3 characters: a key prefix or words of the description",
    example: "pieza",
  }),
});

const RANKING =
  "Case- and accent-insensitive; every word must match. Best first: the exact key, keys starting with q, descriptions starting with q, descriptions with a word starting with q, other description matches, then matches in similar words only. `page`/`limit` walk the ranked list (a bare array, as the seed returns). Public; versioned by the catalog release: send the ETag back in If-None-Match to get 304.";

const nullable = <T>(v: T | undefined) => v ?? null;

const ProductKey = z
  .object({
    code: z.string().openapi({ example: "84111506" }),
    description: z.string().openapi({ example: "Servicios de facturación" }),
    similarWords: z.string().nullable(),
    complement: z.string().nullable().openapi({ description: "Complement the SAT requires with this key" }),
    ivaTransferred: z.boolean(),
    iepsTransferred: z.boolean(),
    borderZoneStimulus: z.boolean(),
    validFrom: z.string().nullable(),
    validTo: z.string().nullable(),
  })
  .openapi("CatalogProductKey");

const UnitKey = z
  .object({
    code: z.string().openapi({ example: "H87" }),
    description: z.string().openapi({ example: "Pieza" }),
    symbol: z.string().nullable(),
    validFrom: z.string().nullable(),
    validTo: z.string().nullable(),
  })
  .openapi("CatalogUnitKey");

export const productKeysRoute = publicRoute({
  method: "get",
  path: "/v1/catalogs/product-keys",
  tags: ["Catalogs"],
  summary: "Get product keys",
  description: `Search SAT c_ClaveProdServ (52,514 keys). ${RANKING}`,
  request: { query: SearchQuery },
  responses: catalogResponses(z.array(ProductKey)),
});

export const unitKeysRoute = publicRoute({
  method: "get",
  path: "/v1/catalogs/unit-keys",
  tags: ["Catalogs"],
  summary: "Get unit keys",
  description: `Search SAT c_ClaveUnidad (also by symbol). ${RANKING}`,
  request: { query: SearchQuery },
  responses: catalogResponses(z.array(UnitKey)),
});

export function register(app: App) {
  app.openapi(productKeysRoute, (c) => {
    const query = c.req.valid("query");
    return catalogResponse(serviceContext(c), c.req.raw, "product-keys", query, () =>
      searchProductKeys(query.q, pageOffset(query) + query.limit)
        .slice(pageOffset(query))
        .map((e) => ({
          code: e.clave,
          description: e.texto,
          similarWords: nullable(e.palabrasSimilares),
          complement: nullable(e.complemento),
          ivaTransferred: e.ivaTrasladado,
          iepsTransferred: e.iepsTrasladado,
          borderZoneStimulus: e.estimuloFranjaFronteriza,
          validFrom: nullable(e.vigenciaDesde),
          validTo: nullable(e.vigenciaHasta),
        })),
    );
  });

  app.openapi(unitKeysRoute, (c) => {
    const query = c.req.valid("query");
    return catalogResponse(serviceContext(c), c.req.raw, "unit-keys", query, () =>
      searchUnitKeys(query.q, pageOffset(query) + query.limit)
        .slice(pageOffset(query))
        .map((e) => ({
          code: e.clave,
          description: e.texto,
          symbol: nullable(e.simbolo),
          validFrom: nullable(e.vigenciaDesde),
          validTo: nullable(e.vigenciaHasta),
        })),
    );
  });
}
