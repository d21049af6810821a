/**
 * A minimal PDF 1.7 writer: pages of text (the standard Helvetica and Helvetica-Bold with
 * WinAnsiEncoding, so Spanish accents print without embedding a font), lines, rectangles and QR
 * codes, written with a classic cross-reference table. Content streams are FlateDecode-compressed
 * (node:zlib, which workerd provides under nodejs_compat) unless `compress: false`.
 * Coordinates are PDF points from the lower-left corner of the page.
 */
import { deflateSync } from "node:zlib";
import { type FontName, winAnsi } from "./metrics";
import type { QrCode } from "./qr";

export const LETTER = { width: 612, height: 792 } as const;

const encoder = new TextEncoder();

const FONT_RESOURCE: Record<FontName, string> = { Helvetica: "F1", "Helvetica-Bold": "F2" };

export interface TextStyle {
  font?: FontName;
  size?: number;
  /** 0 = black … 1 = white. */
  gray?: number;
}

export interface RectStyle {
  /** Fill gray level; omitted = not filled. */
  fill?: number;
  /** Stroke gray level; omitted = not stroked. */
  stroke?: number;
  lineWidth?: number;
}

/** A number as PDF writes it: at most 3 decimals, no exponent (page coordinates never need one). */
const num = (n: number) => String(Math.round(n * 1000) / 1000);

/**
 * A PDF literal string of WinAnsi text. Bytes above 0x7F are written as octal escapes, so content
 * streams stay ASCII (and encode natively); parentheses and backslashes are escaped.
 */
const literal = (encoded: string) =>
  `(${encoded.replace(/[()\\\x80-\xff]/g, (c) => {
    const code = c.charCodeAt(0);
    return code < 0x80 ? `\\${c}` : `\\${code.toString(8)}`;
  })})`;

export class PdfPage {
  private readonly ops: string[] = [];

  constructor(
    readonly width: number,
    readonly height: number,
  ) {}

  text(x: number, y: number, text: string, style: TextStyle = {}) {
    const { font = "Helvetica", size = 9, gray = 0 } = style;
    this.ops.push(
      `BT ${num(gray)} g /${FONT_RESOURCE[font]} ${num(size)} Tf ${num(x)} ${num(y)} Td ${literal(winAnsi(text))} Tj ET`,
    );
  }

  line(x1: number, y1: number, x2: number, y2: number, style: { width?: number; gray?: number } = {}) {
    const { width = 0.5, gray = 0 } = style;
    this.ops.push(`${num(width)} w ${num(gray)} G ${num(x1)} ${num(y1)} m ${num(x2)} ${num(y2)} l S`);
  }

  rect(x: number, y: number, width: number, height: number, style: RectStyle) {
    const { fill, stroke, lineWidth = 0.5 } = style;
    if (fill === undefined && stroke === undefined) return;
    const paint = fill !== undefined && stroke !== undefined ? "B" : fill !== undefined ? "f" : "S";
    this.ops.push(
      `${fill !== undefined ? `${num(fill)} g ` : ""}${stroke !== undefined ? `${num(stroke)} G ${num(lineWidth)} w ` : ""}` +
        `${num(x)} ${num(y)} ${num(width)} ${num(height)} re ${paint}`,
    );
  }

  /**
   * Draws a QR code as filled squares in a `side × side` square whose lower-left corner is (x, y),
   * quiet zone included (4 modules each side, as ISO 18004 requires). Horizontal runs of dark modules
   * become one rectangle each, and the whole symbol one fill, which keeps the stream small.
   */
  qrCode(code: QrCode, x: number, y: number, side: number) {
    const modulesAcross = code.size + 8;
    const unit = side / modulesAcross;
    const parts: string[] = ["0 g"];
    for (let row = 0; row < code.size; row++) {
      const top = y + side - (row + 4) * unit;
      for (let col = 0; col < code.size; ) {
        if (!code.modules[row * code.size + col]) {
          col++;
          continue;
        }
        const start = col;
        while (col < code.size && code.modules[row * code.size + col]) col++;
        parts.push(
          `${num(x + (start + 4) * unit)} ${num(top - unit)} ${num((col - start) * unit)} ${num(unit)} re`,
        );
      }
    }
    parts.push("f");
    this.ops.push(parts.join("\n"));
  }

  /** The content stream (ASCII: see `literal`). */
  content(): Uint8Array {
    return encoder.encode(this.ops.join("\n"));
  }
}

export interface DocumentInfo {
  title?: string;
  subject?: string;
  author?: string;
}

/** A PDF text string in UTF-16BE with its byte-order mark, so any title survives. */
function textString(value: string): string {
  let hex = "FEFF";
  for (let i = 0; i < value.length; i++) hex += value.charCodeAt(i).toString(16).padStart(4, "0");
  return `<${hex.toUpperCase()}>`;
}

export class PdfDocument {
  readonly pages: PdfPage[] = [];

  constructor(private readonly info: DocumentInfo = {}) {}

  addPage(width: number = LETTER.width, height: number = LETTER.height): PdfPage {
    const page = new PdfPage(width, height);
    this.pages.push(page);
    return page;
  }

  /**
   * The file. Objects: 1 catalog, 2 page tree, 3–4 fonts, 5 info, then a page and its content stream
   * for each page.
   */
  save(options: { compress?: boolean } = {}): Uint8Array<ArrayBuffer> {
    const compress = options.compress ?? true;
    const chunks: Uint8Array[] = [];
    const offsets: number[] = [];
    let length = 0;
    const write = (part: string | Uint8Array) => {
      const bytes = typeof part === "string" ? encoder.encode(part) : part;
      chunks.push(bytes);
      length += bytes.length;
    };
    const object = (body: string | (() => void)) => {
      offsets.push(length);
      write(`${offsets.length} 0 obj\n`);
      if (typeof body === "string") write(body);
      else body();
      write("\nendobj\n");
    };

    // The second line's high bytes mark the file as binary for transfer tools (PDF 32000 §7.5.2).
    write(new Uint8Array([...encoder.encode("%PDF-1.7\n%"), 0xe2, 0xe3, 0xcf, 0xd3, 0x0a]));

    const pageIds = this.pages.map((_, i) => 6 + 2 * i);
    object("<< /Type /Catalog /Pages 2 0 R >>");
    object(
      `<< /Type /Pages /Kids [${pageIds.map((id) => `${id} 0 R`).join(" ")}] /Count ${this.pages.length} >>`,
    );
    for (const font of ["Helvetica", "Helvetica-Bold"]) {
      object(`<< /Type /Font /Subtype /Type1 /BaseFont /${font} /Encoding /WinAnsiEncoding >>`);
    }
    const info = [
      ["Title", this.info.title],
      ["Subject", this.info.subject],
      ["Author", this.info.author],
    ]
      .filter(([, v]) => v)
      .map(([k, v]) => `/${k} ${textString(v!)}`);
    object(`<< ${[...info, "/Producer (Timbre)"].join(" ")} >>`);
    for (const [i, page] of this.pages.entries()) {
      object(
        `<< /Type /Page /Parent 2 0 R /MediaBox [0 0 ${num(page.width)} ${num(page.height)}] ` +
          `/Resources << /Font << /F1 3 0 R /F2 4 0 R >> >> /Contents ${pageIds[i]! + 1} 0 R >>`,
      );
      const raw = page.content();
      const data = compress ? new Uint8Array(deflateSync(raw)) : raw;
      object(() => {
        write(`<< /Length ${data.length}${compress ? " /Filter /FlateDecode" : ""} >>\nstream\n`);
        write(data);
        write("\nendstream");
      });
    }

    const xref = length;
    const count = offsets.length + 1;
    // Each entry is exactly 20 bytes: 10-digit offset, 5-digit generation, type, and a 2-byte EOL.
    let table = `xref\n0 ${count}\n0000000000 65535 f \n`;
    for (const offset of offsets) table += `${String(offset).padStart(10, "0")} 00000 n \n`;
    write(table);
    write(`trailer\n<< /Size ${count} /Root 1 0 R /Info 5 0 R >>\nstartxref\n${xref}\n%%EOF\n`);

    const out = new Uint8Array(length);
    let at = 0;
    for (const chunk of chunks) {
      out.set(chunk, at);
      at += chunk.length;
    }
    return out;
  }
}
