/**
 * Writing small ZIP archives in memory (downloads that bundle an invoice's XML and PDF). Entries are
 * stored, not deflated: XML and PDF bytes are what the user downloads, the archives are a few MiB at
 * most, and stored entries keep the writer a few lines of framing around the bytes. Names are UTF-8
 * (general-purpose flag bit 11). No ZIP64: archives stay far below its 4 GiB and 65,535-entry limits,
 * and anything beyond them is refused rather than written corrupt.
 *
 * Timestamps are MS-DOS date and time fields, which carry no time zone: the instant's UTC fields are
 * written, as most tools that write archives on servers do.
 */
import { crc32 } from "node:zlib";

export interface ZipWriteEntry {
  /** Path inside the archive, `/`-separated, e.g. `A-1.xml`. */
  name: string;
  data: Uint8Array;
  /** Last modification; defaults to the time of writing. */
  modifiedAt?: Date;
}

const SIG_LOCAL = 0x04034b50;
const SIG_CENTRAL = 0x02014b50;
const SIG_EOCD = 0x06054b50;
const LOCAL_SIZE = 30;
const CENTRAL_SIZE = 46;
const EOCD_SIZE = 22;
/** 2.0: the version every reader understands; stored entries need nothing newer. */
const VERSION = 20;
const FLAG_UTF8 = 0x0800;
const METHOD_STORED = 0;
const MAX_U16 = 0xffff;
const MAX_U32 = 0xffffffff;

const utf8 = new TextEncoder();

/** The archive's readers refuse absolute paths, `..`, backslashes and duplicates: so does the writer. */
function checkName(name: string, seen: Set<string>): void {
  const segments = name.split("/");
  if (
    name === "" ||
    name.startsWith("/") ||
    name.includes("\\") ||
    segments.some((s) => s === "" || s === "." || s === "..") ||
    seen.has(name)
  ) {
    throw new RangeError(`Not a usable ZIP entry name: ${JSON.stringify(name)}`);
  }
  seen.add(name);
}

function dosDateTime(at: Date): { date: number; time: number } {
  // DOS dates start in 1980 and end in 2107; clamp rather than wrap.
  const year = Math.min(2107, Math.max(1980, at.getUTCFullYear()));
  const inRange = year === at.getUTCFullYear();
  return {
    date:
      ((year - 1980) << 9) | ((inRange ? at.getUTCMonth() + 1 : 1) << 5) | (inRange ? at.getUTCDate() : 1),
    time: inRange ? (at.getUTCHours() << 11) | (at.getUTCMinutes() << 5) | (at.getUTCSeconds() >> 1) : 0,
  };
}

/** A ZIP archive holding `entries`, stored, in the given order. */
export function writeZip(entries: readonly ZipWriteEntry[]): Uint8Array<ArrayBuffer> {
  if (entries.length > MAX_U16) throw new RangeError(`A ZIP without ZIP64 holds at most ${MAX_U16} entries`);
  const seen = new Set<string>();
  const now = new Date();
  const prepared = entries.map((entry) => {
    checkName(entry.name, seen);
    const name = utf8.encode(entry.name);
    if (name.length > MAX_U16) throw new RangeError("A ZIP entry name has at most 65,535 bytes");
    return { name, data: entry.data, crc: crc32(entry.data), ...dosDateTime(entry.modifiedAt ?? now) };
  });

  const localSize = prepared.reduce((n, e) => n + LOCAL_SIZE + e.name.length + e.data.length, 0);
  const centralSize = prepared.reduce((n, e) => n + CENTRAL_SIZE + e.name.length, 0);
  const total = localSize + centralSize + EOCD_SIZE;
  if (total > MAX_U32) throw new RangeError("A ZIP without ZIP64 holds at most 4 GiB");

  const out = new Uint8Array(total);
  const view = new DataView(out.buffer);
  let at = 0;
  const u16 = (value: number) => {
    view.setUint16(at, value, true);
    at += 2;
  };
  const u32 = (value: number) => {
    view.setUint32(at, value, true);
    at += 4;
  };
  const bytes = (value: Uint8Array) => {
    out.set(value, at);
    at += value.length;
  };
  /** The fields local and central headers share, from "version needed" to the extra field's length. */
  const common = (e: (typeof prepared)[number]) => {
    u16(VERSION);
    u16(FLAG_UTF8);
    u16(METHOD_STORED);
    u16(e.time);
    u16(e.date);
    u32(e.crc);
    u32(e.data.length);
    u32(e.data.length);
    u16(e.name.length);
    u16(0);
  };

  const offsets: number[] = [];
  for (const e of prepared) {
    offsets.push(at);
    u32(SIG_LOCAL);
    common(e);
    bytes(e.name);
    bytes(e.data);
  }
  const centralOffset = at;
  prepared.forEach((e, i) => {
    u32(SIG_CENTRAL);
    u16(VERSION); // version made by: MS-DOS attributes, spec 2.0
    common(e);
    u16(0); // comment length
    u16(0); // disk number start
    u16(0); // internal attributes
    u32(0); // external attributes
    u32(offsets[i]!);
    bytes(e.name);
  });
  u32(SIG_EOCD);
  u16(0); // this disk
  u16(0); // disk with the central directory
  u16(prepared.length);
  u16(prepared.length);
  u32(centralSize);
  u32(centralOffset);
  u16(0); // comment length
  return out;
}
