import { execFileSync } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import {
  CATALOGS,
  CATALOGS_VERSION,
  clavesUnidad,
  findReglaTasaCuota,
  formasPago,
  isVigente,
  matchesSatPattern,
  monedas,
  objetosImpuesto,
  paises,
  regimenesFiscales,
  tiposComprobante,
  usosCfdi,
} from "../../shared/catalogs";
import { fixturePath, readFixtureText } from "./helpers/fixtures";

const repoRoot = resolve(fileURLToPath(new URL("../..", import.meta.url)));

describe("SAT catalogs shipped as modules", () => {
  it("carries every row of the source CSVs", () => {
    expect(CATALOGS_VERSION).toBe(readFixtureText("catalogs", "VERSION.txt").trim());
    const rows = (file: string) => readFixtureText("catalogs", "csv", file).trim().split("\n").length - 1;
    expect(clavesUnidad.entries.length).toBe(rows("cfdi_40_claves_unidades.csv"));
    expect(clavesUnidad.entries.length).toBe(2418);
    expect(regimenesFiscales.entries.length).toBe(19);
    expect(usosCfdi.entries.length).toBe(24);
    expect(monedas.entries.length).toBe(183);
    expect(Object.keys(CATALOGS)).toContain("c_ClaveUnidad");
  });

  it("knows persona applicability and the receptor régimenes of each UsoCFDI", () => {
    expect(regimenesFiscales.get("601")).toMatchObject({ fisica: false, moral: true });
    expect(regimenesFiscales.get("626")).toMatchObject({ fisica: true, moral: true });
    const g03 = usosCfdi.get("G03");
    expect(g03?.regimenesReceptor).toContain("601");
    expect(g03?.regimenesReceptor).not.toContain("605");
    expect(usosCfdi.get("D01")).toMatchObject({ fisica: true, moral: false });
    expect(usosCfdi.get("CN01")?.regimenesReceptor).toEqual(["605"]);
  });

  it("exposes currency decimals, type limits and payment-form account patterns", () => {
    expect(monedas.get("JPY")?.decimales).toBe(0);
    expect(monedas.get("XXX")?.porcentajeVariacion).toBe(0);
    expect(tiposComprobante.get("T")?.valorMaximo).toBe("0");
    expect(formasPago.get("03")?.patronCuentaBeneficiario).toBe("[0-9]{10}|[0-9]{18}");
    expect(formasPago.get("01")?.bancarizado).toBe(false);
  });

  it("repairs the line break the SAT export leaves inside the MEX tax-id pattern", () => {
    const pattern = paises.get("MEX")?.patronIdentidadTributaria ?? "";
    expect(pattern).not.toMatch(/\\n|\n/);
    expect(matchesSatPattern(pattern, "EKU9003173C9")).toBe(true);
    expect(matchesSatPattern(pattern, "EKU9013173C9")).toBe(false);
  });

  it("reads SAT patterns as anchored, with PCRE's \\V", () => {
    const porDefinir = formasPago.get("99")?.patronCuentaOrdenante ?? "";
    expect(porDefinir).toBe("\\V*");
    expect(matchesSatPattern(porDefinir, "any account 123")).toBe(true);
    expect(matchesSatPattern(porDefinir, "two\nlines")).toBe(false);
    expect(matchesSatPattern("[0-9]{10}", "01234567890")).toBe(false);
  });

  it("matches c_TasaOCuota fixed values and ranges by number, per tax and use", () => {
    expect(findReglaTasaCuota("002", "Tasa", "0.160000", "traslado")?.tipo).toBe("Fijo");
    expect(findReglaTasaCuota("002", "Tasa", "0.16", "traslado")).toBeDefined();
    expect(findReglaTasaCuota("002", "Tasa", "0.080000", "traslado")?.nota).toMatch(/50%/);
    expect(findReglaTasaCuota("002", "Tasa", "0.150000", "traslado")).toBeUndefined();
    expect(findReglaTasaCuota("002", "Tasa", "0.106667", "retencion")?.tipo).toBe("Rango");
    expect(findReglaTasaCuota("002", "Tasa", "0.170000", "retencion")).toBeUndefined();
    expect(findReglaTasaCuota("001", "Tasa", "0.100000", "traslado")).toBeUndefined();
    expect(findReglaTasaCuota("003", "Tasa", "1.600000", "traslado")).toBeDefined();
    expect(findReglaTasaCuota("002", "Tasa", "1.600000", "traslado")).toBeUndefined();
    expect(findReglaTasaCuota("002", "Tasa", "-0.16", "traslado")).toBeUndefined();
  });

  it("honours validity dates", () => {
    const objeto04 = objetosImpuesto.get("04");
    expect(objeto04?.vigenciaDesde).toBe("2022-10-07");
    expect(objeto04 && isVigente(objeto04, "2022-10-06T23:59:59")).toBe(false);
    expect(objeto04 && isVigente(objeto04, "2022-10-07T00:00:00")).toBe(true);
    expect(isVigente({ vigenciaHasta: "2023-12-31" }, "2024-01-01")).toBe(false);
    // The IEPS cuota range starts in 2026.
    expect(findReglaTasaCuota("003", "Cuota", "1.500000", "traslado", "2025-12-31")).toBeUndefined();
    expect(findReglaTasaCuota("003", "Cuota", "1.500000", "traslado", "2026-01-02")).toBeDefined();
  });
});

describe("scripts/build-catalogs.ts", () => {
  it("regenerates exactly the shipped modules from the fixture CSVs", () => {
    const out = mkdtempSync(join(tmpdir(), "catalogs-"));
    try {
      execFileSync(
        process.execPath,
        ["--import", "tsx", "scripts/build-catalogs.ts", fixturePath("catalogs"), out],
        {
          cwd: repoRoot,
          stdio: "pipe",
        },
      );
      const shipped = join(repoRoot, "shared", "catalogs", "data");
      const files = readdirSync(shipped).sort();
      expect(readdirSync(out).sort()).toEqual(files);
      for (const file of files) {
        expect(readFileSync(join(out, file), "utf8"), file).toBe(readFileSync(join(shipped, file), "utf8"));
      }
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  });
});
