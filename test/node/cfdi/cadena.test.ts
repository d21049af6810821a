// Native cadena original vs SAT's XSLT: byte-identical with every golden file, and with xsltproc
// itself on variants that exercise normalize-space, Requerido/Opcional and complement handling.
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { cadenaOriginal, normalizeSpace, tfdCadena } from "../../../shared/cfdi/cadena";
import { timbre } from "../../../shared/cfdi/model";
import { parseCfdi } from "../../../shared/cfdi/parse";
import { AppError } from "../../../shared/errors";
import { fixturePath, goldenName, listCfdiFixtures, readFixture, readFixtureText } from "../helpers/fixtures";

const cfdiFixtures = listCfdiFixtures().filter((f) => !f.startsWith("retenciones/"));

describe("cadena original against the golden files", () => {
  it("has a golden cadena for every CFDI fixture", () => {
    expect(cfdiFixtures.length).toBeGreaterThan(15);
    for (const rel of cfdiFixtures)
      expect(existsSync(fixturePath("cfdi", "golden", goldenName(rel)))).toBe(true);
  });

  it.each(cfdiFixtures)("%s", (rel) => {
    const cfdi = parseCfdi(readFixture("cfdi", rel));
    expect(cadenaOriginal(cfdi)).toBe(readFixtureText("cfdi", "golden", goldenName(rel)));
  });

  const stamped = cfdiFixtures.filter((rel) =>
    existsSync(fixturePath("cfdi", "golden", goldenName(rel, "tfd-cadena"))),
  );

  it("covers the stamped fixtures", () => {
    expect(stamped.length).toBeGreaterThanOrEqual(8);
  });

  it.each(stamped)("TFD of %s", (rel) => {
    const tfd = timbre(parseCfdi(readFixture("cfdi", rel)));
    expect(tfd).toBeDefined();
    expect(tfdCadena(tfd!)).toBe(readFixtureText("cfdi", "golden", goldenName(rel, "tfd-cadena")));
  });

  it("agrees with the cadena CfdiUtils expects for the real 3.3 invoice", () => {
    const cfdi = parseCfdi(readFixture("cfdi", "33/real-ingreso-2019-stamped.xml"));
    expect(cadenaOriginal(cfdi)).toBe(
      readFixtureText("cfdi", "33/real-ingreso-2019-stamped.cadena-expected.txt").trimEnd(),
    );
  });
});

describe("normalizeSpace", () => {
  it("behaves like XPath normalize-space", () => {
    expect(normalizeSpace("ABC")).toBe("ABC");
    expect(normalizeSpace("  A \t\r\n B  ")).toBe("A B");
    expect(normalizeSpace("A  B")).toBe("A B");
    expect(normalizeSpace(" ")).toBe("");
    expect(normalizeSpace("")).toBe("");
    expect(normalizeSpace("A ")).toBe("A");
    // Only XML whitespace: NBSP and ideographic space are data.
    expect(normalizeSpace("\u00a0A\u3000")).toBe("\u00a0A\u3000");
  });
});

// ---------------------------------------------------------------------------------------------

const XSLT_ROOT = fixturePath("xslt", "www.sat.gob.mx", "sitio_internet", "cfd");
const XSLT = {
  "4.0": join(XSLT_ROOT, "4", "cadenaoriginal_4_0", "cadenaoriginal_4_0.xslt"),
  "3.3": join(XSLT_ROOT, "3", "cadenaoriginal_3_3", "cadenaoriginal_3_3.xslt"),
};
const hasXsltproc = spawnSync("xsltproc", ["--version"]).status === 0;
const workDir = mkdtempSync(join(tmpdir(), "timbre-cadena-"));
afterAll(() => rmSync(workDir, { recursive: true, force: true }));

function xsltproc(version: "3.3" | "4.0", xml: string): string {
  const file = join(workDir, `doc-${Math.random().toString(36).slice(2)}.xml`);
  writeFileSync(file, xml);
  const run = spawnSync("xsltproc", [XSLT[version], file], { encoding: "utf8" });
  if (run.status !== 0) throw new Error(`xsltproc failed: ${run.stderr}`);
  return run.stdout;
}

const real40 = readFixtureText("cfdi", "40/real-ingreso-CSM190311AH6-2022-stamped.xml");
const all40 = readFixtureText("cfdi", "40/example-all-nodes-nonsense-values-signed.xml");
const real33 = readFixtureText("cfdi", "33/real-ingreso-2019-stamped.xml");
const nomina = readFixtureText("cfdi", "40/test-nomina12-signed.xml");

const VARIANTS: Array<[string, "3.3" | "4.0", string]> = [
  [
    "whitespace runs, tabs, newlines and character references in values",
    "4.0",
    real40
      .replace(/Descripcion="([^"]*)"/, 'Descripcion="  $1 \t con\n  saltos&#10;y&#9;tabs   "')
      .replace(/(<cfdi:Emisor [^>]*Nombre=")([^"]*)"/, '$1 $2  &amp;  &lt;OTROS&gt; "'),
  ],
  [
    "an optional attribute present but empty",
    "4.0",
    real40.replace('Version="4.0"', 'Version="4.0" Serie=""'),
  ],
  ["a required attribute absent", "4.0", real40.replace(/ LugarExpedicion="[^"]*"/, "")],
  [
    "several CfdiRelacionados groups",
    "4.0",
    real40.replace(
      /(<cfdi:Emisor )/,
      '<cfdi:CfdiRelacionados TipoRelacion="01"><cfdi:CfdiRelacionado UUID="A"/><cfdi:CfdiRelacionado UUID="B"/></cfdi:CfdiRelacionados>' +
        '<cfdi:CfdiRelacionados TipoRelacion="04"><cfdi:CfdiRelacionado UUID="C"/></cfdi:CfdiRelacionados>$1',
    ),
  ],
  [
    "a TFD with whitespace content, copied by XSLT's built-in rule",
    "4.0",
    real40.replace(/(<tfd:TimbreFiscalDigital [^>]*?)\s*\/>/, "$1>\n   \n</tfd:TimbreFiscalDigital>"),
  ],
  [
    "two Complemento elements and the CFDI namespace as default namespace",
    "4.0",
    real40
      .replaceAll("cfdi:", "")
      .replace("xmlns:cfdi=", "xmlns=")
      .replace(
        "</Complemento>",
        '</Complemento><Complemento><implocal:ImpuestosLocales xmlns:implocal="http://www.sat.gob.mx/implocal" version="1.0" TotaldeRetenciones="1.00" TotaldeTraslados="0"><implocal:RetencionesLocales ImpLocRetenido=" ISN " TasadeRetencion="1.00" Importe="1.00"/></implocal:ImpuestosLocales></Complemento>',
      ),
  ],
  [
    "non-ASCII text and an emoji",
    "4.0",
    all40.replace('Descripcion="ACERO"', 'Descripcion="Año · ñandú 🚚 “comillas”"'),
  ],
  [
    "Parte with several InformacionAduanera",
    "4.0",
    all40.replace(
      '<cfdi:InformacionAduanera NumeroPedimento="15  48  4567  6001235"></cfdi:InformacionAduanera>',
      '<cfdi:InformacionAduanera NumeroPedimento="1"/><cfdi:InformacionAduanera NumeroPedimento="2"/>',
    ),
  ],
  [
    "nómina with optional attributes removed and added",
    "4.0",
    nomina
      .replace(/ TotalDeducciones="[^"]*"/, "")
      .replace(/ Puesto="[^"]*"/, ' Puesto="  Jefe   de  área "'),
  ],
  [
    "3.3 with whitespace in values and an optional Nombre removed",
    "3.3",
    real33
      .replace(/(<cfdi:Receptor [^>]*?) Nombre="[^"]*"/, "$1")
      .replace(/Descripcion="([^"]*)"/, 'Descripcion="  $1  x "'),
  ],
];

describe.skipIf(!hasXsltproc)("cadena original against xsltproc on variants", () => {
  it.each(VARIANTS)("%s", (_, version, xml) => {
    const cfdi = parseCfdi(xml);
    expect(cfdi.Version).toBe(version);
    expect(cadenaOriginal(cfdi)).toBe(xsltproc(version, xml));
  });
});

describe("complements without a transcription", () => {
  function unsupported(xml: string): AppError {
    try {
      cadenaOriginal(parseCfdi(xml));
    } catch (e) {
      expect(e).toBeInstanceOf(AppError);
      return e as AppError;
    }
    throw new Error("expected cadena_unsupported_complement");
  }

  it("refuses a complement it cannot transcribe instead of dropping it", () => {
    const withLeyendas = real40.replace(
      "<cfdi:Complemento>",
      '<cfdi:Complemento><leyendasFisc:LeyendasFiscales xmlns:leyendasFisc="http://www.sat.gob.mx/leyendasFiscales" version="1.0"><leyendasFisc:Leyenda textoLeyenda="x"/></leyendasFisc:LeyendasFiscales>',
    );
    const error = unsupported(withLeyendas);
    expect(error.code).toBe("cadena_unsupported_complement");
    expect(error.status).toBe(422);
    expect(error.details).toMatchObject({
      element: "LeyendasFiscales",
      namespace: "http://www.sat.gob.mx/leyendasFiscales",
    });
    expect(error.message).toContain("leyendasFisc:LeyendasFiscales");
  });

  it("refuses a complement the document's version does not include (Pagos 1.0 in a 4.0 CFDI)", () => {
    const pago10In40 = real40.replace(
      "<cfdi:Complemento>",
      '<cfdi:Complemento><pago10:Pagos xmlns:pago10="http://www.sat.gob.mx/Pagos" Version="1.0"><pago10:Pago FechaPago="2020-01-01T00:00:00" FormaDePagoP="03" MonedaP="MXN" Monto="1"/></pago10:Pagos>',
    );
    expect(unsupported(pago10In40).details).toMatchObject({ element: "Pagos", version: "4.0" });
  });

  it("refuses an untranscribed ComplementoConcepto child", () => {
    const iedu = real40.replace(
      "</cfdi:Impuestos>\n",
      '</cfdi:Impuestos><cfdi:ComplementoConcepto><iedu:instEducativas xmlns:iedu="http://www.sat.gob.mx/iedu" version="1.0" nombreAlumno="A" CURP="X" nivelEducativo="Primaria" autRVOE="1"/></cfdi:ComplementoConcepto>\n',
    );
    expect(iedu).toContain("iedu:instEducativas");
    expect(unsupported(iedu).details).toMatchObject({ element: "instEducativas" });
  });
});
