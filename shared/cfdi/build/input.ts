/**
 * The typed invoice input accepted by `buildCfdi`: plain JSON in English field names, validated and
 * normalized here so that the computation and the XML emission can trust every value.
 *
 * Normalization decisions (each one keeps the XML, the parsed-back model and the cadena identical):
 * - Text (names, descriptions, series…) has its XML whitespace collapsed and trimmed, as the XSD's
 *   `whiteSpace="collapse"` and the cadena's normalize-space would do anyway; characters XML 1.0
 *   cannot carry are refused.
 * - Amounts arrive as decimal strings (or JSON numbers, read through their shortest decimal text):
 *   never floats in the arithmetic that follows.
 * - RFCs and UUIDs are upper-cased.
 * Catalog membership beyond the currency (régimen, uso, forma de pago, rates…) is `validateCfdi`'s
 * job: the schema checks shapes so that every error here points at one field.
 */
import { z } from "zod";
import { isAppError } from "../../errors";
import { normalizeRfc, RFC_PATTERN } from "../../rfc";
import { currencyDecimals, dec } from "../amounts";

const XML_WHITESPACE_RUN = /[ \t\r\n]+/g;
/** Control characters XML 1.0 forbids, the non-characters U+FFFE/U+FFFF and lone surrogates. */
// biome-ignore lint/suspicious/noControlCharactersInRegex: finding the characters XML forbids is the point.
const NOT_XML_CHARACTER = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]|\p{Cs}/u;

const requiredOr = (what: string, expected: string) => (issue: { input?: unknown }) =>
  issue.input === undefined ? `${what} is required` : `${what} must be ${expected}`;

/** Free text as SAT's `[^|]{1,max}` after whitespace collapsing. */
function text(what: string, max: number) {
  return z
    .string({ error: requiredOr(what, "a string") })
    .transform((value) => value.replace(XML_WHITESPACE_RUN, " ").trim())
    .superRefine((value, ctx) => {
      const problem =
        value === ""
          ? "must not be empty"
          : [...value].length > max
            ? `must have at most ${max} characters`
            : value.includes("|")
              ? `must not contain "|" (it separates the cadena original's fields)`
              : NOT_XML_CHARACTER.test(value)
                ? "contains a character XML cannot carry"
                : undefined;
      if (problem) ctx.addIssue({ code: "custom", message: `${what} ${problem}`, continue: false });
    });
}

/** A code matched against a pattern (catalog keys, postal codes…), as a string. */
function code(what: string, pattern: RegExp, expected: string) {
  return z
    .union([z.string(), z.number()], { error: requiredOr(what, expected) })
    .transform((value) => String(value).trim())
    .refine((value) => pattern.test(value), {
      abort: true,
      error: `${what} must be ${expected}`,
    });
}

const rfc = (what: string) =>
  z
    .string({ error: requiredOr(what, "an RFC") })
    .transform(normalizeRfc)
    .refine((value) => RFC_PATTERN.test(value), {
      abort: true,
      error: `${what} must be a valid RFC (12 characters for a persona moral, 13 for a persona física)`,
    });

const decimalPattern = (maxDecimals: number) => new RegExp(`^\\d{1,18}(\\.\\d{1,${maxDecimals}})?$`);

/**
 * A non-negative decimal with at most `maxDecimals` decimals. JSON numbers are read through
 * `String(n)`, their shortest exact decimal text ("0.1" stays "0.1"); exponent forms are refused.
 */
function amount(what: string, { maxDecimals = 6, positive = false } = {}) {
  const pattern = decimalPattern(maxDecimals);
  const expected = `a decimal ${positive ? "greater than zero" : "of zero or more"} with at most ${maxDecimals} decimals (e.g. "1234.50")`;
  return z
    .union([z.string(), z.number()], { error: requiredOr(what, expected) })
    .transform((value) => String(value).trim())
    .refine((value) => pattern.test(value) && (!positive || !dec(value).isZero()), {
      abort: true,
      error: `${what} must be ${expected}`,
    });
}

const DATE_TIME = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})$/;
const DATE_ONLY = /^\d{4}-\d{2}-\d{2}$/;

/** True when the fields name a real calendar instant (no 2026-02-30, no 24:00:00). */
function isRealDateTime(value: string): boolean {
  const m = DATE_TIME.exec(value);
  if (!m) return false;
  const [y, mo, d, h, mi, s] = m.slice(1).map(Number) as [number, number, number, number, number, number];
  const t = new Date(Date.UTC(y, mo - 1, d, h, mi, s));
  return (
    y >= 2010 &&
    t.getUTCFullYear() === y &&
    t.getUTCMonth() === mo - 1 &&
    t.getUTCDate() === d &&
    t.getUTCHours() === h &&
    t.getUTCMinutes() === mi &&
    t.getUTCSeconds() === s
  );
}

/**
 * A local date-time as SAT writes it (no offset). `dateOnlyTime` lets a bare date through, completed
 * with that time: SAT asks for 12:00:00 when a payment's time is unknown.
 */
function localDateTime(what: string, dateOnlyTime?: string) {
  const expected = `a local date-time "YYYY-MM-DDTHH:mm:ss" (no time zone)${dateOnlyTime ? ' or a date "YYYY-MM-DD"' : ""}`;
  return z
    .string({ error: requiredOr(what, expected) })
    .transform((value) => {
      const trimmed = value.trim();
      return dateOnlyTime && DATE_ONLY.test(trimmed) ? `${trimmed}T${dateOnlyTime}` : trimmed;
    })
    .refine(isRealDateTime, {
      abort: true,
      error: `${what} must be ${expected}`,
    });
}

const UUID = /^[0-9A-F]{8}-[0-9A-F]{4}-[0-9A-F]{4}-[0-9A-F]{4}-[0-9A-F]{12}$/;
const uuid = (what: string) =>
  z
    .string({ error: requiredOr(what, "a UUID") })
    .transform((value) => value.trim().toUpperCase())
    .refine((value) => UUID.test(value), {
      abort: true,
      error: `${what} must be a UUID (8-4-4-4-12 hexadecimal digits)`,
    });

const twoDigits = (what: string) => code(what, /^\d{2}$/, "a two-digit SAT catalog code");
const regime = (what: string) => code(what, /^\d{3}$/, "a three-digit c_RegimenFiscal code (e.g. 601)");
const postalCode = (what: string) => code(what, /^\d{5}$/, "a five-digit postal code");
const currency = (what: string) => code(what, /^[A-Z]{3}$/, "a three-letter c_Moneda code (e.g. MXN, USD)");
const pedimento = code(
  "customsInfo entry",
  /^\d{2} {2}\d{2} {2}\d{4} {2}\d{7}$/,
  'a pedimento number written "NN  NN  NNNN  NNNNNNN" (two spaces between groups)',
);

const TAX_NAMES = ["IVA", "ISR", "IEPS"] as const;
const TAX_FACTORS = ["Tasa", "Cuota", "Exento"] as const;

const tax = z
  .strictObject({
    tax: z.enum(TAX_NAMES, { error: requiredOr("tax", "IVA, ISR or IEPS") }),
    factor: z.enum(TAX_FACTORS, { error: "factor must be Tasa, Cuota or Exento" }).default("Tasa"),
    /** TasaOCuota: 0.16 for 16 %; a cuota is an amount per unit of the base. Absent for Exento. */
    rate: amount("rate").optional(),
    withholding: z.boolean({ error: "withholding must be true or false" }).default(false),
    /**
     * The base when it is not the default (Importe − Descuento for Tasa/Exento, the quantity for a
     * Cuota; in payments, the share of the amount paid): e.g. an IVA base that includes IEPS.
     */
    base: amount("base", { positive: true }).optional(),
  })
  .superRefine((t, ctx) => {
    if (t.factor === "Exento") {
      if (t.rate !== undefined)
        ctx.addIssue({ code: "custom", path: ["rate"], message: "an Exento tax has no rate" });
      if (t.withholding) {
        ctx.addIssue({ code: "custom", path: ["factor"], message: "a withholding cannot be Exento" });
      }
    } else if (t.rate === undefined) {
      ctx.addIssue({ code: "custom", path: ["rate"], message: `rate is required for a ${t.factor} tax` });
    }
    if (t.tax === "ISR" && !t.withholding) {
      ctx.addIssue({
        code: "custom",
        path: ["withholding"],
        message: "ISR can only be withheld (withholding: true)",
      });
    }
    if (t.factor === "Cuota" && t.tax !== "IEPS") {
      ctx.addIssue({ code: "custom", path: ["factor"], message: "only IEPS can be a Cuota" });
    }
  });
export type TaxInput = z.output<typeof tax>;

const OBJETO_IMP = /^0[1-8]$/;
/** ObjetoImp values that forbid tax lines (01 no objeto, 03 no obligado al desglose, 04 no causa). */
const OBJETO_IMP_WITHOUT_TAXES = new Set(["01", "03", "04"]);

const item = z
  .strictObject({
    productKey: code("productKey", /^\d{8}$/, "an eight-digit c_ClaveProdServ code"),
    /** NoIdentificacion: the issuer's own part number or SKU. */
    sku: text("sku", 100).optional(),
    quantity: amount("quantity", { positive: true }),
    unitKey: code("unitKey", /^[A-Z0-9]{1,3}$/, "a c_ClaveUnidad code (e.g. H87, E48, ACT)"),
    unit: text("unit", 20).optional(),
    description: text("description", 1000),
    unitPrice: amount("unitPrice"),
    discount: amount("discount").optional(),
    objetoImp: code("objetoImp", OBJETO_IMP, "a c_ObjetoImp code (01 to 08)").optional(),
    taxes: z.array(tax, { error: "taxes must be a list" }).default([]),
    thirdParty: z
      .strictObject({
        rfc: rfc("thirdParty.rfc"),
        name: text("thirdParty.name", 300),
        taxRegime: regime("thirdParty.taxRegime"),
        postalCode: postalCode("thirdParty.postalCode"),
      })
      .optional(),
    customsInfo: z.array(pedimento, { error: "customsInfo must be a list of pedimento numbers" }).optional(),
    propertyTaxAccount: z
      .union([z.string(), z.array(z.string())], { error: "propertyTaxAccount must be a string or a list" })
      .transform((value) => (typeof value === "string" ? [value] : value).map((v) => v.trim()))
      .refine((values) => values.every((v) => /^[0-9a-zA-Z]{1,150}$/.test(v)), {
        error: "propertyTaxAccount must be letters and digits only, at most 150",
      })
      .optional(),
  })
  .superRefine((it, ctx) => {
    const withTaxes = it.taxes.length > 0;
    if (it.objetoImp === "02" && !withTaxes) {
      ctx.addIssue({ code: "custom", path: ["taxes"], message: "objetoImp 02 requires at least one tax" });
    }
    if (it.objetoImp && OBJETO_IMP_WITHOUT_TAXES.has(it.objetoImp) && withTaxes) {
      ctx.addIssue({
        code: "custom",
        path: ["taxes"],
        message: `objetoImp ${it.objetoImp} does not allow taxes`,
      });
    }
  });
export type ItemInput = z.output<typeof item>;

const paymentDocument = z
  .strictObject({
    uuid: uuid("uuid"),
    series: text("series", 25).optional(),
    folio: text("folio", 40).optional(),
    currency: currency("currency"),
    /** EquivalenciaDR: units of the document's currency per unit of the payment's; 1 when they match. */
    equivalence: amount("equivalence", { maxDecimals: 10, positive: true }).optional(),
    installment: code("installment", /^[1-9]\d{0,2}$/, "the installment number, 1 to 999"),
    previousBalance: amount("previousBalance", { positive: true }),
    amountPaid: amount("amountPaid", { positive: true }),
    taxObject: code("taxObject", OBJETO_IMP, "a c_ObjetoImp code (01 to 08)").optional(),
    taxes: z.array(tax, { error: "taxes must be a list" }).default([]),
  })
  .superRefine((doc, ctx) => {
    if (dec(doc.amountPaid).gt(dec(doc.previousBalance))) {
      ctx.addIssue({ code: "custom", path: ["amountPaid"], message: "amountPaid exceeds previousBalance" });
    }
    const withBase = doc.taxes.filter((t) => t.base !== undefined).length;
    if (withBase !== 0 && withBase !== doc.taxes.length) {
      ctx.addIssue({
        code: "custom",
        path: ["taxes"],
        message: "give a base for every tax of the document or for none (then it is derived from amountPaid)",
      });
    }
    if (withBase === 0 && doc.taxes.some((t) => t.factor === "Cuota")) {
      ctx.addIssue({ code: "custom", path: ["taxes"], message: "a Cuota tax needs an explicit base" });
    }
    if (doc.taxObject === "02" && doc.taxes.length === 0) {
      ctx.addIssue({ code: "custom", path: ["taxes"], message: "taxObject 02 requires at least one tax" });
    }
    if (doc.taxObject && OBJETO_IMP_WITHOUT_TAXES.has(doc.taxObject) && doc.taxes.length > 0) {
      ctx.addIssue({
        code: "custom",
        path: ["taxes"],
        message: `taxObject ${doc.taxObject} does not allow taxes`,
      });
    }
  });
export type PaymentDocumentInput = z.output<typeof paymentDocument>;

const bankAccount = (what: string) =>
  code(what, /^[A-Z0-9_]{10,50}$/, "10 to 50 upper-case letters, digits or underscores");

const payment = z.strictObject({
  date: localDateTime("date", "12:00:00"),
  paymentForm: twoDigits("paymentForm").refine((v) => v !== "99", {
    abort: true,
    error: 'paymentForm cannot be "99" (por definir) in a payment',
  }),
  currency: currency("currency").default("MXN"),
  exchangeRate: amount("exchangeRate", { positive: true }).optional(),
  /** Monto; when absent, the sum of what the related documents receive, in the payment's currency. */
  amount: amount("amount", { positive: true }).optional(),
  operationNumber: text("operationNumber", 100).optional(),
  payerBankRfc: code(
    "payerBankRfc",
    /^(XEXX010101000|[A-Z&Ñ]{3}\d{6}[A-Z0-9]{3})$/,
    "the ordering bank's RFC (a persona moral RFC or XEXX010101000)",
  ).optional(),
  payerForeignBankName: text("payerForeignBankName", 300).optional(),
  payerAccount: bankAccount("payerAccount").optional(),
  payeeBankRfc: code("payeeBankRfc", /^[A-Z&Ñ]{3}\d{6}[A-Z0-9]{3}$/, "the receiving bank's RFC").optional(),
  payeeAccount: bankAccount("payeeAccount").optional(),
  relatedDocuments: z
    .array(paymentDocument, { error: "relatedDocuments must be a list" })
    .min(1, { error: "a payment needs at least one related document" }),
});
export type PaymentInput = z.output<typeof payment>;

const INVOICE_TYPES = ["I", "E", "P", "T"] as const;

export const invoiceInputSchema = z
  .strictObject({
    type: z.enum(INVOICE_TYPES, { error: "type must be I (ingreso), E (egreso), P (pago) or T (traslado)" }),
    series: text("series", 25).optional(),
    folio: text("folio", 40).optional(),
    /** Fecha, local time of the place of issue; defaults to now in Mexico City. */
    date: localDateTime("date").optional(),
    issuer: z.strictObject(
      {
        rfc: rfc("issuer.rfc"),
        name: text("issuer.name", 300),
        taxRegime: regime("issuer.taxRegime"),
        /** FacAtrAdquirente: the acquirer's folio when billing on behalf of a coordinated member. */
        acquirerFolio: code("issuer.acquirerFolio", /^\d{10}$/, "ten digits").optional(),
      },
      { error: requiredOr("issuer", "an object") },
    ),
    receptor: z.strictObject(
      {
        rfc: rfc("receptor.rfc"),
        name: text("receptor.name", 300),
        taxRegime: regime("receptor.taxRegime"),
        /** DomicilioFiscalReceptor (for the generic RFCs, the place of issue). */
        postalCode: postalCode("receptor.postalCode"),
        /** UsoCFDI; defaults to CP01 for payments and S01 for traslados. */
        cfdiUse: code("receptor.cfdiUse", /^[A-Z]{1,2}\d{2}$/, "a c_UsoCFDI code (e.g. G03, S01)").optional(),
        /** ResidenciaFiscal (c_Pais) of a foreign receptor. */
        foreignResidence: code(
          "receptor.foreignResidence",
          /^[A-Z]{3}$/,
          "a c_Pais code (e.g. USA)",
        ).optional(),
        /** NumRegIdTrib: the foreign receptor's tax id. */
        foreignTaxId: text("receptor.foreignTaxId", 40).optional(),
      },
      { error: requiredOr("receptor", "an object") },
    ),
    expeditionPostalCode: postalCode("expeditionPostalCode"),
    paymentForm: twoDigits("paymentForm").optional(),
    paymentMethod: z.enum(["PUE", "PPD"], { error: "paymentMethod must be PUE or PPD" }).optional(),
    paymentConditions: text("paymentConditions", 1000).optional(),
    /** Moneda; MXN by default (XXX, forced, for payments and traslados). */
    currency: currency("currency").optional(),
    exchangeRate: amount("exchangeRate", { positive: true }).optional(),
    exportation: code("exportation", /^0[1-4]$/, "a c_Exportacion code (01 to 04)").default("01"),
    relatedDocuments: z
      .array(
        z.strictObject({
          relationType: twoDigits("relationType"),
          uuids: z
            .array(uuid("uuid"), { error: "uuids must be a list" })
            .min(1, { error: "uuids must not be empty" }),
        }),
        { error: "relatedDocuments must be a list" },
      )
      .default([]),
    globalInformation: z
      .strictObject({
        periodicity: code("periodicity", /^0[1-5]$/, "a c_Periodicidad code (01 to 05)"),
        months: code("months", /^(0[1-9]|1[0-8])$/, "a c_Meses code (01 to 18)"),
        year: code("year", /^20\d{2}$/, "a four-digit year"),
      })
      .optional(),
    items: z.array(item, { error: "items must be a list" }).default([]),
    payments: z.array(payment, { error: "payments must be a list" }).default([]),
  })
  .superRefine((inv, ctx) => {
    const issue = (path: PropertyKey[], message: string) => ctx.addIssue({ code: "custom", path, message });
    const type = inv.type;
    const currencies: [PropertyKey[], string][] = [];
    if (inv.currency) currencies.push([["currency"], inv.currency]);
    inv.payments.forEach((p, i) => {
      currencies.push([["payments", i, "currency"], p.currency]);
      p.relatedDocuments.forEach((d, j) => {
        currencies.push([["payments", i, "relatedDocuments", j, "currency"], d.currency]);
      });
    });
    for (const [path, code] of currencies) {
      try {
        currencyDecimals(code);
      } catch (e) {
        if (!isAppError(e)) throw e;
        issue(path, e.message);
      }
    }

    if (type === "P") {
      if (inv.receptor.cfdiUse !== undefined && inv.receptor.cfdiUse !== "CP01") {
        issue(["receptor", "cfdiUse"], "receptor.cfdiUse must be CP01 (or absent) for a payment");
      }
      if (inv.items.length > 0)
        issue(["items"], "a payment (type P) has no items: its concept is fixed by SAT");
      if (inv.payments.length === 0) issue(["payments"], "a payment (type P) needs at least one payment");
    } else {
      if (inv.items.length === 0) issue(["items"], "at least one item is required");
      if (inv.payments.length > 0) issue(["payments"], "payments are only for type P");
    }
    if (type === "P" || type === "T") {
      for (const field of ["paymentForm", "paymentMethod", "exchangeRate"] as const) {
        if (inv[field] !== undefined) issue([field], `${field} must be absent for type ${type}`);
      }
      if (inv.currency !== undefined && inv.currency !== "XXX") {
        issue(["currency"], `currency must be XXX (or absent) for type ${type}`);
      }
    } else {
      if (!inv.paymentMethod) issue(["paymentMethod"], "paymentMethod is required (PUE or PPD)");
      if (inv.paymentMethod === "PUE" && !inv.paymentForm) {
        issue(["paymentForm"], "paymentForm is required when paymentMethod is PUE");
      }
      if (inv.paymentMethod === "PPD" && inv.paymentForm !== undefined && inv.paymentForm !== "99") {
        issue(["paymentForm"], 'paymentForm must be "99" (por definir) when paymentMethod is PPD');
      }
      if (!inv.receptor.cfdiUse) issue(["receptor", "cfdiUse"], "receptor.cfdiUse is required");
      inv.items.forEach((it, i) => {
        if (dec(it.unitPrice).isZero()) {
          issue(["items", i, "unitPrice"], `unitPrice must be greater than zero in a type ${type} CFDI`);
        }
      });
      const cur = inv.currency ?? "MXN";
      if (cur === "XXX") issue(["currency"], "XXX is only for payments and traslados");
      if (cur === "MXN" && inv.exchangeRate !== undefined && !dec(inv.exchangeRate).equals(1)) {
        issue(["exchangeRate"], "exchangeRate must be 1 (or absent) for MXN");
      }
      if (cur !== "MXN" && cur !== "XXX" && inv.exchangeRate === undefined) {
        issue(["exchangeRate"], `exchangeRate is required for ${cur}`);
      }
    }
    if (type === "T") {
      inv.items.forEach((it, i) => {
        if (it.taxes.length > 0) issue(["items", i, "taxes"], "a traslado (type T) carries no taxes");
        if (it.discount !== undefined)
          issue(["items", i, "discount"], "a traslado (type T) carries no discounts");
      });
    }
    inv.payments.forEach((p, i) => {
      if (p.currency === "XXX") issue(["payments", i, "currency"], "a payment's currency cannot be XXX");
      if (p.currency !== "MXN" && p.exchangeRate === undefined) {
        issue(["payments", i, "exchangeRate"], `exchangeRate is required for ${p.currency}`);
      }
      if (p.currency === "MXN" && p.exchangeRate !== undefined && !dec(p.exchangeRate).equals(1)) {
        issue(["payments", i, "exchangeRate"], "exchangeRate must be 1 (or absent) for MXN");
      }
      p.relatedDocuments.forEach((d, j) => {
        const path = ["payments", i, "relatedDocuments", j, "equivalence"];
        if (d.currency === p.currency && d.equivalence !== undefined && !dec(d.equivalence).equals(1)) {
          issue(
            path,
            "equivalence must be 1 (or absent) when the document and the payment share the currency",
          );
        }
        if (d.currency !== p.currency && d.equivalence === undefined) {
          issue(
            path,
            `equivalence is required: the document is in ${d.currency}, the payment in ${p.currency}`,
          );
        }
      });
    });
  });

/** What callers send (amounts as strings or numbers, defaults omitted). */
export type InvoiceInput = z.input<typeof invoiceInputSchema>;
/** The validated, normalized input the computation works on. */
export type ValidInvoiceInput = z.output<typeof invoiceInputSchema>;
