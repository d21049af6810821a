/**
 * Test-only structural reader of the PDFs shared/pdf writes: checks the header, the cross-reference
 * table (every offset lands on its "n 0 obj"), stream lengths and the trailer, and extracts the text
 * drawn with Tj from the (inflated) content streams, so tests can assert what a page says without a
 * PDF library.
 */
import { inflateSync } from "node:zlib";

export interface InspectedPdf {
  version: string;
  /** Object number → its text between "obj" and "endobj" (stream data as latin1). */
  objects: Map<number, string>;
  trailer: string;
  pageCount: number;
  /** The text each page draws, in drawing order, one string per Tj, decoded from WinAnsi. */
  pageTexts: string[][];
}

const latin1 = (bytes: Uint8Array) => Buffer.from(bytes).toString("latin1");

function fail(message: string): never {
  throw new Error(`malformed PDF: ${message}`);
}

/** WinAnsi codes 0x80–0x9F that tests may meet; the rest of the printable range is Latin-1. */
const WIN_ANSI_HIGH: Record<number, string> = { 128: "€", 147: "“", 148: "”", 150: "–", 151: "—", 183: "·" };

function decodeLiteral(raw: string): string {
  let out = "";
  for (let i = 0; i < raw.length; i++) {
    let ch = raw[i]!;
    if (ch === "\\") {
      const next = raw[++i]!;
      const octal = /^[0-7]{1,3}/.exec(raw.slice(i));
      if (octal) {
        ch = String.fromCharCode(Number.parseInt(octal[0], 8));
        i += octal[0].length - 1;
      } else ch = next;
    }
    const code = ch.charCodeAt(0);
    out += WIN_ANSI_HIGH[code] ?? ch;
  }
  return out;
}

function contentText(content: string): string[] {
  const texts: string[] = [];
  const re = /\(((?:\\.|[^\\)])*)\) Tj/gs;
  for (let m = re.exec(content); m; m = re.exec(content)) texts.push(decodeLiteral(m[1]!));
  return texts;
}

export function inspectPdf(bytes: Uint8Array): InspectedPdf {
  const text = latin1(bytes);
  const header = /^%PDF-(\d\.\d)\n%[\x80-\xff]{4}\n/.exec(text) ?? fail("bad header");
  if (!text.endsWith("%%EOF\n")) fail("no %%EOF at the end");
  const startxref = /startxref\n(\d+)\n%%EOF\n$/.exec(text) ?? fail("no startxref");
  const xrefAt = Number(startxref[1]);
  if (text.slice(xrefAt, xrefAt + 5) !== "xref\n") fail(`startxref ${xrefAt} does not point at "xref"`);
  const section = /^xref\n0 (\d+)\n/.exec(text.slice(xrefAt)) ?? fail("bad xref subsection");
  const count = Number(section[1]);
  const entriesAt = xrefAt + section[0].length;
  const trailerAt = entriesAt + 20 * count;
  if (text.slice(trailerAt, trailerAt + 8) !== "trailer\n") fail("xref entries are not 20 bytes each");
  const trailer = text.slice(trailerAt, text.lastIndexOf("startxref"));
  const size = /\/Size (\d+)/.exec(trailer) ?? fail("trailer without /Size");
  if (Number(size[1]) !== count) fail(`/Size ${size[1]} but ${count} xref entries`);

  const objects = new Map<number, string>();
  for (let n = 0; n < count; n++) {
    const entry = text.slice(entriesAt + 20 * n, entriesAt + 20 * (n + 1));
    const m = /^(\d{10}) (\d{5}) ([nf])(?: \n|\r\n)$/.exec(entry) ?? fail(`bad xref entry ${n}: ${entry}`);
    if (m[3] === "f") continue;
    const offset = Number(m[1]);
    const head = `${n} 0 obj\n`;
    if (text.slice(offset, offset + head.length) !== head) fail(`object ${n}'s offset ${offset} is wrong`);
    const end = text.indexOf("\nendobj\n", offset);
    if (end < 0) fail(`object ${n} has no endobj`);
    objects.set(n, text.slice(offset + head.length, end));
  }

  const streamOf = (body: string): string => {
    const m = /^<<(.*?)>>\nstream\n/s.exec(body) ?? fail("content is not a stream");
    const length = Number((/\/Length (\d+)/.exec(m[1]!) ?? fail("stream without /Length"))[1]);
    const data = body.slice(m[0].length, m[0].length + length);
    if (body.slice(m[0].length + length) !== "\nendstream") fail("stream /Length is wrong");
    const raw = Buffer.from(data, "latin1");
    return m[1]!.includes("/FlateDecode") ? latin1(inflateSync(raw)) : latin1(raw);
  };

  const root = Number((/\/Root (\d+) 0 R/.exec(trailer) ?? fail("no /Root"))[1]);
  const pagesRef = Number((/\/Pages (\d+) 0 R/.exec(objects.get(root) ?? "") ?? fail("no /Pages"))[1]);
  const pages = objects.get(pagesRef) ?? fail("page tree missing");
  const kids = [...(/\/Kids \[([^\]]*)\]/.exec(pages)?.[1] ?? "").matchAll(/(\d+) 0 R/g)].map((k) =>
    Number(k[1]),
  );
  const declared = Number((/\/Count (\d+)/.exec(pages) ?? fail("no /Count"))[1]);
  if (declared !== kids.length) fail(`/Count ${declared} but ${kids.length} kids`);
  const pageTexts = kids.map((kid) => {
    const page = objects.get(kid) ?? fail(`page ${kid} missing`);
    if (!page.includes("/Type /Page ")) fail(`object ${kid} is not a page`);
    const contents = Number((/\/Contents (\d+) 0 R/.exec(page) ?? fail("page without /Contents"))[1]);
    return contentText(streamOf(objects.get(contents) ?? fail(`content ${contents} missing`)));
  });
  return { version: header[1]!, objects, trailer, pageCount: kids.length, pageTexts };
}

/** All the text of a PDF, one line per Tj. */
export const allText = (pdf: InspectedPdf) => pdf.pageTexts.flat().join("\n");
