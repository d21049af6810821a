/**
 * CFDI de pago (tipo P) rules: the fixed Comprobante and Concepto of a 4.0 payment receipt
 * (CRP201xx), and the Pagos 2.0 complement (CRP202xx): Totales in MXN, per-payment amounts and bank
 * fields, per-document balances, EquivalenciaDR and the taxes of each payment. Pagos 1.0 (CFDI 3.3)
 * gets the balance and Monto checks only.
 *
 * Conversions follow the Pagos 2.0 guía: a document amount in MonedaDR becomes MonedaP by dividing
 * by EquivalenciaDR; payment amounts become MXN by multiplying by TipoCambioP; Totales are the SAT
 * rounding at 2 decimals of the MXN sums. ImpuestosP amounts are sums of converted document amounts
 * at up to 6 decimals: they must lie less than one unit of their last written decimal from the
 * exact sum (so rounding or truncating it both pass), plus 10^−6 per converted document, because
 * issuers may round each converted term before adding.
 */
import type Decimal from "decimal.js";
import {
  findReglaTasaCuota,
  formasPago,
  impuestos,
  matchesSatPattern,
  monedas,
  objetosImpuesto,
  tiposFactor,
} from "../../catalogs";
import {
  Dec,
  dec,
  decimalPlaces,
  isDecimalLiteral,
  roundSat,
  taxImporteBounds,
  withinBounds,
} from "../amounts";
import {
  complemento,
  type DoctoRelacionado20,
  type Pago20,
  type Pagos10,
  type Pagos20,
  type PagosTotales,
  type RetencionDR,
  type TrasladoDR,
} from "../model";
import { type Context, trasladoKey } from "./context";

const PAGOS = "Comprobante/Complemento/Pagos";
const ID_DOCUMENTO =
  /^([a-fA-F0-9]{8}-[a-fA-F0-9]{4}-[a-fA-F0-9]{4}-[a-fA-F0-9]{4}-[a-fA-F0-9]{12}|[0-9]{3}-[0-9]{2}-[0-9]{9})$/;
const at = (attr: string) => `Comprobante/@${attr}`;
const isZero = (value: string | undefined) =>
  value !== undefined && isDecimalLiteral(value) && dec(value).isZero();

/** The fixed shape of a CFDI de pago 4.0 (Anexo 20 guía, "Complemento para recepción de pagos"). */
function checkComprobantePago(ctx: Context) {
  const c = ctx.cfdi;
  if (c.Exportacion !== "01")
    ctx.error("CRP20102", 'Exportacion must be "01" in a CFDI de pago', at("Exportacion"));
  if (!isZero(c.SubTotal)) ctx.error("CRP20103", 'SubTotal must be "0" in a CFDI de pago', at("SubTotal"));
  if (c.Moneda !== "XXX") ctx.error("CRP20104", 'Moneda must be "XXX" in a CFDI de pago', at("Moneda"));
  const forbidden: [keyof typeof c, string][] = [
    ["FormaPago", "CRP20105"],
    ["MetodoPago", "CRP20106"],
    ["CondicionesDePago", "CRP20107"],
    ["Descuento", "CRP20108"],
    ["TipoCambio", "CRP20109"],
  ];
  for (const [attr, code] of forbidden) {
    if (c[attr] !== undefined) ctx.error(code, `${attr} must not exist in a CFDI de pago`, at(attr));
  }
  if (!isZero(c.Total)) ctx.error("CRP20110", 'Total must be "0" in a CFDI de pago', at("Total"));
  if (c.Conceptos.length !== 1)
    ctx.error("CRP20111", "A CFDI de pago has exactly one Concepto", "Comprobante/Conceptos");
  const concepto = c.Conceptos[0];
  if (concepto) {
    const base = "Comprobante/Conceptos/Concepto[1]";
    const children =
      concepto.Impuestos ??
      concepto.ACuentaTerceros ??
      concepto.ComplementoConcepto ??
      [...concepto.InformacionAduanera, ...concepto.CuentaPredial, ...concepto.Parte][0];
    if (children) ctx.error("CRP20112", "The Concepto of a CFDI de pago must have no child elements", base);
    const expect = (ok: boolean, code: string, message: string, attr: string) => {
      if (!ok) ctx.error(code, message, `${base}/@${attr}`);
    };
    expect(
      concepto.ClaveProdServ === "84111506",
      "CRP20113",
      'ClaveProdServ must be "84111506"',
      "ClaveProdServ",
    );
    expect(
      concepto.NoIdentificacion === undefined,
      "CRP20114",
      "NoIdentificacion must not exist",
      "NoIdentificacion",
    );
    expect(
      isDecimalLiteral(concepto.Cantidad) && dec(concepto.Cantidad).equals(1),
      "CRP20115",
      'Cantidad must be "1"',
      "Cantidad",
    );
    expect(concepto.ClaveUnidad === "ACT", "CRP20116", 'ClaveUnidad must be "ACT"', "ClaveUnidad");
    expect(concepto.Unidad === undefined, "CRP20117", "Unidad must not exist", "Unidad");
    expect(concepto.Descripcion === "Pago", "CRP20118", 'Descripcion must be "Pago"', "Descripcion");
    expect(isZero(concepto.ValorUnitario), "CRP20119", 'ValorUnitario must be "0"', "ValorUnitario");
    expect(isZero(concepto.Importe), "CRP20120", 'Importe must be "0"', "Importe");
    expect(concepto.Descuento === undefined, "CRP20121", "Descuento must not exist", "Descuento");
    expect(concepto.ObjetoImp === "01", "CRP20122", 'ObjetoImp must be "01"', "ObjetoImp");
  }
  if (c.Impuestos) ctx.error("CRP20123", "A CFDI de pago must not have Impuestos", "Comprobante/Impuestos");
}

/** Converted sums, by SAT group, of the documents' taxes of one payment. */
interface Group {
  base: Decimal;
  importe: Decimal;
  /** Documents whose amounts were converted (EquivalenciaDR ≠ 1), each allowed 10^−6 of rounding. */
  convertedTerms: number;
  complete: boolean;
}

function add(
  groups: Map<string, Group>,
  key: string,
  base: Decimal | undefined,
  importe: Decimal | undefined,
  equiv: Decimal | undefined,
  needsImporte: boolean,
) {
  const g = groups.get(key) ?? { base: new Dec(0), importe: new Dec(0), convertedTerms: 0, complete: true };
  groups.set(key, g);
  if (!equiv || !base || (needsImporte && !importe)) {
    g.complete = false;
    return;
  }
  if (!equiv.equals(1)) g.convertedTerms++;
  g.base = g.base.plus(base.div(equiv));
  if (importe) g.importe = g.importe.plus(importe.div(equiv));
}

/** Whether a written ImpuestosP amount matches the exact converted sum (see the module comment). */
function closeTo(written: string, exact: Decimal, convertedTerms: number) {
  const tolerance = new Dec(10)
    .pow(-Math.min(decimalPlaces(written), 6))
    .plus(new Dec(10).pow(-6).times(convertedTerms));
  return dec(written).minus(exact).abs().lt(tolerance);
}

interface TaxCodes {
  base: string;
  impuesto: string;
  factor: string;
  tasa: string;
  importe: string;
}
const TRASLADO_DR: TaxCodes = {
  base: "CRP20255",
  impuesto: "CRP20256",
  factor: "CRP20257",
  tasa: "CRP20260",
  importe: "CRP20261",
};
const RETENCION_DR: TaxCodes = {
  base: "CRP20249",
  impuesto: "CRP20250",
  factor: "CRP20251",
  tasa: "CRP20253",
  importe: "CRP20254",
};

function checkTaxDR(
  ctx: Context,
  tax: TrasladoDR | RetencionDR,
  uso: "traslado" | "retencion",
  path: string,
) {
  const codes = uso === "traslado" ? TRASLADO_DR : RETENCION_DR;
  const label = uso === "traslado" ? "TrasladoDR" : "RetencionDR";
  const base = ctx.amount(tax.BaseDR, `${path}/@BaseDR`);
  if (base?.lte(0)) ctx.error(codes.base, `BaseDR of a ${label} must be greater than 0`, `${path}/@BaseDR`);
  const impuesto = ctx.catalog(impuestos, tax.ImpuestoDR, codes.impuesto, `${path}/@ImpuestoDR`);
  if (impuesto && !impuesto[uso])
    ctx.error(codes.impuesto, `ImpuestoDR ${impuesto.clave} cannot be a ${label}`, `${path}/@ImpuestoDR`);
  const factor = ctx.catalog(tiposFactor, tax.TipoFactorDR, codes.factor, `${path}/@TipoFactorDR`);
  if (!factor) return;
  if (factor.clave === "Exento") {
    if (uso === "retencion") ctx.error("CRP20252", "A RetencionDR cannot be Exento", `${path}/@TipoFactorDR`);
    else if (tax.TasaOCuotaDR !== undefined || tax.ImporteDR !== undefined) {
      ctx.error(
        "CRP20258",
        "An Exento TrasladoDR must not have TasaOCuotaDR nor ImporteDR",
        `${path}/@TipoFactorDR`,
      );
    }
    return;
  }
  const tasa = tax.TasaOCuotaDR;
  if (
    tasa === undefined ||
    !isDecimalLiteral(tasa) ||
    (impuesto && !findReglaTasaCuota(impuesto.clave, factor.clave, tasa, uso, ctx.fecha))
  ) {
    ctx.error(
      codes.tasa,
      `TasaOCuotaDR ${tasa ?? "(absent)"} is not allowed by c_TasaOCuota for this ${label}`,
      `${path}/@TasaOCuotaDR`,
    );
    return;
  }
  if (tax.ImporteDR === undefined) {
    ctx.error(codes.importe, `A ${label} with TipoFactorDR ${factor.clave} requires ImporteDR`, path);
    return;
  }
  const importe = ctx.amount(tax.ImporteDR, `${path}/@ImporteDR`);
  if (!base || !importe) return;
  const bounds = taxImporteBounds(tax.BaseDR, tasa, decimalPlaces(tax.ImporteDR));
  if (!withinBounds(importe, bounds)) {
    ctx.error(
      codes.importe,
      `ImporteDR ${tax.ImporteDR} is outside the SAT limits [${bounds.lower.toFixed()}, ${bounds.upper.toFixed()}] for BaseDR ${tax.BaseDR} × ${tasa}`,
      `${path}/@ImporteDR`,
    );
  }
}

/** Checks one DoctoRelacionado; returns ImpPagado in MonedaP (undefined when unreadable). */
function checkDocto(
  ctx: Context,
  pago: Pago20,
  d: DoctoRelacionado20,
  path: string,
  groups: { traslados: Map<string, Group>; retenciones: Map<string, Group> },
) {
  if (!ID_DOCUMENTO.test(d.IdDocumento) && !ctx.isMissing(`${path}/@IdDocumento`)) {
    ctx.error("uuid_invalid", `IdDocumento "${d.IdDocumento}" is not a UUID`, `${path}/@IdDocumento`);
  }
  const moneda = ctx.catalog(monedas, d.MonedaDR, "moneda_invalid", `${path}/@MonedaDR`);
  if (d.MonedaDR === "XXX") ctx.error("CRP20236", 'MonedaDR must not be "XXX"', `${path}/@MonedaDR`);
  let equiv: Decimal | undefined = new Dec(1);
  if (d.EquivalenciaDR !== undefined) equiv = ctx.amount(d.EquivalenciaDR, `${path}/@EquivalenciaDR`);
  if (d.MonedaDR === pago.MonedaP) {
    if (equiv && !equiv.equals(1))
      ctx.error(
        "CRP20238",
        `EquivalenciaDR must be "1" when MonedaDR equals MonedaP`,
        `${path}/@EquivalenciaDR`,
      );
  } else if (d.EquivalenciaDR === undefined) {
    ctx.error(
      "CRP20237",
      `EquivalenciaDR is required: MonedaDR ${d.MonedaDR} differs from MonedaP ${pago.MonedaP}`,
      path,
    );
    equiv = undefined;
  }
  if (equiv?.lte(0)) {
    ctx.error("amount_invalid", "EquivalenciaDR must be greater than 0", `${path}/@EquivalenciaDR`);
    equiv = undefined;
  }
  if (!/^[1-9][0-9]{0,2}$/.test(d.NumParcialidad) && !ctx.isMissing(`${path}/@NumParcialidad`)) {
    ctx.error(
      "num_parcialidad_invalid",
      `NumParcialidad "${d.NumParcialidad}" is not 1–999`,
      `${path}/@NumParcialidad`,
    );
  }
  const places = moneda?.decimales;
  const anterior = ctx.amount(d.ImpSaldoAnt, `${path}/@ImpSaldoAnt`);
  const pagado = ctx.amount(d.ImpPagado, `${path}/@ImpPagado`);
  const insoluto = ctx.amount(d.ImpSaldoInsoluto, `${path}/@ImpSaldoInsoluto`);
  if (anterior?.lte(0)) ctx.error("CRP20239", "ImpSaldoAnt must be greater than 0", `${path}/@ImpSaldoAnt`);
  if (pagado?.lte(0)) ctx.error("CRP20241", "ImpPagado must be greater than 0", `${path}/@ImpPagado`);
  ctx.currencyDecimals(d.ImpSaldoAnt, "CRP20240", `${path}/@ImpSaldoAnt`, places);
  ctx.currencyDecimals(d.ImpPagado, "CRP20242", `${path}/@ImpPagado`, places);
  ctx.currencyDecimals(d.ImpSaldoInsoluto, "CRP20243", `${path}/@ImpSaldoInsoluto`, places);
  if (anterior && pagado && insoluto && (!insoluto.equals(anterior.minus(pagado)) || insoluto.isNegative())) {
    ctx.error(
      "CRP20244",
      `ImpSaldoInsoluto ${d.ImpSaldoInsoluto} must be ImpSaldoAnt − ImpPagado = ${anterior.minus(pagado).toFixed()} and not negative`,
      `${path}/@ImpSaldoInsoluto`,
    );
  }

  const objeto = ctx.catalog(objetosImpuesto, d.ObjetoImpDR, "CRP20245", `${path}/@ObjetoImpDR`);
  const imp = d.ImpuestosDR;
  if (objeto?.clave === "02" && !imp) ctx.error("CRP20246", "ObjetoImpDR 02 requires ImpuestosDR", path);
  if (objeto && objeto.clave !== "02" && imp)
    ctx.error("CRP20247", `ObjetoImpDR ${objeto.clave} forbids ImpuestosDR`, `${path}/ImpuestosDR`);
  if (imp) {
    const traslados = imp.TrasladosDR ?? [];
    const retenciones = imp.RetencionesDR ?? [];
    if (traslados.length + retenciones.length === 0) {
      ctx.error("CRP20248", "ImpuestosDR must hold TrasladosDR and/or RetencionesDR", `${path}/ImpuestosDR`);
    }
    traslados.forEach((t, i) => {
      const tPath = `${path}/ImpuestosDR/TrasladosDR/TrasladoDR[${i + 1}]`;
      checkTaxDR(ctx, t, "traslado", tPath);
      const exento = t.TipoFactorDR === "Exento";
      add(
        groups.traslados,
        trasladoKey(t.ImpuestoDR, t.TipoFactorDR, t.TasaOCuotaDR),
        ctx.amount(t.BaseDR, `${tPath}/@BaseDR`),
        exento ? undefined : ctx.amount(t.ImporteDR, `${tPath}/@ImporteDR`),
        equiv,
        !exento,
      );
    });
    retenciones.forEach((r, i) => {
      const rPath = `${path}/ImpuestosDR/RetencionesDR/RetencionDR[${i + 1}]`;
      checkTaxDR(ctx, r, "retencion", rPath);
      add(
        groups.retenciones,
        r.ImpuestoDR,
        new Dec(0),
        ctx.amount(r.ImporteDR, `${rPath}/@ImporteDR`),
        equiv,
        true,
      );
    });
  }
  return pagado && equiv ? pagado.div(equiv) : undefined;
}

function checkImpuestosP(
  ctx: Context,
  pago: Pago20,
  path: string,
  groups: { traslados: Map<string, Group>; retenciones: Map<string, Group> },
) {
  const imp = pago.ImpuestosP;
  const seenRet = new Set<string>();
  (imp?.RetencionesP ?? []).forEach((r, i) => {
    const rPath = `${path}/ImpuestosP/RetencionesP/RetencionP[${i + 1}]`;
    ctx.catalog(impuestos, r.ImpuestoP, "CRP20262", `${rPath}/@ImpuestoP`);
    if (seenRet.has(r.ImpuestoP))
      ctx.error("CRP20263", `More than one RetencionP for ImpuestoP ${r.ImpuestoP}`, rPath);
    seenRet.add(r.ImpuestoP);
    const g = groups.retenciones.get(r.ImpuestoP);
    if (!g) ctx.error("CRP20265", `No related document withholds ImpuestoP ${r.ImpuestoP}`, rPath);
    else if (
      g.complete &&
      ctx.amount(r.ImporteP, `${rPath}/@ImporteP`) &&
      !closeTo(r.ImporteP, g.importe, g.convertedTerms)
    ) {
      ctx.error(
        "CRP20265",
        `ImporteP ${r.ImporteP} is not the sum of the documents' ImporteDR in MonedaP (${g.importe.toFixed(6)})`,
        `${rPath}/@ImporteP`,
      );
    }
  });
  for (const key of groups.retenciones.keys()) {
    if (!seenRet.has(key))
      ctx.error(
        "CRP20265",
        `ImpuestosP lack the RetencionP for ImpuestoP ${key} that the documents carry`,
        `${path}/ImpuestosP`,
      );
  }

  const seenTras = new Set<string>();
  (imp?.TrasladosP ?? []).forEach((t, i) => {
    const tPath = `${path}/ImpuestosP/TrasladosP/TrasladoP[${i + 1}]`;
    const key = trasladoKey(t.ImpuestoP, t.TipoFactorP, t.TasaOCuotaP);
    ctx.catalog(impuestos, t.ImpuestoP, "CRP20270", `${tPath}/@ImpuestoP`);
    if (seenTras.has(key))
      ctx.error("CRP20271", `More than one TrasladoP for ${key.replaceAll("|", " ")}`, tPath);
    seenTras.add(key);
    if (
      t.TipoFactorP !== "Exento" &&
      (t.TasaOCuotaP === undefined ||
        !findReglaTasaCuota(t.ImpuestoP, t.TipoFactorP, t.TasaOCuotaP, "traslado", ctx.fecha))
    ) {
      ctx.error(
        "CRP20272",
        `TasaOCuotaP ${t.TasaOCuotaP ?? "(absent)"} is not allowed by c_TasaOCuota for ${t.ImpuestoP} ${t.TipoFactorP}`,
        `${tPath}/@TasaOCuotaP`,
      );
    }
    const g = groups.traslados.get(key);
    if (!g) {
      ctx.error("CRP20268", `No related document has a TrasladoDR of ${key.replaceAll("|", " ")}`, tPath);
      return;
    }
    if (!g.complete) return;
    if (ctx.amount(t.BaseP, `${tPath}/@BaseP`) && !closeTo(t.BaseP, g.base, g.convertedTerms)) {
      ctx.error(
        "CRP20268",
        `BaseP ${t.BaseP} is not the sum of the documents' BaseDR in MonedaP (${g.base.toFixed(6)})`,
        `${tPath}/@BaseP`,
      );
    }
    if (
      t.TipoFactorP !== "Exento" &&
      (t.ImporteP === undefined ||
        (ctx.amount(t.ImporteP, `${tPath}/@ImporteP`) && !closeTo(t.ImporteP, g.importe, g.convertedTerms)))
    ) {
      ctx.error(
        "CRP20274",
        `ImporteP ${t.ImporteP ?? "(absent)"} is not the sum of the documents' ImporteDR in MonedaP (${g.importe.toFixed(6)})`,
        `${tPath}/@ImporteP`,
      );
    }
  });
  for (const key of groups.traslados.keys()) {
    if (!seenTras.has(key)) {
      ctx.error(
        "CRP20268",
        `ImpuestosP lack the TrasladoP for ${key.replaceAll("|", " ")} that the documents carry`,
        `${path}/ImpuestosP`,
      );
    }
  }
}

function checkCuentas(ctx: Context, pago: Pago20, path: string) {
  const forma = formasPago.get(pago.FormaDePagoP);
  if (!forma) return;
  const pattern = (p: string | undefined, value: string) => p === undefined || matchesSatPattern(p, value);
  if (pago.CtaOrdenante !== undefined) {
    if (!forma.permiteCuentaOrdenante)
      ctx.error(
        "CRP20224",
        `CtaOrdenante must not exist with FormaDePagoP ${forma.clave}`,
        `${path}/@CtaOrdenante`,
      );
    else if (!pattern(forma.patronCuentaOrdenante, pago.CtaOrdenante)) {
      ctx.error(
        "CRP20225",
        `CtaOrdenante "${pago.CtaOrdenante}" does not match ${forma.patronCuentaOrdenante}`,
        `${path}/@CtaOrdenante`,
      );
    }
  }
  if (pago.CtaBeneficiario !== undefined) {
    if (!forma.permiteCuentaBeneficiario)
      ctx.error(
        "CRP20228",
        `CtaBeneficiario must not exist with FormaDePagoP ${forma.clave}`,
        `${path}/@CtaBeneficiario`,
      );
    else if (!pattern(forma.patronCuentaBeneficiario, pago.CtaBeneficiario)) {
      ctx.error(
        "CRP20226",
        `CtaBeneficiario "${pago.CtaBeneficiario}" does not match ${forma.patronCuentaBeneficiario}`,
        `${path}/@CtaBeneficiario`,
      );
    }
  }
  if (pago.RfcEmisorCtaBen !== undefined && !forma.permiteRfcBancoBeneficiario) {
    ctx.error(
      "CRP20227",
      `RfcEmisorCtaBen must not exist with FormaDePagoP ${forma.clave}`,
      `${path}/@RfcEmisorCtaBen`,
    );
  }
  if (pago.TipoCadPago !== undefined && !forma.permiteTipoCadenaPago) {
    ctx.error(
      "CRP20229",
      `TipoCadPago must not exist with FormaDePagoP ${forma.clave}`,
      `${path}/@TipoCadPago`,
    );
  }
  const conCadena = pago.TipoCadPago !== undefined;
  const linked: [keyof Pago20, string, string][] = [
    ["CertPago", "CRP20230", "CRP20231"],
    ["CadPago", "CRP20232", "CRP20233"],
    ["SelloPago", "CRP20234", "CRP20235"],
  ];
  for (const [attr, required, forbidden] of linked) {
    if (conCadena && pago[attr] === undefined)
      ctx.error(required, `${attr} is required with TipoCadPago`, `${path}/@${attr}`);
    if (!conCadena && pago[attr] !== undefined)
      ctx.error(forbidden, `${attr} must not exist without TipoCadPago`, `${path}/@${attr}`);
  }
}

type TotalKey = Exclude<keyof PagosTotales, never>;
const TOTALES_CODES: Record<TotalKey, string> = {
  TotalRetencionesIVA: "CRP20201",
  TotalRetencionesISR: "CRP20202",
  TotalRetencionesIEPS: "CRP20203",
  TotalTrasladosBaseIVA16: "CRP20204",
  TotalTrasladosImpuestoIVA16: "CRP20205",
  TotalTrasladosBaseIVA8: "CRP20206",
  TotalTrasladosImpuestoIVA8: "CRP20207",
  TotalTrasladosBaseIVA0: "CRP20208",
  TotalTrasladosImpuestoIVA0: "CRP20209",
  TotalTrasladosBaseIVAExento: "CRP20210",
  MontoTotalPagos: "CRP20211",
};
const RETENCION_TOTAL: Record<string, TotalKey> = {
  "001": "TotalRetencionesISR",
  "002": "TotalRetencionesIVA",
  "003": "TotalRetencionesIEPS",
};
const IVA_TASA_TOTAL: Record<string, [TotalKey, TotalKey]> = {
  "0.16": ["TotalTrasladosBaseIVA16", "TotalTrasladosImpuestoIVA16"],
  "0.08": ["TotalTrasladosBaseIVA8", "TotalTrasladosImpuestoIVA8"],
  "0": ["TotalTrasladosBaseIVA0", "TotalTrasladosImpuestoIVA0"],
};

/** Σ over payments of each Totales quantity × TipoCambioP; a key is absent when nothing feeds it, undefined when unreadable. */
function expectedTotales(ctx: Context, pagos: Pagos20) {
  const sums = new Map<TotalKey, Decimal | undefined>();
  const add = (key: TotalKey, value: Decimal | undefined, rate: Decimal | undefined) => {
    const prev = sums.has(key) ? sums.get(key) : new Dec(0);
    sums.set(key, prev && value && rate ? prev.plus(value.times(rate)) : undefined);
  };
  pagos.Pago.forEach((pago, p) => {
    const path = `${PAGOS}/Pago[${p + 1}]`;
    const rate =
      pago.TipoCambioP === undefined
        ? pago.MonedaP === "MXN"
          ? new Dec(1)
          : undefined
        : ctx.amount(pago.TipoCambioP, `${path}/@TipoCambioP`);
    add("MontoTotalPagos", ctx.amount(pago.Monto, `${path}/@Monto`), rate);
    pago.ImpuestosP?.RetencionesP?.forEach((r, i) => {
      const key = RETENCION_TOTAL[r.ImpuestoP];
      if (key)
        add(
          key,
          ctx.amount(r.ImporteP, `${path}/ImpuestosP/RetencionesP/RetencionP[${i + 1}]/@ImporteP`),
          rate,
        );
    });
    pago.ImpuestosP?.TrasladosP?.forEach((t, i) => {
      if (t.ImpuestoP !== "002") return;
      const tPath = `${path}/ImpuestosP/TrasladosP/TrasladoP[${i + 1}]`;
      const base = ctx.amount(t.BaseP, `${tPath}/@BaseP`);
      if (t.TipoFactorP === "Exento") {
        add("TotalTrasladosBaseIVAExento", base, rate);
        return;
      }
      const keys =
        t.TipoFactorP === "Tasa" && t.TasaOCuotaP && isDecimalLiteral(t.TasaOCuotaP)
          ? IVA_TASA_TOTAL[dec(t.TasaOCuotaP).toFixed()]
          : undefined;
      if (!keys) return;
      add(keys[0], base, rate);
      add(keys[1], ctx.amount(t.ImporteP, `${tPath}/@ImporteP`), rate);
    });
  });
  return sums;
}

function checkTotales(ctx: Context, pagos: Pagos20) {
  const sums = expectedTotales(ctx, pagos);
  const path = `${PAGOS}/Totales`;
  for (const [key, code] of Object.entries(TOTALES_CODES) as [TotalKey, string][]) {
    const written = pagos.Totales[key];
    const attrPath = `${path}/@${key}`;
    if (!sums.has(key)) {
      if (written !== undefined)
        ctx.error(code, `${key} must not exist: no payment carries that amount`, attrPath);
      continue;
    }
    const sum = sums.get(key);
    if (!sum) continue;
    const expected = roundSat(sum, 2);
    if (written === undefined) {
      ctx.error(code, `${key} is required: the payments add up to ${expected.toFixed(2)} MXN`, path);
      continue;
    }
    const value = ctx.amount(written, attrPath);
    if (value && !value.equals(expected)) {
      ctx.error(
        code,
        `${key} ${written} is not the rounded sum of the payments in MXN (${sum.toFixed()} → ${expected.toFixed(2)})`,
        attrPath,
      );
    }
  }
}

function checkPagos20(ctx: Context, pagos: Pagos20) {
  if (ctx.tipo !== "P")
    ctx.error(
      "CRP20101",
      'A CFDI with the Pagos complement must have TipoDeComprobante "P"',
      at("TipoDeComprobante"),
    );
  checkTotales(ctx, pagos);
  pagos.Pago.forEach((pago, p) => {
    const path = `${PAGOS}/Pago[${p + 1}]`;
    const forma = ctx.catalog(formasPago, pago.FormaDePagoP, "forma_pago_invalid", `${path}/@FormaDePagoP`);
    if (forma?.clave === "99")
      ctx.error("CRP20212", 'FormaDePagoP must not be "99"', `${path}/@FormaDePagoP`);
    const moneda = ctx.catalog(monedas, pago.MonedaP, "moneda_invalid", `${path}/@MonedaP`);
    if (pago.MonedaP === "XXX") ctx.error("CRP20213", 'MonedaP must not be "XXX"', `${path}/@MonedaP`);
    if (pago.TipoCambioP === undefined) {
      if (pago.MonedaP !== "MXN")
        ctx.error("CRP20214", `TipoCambioP is required for MonedaP ${pago.MonedaP}`, path);
    } else if (
      pago.MonedaP === "MXN" &&
      isDecimalLiteral(pago.TipoCambioP) &&
      !dec(pago.TipoCambioP).equals(1)
    ) {
      ctx.error("CRP20215", 'TipoCambioP must be "1" for MonedaP MXN', `${path}/@TipoCambioP`);
    }
    const monto = ctx.amount(pago.Monto, `${path}/@Monto`);
    if (monto?.lte(0)) ctx.error("CRP20218", "Monto must be greater than 0", `${path}/@Monto`);
    ctx.currencyDecimals(pago.Monto, "CRP20219", `${path}/@Monto`, moneda?.decimales);
    checkCuentas(ctx, pago, path);

    const groups = { traslados: new Map<string, Group>(), retenciones: new Map<string, Group>() };
    let pagado: Decimal | undefined = new Dec(0);
    pago.DoctoRelacionado.forEach((d, i) => {
      const inP = checkDocto(ctx, pago, d, `${path}/DoctoRelacionado[${i + 1}]`, groups);
      pagado = inP && pagado ? pagado.plus(inP) : undefined;
    });
    if (monto && pagado && moneda && roundSat(pagado, moneda.decimales).gt(monto)) {
      ctx.error(
        "CRP20217",
        `The documents' ImpPagado add up to ${roundSat(pagado, moneda.decimales).toFixed()} ${pago.MonedaP}, more than Monto ${pago.Monto}`,
        `${path}/@Monto`,
      );
    }
    checkImpuestosP(ctx, pago, path, groups);
  });
}

/** Pagos 1.0 (CFDI 3.3): balances and Monto only; its SAT matrix is not carried here. */
function checkPagos10(ctx: Context, pagos: Pagos10) {
  pagos.Pago.forEach((pago, p) => {
    const path = `${PAGOS}/Pago[${p + 1}]`;
    const monto = ctx.amount(pago.Monto, `${path}/@Monto`);
    let pagado: Decimal | undefined = new Dec(0);
    pago.DoctoRelacionado.forEach((d, i) => {
      const dPath = `${path}/DoctoRelacionado[${i + 1}]`;
      const anterior = ctx.amount(d.ImpSaldoAnt, `${dPath}/@ImpSaldoAnt`);
      const pagadoDR = ctx.amount(d.ImpPagado, `${dPath}/@ImpPagado`);
      const insoluto = ctx.amount(d.ImpSaldoInsoluto, `${dPath}/@ImpSaldoInsoluto`);
      if (anterior && pagadoDR && insoluto && !insoluto.equals(anterior.minus(pagadoDR))) {
        ctx.error(
          "saldo_insoluto_mismatch",
          `ImpSaldoInsoluto ${d.ImpSaldoInsoluto} is not ImpSaldoAnt − ImpPagado`,
          `${dPath}/@ImpSaldoInsoluto`,
        );
      }
      // Without ImpPagado (single related document) the whole Monto pays it.
      if (d.ImpPagado === undefined) return;
      const rate =
        d.TipoCambioDR === undefined ? new Dec(1) : ctx.amount(d.TipoCambioDR, `${dPath}/@TipoCambioDR`);
      pagado = pagado && pagadoDR && rate && !rate.isZero() ? pagado.plus(pagadoDR.div(rate)) : undefined;
    });
    const places = monedas.get(pago.MonedaP)?.decimales;
    if (monto && pagado && places !== undefined && roundSat(pagado, places).gt(monto)) {
      ctx.error(
        "monto_insuficiente",
        `The documents' ImpPagado add up to more than Monto ${pago.Monto}`,
        `${path}/@Monto`,
      );
    }
  });
}

export function checkPagos(ctx: Context) {
  const pagos20 = complemento(ctx.cfdi, "Pagos20");
  if (ctx.is40 && ctx.tipo === "P") {
    checkComprobantePago(ctx);
    if (!pagos20)
      ctx.error(
        "pagos_missing",
        "A CFDI de pago 4.0 requires the Pagos 2.0 complement",
        "Comprobante/Complemento",
      );
  }
  if (pagos20) checkPagos20(ctx, pagos20);
  const pagos10 = complemento(ctx.cfdi, "Pagos10");
  if (pagos10) checkPagos10(ctx, pagos10);
}
