/**
 * A minimal DER reader: just enough ASN.1 to read SAT certificates (.cer) and encrypted PKCS#8 keys
 * (.key) without a dependency. It never copies: every node is a view into the input bytes. Anything
 * that is not well-formed DER (indefinite lengths, lengths past the end, truncated headers) throws
 * `AppError(400, "asn1_malformed")`; callers turn that into their own, more specific code.
 */
import { badRequest } from "../errors";

export const TAG = {
  BOOLEAN: 0x01,
  INTEGER: 0x02,
  BIT_STRING: 0x03,
  OCTET_STRING: 0x04,
  NULL: 0x05,
  OID: 0x06,
  UTF8_STRING: 0x0c,
  PRINTABLE_STRING: 0x13,
  T61_STRING: 0x14,
  IA5_STRING: 0x16,
  UTC_TIME: 0x17,
  GENERALIZED_TIME: 0x18,
  UNIVERSAL_STRING: 0x1c,
  BMP_STRING: 0x1e,
  SEQUENCE: 0x30,
  SET: 0x31,
} as const;

/** Context-specific constructed tag `[n]` (e.g. the certificate's `[0]` version and `[3]` extensions). */
export const contextTag = (n: number) => 0xa0 | n;

export interface DerNode {
  /** The identifier octet (class, constructed bit and tag number; high tag numbers are refused). */
  tag: number;
  /** The whole TLV encoding: what a signature or a SubjectPublicKeyInfo import needs. */
  der: Uint8Array;
  /** The content octets. */
  value: Uint8Array;
}

const malformed = (why: string) => badRequest("asn1_malformed", `Malformed DER: ${why}`);

/** Reads the TLV that starts at `offset`; `end` bounds it (the parent's content end). */
export function readNode(bytes: Uint8Array, offset = 0, end = bytes.length): DerNode {
  if (offset + 2 > end) throw malformed("truncated header");
  const tag = bytes[offset]!;
  if ((tag & 0x1f) === 0x1f) throw malformed("high tag numbers are not supported");
  let length = bytes[offset + 1]!;
  let header = 2;
  if (length & 0x80) {
    const count = length & 0x7f;
    if (count === 0) throw malformed("indefinite length is not DER");
    if (count > 4) throw malformed("length too large");
    if (offset + 2 + count > end) throw malformed("truncated length");
    length = 0;
    for (let i = 0; i < count; i++) length = length * 256 + bytes[offset + 2 + i]!;
    header += count;
  }
  const valueStart = offset + header;
  if (valueStart + length > end) throw malformed("length past the end of the data");
  return {
    tag,
    der: bytes.subarray(offset, valueStart + length),
    value: bytes.subarray(valueStart, valueStart + length),
  };
}

/** Parses `bytes` as exactly one TLV (trailing bytes are refused). */
export function parseDer(bytes: Uint8Array): DerNode {
  const node = readNode(bytes);
  if (node.der.length !== bytes.length) throw malformed("trailing data after the top-level value");
  return node;
}

/** The child TLVs of a constructed node, in order. */
export function childrenOf(node: DerNode): DerNode[] {
  if ((node.tag & 0x20) === 0) throw malformed(`tag 0x${node.tag.toString(16)} is not constructed`);
  const out: DerNode[] = [];
  const { value } = node;
  let offset = 0;
  while (offset < value.length) {
    const child = readNode(value, offset, value.length);
    out.push(child);
    offset += child.der.length;
  }
  return out;
}

export function expectTag(node: DerNode | undefined, tag: number, what: string): DerNode {
  if (!node) throw malformed(`${what} is missing`);
  if (node.tag !== tag)
    throw malformed(`${what} has tag 0x${node.tag.toString(16)}, expected 0x${tag.toString(16)}`);
  return node;
}

/** Children of a node that must be a SEQUENCE (or another constructed `tag`). */
export const sequence = (node: DerNode | undefined, what: string, tag: number = TAG.SEQUENCE) =>
  childrenOf(expectTag(node, tag, what));

export function readOid(node: DerNode | undefined, what = "OBJECT IDENTIFIER"): string {
  const { value } = expectTag(node, TAG.OID, what);
  if (value.length === 0) throw malformed(`${what} is empty`);
  const arcs: number[] = [];
  let arc = 0;
  for (const byte of value) {
    arc = arc * 128 + (byte & 0x7f);
    if ((byte & 0x80) === 0) {
      if (arcs.length === 0) arcs.push(arc < 80 ? Math.floor(arc / 40) : 2, arc < 80 ? arc % 40 : arc - 80);
      else arcs.push(arc);
      arc = 0;
    }
  }
  if (value[value.length - 1]! & 0x80) throw malformed(`${what} is truncated`);
  return arcs.join(".");
}

/** An INTEGER's magnitude as big-endian bytes without the sign-padding zero (for moduli, serials). */
export function readUnsignedInteger(node: DerNode | undefined, what = "INTEGER"): Uint8Array {
  const { value } = expectTag(node, TAG.INTEGER, what);
  if (value.length === 0) throw malformed(`${what} is empty`);
  let start = 0;
  while (start < value.length - 1 && value[start] === 0) start++;
  return value.subarray(start);
}

/** A small INTEGER as a JS number (iteration counts, versions). */
export function readSmallInteger(node: DerNode | undefined, what = "INTEGER"): number {
  const bytes = readUnsignedInteger(node, what);
  if (bytes.length > 6) throw malformed(`${what} is too large`);
  return bytes.reduce((n, b) => n * 256 + b, 0);
}

export function readOctetString(node: DerNode | undefined, what = "OCTET STRING"): Uint8Array {
  return expectTag(node, TAG.OCTET_STRING, what).value;
}

/** A BIT STRING's bits as an array of booleans, bit 0 first (the order named-bit lists use). */
export function readBits(node: DerNode | undefined, what = "BIT STRING"): boolean[] {
  const { value } = expectTag(node, TAG.BIT_STRING, what);
  if (value.length === 0) throw malformed(`${what} is empty`);
  const unused = value[0]!;
  if (unused > 7) throw malformed(`${what} has an invalid unused-bit count`);
  const bits: boolean[] = [];
  const total = (value.length - 1) * 8 - unused;
  for (let i = 0; i < total; i++) bits.push(((value[1 + (i >> 3)]! >> (7 - (i & 7))) & 1) === 1);
  return bits;
}

const utf8 = new TextDecoder("utf-8");
const latin1 = new TextDecoder("latin1");

/** Any of the string types X.500 names use, decoded to a JS string. */
export function readString(node: DerNode | undefined, what = "string"): string {
  if (!node) throw malformed(`${what} is missing`);
  const { value } = node;
  switch (node.tag) {
    case TAG.UTF8_STRING:
      return utf8.decode(value);
    case TAG.PRINTABLE_STRING:
    case TAG.IA5_STRING:
    case TAG.T61_STRING:
      return latin1.decode(value);
    case TAG.BMP_STRING: {
      let s = "";
      for (let i = 0; i + 1 < value.length; i += 2)
        s += String.fromCharCode((value[i]! << 8) | value[i + 1]!);
      return s;
    }
    case TAG.UNIVERSAL_STRING: {
      let s = "";
      for (let i = 0; i + 3 < value.length; i += 4) {
        s += String.fromCodePoint(
          ((value[i]! << 24) | (value[i + 1]! << 16) | (value[i + 2]! << 8) | value[i + 3]!) >>> 0,
        );
      }
      return s;
    }
    default:
      throw malformed(`${what} has tag 0x${node.tag.toString(16)}, which is not a string type`);
  }
}

/** UTCTime (YYMMDDHHMMSSZ, years 50–99 are 19xx) or GeneralizedTime (YYYYMMDDHHMMSSZ). */
export function readTime(node: DerNode | undefined, what = "time"): Date {
  if (!node) throw malformed(`${what} is missing`);
  let text = latin1.decode(node.value);
  if (node.tag === TAG.UTC_TIME && /^\d{12}Z$/.test(text)) {
    text = (Number(text.slice(0, 2)) >= 50 ? "19" : "20") + text;
  } else if (node.tag !== TAG.GENERALIZED_TIME) {
    throw malformed(`${what} is not a UTCTime/GeneralizedTime`);
  }
  const parts = /^(\d{4})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})Z$/.exec(text);
  if (!parts) throw malformed(`${what} "${text}" is not a DER time`);
  const [year, month, day, hour, minute, second] = parts.slice(1).map(Number) as [
    number,
    number,
    number,
    number,
    number,
    number,
  ];
  return new Date(Date.UTC(year, month - 1, day, hour, minute, second));
}

export const toHex = (bytes: Uint8Array) => {
  let s = "";
  for (const b of bytes) s += b.toString(16).padStart(2, "0");
  return s;
};
