/**
 * The QR encoder against ISO/IEC 18004's published vectors (RS codewords of the "01234567" 1-M
 * example, the generator polynomial, format and version BCH codes, annex E's alignment table, level M
 * byte capacities), then against real decoders: zbarimg reads what it draws and, given the same mask,
 * its matrix is module-for-module the one libqrencode draws (each check skips when its tool is absent).
 */
import { describe, expect, it } from "vitest";
import {
  alignmentPositions,
  encodeQr,
  formatBits,
  reedSolomon,
  rsGenerator,
  versionBits,
} from "../../../shared/pdf/qr";
import { hasTool, qrImage, run, tempDir, zbar } from "./tools";

const bits = (value: number, width: number) => value.toString(2).padStart(width, "0");

describe("ISO 18004 vectors", () => {
  it("computes the RS codewords of the 1-M example (annex I)", () => {
    // biome-ignore format: codewords
    const data = [0x10, 0x20, 0x0c, 0x56, 0x61, 0x80, 0xec, 0x11, 0xec, 0x11, 0xec, 0x11, 0xec, 0x11, 0xec, 0x11];
    expect([...reedSolomon(new Uint8Array(data), 10)]).toEqual([
      0xa5, 0x24, 0xd4, 0xc1, 0xed, 0x36, 0xc7, 0x87, 0x2c, 0x55,
    ]);
  });

  it("builds the degree-10 generator polynomial (annex A)", () => {
    const EXP = [1];
    for (let i = 1; i < 255; i++) EXP.push(((EXP[i - 1]! << 1) ^ (EXP[i - 1]! & 0x80 ? 0x11d : 0)) & 0xff);
    const exponents = [...rsGenerator(10)].map((c) => EXP.indexOf(c));
    expect(exponents).toEqual([0, 251, 67, 46, 61, 118, 70, 64, 94, 32, 45]);
  });

  it("encodes format information (annex C: level M, mask 101)", () => {
    expect(bits(formatBits(5), 15)).toBe("100000011001110");
    expect(new Set([0, 1, 2, 3, 4, 5, 6, 7].map(formatBits)).size).toBe(8);
  });

  it("encodes version information (annex D)", () => {
    expect(bits(versionBits(7), 18)).toBe("000111110010010100");
    expect(bits(versionBits(8), 18)).toBe("001000010110111100");
    expect(bits(versionBits(40), 18)).toBe("101000110001101001");
  });

  it("places alignment patterns as annex E lists them", () => {
    expect(alignmentPositions(1)).toEqual([]);
    expect(alignmentPositions(2)).toEqual([6, 18]);
    expect(alignmentPositions(7)).toEqual([6, 22, 38]);
    expect(alignmentPositions(14)).toEqual([6, 26, 46, 66]);
    expect(alignmentPositions(32)).toEqual([6, 34, 60, 86, 112, 138]);
    expect(alignmentPositions(36)).toEqual([6, 24, 50, 76, 102, 128, 154]);
    expect(alignmentPositions(40)).toEqual([6, 30, 58, 86, 114, 142, 170]);
  });

  it("picks the smallest version by level M byte capacity", () => {
    const version = (n: number) => encodeQr(new Uint8Array(n).fill(0x41)).version;
    for (const [capacity, v] of [
      [14, 1],
      [26, 2],
      [122, 7],
      [152, 8],
      [180, 9],
      [213, 10],
      [2331, 40],
    ] as const) {
      expect(version(capacity)).toBe(v);
      if (v < 40) expect(version(capacity + 1)).toBe(v + 1);
    }
    expect(() => version(2332)).toThrow(RangeError);
  });

  it("draws finder patterns, timing patterns and the dark module", () => {
    const code = encodeQr("https://verificacfdi.facturaelectronica.sat.gob.mx/default.aspx?id=X");
    const at = (x: number, y: number) => code.modules[y * code.size + x];
    for (const [ox, oy] of [
      [0, 0],
      [code.size - 7, 0],
      [0, code.size - 7],
    ]) {
      for (let i = 0; i < 7; i++) expect([at(ox! + i, oy!), at(ox!, oy! + i)]).toEqual([1, 1]);
      expect(at(ox! + 1, oy! + 1)).toBe(0);
      expect(at(ox! + 3, oy! + 3)).toBe(1);
    }
    for (let i = 8; i < code.size - 8; i++) expect(at(i, 6)).toBe(i % 2 === 0 ? 1 : 0);
    expect(at(8, code.size - 8)).toBe(1);
  });
});

const PAYLOADS = [
  "hello",
  "https://verificacfdi.facturaelectronica.sat.gob.mx/default.aspx?id=5803EB8D-81CD-4557-8719-26632D2FA434&re=XOCD720319T86&rr=CARR861127SB0&tt=14300.0&fe=rH8/bw==",
  "https://verificacfdi.facturaelectronica.sat.gob.mx/default.aspx?id=6F35D3B5-3651-5370-BC2C-14CDBE384CD7&re=EKU9003173C9&rr=MCI7306249Y1&tt=3327.01&fe=KklI5Q==",
  "Año fiscal — ñandú, acción, pingüino ".repeat(8),
  "x".repeat(600),
];

describe.skipIf(!hasTool("zbarimg"))("decoded by zbarimg", () => {
  it.each(PAYLOADS.map((p) => [p.slice(0, 40), p]))("%s…", (_, payload) => {
    const code = encodeQr(payload);
    expect(zbar(qrImage(code, tempDir()))).toEqual([payload]);
  });

  it("decodes with every mask pattern", () => {
    const dir = tempDir();
    for (let mask = 0; mask < 8; mask++) {
      const code = encodeQr(PAYLOADS[1]!, { mask });
      expect(code.mask).toBe(mask);
      expect(zbar(qrImage(code, dir, `m${mask}.pgm`))).toEqual([PAYLOADS[1]]);
    }
  });
});

describe.skipIf(!hasTool("qrencode"))("the same matrix as libqrencode", () => {
  /** qrencode's matrix (level M, 8-bit mode, no margin) and the mask it chose, read from its format bits. */
  function qrencode(payload: string) {
    const rows = run("qrencode", ["-l", "M", "-8", "-m", "0", "-t", "ASCII", "-o", "-"], payload)
      .split("\n")
      .filter((r) => r.length > 0);
    const size = rows.length;
    const modules = new Uint8Array(size * size);
    rows.forEach((row, y) => {
      for (let x = 0; x < size; x++) modules[y * size + x] = row[2 * x] === "#" ? 1 : 0;
    });
    let format = 0;
    for (let i = 0; i < 8; i++) format |= modules[8 * size + size - 1 - i]! << i;
    for (let i = 8; i < 15; i++) format |= modules[(size - 15 + i) * size + 8]! << i;
    const mask = [0, 1, 2, 3, 4, 5, 6, 7].find((m) => formatBits(m) === format);
    return { size, modules, mask };
  }

  it.each(PAYLOADS.map((p) => [p.slice(0, 40), p]))("%s…", (_, payload) => {
    const theirs = qrencode(payload);
    expect(theirs.mask).toBeDefined();
    const mine = encodeQr(payload, { mask: theirs.mask! });
    expect(mine.size).toBe(theirs.size);
    expect(Buffer.from(mine.modules).equals(Buffer.from(theirs.modules))).toBe(true);
  });
});
