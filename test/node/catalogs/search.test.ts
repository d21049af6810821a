// Lookups and search over the large SAT catalogs shipped in shared/catalogs (product keys, unit keys,
// postal codes) and the EFOS list reader.
import { describe, expect, it } from "vitest";
import {
  postalCode,
  postalCodeExists,
  productKey,
  productKeyCount,
  productKeyExists,
  searchProductKeys,
  searchUnitKeys,
  shippedLookups,
  unitKeyExists,
} from "../../../shared/catalogs";
import { efosList } from "../../../shared/catalogs/efos";
import { parseEfosCsv } from "../../../shared/catalogs/efos-csv";
import { foldText, textIndex } from "../../../shared/catalogs/text-search";

describe("product keys (c_ClaveProdServ)", () => {
  it("ships every key of the fixture and answers existence by binary search", () => {
    expect(productKeyCount).toBe(52_514);
    for (const key of ["01010101", "84111506", "80101500", "95141904"])
      expect(productKeyExists(key), key).toBe(true);
    for (const key of ["12345678", "8411150", "841115066", "", "0101010A"])
      expect(productKeyExists(key), key).toBe(false);
    expect(shippedLookups.productKeyExists("84111506")).toBe(true);
  });

  it("reads an entry's columns back as the SOURCES.md checks describe them", () => {
    expect(productKey("01010101")).toEqual({
      clave: "01010101",
      texto: "No existe en el catálogo",
      palabrasSimilares: "Público en general",
      ivaTrasladado: false,
      iepsTrasladado: false,
      estimuloFranjaFronteriza: false,
      vigenciaDesde: "2019-01-07",
    });
    expect(productKey("80111700")).toMatchObject({ ivaTrasladado: true, estimuloFranjaFronteriza: true });
    expect(productKey("80101500")?.palabrasSimilares).toBe("Servicios administrativos");
    expect(productKey("99999999")).toBeUndefined();
  });

  it("ranks the exact key, then key prefixes, then descriptions starting with the query", () => {
    expect(searchProductKeys("84111506", 5).map((e) => e.clave)).toEqual(["84111506"]);
    const prefix = searchProductKeys("841115", 30).map((e) => e.clave);
    expect(prefix[0]).toBe("84111500");
    expect(prefix.every((k) => k.startsWith("841115"))).toBe(true);
    expect(searchProductKeys("Servicios de facturación", 3)[0]?.clave).toBe("84111506");
  });

  it("ignores case and accents, needs every word, and finds similar words", () => {
    const a = searchProductKeys("FACTURACION", 10).map((e) => e.clave);
    const b = searchProductKeys("facturación", 10).map((e) => e.clave);
    expect(a).toEqual(b);
    expect(a).toContain("84111506");
    const both = searchProductKeys("gatos vivos", 10);
    expect(both.map((e) => e.clave)).toEqual(["10101501"]);
    expect(searchProductKeys("publico en general", 10).map((e) => e.clave)).toContain("01010101");
    expect(searchProductKeys("zzzqqxw", 10)).toEqual([]);
  });

  it("honours the limit and returns a stable order", () => {
    const ten = searchProductKeys("servicios", 10);
    expect(ten).toHaveLength(10);
    expect(searchProductKeys("servicios", 30).slice(0, 10)).toEqual(ten);
  });
});

describe("unit keys (c_ClaveUnidad)", () => {
  it("checks existence and finds units by name, key and symbol", () => {
    expect(unitKeyExists("H87")).toBe(true);
    expect(unitKeyExists("E48")).toBe(true);
    expect(unitKeyExists("ZZZ9")).toBe(false);
    expect(searchUnitKeys("pieza", 5)[0]).toMatchObject({ clave: "H87", texto: "Pieza" });
    expect(searchUnitKeys("h87", 5)[0]?.clave).toBe("H87");
    expect(searchUnitKeys("metro cuadrado", 5)[0]?.clave).toBe("MTK");
    expect(searchUnitKeys("kgm", 5).map((e) => e.clave)).toContain("KGM");
  });
});

describe("postal codes (c_CodigoPostal)", () => {
  it.each([
    ["06300", "CMX", "015", "Cuauhtémoc", 0, "Tiempo del Centro"],
    ["22000", "BCN", "004", "Tijuana", 1, "Tiempo del Noroeste en Frontera"],
    ["77500", "ROO", "005", "Benito Juárez", 0, "Tiempo del Sureste"],
    ["83000", "SON", "030", "Hermosillo", 0, "Tiempo del Pacífico Sonora"],
  ])("%s → %s %s %s", (cp, estado, municipio, nombre, estimulo, huso) => {
    expect(postalCode(cp)).toMatchObject({
      codigoPostal: cp,
      estado: { clave: estado },
      municipio: { clave: municipio, texto: nombre },
      estimuloFranjaFronteriza: estimulo,
      husoHorario: huso,
      vigenciaDesde: "2022-01-01",
    });
  });

  it("omits a municipio the SAT does not give, and knows unknown codes", () => {
    const bare = postalCode("01001");
    expect(bare?.estado).toEqual({ clave: "CMX", texto: "Ciudad de México" });
    expect(bare).not.toHaveProperty("municipio");
    expect(postalCode("00000")).toBeUndefined();
    expect(postalCodeExists("06600")).toBe(true);
    expect(postalCodeExists("6600")).toBe(false);
    expect(shippedLookups.postalCodeExists("99999")).toBe(true);
  });
});

describe("text index", () => {
  it("folds accents, case and typographic punctuation to one-byte text", () => {
    expect(foldText("Camión ÑANDÚ “x” – y")).toBe('camion nandu "x" - y');
  });

  it("rejects columns whose entry counts disagree", () => {
    const index = textIndex(2, () => ["a\nb", "uno\ndos\ntres"]);
    expect(() => index.search("uno", 5)).toThrow(/more than 2/);
  });

  it("prefers shorter texts within a rank", () => {
    const index = textIndex(3, () => ["A\nB\nC", "Kilogramo por metro\nKilogramo\nKilovatio", "\n\n"]);
    expect(index.search("kilo", 3)).toEqual([1, 2, 0]);
  });
});

describe("EFOS list", () => {
  const csv = [
    "Información actualizada al 15 de octubre de 2026",
    "Listado completo de contribuyentes (Artículo 69-B del Código Fiscal de la Federación)",
    'No,RFC,Nombre del Contribuyente,Situación del contribuyente,"Número y fecha de oficio global de presunción SAT"',
    '1,AAA010101AAA,"EMPRESA   FICTICIA, S.A. DE C.V.",Definitivo,500-05-2018',
    "2,bbb0202022b2,Otra Ficticia SC,Presunto,500-05-2019",
    "3,CCCC030303CC3,Persona Ficticia,Desvirtuado,500-05-2020",
    "4,AAA010101AAA,EMPRESA FICTICIA SA DE CV,Sentencia Favorable,500-05-2021",
    "5,,sin rfc,Presunto,",
  ].join("\r\n");

  it("reads the SAT layout: title lines, header, last row per RFC wins", () => {
    const columns = parseEfosCsv(csv);
    expect(columns.asOf).toBe("2026-10-15");
    expect(columns.count).toBe(3);
    const list = efosList(columns);
    expect(list.size).toBe(3);
    expect(list.find("aaa010101aaa")).toEqual({
      rfc: "AAA010101AAA",
      nombre: "EMPRESA FICTICIA SA DE CV",
      situacion: "Sentencia Favorable",
    });
    expect(list.find("BBB0202022B2")?.situacion).toBe("Presunto");
    expect(list.find("CCCC030303CC3")).toMatchObject({
      nombre: "Persona Ficticia",
      situacion: "Desvirtuado",
    });
    expect(list.find("XAXX010101000")).toBeUndefined();
    expect(list.find("TOOLONGTOBEANRFC")).toBeUndefined();
  });

  it("refuses a file without an RFC header", () => {
    expect(() => parseEfosCsv("a,b\n1,2")).toThrow(/RFC/);
  });
});
