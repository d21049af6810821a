// GET /v1/api/invoices: seed 002's (Contafy) listing of the invoices of the caller's profiles
// (organizations), issued and received, newest fecha first, with estadoPago and validacion per row.
import { z } from "@hono/zod-openapi";
import { contafyQuery } from "../../shared/invoices/filters/contafy";
import type { App } from "../app";
import { authedRoute } from "../openapi/route";
import { jsonContent } from "../openapi/schemas";
import { actorContext } from "../services/context";
import { presentContafyInvoices } from "../services/invoice-dialects";
import { listProfileInvoices } from "../services/invoice-listings";

const ContafyInvoice = z
  .object({
    id: z.string(),
    profile_id: z.string(),
    uuid: z.string().nullable(),
    fecha: z.string().nullable(),
    total: z.number(),
    subtotal: z.number(),
    tipo: z.enum(["PUE", "PPD", "COMPLEMENTO_PAGO"]).nullable(),
    estadoPago: z.object({
      estado: z.enum(["PAGADO", "PAGO_PARCIAL", "NO_PAGADO"]),
      totalFactura: z.number(),
      totalPagado: z.number(),
      saldoPendiente: z.number(),
      porcentajePagado: z.number(),
      completamentePagado: z.boolean(),
      tieneComplementos: z.boolean(),
      tienePagosManuales: z.boolean(),
    }),
    validacion: z.object({
      rfcVerificado: z.boolean(),
      regimenFiscalVerificado: z.boolean(),
      uuidDuplicado: z.boolean(),
      advertencias: z.array(z.string()),
      errores: z.array(z.string()),
      valido: z.boolean(),
    }),
  })
  .passthrough()
  .openapi("ContafyInvoice");

export const route = authedRoute({
  method: "get",
  path: "/v1/api/invoices",
  tags: ["Invoices"],
  summary: "List invoices of your profiles (Contafy)",
  description: [
    "`profileId` is one of your organizations (another id → 404); omitted, every organization you",
    "belong to. `mes`/`año` (URL-encoded `a%C3%B1o`) select the invoice date's month/year; `tipo`",
    "PUE, PPD or COMPLEMENTO_PAGO; `regimen_fiscal` the issuer's régimen; `search` a case-insensitive",
    "part of either RFC or name or of a concept. `limit` 1..100 (default 50; larger values are capped).",
  ].join(" "),
  request: { query: contafyQuery },
  responses: {
    200: jsonContent(
      z.object({
        data: z.array(ContafyInvoice),
        pagination: z.object({
          total: z.number().int(),
          page: z.number().int(),
          limit: z.number().int(),
          totalPages: z.number().int(),
        }),
      }),
    ),
  },
});

export function register(app: App) {
  app.openapi(route, async (c) => {
    const ctx = actorContext(c);
    const { rows, total, page, profiles } = await listProfileInvoices(ctx, c.req.valid("query"));
    return c.json(
      {
        data: await presentContafyInvoices(ctx.db, rows, profiles),
        pagination: { total, page: page.page, limit: page.limit, totalPages: Math.ceil(total / page.limit) },
      },
      200,
    );
  });
}
