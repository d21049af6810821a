/**
 * QR Code encoder (ISO/IEC 18004) for what a CFDI's printed representation needs: byte mode, error
 * correction level M (SAT's Anexo 20 asks for M), the smallest version 1–40 that holds the data, and
 * the mask with the lowest penalty score. The result is the module matrix; drawing it is the caller's.
 */

export interface QrCode {
  version: number;
  /** Modules per side (17 + 4 × version), without the quiet zone. */
  size: number;
  mask: number;
  /** Row-major, `size × size`, 1 = dark. */
  modules: Uint8Array;
}

// Level M, versions 1–40: error-correction codewords per block and number of blocks (ISO 18004 table 9).
// biome-ignore format: a table
const ECC_PER_BLOCK = [10, 16, 26, 18, 24, 16, 18, 22, 22, 26, 30, 22, 22, 24, 24, 28, 28, 26, 26, 26, 26, 28, 28, 28, 28, 28, 28, 28, 28, 28, 28, 28, 28, 28, 28, 28, 28, 28, 28, 28];
// biome-ignore format: a table
const BLOCKS = [1, 1, 1, 2, 2, 4, 4, 4, 5, 5, 5, 8, 9, 9, 10, 10, 11, 13, 14, 16, 17, 17, 18, 20, 21, 23, 25, 26, 28, 29, 31, 33, 35, 37, 38, 40, 43, 45, 47, 49];

/** Level M's two format bits (L = 01, M = 00, Q = 11, H = 10). */
const LEVEL_M_BITS = 0b00;

// GF(256) with the QR code's primitive polynomial x^8 + x^4 + x^3 + x^2 + 1.
const EXP = new Uint8Array(512);
const LOG = new Uint8Array(256);
{
  let x = 1;
  for (let i = 0; i < 255; i++) {
    EXP[i] = x;
    LOG[x] = i;
    x <<= 1;
    if (x & 0x100) x ^= 0x11d;
  }
  // Doubled so that EXP[LOG[a] + LOG[b]] needs no modulo.
  for (let i = 255; i < 512; i++) EXP[i] = EXP[i - 255]!;
}

const gfMul = (a: number, b: number) => (a === 0 || b === 0 ? 0 : EXP[LOG[a]! + LOG[b]!]!);

const generators = new Map<number, Uint8Array>();

/** (x − α⁰)(x − α¹)…(x − α^(degree−1)), coefficients from the highest power down (the first is 1). */
export function rsGenerator(degree: number): Uint8Array {
  const known = generators.get(degree);
  if (known) return known;
  let poly: Uint8Array = new Uint8Array([1]);
  for (let i = 0; i < degree; i++) {
    const next = new Uint8Array(poly.length + 1);
    for (let j = 0; j < poly.length; j++) {
      next[j]! ^= poly[j]!;
      next[j + 1]! ^= gfMul(poly[j]!, EXP[i]!);
    }
    poly = next;
  }
  generators.set(degree, poly);
  return poly;
}

/** The Reed–Solomon error-correction codewords of `data`: the remainder of data·x^degree ÷ generator. */
export function reedSolomon(data: Uint8Array, degree: number): Uint8Array {
  const generator = rsGenerator(degree);
  const buffer = new Uint8Array(data.length + degree);
  buffer.set(data);
  for (let k = 0; k < data.length; k++) {
    const factor = buffer[k]!;
    if (factor === 0) continue;
    for (let j = 1; j <= degree; j++) buffer[k + j]! ^= gfMul(generator[j]!, factor);
  }
  return buffer.slice(data.length);
}

/** Remainder of `value · x^degree` divided by `generator` over GF(2) (the BCH codes of format and version). */
function bchRemainder(value: number, generator: number, degree: number): number {
  let r = value << degree;
  for (let bit = 31 - Math.clz32(r); bit >= degree; bit--) {
    if ((r >>> bit) & 1) r ^= generator << (bit - degree);
  }
  return r;
}

/** The 15 format bits for level M and `mask`: BCH(15,5) then XOR 101010000010010. */
export function formatBits(mask: number): number {
  const data = (LEVEL_M_BITS << 3) | mask;
  return ((data << 10) | bchRemainder(data, 0b10100110111, 10)) ^ 0b101010000010010;
}

/** The 18 version bits (versions 7 and up): BCH(18,6). */
export function versionBits(version: number): number {
  return (version << 12) | bchRemainder(version, 0b1111100100101, 12);
}

/** Centre coordinates of the alignment patterns on each axis (ISO 18004 annex E). */
export function alignmentPositions(version: number): number[] {
  if (version === 1) return [];
  const count = Math.floor(version / 7) + 2;
  const last = 4 * version + 10;
  // Evenly spaced from the last one back, an even step; the formula reproduces annex E's table.
  const step = Math.floor((version * 8 + count * 3 + 5) / (count * 4 - 4)) * 2;
  const positions = [6];
  for (let pos = last; positions.length < count; pos -= step) positions.splice(1, 0, pos);
  return positions;
}

/** Modules left for data and error correction once the function patterns are placed. */
function rawDataModules(version: number): number {
  let modules = (16 * version + 128) * version + 64;
  if (version >= 2) {
    const align = Math.floor(version / 7) + 2;
    modules -= (25 * align - 10) * align - 55;
    if (version >= 7) modules -= 36;
  }
  return modules;
}

const dataCodewords = (version: number) =>
  Math.floor(rawDataModules(version) / 8) - ECC_PER_BLOCK[version - 1]! * BLOCKS[version - 1]!;

/** Byte mode: mode indicator, character count (8 bits up to version 9, 16 after), the bytes. */
const bitsNeeded = (version: number, length: number) => 4 + (version <= 9 ? 8 : 16) + 8 * length;

/** `mask` forces a mask pattern (0–7) instead of the lowest-penalty one, e.g. to compare with another encoder. */
export function encodeQr(input: string | Uint8Array, options: { mask?: number } = {}): QrCode {
  const data = typeof input === "string" ? new TextEncoder().encode(input) : input;
  let version = 1;
  while (bitsNeeded(version, data.length) > dataCodewords(version) * 8) {
    if (++version > 40) throw new RangeError(`${data.length} bytes do not fit in a level M QR code`);
  }
  const codewords = interleave(version, dataStream(version, data));
  const symbol = new Matrix(version);
  symbol.placeData(codewords);
  let best = options.mask ?? 0;
  let bestPenalty = Infinity;
  for (let mask = 0; options.mask === undefined && mask < 8; mask++) {
    symbol.applyMask(mask);
    symbol.drawFormat(mask);
    const p = penalty(symbol.size, symbol.modules);
    if (p < bestPenalty) {
      bestPenalty = p;
      best = mask;
    }
    symbol.applyMask(mask); // XOR again undoes it
  }
  symbol.applyMask(best);
  symbol.drawFormat(best);
  return { version, size: symbol.size, mask: best, modules: symbol.modules };
}

/** The data codewords: header, bytes, terminator, padding to a byte, then 0xEC 0x11 alternately. */
function dataStream(version: number, data: Uint8Array): Uint8Array {
  const capacity = dataCodewords(version);
  const out = new Uint8Array(capacity);
  let bitLength = 0;
  const put = (value: number, bits: number) => {
    for (let i = bits - 1; i >= 0; i--, bitLength++) {
      if ((value >>> i) & 1) out[bitLength >>> 3]! |= 0x80 >>> (bitLength & 7);
    }
  };
  put(0b0100, 4);
  put(data.length, version <= 9 ? 8 : 16);
  for (const byte of data) put(byte, 8);
  bitLength = Math.min(bitLength + 4, capacity * 8); // the terminator's zeros are already there
  let index = Math.ceil(bitLength / 8);
  for (let pad = 0xec; index < capacity; index++, pad ^= 0xec ^ 0x11) out[index] = pad;
  return out;
}

/** Splits the data into blocks, adds each block's RS codewords, and interleaves them for placement. */
function interleave(version: number, data: Uint8Array): Uint8Array {
  const blockCount = BLOCKS[version - 1]!;
  const eccLength = ECC_PER_BLOCK[version - 1]!;
  const total = Math.floor(rawDataModules(version) / 8);
  const shortBlocks = blockCount - (total % blockCount);
  const shortData = Math.floor(total / blockCount) - eccLength;
  const blocks: { data: Uint8Array; ecc: Uint8Array }[] = [];
  for (let b = 0, offset = 0; b < blockCount; b++) {
    const length = shortData + (b < shortBlocks ? 0 : 1);
    const block = data.subarray(offset, offset + length);
    blocks.push({ data: block, ecc: reedSolomon(block, eccLength) });
    offset += length;
  }
  const out = new Uint8Array(total);
  let n = 0;
  for (let i = 0; i <= shortData; i++) {
    for (const block of blocks) if (i < block.data.length) out[n++] = block.data[i]!;
  }
  for (let i = 0; i < eccLength; i++) for (const block of blocks) out[n++] = block.ecc[i]!;
  return out;
}

/** The matrix under construction: modules, and which of them belong to function patterns. */
class Matrix {
  readonly size: number;
  readonly modules: Uint8Array;
  private readonly reserved: Uint8Array;

  constructor(readonly version: number) {
    this.size = 17 + 4 * version;
    this.modules = new Uint8Array(this.size * this.size);
    this.reserved = new Uint8Array(this.size * this.size);
    this.drawFunctionPatterns();
  }

  private set(x: number, y: number, dark: boolean) {
    const i = y * this.size + x;
    this.modules[i] = dark ? 1 : 0;
    this.reserved[i] = 1;
  }

  private drawFunctionPatterns() {
    const { size } = this;
    for (let i = 0; i < size; i++) {
      this.set(6, i, i % 2 === 0);
      this.set(i, 6, i % 2 === 0);
    }
    // Finder patterns with their light separators.
    for (const [cx, cy] of [
      [3, 3],
      [size - 4, 3],
      [3, size - 4],
    ] as const) {
      for (let dy = -4; dy <= 4; dy++) {
        for (let dx = -4; dx <= 4; dx++) {
          const x = cx + dx;
          const y = cy + dy;
          if (x < 0 || y < 0 || x >= size || y >= size) continue;
          const ring = Math.max(Math.abs(dx), Math.abs(dy));
          this.set(x, y, ring !== 2 && ring !== 4);
        }
      }
    }
    const centres = alignmentPositions(this.version);
    const last = centres.length - 1;
    for (const [i, cy] of centres.entries()) {
      for (const [j, cx] of centres.entries()) {
        // The three corners taken by finder patterns.
        if ((i === 0 && j === 0) || (i === 0 && j === last) || (i === last && j === 0)) continue;
        for (let dy = -2; dy <= 2; dy++) {
          for (let dx = -2; dx <= 2; dx++) {
            this.set(cx + dx, cy + dy, Math.max(Math.abs(dx), Math.abs(dy)) !== 1);
          }
        }
      }
    }
    this.drawFormat(0); // reserves the format areas; the chosen mask's bits are drawn later
    if (this.version >= 7) {
      const bits = versionBits(this.version);
      for (let i = 0; i < 18; i++) {
        const dark = ((bits >>> i) & 1) === 1;
        const a = size - 11 + (i % 3);
        const b = Math.floor(i / 3);
        this.set(a, b, dark);
        this.set(b, a, dark);
      }
    }
  }

  /** Both copies of the format information, and the dark module beside the lower-left finder. */
  drawFormat(mask: number) {
    const { size } = this;
    const bits = formatBits(mask);
    const bit = (i: number) => ((bits >>> i) & 1) === 1;
    for (let i = 0; i <= 5; i++) this.set(8, i, bit(i));
    this.set(8, 7, bit(6));
    this.set(8, 8, bit(7));
    this.set(7, 8, bit(8));
    for (let i = 9; i < 15; i++) this.set(14 - i, 8, bit(i));
    for (let i = 0; i < 8; i++) this.set(size - 1 - i, 8, bit(i));
    for (let i = 8; i < 15; i++) this.set(8, size - 15 + i, bit(i));
    this.set(8, size - 8, true);
  }

  /** Codeword bits, most significant first, in the two-column zigzag from the lower-right corner. */
  placeData(codewords: Uint8Array) {
    const { size } = this;
    const totalBits = codewords.length * 8;
    let i = 0;
    for (let right = size - 1; right >= 1; right -= 2) {
      if (right === 6) right = 5; // the vertical timing pattern's column is skipped
      const upward = ((right + 1) & 2) === 0;
      for (let step = 0; step < size; step++) {
        const y = upward ? size - 1 - step : step;
        for (let dx = 0; dx < 2; dx++) {
          const index = y * size + right - dx;
          if (this.reserved[index]) continue;
          // Remainder bits past the last codeword stay light.
          if (i < totalBits) this.modules[index] = (codewords[i >>> 3]! >>> (7 - (i & 7))) & 1;
          i++;
        }
      }
    }
  }

  /** XORs the mask pattern over the data modules (applying it twice restores them). */
  applyMask(mask: number) {
    const { size } = this;
    for (let y = 0; y < size; y++) {
      for (let x = 0; x < size; x++) {
        const index = y * size + x;
        if (!this.reserved[index] && maskHit(mask, x, y)) this.modules[index]! ^= 1;
      }
    }
  }
}

/** ISO 18004 table 10, with i the row and j the column. */
function maskHit(mask: number, j: number, i: number): boolean {
  switch (mask) {
    case 0:
      return (i + j) % 2 === 0;
    case 1:
      return i % 2 === 0;
    case 2:
      return j % 3 === 0;
    case 3:
      return (i + j) % 3 === 0;
    case 4:
      return (Math.floor(i / 2) + Math.floor(j / 3)) % 2 === 0;
    case 5:
      return ((i * j) % 2) + ((i * j) % 3) === 0;
    case 6:
      return (((i * j) % 2) + ((i * j) % 3)) % 2 === 0;
    default:
      return (((i + j) % 2) + ((i * j) % 3)) % 2 === 0;
  }
}

/** dark·light·dark×3·light·dark preceded or followed by four light modules, as 11-bit words. */
const FINDER_LIKE_AFTER = 0b10111010000;
const FINDER_LIKE_BEFORE = 0b00001011101;

/**
 * ISO 18004 §7.8.3's penalty score: runs of five or more same-coloured modules (3 + excess), 2×2
 * same-coloured blocks (3 each), finder-like patterns (40 each; outside the symbol counts as light,
 * as the quiet zone is), and the dark proportion's distance from 50 % (10 per 5 %).
 */
export function penalty(size: number, modules: Uint8Array): number {
  let score = 0;
  // One row or column at a time, with four light modules of quiet zone on each side.
  const line = new Uint8Array(size + 8);
  for (let index = 0; index < size; index++) {
    for (let direction = 0; direction < 2; direction++) {
      for (let k = 0; k < size; k++) {
        line[k + 4] = direction === 0 ? modules[index * size + k]! : modules[k * size + index]!;
      }
      let run = 1;
      for (let k = 5; k <= size + 4; k++) {
        if (k < size + 4 && line[k] === line[k - 1]) run++;
        else {
          if (run >= 5) score += run - 2;
          run = 1;
        }
      }
      let window = 0;
      for (let k = 0; k < line.length; k++) {
        window = ((window << 1) | line[k]!) & 0x7ff;
        if (k >= 10 && (window === FINDER_LIKE_AFTER || window === FINDER_LIKE_BEFORE)) score += 40;
      }
    }
  }
  let dark = 0;
  for (let y = 0; y < size; y++) {
    const row = y * size;
    for (let x = 0; x < size; x++) {
      const m = modules[row + x]!;
      dark += m;
      if (
        x + 1 < size &&
        y + 1 < size &&
        m === modules[row + x + 1] &&
        m === modules[row + size + x] &&
        m === modules[row + size + x + 1]
      ) {
        score += 3;
      }
    }
  }
  const total = size * size;
  score += 10 * Math.floor(Math.abs(dark * 20 - total * 10) / total);
  return score;
}
