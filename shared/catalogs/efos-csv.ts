/**
 * Reads the SAT's list of taxpayers under article 69-B of the CFF (EFOS: "empresas que facturan
 * operaciones simuladas"), `Listado_Completo_69-B.csv`, into the compact columns that
 * scripts/build-catalogs.ts writes to data/efos.ts. Kept apart from efos.ts so the script can run
 * before data/efos.ts exists.
 */
import { foldHeader, parseCsvRecords } from "./csv";
import type { EfosColumns } from "./types";

/** RFCs are 12 (companies) or 13 (individuals) characters; shorter ones are padded with spaces. */
export const EFOS_RFC_WIDTH = 13;

const MONTHS = [
  "enero",
  "febrero",
  "marzo",
  "abril",
  "mayo",
  "junio",
  "julio",
  "agosto",
  "septiembre",
  "octubre",
  "noviembre",
  "diciembre",
];

/** "Información actualizada al 15 de octubre de 2024" → "2024-10-15". */
function asOfDate(lines: string[][]): string | null {
  for (const cells of lines) {
    const m = /(\d{1,2}) de ([a-z]+) de (\d{4})/i.exec(cells.join(" ").normalize("NFD").toLowerCase());
    const month = m ? MONTHS.indexOf(m[2]!) + 1 : 0;
    if (m && month > 0) return `${m[3]}-${String(month).padStart(2, "0")}-${m[1]!.padStart(2, "0")}`;
  }
  return null;
}

/**
 * The SAT file has title lines, then a header with (at least) "RFC", "Nombre del Contribuyente" and
 * "Situación del contribuyente". An RFC listed twice keeps its last row (the SAT appends changes).
 */
export function parseEfosCsv(text: string): EfosColumns {
  const records = parseCsvRecords(text.replace(/^\uFEFF/, ""));
  const headerAt = records.findIndex((r) => r.some((c) => foldHeader(c) === "rfc"));
  if (headerAt < 0) throw new Error("EFOS list: no header row with an RFC column");
  const header = records[headerAt]!.map(foldHeader);
  const column = (name: string) => {
    const i = header.findIndex((h) => h.startsWith(name));
    if (i < 0) throw new Error(`EFOS list: no column ${name}`);
    return i;
  };
  const [rfcAt, nameAt, situationAt] = [column("rfc"), column("nombre"), column("situacion")];
  const byRfc = new Map<string, { nombre: string; situacion: string }>();
  for (const cells of records.slice(headerAt + 1)) {
    const rfc = (cells[rfcAt] ?? "").trim().toUpperCase();
    if (!/^[A-ZÑ&0-9]{12,13}$/u.test(rfc)) continue;
    byRfc.set(rfc, {
      nombre: (cells[nameAt] ?? "").trim().replace(/\s+/g, " "),
      situacion: (cells[situationAt] ?? "").trim(),
    });
  }
  const rfcs = [...byRfc.keys()].sort();
  const situaciones = [...new Set([...byRfc.values()].map((e) => e.situacion))].sort();
  if (situaciones.length > 36) throw new Error("EFOS list: more than 36 distinct situations");
  return {
    asOf: asOfDate(records.slice(0, headerAt)),
    count: rfcs.length,
    rfcs: rfcs.map((r) => r.padEnd(EFOS_RFC_WIDTH, " ")).join(""),
    nombres: rfcs.map((r) => byRfc.get(r)!.nombre).join("\n"),
    situacion: rfcs.map((r) => situaciones.indexOf(byRfc.get(r)!.situacion).toString(36)).join(""),
    situaciones,
  };
}
