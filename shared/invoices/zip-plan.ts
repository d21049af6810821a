/**
 * What an invoice ZIP import does with each entry of the archive (pure; the reading itself is
 * shared/zip). Every `.xml` entry is a document to receive, in archive order; a `.pdf` entry with the
 * same path minus its extension (compared case-insensitively, as Windows users name files) is that
 * document's PDF. Everything else — PDFs without an XML, nested archives, other files — is not imported
 * and is named in `ignored`, so the user can see what was left out rather than wonder.
 */
import type { ZipEntry } from "../zip";

export interface ZipImportDocument {
  xml: ZipEntry;
  pdf?: ZipEntry;
}

export interface ZipImportPlan {
  documents: ZipImportDocument[];
  ignored: string[];
}

const stem = (name: string, extension: string) => name.slice(0, -extension.length).toLowerCase();
const hasExtension = (name: string, extension: string) => name.toLowerCase().endsWith(extension);

export function planZipImport(entries: readonly ZipEntry[]): ZipImportPlan {
  const pdfs = new Map<string, ZipEntry>();
  for (const entry of entries) {
    const key = hasExtension(entry.name, ".pdf") ? stem(entry.name, ".pdf") : undefined;
    // Two PDFs differing only in case: the first in the archive is the document's, the other ignored.
    if (key !== undefined && !pdfs.has(key)) pdfs.set(key, entry);
  }
  const documents: ZipImportDocument[] = [];
  const paired = new Set<ZipEntry>();
  for (const entry of entries) {
    if (!hasExtension(entry.name, ".xml")) continue;
    const pdf = pdfs.get(stem(entry.name, ".xml"));
    if (pdf && !paired.has(pdf)) {
      paired.add(pdf);
      documents.push({ xml: entry, pdf });
    } else {
      documents.push({ xml: entry });
    }
  }
  const ignored = entries.filter((e) => !hasExtension(e.name, ".xml") && !paired.has(e)).map((e) => e.name);
  return { documents, ignored };
}
