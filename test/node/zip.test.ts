// The safe ZIP reader on archives built here byte by byte (and by Info-ZIP when installed): extraction,
// every limit and refusal with its code, bombs refused without inflating, corruption detected, and
// mutation fuzzing that finds nothing but documented AppErrors.
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { crc32, deflateRawSync, gzipSync, inflateRawSync } from "node:zlib";
import { describe, expect, it } from "vitest";
import { AppError } from "../../shared/errors";
import {
  listEntries,
  readEntry,
  ZIP_ARCHIVE_ERROR_CODES,
  ZIP_ENTRY_ERROR_CODES,
  ZIP_LIMITS,
  type ZipEntry,
} from "../../shared/zip";
import { readFixture } from "./helpers/fixtures";
import { mulberry32 } from "./helpers/random";

const MiB = 1024 * 1024;
const text = (s: string) => new TextEncoder().encode(s);

interface TestEntry {
  name: string | Uint8Array;
  data?: Uint8Array;
  /** 0 stored, 8 deflated (default); other values are written as-is with the data stored. */
  method?: number;
  /** Defaults to the UTF-8 flag for string names. */
  flags?: number;
  /** Overrides of what the headers declare. */
  crc?: number;
  size?: number;
  /** Compressed bytes to write instead of compressing `data`. */
  compressed?: Uint8Array;
  extra?: Uint8Array;
}

/** Writes local headers, data, central directory and end record, as a ZIP writer would. */
function buildZip(entries: TestEntry[], eocd: { total?: number; comment?: Uint8Array } = {}): Uint8Array {
  const locals: Uint8Array[] = [];
  const centrals: Uint8Array[] = [];
  let offset = 0;
  for (const e of entries) {
    const name = typeof e.name === "string" ? text(e.name) : e.name;
    const data = e.data ?? new Uint8Array();
    const method = e.method ?? 8;
    const compressed = e.compressed ?? (method === 8 ? new Uint8Array(deflateRawSync(data)) : data);
    const flags = e.flags ?? (typeof e.name === "string" ? 0x800 : 0);
    const crc = e.crc ?? crc32(data);
    const size = e.size ?? data.length;
    const extra = e.extra ?? new Uint8Array();

    const local = new DataView(new ArrayBuffer(30));
    local.setUint32(0, 0x04034b50, true);
    local.setUint16(4, 20, true);
    local.setUint16(6, flags, true);
    local.setUint16(8, method, true);
    local.setUint32(14, crc, true);
    local.setUint32(18, compressed.length, true);
    local.setUint32(22, size, true);
    local.setUint16(26, name.length, true);
    local.setUint16(28, extra.length, true);
    const localBytes = concat([new Uint8Array(local.buffer), name, extra, compressed]);

    const central = new DataView(new ArrayBuffer(46));
    central.setUint32(0, 0x02014b50, true);
    central.setUint16(4, 0x031e, true);
    central.setUint16(6, 20, true);
    central.setUint16(8, flags, true);
    central.setUint16(10, method, true);
    central.setUint32(16, crc, true);
    central.setUint32(20, compressed.length, true);
    central.setUint32(24, size, true);
    central.setUint16(28, name.length, true);
    central.setUint16(30, extra.length, true);
    central.setUint32(42, offset, true);
    centrals.push(concat([new Uint8Array(central.buffer), name, extra]));
    locals.push(localBytes);
    offset += localBytes.length;
  }
  const directory = concat(centrals);
  const comment = eocd.comment ?? new Uint8Array();
  const end = new DataView(new ArrayBuffer(22));
  end.setUint32(0, 0x06054b50, true);
  end.setUint16(8, eocd.total ?? entries.length, true);
  end.setUint16(10, eocd.total ?? entries.length, true);
  end.setUint32(12, directory.length, true);
  end.setUint32(16, offset, true);
  end.setUint16(20, comment.length, true);
  return concat([...locals, directory, new Uint8Array(end.buffer), comment]);
}

function concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/** Incompressible bytes (deterministic). */
function noise(length: number, seed = 1): Uint8Array {
  const out = new Uint8Array(length);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < length; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    out[i] = x & 0xff;
  }
  return out;
}

function caught(fn: () => unknown): AppError {
  try {
    fn();
  } catch (e) {
    if (e instanceof AppError) return e;
    throw e;
  }
  throw new Error("expected an AppError");
}

async function caughtAsync(promise: Promise<unknown>): Promise<AppError> {
  try {
    await promise;
  } catch (e) {
    if (e instanceof AppError) return e;
    throw e;
  }
  throw new Error("expected an AppError");
}

const CFDI = new Uint8Array(readFixture("cfdi", "40", "test-ingreso-USD-descuentos-signed.xml"));
const PDF = text("%PDF-1.7\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n");

const readAll = async (zip: Uint8Array) => {
  const out = new Map<string, Uint8Array>();
  for (const entry of listEntries(zip)) out.set(entry.name, await readEntry(zip, entry));
  return out;
};

describe("listEntries and readEntry", () => {
  it("extracts XML and PDF pairs with UTF-8 names, skipping directories and macOS junk", async () => {
    const zip = buildZip([
      { name: "facturas/", method: 0 },
      { name: "facturas/Pérez Ñandú 001.xml", data: CFDI },
      { name: "facturas/Pérez Ñandú 001.pdf", data: PDF, method: 0 },
      { name: "./facturas//Año 2026.xml", data: CFDI },
      { name: "__MACOSX/facturas/._Pérez Ñandú 001.xml", data: text("junk") },
      { name: "facturas/._Año 2026.xml", data: text("junk") },
      { name: "facturas/.DS_Store", data: text("junk") },
      { name: "vacío.xml", data: new Uint8Array() },
    ]);
    const entries = listEntries(zip);
    expect(entries.map((e) => e.name)).toEqual([
      "facturas/Pérez Ñandú 001.xml",
      "facturas/Pérez Ñandú 001.pdf",
      "facturas/Año 2026.xml",
      "vacío.xml",
    ]);
    const files = await readAll(zip);
    expect(files.get("facturas/Pérez Ñandú 001.xml")).toEqual(CFDI);
    expect(files.get("facturas/Pérez Ñandú 001.pdf")).toEqual(PDF);
    expect(files.get("facturas/Año 2026.xml")).toEqual(CFDI);
    expect(files.get("vacío.xml")).toEqual(new Uint8Array());
  });

  it("decodes names: NFD to NFC, unflagged UTF-8, CP437 and the Info-ZIP Unicode Path field", async () => {
    const raw = new Uint8Array([0x41, 0xa4, 0x6f, 0x2e, 0x78, 0x6d, 0x6c]); // "Año.xml" in CP437
    const unicode = text("Unicode Ñ.xml");
    const legacy = text("legacy.xml");
    const field = new DataView(new ArrayBuffer(9));
    field.setUint16(0, 0x7075, true);
    field.setUint16(2, 5 + unicode.length, true);
    field.setUint8(4, 1);
    field.setUint32(5, crc32(legacy), true);
    const zip = buildZip([
      { name: "Factura Ñ.xml".normalize("NFD"), data: CFDI },
      { name: text("Sin bandera ñ.xml"), data: PDF, flags: 0 },
      { name: raw, data: PDF },
      { name: legacy, flags: 0, data: PDF, extra: concat([new Uint8Array(field.buffer), unicode]) },
    ]);
    expect(listEntries(zip).map((e) => e.name)).toEqual([
      "Factura Ñ.xml",
      "Sin bandera ñ.xml",
      "Año.xml",
      "Unicode Ñ.xml",
    ]);
    expect((await readAll(zip)).get("Factura Ñ.xml")).toEqual(CFDI);
  });

  const hasZip = spawnSync("zip", ["-v"]).status === 0;
  it.skipIf(!hasZip)("reads what Info-ZIP writes, directories and UTF-8 names included", async () => {
    const dir = mkdtempSync(join(tmpdir(), "timbre-zip-"));
    try {
      mkdirSync(join(dir, "lote", "sub"), { recursive: true });
      writeFileSync(join(dir, "lote", "Factura Ñ 1.xml"), CFDI);
      writeFileSync(join(dir, "lote", "Factura Ñ 1.pdf"), PDF);
      writeFileSync(join(dir, "lote", "sub", "repetido.xml"), "<a>".repeat(5000));
      const made = spawnSync("zip", ["-r", "-q", "out.zip", "lote"], {
        cwd: dir,
        env: { ...process.env, LC_ALL: "C.UTF-8" },
      });
      expect(made.status).toBe(0);
      const zip = new Uint8Array(readFileSync(join(dir, "out.zip")));
      const files = await readAll(zip);
      expect([...files.keys()].sort()).toEqual([
        "lote/Factura Ñ 1.pdf",
        "lote/Factura Ñ 1.xml",
        "lote/sub/repetido.xml",
      ]);
      expect(files.get("lote/Factura Ñ 1.xml")).toEqual(CFDI);
      expect(new TextDecoder().decode(files.get("lote/sub/repetido.xml"))).toBe("<a>".repeat(5000));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("keeps reading the other entries after one fails", async () => {
    const zip = buildZip([
      { name: "bad.xml", data: CFDI, crc: 1 },
      { name: "good.xml", data: CFDI },
    ]);
    const [bad, good] = listEntries(zip);
    expect((await caughtAsync(readEntry(zip, bad!))).code).toBe("zip_entry_crc_mismatch");
    expect(await readEntry(zip, good!)).toEqual(CFDI);
  });
});

describe("archive-level refusals (listEntries)", () => {
  const code = (zip: Uint8Array) => caught(() => listEntries(zip));

  it("refuses archives over 25 MiB before reading them", () => {
    const error = code(new Uint8Array(ZIP_LIMITS.archiveBytes + 1));
    expect([error.status, error.code]).toEqual([413, "zip_too_large"]);
    // Exactly at the limit the size passes and the content decides.
    expect(code(new Uint8Array(ZIP_LIMITS.archiveBytes)).code).toBe("zip_invalid");
  });

  it("refuses garbage, empty and truncated input as zip_invalid", () => {
    const valid = buildZip([{ name: "a.xml", data: CFDI }]);
    for (const input of [
      new Uint8Array(),
      text("hello, not a zip"),
      noise(4096),
      valid.subarray(0, valid.length - 1),
      valid.subarray(0, valid.length - 23),
      valid.subarray(40),
    ]) {
      const error = code(input);
      expect([error.status, error.code]).toEqual([400, "zip_invalid"]);
    }
  });

  it("refuses ZIP64 and split archives", () => {
    const zip = buildZip([{ name: "a.xml", data: CFDI }]);
    const declaring64 = zip.slice();
    new DataView(declaring64.buffer).setUint32(declaring64.length - 6, 0xffffffff, true);
    expect(code(declaring64).code).toBe("zip64_unsupported");
    expect(code(buildZip([{ name: "a.xml", data: CFDI, size: 0xffffffff }])).code).toBe("zip64_unsupported");
    const split = zip.slice();
    new DataView(split.buffer).setUint16(split.length - 18, 1, true);
    expect(code(split).code).toBe("zip_invalid");
  });

  it("allows 10,000 entries and refuses 10,001", () => {
    const many = (n: number) =>
      buildZip(Array.from({ length: n }, (_, i) => ({ name: `${i}.xml`, data: text("<a/>"), method: 0 })));
    expect(listEntries(many(ZIP_LIMITS.entries))).toHaveLength(ZIP_LIMITS.entries);
    const error = code(many(ZIP_LIMITS.entries + 1));
    expect([error.status, error.code]).toEqual([413, "zip_too_many_entries"]);
  });

  it("refuses an archive whose count hides records, or whose directory points outside itself", () => {
    const zip = buildZip(
      [
        { name: "a.xml", data: CFDI },
        { name: "b.xml", data: CFDI },
      ],
      { total: 1 },
    );
    expect(code(zip).code).toBe("zip_invalid");
  });

  it.each([
    ["../evil.xml"],
    ["facturas/../../evil.xml"],
    ["/etc/passwd"],
    ["C:/Windows/evil.xml"],
    ["c:evil.xml"],
    ["facturas\\..\\evil.xml"],
    ["nul\u0000.xml"],
    ["__MACOSX/../../evil.xml"],
    ["."],
  ])("refuses the unsafe name %j", (name) => {
    const zip = buildZip([
      { name: "ok.xml", data: CFDI },
      { name, data: PDF },
    ]);
    const error = code(zip);
    expect([error.status, error.code]).toEqual([400, "zip_unsafe_path"]);
  });

  it("refuses duplicate names, also when they differ only in Unicode normalization or dot segments", () => {
    expect(
      code(
        buildZip([
          { name: "a.xml", data: CFDI },
          { name: "a.xml", data: PDF },
        ]),
      ).code,
    ).toBe("zip_duplicate_entry");
    const twins = buildZip([
      { name: "Ñ.xml".normalize("NFC"), data: CFDI },
      { name: "Ñ.xml".normalize("NFD"), data: CFDI },
    ]);
    expect(code(twins).details).toEqual({ entry: "Ñ.xml" });
    expect(
      code(
        buildZip([
          { name: "d/a.xml", data: CFDI },
          { name: "d/./a.xml", data: CFDI },
        ]),
      ).code,
    ).toBe("zip_duplicate_entry");
  });

  it("refuses a 50 MB bomb of zeros at once, without inflating it", () => {
    const zeros = new Uint8Array(50 * 1000 * 1000);
    const zip = buildZip([{ name: "bomb.xml", data: zeros }]);
    expect(zip.length).toBeLessThan(100_000);
    const started = performance.now();
    const error = code(zip);
    expect(performance.now() - started).toBeLessThan(100);
    expect([error.status, error.code]).toEqual([413, "zip_bomb"]);
    expect(error.details).toMatchObject({ entry: "bomb.xml", size: zeros.length });
  });

  it("applies the 100:1 ratio only above 64 KiB", () => {
    const small = new Uint8Array(ZIP_LIMITS.ratioExemptBytes);
    expect(listEntries(buildZip([{ name: "blank.xml", data: small }]))).toHaveLength(1);
    const big = new Uint8Array(ZIP_LIMITS.ratioExemptBytes + 1);
    expect(code(buildZip([{ name: "blank.xml", data: big }])).code).toBe("zip_bomb");
  });

  it("refuses entries that share bytes (overlapping bombs)", () => {
    const zip = buildZip([{ name: "a.xml", data: CFDI }]);
    // A second central record pointing at the same local header and data.
    const view = new DataView(zip.buffer);
    const eocd = zip.length - 22;
    const cdOffset = view.getUint32(eocd + 16, true);
    const record = zip.slice(cdOffset, eocd);
    const renamed = record.slice();
    renamed[46] = "b".charCodeAt(0);
    const overlapped = concat([zip.subarray(0, eocd), renamed, zip.subarray(eocd)]);
    const end = new DataView(overlapped.buffer, overlapped.length - 22);
    end.setUint16(8, 2, true);
    end.setUint16(10, 2, true);
    end.setUint32(12, record.length * 2, true);
    expect(code(overlapped).code).toBe("zip_invalid");
    expect(code(overlapped).message).toMatch(/overlap/);
  });

  it("refuses more than 200 MiB declared in total", () => {
    // 41 entries declaring 5 MiB each at 85:1: each entry passes, their sum does not.
    const compressed = noise(Math.ceil((5 * MiB) / 85));
    const entry = (i: number): TestEntry => ({ name: `${i}.xml`, compressed, size: 5 * MiB, crc: 0 });
    const within = buildZip(Array.from({ length: 40 }, (_, i) => entry(i)));
    expect(listEntries(within)).toHaveLength(40);
    const error = code(buildZip(Array.from({ length: 41 }, (_, i) => entry(i))));
    expect([error.status, error.code]).toEqual([413, "zip_uncompressed_too_large"]);
  });
});

describe("per-entry refusals (readEntry)", () => {
  const entryCode = async (entries: TestEntry[]) => {
    const zip = buildZip(entries);
    const [entry] = listEntries(zip);
    return caughtAsync(readEntry(zip, entry!));
  };

  it("refuses encrypted entries", async () => {
    const error = await entryCode([{ name: "a.xml", data: CFDI, flags: 0x801 }]);
    expect([error.status, error.code]).toEqual([400, "zip_entry_encrypted"]);
    expect(error.details).toEqual({ entry: "a.xml" });
    expect((await entryCode([{ name: "a.xml", data: CFDI, method: 99 }])).code).toBe("zip_entry_encrypted");
  });

  it("refuses compression methods other than stored and deflate", async () => {
    const error = await entryCode([{ name: "a.xml", data: CFDI, method: 12 }]);
    expect([error.status, error.code]).toEqual([400, "zip_entry_unsupported_method"]);
    expect(error.details).toEqual({ entry: "a.xml", method: 12 });
  });

  it("reads an entry of exactly 5 MiB and refuses one byte more", async () => {
    const exact = noise(ZIP_LIMITS.entryBytes, 7);
    const zip = buildZip([{ name: "big.pdf", data: exact, method: 0 }]);
    const read = await readEntry(zip, listEntries(zip)[0]!);
    expect(Buffer.compare(read, exact)).toBe(0);
    const deflated = buildZip([{ name: "big.xml", data: exact }]);
    expect(Buffer.compare(await readEntry(deflated, listEntries(deflated)[0]!), exact)).toBe(0);
    const error = await entryCode([
      { name: "big.pdf", data: noise(ZIP_LIMITS.entryBytes + 1, 7), method: 0 },
    ]);
    expect([error.status, error.code]).toEqual([413, "zip_entry_too_large"]);
  });

  it("never opens nested archives, by extension or by content", async () => {
    const inner = buildZip([{ name: "x.xml", data: CFDI }]);
    for (const [name, data] of [
      ["lote.zip", inner],
      ["respaldo.tar.gz", new Uint8Array(gzipSync(CFDI))],
      ["otra.7z", CFDI],
      ["disfrazado.xml", inner],
      ["comprimido.xml", new Uint8Array(gzipSync(CFDI))],
      ["raro.pdf", concat([text("Rar!\x1a\x07\x01\x00"), PDF])],
      ["siete.xml", concat([new Uint8Array([0x37, 0x7a, 0xbc, 0xaf, 0x27, 0x1c]), PDF])],
    ] as const) {
      const error = await entryCode([{ name, data }]);
      expect([name, error.status, error.code]).toEqual([name, 400, "zip_nested_archive"]);
    }
  });

  it("detects a CRC mismatch", async () => {
    for (const method of [0, 8]) {
      const error = await entryCode([{ name: "a.xml", data: CFDI, method, crc: crc32(CFDI) ^ 1 }]);
      expect([error.status, error.code]).toEqual([400, "zip_entry_crc_mismatch"]);
    }
  });

  it("detects corrupt deflate data and sizes that do not match", async () => {
    expect((await entryCode([{ name: "a.xml", data: CFDI, compressed: noise(300) }])).code).toBe(
      "zip_entry_corrupt",
    );
    const deflated = new Uint8Array(deflateRawSync(CFDI));
    expect(
      (
        await entryCode([
          { name: "a.xml", data: CFDI, compressed: deflated.subarray(0, deflated.length - 10) },
        ])
      ).code,
    ).toBe("zip_entry_corrupt");
    expect((await entryCode([{ name: "a.xml", data: CFDI, size: CFDI.length + 1 }])).code).toBe(
      "zip_entry_corrupt",
    );
    expect((await entryCode([{ name: "a.xml", data: CFDI, size: CFDI.length - 1 }])).code).toBe(
      "zip_entry_corrupt",
    );
    expect((await entryCode([{ name: "a.xml", data: CFDI, method: 0, size: CFDI.length - 1 }])).code).toBe(
      "zip_entry_corrupt",
    );
  });

  it("stops inflating a lying bomb as soon as it passes its declared size", async () => {
    // 50 MB of zeros declaring 1 MiB: within the ratio on paper, so only inflating can catch it.
    const zeros = new Uint8Array(50 * 1000 * 1000);
    const compressed = new Uint8Array(deflateRawSync(zeros));
    const zip = buildZip([{ name: "bomb.xml", compressed, size: MiB, crc: 0 }]);
    const [entry] = listEntries(zip);
    const started = performance.now();
    const error = await caughtAsync(readEntry(zip, entry!));
    const stopped = performance.now() - started;
    expect(error.code).toBe("zip_entry_corrupt");
    expect(error.message).toMatch(/more than its declared size/);
    // Against inflating the whole bomb here and now, so the machine's speed cancels out.
    const full = performance.now();
    expect(inflateRawSync(compressed).length).toBe(zeros.length);
    expect(stopped).toBeLessThan((performance.now() - full) / 4);
  });
});

/** Seeded so a failure reproduces. */
function prng(seed: number) {
  const next = mulberry32(seed);
  return (n: number) => Math.floor(next() * n);
}

describe("fuzzing", () => {
  it("answers thousands of mutated archives with documented AppErrors only", async () => {
    const valid = buildZip([
      { name: "lote/", method: 0 },
      { name: "lote/Factura Ñ.xml", data: CFDI },
      { name: "lote/Factura Ñ.pdf", data: PDF, method: 0 },
      { name: "lote/otra.xml", data: text("<a>".repeat(200)) },
    ]);
    const codes = new Set<string>([...ZIP_ARCHIVE_ERROR_CODES, ...ZIP_ENTRY_ERROR_CODES]);
    const rand = prng(20260517);
    const BOUNDARY = [0, 1, 0x7f, 0xff, 0xffff, 0xffffffff, valid.length, valid.length - 22];
    const seen = new Map<string, number>();
    for (let i = 0; i < 5000; i++) {
      const zip = valid.slice();
      const view = new DataView(zip.buffer);
      let input: Uint8Array = zip;
      for (let m = 1 + rand(3); m > 0; m--) {
        const kind = rand(5);
        const at = rand(zip.length - 4);
        if (kind === 0) zip[at] = rand(256);
        else if (kind === 1) zip[at] = (zip[at] ?? 0) ^ (1 << rand(8));
        else if (kind === 2) view.setUint16(at, BOUNDARY[rand(BOUNDARY.length)]! & 0xffff, true);
        else if (kind === 3) view.setUint32(at, BOUNDARY[rand(BOUNDARY.length)]! >>> 0, true);
        else
          input = rand(2)
            ? zip.subarray(0, rand(zip.length))
            : concat([zip.subarray(0, at), noise(rand(64), i + 1), zip.subarray(at)]);
      }
      const outcome = async () => {
        let entries: ZipEntry[];
        try {
          entries = listEntries(input);
        } catch (e) {
          return e;
        }
        for (const entry of entries) {
          try {
            await readEntry(input, entry);
          } catch (e) {
            return e;
          }
        }
        return "read";
      };
      const result = await outcome();
      if (result !== "read") {
        expect(result, `case ${i}`).toBeInstanceOf(AppError);
        expect(codes.has((result as AppError).code), `case ${i}: ${(result as AppError).code}`).toBe(true);
      }
      const key = result === "read" ? "read" : (result as AppError).code;
      seen.set(key, (seen.get(key) ?? 0) + 1);
    }
    // The mutations reach both layers, not only the first check.
    expect(seen.get("zip_invalid")).toBeGreaterThan(0);
    expect((seen.get("zip_entry_corrupt") ?? 0) + (seen.get("zip_entry_crc_mismatch") ?? 0)).toBeGreaterThan(
      0,
    );
  });
});
