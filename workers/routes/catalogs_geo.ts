// GET /v1/catalogs/geo?postal_code=: SAT c_CodigoPostal with its state, municipality and locality
// names (shared/catalogs/postal-codes.ts), public and cached; an unknown code → 404.
import { z } from "@hono/zod-openapi";
import { postalCode } from "../../shared/catalogs";
import { notFound } from "../../shared/errors";
import type { App } from "../app";
import { publicRoute } from "../openapi/route";
import { catalogResponse } from "../services/catalogs";
import { serviceContext } from "../services/context";
import { catalogResponses } from "./catalogs";

const Named = z.object({ code: z.string(), name: z.string() });

const Geo = z
  .object({
    postalCode: z.string().openapi({ example: "06600" }),
    state: Named.openapi({ example: { code: "CMX", name: "Ciudad de México" } }),
    municipality: Named.nullable().openapi({
      description: "Null when the SAT catalog gives none for the code (about two thirds of codes)",
      example: { code: "015", name: "Cuauhtémoc" },
    }),
    locality: Named.nullable(),
    borderZoneStimulus: z.number().int().openapi({
      description:
        "SAT estímulo franja fronteriza: 0 none, 1 northern border region, 2 southern border region",
    }),
    timeZone: z.string().openapi({ example: "Tiempo del Centro" }),
    validFrom: z.string().nullable(),
    validTo: z.string().nullable(),
  })
  .openapi("CatalogGeo");

export const route = publicRoute({
  method: "get",
  path: "/v1/catalogs/geo",
  tags: ["Catalogs"],
  summary: "Get geo data",
  description:
    "The postal code's state, municipality and locality from SAT c_CodigoPostal. 404 `postal_code_not_found` when the code is not in the catalog. Public; versioned by the catalog release: send the ETag back in If-None-Match to get 304.",
  request: {
    query: z.object({
      postal_code: z
        .string()
        .regex(/^\d{5}$/, "A Mexican postal code has 5 digits")
        .openapi({ example: "06600" }),
    }),
  },
  responses: catalogResponses(z.object({ success: z.literal(true), data: z.array(Geo) })),
});

export function register(app: App) {
  app.openapi(route, (c) => {
    const { postal_code } = c.req.valid("query");
    return catalogResponse(serviceContext(c), c.req.raw, "geo", { postal_code }, () => {
      const found = postalCode(postal_code);
      if (!found) throw notFound("Postal code", "postal_code_not_found");
      return {
        success: true,
        data: [
          {
            postalCode: found.codigoPostal,
            state: { code: found.estado.clave, name: found.estado.texto },
            municipality: found.municipio
              ? { code: found.municipio.clave, name: found.municipio.texto }
              : null,
            locality: found.localidad ? { code: found.localidad.clave, name: found.localidad.texto } : null,
            borderZoneStimulus: found.estimuloFranjaFronteriza,
            timeZone: found.husoHorario,
            validFrom: found.vigenciaDesde ?? null,
            validTo: found.vigenciaHasta ?? null,
          },
        ],
      };
    });
  });
}
