/**
 * Cadena original (the string SAT signs) computed natively from the typed model, byte-identical to
 * what SAT's XSLTs produce (cadenaoriginal_4_0.xslt, cadenaoriginal_3_3.xslt and the complement
 * stylesheets they include; TFD: cadenaoriginal_TFD_1_1.xslt):
 * `|` + each value prefixed by `|` in the stylesheet's fixed order + `||`, values passed through
 * normalize-space, Requerido attributes always printed (empty when absent), Opcional ones only when
 * present (even if empty). The Comprobante is written out by hand here for speed; complements go
 * through the transcribed stylesheets of ./complements.
 *
 * Errors: `cadena_unsupported_complement` (422) when the document carries a complement (or
 * ComplementoConcepto child) not transcribed, instead of silently leaving it out.
 */
import type {
  Cfdi,
  Concepto,
  Impuestos,
  InformacionAduanera,
  Parte,
  TimbreFiscalDigital,
  XmlNode,
} from "../model";
import { complementCadena } from "./complements";
import { normalizeSpace } from "./normalize";

export { type ComplementSpec, complementCadena } from "./complements";
export { normalizeSpace } from "./normalize";

export const CADENA_ERROR_CODES = ["cadena_unsupported_complement"] as const;

/** Requerido: `|value` (just `|` when the attribute is absent; the model then holds ""). */
const req = (value: string | undefined): string => (value === undefined ? "|" : `|${normalizeSpace(value)}`);

/** Opcional: `|value` only when the attribute is present. */
const opt = (value: string | undefined): string => (value === undefined ? "" : `|${normalizeSpace(value)}`);

export function cadenaOriginal(cfdi: Cfdi): string {
  const v4 = cfdi.Version === "4.0";
  let s =
    "|" +
    req(cfdi.Version) +
    opt(cfdi.Serie) +
    opt(cfdi.Folio) +
    req(cfdi.Fecha) +
    opt(cfdi.FormaPago) +
    req(cfdi.NoCertificado) +
    opt(cfdi.CondicionesDePago) +
    req(cfdi.SubTotal) +
    opt(cfdi.Descuento) +
    req(cfdi.Moneda) +
    opt(cfdi.TipoCambio) +
    req(cfdi.Total) +
    req(cfdi.TipoDeComprobante) +
    (v4 ? req(cfdi.Exportacion) : "") +
    opt(cfdi.MetodoPago) +
    req(cfdi.LugarExpedicion) +
    opt(cfdi.Confirmacion);

  const global = cfdi.InformacionGlobal;
  if (global) s += req(global.Periodicidad) + req(global.Meses) + req(global.Año);

  for (const group of cfdi.CfdiRelacionados) {
    s += req(group.TipoRelacion);
    for (const uuid of group.CfdiRelacionado) s += req(uuid);
  }

  const e = cfdi.Emisor;
  s += v4
    ? req(e.Rfc) + req(e.Nombre) + req(e.RegimenFiscal) + opt(e.FacAtrAdquirente)
    : req(e.Rfc) + opt(e.Nombre) + req(e.RegimenFiscal);

  const r = cfdi.Receptor;
  s += v4
    ? req(r.Rfc) +
      req(r.Nombre) +
      req(r.DomicilioFiscalReceptor) +
      opt(r.ResidenciaFiscal) +
      opt(r.NumRegIdTrib) +
      req(r.RegimenFiscalReceptor) +
      req(r.UsoCFDI)
    : req(r.Rfc) + opt(r.Nombre) + opt(r.ResidenciaFiscal) + opt(r.NumRegIdTrib) + req(r.UsoCFDI);

  for (const concepto of cfdi.Conceptos) s += conceptoCadena(cfdi, concepto, v4);

  if (cfdi.Impuestos) s += impuestosCadena(cfdi.Impuestos, v4);

  for (const c of cfdi.Complemento) s += complementCadena(cfdi.Version, c.node);

  return `${s}||`;
}

function conceptoCadena(cfdi: Cfdi, c: Concepto, v4: boolean): string {
  let s =
    req(c.ClaveProdServ) +
    opt(c.NoIdentificacion) +
    req(c.Cantidad) +
    req(c.ClaveUnidad) +
    opt(c.Unidad) +
    req(c.Descripcion) +
    req(c.ValorUnitario) +
    req(c.Importe) +
    opt(c.Descuento) +
    (v4 ? req(c.ObjetoImp) : "");
  const impuestos = c.Impuestos;
  if (impuestos) {
    if (impuestos.Traslados) {
      for (const t of impuestos.Traslados) {
        s += req(t.Base) + req(t.Impuesto) + req(t.TipoFactor) + opt(t.TasaOCuota) + opt(t.Importe);
      }
    }
    if (impuestos.Retenciones) {
      for (const t of impuestos.Retenciones) {
        s += req(t.Base) + req(t.Impuesto) + req(t.TipoFactor) + req(t.TasaOCuota) + req(t.Importe);
      }
    }
  }
  const terceros = c.ACuentaTerceros;
  if (terceros) {
    s +=
      req(terceros.RfcACuentaTerceros) +
      req(terceros.NombreACuentaTerceros) +
      req(terceros.RegimenFiscalACuentaTerceros) +
      req(terceros.DomicilioFiscalACuentaTerceros);
  }
  s += aduanera(c.InformacionAduanera);
  for (const predial of c.CuentaPredial) s += req(predial.Numero);
  if (c.ComplementoConcepto) s += complementos(cfdi, c.ComplementoConcepto);
  for (const parte of c.Parte) s += parteCadena(parte);
  return s;
}

function aduanera(list: InformacionAduanera[]): string {
  let s = "";
  for (const a of list) s += req(a.NumeroPedimento);
  return s;
}

function complementos(cfdi: Cfdi, nodes: XmlNode[]): string {
  let s = "";
  for (const node of nodes) s += complementCadena(cfdi.Version, node);
  return s;
}

function parteCadena(p: Parte): string {
  return (
    req(p.ClaveProdServ) +
    opt(p.NoIdentificacion) +
    req(p.Cantidad) +
    opt(p.Unidad) +
    req(p.Descripcion) +
    opt(p.ValorUnitario) +
    opt(p.Importe) +
    aduanera(p.InformacionAduanera)
  );
}

function impuestosCadena(impuestos: Impuestos, v4: boolean): string {
  let s = "";
  if (impuestos.Retenciones) {
    for (const r of impuestos.Retenciones) s += req(r.Impuesto) + req(r.Importe);
  }
  s += opt(impuestos.TotalImpuestosRetenidos);
  if (impuestos.Traslados) {
    for (const t of impuestos.Traslados) {
      s += v4
        ? req(t.Base) + req(t.Impuesto) + req(t.TipoFactor) + opt(t.TasaOCuota) + opt(t.Importe)
        : req(t.Impuesto) + req(t.TipoFactor) + req(t.TasaOCuota) + req(t.Importe);
    }
  }
  return s + opt(impuestos.TotalImpuestosTrasladados);
}

/** Cadena original of the stamp (cadenaoriginal_TFD_1_1.xslt): what the PAC's SelloSAT signs. */
export function tfdCadena(tfd: TimbreFiscalDigital): string {
  return (
    "|" +
    req(tfd.Version) +
    req(tfd.UUID) +
    req(tfd.FechaTimbrado) +
    req(tfd.RfcProvCertif) +
    opt(tfd.Leyenda) +
    req(tfd.SelloCFD) +
    req(tfd.NoCertificadoSAT) +
    "||"
  );
}
