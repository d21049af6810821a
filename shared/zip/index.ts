/**
 * Safe ZIP reading for uploaded archives (TypeScript for Node ≥ 22 and workerd with nodejs_compat, no
 * Worker imports). Owns the archive limits, the refusal codes and the reading itself: the
 * end-of-central-directory record and the central directory are parsed from the bytes in memory, and
 * entries are inflated one at a time by zlib (`node:zlib`, bounded to the declared size), verified
 * against the CRC-32 and the declared size.
 *
 * Two kinds of problems, two functions:
 * - `listEntries(bytes)` throws when the archive as a whole is refused: too large, not a ZIP, ZIP64 or
 *   split, too many entries, an unsafe or duplicate name, overlapping entries, a ZIP bomb (an entry
 *   declaring more than 100:1), or more than 200 MiB uncompressed in total. Such an archive is hostile
 *   or unusable, so none of it is processed.
 * - `readEntry(bytes, entry)` throws for one entry the caller reports as a failed file while the others
 *   go on: encrypted, an unsupported compression method, over 5 MiB, a nested archive, a CRC mismatch or
 *   corrupt data.
 *
 * Nested archives are never opened. They are per-entry failures rather than archive refusals so an
 * upload with one stray archive in it still imports the rest; an entry counts as an archive by its
 * extension (checked before inflating) or by its leading bytes (checked after). Office files are ZIP
 * containers and count as archives too.
 *
 * Directory entries and desktop junk (`__MACOSX/…`, `._*` AppleDouble files, `.DS_Store`, `Thumbs.db`)
 * are skipped: they are not listed, though their names are still checked for safety and they still count
 * toward the entry limit.
 *
 * Names: UTF-8 when the archive flags them so or carries an Info-ZIP Unicode Path field; otherwise UTF-8
 * when the bytes decode as such (what macOS and Linux tools write without setting the flag) and CP437,
 * the format's default, when they do not. Names are returned NFC-normalized with `/` separators and
 * without `.` or empty segments.
 */
import { inflateRawSync } from "node:zlib";
import { AppError, badRequest } from "../errors";

const KiB = 1024;
const MiB = 1024 * KiB;

/** The documented limits. Sizes are bytes; `ratio` is uncompressed:compressed per entry. */
export const ZIP_LIMITS = {
  /** The archive itself (the largest upload the Worker holds in memory to hash). */
  archiveBytes: 25 * MiB,
  /** Central directory records, directories and skipped junk included. */
  entries: 10_000,
  /** One uncompressed entry. */
  entryBytes: 5 * MiB,
  /** All listed entries together, uncompressed. */
  totalBytes: 200 * MiB,
  /** Above this an entry is a ZIP bomb. */
  ratio: 100,
  /**
   * Entries up to this size are exempt from the ratio: tiny files compress unpredictably (1 KiB of
   * spaces is over 100:1) and cannot amplify much; the total limit still bounds them all.
   */
  ratioExemptBytes: 64 * KiB,
} as const;

/** Codes that refuse the whole archive (thrown by `listEntries`). */
export const ZIP_ARCHIVE_ERROR_CODES = [
  "zip_too_large",
  "zip_invalid",
  "zip64_unsupported",
  "zip_too_many_entries",
  "zip_unsafe_path",
  "zip_duplicate_entry",
  "zip_bomb",
  "zip_uncompressed_too_large",
] as const;

/** Codes of one entry (thrown by `readEntry`); the caller reports them per file. */
export const ZIP_ENTRY_ERROR_CODES = [
  "zip_entry_encrypted",
  "zip_entry_unsupported_method",
  "zip_entry_too_large",
  "zip_nested_archive",
  "zip_entry_crc_mismatch",
  "zip_entry_corrupt",
] as const;

export interface ZipEntry {
  /** Normalized path inside the archive, e.g. `facturas/A-1.xml`. */
  readonly name: string;
  /** Declared uncompressed size, verified while reading. */
  readonly size: number;
  readonly compressedSize: number;
  /** 0 stored, 8 deflated; anything else fails in `readEntry`. */
  readonly method: number;
  readonly encrypted: boolean;
  readonly crc32: number;
  /** Where the entry's compressed bytes start in the archive. */
  readonly dataOffset: number;
}

const SIG_LOCAL = 0x04034b50;
const SIG_CENTRAL = 0x02014b50;
const SIG_EOCD = 0x06054b50;
const SIG_ZIP64_LOCATOR = 0x07064b50;
const EOCD_SIZE = 22;
const CENTRAL_SIZE = 46;
const LOCAL_SIZE = 30;
const MAX_COMMENT = 0xffff;

const FLAG_ENCRYPTED = 0x0001;
const FLAG_STRONG_ENCRYPTION = 0x0040;
const FLAG_UTF8 = 0x0800;
const METHOD_STORED = 0;
const METHOD_DEFLATED = 8;
const METHOD_AES = 99;
const EXTRA_UNICODE_PATH = 0x7075;

const invalid = (message: string) => badRequest("zip_invalid", message);
const zip64 = () =>
  badRequest("zip64_unsupported", "ZIP64 archives are not supported; archives are at most 25 MiB");

/** Bounds-checked little-endian reads: a field past the end is a malformed archive, never a RangeError. */
class Reader {
  private readonly view: DataView;
  constructor(readonly bytes: Uint8Array) {
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }
  private need(at: number, n: number) {
    if (at < 0 || at + n > this.bytes.length) throw invalid("The archive is truncated or malformed");
  }
  u16(at: number) {
    this.need(at, 2);
    return this.view.getUint16(at, true);
  }
  u32(at: number) {
    this.need(at, 4);
    return this.view.getUint32(at, true);
  }
  slice(at: number, n: number) {
    this.need(at, n);
    return this.bytes.subarray(at, at + n);
  }
}

let crcTable: Uint32Array | undefined;
function crc32(bytes: Uint8Array, seed = 0): number {
  if (!crcTable) {
    crcTable = new Uint32Array(256);
    for (let n = 0; n < 256; n++) {
      let c = n;
      for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
      crcTable[n] = c >>> 0;
    }
  }
  let crc = ~seed >>> 0;
  for (let i = 0; i < bytes.length; i++) crc = crcTable[(crc ^ bytes[i]!) & 0xff]! ^ (crc >>> 8);
  return ~crc >>> 0;
}

// Code page 437, bytes 0x80–0xFF: the ZIP format's name encoding when the UTF-8 flag is not set.
const CP437_HIGH =
  "ÇüéâäàåçêëèïîìÄÅÉæÆôöòûùÿÖÜ¢£¥₧ƒáíóúñÑªº¿⌐¬½¼¡«»░▒▓│┤╡╢╖╕╣║╗╝╜╛┐└┴┬├─┼╞╟╚╔╩╦╠═╬╧╨╤╥╙╘╒╓╫╪┘┌█▄▌▐▀αßΓπΣσµτΦΘΩδ∞φε∩≡±≥≤⌠⌡÷≈°∙·√ⁿ²■\u00a0";

const utf8 = (bytes: Uint8Array): string | undefined => {
  try {
    return new TextDecoder("utf-8", { fatal: true, ignoreBOM: true }).decode(bytes);
  } catch {
    return undefined;
  }
};
const cp437 = (bytes: Uint8Array) =>
  Array.from(bytes, (b) => (b < 0x80 ? String.fromCharCode(b) : CP437_HIGH[b - 0x80]!)).join("");

/** The Info-ZIP Unicode Path field (0x7075), honoured only while it still describes the stored name. */
function unicodePathField(raw: Uint8Array, extra: Uint8Array): string | undefined {
  const view = new DataView(extra.buffer, extra.byteOffset, extra.byteLength);
  for (let at = 0; at + 4 <= extra.length; ) {
    const id = view.getUint16(at, true);
    const size = view.getUint16(at + 2, true);
    const body = at + 4;
    if (body + size > extra.length) return undefined;
    if (id === EXTRA_UNICODE_PATH && size >= 5 && extra[body] === 1) {
      if (view.getUint32(body + 1, true) !== crc32(raw)) return undefined;
      return utf8(extra.subarray(body + 5, body + size));
    }
    at = body + size;
  }
  return undefined;
}

function decodeName(raw: Uint8Array, flags: number, extra: Uint8Array): string {
  if (flags & FLAG_UTF8) {
    const name = utf8(raw);
    if (name === undefined) throw invalid("An entry name is flagged UTF-8 but is not valid UTF-8");
    return name;
  }
  return unicodePathField(raw, extra) ?? utf8(raw) ?? cp437(raw);
}

const unsafePath = (name: string, why: string) =>
  badRequest("zip_unsafe_path", `The entry name ${JSON.stringify(name)} is not allowed: ${why}`, {
    entry: name,
  });

/** Refuses names that could escape a destination folder, and normalizes the rest. */
function safePath(name: string): { path: string; isDirectory: boolean } {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what is refused.
  if (/[\u0000-\u001f\u007f]/.test(name)) throw unsafePath(name, "control characters");
  if (name.includes("\\")) throw unsafePath(name, "backslashes");
  if (name.startsWith("/")) throw unsafePath(name, "an absolute path");
  if (/^[A-Za-z]:/.test(name)) throw unsafePath(name, "a drive letter");
  const segments = name.split("/");
  if (segments.includes("..")) throw unsafePath(name, "a parent-directory segment");
  const path = segments
    .filter((s) => s !== "" && s !== ".")
    .join("/")
    .normalize("NFC");
  const isDirectory = name.endsWith("/");
  if (!path && !isDirectory) throw unsafePath(name, "an empty name");
  return { path, isDirectory };
}

function isJunk(path: string): boolean {
  const base = path.slice(path.lastIndexOf("/") + 1);
  return (
    path === "__MACOSX" ||
    path.startsWith("__MACOSX/") ||
    base.startsWith("._") ||
    base === ".DS_Store" ||
    base === "Thumbs.db"
  );
}

function findEocd(r: Reader): number {
  const { length } = r.bytes;
  if (length < EOCD_SIZE) throw invalid("The file is not a ZIP archive");
  const stop = Math.max(0, length - EOCD_SIZE - MAX_COMMENT);
  for (let at = length - EOCD_SIZE; at >= stop; at--) {
    if (r.u32(at) === SIG_EOCD && at + EOCD_SIZE + r.u16(at + 20) <= length) return at;
  }
  throw invalid("The file is not a ZIP archive (no end of central directory)");
}

interface CentralRecord {
  keep: boolean;
  entry: ZipEntry;
  start: number;
  end: number;
}

function readCentralRecord(r: Reader, at: number): { record: CentralRecord; next: number } {
  if (r.u32(at) !== SIG_CENTRAL) throw invalid("The central directory is malformed");
  const flags = r.u16(at + 8);
  const method = r.u16(at + 10);
  const crc = r.u32(at + 16);
  const compressedSize = r.u32(at + 20);
  const size = r.u32(at + 24);
  const nameLength = r.u16(at + 28);
  const extraLength = r.u16(at + 30);
  const commentLength = r.u16(at + 32);
  const disk = r.u16(at + 34);
  const localOffset = r.u32(at + 42);
  if ([compressedSize, size, localOffset].includes(0xffffffff) || disk === 0xffff) throw zip64();
  if (disk !== 0) throw invalid("Split (multi-disk) archives are not supported");
  const raw = r.slice(at + CENTRAL_SIZE, nameLength);
  const extra = r.slice(at + CENTRAL_SIZE + nameLength, extraLength);
  const { path, isDirectory } = safePath(decodeName(raw, flags, extra));

  if (r.u32(localOffset) !== SIG_LOCAL) throw invalid(`The local header of ${path} is missing`);
  const dataOffset = localOffset + LOCAL_SIZE + r.u16(localOffset + 26) + r.u16(localOffset + 28);
  const entry: ZipEntry = {
    name: path,
    size,
    compressedSize,
    method,
    encrypted: (flags & (FLAG_ENCRYPTED | FLAG_STRONG_ENCRYPTION)) !== 0 || method === METHOD_AES,
    crc32: crc,
    dataOffset,
  };
  return {
    record: {
      keep: !isDirectory && !isJunk(path),
      entry,
      start: localOffset,
      end: dataOffset + compressedSize,
    },
    next: at + CENTRAL_SIZE + nameLength + extraLength + commentLength,
  };
}

/**
 * The entries of an archive, in central-directory order, without directories and junk. Throws an
 * AppError with one of ZIP_ARCHIVE_ERROR_CODES when the archive as a whole is refused. Nothing is
 * inflated here: every check uses the sizes the archive declares, which `readEntry` then enforces.
 */
export function listEntries(bytes: Uint8Array): ZipEntry[] {
  const { archiveBytes } = ZIP_LIMITS;
  if (bytes.length > archiveBytes) {
    const message = `A ZIP archive may have at most ${archiveBytes} bytes`;
    throw new AppError(413, "zip_too_large", message, { maxBytes: archiveBytes });
  }
  const r = new Reader(bytes);
  const eocd = findEocd(r);
  const diskEntries = r.u16(eocd + 8);
  const total = r.u16(eocd + 10);
  const cdSize = r.u32(eocd + 12);
  const cdOffset = r.u32(eocd + 16);
  if (
    total === 0xffff ||
    cdSize === 0xffffffff ||
    cdOffset === 0xffffffff ||
    (eocd >= 20 && r.u32(eocd - 20) === SIG_ZIP64_LOCATOR)
  ) {
    throw zip64();
  }
  if (r.u16(eocd + 4) !== 0 || r.u16(eocd + 6) !== 0 || diskEntries !== total) {
    throw invalid("Split (multi-disk) archives are not supported");
  }
  if (total > ZIP_LIMITS.entries) {
    throw new AppError(
      413,
      "zip_too_many_entries",
      `A ZIP archive may have at most ${ZIP_LIMITS.entries} entries`,
      { maxEntries: ZIP_LIMITS.entries, entries: total },
    );
  }
  const cdEnd = cdOffset + cdSize;
  if (cdEnd > eocd) throw invalid("The central directory lies outside the archive");

  const records: CentralRecord[] = [];
  let at = cdOffset;
  for (let i = 0; i < total; i++) {
    const { record, next } = readCentralRecord(r, at);
    if (next > cdEnd || record.end > cdOffset) throw invalid("The central directory is malformed");
    records.push(record);
    at = next;
  }
  // The declared count must describe the whole directory: no records hidden after it.
  if (at !== cdEnd) throw invalid("The central directory size does not match its entries");

  // Entries sharing bytes are how the densest ZIP bombs amplify; no legitimate writer produces them.
  const spans = records.map((rec) => [rec.start, rec.end] as const).sort((a, b) => a[0] - b[0]);
  for (let i = 1; i < spans.length; i++) {
    if (spans[i]![0] < spans[i - 1]![1]) throw invalid("Entries of the archive overlap");
  }

  const kept = records.filter((rec) => rec.keep);
  const seen = new Set<string>();
  for (const { name } of kept.map((rec) => rec.entry)) {
    if (seen.has(name)) {
      throw badRequest("zip_duplicate_entry", `The archive holds ${name} more than once`, { entry: name });
    }
    seen.add(name);
  }

  let totalSize = 0;
  for (const { entry } of kept) {
    if (entry.size > ZIP_LIMITS.ratioExemptBytes && entry.size > entry.compressedSize * ZIP_LIMITS.ratio) {
      throw new AppError(
        413,
        "zip_bomb",
        `${entry.name} expands more than ${ZIP_LIMITS.ratio}:1; the archive looks like a ZIP bomb`,
        { entry: entry.name, size: entry.size, compressedSize: entry.compressedSize },
      );
    }
    totalSize += entry.size;
  }
  if (totalSize > ZIP_LIMITS.totalBytes) {
    throw new AppError(
      413,
      "zip_uncompressed_too_large",
      `A ZIP archive may hold at most ${ZIP_LIMITS.totalBytes} bytes uncompressed`,
      { maxBytes: ZIP_LIMITS.totalBytes, size: totalSize },
    );
  }
  return kept.map((rec) => rec.entry);
}

const entryError = (status: number, code: string, entry: ZipEntry, message: string) =>
  new AppError(status, code, `${entry.name}: ${message}`, { entry: entry.name });
const corrupt = (entry: ZipEntry, why: string) => entryError(400, "zip_entry_corrupt", entry, why);

const NESTED_EXTENSION = /\.(zip|zipx|jar|gz|tgz|rar|7z|tar|bz2|tbz2?|xz|txz|zst|lz|lzma|cab)$/i;

const ascii = (s: string) => Array.from(s, (ch) => ch.charCodeAt(0));
const ARCHIVE_MAGICS: ReadonlyArray<{ at: number; magic: readonly number[] }> = [
  { at: 0, magic: [0x50, 0x4b, 0x03, 0x04] }, // zip (and docx/xlsx/jar)
  { at: 0, magic: [0x50, 0x4b, 0x05, 0x06] }, // empty zip
  { at: 0, magic: [0x50, 0x4b, 0x07, 0x08] }, // spanned zip
  { at: 0, magic: [0x1f, 0x8b] }, // gzip
  { at: 0, magic: ascii("Rar!\x1a\x07") },
  { at: 0, magic: [0x37, 0x7a, 0xbc, 0xaf, 0x27, 0x1c] }, // 7z
  { at: 0, magic: [0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00] }, // xz
  { at: 0, magic: [0x28, 0xb5, 0x2f, 0xfd] }, // zstd
  { at: 0, magic: ascii("MSCF") }, // cab
  { at: 257, magic: ascii("ustar") }, // tar
];

function isArchive(bytes: Uint8Array): boolean {
  if (bytes[0] === 0x42 && bytes[1] === 0x5a && bytes[2] === 0x68 && bytes[3]! >= 0x31 && bytes[3]! <= 0x39)
    return true; // bzip2: "BZh" and a block size digit
  return ARCHIVE_MAGICS.some(
    ({ at, magic }) => bytes.length >= at + magic.length && magic.every((b, i) => bytes[at + i] === b),
  );
}

/**
 * Inflates with zlib told to stop at the declared size. Not `DecompressionStream`: workerd's has no
 * backpressure (each write inflates its whole chunk into an internal buffer before anything is read),
 * so a bomb declaring 1 MiB would still inflate to its real size in memory before the excess was seen.
 */
function inflate(data: Uint8Array, entry: ZipEntry): Uint8Array {
  let out: Uint8Array;
  try {
    // At least 1: zlib refuses 0, and an empty entry that inflates to a byte is caught below.
    const inflated = inflateRawSync(data, { maxOutputLength: Math.max(1, entry.size) });
    out = new Uint8Array(inflated.buffer, inflated.byteOffset, inflated.length);
  } catch (e) {
    if (e instanceof RangeError) throw corrupt(entry, "inflates to more than its declared size");
    throw corrupt(entry, "the compressed data is invalid");
  }
  if (out.length !== entry.size) throw corrupt(entry, "inflates to less than its declared size");
  return out;
}

/**
 * The bytes of one listed entry, verified: the declared size is enforced while inflating and the CRC-32
 * checked after. Throws an AppError with one of ZIP_ENTRY_ERROR_CODES, which the caller reports for this
 * entry alone. `bytes` must be the archive `entry` was listed from. A promise, so reading may move off
 * the calling turn without changing callers.
 */
export async function readEntry(bytes: Uint8Array, entry: ZipEntry): Promise<Uint8Array> {
  if (entry.encrypted)
    throw entryError(400, "zip_entry_encrypted", entry, "encrypted entries are not supported");
  if (entry.method !== METHOD_STORED && entry.method !== METHOD_DEFLATED) {
    throw new AppError(
      400,
      "zip_entry_unsupported_method",
      `${entry.name}: compression method ${entry.method} is not supported (only stored and deflate)`,
      { entry: entry.name, method: entry.method },
    );
  }
  if (entry.size > ZIP_LIMITS.entryBytes) {
    throw new AppError(
      413,
      "zip_entry_too_large",
      `${entry.name}: an entry may have at most ${ZIP_LIMITS.entryBytes} bytes uncompressed`,
      { entry: entry.name, maxBytes: ZIP_LIMITS.entryBytes, size: entry.size },
    );
  }
  const nested = () =>
    entryError(400, "zip_nested_archive", entry, "archives inside the archive are not opened");
  if (NESTED_EXTENSION.test(entry.name)) throw nested();

  const data = bytes.subarray(entry.dataOffset, entry.dataOffset + entry.compressedSize);
  if (data.length !== entry.compressedSize) throw corrupt(entry, "the entry's data is truncated");
  let content: Uint8Array;
  if (entry.method === METHOD_STORED) {
    if (entry.compressedSize !== entry.size) throw corrupt(entry, "its stored size does not match");
    content = data.slice();
  } else {
    content = inflate(data, entry);
  }
  if (crc32(content) !== entry.crc32)
    throw entryError(400, "zip_entry_crc_mismatch", entry, "CRC-32 mismatch");
  if (isArchive(content)) throw nested();
  return content;
}
