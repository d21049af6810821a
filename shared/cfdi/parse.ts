/**
 * `parseCfdi`: CFDI 3.3 / 4.0 XML (bytes or text) to the typed model of ./model.
 *
 * Elements are matched on namespace URI + local name, never on the prefix a document happens to
 * use. Elements SAT's XSD makes mandatory (Emisor, Receptor, at least one Concepto, pago20:Totales,
 * at least one Pago…) are checked here because the rest of the engine relies on them; an absent
 * required attribute only becomes "" plus an entry in `Cfdi.missingAttributes` (see ./model).
 * Everything else (catalog values, amounts, cross-field rules) is validation's job and is kept
 * verbatim.
 *
 * Error codes, besides those of ./xml (XML_ERROR_CODES), all AppError status 422:
 * - `cfdi_not_comprobante`: the root element is not a SAT cfdi:Comprobante
 * - `cfdi_unsupported_version`: a Comprobante of another version (CFD 2.x, CFDI 3.2…)
 * - `cfdi_malformed`: a required element missing, or a single element repeated; `details.path`
 *   points at it, e.g. "Comprobante/Complemento/Pagos/Totales"
 */
import { AppError, unprocessable } from "../errors";
import {
  type ACuentaTerceros,
  CFDI_NAMESPACE,
  type Cfdi,
  type CfdiRelacionados,
  type CfdiVersion,
  COMPLEMENT_NAMESPACE,
  type Complemento,
  type Concepto,
  type ConceptoImpuestos,
  type DoctoRelacionado10,
  type DoctoRelacionado20,
  type Emisor,
  type Impuestos,
  type ImpuestosDR,
  type ImpuestosLocales,
  type ImpuestosP,
  type InformacionAduanera,
  type InformacionGlobal,
  type Pago10,
  type Pago20,
  type PagoAttributes,
  type PagoImpuestos10,
  type Pagos10,
  type Pagos20,
  type PagosTotales,
  type Parte,
  type Receptor,
  type TimbreFiscalDigital,
  type XmlNode,
} from "./model";
import { parseXml, XML_ERROR_CODES } from "./xml";

export const CFDI_ERROR_CODES = [
  ...XML_ERROR_CODES,
  "cfdi_not_comprobante",
  "cfdi_unsupported_version",
  "cfdi_malformed",
] as const;
export type CfdiErrorCode = (typeof CFDI_ERROR_CODES)[number];

export function parseCfdi(input: string | Uint8Array): Cfdi {
  return cfdiFromXml(parseXml(input));
}

/** The model of an already parsed document (e.g. one found inside another XML envelope). */
export function cfdiFromXml(root: XmlNode): Cfdi {
  const version = detectVersion(root);
  const missing: string[] = [];
  missingAttributes = missing;
  const cfdi = new CfdiReader(version).comprobante(root);
  cfdi.missingAttributes = missing;
  return cfdi;
}

function detectVersion(root: XmlNode): CfdiVersion {
  const declared = root.attributes.Version ?? root.attributes.version;
  const sat = root.namespace.startsWith("http://www.sat.gob.mx/cfd/");
  if (root.name !== "Comprobante" || !sat) {
    throw unprocessable(
      "cfdi_not_comprobante",
      `The XML is not a CFDI: its root element is <${root.prefix ? `${root.prefix}:` : ""}${root.name}>` +
        (root.name === "Comprobante" ? ` in namespace "${root.namespace}"` : ""),
      { element: root.name, namespace: root.namespace },
    );
  }
  if (root.namespace === CFDI_NAMESPACE["4.0"] && declared === "4.0") return "4.0";
  if (root.namespace === CFDI_NAMESPACE["3.3"] && declared === "3.3") return "3.3";
  throw unprocessable(
    "cfdi_unsupported_version",
    `CFDI version ${declared === undefined ? "(none declared)" : `"${declared}"`} is not supported; only 3.3 and 4.0 are`,
    { version: declared ?? null, namespace: root.namespace },
  );
}

type Attrs = Record<string, string | undefined>;

function missing(path: string, what: string): never {
  throw unprocessable("cfdi_malformed", `The CFDI is missing ${what} at ${path}`, { path });
}

function repeated(path: string): never {
  throw unprocessable("cfdi_malformed", `The CFDI has more than one ${path}`, { path });
}

// Where `attr` records absent required attributes. parseCfdi is synchronous, so the one document
// being read owns it for the whole call.
let missingAttributes: string[] = [];

function attr(path: string, a: Attrs, name: string): string {
  const value = a[name];
  if (value !== undefined) return value;
  missingAttributes.push(`${path}/@${name}`);
  return "";
}

class CfdiReader {
  readonly ns: string;
  readonly v4: boolean;

  constructor(version: CfdiVersion) {
    this.ns = CFDI_NAMESPACE[version];
    this.v4 = version === "4.0";
  }

  /** Required only in 4.0: present or absent as found in 3.3. */
  v4attr(path: string, a: Attrs, name: string): string | undefined {
    return this.v4 ? attr(path, a, name) : a[name];
  }

  comprobante(root: XmlNode): Cfdi {
    const p = "Comprobante";
    const a: Attrs = root.attributes;
    const cfdi: Cfdi = {
      Version: this.v4 ? "4.0" : "3.3",
      Serie: a.Serie,
      Folio: a.Folio,
      Fecha: attr(p, a, "Fecha"),
      Sello: a.Sello,
      FormaPago: a.FormaPago,
      NoCertificado: a.NoCertificado,
      Certificado: a.Certificado,
      CondicionesDePago: a.CondicionesDePago,
      SubTotal: attr(p, a, "SubTotal"),
      Descuento: a.Descuento,
      Moneda: attr(p, a, "Moneda"),
      TipoCambio: a.TipoCambio,
      Total: attr(p, a, "Total"),
      TipoDeComprobante: attr(p, a, "TipoDeComprobante"),
      Exportacion: this.v4attr(p, a, "Exportacion"),
      MetodoPago: a.MetodoPago,
      LugarExpedicion: attr(p, a, "LugarExpedicion"),
      Confirmacion: a.Confirmacion,
      InformacionGlobal: undefined,
      CfdiRelacionados: [],
      Emisor: undefined as unknown as Emisor,
      Receptor: undefined as unknown as Receptor,
      Conceptos: [],
      Impuestos: undefined,
      Complemento: [],
      Addenda: undefined,
      missingAttributes: [],
    };
    let conceptos = false;
    for (const child of root.children) {
      if (child.namespace !== this.ns) continue;
      switch (child.name) {
        case "InformacionGlobal":
          if (!this.v4) break;
          if (cfdi.InformacionGlobal) repeated(`${p}/InformacionGlobal`);
          cfdi.InformacionGlobal = informacionGlobal(`${p}/InformacionGlobal`, child.attributes);
          break;
        case "CfdiRelacionados":
          if (!this.v4 && cfdi.CfdiRelacionados.length > 0) repeated(`${p}/CfdiRelacionados`);
          cfdi.CfdiRelacionados.push(this.relacionados(`${p}/CfdiRelacionados`, child));
          break;
        case "Emisor":
          if (cfdi.Emisor) repeated(`${p}/Emisor`);
          cfdi.Emisor = this.emisor(`${p}/Emisor`, child.attributes);
          break;
        case "Receptor":
          if (cfdi.Receptor) repeated(`${p}/Receptor`);
          cfdi.Receptor = this.receptor(`${p}/Receptor`, child.attributes);
          break;
        case "Conceptos":
          if (conceptos) repeated(`${p}/Conceptos`);
          conceptos = true;
          this.conceptos(`${p}/Conceptos`, child, cfdi.Conceptos);
          break;
        case "Impuestos":
          if (cfdi.Impuestos) repeated(`${p}/Impuestos`);
          cfdi.Impuestos = this.impuestos(`${p}/Impuestos`, child);
          break;
        case "Complemento":
          for (const c of child.children) cfdi.Complemento.push(complemento(`${p}/Complemento`, c));
          break;
        case "Addenda":
          if (cfdi.Addenda) repeated(`${p}/Addenda`);
          cfdi.Addenda = child.children;
          break;
      }
    }
    if (!cfdi.Emisor) missing(`${p}/Emisor`, "element Emisor");
    if (!cfdi.Receptor) missing(`${p}/Receptor`, "element Receptor");
    if (cfdi.Conceptos.length === 0) missing(`${p}/Conceptos/Concepto`, "element Concepto");
    return cfdi;
  }

  relacionados(path: string, node: XmlNode): CfdiRelacionados {
    const uuids: string[] = [];
    for (const c of node.children) {
      if (c.namespace === this.ns && c.name === "CfdiRelacionado") {
        uuids.push(attr(`${path}/CfdiRelacionado[${uuids.length + 1}]`, c.attributes, "UUID"));
      }
    }
    if (uuids.length === 0) missing(`${path}/CfdiRelacionado`, "element CfdiRelacionado");
    return { TipoRelacion: attr(path, node.attributes, "TipoRelacion"), CfdiRelacionado: uuids };
  }

  emisor(p: string, a: Attrs): Emisor {
    return {
      Rfc: attr(p, a, "Rfc"),
      Nombre: this.v4attr(p, a, "Nombre"),
      RegimenFiscal: attr(p, a, "RegimenFiscal"),
      FacAtrAdquirente: a.FacAtrAdquirente,
    };
  }

  receptor(p: string, a: Attrs): Receptor {
    return {
      Rfc: attr(p, a, "Rfc"),
      Nombre: this.v4attr(p, a, "Nombre"),
      DomicilioFiscalReceptor: this.v4attr(p, a, "DomicilioFiscalReceptor"),
      ResidenciaFiscal: a.ResidenciaFiscal,
      NumRegIdTrib: a.NumRegIdTrib,
      RegimenFiscalReceptor: this.v4attr(p, a, "RegimenFiscalReceptor"),
      UsoCFDI: attr(p, a, "UsoCFDI"),
    };
  }

  conceptos(path: string, node: XmlNode, out: Concepto[]): void {
    for (const c of node.children) {
      if (c.namespace === this.ns && c.name === "Concepto") {
        out.push(this.concepto(`${path}/Concepto[${out.length + 1}]`, c));
      }
    }
  }

  concepto(p: string, node: XmlNode): Concepto {
    const a: Attrs = node.attributes;
    const concepto: Concepto = {
      ClaveProdServ: attr(p, a, "ClaveProdServ"),
      NoIdentificacion: a.NoIdentificacion,
      Cantidad: attr(p, a, "Cantidad"),
      ClaveUnidad: attr(p, a, "ClaveUnidad"),
      Unidad: a.Unidad,
      Descripcion: attr(p, a, "Descripcion"),
      ValorUnitario: attr(p, a, "ValorUnitario"),
      Importe: attr(p, a, "Importe"),
      Descuento: a.Descuento,
      ObjetoImp: this.v4attr(p, a, "ObjetoImp"),
      Impuestos: undefined,
      ACuentaTerceros: undefined,
      InformacionAduanera: [],
      CuentaPredial: [],
      ComplementoConcepto: undefined,
      Parte: [],
    };
    for (const c of node.children) {
      if (c.namespace !== this.ns) continue;
      switch (c.name) {
        case "Impuestos":
          if (concepto.Impuestos) repeated(`${p}/Impuestos`);
          concepto.Impuestos = this.conceptoImpuestos(`${p}/Impuestos`, c);
          break;
        case "ACuentaTerceros":
          if (!this.v4) break;
          if (concepto.ACuentaTerceros) repeated(`${p}/ACuentaTerceros`);
          concepto.ACuentaTerceros = aCuentaTerceros(`${p}/ACuentaTerceros`, c.attributes);
          break;
        case "InformacionAduanera":
          concepto.InformacionAduanera.push(
            informacionAduanera(`${p}/InformacionAduanera[${concepto.InformacionAduanera.length + 1}]`, c),
          );
          break;
        case "CuentaPredial":
          if (!this.v4 && concepto.CuentaPredial.length > 0) repeated(`${p}/CuentaPredial`);
          concepto.CuentaPredial.push({
            Numero: attr(`${p}/CuentaPredial[${concepto.CuentaPredial.length + 1}]`, c.attributes, "Numero"),
          });
          break;
        case "ComplementoConcepto":
          if (concepto.ComplementoConcepto) repeated(`${p}/ComplementoConcepto`);
          concepto.ComplementoConcepto = c.children;
          break;
        case "Parte":
          concepto.Parte.push(this.parte(`${p}/Parte[${concepto.Parte.length + 1}]`, c));
          break;
      }
    }
    return concepto;
  }

  conceptoImpuestos(p: string, node: XmlNode): ConceptoImpuestos {
    const out: ConceptoImpuestos = { Traslados: undefined, Retenciones: undefined };
    for (const w of node.children) {
      if (w.namespace !== this.ns) continue;
      if (w.name === "Traslados") {
        if (out.Traslados) repeated(`${p}/Traslados`);
        out.Traslados = this.items(`${p}/Traslados`, w, "Traslado", (ip, a) => ({
          Base: attr(ip, a, "Base"),
          Impuesto: attr(ip, a, "Impuesto"),
          TipoFactor: attr(ip, a, "TipoFactor"),
          TasaOCuota: a.TasaOCuota,
          Importe: a.Importe,
        }));
      } else if (w.name === "Retenciones") {
        if (out.Retenciones) repeated(`${p}/Retenciones`);
        out.Retenciones = this.items(`${p}/Retenciones`, w, "Retencion", (ip, a) => ({
          Base: attr(ip, a, "Base"),
          Impuesto: attr(ip, a, "Impuesto"),
          TipoFactor: attr(ip, a, "TipoFactor"),
          TasaOCuota: attr(ip, a, "TasaOCuota"),
          Importe: attr(ip, a, "Importe"),
        }));
      }
    }
    return out;
  }

  impuestos(p: string, node: XmlNode): Impuestos {
    const a: Attrs = node.attributes;
    const out: Impuestos = {
      TotalImpuestosRetenidos: a.TotalImpuestosRetenidos,
      TotalImpuestosTrasladados: a.TotalImpuestosTrasladados,
      Retenciones: undefined,
      Traslados: undefined,
    };
    for (const w of node.children) {
      if (w.namespace !== this.ns) continue;
      if (w.name === "Retenciones") {
        if (out.Retenciones) repeated(`${p}/Retenciones`);
        out.Retenciones = this.items(`${p}/Retenciones`, w, "Retencion", (ip, x) => ({
          Impuesto: attr(ip, x, "Impuesto"),
          Importe: attr(ip, x, "Importe"),
        }));
      } else if (w.name === "Traslados") {
        if (out.Traslados) repeated(`${p}/Traslados`);
        out.Traslados = this.items(`${p}/Traslados`, w, "Traslado", (ip, x) => ({
          Base: this.v4attr(ip, x, "Base"),
          Impuesto: attr(ip, x, "Impuesto"),
          TipoFactor: attr(ip, x, "TipoFactor"),
          TasaOCuota: this.v4 ? x.TasaOCuota : attr(ip, x, "TasaOCuota"),
          Importe: this.v4 ? x.Importe : attr(ip, x, "Importe"),
        }));
      }
    }
    return out;
  }

  parte(p: string, node: XmlNode): Parte {
    const a: Attrs = node.attributes;
    const parte: Parte = {
      ClaveProdServ: attr(p, a, "ClaveProdServ"),
      NoIdentificacion: a.NoIdentificacion,
      Cantidad: attr(p, a, "Cantidad"),
      Unidad: a.Unidad,
      Descripcion: attr(p, a, "Descripcion"),
      ValorUnitario: a.ValorUnitario,
      Importe: a.Importe,
      InformacionAduanera: [],
    };
    for (const c of node.children) {
      if (c.namespace === this.ns && c.name === "InformacionAduanera") {
        parte.InformacionAduanera.push(
          informacionAduanera(`${p}/InformacionAduanera[${parte.InformacionAduanera.length + 1}]`, c),
        );
      }
    }
    return parte;
  }

  /** Children `name` of a cfdi-namespace wrapper, each mapped by `read(path, attributes)`. */
  items<T>(path: string, wrapper: XmlNode, name: string, read: (path: string, a: Attrs) => T): T[] {
    return children(path, wrapper, this.ns, name, read);
  }
}

function children<T>(
  path: string,
  wrapper: XmlNode,
  ns: string,
  name: string,
  read: (path: string, a: Attrs) => T,
): T[] {
  const out: T[] = [];
  for (const c of wrapper.children) {
    if (c.namespace === ns && c.name === name)
      out.push(read(`${path}/${name}[${out.length + 1}]`, c.attributes));
  }
  return out;
}

/** The single child `name` of `node` in `ns`, if any; a second one is malformed. */
function single(path: string, node: XmlNode, ns: string, name: string): XmlNode | undefined {
  let found: XmlNode | undefined;
  for (const c of node.children) {
    if (c.namespace === ns && c.name === name) {
      if (found) repeated(`${path}/${name}`);
      found = c;
    }
  }
  return found;
}

const informacionGlobal = (p: string, a: Attrs): InformacionGlobal => ({
  Periodicidad: attr(p, a, "Periodicidad"),
  Meses: attr(p, a, "Meses"),
  Año: attr(p, a, "Año"),
});

const aCuentaTerceros = (p: string, a: Attrs): ACuentaTerceros => ({
  RfcACuentaTerceros: attr(p, a, "RfcACuentaTerceros"),
  NombreACuentaTerceros: attr(p, a, "NombreACuentaTerceros"),
  RegimenFiscalACuentaTerceros: attr(p, a, "RegimenFiscalACuentaTerceros"),
  DomicilioFiscalACuentaTerceros: attr(p, a, "DomicilioFiscalACuentaTerceros"),
});

const informacionAduanera = (p: string, node: XmlNode): InformacionAduanera => ({
  NumeroPedimento: attr(p, node.attributes, "NumeroPedimento"),
});

// ---------------------------------------------------------------------------------------------
// Complements

function complemento(parent: string, node: XmlNode): Complemento {
  const p = `${parent}/${node.name}`;
  switch (node.namespace) {
    case COMPLEMENT_NAMESPACE.TimbreFiscalDigital:
      if (node.name === "TimbreFiscalDigital")
        return { kind: "TimbreFiscalDigital", data: tfd(p, node), node };
      break;
    case COMPLEMENT_NAMESPACE.Pagos20:
      if (node.name === "Pagos") return { kind: "Pagos20", data: pagos20(p, node), node };
      break;
    case COMPLEMENT_NAMESPACE.Pagos10:
      if (node.name === "Pagos") return { kind: "Pagos10", data: pagos10(p, node), node };
      break;
    case COMPLEMENT_NAMESPACE.ImpuestosLocales:
      if (node.name === "ImpuestosLocales")
        return { kind: "ImpuestosLocales", data: implocal(p, node), node };
      break;
  }
  return { kind: "other", node };
}

function tfd(p: string, node: XmlNode): TimbreFiscalDigital {
  const a: Attrs = node.attributes;
  return {
    Version: attr(p, a, "Version"),
    UUID: attr(p, a, "UUID"),
    FechaTimbrado: attr(p, a, "FechaTimbrado"),
    RfcProvCertif: attr(p, a, "RfcProvCertif"),
    Leyenda: a.Leyenda,
    SelloCFD: attr(p, a, "SelloCFD"),
    NoCertificadoSAT: attr(p, a, "NoCertificadoSAT"),
    SelloSAT: attr(p, a, "SelloSAT"),
  };
}

function pagoAttributes(p: string, a: Attrs): PagoAttributes {
  return {
    FechaPago: attr(p, a, "FechaPago"),
    FormaDePagoP: attr(p, a, "FormaDePagoP"),
    MonedaP: attr(p, a, "MonedaP"),
    TipoCambioP: a.TipoCambioP,
    Monto: attr(p, a, "Monto"),
    NumOperacion: a.NumOperacion,
    RfcEmisorCtaOrd: a.RfcEmisorCtaOrd,
    NomBancoOrdExt: a.NomBancoOrdExt,
    CtaOrdenante: a.CtaOrdenante,
    RfcEmisorCtaBen: a.RfcEmisorCtaBen,
    CtaBeneficiario: a.CtaBeneficiario,
    TipoCadPago: a.TipoCadPago,
    CertPago: a.CertPago,
    CadPago: a.CadPago,
    SelloPago: a.SelloPago,
  };
}

function pagos20(p: string, node: XmlNode): Pagos20 {
  const ns = COMPLEMENT_NAMESPACE.Pagos20;
  const totales = single(p, node, ns, "Totales") ?? missing(`${p}/Totales`, "element Totales");
  const t: Attrs = totales.attributes;
  const Totales: PagosTotales = {
    TotalRetencionesIVA: t.TotalRetencionesIVA,
    TotalRetencionesISR: t.TotalRetencionesISR,
    TotalRetencionesIEPS: t.TotalRetencionesIEPS,
    TotalTrasladosBaseIVA16: t.TotalTrasladosBaseIVA16,
    TotalTrasladosImpuestoIVA16: t.TotalTrasladosImpuestoIVA16,
    TotalTrasladosBaseIVA8: t.TotalTrasladosBaseIVA8,
    TotalTrasladosImpuestoIVA8: t.TotalTrasladosImpuestoIVA8,
    TotalTrasladosBaseIVA0: t.TotalTrasladosBaseIVA0,
    TotalTrasladosImpuestoIVA0: t.TotalTrasladosImpuestoIVA0,
    TotalTrasladosBaseIVAExento: t.TotalTrasladosBaseIVAExento,
    MontoTotalPagos: attr(`${p}/Totales`, t, "MontoTotalPagos"),
  };
  const Pago: Pago20[] = [];
  for (const c of node.children) {
    if (c.namespace !== ns || c.name !== "Pago") continue;
    const pp = `${p}/Pago[${Pago.length + 1}]`;
    const DoctoRelacionado: DoctoRelacionado20[] = [];
    for (const d of c.children) {
      if (d.namespace === ns && d.name === "DoctoRelacionado") {
        DoctoRelacionado.push(
          doctoRelacionado20(`${pp}/DoctoRelacionado[${DoctoRelacionado.length + 1}]`, d),
        );
      }
    }
    const impuestos = single(pp, c, ns, "ImpuestosP");
    Pago.push({
      ...pagoAttributes(pp, c.attributes),
      DoctoRelacionado,
      ImpuestosP: impuestos && impuestosP(`${pp}/ImpuestosP`, impuestos),
    });
  }
  if (Pago.length === 0) missing(`${p}/Pago`, "element Pago");
  return { Version: attr(p, node.attributes, "Version"), Totales, Pago };
}

function doctoRelacionado20(p: string, node: XmlNode): DoctoRelacionado20 {
  const ns = COMPLEMENT_NAMESPACE.Pagos20;
  const a: Attrs = node.attributes;
  const imp = single(p, node, ns, "ImpuestosDR");
  let ImpuestosDR: ImpuestosDR | undefined;
  if (imp) {
    const ip = `${p}/ImpuestosDR`;
    const ret = single(ip, imp, ns, "RetencionesDR");
    const tra = single(ip, imp, ns, "TrasladosDR");
    ImpuestosDR = {
      RetencionesDR:
        ret &&
        children(`${ip}/RetencionesDR`, ret, ns, "RetencionDR", (rp, r) => ({
          BaseDR: attr(rp, r, "BaseDR"),
          ImpuestoDR: attr(rp, r, "ImpuestoDR"),
          TipoFactorDR: attr(rp, r, "TipoFactorDR"),
          TasaOCuotaDR: attr(rp, r, "TasaOCuotaDR"),
          ImporteDR: attr(rp, r, "ImporteDR"),
        })),
      TrasladosDR:
        tra &&
        children(`${ip}/TrasladosDR`, tra, ns, "TrasladoDR", (rp, r) => ({
          BaseDR: attr(rp, r, "BaseDR"),
          ImpuestoDR: attr(rp, r, "ImpuestoDR"),
          TipoFactorDR: attr(rp, r, "TipoFactorDR"),
          TasaOCuotaDR: r.TasaOCuotaDR,
          ImporteDR: r.ImporteDR,
        })),
    };
  }
  return {
    IdDocumento: attr(p, a, "IdDocumento"),
    Serie: a.Serie,
    Folio: a.Folio,
    MonedaDR: attr(p, a, "MonedaDR"),
    EquivalenciaDR: a.EquivalenciaDR,
    NumParcialidad: attr(p, a, "NumParcialidad"),
    ImpSaldoAnt: attr(p, a, "ImpSaldoAnt"),
    ImpPagado: attr(p, a, "ImpPagado"),
    ImpSaldoInsoluto: attr(p, a, "ImpSaldoInsoluto"),
    ObjetoImpDR: attr(p, a, "ObjetoImpDR"),
    ImpuestosDR,
  };
}

function impuestosP(p: string, node: XmlNode): ImpuestosP {
  const ns = COMPLEMENT_NAMESPACE.Pagos20;
  const ret = single(p, node, ns, "RetencionesP");
  const tra = single(p, node, ns, "TrasladosP");
  return {
    RetencionesP:
      ret &&
      children(`${p}/RetencionesP`, ret, ns, "RetencionP", (rp, r) => ({
        ImpuestoP: attr(rp, r, "ImpuestoP"),
        ImporteP: attr(rp, r, "ImporteP"),
      })),
    TrasladosP:
      tra &&
      children(`${p}/TrasladosP`, tra, ns, "TrasladoP", (rp, r) => ({
        BaseP: attr(rp, r, "BaseP"),
        ImpuestoP: attr(rp, r, "ImpuestoP"),
        TipoFactorP: attr(rp, r, "TipoFactorP"),
        TasaOCuotaP: r.TasaOCuotaP,
        ImporteP: r.ImporteP,
      })),
  };
}

function pagos10(p: string, node: XmlNode): Pagos10 {
  const ns = COMPLEMENT_NAMESPACE.Pagos10;
  const Pago: Pago10[] = [];
  for (const c of node.children) {
    if (c.namespace !== ns || c.name !== "Pago") continue;
    const pp = `${p}/Pago[${Pago.length + 1}]`;
    const DoctoRelacionado = children(
      pp,
      c,
      ns,
      "DoctoRelacionado",
      (dp, d): DoctoRelacionado10 => ({
        IdDocumento: attr(dp, d, "IdDocumento"),
        Serie: d.Serie,
        Folio: d.Folio,
        MonedaDR: attr(dp, d, "MonedaDR"),
        TipoCambioDR: d.TipoCambioDR,
        MetodoDePagoDR: attr(dp, d, "MetodoDePagoDR"),
        NumParcialidad: d.NumParcialidad,
        ImpSaldoAnt: d.ImpSaldoAnt,
        ImpPagado: d.ImpPagado,
        ImpSaldoInsoluto: d.ImpSaldoInsoluto,
      }),
    );
    const Impuestos: PagoImpuestos10[] = [];
    for (const imp of c.children) {
      if (imp.namespace !== ns || imp.name !== "Impuestos") continue;
      const ip = `${pp}/Impuestos[${Impuestos.length + 1}]`;
      const ret = single(ip, imp, ns, "Retenciones");
      const tra = single(ip, imp, ns, "Traslados");
      Impuestos.push({
        TotalImpuestosRetenidos: imp.attributes.TotalImpuestosRetenidos,
        TotalImpuestosTrasladados: imp.attributes.TotalImpuestosTrasladados,
        Retenciones:
          ret &&
          children(`${ip}/Retenciones`, ret, ns, "Retencion", (rp, r) => ({
            Impuesto: attr(rp, r, "Impuesto"),
            Importe: attr(rp, r, "Importe"),
          })),
        Traslados:
          tra &&
          children(`${ip}/Traslados`, tra, ns, "Traslado", (rp, r) => ({
            Impuesto: attr(rp, r, "Impuesto"),
            TipoFactor: attr(rp, r, "TipoFactor"),
            TasaOCuota: attr(rp, r, "TasaOCuota"),
            Importe: attr(rp, r, "Importe"),
          })),
      });
    }
    Pago.push({ ...pagoAttributes(pp, c.attributes), DoctoRelacionado, Impuestos });
  }
  if (Pago.length === 0) missing(`${p}/Pago`, "element Pago");
  return { Version: attr(p, node.attributes, "Version"), Pago };
}

function implocal(p: string, node: XmlNode): ImpuestosLocales {
  const ns = COMPLEMENT_NAMESPACE.ImpuestosLocales;
  const a: Attrs = node.attributes;
  return {
    version: attr(p, a, "version"),
    TotaldeRetenciones: attr(p, a, "TotaldeRetenciones"),
    TotaldeTraslados: attr(p, a, "TotaldeTraslados"),
    RetencionesLocales: children(p, node, ns, "RetencionesLocales", (rp, r) => ({
      ImpLocRetenido: attr(rp, r, "ImpLocRetenido"),
      TasadeRetencion: attr(rp, r, "TasadeRetencion"),
      Importe: attr(rp, r, "Importe"),
    })),
    TrasladosLocales: children(p, node, ns, "TrasladosLocales", (rp, r) => ({
      ImpLocTrasladado: attr(rp, r, "ImpLocTrasladado"),
      TasadeTraslado: attr(rp, r, "TasadeTraslado"),
      Importe: attr(rp, r, "Importe"),
    })),
  };
}

/** True when `e` is one of the errors `parseCfdi` documents (anything else is a bug). */
export const isCfdiParseError = (e: unknown): e is AppError =>
  e instanceof AppError && (CFDI_ERROR_CODES as readonly string[]).includes(e.code);
