/**
 * Writing a TimbreFiscalDigital 1.1 into a sealed CFDI without touching any other byte: the Sello
 * covers the cadena original, and a stamp that re-serialized the document could change what it
 * signs (attribute quoting, entity forms, whitespace in text). The element is inserted as text
 * before the Complemento's end tag, or inside a new Complemento placed where cfdv40.xsd wants it
 * (before the Addenda, else at the end of the Comprobante).
 */
import { escapeXml } from "../cfdi/build/xml";
import { COMPLEMENT_NAMESPACE, type TimbreFiscalDigital, type XmlNode } from "../cfdi/model";

const TFD_LOCATION = `${COMPLEMENT_NAMESPACE.TimbreFiscalDigital} http://www.sat.gob.mx/sitio_internet/cfd/TimbreFiscalDigital/TimbreFiscalDigitalv11.xsd`;
const XSI_NAMESPACE = "http://www.w3.org/2001/XMLSchema-instance";

/**
 * The tfd:TimbreFiscalDigital element, attributes in TimbreFiscalDigitalv11.xsd order. It declares
 * its own namespaces (xsi too: the document may not bind that prefix) so it is valid wherever it lands.
 */
export function timbreXml(tfd: TimbreFiscalDigital): string {
  const attributes: [string, string | undefined][] = [
    ["xmlns:tfd", COMPLEMENT_NAMESPACE.TimbreFiscalDigital],
    ["xmlns:xsi", XSI_NAMESPACE],
    ["xsi:schemaLocation", TFD_LOCATION],
    ["Version", tfd.Version],
    ["UUID", tfd.UUID],
    ["FechaTimbrado", tfd.FechaTimbrado],
    ["RfcProvCertif", tfd.RfcProvCertif],
    ["Leyenda", tfd.Leyenda],
    ["SelloCFD", tfd.SelloCFD],
    ["NoCertificadoSAT", tfd.NoCertificadoSAT],
    ["SelloSAT", tfd.SelloSAT],
  ];
  let out = "<tfd:TimbreFiscalDigital";
  for (const [name, value] of attributes) if (value !== undefined) out += ` ${name}="${escapeXml(value)}"`;
  return `${out}/>`;
}

const qname = (node: Pick<XmlNode, "prefix" | "name">) =>
  node.prefix ? `${node.prefix}:${node.name}` : node.name;

/** Index just past the `>` of the start tag that begins at `start` (a `>` inside quotes does not end it). */
function startTagEnd(xml: string, start: number): number {
  let quote = "";
  for (let i = start; i < xml.length; i++) {
    const c = xml[i];
    if (quote) {
      if (c === quote) quote = "";
    } else if (c === '"' || c === "'") {
      quote = c;
    } else if (c === ">") {
      return i + 1;
    }
  }
  return -1;
}

/** Start of the first start tag `<name` (followed by whitespace, `/` or `>`), from `from`. */
function findStartTag(xml: string, name: string, from = 0): number {
  const open = `<${name}`;
  for (let i = xml.indexOf(open, from); i !== -1; i = xml.indexOf(open, i + 1)) {
    const next = xml[i + open.length];
    if (next === ">" || next === "/" || next === " " || next === "\t" || next === "\n" || next === "\r") {
      return i;
    }
  }
  return -1;
}

/** Start of the first end tag `</name` (followed by optional whitespace and `>`), from `from`. */
function findEndTag(xml: string, name: string, from: number, last = false): number {
  const close = `</${name}`;
  const matches = (i: number) => /^\s*>/.test(xml.slice(i + close.length, i + close.length + 8));
  if (last) {
    for (let i = xml.lastIndexOf(close); i >= from; i = xml.lastIndexOf(close, i - 1)) {
      if (matches(i)) return i;
    }
    return -1;
  }
  for (let i = xml.indexOf(close, from); i !== -1; i = xml.indexOf(close, i + 1)) {
    if (matches(i)) return i;
  }
  return -1;
}

/**
 * `xml` with `element` added as the last child of the Comprobante's Complemento (created when
 * absent). `root` is `xml` as parsed (prefixes as written). Returns undefined when the tags cannot be
 * located in the text, which a well-formed CFDI never causes; the caller re-parses the result anyway.
 */
export function insertIntoComplemento(xml: string, root: XmlNode, element: string): string | undefined {
  const complemento = root.children.find((c) => c.namespace === root.namespace && c.name === "Complemento");
  if (complemento) {
    const name = qname(complemento);
    const start = findStartTag(xml, name);
    if (start === -1) return undefined;
    const end = startTagEnd(xml, start);
    if (end === -1) return undefined;
    if (xml[end - 2] === "/") {
      const open = xml.slice(start, end - 2).trimEnd();
      return `${xml.slice(0, start)}${open}>${element}</${name}>${xml.slice(end)}`;
    }
    const close = findEndTag(xml, name, end);
    return close === -1 ? undefined : xml.slice(0, close) + element + xml.slice(close);
  }
  const prefix = root.prefix ? `${root.prefix}:` : "";
  const wrapped = `<${prefix}Complemento>${element}</${prefix}Complemento>`;
  const addenda = root.children.find((c) => c.namespace === root.namespace && c.name === "Addenda");
  const at = addenda ? findStartTag(xml, qname(addenda)) : findEndTag(xml, qname(root), 0, true);
  return at === -1 ? undefined : xml.slice(0, at) + wrapped + xml.slice(at);
}
