/**
 * The Contafy dialect (seed 002): the query of `GET /api/invoices` parsed into the filter model.
 * `profileId` is an organization of the caller (omitted: all of them); invoices are listed from both
 * sides, issued and received. `mes`/`año` select the month/year of the CFDI's Fecha (Mexico wall time,
 * as written); `mes` alone means that month of every year. `tipo` COMPLEMENTO_PAGO means CFDI type P.
 * `search` is a case-insensitive substring of either RFC, either name or any concept's description.
 * `limit` 1..100 (default 50); larger values are capped at 100, as the seed says. Sorted by fecha desc.
 */
import { z } from "zod";
import type { InvoiceCondition, ListQuery } from "./model";
import { FIELD_KINDS } from "./model";
import { monthRange } from "./values";

export const contafyQuery = z
  .object({
    profileId: z.uuid().optional().describe("One of your organizations; omitted = all of them"),
    mes: z.coerce.number().int().min(1).max(12).optional().describe("Month of the invoice date, 1–12"),
    // The key is non-ASCII: clients send it URL-encoded as a%C3%B1o.
    año: z.coerce.number().int().min(1).max(9999).optional().describe("Year of the invoice date"),
    tipo: z.enum(["PUE", "PPD", "COMPLEMENTO_PAGO"]).optional(),
    regimen_fiscal: z
      .string()
      .regex(/^\d{3}$/, "Expected a 3-digit SAT régimen such as 612")
      .optional()
      .describe("Issuer's régimen fiscal"),
    search: z.string().trim().max(300).optional().describe("RFC, name or concept; case-insensitive"),
    page: z.coerce.number().int().min(1).default(1),
    limit: z.coerce
      .number()
      .int()
      .min(1)
      .default(50)
      .transform((n) => Math.min(n, 100))
      .describe("1..100, default 50; larger values are capped at 100"),
  })
  .strict();

export type ContafyInput = z.output<typeof contafyQuery>;

export function contafyList(q: ContafyInput): { profileId?: string; query: ListQuery } {
  const conditions: InvoiceCondition[] = [];
  const { clock } = FIELD_KINDS.issuedAt;
  if (q.año !== undefined) {
    const month = q.mes ?? 1;
    conditions.push({
      op: "range",
      field: "issuedAt",
      ...monthRange(clock, { year: q.año, month }, q.mes ? 1 : 12),
    });
  } else if (q.mes !== undefined) {
    conditions.push({ op: "eq", field: "issuedMonth", value: String(q.mes).padStart(2, "0") });
  }
  if (q.tipo === "COMPLEMENTO_PAGO") conditions.push({ op: "eq", field: "cfdiType", value: "P" });
  else if (q.tipo) conditions.push({ op: "eq", field: "paymentMethod", value: q.tipo });
  if (q.regimen_fiscal) conditions.push({ op: "eq", field: "issuerTaxRegime", value: q.regimen_fiscal });
  if (q.search) {
    const value = q.search;
    conditions.push({
      op: "any",
      of: [
        { op: "contains", field: "issuerTaxIdentifier", value },
        { op: "contains", field: "issuerName", value },
        { op: "contains", field: "recipientTaxIdentifier", value },
        { op: "contains", field: "recipientName", value },
        { op: "item", where: [{ op: "contains", field: "itemDescription", value }] },
      ],
    });
  }
  return {
    ...(q.profileId ? { profileId: q.profileId } : {}),
    query: {
      conditions,
      sort: [{ field: "issuedAt", direction: "desc" }],
      pagination: { kind: "offset", page: q.page, limit: q.limit },
    },
  };
}
