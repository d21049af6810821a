/**
 * Safe XML loading: bytes or text in, a namespace-resolved `XmlNode` tree out.
 *
 * Untrusted documents reach this code straight from API clients, so everything that could make
 * parsing slow, memory-hungry or ambiguous is refused by a linear pre-scan before fast-xml-parser
 * runs (fast-xml-parser is lenient: it accepts mismatched or unclosed tags and duplicate attributes,
 * and expands DOCTYPE entities). The pre-scan jumps between markup characters with `indexOf` and,
 * since it has to delimit every attribute to check it, records where each one is; fast-xml-parser
 * then builds the element tree with attribute parsing turned off (its slowest part) and the
 * conversion to XmlNode slices the attributes from the recorded positions. Scan + parse + convert
 * costs less than fast-xml-parser alone with attributes on. The tree that comes out is the one any
 * conforming parser (libxml2, which SAT's XSLT tooling uses) would build: a differential fuzz test
 * against xsltproc holds us to that.
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
  const tags = scanXml(text);
  let items: FxpItem[];
  try {
    items = fxp.parse(text) as FxpItem[];
  } catch (e) {
    // The pre-scan accepts only documents fast-xml-parser handles; reaching this is a scan gap.
    throw xmlError("xml_malformed", `The XML could not be parsed: ${(e as Error).message}`);
  }
  for (const item of items) {
    const name = elementName(item);
    if (name === undefined) continue;
    const converter = new Converter(text, tags);
    const root = converter.node(item, name, ROOT_SCOPE);
    // Every element the pre-scan saw became a node, each with its own attributes.
    if (converter.converted !== tags.offsets.length) {
      throw xmlError("xml_malformed", "The XML could not be read consistently");
    }
    return root;
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
const FORBIDDEN_CONTROL_CHAR = /[\u0000-\u0008\u000B\u000C\u000E-\u001F]/;
// Searched apart from the control characters: a class that reaches past U+00FF makes the regex
// twice as slow on the usual all-Latin-1 document, where indexOf of these is immediate.
const NON_CHARACTERS = ["\uFFFE", "\uFFFF"];

function forbiddenCharIndex(s: string): number {
  const control = FORBIDDEN_CONTROL_CHAR.exec(s);
  let first = control ? control.index : -1;
  for (const c of NON_CHARACTERS) {
    const k = s.indexOf(c);
    if (k !== -1 && (first === -1 || k < first)) first = k;
  }
  return first;
}

const isSpace = (c: number) => c === 32 || c === 10 || c === 9 || c === 13;

/** A NameChar: ASCII letters, digits, '.', '-', '_', ':' or any character from U+00B7 up (loosely). */
function isNameChar(c: number): boolean {
  return (
    (c >= 97 && c <= 122) ||
    (c >= 65 && c <= 90) ||
    (c >= 48 && c <= 58) /* digits and ':' */ ||
    c === 45 ||
    c === 46 ||
    c === 95 ||
    (c >= 0xb7 && c !== 0xfffe && c !== 0xffff)
  );
}

/** A NameStartChar: letters, '_', ':' or any non-ASCII character (the XML spec's ranges, loosely). */
function isNameStart(c: number): boolean {
  return (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === 95 || c === 58 || c >= 0xc0;
}

/** Per-element findings of the pre-scan that spare the conversion from looking at every value. */
const ATTRIBUTE_REFERENCES = 1; // an attribute value holds '&', a tab or a line break
const NAMESPACE_DECLARATIONS = 2; // the element declares xmlns or xmlns:prefix
const TEXT_REFERENCES = 4; // the element's own text holds '&'

/**
 * What the pre-scan learned about every element, in document order (the order fast-xml-parser
 * emits them): where its tag starts, its ATTRIBUTE_REFERENCES… flags, and where its attributes are.
 * Attribute k of the whole document occupies spans[5k..5k+4] = name start, name end, value start,
 * value end, name hash; element e owns attributes firstAttribute[e] up to firstAttribute[e + 1].
 */
const SPAN = 5;

interface Tags {
  offsets: number[];
  /** Qualified name of every element, in document order. */
  names: string[];
  flags: number[];
  firstAttribute: number[];
  spans: number[];
}

function scanXml(s: string): Tags {
  const bad = forbiddenCharIndex(s);
  if (bad !== -1) throw malformedAt(s, bad, "The XML contains a character XML forbids");

  const n = s.length;
  const stack: string[] = [];
  const open: number[] = []; // element index of each entry of `stack`
  const tags: Tags = { offsets: [], names: [], flags: [], firstAttribute: [], spans: [] };
  const spans = tags.spans;
  let rootDone = false;
  let i = 0;
  // Next '&', tab, LF and CR: found lazily and only ever moving forward (values and text runs are
  // visited in document order), so the document is searched for each once in total.
  let cdataClose = s.indexOf("]]>"); // in character data, "]]>" may only close a CDATA section
  let nextAmp = 0;
  let nextTab = 0;
  let nextLf = 0;
  let nextCr = 0;
  // Attribute-name hashes of the current tag, for the duplicate check.
  const hashes: number[] = [];
  const starts: number[] = [];

  for (;;) {
    const lt = s.indexOf("<", i);
    const textEnd = lt === -1 ? n : lt;
    if (stack.length === 0) {
      if (hasNonSpace(s, i, textEnd)) throw malformedAt(s, i, "The XML has text outside the root element");
    } else if (textEnd > i) {
      if (nextAmp < i) nextAmp = nextIndex(s, "&", i);
      if (nextAmp < textEnd) tags.flags[open[open.length - 1]!]! |= TEXT_REFERENCES;
    }
    if (cdataClose !== -1 && cdataClose < i) cdataClose = s.indexOf("]]>", i);
    if (cdataClose !== -1 && cdataClose < textEnd)
      throw malformedAt(s, cdataClose, "The XML has ']]>' in text");
    if (lt === -1) break;
    const c1 = s.charCodeAt(lt + 1);

    if (c1 === 33 /* ! */) {
      if (s.startsWith("<!--", lt)) {
        const end = s.indexOf("-->", lt + 4);
        if (end === -1) throw malformedAt(s, lt, "The XML has an unclosed comment");
        const dashes = s.indexOf("--", lt + 4);
        if (dashes !== end || (end > lt + 4 && s.charCodeAt(end - 1) === 45)) {
          throw malformedAt(s, lt, "The XML has '--' inside a comment");
        }
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
      const afterTarget = lt + 2 + target.length;
      if (!isQName(target) || (afterTarget !== end && !isSpace(s.charCodeAt(afterTarget)))) {
        throw malformedAt(s, lt, "The XML has a malformed processing instruction");
      }
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
      const expected = stack.pop();
      open.pop();
      // Compared in place: slicing every closing tag's name costs more than the comparison.
      if (
        expected === undefined ||
        !s.startsWith(expected, lt + 2) ||
        isNameChar(s.charCodeAt(lt + 2 + expected.length))
      ) {
        const name = readName(s, lt + 2);
        throw malformedAt(
          s,
          lt,
          expected === undefined
            ? `The XML has a closing tag </${name}> without an opening tag`
            : `The XML closes <${expected}> with </${name}>`,
        );
      }
      let j = lt + 2 + expected.length;
      while (isSpace(s.charCodeAt(j))) j++;
      if (s.charCodeAt(j) !== 62) throw malformedAt(s, j, `The closing tag </${expected}> is not terminated`);
      if (stack.length === 0) rootDone = true;
      i = j + 1;
      continue;
    }

    // Opening or empty-element tag.
    if (rootDone) throw malformedAt(s, lt, "The XML has more than one root element");
    const name = readName(s, lt + 1);
    if (name.length === 0 || !isNameStart(name.charCodeAt(0))) {
      throw malformedAt(s, lt, "The XML has an invalid element name");
    }
    if (!isQName(name)) throw malformedAt(s, lt, `The element name <${name}> is not a valid qualified name`);
    const index = tags.offsets.push(lt) - 1;
    tags.names.push(name);
    if (index === XML_LIMITS.maxElements) {
      throw xmlError("xml_too_large", `The XML has more than ${XML_LIMITS.maxElements} elements`, {
        limit: XML_LIMITS.maxElements,
      });
    }
    let flags = 0;
    tags.firstAttribute.push(spans.length / SPAN);
    let j = lt + 1 + name.length;
    // The first '<' after this one: if it falls inside an attribute value, the value holds a '<'.
    const nextLt = s.indexOf("<", j);
    let attributeCount = 0;
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
      const attrStart = j;
      let hash = 0;
      for (let d = c; isNameChar(d); d = s.charCodeAt(++j)) hash = (Math.imul(hash, 31) + d) | 0;
      const attrLength = j - attrStart;
      for (let k = 0; k < attributeCount; k++) {
        if (hashes[k] === hash && sameName(s, starts[k]!, attrStart, attrLength)) {
          throw malformedAt(
            s,
            attrStart,
            `The element <${name}> repeats attribute ${readName(s, attrStart)}`,
          );
        }
      }
      if (attributeCount === XML_LIMITS.maxAttributes) {
        throw xmlError(
          "xml_too_many_attributes",
          `The element <${name}> has more than ${XML_LIMITS.maxAttributes} attributes`,
          { limit: XML_LIMITS.maxAttributes },
        );
      }
      hashes[attributeCount] = hash;
      starts[attributeCount++] = attrStart;
      if (
        c === 120 /* x */ &&
        s.startsWith("xmlns", attrStart) &&
        (attrLength === 5 || s.charCodeAt(attrStart + 5) === 58)
      ) {
        flags |= NAMESPACE_DECLARATIONS;
      }
      while (isSpace(s.charCodeAt(j))) j++;
      if (s.charCodeAt(j) !== 61 /* = */) {
        throw malformedAt(s, j, `Attribute ${readName(s, attrStart)} of <${name}> has no value`);
      }
      j++;
      while (isSpace(s.charCodeAt(j))) j++;
      const quote = s.charCodeAt(j);
      if (quote !== 34 && quote !== 39) {
        throw malformedAt(s, j, `Attribute ${readName(s, attrStart)} of <${name}> is not quoted`);
      }
      const close = s.indexOf(quote === 34 ? '"' : "'", j + 1);
      if (close === -1) {
        throw malformedAt(s, j, `Attribute ${readName(s, attrStart)} of <${name}> is not terminated`);
      }
      if (nextLt !== -1 && nextLt < close) {
        throw malformedAt(s, nextLt, `Attribute ${readName(s, attrStart)} of <${name}> contains '<'`);
      }
      if (nextAmp <= j) nextAmp = nextIndex(s, "&", j);
      if (nextTab <= j) nextTab = nextIndex(s, "\t", j);
      if (nextLf <= j) nextLf = nextIndex(s, "\n", j);
      if (nextCr <= j) nextCr = nextIndex(s, "\r", j);
      if (nextAmp < close || nextTab < close || nextLf < close || nextCr < close)
        flags |= ATTRIBUTE_REFERENCES;
      spans.push(attrStart, attrStart + attrLength, j + 1, close, hash);
      j = close + 1;
    }
    tags.flags.push(flags);
    if (!selfClosing) {
      if (stack.length === XML_LIMITS.maxDepth) {
        throw xmlError("xml_too_deep", `The XML nests elements deeper than ${XML_LIMITS.maxDepth} levels`, {
          limit: XML_LIMITS.maxDepth,
        });
      }
      stack.push(name);
      open.push(index);
    } else if (stack.length === 0) {
      rootDone = true;
    }
    i = j;
  }

  if (stack.length > 0) throw malformedAt(s, n, `The XML ends before <${stack[stack.length - 1]}> is closed`);
  if (!rootDone) throw xmlError("xml_malformed", "The XML has no root element");
  return tags;
}

/** Index of the next `ch` at or after `from`, or the length of `s` when there is none. */
function nextIndex(s: string, ch: string, from: number): number {
  const k = s.indexOf(ch, from);
  return k === -1 ? s.length : k;
}

function sameName(s: string, a: number, b: number, length: number): boolean {
  if (isNameChar(s.charCodeAt(a + length))) return false;
  for (let k = 0; k < length; k++) if (s.charCodeAt(a + k) !== s.charCodeAt(b + k)) return false;
  return true;
}

/** A name with at most one colon, not at either end (Namespaces in XML §4). */
function isQName(name: string): boolean {
  if (name.length === 0 || !isNameStart(name.charCodeAt(0)) || name.charCodeAt(0) === 58) return false;
  const colon = name.indexOf(":");
  return colon === -1 || (colon < name.length - 1 && name.indexOf(":", colon + 1) === -1);
}

function nameEnd(s: string, from: number): number {
  let j = from;
  while (isNameChar(s.charCodeAt(j))) j++;
  return j;
}

const readName = (s: string, from: number): string => s.slice(from, nameEnd(s, from));

function hasNonSpace(s: string, from: number, to: number): boolean {
  for (let k = from; k < to; k++) if (!isSpace(s.charCodeAt(k))) return true;
  return false;
}

// XML 1.0 §2.8 XMLDecl, after "<?xml": version, then optional encoding and standalone, in order.
const XML_DECLARATION =
  /^[ \t\r\n]+version[ \t\r\n]*=[ \t\r\n]*(["'])1\.[0-9]+\1(?:[ \t\r\n]+encoding[ \t\r\n]*=[ \t\r\n]*(["'])([A-Za-z][\w.-]*)\2)?(?:[ \t\r\n]+standalone[ \t\r\n]*=[ \t\r\n]*(["'])(?:yes|no)\4)?[ \t\r\n]*$/;

function checkDeclaration(s: string, body: string): void {
  const declaration = XML_DECLARATION.exec(body);
  if (!declaration) throw malformedAt(s, 0, "The XML declaration is malformed");
  const encoding = declaration[3];
  if (encoding !== undefined && !/^utf-?8$/i.test(encoding)) {
    throw xmlError(
      "xml_unsupported_encoding",
      `The XML declares encoding "${encoding}"; a CFDI must be UTF-8`,
      {
        encoding,
      },
    );
  }
}

// ---------------------------------------------------------------------------------------------
// fast-xml-parser pass and conversion to XmlNode

type FxpItem = Record<string, unknown>;
type Scope = Record<string, string>;

const fxp = new XMLParser({
  preserveOrder: true,
  // Attributes come from the pre-scan, which has already delimited every one of them: parsing them
  // again is the slowest part of fast-xml-parser (it more than doubles its time on a CFDI).
  ignoreAttributes: true,
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

// Literal tabs and line breaks in attribute values are normalized to spaces (XML 1.0 §3.3.3) and
// character/entity references decoded; the pre-scan flags the elements where any value needs it.
const VALUE_NEEDS_WORK = /[&\t\n\r]/;
const ATTR_WHITESPACE = /[\t\n\r]/g;

const isNamespaceDeclaration = (key: string) =>
  key.charCodeAt(0) === 120 /* x */ && (key === "xmlns" || key.startsWith("xmlns:"));

/**
 * Attribute names seen so far, by the pre-scan's hash. Objects built with the same string instances
 * as keys are several times faster to fill than with fresh slices (which V8 must hash and intern
 * every time), and a CFDI uses a few hundred distinct names. Bounded, so hostile documents full of
 * made-up names only make it stop growing.
 */
const ATTRIBUTE_NAMES = new Map<number, string>();
const ATTRIBUTE_NAMES_LIMIT = 4096;

function attributeName(s: string, start: number, end: number, hash: number): string {
  const known = ATTRIBUTE_NAMES.get(hash);
  if (known !== undefined && known.length === end - start && s.startsWith(known, start)) return known;
  const name = s.slice(start, end);
  if (ATTRIBUTE_NAMES.size < ATTRIBUTE_NAMES_LIMIT) ATTRIBUTE_NAMES.set(hash, name);
  return name;
}

/**
 * fast-xml-parser's ordered output to XmlNode, visiting elements in document order and taking
 * each one's attributes from the pre-scan at the same position; the names are compared so that
 * the two can never silently disagree.
 */
class Converter {
  /** Index of the next element in document order, into the pre-scan's Tags. */
  private index = 0;

  get converted(): number {
    return this.index;
  }

  constructor(
    private readonly source: string,
    private readonly tags: Tags,
  ) {}

  node(item: FxpItem, qname: string, parentScope: Scope): XmlNode {
    const s = this.source;
    const tags = this.tags;
    const index = this.index++;
    const offset = tags.offsets[index];
    if (
      offset === undefined ||
      !s.startsWith(qname, offset + 1) ||
      isNameChar(s.charCodeAt(offset + 1 + qname.length))
    ) {
      throw xmlError("xml_malformed", `The XML could not be read consistently near <${qname}>`);
    }
    const flags = tags.flags[index]!;
    const spans = tags.spans;
    const end = (tags.firstAttribute[index + 1] ?? spans.length / SPAN) * SPAN;
    const attributes: Record<string, string> = {};
    let scope = parentScope;
    for (let k = tags.firstAttribute[index]! * SPAN; k < end; k += SPAN) {
      const name = attributeName(s, spans[k]!, spans[k + 1]!, spans[k + 4]!);
      let value = s.slice(spans[k + 2], spans[k + 3]);
      if (flags & ATTRIBUTE_REFERENCES && VALUE_NEEDS_WORK.test(value)) {
        value = decodeReferences(value.replace(ATTR_WHITESPACE, " "));
      }
      if (flags & NAMESPACE_DECLARATIONS && isNamespaceDeclaration(name)) {
        // Namespace declarations are resolved into `namespace`, not kept as attributes.
        if (scope === parentScope) scope = { ...parentScope };
        scope[name.length === 5 ? "" : name.slice(6)] = value;
      } else if (name === "__proto__") {
        throw xmlError("xml_malformed", `The XML uses the reserved attribute name ${name}`);
      } else {
        attributes[name] = value;
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
    const references = (flags & TEXT_REFERENCES) !== 0;
    const names = tags.names;
    for (const child of item[qname] as FxpItem[]) {
      // The next element in document order is the only one this child can be, so its name is
      // known without enumerating the child's keys (for-in is the costly part of this loop).
      const next = names[this.index];
      if (next !== undefined && Array.isArray(child[next])) {
        node.children.push(this.node(child, next, scope));
        continue;
      }
      const text = child["#text"] as string | undefined;
      if (text !== undefined) {
        node.text += references ? decodeReferences(text) : text;
        continue;
      }
      const cdata = child["#cdata"];
      if (cdata !== undefined) {
        // CDATA content is literal: no references to decode.
        for (const part of cdata as FxpItem[]) node.text += part["#text"] as string;
        continue;
      }
      const name = elementName(child);
      if (name !== undefined) node.children.push(this.node(child, name, scope));
    }
    return node;
  }
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
