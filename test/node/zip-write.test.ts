// The ZIP writer: what it writes reads back byte for byte with the inbox's own safe reader (and with
// Info-ZIP when installed), names keep their UTF-8, and names the reader would refuse are never written.
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { listEntries, readEntry } from "../../shared/zip";
import { writeZip } from "../../shared/zip/write";

const text = (s: string) => new TextEncoder().encode(s);

describe("writeZip", () => {
  it("writes stored entries the reader lists and reads back exactly", async () => {
    const xml = text('<?xml version="1.0"?><cfdi:Comprobante Total="5800.00"/>');
    const pdf = text("%PDF-1.4\n%%EOF\n");
    const zip = writeZip([
      { name: "8E3A4B7C.xml", data: xml },
      { name: "facturas/8E3A4B7C.pdf", data: pdf },
      { name: "vacío.txt", data: new Uint8Array() },
    ]);
    const entries = listEntries(zip);
    expect(entries.map((e) => [e.name, e.size, e.method])).toEqual([
      ["8E3A4B7C.xml", xml.length, 0],
      ["facturas/8E3A4B7C.pdf", pdf.length, 0],
      ["vacío.txt", 0, 0],
    ]);
    expect(await readEntry(zip, entries[0]!)).toEqual(xml);
    expect(await readEntry(zip, entries[1]!)).toEqual(pdf);
    expect(await readEntry(zip, entries[2]!)).toEqual(new Uint8Array());
  });

  it("round-trips any contents", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.uniqueArray(fc.stringMatching(/^[a-zA-Z0-9ñÑ_-]{1,20}\.(xml|pdf)$/), {
          minLength: 1,
          maxLength: 5,
        }),
        fc.uint8Array({ maxLength: 2048 }),
        async (names, data) => {
          const zip = writeZip(names.map((name, i) => ({ name, data: data.subarray(i) })));
          const entries = listEntries(zip);
          expect(entries.map((e) => e.name)).toEqual(names.map((n) => n.normalize("NFC")));
          for (const [i, entry] of entries.entries()) {
            expect(await readEntry(zip, entry)).toEqual(data.subarray(i));
          }
        },
      ),
      { numRuns: 50 },
    );
  });

  it("records the modification time as MS-DOS date and time fields", () => {
    const zip = writeZip([
      { name: "a.xml", data: text("<a/>"), modifiedAt: new Date("2026-03-20T17:18:19Z") },
    ]);
    const view = new DataView(zip.buffer);
    // Local header: time at offset 10, date at 12 (seconds are stored halved).
    expect(view.getUint16(10, true)).toBe((17 << 11) | (18 << 5) | (19 >> 1));
    expect(view.getUint16(12, true)).toBe(((2026 - 1980) << 9) | (3 << 5) | 20);
  });

  it("refuses names a reader would refuse, and duplicates", () => {
    for (const name of ["", "/etc/passwd", "../x.xml", "a/../b.xml", "a\\b.xml", "a//b.xml", "./a.xml"]) {
      expect(() => writeZip([{ name, data: text("x") }]), name).toThrow(RangeError);
    }
    expect(() =>
      writeZip([
        { name: "a.xml", data: text("1") },
        { name: "a.xml", data: text("2") },
      ]),
    ).toThrow(RangeError);
  });

  const hasUnzip = spawnSync("unzip", ["-v"]).status === 0;
  it.skipIf(!hasUnzip)("passes Info-ZIP's integrity test", () => {
    const dir = mkdtempSync(join(tmpdir(), "zip-write-"));
    try {
      const path = join(dir, "out.zip");
      writeFileSync(
        path,
        writeZip([
          { name: "factura.xml", data: text("<a/>".repeat(1000)) },
          { name: "factura.pdf", data: text("%PDF-1.4\n%%EOF\n") },
        ]),
      );
      const tested = spawnSync("unzip", ["-t", path], { encoding: "utf8" });
      expect(tested.status, tested.stdout + tested.stderr).toBe(0);
      expect(tested.stdout).toContain("No errors detected");
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
