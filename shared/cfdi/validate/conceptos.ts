/**
 * Rules on each Concepto, its taxes and its Partes (CFDI40162–CFDI40199), including the SAT
 * tolerances on Importe (see ../amounts). Conceptos of a CFDI de pago 4.0 are judged by ./pagos.
 */
import {
  clavesUnidad,
  findReglaTasaCuota,
  impuestos,
  objetosImpuesto,
  regimenesFiscales,
  tiposFactor,
} from "../../catalogs";
import { type Bounds, conceptImporteBounds, decimalPlaces, taxImporteBounds, withinBounds } from "../amounts";
import type { Concepto, InformacionAduanera, Parte, RetencionConcepto, TrasladoConcepto } from "../model";
import type { Context } from "./context";
import { isRfc } from "./rfc";

const PEDIMENTO = /^[0-9]{2} {2}[0-9]{2} {2}[0-9]{4} {2}[0-9]{7}$/;
const CLAVE_PROD_SERV = /^[0-9]{8}$/;
/** ObjetoImp keys that forbid the concept's Impuestos node: no objeto, no desglose, no causa. */
const OBJETO_SIN_IMPUESTOS = new Set(["01", "03", "04"]);

const describe = ({ lower, upper }: Bounds) => `[${lower.toFixed()}, ${upper.toFixed()}]`;

function checkClaveProdServ(ctx: Context, clave: string, code: string, path: string) {
  if (!CLAVE_PROD_SERV.test(clave)) {
    ctx.error(code, `ClaveProdServ "${clave}" is not an 8-digit key`, path);
  } else if (ctx.lookups.productKeyExists?.(clave) === false) {
    ctx.error(code, `ClaveProdServ "${clave}" is not in the SAT catalog c_ClaveProdServ`, path);
  }
}

function checkPedimentos(ctx: Context, list: InformacionAduanera[], code: string, base: string) {
  list.forEach((info, i) => {
    if (!PEDIMENTO.test(info.NumeroPedimento)) {
      ctx.error(
        code,
        `NumeroPedimento "${info.NumeroPedimento}" is not "AA  AA  PPPP  NNNNNNN" (year, aduana, patente, number, two spaces apart)`,
        `${base}/InformacionAduanera[${i + 1}]/@NumeroPedimento`,
      );
    }
  });
}

/** Importe within the SAT tolerance of Cantidad × ValorUnitario; `code` reports it outside. */
function checkImporte(
  ctx: Context,
  item: { Cantidad: string; ValorUnitario?: string; Importe?: string },
  code: string,
  base: string,
) {
  const cantidad = ctx.amount(item.Cantidad, `${base}/@Cantidad`);
  const valor = ctx.amount(item.ValorUnitario, `${base}/@ValorUnitario`);
  const importe = ctx.amount(item.Importe, `${base}/@Importe`);
  if (!cantidad || !valor || !importe || item.ValorUnitario === undefined || item.Importe === undefined)
    return;
  const bounds = conceptImporteBounds(item.Cantidad, item.ValorUnitario, decimalPlaces(item.Importe));
  if (!withinBounds(importe, bounds)) {
    ctx.error(
      code,
      `Importe ${item.Importe} is outside the SAT limits ${describe(bounds)} for Cantidad ${item.Cantidad} × ValorUnitario ${item.ValorUnitario}`,
      `${base}/@Importe`,
    );
  }
}

function checkParte(ctx: Context, parte: Parte, base: string) {
  checkClaveProdServ(ctx, parte.ClaveProdServ, "CFDI40196", `${base}/@ClaveProdServ`);
  const valor = ctx.amount(parte.ValorUnitario, `${base}/@ValorUnitario`);
  if (valor?.lte(0))
    ctx.error("CFDI40197", "ValorUnitario of a Parte must be greater than 0", `${base}/@ValorUnitario`);
  checkImporte(ctx, parte, "CFDI40198", base);
  checkPedimentos(ctx, parte.InformacionAduanera, "CFDI40199", base);
}

interface TaxCodes {
  base: string;
  impuesto: string;
  factor: string;
  tasa: string;
  importe: string;
}
const TRASLADO: TaxCodes = {
  base: "CFDI40174",
  impuesto: "CFDI40175",
  factor: "CFDI40176",
  tasa: "CFDI40179",
  importe: "CFDI40180",
};
const RETENCION: TaxCodes = {
  base: "CFDI40181",
  impuesto: "CFDI40182",
  factor: "CFDI40183",
  tasa: "CFDI40185",
  importe: "CFDI40186",
};

/** Checks shared by traslados and retenciones; returns nothing, reports everything. */
function checkTax(
  ctx: Context,
  tax: TrasladoConcepto | RetencionConcepto,
  uso: "traslado" | "retencion",
  base: string,
) {
  const codes = uso === "traslado" ? TRASLADO : RETENCION;
  const label = uso === "traslado" ? "Traslado" : "Retención";
  const baseAmount = ctx.amount(tax.Base, `${base}/@Base`);
  if (baseAmount?.lte(0)) ctx.error(codes.base, `Base of a ${label} must be greater than 0`, `${base}/@Base`);
  const impuesto = ctx.catalog(impuestos, tax.Impuesto, codes.impuesto, `${base}/@Impuesto`);
  if (impuesto && !impuesto[uso]) {
    ctx.error(
      codes.impuesto,
      `Impuesto ${impuesto.clave} (${impuesto.texto}) cannot be a ${label}`,
      `${base}/@Impuesto`,
    );
  }
  const factor = ctx.catalog(tiposFactor, tax.TipoFactor, codes.factor, `${base}/@TipoFactor`);
  if (!factor) return;
  if (factor.clave === "Exento") {
    if (uso === "retencion") {
      ctx.error("CFDI40184", "A Retención cannot be Exento", `${base}/@TipoFactor`);
    } else if (tax.TasaOCuota !== undefined || tax.Importe !== undefined) {
      ctx.error(
        "CFDI40177",
        "An Exento Traslado must not have TasaOCuota nor Importe",
        `${base}/@TipoFactor`,
      );
    }
    return;
  }
  if (tax.TasaOCuota === undefined || tax.Importe === undefined) {
    ctx.error(
      "CFDI40178",
      `A Traslado with TipoFactor ${factor.clave} requires TasaOCuota and Importe`,
      `${base}/@TipoFactor`,
    );
    return;
  }
  const rate = ctx.amount(tax.TasaOCuota, `${base}/@TasaOCuota`);
  if (rate && impuesto && !findReglaTasaCuota(impuesto.clave, factor.clave, tax.TasaOCuota, uso, ctx.fecha)) {
    ctx.error(
      codes.tasa,
      `TasaOCuota ${tax.TasaOCuota} is not allowed by c_TasaOCuota for ${impuesto.texto} ${factor.clave} as a ${label}`,
      `${base}/@TasaOCuota`,
    );
  }
  const importe = ctx.amount(tax.Importe, `${base}/@Importe`);
  if (!baseAmount || !rate || !importe) return;
  const bounds = taxImporteBounds(tax.Base, tax.TasaOCuota, decimalPlaces(tax.Importe));
  if (!withinBounds(importe, bounds)) {
    ctx.error(
      codes.importe,
      `Importe ${tax.Importe} of the ${label} is outside the SAT limits ${describe(bounds)} for Base ${tax.Base} × ${tax.TasaOCuota}`,
      `${base}/@Importe`,
    );
  }
}

function checkConcepto(ctx: Context, c: Concepto, base: string) {
  checkClaveProdServ(ctx, c.ClaveProdServ, "CFDI40162", `${base}/@ClaveProdServ`);
  ctx.catalog(clavesUnidad, c.ClaveUnidad, "CFDI40165", `${base}/@ClaveUnidad`);
  const valor = ctx.amount(c.ValorUnitario, `${base}/@ValorUnitario`);
  if (valor?.lte(0) && ["I", "E", "N"].includes(ctx.tipo)) {
    ctx.error(
      "CFDI40166",
      `ValorUnitario must be greater than 0 in a CFDI of type ${ctx.tipo}`,
      `${base}/@ValorUnitario`,
    );
  }
  checkImporte(ctx, c, "CFDI40167", base);

  if (c.Descuento !== undefined) {
    const descuento = ctx.amount(c.Descuento, `${base}/@Descuento`);
    const importe = ctx.amount(c.Importe, `${base}/@Importe`);
    if (descuento && decimalPlaces(c.Descuento) > decimalPlaces(c.Importe)) {
      ctx.error(
        "CFDI40168",
        `Descuento ${c.Descuento} has more decimals than Importe ${c.Importe}`,
        `${base}/@Descuento`,
      );
    }
    if (descuento && importe && descuento.gt(importe)) {
      ctx.error(
        "CFDI40169",
        `Descuento ${c.Descuento} is greater than Importe ${c.Importe}`,
        `${base}/@Descuento`,
      );
    }
  }

  if (ctx.is40 && c.ObjetoImp !== undefined) {
    const objeto = ctx.catalog(objetosImpuesto, c.ObjetoImp, "CFDI40170", `${base}/@ObjetoImp`);
    if (objeto?.clave === "02" && !c.Impuestos) {
      ctx.error("CFDI40171", "ObjetoImp 02 requires the concept's Impuestos node", `${base}/@ObjetoImp`);
    } else if (objeto && OBJETO_SIN_IMPUESTOS.has(objeto.clave) && c.Impuestos) {
      ctx.error(
        "CFDI40172",
        `ObjetoImp ${objeto.clave} forbids the concept's Impuestos node`,
        `${base}/Impuestos`,
      );
    }
  }

  if (c.Impuestos) {
    const traslados = c.Impuestos.Traslados ?? [];
    const retenciones = c.Impuestos.Retenciones ?? [];
    if (traslados.length + retenciones.length === 0) {
      ctx.error(
        "CFDI40173",
        "The concept's Impuestos node has neither Traslados nor Retenciones",
        `${base}/Impuestos`,
      );
    }
    traslados.forEach((t, i) => {
      checkTax(ctx, t, "traslado", `${base}/Impuestos/Traslados/Traslado[${i + 1}]`);
    });
    retenciones.forEach((r, i) => {
      checkTax(ctx, r, "retencion", `${base}/Impuestos/Retenciones/Retencion[${i + 1}]`);
    });
  }

  if (c.ACuentaTerceros) {
    const t = c.ACuentaTerceros;
    const path = `${base}/ACuentaTerceros`;
    if (!isRfc(t.RfcACuentaTerceros)) {
      ctx.error(
        "rfc_invalid",
        `RfcACuentaTerceros "${t.RfcACuentaTerceros}" is not a well-formed RFC`,
        `${path}/@RfcACuentaTerceros`,
      );
    }
    ctx.catalog(
      regimenesFiscales,
      t.RegimenFiscalACuentaTerceros,
      "CFDI40191",
      `${path}/@RegimenFiscalACuentaTerceros`,
    );
    if (!/^[0-9]{5}$/.test(t.DomicilioFiscalACuentaTerceros)) {
      ctx.error(
        "codigo_postal_invalid",
        `DomicilioFiscalACuentaTerceros "${t.DomicilioFiscalACuentaTerceros}" is not a 5-digit postal code`,
        `${path}/@DomicilioFiscalACuentaTerceros`,
      );
    }
  }
  checkPedimentos(ctx, c.InformacionAduanera, "CFDI40194", base);
  c.Parte.forEach((p, i) => {
    checkParte(ctx, p, `${base}/Parte[${i + 1}]`);
  });
}

export function checkConceptos(ctx: Context) {
  if (ctx.is40 && ctx.tipo === "P") return;
  ctx.cfdi.Conceptos.forEach((c, i) => {
    checkConcepto(ctx, c, `Comprobante/Conceptos/Concepto[${i + 1}]`);
  });
}
