/**
 * CFDI 4.0 model → XML text. Elements and attributes come out in cfdv40.xsd order (Pagos20.xsd for
 * the payments complement), optional attributes only when present, and no whitespace between
 * elements: a CFDI has no text content, and emitting none means no reader can disagree about it.
 * Raw nodes (other complements, ComplementoConcepto, Addenda) are written as the model holds them.
 */
import { unprocessable } from "../../errors";
import type {
  Cfdi,
  Concepto,
  ConceptoImpuestos,
  Impuestos,
  InformacionAduanera,
  Pagos20,
  XmlNode,
} from "../model";
import { CFDI_NAMESPACE, COMPLEMENT_NAMESPACE } from "../model";

const XSI_NAMESPACE = "http://www.w3.org/2001/XMLSchema-instance";
const CFDI40_LOCATION = `${CFDI_NAMESPACE["4.0"]} http://www.sat.gob.mx/sitio_internet/cfd/4/cfdv40.xsd`;
/** Schema locations of the complements this module knows how to declare. */
const COMPLEMENT_LOCATION: Record<string, string> = {
  [COMPLEMENT_NAMESPACE.Pagos20]: "http://www.sat.gob.mx/sitio_internet/cfd/Pagos/Pagos20.xsd",
  [COMPLEMENT_NAMESPACE.TimbreFiscalDigital]:
    "http://www.sat.gob.mx/sitio_internet/cfd/TimbreFiscalDigital/TimbreFiscalDigitalv11.xsd",
};

const NEEDS_ESCAPE = /[&<>"'\t\n\r]/;
const ESCAPES: Record<string, string> = {
  "&": "&amp;",
  "<": "&lt;",
  ">": "&gt;",
  '"': "&quot;",
  "'": "&apos;",
  // Literal whitespace in an attribute would be normalized to a space by any XML reader.
  "\t": "&#9;",
  "\n": "&#10;",
  "\r": "&#13;",
};

/** Escapes text for a double-quoted attribute value or element content. */
export const escapeXml = (value: string): string =>
  NEEDS_ESCAPE.test(value) ? value.replace(/[&<>"'\t\n\r]/g, (c) => ESCAPES[c]!) : value;

type Attributes = ReadonlyArray<readonly [string, string | undefined]>;

/**
 * Appends the document to one string (V8 concatenates in place). A start tag stays open until the
 * element gets content, so an element without any is self-closed without looking back.
 */
class Writer {
  out = "";
  private tagOpen = false;

  /** Text or markup inside the current element. */
  write(content: string): void {
    if (this.tagOpen) {
      this.out += ">";
      this.tagOpen = false;
    }
    this.out += content;
  }

  /** An element whose children `body` writes; self-closed when it writes none. */
  element(name: string, attributes: Attributes, body?: () => void): void {
    this.write(`<${name}`);
    for (const [key, value] of attributes) {
      if (value !== undefined) this.out += ` ${key}="${escapeXml(value)}"`;
    }
    this.tagOpen = true;
    body?.();
    if (this.tagOpen) {
      this.out += "/>";
      this.tagOpen = false;
    } else {
      this.out += `</${name}>`;
    }
  }
}

function writeAduanas(w: Writer, list: InformacionAduanera[]): void {
  for (const a of list) w.element("cfdi:InformacionAduanera", [["NumeroPedimento", a.NumeroPedimento]]);
}

function writeConceptoImpuestos(w: Writer, impuestos: ConceptoImpuestos): void {
  w.element("cfdi:Impuestos", [], () => {
    if (impuestos.Traslados) {
      w.element("cfdi:Traslados", [], () => {
        for (const t of impuestos.Traslados!) {
          w.element("cfdi:Traslado", [
            ["Base", t.Base],
            ["Impuesto", t.Impuesto],
            ["TipoFactor", t.TipoFactor],
            ["TasaOCuota", t.TasaOCuota],
            ["Importe", t.Importe],
          ]);
        }
      });
    }
    if (impuestos.Retenciones) {
      w.element("cfdi:Retenciones", [], () => {
        for (const r of impuestos.Retenciones!) {
          w.element("cfdi:Retencion", [
            ["Base", r.Base],
            ["Impuesto", r.Impuesto],
            ["TipoFactor", r.TipoFactor],
            ["TasaOCuota", r.TasaOCuota],
            ["Importe", r.Importe],
          ]);
        }
      });
    }
  });
}

function writeConcepto(w: Writer, c: Concepto, namespaces: Namespaces): void {
  w.element(
    "cfdi:Concepto",
    [
      ["ClaveProdServ", c.ClaveProdServ],
      ["NoIdentificacion", c.NoIdentificacion],
      ["Cantidad", c.Cantidad],
      ["ClaveUnidad", c.ClaveUnidad],
      ["Unidad", c.Unidad],
      ["Descripcion", c.Descripcion],
      ["ValorUnitario", c.ValorUnitario],
      ["Importe", c.Importe],
      ["Descuento", c.Descuento],
      ["ObjetoImp", c.ObjetoImp],
    ],
    () => {
      if (c.Impuestos) writeConceptoImpuestos(w, c.Impuestos);
      const terceros = c.ACuentaTerceros;
      if (terceros) {
        w.element("cfdi:ACuentaTerceros", [
          ["RfcACuentaTerceros", terceros.RfcACuentaTerceros],
          ["NombreACuentaTerceros", terceros.NombreACuentaTerceros],
          ["RegimenFiscalACuentaTerceros", terceros.RegimenFiscalACuentaTerceros],
          ["DomicilioFiscalACuentaTerceros", terceros.DomicilioFiscalACuentaTerceros],
        ]);
      }
      writeAduanas(w, c.InformacionAduanera);
      for (const p of c.CuentaPredial) w.element("cfdi:CuentaPredial", [["Numero", p.Numero]]);
      if (c.ComplementoConcepto) {
        w.element("cfdi:ComplementoConcepto", [], () => {
          for (const node of c.ComplementoConcepto!) writeNode(w, node, namespaces);
        });
      }
      for (const p of c.Parte) {
        w.element(
          "cfdi:Parte",
          [
            ["ClaveProdServ", p.ClaveProdServ],
            ["NoIdentificacion", p.NoIdentificacion],
            ["Cantidad", p.Cantidad],
            ["Unidad", p.Unidad],
            ["Descripcion", p.Descripcion],
            ["ValorUnitario", p.ValorUnitario],
            ["Importe", p.Importe],
          ],
          () => writeAduanas(w, p.InformacionAduanera),
        );
      }
    },
  );
}

function writeImpuestos(w: Writer, impuestos: Impuestos): void {
  w.element(
    "cfdi:Impuestos",
    [
      ["TotalImpuestosRetenidos", impuestos.TotalImpuestosRetenidos],
      ["TotalImpuestosTrasladados", impuestos.TotalImpuestosTrasladados],
    ],
    () => {
      if (impuestos.Retenciones) {
        w.element("cfdi:Retenciones", [], () => {
          for (const r of impuestos.Retenciones!) {
            w.element("cfdi:Retencion", [
              ["Impuesto", r.Impuesto],
              ["Importe", r.Importe],
            ]);
          }
        });
      }
      if (impuestos.Traslados) {
        w.element("cfdi:Traslados", [], () => {
          for (const t of impuestos.Traslados!) {
            w.element("cfdi:Traslado", [
              ["Base", t.Base],
              ["Impuesto", t.Impuesto],
              ["TipoFactor", t.TipoFactor],
              ["TasaOCuota", t.TasaOCuota],
              ["Importe", t.Importe],
            ]);
          }
        });
      }
    },
  );
}

/** Prefix → namespace of every prefixed raw node, declared once on the root. */
type Namespaces = Map<string, string>;

function collectNamespaces(node: XmlNode, into: Namespaces): void {
  if (node.prefix !== "") {
    const known = into.get(node.prefix);
    if (known !== undefined && known !== node.namespace) {
      throw new Error(`Prefix ${node.prefix} is bound to both ${known} and ${node.namespace}`);
    }
    into.set(node.prefix, node.namespace);
  }
  for (const child of node.children) collectNamespaces(child, into);
}

function writeNode(w: Writer, node: XmlNode, namespaces: Namespaces, defaultNamespace = ""): void {
  const name = node.prefix === "" ? node.name : `${node.prefix}:${node.name}`;
  const attributes: [string, string][] = Object.entries(node.attributes);
  const unprefixedInNewNamespace = node.prefix === "" && node.namespace !== defaultNamespace;
  if (unprefixedInNewNamespace) attributes.unshift(["xmlns", node.namespace]);
  const childDefault = node.prefix === "" ? node.namespace : defaultNamespace;
  w.element(name, attributes, () => {
    if (node.text !== "") w.write(escapeXml(node.text));
    for (const child of node.children) writeNode(w, child, namespaces, childDefault);
  });
}

/** The XML of a CFDI 4.0 model: `<?xml…?>`, a newline, then the document on one line. */
export function cfdiXml(cfdi: Cfdi): string {
  if (cfdi.Version !== "4.0") {
    throw unprocessable(
      "cfdi_unsupported_version",
      `Only CFDI 4.0 documents can be written, not ${cfdi.Version}`,
    );
  }
  const namespaces: Namespaces = new Map([
    ["cfdi", CFDI_NAMESPACE["4.0"]],
    ["xsi", XSI_NAMESPACE],
  ]);
  for (const c of cfdi.Complemento) collectNamespaces(c.node, namespaces);
  for (const concepto of cfdi.Conceptos) {
    for (const node of concepto.ComplementoConcepto ?? []) collectNamespaces(node, namespaces);
  }
  for (const node of cfdi.Addenda ?? []) collectNamespaces(node, namespaces);
  const locations = [CFDI40_LOCATION];
  for (const uri of namespaces.values()) {
    const location = COMPLEMENT_LOCATION[uri];
    if (location) locations.push(`${uri} ${location}`);
  }

  const w = new Writer();
  w.write('<?xml version="1.0" encoding="UTF-8"?>\n');
  w.element(
    "cfdi:Comprobante",
    [
      ...[...namespaces].map(([prefix, uri]) => [`xmlns:${prefix}`, uri] as const),
      ["xsi:schemaLocation", locations.join(" ")],
      ["Version", cfdi.Version],
      ["Serie", cfdi.Serie],
      ["Folio", cfdi.Folio],
      ["Fecha", cfdi.Fecha],
      ["Sello", cfdi.Sello],
      ["FormaPago", cfdi.FormaPago],
      ["NoCertificado", cfdi.NoCertificado],
      ["Certificado", cfdi.Certificado],
      ["CondicionesDePago", cfdi.CondicionesDePago],
      ["SubTotal", cfdi.SubTotal],
      ["Descuento", cfdi.Descuento],
      ["Moneda", cfdi.Moneda],
      ["TipoCambio", cfdi.TipoCambio],
      ["Total", cfdi.Total],
      ["TipoDeComprobante", cfdi.TipoDeComprobante],
      ["Exportacion", cfdi.Exportacion],
      ["MetodoPago", cfdi.MetodoPago],
      ["LugarExpedicion", cfdi.LugarExpedicion],
      ["Confirmacion", cfdi.Confirmacion],
    ],
    () => {
      const global = cfdi.InformacionGlobal;
      if (global) {
        w.element("cfdi:InformacionGlobal", [
          ["Periodicidad", global.Periodicidad],
          ["Meses", global.Meses],
          ["Año", global.Año],
        ]);
      }
      for (const group of cfdi.CfdiRelacionados) {
        w.element("cfdi:CfdiRelacionados", [["TipoRelacion", group.TipoRelacion]], () => {
          for (const uuid of group.CfdiRelacionado) w.element("cfdi:CfdiRelacionado", [["UUID", uuid]]);
        });
      }
      const e = cfdi.Emisor;
      w.element("cfdi:Emisor", [
        ["Rfc", e.Rfc],
        ["Nombre", e.Nombre],
        ["RegimenFiscal", e.RegimenFiscal],
        ["FacAtrAdquirente", e.FacAtrAdquirente],
      ]);
      const r = cfdi.Receptor;
      w.element("cfdi:Receptor", [
        ["Rfc", r.Rfc],
        ["Nombre", r.Nombre],
        ["DomicilioFiscalReceptor", r.DomicilioFiscalReceptor],
        ["ResidenciaFiscal", r.ResidenciaFiscal],
        ["NumRegIdTrib", r.NumRegIdTrib],
        ["RegimenFiscalReceptor", r.RegimenFiscalReceptor],
        ["UsoCFDI", r.UsoCFDI],
      ]);
      w.element("cfdi:Conceptos", [], () => {
        for (const c of cfdi.Conceptos) writeConcepto(w, c, namespaces);
      });
      if (cfdi.Impuestos) writeImpuestos(w, cfdi.Impuestos);
      if (cfdi.Complemento.length > 0) {
        w.element("cfdi:Complemento", [], () => {
          for (const c of cfdi.Complemento) writeNode(w, c.node, namespaces);
        });
      }
      if (cfdi.Addenda) {
        w.element("cfdi:Addenda", [], () => {
          for (const node of cfdi.Addenda!) writeNode(w, node, namespaces);
        });
      }
    },
  );
  return w.out;
}

/** A raw-node builder that drops absent attributes, keeping the order given. */
function pagoNode(name: string, attributes: Attributes, children: XmlNode[] = []): XmlNode {
  const attrs: Record<string, string> = {};
  for (const [key, value] of attributes) if (value !== undefined) attrs[key] = value;
  return {
    name,
    prefix: "pago20",
    namespace: COMPLEMENT_NAMESPACE.Pagos20,
    attributes: attrs,
    children,
    text: "",
  };
}

const wrapper = (name: string, children: XmlNode[] | undefined): XmlNode[] =>
  children && children.length > 0 ? [pagoNode(name, [], children)] : [];

/** The pago20:Pagos element for typed Pagos 2.0 data, in Pagos20.xsd order. */
export function pagos20Node(pagos: Pagos20): XmlNode {
  const t = pagos.Totales;
  const totales = pagoNode("Totales", [
    ["TotalRetencionesIVA", t.TotalRetencionesIVA],
    ["TotalRetencionesISR", t.TotalRetencionesISR],
    ["TotalRetencionesIEPS", t.TotalRetencionesIEPS],
    ["TotalTrasladosBaseIVA16", t.TotalTrasladosBaseIVA16],
    ["TotalTrasladosImpuestoIVA16", t.TotalTrasladosImpuestoIVA16],
    ["TotalTrasladosBaseIVA8", t.TotalTrasladosBaseIVA8],
    ["TotalTrasladosImpuestoIVA8", t.TotalTrasladosImpuestoIVA8],
    ["TotalTrasladosBaseIVA0", t.TotalTrasladosBaseIVA0],
    ["TotalTrasladosImpuestoIVA0", t.TotalTrasladosImpuestoIVA0],
    ["TotalTrasladosBaseIVAExento", t.TotalTrasladosBaseIVAExento],
    ["MontoTotalPagos", t.MontoTotalPagos],
  ]);
  const pagoNodes = pagos.Pago.map((p) => {
    const doctos = p.DoctoRelacionado.map((d) => {
      const impuestos = d.ImpuestosDR;
      const impuestosDR = impuestos
        ? [
            pagoNode(
              "ImpuestosDR",
              [],
              [
                ...wrapper(
                  "RetencionesDR",
                  impuestos.RetencionesDR?.map((r) =>
                    pagoNode("RetencionDR", [
                      ["BaseDR", r.BaseDR],
                      ["ImpuestoDR", r.ImpuestoDR],
                      ["TipoFactorDR", r.TipoFactorDR],
                      ["TasaOCuotaDR", r.TasaOCuotaDR],
                      ["ImporteDR", r.ImporteDR],
                    ]),
                  ),
                ),
                ...wrapper(
                  "TrasladosDR",
                  impuestos.TrasladosDR?.map((tr) =>
                    pagoNode("TrasladoDR", [
                      ["BaseDR", tr.BaseDR],
                      ["ImpuestoDR", tr.ImpuestoDR],
                      ["TipoFactorDR", tr.TipoFactorDR],
                      ["TasaOCuotaDR", tr.TasaOCuotaDR],
                      ["ImporteDR", tr.ImporteDR],
                    ]),
                  ),
                ),
              ],
            ),
          ]
        : [];
      return pagoNode(
        "DoctoRelacionado",
        [
          ["IdDocumento", d.IdDocumento],
          ["Serie", d.Serie],
          ["Folio", d.Folio],
          ["MonedaDR", d.MonedaDR],
          ["EquivalenciaDR", d.EquivalenciaDR],
          ["NumParcialidad", d.NumParcialidad],
          ["ImpSaldoAnt", d.ImpSaldoAnt],
          ["ImpPagado", d.ImpPagado],
          ["ImpSaldoInsoluto", d.ImpSaldoInsoluto],
          ["ObjetoImpDR", d.ObjetoImpDR],
        ],
        impuestosDR,
      );
    });
    const impuestosP = p.ImpuestosP
      ? [
          pagoNode(
            "ImpuestosP",
            [],
            [
              ...wrapper(
                "RetencionesP",
                p.ImpuestosP.RetencionesP?.map((r) =>
                  pagoNode("RetencionP", [
                    ["ImpuestoP", r.ImpuestoP],
                    ["ImporteP", r.ImporteP],
                  ]),
                ),
              ),
              ...wrapper(
                "TrasladosP",
                p.ImpuestosP.TrasladosP?.map((tr) =>
                  pagoNode("TrasladoP", [
                    ["BaseP", tr.BaseP],
                    ["ImpuestoP", tr.ImpuestoP],
                    ["TipoFactorP", tr.TipoFactorP],
                    ["TasaOCuotaP", tr.TasaOCuotaP],
                    ["ImporteP", tr.ImporteP],
                  ]),
                ),
              ),
            ],
          ),
        ]
      : [];
    return pagoNode(
      "Pago",
      [
        ["FechaPago", p.FechaPago],
        ["FormaDePagoP", p.FormaDePagoP],
        ["MonedaP", p.MonedaP],
        ["TipoCambioP", p.TipoCambioP],
        ["Monto", p.Monto],
        ["NumOperacion", p.NumOperacion],
        ["RfcEmisorCtaOrd", p.RfcEmisorCtaOrd],
        ["NomBancoOrdExt", p.NomBancoOrdExt],
        ["CtaOrdenante", p.CtaOrdenante],
        ["RfcEmisorCtaBen", p.RfcEmisorCtaBen],
        ["CtaBeneficiario", p.CtaBeneficiario],
        ["TipoCadPago", p.TipoCadPago],
        ["CertPago", p.CertPago],
        ["CadPago", p.CadPago],
        ["SelloPago", p.SelloPago],
      ],
      [...doctos, ...impuestosP],
    );
  });
  return pagoNode("Pagos", [["Version", pagos.Version]], [totales, ...pagoNodes]);
}
