// Property tests of the builder: random valid invoice inputs (ingresos, egresos, traslados, global
// invoices, foreign receptors, payments in several currencies, every tax combination the builder
// supports) build into XML that parses back to the same model and the input's values, validate
// without errors, and, on a sample, pass SAT's XSLT (xsltproc) and openssl.
import { execFileSync, spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Decimal from "decimal.js";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildCfdi, type InvoiceInput, type TaxInput } from "../../../shared/cfdi/build/index";
import { type Csd, loadCsd } from "../../../shared/cfdi/csd/index";
import { parseCfdi } from "../../../shared/cfdi/parse";
import { validateCfdi } from "../../../shared/cfdi/validate/index";
import { fixturePath, readFixture } from "../helpers/fixtures";

const NOW = new Date("2026-11-20T16:00:00Z");
const ISSUER = { rfc: "EKU9003173C9", name: "ESCUELA KEMPER URGATE", taxRegime: "601" };
const LUGAR = "42501";

type Item = NonNullable<InvoiceInput["items"]>[number];
type Payment = NonNullable<InvoiceInput["payments"]>[number];
type PaymentDocument = Payment["relatedDocuments"][number];

/** A decimal literal with up to `maxInt` integer part and 0..maxDecimals decimals (2 most often). */
const decimal = (maxInt: number, maxDecimals: number, positive = false) =>
  fc
    .tuple(
      fc.integer({ min: 0, max: maxInt }),
      fc.oneof(
        { weight: 3, arbitrary: fc.constant(Math.min(2, maxDecimals)) },
        fc.integer({ min: 0, max: maxDecimals }),
      ),
    )
    .chain(([int, places]) =>
      places === 0
        ? fc.constant(String(int))
        : fc
            .integer({ min: 0, max: 10 ** places - 1 })
            .map((f) => `${int}.${String(f).padStart(places, "0")}`),
    )
    .filter((s) => !positive || !new Decimal(s).isZero());

/** Free text with the characters XML must escape, accents and runs of whitespace. */
const text = (maxLength: number) =>
  fc
    .array(
      fc.constantFrom(..."ABCDEFGHIJKLMNOPQRSTUVWXYZ abcñÑáéíóúü&<>\"'.,-/#0123456789", "  ", "\t", "\n"),
      {
        minLength: 1,
        maxLength,
      },
    )
    .map((chars) => chars.join(""))
    .filter((s) => s.trim() !== "" && s.replace(/[ \t\n]+/g, " ").trim().length <= maxLength);

const collapse = (s: string) => s.replace(/[ \t\r\n]+/g, " ").trim();

const letters = (n: number) =>
  fc.array(fc.constantFrom(..."ABCDEFGHIJKLMNOPQRSTUVWXYZ&Ñ"), { minLength: n, maxLength: n });
const homoclave = fc.tuple(
  fc.array(fc.constantFrom(..."ABCDEFGHIJKLMNPQRSTUVWXYZ0123456789"), { minLength: 2, maxLength: 2 }),
  fc.constantFrom(..."0123456789A"),
);
const rfcDate = fc
  .date({ min: new Date("1950-01-01"), max: new Date("2005-12-31"), noInvalidDate: true })
  .map((d) => d.toISOString().slice(2, 10).replaceAll("-", ""));
/** A syntactically valid RFC: 3 letters for a persona moral, 4 for a persona física. */
const rfc = (persona: "moral" | "fisica") =>
  fc
    .tuple(letters(persona === "moral" ? 3 : 4), rfcDate, homoclave)
    .map(([l, d, [h, v]]) => `${l.join("")}${d}${h.join("")}${v}`)
    .filter((r) => !r.startsWith("XAXX") && !r.startsWith("XEXX"));

const postalCode = fc.integer({ min: 1000, max: 99999 }).map((n) => String(n).padStart(5, "0"));

const receptorMoral = fc.record({
  rfc: rfc("moral"),
  name: text(80),
  taxRegime: fc.constantFrom("601", "603"),
  postalCode,
  cfdiUse: fc.constantFrom("G01", "G03"),
});
const receptorFisica = fc.record({
  rfc: rfc("fisica"),
  name: text(80),
  taxRegime: fc.constant("612"),
  postalCode,
  cfdiUse: fc.constantFrom("G01", "G03"),
});
const receptorExtranjero = fc.record({
  rfc: fc.constant("XEXX010101000"),
  name: text(80),
  taxRegime: fc.constant("616"),
  postalCode: fc.constant(LUGAR),
  cfdiUse: fc.constant("S01"),
  foreignResidence: fc.constantFrom("USA", "CAN", "DEU"),
});
const receptorPublico = {
  rfc: "XAXX010101000",
  name: "PUBLICO EN GENERAL",
  taxRegime: "616",
  postalCode: LUGAR,
  cfdiUse: "S01",
};

const IVA16: TaxInput = { tax: "IVA", factor: "Tasa", rate: "0.16", withholding: false };
const tax = (t: Partial<TaxInput> & Pick<TaxInput, "tax">): TaxInput => ({
  factor: "Tasa",
  withholding: false,
  ...t,
});
const TAX_SETS: TaxInput[][] = [
  [],
  [IVA16],
  [tax({ tax: "IVA", rate: "0.08" })],
  [tax({ tax: "IVA", rate: "0" })],
  [tax({ tax: "IVA", factor: "Exento" })],
  [tax({ tax: "IEPS", rate: "0.265" }), IVA16],
  [tax({ tax: "IEPS", factor: "Cuota", rate: "1.6451" }), IVA16],
  [
    IVA16,
    tax({ tax: "ISR", rate: "0.10", withholding: true }),
    tax({ tax: "IVA", rate: "0.106667", withholding: true }),
  ],
  [IVA16, tax({ tax: "ISR", rate: "0.0125", withholding: true })],
  [IVA16, tax({ tax: "IVA", rate: "0.04", withholding: true })],
];

const item = (withTaxes: boolean): fc.Arbitrary<Item> =>
  fc
    .record({
      productKey: fc.constantFrom("84111506", "01010101", "43211500", "50202306", "80111600"),
      sku: fc.option(text(30), { nil: undefined }),
      quantity: decimal(500, 6, true),
      unitKey: fc.constantFrom("H87", "E48", "ACT", "KGM", "LTR"),
      unit: fc.option(text(20), { nil: undefined }),
      description: text(200),
      // SAT wants ValorUnitario above zero in ingresos and egresos (a traslado may carry zero).
      unitPrice: decimal(50_000, 6, withTaxes),
      // Below 100 % so that a taxed line keeps a base above zero, as SAT requires.
      discountPercent: fc.option(fc.integer({ min: 0, max: 99 }), { nil: undefined }),
      taxes: withTaxes ? fc.constantFrom(...TAX_SETS) : fc.constant<TaxInput[]>([]),
    })
    // Lines worth less than a cent would round to an Importe of zero.
    .filter(({ quantity, unitPrice }) => !withTaxes || new Decimal(quantity).times(unitPrice).gte("0.01"))
    .map(({ discountPercent, ...fields }) => ({
      ...fields,
      // Truncated to cents, so never above the line's Importe however it is rounded.
      discount:
        discountPercent === undefined || !withTaxes
          ? undefined
          : new Decimal(fields.quantity)
              .times(fields.unitPrice)
              .times(discountPercent)
              .div(100)
              .toDecimalPlaces(2, Decimal.ROUND_DOWN)
              .toFixed(2),
    }));

const currency = fc.constantFrom(
  { currency: "MXN" },
  { currency: "MXN", exchangeRate: "1" },
  { currency: "USD", exchangeRate: "17.2345" },
  { currency: "EUR", exchangeRate: "19.05" },
  { currency: "JPY", exchangeRate: "0.1123" },
);

// From 2026: the IEPS cuota range of c_TasaOCuota in the shipped catalogs starts then.
const fecha = fc
  .integer({ min: Date.parse("2026-01-01T00:00:00Z"), max: Date.parse("2026-11-20T10:00:00Z") })
  .map((t) => new Date(t).toISOString().slice(0, 19));

const uuid = fc.uuid().map((u) => u.toUpperCase());
const paymentTerms = fc.oneof(
  fc.record({
    paymentMethod: fc.constant("PUE" as const),
    paymentForm: fc.constantFrom("01", "02", "03", "04", "28"),
  }),
  fc.constant({ paymentMethod: "PPD" as const }),
);

const ingresoOrEgreso: fc.Arbitrary<InvoiceInput> = fc
  .record({
    type: fc.constantFrom("I" as const, "E" as const),
    series: fc.option(text(25), { nil: undefined }),
    folio: fc.option(text(40), { nil: undefined }),
    date: fecha,
    receptor: fc.oneof(receptorMoral, receptorFisica, receptorExtranjero),
    pay: paymentTerms,
    money: currency,
    related: fc.array(uuid, { minLength: 1, maxLength: 3 }),
    withRelated: fc.boolean(),
    items: fc.array(item(true), { minLength: 1, maxLength: 8 }),
  })
  .map(({ pay, money, related, withRelated, ...r }) => ({
    ...r,
    ...pay,
    ...money,
    issuer: ISSUER,
    expeditionPostalCode: LUGAR,
    // An egreso always points at what it credits (01); an ingreso may replace earlier CFDIs (04).
    relatedDocuments:
      r.type === "E" || withRelated ? [{ relationType: r.type === "E" ? "01" : "04", uuids: related }] : [],
  }));

const globalInvoice: fc.Arbitrary<InvoiceInput> = fc
  .record({
    date: fecha,
    // Periodicidad 05 (bimestral) is only for the RIF régimen (621), not this issuer's 601.
    periodicity: fc.constantFrom("01", "02", "03", "04"),
    month: fc.integer({ min: 1, max: 12 }),
    items: fc.array(item(true), { minLength: 1, maxLength: 6 }),
  })
  .map(({ date, periodicity, month, items }) => ({
    type: "I",
    date,
    issuer: ISSUER,
    receptor: receptorPublico,
    expeditionPostalCode: LUGAR,
    paymentForm: "01",
    paymentMethod: "PUE",
    globalInformation: {
      periodicity,
      months: String(month).padStart(2, "0"),
      year: date.slice(0, 4),
    },
    items,
  }));

const traslado: fc.Arbitrary<InvoiceInput> = fc
  .record({ date: fecha, items: fc.array(item(false), { minLength: 1, maxLength: 4 }) })
  .map(({ date, items }) => ({
    type: "T",
    date,
    issuer: ISSUER,
    receptor: { ...ISSUER, postalCode: LUGAR },
    expeditionPostalCode: LUGAR,
    items,
  }));

const PAYMENT_TAX_SETS: TaxInput[][] = TAX_SETS.filter((set) => set.every((t) => t.factor !== "Cuota"));

const paymentDocument = (paymentCurrency: string): fc.Arbitrary<PaymentDocument> =>
  fc
    .record({
      uuid,
      series: fc.option(text(25), { nil: undefined }),
      folio: fc.option(text(40), { nil: undefined }),
      currency: fc.constantFrom("MXN", "USD"),
      installment: fc.integer({ min: 1, max: 999 }),
      previousBalance: decimal(100_000, 2, true),
      paidPercent: fc.integer({ min: 1, max: 100 }),
      taxes: fc.constantFrom(...PAYMENT_TAX_SETS),
    })
    .map(({ paidPercent, ...doc }) => ({
      ...doc,
      installment: String(doc.installment),
      equivalence:
        doc.currency === paymentCurrency ? undefined : doc.currency === "USD" ? "0.0512820513" : "17.36075",
      amountPaid: new Decimal(doc.previousBalance)
        .times(paidPercent)
        .div(100)
        .toDecimalPlaces(2, Decimal.ROUND_DOWN)
        .toFixed(2),
    }))
    .filter((doc) => !new Decimal(doc.amountPaid).isZero());

const pago: fc.Arbitrary<InvoiceInput> = fc
  .record({
    date: fecha,
    receptor: fc.oneof(receptorMoral, receptorFisica).map(({ cfdiUse: _, ...r }) => r),
    payments: fc.array(
      fc.constantFrom({ currency: "MXN" }, { currency: "USD", exchangeRate: "17.3608" }).chain((money) =>
        fc.record({
          date: fecha,
          paymentForm: fc.constantFrom("01", "02", "03", "04", "28"),
          currency: fc.constant(money.currency),
          exchangeRate: fc.constant(money.exchangeRate),
          relatedDocuments: fc.array(paymentDocument(money.currency), { minLength: 1, maxLength: 3 }),
        }),
      ),
      { minLength: 1, maxLength: 2 },
    ),
  })
  .map((r) => ({ type: "P", issuer: ISSUER, expeditionPostalCode: LUGAR, ...r }));

const validInput: fc.Arbitrary<InvoiceInput> = fc.oneof(
  { weight: 6, arbitrary: ingresoOrEgreso },
  { weight: 2, arbitrary: globalInvoice },
  { weight: 1, arbitrary: traslado },
  { weight: 3, arbitrary: pago },
);

const missingTools = ["xsltproc", "openssl"].filter(
  (tool) => spawnSync(tool, [tool === "openssl" ? "version" : "--version"]).status !== 0,
);
if (missingTools.length > 0) {
  console.warn(
    `build.property.test.ts: skipping the oracle sample, not installed: ${missingTools.join(", ")}`,
  );
}

describe("buildCfdi on random valid inputs", () => {
  let csd: Csd;
  let dir: string;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "timbre-property-"));
    csd = await loadCsd(
      {
        cer: readFixture("csd/EKU9003173C9/EKU9003173C9.cer"),
        key: readFixture("csd/EKU9003173C9/EKU9003173C9.key"),
        password: "12345678a",
      },
      { now: NOW },
    );
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("parses back to the same model and the input's values, and validates without errors", async () => {
    await fc.assert(
      fc.asyncProperty(validInput, async (input) => {
        const built = await buildCfdi(input, { csd, now: NOW });
        const parsed = parseCfdi(built.xml);
        expect(parsed).toEqual(built.cfdi);

        expect(parsed).toMatchObject({ TipoDeComprobante: input.type, Fecha: input.date });
        expect(parsed.Receptor).toMatchObject({
          Rfc: input.receptor.rfc,
          Nombre: collapse(input.receptor.name),
        });
        (input.items ?? []).forEach((it, i) => {
          const c = parsed.Conceptos[i]!;
          expect(c).toMatchObject({
            ClaveProdServ: it.productKey,
            Cantidad: it.quantity,
            Descripcion: collapse(it.description),
          });
          expect(new Decimal(c.ValorUnitario).equals(String(it.unitPrice))).toBe(true);
          expect(c.Descuento === undefined ? undefined : new Decimal(c.Descuento).toFixed(2)).toBe(
            it.discount,
          );
        });
        (input.payments ?? []).forEach((p, i) => {
          const docs =
            parsed.Complemento[0]?.kind === "Pagos20"
              ? parsed.Complemento[0].data.Pago[i]!.DoctoRelacionado
              : [];
          expect(docs.map((d) => [d.IdDocumento, new Decimal(d.ImpPagado).toFixed(2)])).toEqual(
            p.relatedDocuments.map((d) => [d.uuid, d.amountPaid]),
          );
        });

        const report = validateCfdi(parsed, { now: NOW });
        expect(report.errors).toEqual([]);
      }),
      { numRuns: 150 },
    );
  });

  it.skipIf(missingTools.length > 0)(
    "on 25 random documents, xsltproc's cadena equals ours and openssl verifies the Sello",
    async () => {
      const pubkey = join(dir, "pubkey.pem");
      const cer = fixturePath("csd/EKU9003173C9/EKU9003173C9.cer");
      execFileSync("openssl", ["x509", "-inform", "DER", "-in", cer, "-pubkey", "-noout", "-out", pubkey]);
      const xslt = fixturePath(
        "xslt/www.sat.gob.mx/sitio_internet/cfd/4/cadenaoriginal_4_0/cadenaoriginal_4_0.xslt",
      );
      const [xml, cadenaFile, sello] = ["doc.xml", "cadena.txt", "sello.bin"].map((f) => join(dir, f)) as [
        string,
        string,
        string,
      ];
      await fc.assert(
        fc.asyncProperty(validInput, async (input) => {
          const built = await buildCfdi(input, { csd, now: NOW });
          writeFileSync(xml, built.xml);
          const cadena = execFileSync("xsltproc", [xslt, xml], {
            encoding: "utf8",
            stdio: ["ignore", "pipe", "ignore"],
          });
          expect(cadena).toBe(built.cadena);
          writeFileSync(cadenaFile, cadena);
          writeFileSync(sello, Buffer.from(built.cfdi.Sello!, "base64"));
          const verify = spawnSync(
            "openssl",
            ["dgst", "-sha256", "-verify", pubkey, "-signature", sello, cadenaFile],
            { encoding: "utf8" },
          );
          expect(verify.stdout.trim()).toBe("Verified OK");
        }),
        { numRuns: 25 },
      );
    },
  );
});
