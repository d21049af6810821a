// `npm run catalogs:import -- <dir>` (scripts/build-catalogs.ts): newer SAT files dropped into a
// directory replace only what they cover, in the SAT's own column titles and value formats.
import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it } from "vitest";
import { efosList } from "../../../shared/catalogs/efos";
import type { EfosColumns, ProdServColumns } from "../../../shared/catalogs/types";

const repoRoot = resolve(fileURLToPath(new URL("../../..", import.meta.url)));
const shipped = join(repoRoot, "shared", "catalogs", "data");
const work = mkdtempSync(join(tmpdir(), "catalogs-import-"));
afterAll(() => rmSync(work, { recursive: true, force: true }));

const build = (source: string, out: string) =>
  execFileSync(process.execPath, ["--import", "tsx", "scripts/build-catalogs.ts", source, out], {
    cwd: repoRoot,
    stdio: "pipe",
    encoding: "utf8",
  });

describe("importing newer SAT catalog files", () => {
  const source = join(work, "sat");
  const out = join(work, "out");
  mkdirSync(join(source, "large"), { recursive: true });
  mkdirSync(join(source, "efos"), { recursive: true });
  // A c_ClaveProdServ saved from the SAT's xls: its titles, "Sí"/"Opcional", day-first dates.
  writeFileSync(
    join(source, "large", "c_ClaveProdServ.csv"),
    "\uFEFFc_ClaveProdServ,Descripción,Incluir IVA trasladado,Incluir IEPS trasladado,Complemento que debe incluir,FechaInicioVigencia,FechaFinVigencia,Estímulo Franja Fronteriza,Palabras similares\n" +
      "84111506,Servicios de facturación,Opcional,No,,01/01/2022,,1,Facturas\n" +
      '01010101,No existe en el catálogo,Sí,No,"Opcional:obrasarte",1/1/2022,31/12/2030,0,Público en general\n',
  );
  // The SAT publishes the 69-B list in Windows-1252.
  writeFileSync(
    join(source, "efos", "Listado_Completo_69-B.csv"),
    Buffer.from(
      "Información actualizada al 3 de marzo de 2026\nNo,RFC,Nombre del Contribuyente,Situación del contribuyente\n1,AAA010101AAA,Compañía Ficticia,Definitivo\n",
      "latin1",
    ),
  );
  const log = build(source, out);

  it("takes the files it was given and says which ones it kept", () => {
    expect(log).toContain("claves-prod-serv.ts: 2 rows");
    expect(log).toMatch(/csv\/cfdi_40_monedas\.csv: not in .*, kept from/);
    expect(log).toMatch(/large\/c_CodigoPostal\.csv: not in .*, kept from/);
  });

  it("reads SAT titles and values into the same columns", async () => {
    const { PROD_SERV } = (await import(join(out, "claves-prod-serv.ts"))) as { PROD_SERV: ProdServColumns };
    expect(PROD_SERV).toEqual({
      count: 2,
      claves: "0101010184111506",
      descripciones: "No existe en el catálogo\nServicios de facturación",
      similares: "Público en general\nFacturas",
      complementos: "Opcional:obrasarte\n",
      flags: "14",
      vigencia: "01",
      vigencias: ["2022-01-01|2030-12-31", "2022-01-01|"],
    });
  });

  it("decodes a Windows-1252 EFOS list", async () => {
    const { EFOS } = (await import(join(out, "efos.ts"))) as { EFOS: EfosColumns };
    const list = efosList(EFOS);
    expect(list.asOf).toBe("2026-03-03");
    expect(list.find("AAA010101AAA")).toEqual({
      rfc: "AAA010101AAA",
      nombre: "Compañía Ficticia",
      situacion: "Definitivo",
    });
  });

  it("keeps the other modules byte for byte and gives the data a new release", () => {
    const files = readdirSync(shipped).sort();
    expect(readdirSync(out).sort()).toEqual(files);
    for (const file of files.filter((f) => !["claves-prod-serv.ts", "efos.ts", "version.ts"].includes(f)))
      expect(readFileSync(join(out, file), "utf8"), file).toBe(readFileSync(join(shipped, file), "utf8"));
    const release = (dir: string) =>
      /CATALOGS_RELEASE = "([^"]+)"/.exec(readFileSync(join(dir, "version.ts"), "utf8"))![1];
    expect(release(out)).not.toBe(release(shipped));
    expect(release(out)!.split("+")[0]).toBe(release(shipped)!.split("+")[0]);
  });

  it("refuses a file with a missing column or a duplicate key, writing nothing", () => {
    const bad = join(work, "bad");
    mkdirSync(join(bad, "large"), { recursive: true });
    writeFileSync(join(bad, "large", "c_ClaveProdServ.csv"), "c_ClaveProdServ,descripcion\n84111506,x\n");
    expect(() => build(bad, join(work, "bad-out"))).toThrow(/no column/);
    expect(() => readdirSync(join(work, "bad-out"))).toThrow();
    const dup = join(work, "dup");
    mkdirSync(join(dup, "large"), { recursive: true });
    writeFileSync(
      join(dup, "large", "c_CodigoPostal.csv"),
      "c_CodigoPostal,c_Estado,c_Municipio,c_Localidad,estimulo_franja_fronteriza,fecha_inicio_vigencia,fecha_fin_vigencia,huso_horario\n" +
        "06600,CMX,015,06,0,2022-01-01,,Tiempo del Centro\n06600,CMX,015,06,0,2022-01-01,,Tiempo del Centro\n",
    );
    expect(() => build(dup, join(work, "dup-out"))).toThrow(/duplicate key 06600/);
  });
});
