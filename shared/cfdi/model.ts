/**
 * Typed model of a CFDI 3.3 / 4.0 document, produced by `parseCfdi` and consumed by the cadena
 * original, validation, verification, the CLI and the builder.
 *
 * Naming convention: every field that mirrors an XML attribute or element uses SAT's exact name
 * (`SubTotal`, `DomicilioFiscalReceptor`, `Año`, `TimbreFiscalDigital`…), so a field can be found
 * in the Anexo 20 / XSD by its name and validation messages can quote it verbatim. Repeated child
 * elements become arrays named after the wrapper SAT uses (`Conceptos: Concepto[]` for
 * `cfdi:Conceptos/cfdi:Concepto`), and a wrapper that SAT makes optional stays optional so "absent"
 * and "present but empty" remain distinguishable. Fields that are not SAT names are lowerCamelCase
 * (`kind`, `data`, `node`, `namespace`…).
 *
 * Values: every attribute is the exact lexical string of the document after XML entity decoding
 * (amounts like "1500.00" keep their digits: the cadena original and the Sello depend on them; do
 * math with decimal.js). `undefined` means the attribute is absent; "" means present and empty
 * (SAT's XSLT treats the two differently). Attributes required by the XSD of the document's version
 * are typed `string`; attributes required only in 4.0 are optional in the type and always set when
 * `Version === "4.0"`. A required attribute missing from the document is set to "" (which is what
 * SAT's XSLT puts in the cadena for it) and its path is listed in `Cfdi.missingAttributes`, so the
 * document can still be inspected and validation reports every gap at once. Missing required
 * *elements* (Emisor, Receptor, Concepto, pago20:Totales…) make `parseCfdi` throw instead.
 */

export type CfdiVersion = "3.3" | "4.0";

export const CFDI_NAMESPACE = {
  "3.3": "http://www.sat.gob.mx/cfd/3",
  "4.0": "http://www.sat.gob.mx/cfd/4",
} as const satisfies Record<CfdiVersion, string>;

/** Namespace URIs of the complements the model types (others stay raw `XmlNode`s). */
export const COMPLEMENT_NAMESPACE = {
  TimbreFiscalDigital: "http://www.sat.gob.mx/TimbreFiscalDigital",
  Pagos20: "http://www.sat.gob.mx/Pagos20",
  Pagos10: "http://www.sat.gob.mx/Pagos",
  ImpuestosLocales: "http://www.sat.gob.mx/implocal",
  Nomina12: "http://www.sat.gob.mx/nomina12",
} as const;

/**
 * An element kept as found (complements the model does not type, ComplementoConcepto, Addenda).
 * `attributes` are keyed by the qualified name as written (`Version`, `xsi:schemaLocation`) and
 * exclude namespace declarations (`xmlns`, `xmlns:p`), which are resolved into `namespace`.
 * `children` holds the child elements in document order; `text` is the concatenation of the
 * element's own text and CDATA content exactly as found, whitespace included ("" when none), so a
 * pretty-printed container has whitespace-only `text` (SAT's XSLT copies such text into the cadena
 * for elements it has no template for).
 */
export interface XmlNode {
  /** Local name, without prefix. */
  name: string;
  /** Prefix as written ("" for none), so a serializer can reproduce the document. */
  prefix: string;
  /** Namespace URI the prefix resolves to ("" for none). */
  namespace: string;
  attributes: Record<string, string>;
  children: XmlNode[];
  text: string;
}

export interface Cfdi {
  Version: CfdiVersion;
  Serie?: string;
  Folio?: string;
  Fecha: string;
  /** Absent on a document that has not been sealed yet (its cadena can still be computed). */
  Sello?: string;
  FormaPago?: string;
  /** Absent or "" on a document that has not been sealed yet. */
  NoCertificado?: string;
  /** Absent on a document that has not been sealed yet. */
  Certificado?: string;
  CondicionesDePago?: string;
  SubTotal: string;
  Descuento?: string;
  Moneda: string;
  TipoCambio?: string;
  Total: string;
  TipoDeComprobante: string;
  /** Required in 4.0, absent in 3.3. */
  Exportacion?: string;
  MetodoPago?: string;
  LugarExpedicion: string;
  Confirmacion?: string;

  /** 4.0 only (factura global). */
  InformacionGlobal?: InformacionGlobal;
  /** 4.0: any number of groups; 3.3: at most one. */
  CfdiRelacionados: CfdiRelacionados[];
  Emisor: Emisor;
  Receptor: Receptor;
  Conceptos: Concepto[];
  Impuestos?: Impuestos;
  /** Children of cfdi:Complemento (every occurrence, 3.3 allows several) in document order. */
  Complemento: Complemento[];
  /** Children of cfdi:Addenda, raw; undefined when the document has no Addenda. */
  Addenda?: XmlNode[];

  /**
   * Paths of required attributes absent from the document (set to "" in the model), e.g.
   * "Comprobante/Complemento/Pagos/Pago[1]/DoctoRelacionado[1]/@IdDocumento". Empty when complete.
   */
  missingAttributes: string[];
}

export interface InformacionGlobal {
  Periodicidad: string;
  Meses: string;
  Año: string;
}

export interface CfdiRelacionados {
  TipoRelacion: string;
  /** UUIDs of the cfdi:CfdiRelacionado children, in document order. */
  CfdiRelacionado: string[];
}

export interface Emisor {
  Rfc: string;
  /** Required in 4.0, optional in 3.3. */
  Nombre?: string;
  RegimenFiscal: string;
  FacAtrAdquirente?: string;
}

export interface Receptor {
  Rfc: string;
  /** Required in 4.0, optional in 3.3. */
  Nombre?: string;
  /** Required in 4.0, absent in 3.3. */
  DomicilioFiscalReceptor?: string;
  ResidenciaFiscal?: string;
  NumRegIdTrib?: string;
  /** Required in 4.0, absent in 3.3. */
  RegimenFiscalReceptor?: string;
  UsoCFDI: string;
}

export type TipoFactor = "Tasa" | "Cuota" | "Exento";

export interface Concepto {
  ClaveProdServ: string;
  NoIdentificacion?: string;
  Cantidad: string;
  ClaveUnidad: string;
  Unidad?: string;
  Descripcion: string;
  ValorUnitario: string;
  Importe: string;
  Descuento?: string;
  /** Required in 4.0, absent in 3.3. */
  ObjetoImp?: string;
  Impuestos?: ConceptoImpuestos;
  /** 4.0 only. */
  ACuentaTerceros?: ACuentaTerceros;
  InformacionAduanera: InformacionAduanera[];
  /** 4.0 allows several, 3.3 at most one. */
  CuentaPredial: CuentaPredial[];
  /** Children of cfdi:ComplementoConcepto, raw; undefined when absent. */
  ComplementoConcepto?: XmlNode[];
  Parte: Parte[];
}

export interface ConceptoImpuestos {
  Traslados?: TrasladoConcepto[];
  Retenciones?: RetencionConcepto[];
}

export interface TrasladoConcepto {
  Base: string;
  Impuesto: string;
  /** As written; the XSD allows only Tasa|Cuota|Exento, checking it is validation's job. */
  TipoFactor: string;
  /** Absent when TipoFactor is Exento. */
  TasaOCuota?: string;
  Importe?: string;
}

export interface RetencionConcepto {
  Base: string;
  Impuesto: string;
  TipoFactor: string;
  TasaOCuota: string;
  Importe: string;
}

export interface ACuentaTerceros {
  RfcACuentaTerceros: string;
  NombreACuentaTerceros: string;
  RegimenFiscalACuentaTerceros: string;
  DomicilioFiscalACuentaTerceros: string;
}

export interface InformacionAduanera {
  NumeroPedimento: string;
}

export interface CuentaPredial {
  Numero: string;
}

export interface Parte {
  ClaveProdServ: string;
  NoIdentificacion?: string;
  Cantidad: string;
  Unidad?: string;
  Descripcion: string;
  ValorUnitario?: string;
  Importe?: string;
  InformacionAduanera: InformacionAduanera[];
}

export interface Impuestos {
  TotalImpuestosRetenidos?: string;
  TotalImpuestosTrasladados?: string;
  Retenciones?: RetencionComprobante[];
  Traslados?: TrasladoComprobante[];
}

export interface RetencionComprobante {
  Impuesto: string;
  Importe: string;
}

export interface TrasladoComprobante {
  /** Required in 4.0, absent in 3.3. */
  Base?: string;
  Impuesto: string;
  TipoFactor: string;
  /** 4.0: absent when Exento; 3.3: required. */
  TasaOCuota?: string;
  Importe?: string;
}

/**
 * One child of cfdi:Complemento. `node` is always the raw element (attributes and children as
 * found); `data` is the typed view for the complements the model knows.
 */
export type Complemento =
  | { kind: "TimbreFiscalDigital"; data: TimbreFiscalDigital; node: XmlNode }
  | { kind: "Pagos20"; data: Pagos20; node: XmlNode }
  | { kind: "Pagos10"; data: Pagos10; node: XmlNode }
  | { kind: "ImpuestosLocales"; data: ImpuestosLocales; node: XmlNode }
  | { kind: "other"; node: XmlNode };

export interface ComplementoDataByKind {
  TimbreFiscalDigital: TimbreFiscalDigital;
  Pagos20: Pagos20;
  Pagos10: Pagos10;
  ImpuestosLocales: ImpuestosLocales;
}
export type ComplementoKind = keyof ComplementoDataByKind;

export interface TimbreFiscalDigital {
  Version: string;
  UUID: string;
  FechaTimbrado: string;
  RfcProvCertif: string;
  Leyenda?: string;
  SelloCFD: string;
  NoCertificadoSAT: string;
  SelloSAT: string;
}

export interface Pagos20 {
  Version: string;
  Totales: PagosTotales;
  Pago: Pago20[];
}

export interface PagosTotales {
  TotalRetencionesIVA?: string;
  TotalRetencionesISR?: string;
  TotalRetencionesIEPS?: string;
  TotalTrasladosBaseIVA16?: string;
  TotalTrasladosImpuestoIVA16?: string;
  TotalTrasladosBaseIVA8?: string;
  TotalTrasladosImpuestoIVA8?: string;
  TotalTrasladosBaseIVA0?: string;
  TotalTrasladosImpuestoIVA0?: string;
  TotalTrasladosBaseIVAExento?: string;
  MontoTotalPagos: string;
}

/** Attributes shared by pago20:Pago and pago10:Pago. */
export interface PagoAttributes {
  FechaPago: string;
  FormaDePagoP: string;
  MonedaP: string;
  TipoCambioP?: string;
  Monto: string;
  NumOperacion?: string;
  RfcEmisorCtaOrd?: string;
  NomBancoOrdExt?: string;
  CtaOrdenante?: string;
  RfcEmisorCtaBen?: string;
  CtaBeneficiario?: string;
  TipoCadPago?: string;
  CertPago?: string;
  CadPago?: string;
  SelloPago?: string;
}

export interface Pago20 extends PagoAttributes {
  DoctoRelacionado: DoctoRelacionado20[];
  ImpuestosP?: ImpuestosP;
}

export interface DoctoRelacionado20 {
  IdDocumento: string;
  Serie?: string;
  Folio?: string;
  MonedaDR: string;
  EquivalenciaDR?: string;
  NumParcialidad: string;
  ImpSaldoAnt: string;
  ImpPagado: string;
  ImpSaldoInsoluto: string;
  ObjetoImpDR: string;
  ImpuestosDR?: ImpuestosDR;
}

export interface ImpuestosDR {
  RetencionesDR?: RetencionDR[];
  TrasladosDR?: TrasladoDR[];
}

export interface RetencionDR {
  BaseDR: string;
  ImpuestoDR: string;
  TipoFactorDR: string;
  TasaOCuotaDR: string;
  ImporteDR: string;
}

export interface TrasladoDR {
  BaseDR: string;
  ImpuestoDR: string;
  TipoFactorDR: string;
  TasaOCuotaDR?: string;
  ImporteDR?: string;
}

export interface ImpuestosP {
  RetencionesP?: RetencionP[];
  TrasladosP?: TrasladoP[];
}

export interface RetencionP {
  ImpuestoP: string;
  ImporteP: string;
}

export interface TrasladoP {
  BaseP: string;
  ImpuestoP: string;
  TipoFactorP: string;
  TasaOCuotaP?: string;
  ImporteP?: string;
}

export interface Pagos10 {
  Version: string;
  Pago: Pago10[];
}

export interface Pago10 extends PagoAttributes {
  DoctoRelacionado: DoctoRelacionado10[];
  Impuestos: PagoImpuestos10[];
}

export interface DoctoRelacionado10 {
  IdDocumento: string;
  Serie?: string;
  Folio?: string;
  MonedaDR: string;
  TipoCambioDR?: string;
  MetodoDePagoDR: string;
  NumParcialidad?: string;
  ImpSaldoAnt?: string;
  ImpPagado?: string;
  ImpSaldoInsoluto?: string;
}

export interface PagoImpuestos10 {
  TotalImpuestosRetenidos?: string;
  TotalImpuestosTrasladados?: string;
  Retenciones?: RetencionComprobante[];
  Traslados?: TrasladoPago10[];
}

export interface TrasladoPago10 {
  Impuesto: string;
  TipoFactor: string;
  TasaOCuota: string;
  Importe: string;
}

export interface ImpuestosLocales {
  /** SAT spells this attribute in lower case. */
  version: string;
  TotaldeRetenciones: string;
  TotaldeTraslados: string;
  RetencionesLocales: RetencionLocal[];
  TrasladosLocales: TrasladoLocal[];
}

export interface RetencionLocal {
  ImpLocRetenido: string;
  TasadeRetencion: string;
  Importe: string;
}

export interface TrasladoLocal {
  ImpLocTrasladado: string;
  TasadeTraslado: string;
  Importe: string;
}

/** The typed data of the first complement of `kind`, e.g. `complemento(cfdi, "TimbreFiscalDigital")?.UUID`. */
export function complemento<K extends ComplementoKind>(
  cfdi: Cfdi,
  kind: K,
): ComplementoDataByKind[K] | undefined {
  for (const c of cfdi.Complemento) {
    if (c.kind !== "other" && c.kind === kind) return c.data as ComplementoDataByKind[K];
  }
  return undefined;
}

/** Shorthand for the stamp: present once a PAC has certified the document. */
export const timbre = (cfdi: Cfdi): TimbreFiscalDigital | undefined =>
  complemento(cfdi, "TimbreFiscalDigital");
