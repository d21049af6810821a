/**
 * The PDF writer and the CFDI's printed representation: a structurally valid file (xref offsets,
 * stream lengths, page tree) that says what the CFDI says, paginates long invoices with the table
 * header repeated, and carries SAT's verification QR code; checked again with poppler's pdftotext and
 * pdftoppm + zbarimg when they are installed.
 */
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { tfdCadena } from "../../../shared/cfdi/cadena";
import { type Cfdi, timbre } from "../../../shared/cfdi/model";
import { parseCfdi } from "../../../shared/cfdi/parse";
import { cfdiPdf, groupThousands, satVerificationUrl, wrap } from "../../../shared/pdf/cfdi";
import { PdfDocument } from "../../../shared/pdf/document";
import { textWidth } from "../../../shared/pdf/metrics";
import { readFixture } from "../helpers/fixtures";
import { allText, inspectPdf } from "./inspect";
import { hasTool, run, tempDir, zbar } from "./tools";

const load = (name: string) => parseCfdi(readFixture("cfdi", "40", name));
const EKU = "test-ingreso-EKU-descuento-stamped-finkok-demo.xml";
const RETENCIONES = "test-ingreso-XIQB-persona-fisica-iva16-retenciones-stamped.xml";

/** The fixture with `count` conceptos (its own, repeated and numbered). */
function withConceptos(cfdi: Cfdi, count: number): Cfdi {
  const base = cfdi.Conceptos;
  return {
    ...cfdi,
    Conceptos: Array.from({ length: count }, (_, i) => ({
      ...base[i % base.length]!,
      Descripcion: `Concepto ${i + 1}: ${base[i % base.length]!.Descripcion}`,
    })),
  };
}

describe("PdfDocument", () => {
  it("writes a valid file with WinAnsi text, escapes and exact offsets, compressed or not", () => {
    for (const compress of [false, true]) {
      const doc = new PdfDocument({ title: "Año — prueba" });
      const page = doc.addPage();
      page.text(72, 700, "Facturación (año 2025) \\ ñandú €5");
      page.rect(72, 600, 100, 20, { fill: 0.9, stroke: 0 });
      page.line(72, 590, 172, 590);
      doc.addPage().text(72, 700, "segunda página", { font: "Helvetica-Bold", size: 12 });
      const bytes = doc.save({ compress });
      const pdf = inspectPdf(bytes);
      expect(pdf.version).toBe("1.7");
      expect(pdf.pageCount).toBe(2);
      expect(pdf.pageTexts).toEqual([["Facturación (año 2025) \\ ñandú €5"], ["segunda página"]]);
      const raw = Buffer.from(bytes).toString("latin1");
      expect(raw.includes("/Filter /FlateDecode")).toBe(compress);
      if (!compress)
        expect(raw).toContain("(Facturaci\\363n \\(a\\361o 2025\\) \\\\ \\361and\\372 \\2005) Tj");
      expect(raw).toContain("/WinAnsiEncoding");
    }
  });

  it("measures Helvetica as its AFM says", () => {
    expect(textWidth("Hola", "Helvetica", 10)).toBeCloseTo((722 + 556 + 222 + 556) / 100);
    expect(textWidth("á", "Helvetica-Bold", 10)).toBe(textWidth("a", "Helvetica-Bold", 10));
  });
});

describe("wrap", () => {
  it("breaks at spaces and splits words wider than the line", () => {
    const lines = wrap(`uno dos tres ${"x".repeat(100)}`, "Helvetica", 10, 100);
    for (const line of lines) expect(textWidth(line, "Helvetica", 10)).toBeLessThanOrEqual(100);
    expect(lines.join("").replaceAll(" ", "")).toBe(`unodostres${"x".repeat(100)}`);
    expect(lines[0]).toBe("uno dos tres");
    expect(wrap("", "Helvetica", 10, 100)).toEqual([""]);
  });
});

describe("satVerificationUrl", () => {
  it("follows Anexo 20's format", () => {
    const cfdi = load(EKU);
    expect(satVerificationUrl(cfdi, timbre(cfdi)!)).toBe(
      "https://verificacfdi.facturaelectronica.sat.gob.mx/default.aspx?id=6F35D3B5-3651-5370-BC2C-14CDBE384CD7" +
        "&re=EKU9003173C9&rr=MCI7306249Y1&tt=3327.01&fe=KklI5Q==",
    );
    const round = { ...cfdi, Total: "14300.00", Emisor: { ...cfdi.Emisor, Rfc: "AÑ&010101AAA" } };
    expect(satVerificationUrl(round, timbre(cfdi)!)).toContain("re=A%C3%91%26010101AAA&");
    expect(satVerificationUrl(round, timbre(cfdi)!)).toContain("&tt=14300.0&");
  });

  it("groups thousands without touching the digits", () => {
    expect(groupThousands("1234567.500000")).toBe("1,234,567.500000");
    expect(groupThousands("999")).toBe("999");
    expect(groupThousands("-1000.5")).toBe("-1,000.5");
  });
});

describe("cfdiPdf", () => {
  const cfdi = load(EKU);
  const tfd = timbre(cfdi)!;
  const bytes = cfdiPdf(cfdi);
  const pdf = inspectPdf(bytes);
  const text = allText(pdf);

  it("is a one-page PDF 1.7 whose info names the UUID", () => {
    expect(Buffer.from(bytes.subarray(0, 8)).toString()).toBe("%PDF-1.7");
    expect(pdf.pageCount).toBe(1);
    const info = [...pdf.objects.values()].find((o) => o.includes("/Producer"))!;
    const title = Buffer.from(`\ufeffCFDI ${tfd.UUID}`, "utf16le").swap16().toString("hex").toUpperCase();
    expect(info).toContain(`/Title <${title}>`);
  });

  it("prints the parties, the document's data, the conceptos and the totals", () => {
    for (const expected of [
      "ESCUELA KEMPER URGATE",
      "EKU9003173C9",
      "601 - General de Ley Personas Morales",
      "MUNICIPIO DE CUAUTITLAN IZCALLI",
      "MCI7306249Y1",
      "54700",
      "G03 - Gastos en general.",
      "01 - Efectivo",
      "PUE - Pago en una sola exhibición",
      "MXN",
      "86000",
      "2025-02-19 08:32:29",
      "52161557",
      "H87 PIEZA",
      "$956.04",
      "$3,824.15",
      "$458.90",
      "IVA trasladado 16%",
      "$3,327.01",
      "(TRES MIL TRESCIENTOS VEINTISIETE PESOS 01/100 M.N.)",
      tfd.UUID,
      tfd.NoCertificadoSAT,
      "Página 1 de 1",
    ]) {
      expect(text).toContain(expected);
    }
  });

  it("prints both seals and the TFD's cadena original in full", () => {
    const lines = pdf.pageTexts[0]!;
    const between = (label: string, next: string) => {
      const start = lines.indexOf(label) + 1;
      return lines.slice(start, lines.indexOf(next, start)).join("");
    };
    expect(between("Sello digital del CFDI:", "Sello digital del SAT:")).toBe(cfdi.Sello);
    expect(
      between("Sello digital del SAT:", "Cadena original del complemento de certificación digital del SAT:"),
    ).toBe(tfd.SelloSAT);
    expect(text.replaceAll("\n", "")).toContain(tfdCadena(tfd));
  });

  it("prints retenciones and every concepto's taxes", () => {
    const other = load(RETENCIONES);
    const t = allText(inspectPdf(cfdiPdf(other)));
    for (const r of other.Impuestos?.Retenciones ?? []) expect(t).toContain(`$${groupThousands(r.Importe)}`);
    expect(t).toContain("retenido");
  });

  it("paginates 200 conceptos with the table header on every page and the totals once", () => {
    const long = withConceptos(cfdi, 200);
    const many = inspectPdf(cfdiPdf(long));
    expect(many.pageCount).toBeGreaterThan(3);
    for (const [i, page] of many.pageTexts.entries()) {
      expect(page).toContain(`Página ${i + 1} de ${many.pageCount}`);
      if (page.some((l) => l.startsWith("Concepto "))) expect(page).toContain("Descripción");
    }
    const all = allText(many);
    for (let n = 1; n <= 200; n++) expect(all).toContain(`Concepto ${n}: Portable tetris`);
    expect(all.match(/Importe con letra:/g)).toHaveLength(1);
    expect(many.pageTexts.at(-1)).toContain("Sello digital del SAT:");
  });

  it("wraps a long description inside its column", () => {
    const long = withConceptos(cfdi, 1);
    long.Conceptos[0]!.Descripcion = "Servicio de mantenimiento preventivo y correctivo ".repeat(12).trim();
    const lines = allText(inspectPdf(cfdiPdf(long))).split("\n");
    const pieces = lines.filter((l) => l.includes("mantenimiento") || l.includes("correctivo"));
    expect(pieces.length).toBeGreaterThan(5);
    for (const l of pieces) expect(textWidth(l, "Helvetica", 7.5)).toBeLessThanOrEqual(236 - 6);
  });

  it("renders an unstamped CFDI without the stamp block", () => {
    const unstamped = { ...cfdi, Complemento: [] };
    const t = allText(inspectPdf(cfdiPdf(unstamped)));
    expect(t).toContain("$3,327.01");
    expect(t).not.toContain("Sello digital del SAT:");
  });

  describe.skipIf(!hasTool("pdftotext"))("read by poppler", () => {
    it("pdftotext extracts the expected text", () => {
      const dir = tempDir();
      const path = join(dir, "cfdi.pdf");
      writeFileSync(path, bytes);
      const extracted = run("pdftotext", ["-layout", "-enc", "UTF-8", path, "-"]);
      for (const expected of [
        tfd.UUID,
        "Régimen fiscal: 601 - General de Ley Personas Morales",
        "Método de pago: PUE - Pago en una sola exhibición",
        "$3,327.01",
        "TRES MIL TRESCIENTOS VEINTISIETE PESOS 01/100 M.N.",
        "Página 1 de 1",
      ]) {
        expect(extracted).toContain(expected);
      }
      const info = run("pdfinfo", [path]);
      expect(info).toMatch(/Pages:\s+1/);
      expect(info).toContain(`CFDI ${tfd.UUID}`);
    });

    it.skipIf(!hasTool("pdftoppm") || !hasTool("zbarimg"))("the printed QR code scans to SAT's URL", () => {
      const dir = tempDir();
      const path = join(dir, "cfdi.pdf");
      writeFileSync(path, bytes);
      run("pdftoppm", ["-r", "150", "-png", "-singlefile", path, join(dir, "page")]);
      expect(zbar(join(dir, "page.png"))).toEqual([satVerificationUrl(cfdi, tfd)]);
    });

    it("pdftotext reads every page of a 200-concepto invoice", () => {
      const dir = tempDir();
      const path = join(dir, "long.pdf");
      const long = cfdiPdf(withConceptos(cfdi, 200));
      writeFileSync(path, long);
      const pages = inspectPdf(long).pageCount;
      const extracted = run("pdftotext", ["-enc", "UTF-8", path, "-"]);
      expect(extracted).toContain("Concepto 200: Portable tetris");
      expect(extracted).toContain(`Página ${pages} de ${pages}`);
    });
  });
});
