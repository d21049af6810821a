// GET /v1/catalogs/{tax-regimes,cfdi-uses,payment-forms,payment-methods,states,countries,banks,currencies,
// taxes,industries,job-titles}: the seed's whole-list catalogs, public and cached (services/catalogs.ts).
import { z } from "@hono/zod-openapi";
import {
  estados,
  formasPago,
  impuestos,
  metodosPago,
  monedas,
  paises,
  regimenesFiscales,
  reglasTasaCuota,
  usosCfdi,
  type Vigencia,
} from "../../shared/catalogs";
import { BANKS } from "../../shared/catalogs/banks";
import { INDUSTRIES, JOB_TITLES } from "../../shared/catalogs/onboarding-lists";
import type { App } from "../app";
import { publicRoute } from "../openapi/route";
import { jsonContent } from "../openapi/schemas";
import { catalogResponse } from "../services/catalogs";
import { serviceContext } from "../services/context";

/** The responses every catalog operation shares: its JSON, or 304 for a current ETag. */
export const catalogResponses = <T extends z.ZodTypeAny>(schema: T, description = "OK") => ({
  200: {
    ...jsonContent(schema, description),
    headers: z.object({
      etag: z.string().openapi({ description: "Strong validator: catalog release, catalog and query" }),
      "cache-control": z
        .string()
        .openapi({ example: "public, max-age=86400, stale-while-revalidate=604800" }),
    }),
  },
  304: { description: "Not modified: If-None-Match holds the current ETag (no body)" },
});

const CACHING = "Public; versioned by the catalog release: send the ETag back in If-None-Match to get 304.";

const validity = {
  validFrom: z
    .string()
    .nullable()
    .openapi({ description: "First day in force (ISO date)", example: "2022-01-01" }),
  validTo: z.string().nullable().openapi({ description: "Last day in force (ISO date), null when open" }),
};
const presentValidity = (e: Vigencia) => ({
  validFrom: e.vigenciaDesde ?? null,
  validTo: e.vigenciaHasta ?? null,
});

const TaxRegime = z
  .object({
    code: z.string().openapi({ example: "601" }),
    description: z.string(),
    appliesToIndividuals: z.boolean(),
    appliesToCompanies: z.boolean(),
    ...validity,
  })
  .openapi("CatalogTaxRegime");

const CfdiUse = z
  .object({
    code: z.string().openapi({ example: "G03" }),
    description: z.string(),
    appliesToIndividuals: z.boolean(),
    appliesToCompanies: z.boolean(),
    receiverTaxRegimes: z
      .array(z.string())
      .openapi({ description: "c_RegimenFiscal codes it may be used with" }),
    ...validity,
  })
  .openapi("CatalogCfdiUse");

const PaymentForm = z
  .object({
    code: z.string().openapi({ example: "03" }),
    description: z.string(),
    banked: z.boolean().openapi({ description: "Paid through a bank (bancarizado)" }),
    operationNumberRequired: z.boolean(),
    payerBankRfcAllowed: z.boolean(),
    payerAccountAllowed: z.boolean(),
    payerAccountPattern: z.string().nullable().openapi({ description: "SAT pattern, implicitly anchored" }),
    payeeBankRfcAllowed: z.boolean(),
    payeeAccountAllowed: z.boolean(),
    payeeAccountPattern: z.string().nullable(),
    paymentChainTypeAllowed: z.boolean(),
    foreignPayerBankNameRequired: z.boolean(),
    ...validity,
  })
  .openapi("CatalogPaymentForm");

const CodeDescription = z
  .object({ code: z.string().openapi({ example: "PUE" }), description: z.string(), ...validity })
  .openapi("CatalogCode");

const State = z
  .object({ code: z.string().openapi({ example: "JAL" }), name: z.string(), country: z.literal("MEX") })
  .openapi("CatalogState");

const Country = z
  .object({
    code: z.string().openapi({ example: "USA" }),
    name: z.string(),
    postalCodePattern: z.string().nullable(),
    taxIdPattern: z.string().nullable().openapi({ description: "Pattern of NumRegIdTrib" }),
    taxIdValidation: z.string().nullable(),
    groupings: z.string().nullable(),
  })
  .openapi("CatalogCountry");

const Bank = z
  .object({
    code: z.string().openapi({ example: "012", description: "First three digits of the bank's CLABEs" }),
    name: z.string(),
  })
  .openapi("CatalogBank");

const Currency = z
  .object({
    code: z.string().openapi({ example: "USD" }),
    description: z.string(),
    decimals: z.number().int(),
    variationPercent: z
      .number()
      .openapi({ description: "Allowed TipoCambio deviation from the published rate" }),
    ...validity,
  })
  .openapi("CatalogCurrency");

const TaxRate = z.object({
  factor: z.enum(["Tasa", "Cuota", "Exento"]),
  kind: z.enum(["fixed", "range"]),
  minimum: z.string().nullable().openapi({ description: "Lower bound of a range (decimal string)" }),
  value: z
    .string()
    .openapi({ example: "0.160000", description: "The fixed value, or a range's upper bound" }),
  transferred: z.boolean(),
  withheld: z.boolean(),
  note: z.string().nullable().openapi({ example: "IVA Crédito aplicado del 50%" }),
  ...validity,
});

const Tax = z
  .object({
    id: z
      .string()
      .openapi({ example: "002", description: "c_Impuesto code, the taxId of invoice item taxes" }),
    code: z.string().openapi({ example: "IVA" }),
    transferred: z.boolean(),
    withheld: z.boolean(),
    scope: z.string().openapi({ example: "Federal" }),
    rates: z.array(TaxRate).openapi({ description: "c_TasaOCuota rules of the tax" }),
    ...validity,
  })
  .openapi("CatalogTax");

const lists = [
  {
    slug: "tax-regimes",
    summary: "Get all tax regimes",
    description: "SAT c_RegimenFiscal.",
    schema: TaxRegime,
    rows: () =>
      regimenesFiscales.entries.map((e) => ({
        code: e.clave,
        description: e.texto,
        appliesToIndividuals: e.fisica,
        appliesToCompanies: e.moral,
        ...presentValidity(e),
      })),
  },
  {
    slug: "cfdi-uses",
    summary: "Get CFDI usage codes",
    description: "SAT c_UsoCFDI: codes and their descriptions.",
    schema: CfdiUse,
    rows: () =>
      usosCfdi.entries.map((e) => ({
        code: e.clave,
        description: e.texto,
        appliesToIndividuals: e.fisica,
        appliesToCompanies: e.moral,
        receiverTaxRegimes: [...e.regimenesReceptor],
        ...presentValidity(e),
      })),
  },
  {
    slug: "payment-forms",
    summary: "Get payment forms",
    description: "SAT c_FormaPago, with its rules on bank accounts in payment complements.",
    schema: PaymentForm,
    rows: () =>
      formasPago.entries.map((e) => ({
        code: e.clave,
        description: e.texto,
        banked: e.bancarizado,
        operationNumberRequired: e.requiereNumeroOperacion,
        payerBankRfcAllowed: e.permiteRfcBancoOrdenante,
        payerAccountAllowed: e.permiteCuentaOrdenante,
        payerAccountPattern: e.patronCuentaOrdenante ?? null,
        payeeBankRfcAllowed: e.permiteRfcBancoBeneficiario,
        payeeAccountAllowed: e.permiteCuentaBeneficiario,
        payeeAccountPattern: e.patronCuentaBeneficiario ?? null,
        paymentChainTypeAllowed: e.permiteTipoCadenaPago,
        foreignPayerBankNameRequired: e.requiereNombreBancoOrdenanteExtranjero,
        ...presentValidity(e),
      })),
  },
  {
    slug: "payment-methods",
    summary: "Get payment methods",
    description: "SAT c_MetodoPago (PUE, PPD).",
    schema: CodeDescription,
    rows: () =>
      metodosPago.entries.map((e) => ({ code: e.clave, description: e.texto, ...presentValidity(e) })),
  },
  {
    slug: "states",
    summary: "Get all Mexican states",
    description: "The Mexican entries of SAT c_Estado.",
    schema: State,
    rows: () =>
      estados.entries
        .filter((e) => e.pais === "MEX")
        .map((e) => ({ code: e.clave, name: e.texto, country: "MEX" as const })),
  },
  {
    slug: "countries",
    summary: "Get all countries",
    description: "SAT c_Pais, with the patterns a foreign postal code and tax id must match.",
    schema: Country,
    rows: () =>
      paises.entries.map((e) => ({
        code: e.clave,
        name: e.texto,
        postalCodePattern: e.patronCodigoPostal ?? null,
        taxIdPattern: e.patronIdentidadTributaria ?? null,
        taxIdValidation: e.validacionIdentidadTributaria ?? null,
        groupings: e.agrupaciones ?? null,
      })),
  },
  {
    slug: "banks",
    summary: "Get all banks",
    description:
      "Banks by the institution code that starts their CLABEs (not a SAT catalog; see shared/catalogs).",
    schema: Bank,
    rows: () => BANKS,
  },
  {
    slug: "currencies",
    summary: "Get all currency codes",
    description: "SAT c_Moneda.",
    schema: Currency,
    rows: () =>
      monedas.entries.map((e) => ({
        code: e.clave,
        description: e.texto,
        decimals: e.decimales,
        variationPercent: e.porcentajeVariacion,
        ...presentValidity(e),
      })),
  },
  {
    slug: "taxes",
    summary: "Get all taxes",
    description: "SAT c_Impuesto with the rates and ranges c_TasaOCuota allows for each.",
    schema: Tax,
    rows: () =>
      impuestos.entries.map((e) => ({
        id: e.clave,
        code: e.texto,
        transferred: e.traslado,
        withheld: e.retencion,
        scope: e.ambito,
        rates: reglasTasaCuota
          .filter((r) => r.impuesto === e.clave)
          .map((r) => ({
            factor: r.factor as "Tasa" | "Cuota" | "Exento",
            kind: r.tipo === "Fijo" ? ("fixed" as const) : ("range" as const),
            minimum: r.minimo ?? null,
            value: r.valor,
            transferred: r.traslado,
            withheld: r.retencion,
            note: r.nota ?? null,
            ...presentValidity(r),
          })),
        ...presentValidity(e),
      })),
  },
  {
    slug: "industries",
    summary: "Get all industries",
    description: "Industries an organization can pick (Timbre's list; not a SAT catalog).",
    schema: z.string().openapi({ example: "Manufactura y Maquila" }),
    rows: () => INDUSTRIES,
  },
  {
    slug: "job-titles",
    summary: "Get all job titles",
    description: "Job titles of an organization's contact (Timbre's list; not a SAT catalog).",
    schema: z.string().openapi({ example: "Dueño del negocio" }),
    rows: () => JOB_TITLES,
  },
] as const;

export const routes = lists.map((list) => ({
  list,
  route: publicRoute({
    method: "get",
    path: `/v1/catalogs/${list.slug}`,
    tags: ["Catalogs"],
    summary: list.summary,
    description: `${list.description} ${CACHING}`,
    responses: catalogResponses(z.array(list.schema as z.ZodTypeAny)),
  }),
}));

export function register(app: App) {
  for (const { list, route } of routes)
    app.openapi(route, (c) => catalogResponse(serviceContext(c), c.req.raw, list.slug, {}, list.rows));
}
