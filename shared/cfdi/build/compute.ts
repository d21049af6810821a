/**
 * From a validated invoice input to the CFDI 4.0 model, with every amount computed the way SAT
 * recomputes it (rules and tolerances in ../amounts.ts). The result is unsealed: Sello,
 * NoCertificado and Certificado are absent until `sealCfdi` fills them.
 *
 * Rounding choices (all inside SAT's tolerances, all half-up):
 * - Concept Importe = Cantidad × ValorUnitario, exact when that fits in 6 decimals (else rounded to 6),
 *   written with at least the currency's decimals and at least as many as ValorUnitario and Descuento
 *   were given with; Descuento is written with Importe's decimals (SAT: never more than Importe).
 * - Concept tax Base = Importe − Descuento (a Cuota's base is the quantity), unless the input gives one.
 * - Concept tax Importe = Base × TasaOCuota rounded to the currency's decimals. This is what most PACs
 *   emit; it keeps each line readable and makes the document taxes exact sums of the lines, so the
 *   totals a reader adds up by hand match the document.
 * - Document level: traslados grouped by Impuesto+TipoFactor+TasaOCuota and retenciones by Impuesto,
 *   each the sum of its concepts rounded at the currency's decimals; SubTotal, Descuento and Total are
 *   at the currency's decimals and Total = SubTotal − Descuento + trasladados − retenidos exactly.
 * - Pagos 2.0: a related document's tax base, when not given, is ImpPagado / (1 + Σ traslado rates −
 *   Σ retención rates) at the document currency's decimals, and its tax Importe is rounded there too.
 *   ImpuestosP converts each document's amounts with EquivalenciaDR and rounds the sums to 6 decimals
 *   (the XSD's limit). Totales are in MXN: the ImpuestosP amounts × TipoCambioP, at 2 decimals.
 *   Monto, when not given, is Σ ImpPagado / EquivalenciaDR rounded up at the payment currency's
 *   decimals (SAT requires Monto ≥ that sum).
 */
import type Decimal from "decimal.js";
import { badRequest } from "../../errors";
import { currencyDecimals, Dec, dec, decimalPlaces, formatAmount, roundUp } from "../amounts";
import type {
  Cfdi,
  Concepto,
  DoctoRelacionado20,
  ImpuestosDR,
  ImpuestosP,
  Pago20,
  Pagos20,
  PagosTotales,
  RetencionComprobante,
  RetencionConcepto,
  TrasladoComprobante,
  TrasladoConcepto,
} from "../model";
import type { ItemInput, PaymentDocumentInput, PaymentInput, TaxInput, ValidInvoiceInput } from "./input";
import { mexicoCityDateTime } from "./time";
import { pagos20Node } from "./xml";

const TAX_CODE = { ISR: "001", IVA: "002", IEPS: "003" } as const;

/** SAT's fixed concept for a payment receipt (Anexo 20, "Complemento para recepción de pagos"). */
const PAGO_CONCEPTO: Concepto = {
  ClaveProdServ: "84111506",
  Cantidad: "1",
  ClaveUnidad: "ACT",
  Descripcion: "Pago",
  ValorUnitario: "0",
  Importe: "0",
  ObjetoImp: "01",
  InformacionAduanera: [],
  CuentaPredial: [],
  Parte: [],
};

const MAX_PLACES = 6;
const ZERO = new Dec(0);
const ONE = new Dec(1);

/** `value` rounded to 6 decimals, written with at least `min` of them (more when it needs them). */
function flexibleAmount(value: Decimal, min: number): { value: Decimal; text: string } {
  const rounded = value.toDecimalPlaces(MAX_PLACES, Dec.ROUND_HALF_UP);
  return {
    value: rounded,
    text: rounded.toFixed(Math.min(MAX_PLACES, Math.max(min, rounded.decimalPlaces()))),
  };
}

const flexible = (value: Decimal, min: number) => flexibleAmount(value, min).text;

/** A validated decimal literal from the input without leading zeros, padded to at least `min` decimals. */
function padded(literal: string, min: number): string {
  const trimmed = literal.replace(/^0+(?=\d)/, "");
  const places = decimalPlaces(trimmed);
  if (places >= min) return trimmed;
  return (places === 0 ? `${trimmed}.` : trimmed) + "0".repeat(min - places);
}

/** Parsed rates by input text: an invoice repeats the same few, and parsing is most of the cost. */
const rates = new Map<string, { value: Decimal; text: string }>();
function rate(literal: string): { value: Decimal; text: string } {
  let parsed = rates.get(literal);
  if (!parsed) {
    const value = dec(literal);
    parsed = { value, text: value.toFixed(MAX_PLACES) };
    if (rates.size >= 256) rates.clear();
    rates.set(literal, parsed);
  }
  return parsed;
}

function inputError(path: (string | number)[], message: string): never {
  throw badRequest("invalid_invoice_input", message, [{ path: path.join("."), message }]);
}

interface TaxLine {
  withholding: boolean;
  impuesto: string;
  factor: string;
  /** Six-decimal TasaOCuota; undefined for Exento. */
  rate: string | undefined;
  base: Decimal;
  baseText: string;
  /** Undefined for Exento. */
  importe: Decimal | undefined;
  importeText: string | undefined;
}

function taxLine(tax: TaxInput, base: Decimal, baseText: string, places: number): TaxLine {
  const tasa = tax.rate === undefined ? undefined : rate(tax.rate);
  const importe = tasa?.value.times(base).toDecimalPlaces(places, Dec.ROUND_HALF_UP);
  return {
    withholding: tax.withholding,
    impuesto: TAX_CODE[tax.tax],
    factor: tax.factor,
    rate: tasa?.text,
    base,
    baseText,
    importe,
    importeText: importe?.toFixed(places),
  };
}

/** Sums tax lines into SAT's groups, preserving first-appearance order. */
class TaxGroups {
  readonly traslados = new Map<string, { line: TaxLine; base: Decimal; importe: Decimal }>();
  readonly retenciones = new Map<string, Decimal>();

  /** `divisor` converts the line's amounts into the group's currency (Pagos' EquivalenciaDR). */
  add(line: TaxLine, divisor?: Decimal): void {
    const convert = (amount: Decimal) => (divisor === undefined ? amount : amount.div(divisor));
    const importe = convert(line.importe ?? ZERO);
    if (line.withholding) {
      this.retenciones.set(line.impuesto, (this.retenciones.get(line.impuesto) ?? ZERO).plus(importe));
      return;
    }
    const key = `${line.impuesto}|${line.factor}|${line.rate ?? ""}`;
    const group = this.traslados.get(key);
    const base = convert(line.base);
    if (group) {
      group.base = group.base.plus(base);
      group.importe = group.importe.plus(importe);
    } else {
      this.traslados.set(key, { line, base, importe });
    }
  }
}

interface ConceptResult {
  concepto: Concepto;
  importe: Decimal;
  descuento: Decimal | undefined;
  lines: TaxLine[];
}

function computeConcept(item: ItemInput, index: number, places: number): ConceptResult {
  const path = ["items", index];
  const importeValue = dec(item.quantity).times(item.unitPrice);
  // SAT: Descuento may not carry more decimals than Importe, so Importe makes room for the discount's.
  const discountPlaces = item.discount === undefined ? 0 : decimalPlaces(item.discount);
  const { value: importe, text: importeText } = flexibleAmount(
    importeValue,
    Math.max(places, decimalPlaces(item.unitPrice), discountPlaces),
  );
  const importePlaces = decimalPlaces(importeText);
  const descuento = item.discount === undefined ? undefined : dec(item.discount);
  if (descuento?.gt(importe)) {
    inputError(
      [...path, "discount"],
      `items.${index}.discount (${item.discount}) exceeds the line amount ${importeText}`,
    );
  }
  const defaultBase = descuento ? importe.minus(descuento) : importe;
  let defaultBaseText: string | undefined;
  const lines = item.taxes.map((tax, j) => {
    if (tax.base !== undefined) return taxLine(tax, dec(tax.base), padded(tax.base, places), places);
    if (tax.factor === "Cuota") {
      const quantity = dec(item.quantity);
      return taxLine(tax, quantity, flexible(quantity, places), places);
    }
    if (defaultBase.isZero()) {
      inputError(
        [...path, "taxes", j],
        `items.${index} has no tax base left (Importe ${importeText} minus its discount): SAT requires a Base above zero; drop its taxes and use objetoImp 01, 03 or 04`,
      );
    }
    defaultBaseText ??= flexible(defaultBase, places);
    return taxLine(tax, defaultBase, defaultBaseText, places);
  });
  const traslados: TrasladoConcepto[] = [];
  const retenciones: RetencionConcepto[] = [];
  for (const line of lines) {
    if (line.withholding) {
      retenciones.push({
        Base: line.baseText,
        Impuesto: line.impuesto,
        TipoFactor: line.factor,
        TasaOCuota: line.rate!,
        Importe: line.importeText!,
      });
    } else {
      traslados.push({
        Base: line.baseText,
        Impuesto: line.impuesto,
        TipoFactor: line.factor,
        TasaOCuota: line.rate,
        Importe: line.importeText,
      });
    }
  }
  const concepto: Concepto = {
    ClaveProdServ: item.productKey,
    NoIdentificacion: item.sku,
    Cantidad: padded(item.quantity, 0),
    ClaveUnidad: item.unitKey,
    Unidad: item.unit,
    Descripcion: item.description,
    ValorUnitario: padded(item.unitPrice, places),
    Importe: importeText,
    Descuento: descuento?.toFixed(importePlaces),
    ObjetoImp: item.objetoImp ?? (lines.length > 0 ? "02" : "01"),
    Impuestos:
      lines.length === 0
        ? undefined
        : {
            Traslados: traslados.length > 0 ? traslados : undefined,
            Retenciones: retenciones.length > 0 ? retenciones : undefined,
          },
    ACuentaTerceros: item.thirdParty && {
      RfcACuentaTerceros: item.thirdParty.rfc,
      NombreACuentaTerceros: item.thirdParty.name,
      RegimenFiscalACuentaTerceros: item.thirdParty.taxRegime,
      DomicilioFiscalACuentaTerceros: item.thirdParty.postalCode,
    },
    InformacionAduanera: (item.customsInfo ?? []).map((NumeroPedimento) => ({ NumeroPedimento })),
    CuentaPredial: (item.propertyTaxAccount ?? []).map((Numero) => ({ Numero })),
    Parte: [],
  };
  return { concepto, importe, descuento, lines };
}

/** Totals of an ingreso, egreso or traslado from its concepts. */
function computeConcepts(input: ValidInvoiceInput, moneda: string) {
  const places = currencyDecimals(moneda);
  const results = input.items.map((item, i) => computeConcept(item, i, places));
  const groups = new TaxGroups();
  let subTotal = ZERO;
  let descuento: Decimal | undefined;
  for (const r of results) {
    subTotal = subTotal.plus(r.importe);
    if (r.descuento) descuento = (descuento ?? ZERO).plus(r.descuento);
    for (const line of r.lines) groups.add(line);
  }

  const retenciones: RetencionComprobante[] = [];
  let totalRetenidos = ZERO;
  for (const [impuesto, importe] of groups.retenciones) {
    const rounded = importe.toDecimalPlaces(places, Dec.ROUND_HALF_UP);
    totalRetenidos = totalRetenidos.plus(rounded);
    retenciones.push({ Impuesto: impuesto, Importe: rounded.toFixed(places) });
  }
  const traslados: TrasladoComprobante[] = [];
  let totalTrasladados = ZERO;
  let anyTrasladoConImporte = false;
  for (const { line, base, importe } of groups.traslados.values()) {
    const exento = line.rate === undefined;
    const rounded = importe.toDecimalPlaces(places, Dec.ROUND_HALF_UP);
    if (!exento) {
      anyTrasladoConImporte = true;
      totalTrasladados = totalTrasladados.plus(rounded);
    }
    traslados.push({
      Base: formatAmount(base, places),
      Impuesto: line.impuesto,
      TipoFactor: line.factor,
      TasaOCuota: line.rate,
      Importe: exento ? undefined : rounded.toFixed(places),
    });
  }

  const isTraslado = input.type === "T";
  const subTotalRounded = subTotal.toDecimalPlaces(places, Dec.ROUND_HALF_UP);
  const descuentoRounded = descuento?.toDecimalPlaces(places, Dec.ROUND_HALF_UP);
  const total = subTotalRounded
    .minus(descuentoRounded ?? ZERO)
    .plus(totalTrasladados)
    .minus(totalRetenidos);
  if (total.isNegative()) {
    throw badRequest(
      "invalid_invoice_input",
      `The invoice total would be negative (${total.toFixed(places)}): withholdings and discounts exceed the amounts`,
      [{ path: "items", message: "withholdings and discounts exceed the amounts" }],
    );
  }
  const withTaxes = retenciones.length > 0 || traslados.length > 0;
  return {
    Conceptos: results.map((r) => r.concepto),
    // SAT: a traslado's SubTotal and Total are zero whatever its goods are worth.
    SubTotal: isTraslado ? "0" : subTotalRounded.toFixed(places),
    Descuento: descuentoRounded?.toFixed(places),
    Total: isTraslado ? "0" : formatAmount(total, places),
    Impuestos: withTaxes
      ? {
          TotalImpuestosRetenidos: retenciones.length > 0 ? totalRetenidos.toFixed(places) : undefined,
          // SAT: absent when every traslado is Exento.
          TotalImpuestosTrasladados: anyTrasladoConImporte ? totalTrasladados.toFixed(places) : undefined,
          Retenciones: retenciones.length > 0 ? retenciones : undefined,
          Traslados: traslados.length > 0 ? traslados : undefined,
        }
      : undefined,
  };
}

function computeDocument(
  doc: PaymentDocumentInput,
  payment: PaymentInput,
  path: (string | number)[],
): { docto: DoctoRelacionado20; lines: TaxLine[]; equivalencia: Decimal; paidInPaymentCurrency: Decimal } {
  const places = currencyDecimals(doc.currency);
  for (const field of ["previousBalance", "amountPaid"] as const) {
    if (decimalPlaces(doc[field]) > places) {
      inputError([...path, field], `${field} has more decimals than ${doc.currency} allows (${places})`);
    }
  }
  const paid = dec(doc.amountPaid);
  const equivalenciaText = doc.currency === payment.currency ? "1" : padded(doc.equivalence!, 0);
  const equivalencia = dec(equivalenciaText);

  let lines: TaxLine[];
  if (doc.taxes.length > 0 && doc.taxes[0]!.base !== undefined) {
    lines = doc.taxes.map((tax) => taxLine(tax, dec(tax.base!), padded(tax.base!, places), places));
  } else {
    let divisor = ONE;
    for (const tax of doc.taxes) {
      if (tax.rate === undefined) continue;
      divisor = tax.withholding ? divisor.minus(tax.rate) : divisor.plus(tax.rate);
    }
    if (!divisor.isPositive()) {
      inputError([...path, "taxes"], "the withholding rates leave no base: give each tax its base");
    }
    const base = paid.div(divisor).toDecimalPlaces(places, Dec.ROUND_HALF_UP);
    const baseText = base.toFixed(places);
    lines = doc.taxes.map((tax) => taxLine(tax, base, baseText, places));
  }

  const retencionesDR = lines
    .filter((l) => l.withholding)
    .map((l) => ({
      BaseDR: l.baseText,
      ImpuestoDR: l.impuesto,
      TipoFactorDR: l.factor,
      TasaOCuotaDR: l.rate!,
      ImporteDR: l.importeText!,
    }));
  const trasladosDR = lines
    .filter((l) => !l.withholding)
    .map((l) => ({
      BaseDR: l.baseText,
      ImpuestoDR: l.impuesto,
      TipoFactorDR: l.factor,
      TasaOCuotaDR: l.rate,
      ImporteDR: l.importeText,
    }));
  const impuestosDR: ImpuestosDR | undefined =
    lines.length === 0
      ? undefined
      : {
          RetencionesDR: retencionesDR.length > 0 ? retencionesDR : undefined,
          TrasladosDR: trasladosDR.length > 0 ? trasladosDR : undefined,
        };
  return {
    docto: {
      IdDocumento: doc.uuid,
      Serie: doc.series,
      Folio: doc.folio,
      MonedaDR: doc.currency,
      EquivalenciaDR: equivalenciaText,
      NumParcialidad: doc.installment,
      ImpSaldoAnt: formatAmount(doc.previousBalance, places),
      ImpPagado: formatAmount(paid, places),
      ImpSaldoInsoluto: formatAmount(dec(doc.previousBalance).minus(paid), places),
      ObjetoImpDR: doc.taxObject ?? (lines.length > 0 ? "02" : "01"),
      ImpuestosDR: impuestosDR,
    },
    lines,
    equivalencia,
    paidInPaymentCurrency: paid.div(equivalencia),
  };
}

/** Running MXN sums for pago20:Totales, keyed by attribute name. */
type TotalesSums = Partial<Record<Exclude<keyof PagosTotales, "MontoTotalPagos">, Decimal>>;

const IVA = TAX_CODE.IVA;
/** Totales attributes fed by a TrasladoP of IVA at each rate (or Exento). */
const IVA_TOTALES: Record<string, [keyof TotalesSums, keyof TotalesSums | undefined]> = {
  "Tasa|0.160000": ["TotalTrasladosBaseIVA16", "TotalTrasladosImpuestoIVA16"],
  "Tasa|0.080000": ["TotalTrasladosBaseIVA8", "TotalTrasladosImpuestoIVA8"],
  "Tasa|0.000000": ["TotalTrasladosBaseIVA0", "TotalTrasladosImpuestoIVA0"],
  "Exento|": ["TotalTrasladosBaseIVAExento", undefined],
};
const RETENCION_TOTALES: Record<string, keyof TotalesSums> = {
  [TAX_CODE.ISR]: "TotalRetencionesISR",
  [TAX_CODE.IVA]: "TotalRetencionesIVA",
  [TAX_CODE.IEPS]: "TotalRetencionesIEPS",
};
/** pago20:Totales attribute order (Pagos20.xsd). */
const TOTALES_ORDER: (keyof TotalesSums)[] = [
  "TotalRetencionesIVA",
  "TotalRetencionesISR",
  "TotalRetencionesIEPS",
  "TotalTrasladosBaseIVA16",
  "TotalTrasladosImpuestoIVA16",
  "TotalTrasladosBaseIVA8",
  "TotalTrasladosImpuestoIVA8",
  "TotalTrasladosBaseIVA0",
  "TotalTrasladosImpuestoIVA0",
  "TotalTrasladosBaseIVAExento",
];

const sixPlaces = (value: Decimal) => value.toDecimalPlaces(MAX_PLACES, Dec.ROUND_HALF_UP);
const addTo = (sums: TotalesSums, key: keyof TotalesSums, value: Decimal) => {
  sums[key] = (sums[key] ?? ZERO).plus(value);
};

function computePayment(
  payment: PaymentInput,
  index: number,
  sums: TotalesSums,
): { pago: Pago20; montoMxn: Decimal } {
  const path = ["payments", index];
  const places = currencyDecimals(payment.currency);
  const tipoCambioText = payment.currency === "MXN" ? "1" : padded(payment.exchangeRate!, 0);
  const tipoCambio = dec(tipoCambioText);
  const groups = new TaxGroups();
  let paid = ZERO;
  const doctos = payment.relatedDocuments.map((doc, j) => {
    const r = computeDocument(doc, payment, [...path, "relatedDocuments", j]);
    for (const line of r.lines) groups.add(line, r.equivalencia.equals(ONE) ? undefined : r.equivalencia);
    paid = paid.plus(r.paidInPaymentCurrency);
    return r.docto;
  });

  let monto: string;
  if (payment.amount === undefined) {
    monto = roundUp(paid, places).toFixed(places);
  } else {
    if (decimalPlaces(payment.amount) > places) {
      inputError([...path, "amount"], `amount has more decimals than ${payment.currency} allows (${places})`);
    }
    if (dec(payment.amount).lt(paid.toDecimalPlaces(places, Dec.ROUND_DOWN))) {
      inputError(
        [...path, "amount"],
        `amount ${payment.amount} is less than what the related documents receive (${flexible(paid, places)} ${payment.currency})`,
      );
    }
    monto = formatAmount(payment.amount, places);
  }

  const impuestosP: ImpuestosP = {};
  if (groups.retenciones.size > 0) {
    impuestosP.RetencionesP = [];
    for (const [impuesto, importe] of groups.retenciones) {
      const importeP = sixPlaces(importe);
      impuestosP.RetencionesP.push({ ImpuestoP: impuesto, ImporteP: flexible(importeP, places) });
      addTo(sums, RETENCION_TOTALES[impuesto]!, importeP.times(tipoCambio));
    }
  }
  if (groups.traslados.size > 0) {
    impuestosP.TrasladosP = [];
    for (const { line, base, importe } of groups.traslados.values()) {
      const baseP = sixPlaces(base);
      const importeP = line.rate === undefined ? undefined : sixPlaces(importe);
      impuestosP.TrasladosP.push({
        BaseP: flexible(baseP, places),
        ImpuestoP: line.impuesto,
        TipoFactorP: line.factor,
        TasaOCuotaP: line.rate,
        ImporteP: importeP && flexible(importeP, places),
      });
      const totales = line.impuesto === IVA ? IVA_TOTALES[`${line.factor}|${line.rate ?? ""}`] : undefined;
      if (totales) {
        addTo(sums, totales[0], baseP.times(tipoCambio));
        if (totales[1]) addTo(sums, totales[1], (importeP ?? ZERO).times(tipoCambio));
      }
    }
  }

  const pago: Pago20 = {
    FechaPago: payment.date,
    FormaDePagoP: payment.paymentForm,
    MonedaP: payment.currency,
    TipoCambioP: tipoCambioText,
    Monto: monto,
    NumOperacion: payment.operationNumber,
    RfcEmisorCtaOrd: payment.payerBankRfc,
    NomBancoOrdExt: payment.payerForeignBankName,
    CtaOrdenante: payment.payerAccount,
    RfcEmisorCtaBen: payment.payeeBankRfc,
    CtaBeneficiario: payment.payeeAccount,
    DoctoRelacionado: doctos,
    ImpuestosP: impuestosP.RetencionesP || impuestosP.TrasladosP ? impuestosP : undefined,
  };
  return { pago, montoMxn: dec(monto).times(tipoCambio) };
}

function computePagos(payments: PaymentInput[]): Pagos20 {
  const sums: TotalesSums = {};
  let montoTotal = ZERO;
  const pagos = payments.map((p, i) => {
    const { pago, montoMxn } = computePayment(p, i, sums);
    montoTotal = montoTotal.plus(montoMxn);
    return pago;
  });
  const totales: PagosTotales = { MontoTotalPagos: "" };
  for (const key of TOTALES_ORDER) {
    const value = sums[key];
    if (value !== undefined) totales[key] = formatAmount(value, 2);
  }
  totales.MontoTotalPagos = formatAmount(montoTotal, 2);
  return { Version: "2.0", Totales: totales, Pago: pagos };
}

/** Default UsoCFDI for the receipts whose use SAT fixes. */
const DEFAULT_USO: Partial<Record<ValidInvoiceInput["type"], string>> = { P: "CP01", T: "S01" };

/**
 * The unsealed CFDI for a validated input. `now` supplies Fecha when the input has none (Mexico City
 * wall-clock time). Throws `invalid_invoice_input` (400) for what only the arithmetic reveals
 * (a discount above its line, a payment amount below what it settles…).
 */
export function computeCfdi(input: ValidInvoiceInput, now: Date = new Date()): Cfdi {
  const isPago = input.type === "P";
  const moneda = isPago || input.type === "T" ? "XXX" : (input.currency ?? "MXN");
  const amounts = isPago
    ? { Conceptos: [PAGO_CONCEPTO], SubTotal: "0", Descuento: undefined, Total: "0", Impuestos: undefined }
    : computeConcepts(input, moneda);
  const pagos = isPago ? computePagos(input.payments) : undefined;
  const receptor = input.receptor;
  return {
    Version: "4.0",
    Serie: input.series,
    Folio: input.folio,
    Fecha: input.date ?? mexicoCityDateTime(now),
    FormaPago: isPago ? undefined : (input.paymentForm ?? (input.paymentMethod === "PPD" ? "99" : undefined)),
    CondicionesDePago: input.paymentConditions,
    SubTotal: amounts.SubTotal,
    Descuento: amounts.Descuento,
    Moneda: moneda,
    TipoCambio:
      input.exchangeRate === undefined ? undefined : moneda === "MXN" ? "1" : padded(input.exchangeRate, 0),
    Total: amounts.Total,
    TipoDeComprobante: input.type,
    Exportacion: input.exportation,
    MetodoPago: input.paymentMethod,
    LugarExpedicion: input.expeditionPostalCode,
    InformacionGlobal: input.globalInformation && {
      Periodicidad: input.globalInformation.periodicity,
      Meses: input.globalInformation.months,
      Año: input.globalInformation.year,
    },
    CfdiRelacionados: input.relatedDocuments.map((r) => ({
      TipoRelacion: r.relationType,
      CfdiRelacionado: r.uuids,
    })),
    Emisor: {
      Rfc: input.issuer.rfc,
      Nombre: input.issuer.name,
      RegimenFiscal: input.issuer.taxRegime,
      FacAtrAdquirente: input.issuer.acquirerFolio,
    },
    Receptor: {
      Rfc: receptor.rfc,
      Nombre: receptor.name,
      DomicilioFiscalReceptor: receptor.postalCode,
      ResidenciaFiscal: receptor.foreignResidence,
      NumRegIdTrib: receptor.foreignTaxId,
      RegimenFiscalReceptor: receptor.taxRegime,
      UsoCFDI: receptor.cfdiUse ?? DEFAULT_USO[input.type]!,
    },
    Conceptos: amounts.Conceptos,
    Impuestos: amounts.Impuestos,
    Complemento: pagos ? [{ kind: "Pagos20", data: pagos, node: pagos20Node(pagos) }] : [],
    missingAttributes: [],
  };
}
