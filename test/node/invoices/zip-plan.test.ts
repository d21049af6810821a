// Which entries of an invoice ZIP become documents, which PDF goes with which XML, and what is ignored.
import { describe, expect, it } from "vitest";
import { planZipImport } from "../../../shared/invoices/zip-plan";
import type { ZipEntry } from "../../../shared/zip";

const entry = (name: string): ZipEntry => ({
  name,
  size: 1,
  compressedSize: 1,
  method: 0,
  encrypted: false,
  crc32: 0,
  dataOffset: 0,
});
const plan = (...names: string[]) => {
  const { documents, ignored } = planZipImport(names.map(entry));
  return { documents: documents.map((d) => [d.xml.name, d.pdf?.name ?? null]), ignored };
};

describe("planZipImport", () => {
  it("keeps every XML in archive order and pairs the PDF of the same name in the same folder", () => {
    expect(plan("b/F-2.xml", "a/F-1.pdf", "a/F-1.xml", "b/F-1.pdf", "F-3.XML", "f-3.pdf")).toEqual({
      documents: [
        ["b/F-2.xml", null],
        ["a/F-1.xml", "a/F-1.pdf"],
        ["F-3.XML", "f-3.pdf"],
      ],
      // b/F-1.pdf has no XML beside it: another folder's F-1.xml is not its document.
      ignored: ["b/F-1.pdf"],
    });
  });

  it("ignores what is not a document: other files, nested archives, a second PDF of one document", () => {
    expect(plan("A.xml", "A.pdf", "a.PDF", "leeme.txt", "otros.zip", "A.xml.bak")).toEqual({
      documents: [["A.xml", "A.pdf"]],
      ignored: ["a.PDF", "leeme.txt", "otros.zip", "A.xml.bak"],
    });
  });

  it("gives a PDF to one XML only, when two XML names differ only in case", () => {
    expect(plan("X.xml", "x.XML", "X.pdf")).toEqual({
      documents: [
        ["X.xml", "X.pdf"],
        ["x.XML", null],
      ],
      ignored: [],
    });
  });

  it("has no documents in an archive without XML", () => {
    expect(plan("a.pdf", "b.txt")).toEqual({ documents: [], ignored: ["a.pdf", "b.txt"] });
    expect(plan()).toEqual({ documents: [], ignored: [] });
  });
});
