/**
 * Safe XML loading: bytes or text in, a namespace-resolved `XmlNode` tree out.
 *
 * Untrusted documents reach this code straight from API clients, so everything that could make
 * parsing slow, memory-hungry or ambiguous is refused by a linear pre-scan before fast-xml-parser
 * runs (fast-xml-parser is lenient: it accepts mismatched or unclosed tags and duplicate attributes,
 * and expands DOCTYPE entities). The pre-scan jumps between markup characters with `indexOf`, so it
 * costs a small fraction of the parse itself. After it, the document is known to be well-formed
 * enough that the tree fast-xml-parser builds is the one any conforming parser (libxml2, which
 * SAT's XSLT tooling uses) would build.
 *
 * Error codes (all AppError, status 400):
 * - `xml_too_large`: over XML_LIMITS.maxBytes bytes (or UTF-16 units for string input) or
 *   XML_LIMITS.maxElements elements
 * - `xml_doctype_forbidden`: any DOCTYPE or ENTITY declaration (no entity expansion, no external
 *   resources, ever)
 * - `xml_too_deep`: element nesting deeper than XML_LIMITS.maxDepth
 * - `xml_too_many_attributes`: an element with more than XML_LIMITS.maxAttributes attributes
 * - `xml_unsupported_encoding`: the XML declaration names an encoding other than UTF-8
 * - `xml_malformed`: anything else that is not a well-formed UTF-8 XML document (invalid UTF-8,
 *   empty input, unclosed or mismatched tags, duplicate attributes, unknown entity references,
 *   unbound namespace prefixes, forbidden control characters, text outside the root element…)
 */
import { XMLParser } from "fast-xml-parser";
import { type AppError, badRequest } from "../errors";
import type { XmlNode } from "./model";

export const XML_LIMITS = {
  /** A CFDI with thousands of conceptos stays well under this; SAT's own limit for downloads is 2 MB. */
  maxBytes: 5 * 1024 * 1024,
  /** CFDI 4.0 with its deepest complements (CartaPorte 3.1, Pagos 2.0) nests fewer than 12 levels. */
  maxDepth: 64,
  /** Comprobante carries about 20 attributes plus one xmlns per complement. */
  maxAttributes: 256,
  maxElements: 200_000,
} as const;

export const XML_ERROR_CODES = [
  "xml_too_large",
  "xml_doctype_forbidden",
  "xml_too_deep",
  "xml_too_many_attributes",
  "xml_unsupported_encoding",
  "xml_malformed",
] as const;
export type XmlErrorCode = (typeof XML_ERROR_CODES)[number];

const XML_NAMESPACE = "http://www.w3.org/XML/1998/namespace";

/** Parse a UTF-8 XML document (a leading BOM is ignored) into its root element. */
export function parseXml(input: string | Uint8Array): XmlNode {
  const text = decodeInput(input);
  scanXml(text);
  let items: FxpItem[];
  try {
    items = fxp.parse(text) as FxpItem[];
  } catch (e) {
    // The pre-scan accepts only documents fast-xml-parser handles; reaching this is a scan gap.
    throw xmlError("xml_malformed", `The XML could not be parsed: ${(e as Error).message}`);
  }
  for (const item of items) {
    const name = elementName(item);
    if (name !== undefined) return toXmlNode(item, name, ROOT_SCOPE);
  }
  throw xmlError("xml_malformed", "The XML has no root element");
}

// ---------------------------------------------------------------------------------------------
// Input decoding

const utf8 = new TextDecoder("utf-8", { fatal: true, ignoreBOM: false });

function decodeInput(input: string | Uint8Array): string {
  let text: string;
  if (typeof input === "string") {
    if (input.length > XML_LIMITS.maxBytes) throw tooLarge();
    text = input.charCodeAt(0) === 0xfeff ? input.slice(1) : input;
  } else {
    if (input.byteLength > XML_LIMITS.maxBytes) throw tooLarge();
    try {
      // ignoreBOM: false makes the decoder drop a leading BOM itself.
      text = utf8.decode(input);
    } catch {
      throw xmlError("xml_malformed", "The XML is not valid UTF-8");
    }
  }
  if (text.length === 0) throw xmlError("xml_malformed", "The XML is empty");
  return text;
}

const tooLarge = () =>
  xmlError("xml_too_large", `The XML exceeds the limit of ${XML_LIMITS.maxBytes} bytes`, {
    limit: XML_LIMITS.maxBytes,
  });

// ---------------------------------------------------------------------------------------------
// Pre-scan: well-formedness and resource limits in one linear pass.

// XML 1.0 Char excludes these; libxml2 rejects them, so a cadena must never contain them.
// biome-ignore lint/suspicious/noControlCharactersInRegex: finding control characters is the point.
const FORBIDDEN_CHAR = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]/;

const isSpace = (c: number) => c === 32 || c === 10 || c === 9 || c === 13;

/** A NameChar: ASCII letters, digits, '.', '-', '_', ':' or any character from U+00B7 up. */
function isNameChar(c: number): boolean {
  return (
    (c >= 97 && c <= 122) ||
    (c >= 65 && c <= 90) ||
    (c >= 48 && c <= 58) /* digits and ':' */ ||
    c === 45 ||
    c === 46 ||
    c === 95 ||
    c >= 0xb7
  );
}

/** A NameStartChar: letters, '_', ':' or any non-ASCII character (the XML spec's ranges, loosely). */
function isNameStart(c: number): boolean {
  return (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === 95 || c === 58 || c >= 0xc0;
}

function scanXml(s: string): void {
  const forbidden = FORBIDDEN_CHAR.exec(s);
  if (forbidden) throw malformedAt(s, forbidden.index, "The XML contains a forbidden control character");

  const n = s.length;
  const stack: string[] = [];
  let elements = 0;
  let rootDone = false;
  let i = 0;
  // Attribute names of the current tag; a Set takes over past a handful to keep the check linear.
  const attrNames: string[] = [];
  const manyAttrNames = new Set<string>();

  // Next "]]>" at or after i: in character data it may only close a CDATA section.
  let cdataClose = s.indexOf("]]>");

  for (;;) {
    const lt = s.indexOf("<", i);
    const textEnd = lt === -1 ? n : lt;
    if (stack.length === 0 && hasNonSpace(s, i, textEnd)) {
      throw malformedAt(s, i, "The XML has text outside the root element");
    }
    if (cdataClose !== -1 && cdataClose < i) cdataClose = s.indexOf("]]>", i);
    if (cdataClose !== -1 && cdataClose < textEnd) throw malformedAt(s, cdataClose, "The XML has ']]>' in text");
    if (lt === -1) break;
    const c1 = s.charCodeAt(lt + 1);

    if (c1 === 33 /* ! */) {
      if (s.startsWith("<!--", lt)) {
        const end = s.indexOf("-->", lt + 4);
        if (end === -1) throw malformedAt(s, lt, "The XML has an unclosed comment");
        const dashes = s.indexOf("--", lt + 4);
        if (dashes !== end || (end > lt + 4 && s.charCodeAt(end - 1) === 45)) throw malformedAt(s, lt, "The XML has '--' inside a comment");
        i = end + 3;
      } else if (s.startsWith("<![CDATA[", lt)) {
        if (stack.length === 0) throw malformedAt(s, lt, "The XML has CDATA outside the root element");
        const end = s.indexOf("]]>", lt + 9);
        if (end === -1) throw malformedAt(s, lt, "The XML has an unclosed CDATA section");
        i = end + 3;
      } else if (s.startsWith("<!DOCTYPE", lt) || s.startsWith("<!ENTITY", lt)) {
        throw xmlError(
          "xml_doctype_forbidden",
          "DOCTYPE and ENTITY declarations are not allowed in a CFDI (they enable entity-expansion and external-entity attacks)",
        );
      } else {
        throw malformedAt(s, lt, "The XML has an invalid '<!' construct");
      }
      continue;
    }

    if (c1 === 63 /* ? */) {
      const end = s.indexOf("?>", lt + 2);
      if (end === -1) throw malformedAt(s, lt, "The XML has an unclosed processing instruction");
      const target = readName(s, lt + 2);
      if (target.toLowerCase() === "xml") {
        if (lt !== 0 || target !== "xml") {
          throw malformedAt(s, lt, "The XML declaration must be the very first thing in the document");
        }
        checkDeclaration(s, s.slice(lt + 5, end));
      }
      i = end + 2;
      continue;
    }

    if (c1 === 47 /* / */) {
      const name = readName(s, lt + 2);
      const open = stack.pop();
      if (open === undefined || name !== open) {
        throw malformedAt(
          s,
          lt,
          open === undefined
            ? `The XML has a closing tag </${name}> without an opening tag`
            : `The XML closes <${open}> with </${name}>`,
        );
      }
      let j = lt + 2 + name.length;
      while (isSpace(s.charCodeAt(j))) j++;
      if (s.charCodeAt(j) !== 62) throw malformedAt(s, j, `The closing tag </${name}> is not terminated`);
      if (stack.length === 0) rootDone = true;
      i = j + 1;
      continue;
    }

    // Opening or empty-element tag.
    if (rootDone) throw malformedAt(s, lt, "The XML has more than one root element");
    const name = readName(s, lt + 1);
    if (!isQName(name)) throw malformedAt(s, lt, "The XML has an invalid element name");
    if (++elements > XML_LIMITS.maxElements) {
      throw xmlError("xml_too_large", `The XML has more than ${XML_LIMITS.maxElements} elements`, {
        limit: XML_LIMITS.maxElements,
      });
    }
    let j = lt + 1 + name.length;
    attrNames.length = 0;
    manyAttrNames.clear();
    let selfClosing = false;
    for (;;) {
      const before = j;
      while (isSpace(s.charCodeAt(j))) j++;
      const c = s.charCodeAt(j);
      if (c === 62 /* > */) {
        j++;
        break;
      }
      if (c === 47 /* / */ && s.charCodeAt(j + 1) === 62) {
        selfClosing = true;
        j += 2;
        break;
      }
      if (j === before || !isNameStart(c)) {
        throw malformedAt(
          s,
          j,
          Number.isNaN(c) ? `The tag <${name}> is not closed` : `Invalid markup in <${name}>`,
        );
      }
      const attr = readName(s, j);
      j += attr.length;
      while (isSpace(s.charCodeAt(j))) j++;
      if (s.charCodeAt(j) !== 61 /* = */)
        throw malformedAt(s, j, `Attribute ${attr} of <${name}> has no value`);
      j++;
      while (isSpace(s.charCodeAt(j))) j++;
      const quote = s.charCodeAt(j);
      if (quote !== 34 && quote !== 39)
        throw malformedAt(s, j, `Attribute ${attr} of <${name}> is not quoted`);
      const close = s.indexOf(quote === 34 ? '"' : "'", j + 1);
      if (close === -1) throw malformedAt(s, j, `Attribute ${attr} of <${name}> is not terminated`);
      const nextLt = s.indexOf("<", j + 1);
      if (nextLt !== -1 && nextLt < close)
        throw malformedAt(s, nextLt, `Attribute ${attr} of <${name}> contains '<'`);
      j = close + 1;
      const count = attrNames.length + manyAttrNames.size;
      if (count === XML_LIMITS.maxAttributes) {
        throw xmlError(
          "xml_too_many_attributes",
          `The element <${name}> has more than ${XML_LIMITS.maxAttributes} attributes`,
          { limit: XML_LIMITS.maxAttributes },
        );
      }
      if (attrNames.includes(attr) || manyAttrNames.has(attr)) {
        throw malformedAt(s, j, `The element <${name}> repeats attribute ${attr}`);
      }
      if (attrNames.length < 16) attrNames.push(attr);
      else manyAttrNames.add(attr);
    }
    if (!selfClosing) {
      if (stack.length === XML_LIMITS.maxDepth) {
        throw xmlError("xml_too_deep", `The XML nests elements deeper than ${XML_LIMITS.maxDepth} levels`, {
          limit: XML_LIMITS.maxDepth,
        });
      }
      stack.push(name);
    } else if (stack.length === 0) {
      rootDone = true;
    }
    i = j;
  }

  if (stack.length > 0) throw malformedAt(s, n, `The XML ends before <${stack[stack.length - 1]}> is closed`);
  if (!rootDone) throw xmlError("xml_malformed", "The XML has no root element");
}

/** A name with at most one colon, not at either end (Namespaces in XML §4). */
function isQName(name: string): boolean {
  if (name.length === 0 || !isNameStart(name.charCodeAt(0)) || name.charCodeAt(0) === 58) return false;
  const colon = name.indexOf(":");
  return colon === -1 || (colon < name.length - 1 && name.indexOf(":", colon + 1) === -1);
}

function readName(s: string, from: number): string {
  let j = from;
  while (isNameChar(s.charCodeAt(j))) j++;
  return s.slice(from, j);
}

function hasNonSpace(s: string, from: number, to: number): boolean {
  for (let k = from; k < to; k++) if (!isSpace(s.charCodeAt(k))) return true;
  return false;
}

// XML 1.0 §2.8 XMLDecl, after "<?xml": version, then optional encoding and standalone, in order.
const XML_DECLARATION =
  /^\s+version\s*=\s*(["'])1\.[0-9]+\1(?:\s+encoding\s*=\s*(["'])([A-Za-z][\w.-]*)\2)?(?:\s+standalone\s*=\s*(["'])(?:yes|no)\4)?\s*$/;

function checkDeclaration(s: string, body: string): void {
  const declaration = XML_DECLARATION.exec(body);
  if (!declaration) throw malformedAt(s, 0, "The XML declaration is malformed");
  const encoding = declaration[3];
  if (encoding !== undefined && !/^utf-?8$/i.test(encoding)) {
    throw xmlError("xml_unsupported_encoding", `The XML declares encoding "${encoding}"; a CFDI must be UTF-8`, {
      encoding,
    });
  }
}

// ---------------------------------------------------------------------------------------------
// fast-xml-parser pass and conversion to XmlNode

type FxpItem = Record<string, unknown>;
type Scope = Record<string, string>;

const fxp = new XMLParser({
  preserveOrder: true,
  ignoreAttributes: false,
  attributeNamePrefix: "",
  // Exact lexical values: no trimming, no number parsing, entities decoded by us (below) so that
  // undefined entities are errors instead of being passed through.
  trimValues: false,
  parseTagValue: false,
  parseAttributeValue: false,
  processEntities: false,
  cdataPropName: "#cdata",
  ignoreDeclaration: true,
  ignorePiTags: true,
  jPath: false,
  maxNestedTags: XML_LIMITS.maxDepth + 1,
});

const ROOT_SCOPE: Scope = { xml: XML_NAMESPACE };

function elementName(item: FxpItem): string | undefined {
  for (const key in item) {
    if (key !== ":@" && key !== "#text" && key !== "#cdata") return key;
  }
  return undefined;
}

// Literal tabs and line breaks in attribute values are normalized to spaces (XML 1.0 §3.3.3), and
// character/entity references are decoded; a value with neither is returned as is.
const ATTR_NEEDS_WORK = /[&\t\n\r]/;
const ATTR_WHITESPACE = /[\t\n\r]/g;

function attributeValue(raw: string): string {
  if (!ATTR_NEEDS_WORK.test(raw)) return raw;
  return decodeReferences(raw.replace(ATTR_WHITESPACE, " "));
}

function toXmlNode(item: FxpItem, qname: string, parentScope: Scope): XmlNode {
  const rawAttributes = item[":@"] as Record<string, string> | undefined;
  const attributes: Record<string, string> = {};
  let scope = parentScope;
  if (rawAttributes !== undefined) {
    for (const key in rawAttributes) {
      const value = attributeValue(rawAttributes[key] as string);
      if (key.charCodeAt(0) === 120 /* x */ && (key === "xmlns" || key.startsWith("xmlns:"))) {
        if (scope === parentScope) scope = { ...parentScope };
        scope[key.length === 5 ? "" : key.slice(6)] = value;
      } else {
        attributes[key] = value;
      }
    }
  }
  const colon = qname.indexOf(":");
  const prefix = colon === -1 ? "" : qname.slice(0, colon);
  const namespace = scope[prefix];
  if (namespace === undefined && prefix !== "") {
    throw xmlError("xml_malformed", `The XML uses namespace prefix "${prefix}" without declaring it`, {
      element: qname,
    });
  }
  const node: XmlNode = {
    name: colon === -1 ? qname : qname.slice(colon + 1),
    prefix,
    namespace: namespace ?? "",
    attributes,
    children: [],
    text: "",
  };
  const content = item[qname] as FxpItem[];
  for (const child of content) {
    const text = child["#text"];
    if (text !== undefined) {
      node.text += decodeReferences(text as string);
      continue;
    }
    const cdata = child["#cdata"];
    if (cdata !== undefined) {
      for (const part of cdata as FxpItem[]) node.text += part["#text"] as string;
      continue;
    }
    const name = elementName(child);
    if (name !== undefined) node.children.push(toXmlNode(child, name, scope));
  }
  return node;
}

const PREDEFINED_ENTITIES: Record<string, string> = { lt: "<", gt: ">", amp: "&", quot: '"', apos: "'" };

function decodeReferences(s: string): string {
  let amp = s.indexOf("&");
  if (amp === -1) return s;
  let out = "";
  let from = 0;
  while (amp !== -1) {
    const semi = s.indexOf(";", amp + 1);
    if (semi === -1 || semi - amp > 12) throw badReference(s.slice(amp, amp + 12));
    const ref = s.slice(amp + 1, semi);
    let decoded: string | undefined;
    if (ref.charCodeAt(0) === 35 /* # */) {
      const hex = ref.charCodeAt(1) === 120; /* x */
      const digits = ref.slice(hex ? 2 : 1);
      const valid = hex ? /^[0-9a-fA-F]+$/.test(digits) : /^[0-9]+$/.test(digits);
      const code = valid ? Number.parseInt(digits, hex ? 16 : 10) : -1;
      if (isXmlChar(code)) decoded = String.fromCodePoint(code);
    } else {
      decoded = PREDEFINED_ENTITIES[ref];
    }
    if (decoded === undefined) throw badReference(`&${ref};`);
    out += s.slice(from, amp) + decoded;
    from = semi + 1;
    amp = s.indexOf("&", from);
  }
  return out + s.slice(from);
}

function isXmlChar(c: number): boolean {
  return (
    c === 9 ||
    c === 10 ||
    c === 13 ||
    (c >= 0x20 && c <= 0xd7ff) ||
    (c >= 0xe000 && c <= 0xfffd) ||
    (c >= 0x10000 && c <= 0x10ffff)
  );
}

const badReference = (ref: string) =>
  xmlError("xml_malformed", `The XML contains an invalid or undefined entity reference ${ref}`, {
    reference: ref,
  });

// ---------------------------------------------------------------------------------------------

function xmlError(code: XmlErrorCode, message: string, details?: Record<string, unknown>): AppError {
  return badRequest(code, message, details);
}

function malformedAt(s: string, offset: number, message: string): AppError {
  let line = 1;
  let lineStart = 0;
  for (let k = s.indexOf("\n"); k !== -1 && k < offset; k = s.indexOf("\n", k + 1)) {
    line++;
    lineStart = k + 1;
  }
  return xmlError("xml_malformed", `${message} (line ${line}, column ${offset - lineStart + 1})`, {
    line,
    column: offset - lineStart + 1,
  });
}
