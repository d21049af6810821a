/**
 * IP address classification for outgoing requests (SSRF defence). Addresses are parsed from their
 * text forms into numbers and compared against the special-purpose ranges of the IANA IPv4 and IPv6
 * registries (RFC 6890 and successors); anything that is not a public unicast address is refused.
 *
 * Only canonical text forms are parsed: a URL's host has already been through the WHATWG host parser
 * (which turns `0x7f.1`, `017700000001` or `2130706433` into `127.0.0.1`), and resolvers answer in
 * dotted quads and RFC 4291 text. Anything else is "not an IP address" and is treated as a name.
 */

export type AddressClass = "public" | "loopback" | "private";

/** The 32-bit value of a dotted-quad IPv4 address, or null. */
export function parseIpv4(text: string): number | null {
  const parts = text.split(".");
  if (parts.length !== 4) return null;
  let value = 0;
  for (const part of parts) {
    if (!/^(0|[1-9]\d{0,2})$/.test(part)) return null;
    const octet = Number(part);
    if (octet > 255) return null;
    value = value * 256 + octet;
  }
  return value;
}

/** The 128-bit value of an IPv6 address (brackets, a zone id or an embedded IPv4 tail allowed), or null. */
export function parseIpv6(text: string): bigint | null {
  let s = text.startsWith("[") && text.endsWith("]") ? text.slice(1, -1) : text;
  const zone = s.indexOf("%");
  if (zone !== -1) s = s.slice(0, zone);
  if (!s.includes(":")) return null;
  const groups: number[] = [];
  const halves = s.split("::");
  if (halves.length > 2) return null;
  const parseHalf = (half: string): number[] | null => {
    if (half === "") return [];
    const out: number[] = [];
    const pieces = half.split(":");
    for (const [i, piece] of pieces.entries()) {
      if (i === pieces.length - 1 && piece.includes(".")) {
        const v4 = parseIpv4(piece);
        if (v4 === null) return null;
        out.push(Math.floor(v4 / 65536), v4 % 65536);
      } else {
        if (!/^[0-9a-f]{1,4}$/i.test(piece)) return null;
        out.push(Number.parseInt(piece, 16));
      }
    }
    return out;
  };
  const head = parseHalf(halves[0]!);
  const tail = halves.length === 2 ? parseHalf(halves[1]!) : [];
  if (head === null || tail === null) return null;
  if (halves.length === 2) {
    const missing = 8 - head.length - tail.length;
    if (missing < 1) return null;
    groups.push(...head, ...new Array<number>(missing).fill(0), ...tail);
  } else {
    if (head.length !== 8) return null;
    groups.push(...head);
  }
  return groups.reduce((acc, g) => (acc << 16n) | BigInt(g), 0n);
}

type V4Range = [base: string, bits: number, kind: Exclude<AddressClass, "public">];

const V4_SPECIAL: V4Range[] = [
  ["0.0.0.0", 8, "private"], // "this network"
  ["10.0.0.0", 8, "private"],
  ["100.64.0.0", 10, "private"], // carrier-grade NAT
  ["127.0.0.0", 8, "loopback"],
  ["169.254.0.0", 16, "private"], // link-local, cloud metadata endpoints
  ["172.16.0.0", 12, "private"],
  ["192.0.0.0", 24, "private"], // IETF protocol assignments
  ["192.0.2.0", 24, "private"], // documentation
  ["192.88.99.0", 24, "private"], // 6to4 relay anycast
  ["192.168.0.0", 16, "private"],
  ["198.18.0.0", 15, "private"], // benchmarking
  ["198.51.100.0", 24, "private"], // documentation
  ["203.0.113.0", 24, "private"], // documentation
  ["224.0.0.0", 4, "private"], // multicast
  ["240.0.0.0", 4, "private"], // reserved and broadcast
];

function inV4(value: number, base: string, bits: number): boolean {
  const size = 2 ** (32 - bits);
  return Math.floor(value / size) === Math.floor(parseIpv4(base)! / size);
}

export function classifyIpv4(value: number): AddressClass {
  for (const [base, bits, kind] of V4_SPECIAL) if (inV4(value, base, bits)) return kind;
  return "public";
}

const inV6 = (value: bigint, base: string, bits: number) => {
  const shift = BigInt(128 - bits);
  return value >> shift === parseIpv6(base)! >> shift;
};

export function classifyIpv6(value: bigint): AddressClass {
  if (value === 1n) return "loopback";
  // An IPv4 address carried in the low 32 bits (6to4 carries it in bits 16–48).
  if (inV6(value, "64:ff9b::", 96)) return classifyIpv4(Number(value & 0xffffffffn));
  if (inV6(value, "2002::", 16)) return classifyIpv4(Number((value >> 80n) & 0xffffffffn));
  // Global unicast is 2000::/3; everything outside it (unspecified, IPv4-mapped and -compatible,
  // discard, unique-local, link-local, site-local, multicast) is refused outright, and inside it
  // the IETF special-purpose block (Teredo, benchmarking, ORCHID) and the documentation prefixes.
  if (!inV6(value, "2000::", 3)) return "private";
  if (inV6(value, "2001::", 23) || inV6(value, "2001:db8::", 32) || inV6(value, "3fff::", 20)) {
    return "private";
  }
  return "public";
}

/** The class of an IP address in text, or null when the text is not an IP address. */
export function classifyAddress(text: string): AddressClass | null {
  const v4 = parseIpv4(text);
  if (v4 !== null) return classifyIpv4(v4);
  const v6 = parseIpv6(text);
  if (v6 !== null) return classifyIpv6(v6);
  return null;
}
