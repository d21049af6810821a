/**
 * Regenerates shared/catalogs/data/*.ts from SAT catalog CSVs: the small catalogs from the CSV
 * export of phpcfdi/resources-sat-catalogs (`csv/cfdi_40_*.csv`, `VERSION.txt`) and the two large
 * ones, c_ClaveProdServ and c_CodigoPostal (`large/*.csv`, see large/SOURCES.md of the fixtures).
 *
 *   npx tsx scripts/build-catalogs.ts [catalogs-dir] [out-dir]
 *   npm run catalogs:import -- <catalogs-dir>
 *
 * `catalogs-dir` defaults to ../shared/fixtures/catalogs (next to the repository); a file it lacks is
 * taken from that default, and the log says which, so newer files can be dropped in one by one.
 * `out-dir` defaults to shared/catalogs/data. Run it when the SAT publishes new catalogs, then
 * review the diff. The large catalogs are written as compact columnar strings (see
 * shared/catalogs/README.md for why and for the layout); `CATALOGS_RELEASE` in version.ts hashes
 * every generated module, so HTTP caches (ETags) change whenever any data does.
 */
import { isUtf8 } from "node:buffer";
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { foldHeader, parseCsvRecords } from "../shared/catalogs/csv";
import { parseEfosCsv } from "../shared/catalogs/efos-csv";
import type { EfosColumns } from "../shared/catalogs/types";

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const defaultDir = join(repoRoot, "..", "shared", "fixtures", "catalogs");
const sourceDir = resolve(process.argv[2] ?? defaultDir);
const outDir = resolve(process.argv[3] ?? join(repoRoot, "shared", "catalogs", "data"));
if (!existsSync(sourceDir)) throw new Error(`no such directory ${sourceDir}`);

/** A source file from `catalogs-dir`, else from the default fixtures. */
function sourceFile(...parts: string[]): string {
  const own = join(sourceDir, ...parts);
  if (existsSync(own)) return own;
  const fallback = join(defaultDir, ...parts);
  if (!existsSync(fallback)) throw new Error(`missing ${own}`);
  console.log(`${parts.join("/")}: not in ${sourceDir}, kept from ${defaultDir}`);
  return fallback;
}

type Row = Record<string, string>;

/** Rows keyed by the header (the first record). */
function parseCsv(text: string): Row[] {
  const [header, ...body] = parseCsvRecords(text);
  if (!header) throw new Error("empty CSV");
  return body.map((cells) => {
    if (cells.length !== header.length)
      throw new Error(`row has ${cells.length} cells, header ${header.length}`);
    return Object.fromEntries(header.map((name, i) => [name, cells[i] ?? ""]));
  });
}

function readCatalog(name: string): Row[] {
  return parseCsv(readFileSync(sourceFile("csv", `${name}.csv`), "utf8"));
}

const col = (row: Row, name: string): string => {
  const value = row[name];
  if (value === undefined) throw new Error(`column ${name} missing`);
  return value.trim();
};
const flag = (row: Row, name: string) => col(row, name) === "1";
/** Optional text: omitted when empty. */
const opt = (row: Row, name: string, clean = (s: string) => s) => {
  const value = clean(col(row, name));
  return value === "" ? undefined : value;
};
/** Line breaks inside SAT patterns (real ones, or written as backslash-n as in MEX "[0\\n-9A]") are xls export artefacts. */
const stripNewlines = (s: string) => s.replace(/[\r\n]+|\\n/g, "");
const vigencia = (row: Row) => ({
  vigenciaDesde: opt(row, "vigencia_desde"),
  vigenciaHasta: opt(row, "vigencia_hasta"),
});
const entry = (row: Row, key = "id", texto = "texto") => ({
  clave: col(row, key),
  texto: col(row, texto),
  ...vigencia(row),
});

interface Generated {
  file: string;
  exportName: string;
  type: string;
  rows: object[];
}

const version = readFileSync(sourceFile("VERSION.txt"), "utf8").trim();

const impuestoRows = readCatalog("cfdi_40_impuestos");
/** c_TasaOCuota names taxes by label ("IVA", "IVA Crédito aplicado del 50%"); the CFDI uses codes. */
const impuestoCode = (label: string) => {
  const found = impuestoRows.find(
    (r) => label === col(r, "texto") || label.startsWith(`${col(r, "texto")} `),
  );
  if (!found) throw new Error(`c_TasaOCuota names unknown tax "${label}"`);
  return col(found, "id");
};

const catalogs: Generated[] = [
  {
    file: "regimenes-fiscales",
    exportName: "REGIMENES_FISCALES",
    type: "RegimenFiscal",
    rows: readCatalog("cfdi_40_regimenes_fiscales").map((r) => ({
      ...entry(r),
      fisica: flag(r, "aplica_fisica"),
      moral: flag(r, "aplica_moral"),
    })),
  },
  {
    file: "usos-cfdi",
    exportName: "USOS_CFDI",
    type: "UsoCfdi",
    rows: readCatalog("cfdi_40_usos_cfdi").map((r) => ({
      ...entry(r),
      fisica: flag(r, "aplica_fisica"),
      moral: flag(r, "aplica_moral"),
      regimenesReceptor: col(r, "regimenes_fiscales_receptores")
        .split(",")
        .map((s) => s.trim())
        .filter(Boolean),
    })),
  },
  {
    file: "formas-pago",
    exportName: "FORMAS_PAGO",
    type: "FormaPago",
    rows: readCatalog("cfdi_40_formas_pago").map((r) => ({
      ...entry(r),
      bancarizado: flag(r, "es_bancarizado"),
      requiereNumeroOperacion: flag(r, "requiere_numero_operacion"),
      permiteRfcBancoOrdenante: flag(r, "permite_banco_ordenante_rfc"),
      permiteCuentaOrdenante: flag(r, "permite_cuenta_ordenante"),
      patronCuentaOrdenante: opt(r, "patron_cuenta_ordenante", stripNewlines),
      permiteRfcBancoBeneficiario: flag(r, "permite_banco_beneficiario_rfc"),
      permiteCuentaBeneficiario: flag(r, "permite_cuenta_beneficiario"),
      patronCuentaBeneficiario: opt(r, "patron_cuenta_beneficiario", stripNewlines),
      permiteTipoCadenaPago: flag(r, "permite_tipo_cadena_pago"),
      requiereNombreBancoOrdenanteExtranjero: flag(r, "requiere_banco_ordenante_nombre_ext"),
    })),
  },
  {
    file: "metodos-pago",
    exportName: "METODOS_PAGO",
    type: "CatalogEntry",
    rows: readCatalog("cfdi_40_metodos_pago").map((r) => entry(r)),
  },
  {
    file: "monedas",
    exportName: "MONEDAS",
    type: "Moneda",
    rows: readCatalog("cfdi_40_monedas").map((r) => ({
      ...entry(r),
      decimales: Number(col(r, "decimales")),
      porcentajeVariacion: Number(col(r, "porcentaje_variacion")),
    })),
  },
  {
    file: "impuestos",
    exportName: "IMPUESTOS",
    type: "Impuesto",
    rows: impuestoRows.map((r) => ({
      ...entry(r),
      retencion: flag(r, "retencion"),
      traslado: flag(r, "traslado"),
      ambito: col(r, "ambito"),
    })),
  },
  {
    file: "tipos-factor",
    exportName: "TIPOS_FACTOR",
    type: "CatalogEntry",
    rows: readCatalog("cfdi_40_tipos_factores").map((r) => entry(r, "id", "id")),
  },
  {
    file: "objetos-impuesto",
    exportName: "OBJETOS_IMPUESTO",
    type: "CatalogEntry",
    rows: readCatalog("cfdi_40_objetos_impuestos").map((r) => entry(r)),
  },
  {
    file: "exportaciones",
    exportName: "EXPORTACIONES",
    type: "CatalogEntry",
    rows: readCatalog("cfdi_40_exportaciones").map((r) => entry(r)),
  },
  {
    file: "tipos-comprobante",
    exportName: "TIPOS_COMPROBANTE",
    type: "TipoComprobante",
    rows: readCatalog("cfdi_40_tipos_comprobantes").map((r) => ({
      ...entry(r),
      valorMaximo: col(r, "valor_maximo"),
    })),
  },
  {
    file: "tipos-relacion",
    exportName: "TIPOS_RELACION",
    type: "CatalogEntry",
    rows: readCatalog("cfdi_40_tipos_relaciones").map((r) => entry(r)),
  },
  {
    file: "reglas-tasa-cuota",
    exportName: "REGLAS_TASA_CUOTA",
    type: "ReglaTasaCuota",
    rows: readCatalog("cfdi_40_reglas_tasa_cuota").map((r) => {
      const label = col(r, "impuesto");
      const impuesto = impuestoCode(label);
      const tipo = col(r, "tipo");
      if (tipo !== "Fijo" && tipo !== "Rango") throw new Error(`unknown c_TasaOCuota tipo ${tipo}`);
      return {
        tipo,
        impuesto,
        factor: col(r, "factor"),
        minimo: opt(r, "minimo"),
        valor: col(r, "valor"),
        traslado: flag(r, "traslado"),
        retencion: flag(r, "retencion"),
        nota: label.includes(" ") ? label : undefined,
        ...vigencia(r),
      };
    }),
  },
  {
    file: "estados",
    exportName: "ESTADOS",
    type: "Estado",
    rows: readCatalog("cfdi_40_estados").map((r) => ({ ...entry(r, "estado"), pais: col(r, "pais") })),
  },
  {
    file: "paises",
    exportName: "PAISES",
    type: "Pais",
    rows: readCatalog("cfdi_40_paises").map((r) => ({
      clave: col(r, "id"),
      texto: col(r, "texto"),
      patronCodigoPostal: opt(r, "patron_codigo_postal", stripNewlines),
      patronIdentidadTributaria: opt(r, "patron_identidad_tributaria", stripNewlines),
      validacionIdentidadTributaria: opt(r, "validacion_identidad_tributaria"),
      agrupaciones: opt(r, "agrupaciones"),
    })),
  },
  {
    file: "periodicidades",
    exportName: "PERIODICIDADES",
    type: "CatalogEntry",
    rows: readCatalog("cfdi_40_periodicidades").map((r) => entry(r)),
  },
  {
    file: "meses",
    exportName: "MESES",
    type: "CatalogEntry",
    rows: readCatalog("cfdi_40_meses").map((r) => entry(r)),
  },
  {
    file: "claves-unidad",
    exportName: "CLAVES_UNIDAD",
    type: "ClaveUnidad",
    rows: readCatalog("cfdi_40_claves_unidades").map((r) => ({ ...entry(r), simbolo: opt(r, "simbolo") })),
  },
  {
    file: "municipios",
    exportName: "MUNICIPIOS",
    type: "Municipio",
    rows: readCatalog("cfdi_40_municipios").map((r) => ({
      ...entry(r, "municipio"),
      estado: col(r, "estado"),
    })),
  },
  {
    file: "localidades",
    exportName: "LOCALIDADES",
    type: "Localidad",
    rows: readCatalog("cfdi_40_localidades").map((r) => ({
      ...entry(r, "localidad"),
      estado: col(r, "estado"),
    })),
  },
  {
    file: "tipos-cadena-pago",
    exportName: "TIPOS_CADENA_PAGO",
    type: "CatalogEntry",
    rows: readCatalog("pagos_tipos_cadena_pago").map((r) => ({
      clave: col(r, "id"),
      texto: col(r, "texto"),
    })),
  },
];

/**
 * A large catalog with its columns under our names. Headers are compared folded (no accents, case or
 * separators) and may be ours (the fixtures') or the SAT's own xls titles, so a CSV saved from the
 * SAT's catCFDI sheet imports too; values accept "Sí"/"No" and dd/mm/yyyy dates as the SAT writes them.
 */
function readLarge(file: string, columns: Record<string, readonly string[]>): Row[] {
  const rows = parseCsv(readFileSync(sourceFile("large", file), "utf8").replace(/^\uFEFF/, ""));
  const header = Object.keys(rows[0] ?? {});
  const names = Object.entries(columns).map(([name, aliases]) => {
    const found = header.find((h) => aliases.includes(foldHeader(h)));
    if (found === undefined) throw new Error(`${file}: no column ${aliases.join(" / ")}`);
    return [name, found] as const;
  });
  return rows.map((r) => Object.fromEntries(names.map(([name, source]) => [name, (r[source] ?? "").trim()])));
}

const yes = (value: string) => /^(1|s[ií]|true)$/i.test(value);
/** ISO date from ISO, dd/mm/yyyy or dd-mm-yyyy (the SAT's order); empty stays empty. */
function isoDate(value: string): string {
  if (value === "" || /^\d{4}-\d{2}-\d{2}$/.test(value)) return value;
  const m = /^(\d{1,2})[/-](\d{1,2})[/-](\d{4})$/.exec(value);
  if (!m) throw new Error(`unreadable date ${value}`);
  return `${m[3]}-${m[2]!.padStart(2, "0")}-${m[1]!.padStart(2, "0")}`;
}
/** Index of a value in a small dictionary, as one base-36 digit. */
function dictionary() {
  const values: string[] = [];
  const digit = (value: string) => {
    let i = values.indexOf(value);
    if (i < 0) i = values.push(value) - 1;
    if (i >= 36) throw new Error("more than 36 distinct values in a one-digit column");
    return i.toString(36);
  };
  return { values, digit };
}
const noBreaks = (file: string, value: string) => {
  if (/[\r\n]/.test(value)) throw new Error(`${file}: line break inside ${JSON.stringify(value)}`);
  return value;
};
function sortedUnique(file: string, rows: Row[], width: number): Row[] {
  rows.sort((a, b) => (a.clave! < b.clave! ? -1 : a.clave! > b.clave! ? 1 : 0));
  rows.forEach((r, i) => {
    if (!new RegExp(`^\\d{${width}}$`).test(r.clave!)) throw new Error(`${file}: bad key ${r.clave}`);
    if (i > 0 && rows[i - 1]!.clave === r.clave) throw new Error(`${file}: duplicate key ${r.clave}`);
  });
  return rows;
}

const vigenciaColumns = { desde: ["fechainiciovigencia"], hasta: ["fechafinvigencia"] };

function prodServModule(): string {
  const file = "c_ClaveProdServ.csv";
  const rows = sortedUnique(
    file,
    readLarge(file, {
      clave: ["cclaveprodserv"],
      descripcion: ["descripcion"],
      iva: ["ivatrasladado", "incluirivatrasladado"],
      ieps: ["iepstrasladado", "incluiriepstrasladado"],
      complemento: ["complemento", "complementoquedebeincluir"],
      estimulo: ["estimulofranjafronteriza"],
      similares: ["palabrassimilares"],
      ...vigenciaColumns,
    }),
    8,
  );
  const vigencias = dictionary();
  const columns = {
    count: rows.length,
    claves: rows.map((r) => r.clave).join(""),
    descripciones: rows.map((r) => noBreaks(file, r.descripcion!)).join("\n"),
    similares: rows.map((r) => noBreaks(file, r.similares!)).join("\n"),
    complementos: rows.map((r) => noBreaks(file, r.complemento!)).join("\n"),
    flags: rows
      .map((r) => String((yes(r.iva!) ? 1 : 0) + (yes(r.ieps!) ? 2 : 0) + (yes(r.estimulo!) ? 4 : 0)))
      .join(""),
    vigencia: rows.map((r) => vigencias.digit(`${isoDate(r.desde!)}|${isoDate(r.hasta!)}`)).join(""),
    vigencias: vigencias.values,
  };
  console.log(`claves-prod-serv.ts: ${rows.length} rows`);
  return (
    `// Generated by scripts/build-catalogs.ts from large/${file}. Do not edit.\n` +
    `import type { ProdServColumns } from "../types";\n\n` +
    `export const PROD_SERV: ProdServColumns = ${columnsLiteral(columns)};\n`
  );
}

/** Width of one c_CodigoPostal record: code 5, estado 3, municipio 3, localidad 2, then 3 one-digit fields. */
const CP_WIDTH = 16;

function codigosPostalesModule(): string {
  const file = "c_CodigoPostal.csv";
  const rows = sortedUnique(
    file,
    readLarge(file, {
      clave: ["ccodigopostal"],
      estado: ["cestado"],
      municipio: ["cmunicipio"],
      localidad: ["clocalidad"],
      estimulo: ["estimulofranjafronteriza"],
      huso: ["husohorario", "descripciondelhusohorario"],
      ...vigenciaColumns,
    }),
    5,
  );
  const husos = dictionary();
  const vigencias = dictionary();
  const fixed = (value: string, pattern: RegExp, width: number) => {
    if (value !== "" && !pattern.test(value)) throw new Error(`${file}: unexpected value ${value}`);
    return value.padEnd(width, " ");
  };
  const records = rows.map((r) => {
    const record =
      r.clave! +
      fixed(r.estado!, /^[A-Z]{3}$/, 3) +
      fixed(r.municipio!, /^\d{3}$/, 3) +
      fixed(r.localidad!, /^\d{2}$/, 2) +
      fixed(r.estimulo! || "0", /^\d$/, 1) +
      husos.digit(r.huso!) +
      vigencias.digit(`${isoDate(r.desde!)}|${isoDate(r.hasta!)}`);
    if (record.length !== CP_WIDTH) throw new Error(`${file}: record ${record} is not ${CP_WIDTH} wide`);
    return record;
  });
  console.log(`codigos-postales.ts: ${rows.length} rows`);
  const columns = {
    count: rows.length,
    width: CP_WIDTH,
    records: records.join(""),
    husos: husos.values,
    vigencias: vigencias.values,
  };
  return (
    `// Generated by scripts/build-catalogs.ts from large/${file}. Do not edit.\n` +
    `import type { CodigosPostalesColumns } from "../types";\n\n` +
    `export const CODIGOS_POSTALES: CodigosPostalesColumns = ${columnsLiteral(columns)};\n`
  );
}

/**
 * The SAT's EFOS list (article 69-B), `efos/Listado_Completo_69-B.csv`, is optional: without it the
 * shipped list is empty. The SAT publishes it in Windows-1252; UTF-8 copies are read as such.
 */
function efosModule(): string {
  const parts = ["efos", "Listado_Completo_69-B.csv"];
  const file = [join(sourceDir, ...parts), join(defaultDir, ...parts)].find((f) => existsSync(f));
  const empty = { asOf: null, count: 0, rfcs: "", nombres: "", situacion: "", situaciones: [] };
  let columns: EfosColumns = empty;
  if (file) {
    const bytes = readFileSync(file);
    columns = parseEfosCsv(
      isUtf8(bytes) ? bytes.toString("utf8") : new TextDecoder("windows-1252").decode(bytes),
    );
  }
  console.log(
    `efos.ts: ${columns.count} rows${file ? "" : " (no efos/Listado_Completo_69-B.csv: empty list)"}`,
  );
  return (
    `// Generated by scripts/build-catalogs.ts from ${file ? parts.join("/") : "no EFOS list (empty)"}. Do not edit.\n` +
    `import type { EfosColumns } from "../types";\n\n` +
    `export const EFOS: EfosColumns = ${columnsLiteral(columns)};\n`
  );
}

/** One property per line, so a diff of new SAT data shows which columns changed. */
const columnsLiteral = (columns: object) =>
  `{\n${Object.entries(columns)
    .map(([key, value]) => `  ${key}: ${JSON.stringify(value)},`)
    .join("\n")}\n}`;

const sources = new Map<string, string>();
for (const { file, exportName, type, rows } of catalogs) {
  const body = rows.map((row) => `  ${JSON.stringify(row)},`).join("\n");
  sources.set(
    file,
    `// Generated by scripts/build-catalogs.ts from phpcfdi/resources-sat-catalogs ${version}. Do not edit.\n` +
      `import type { ${type} } from "../types";\n\n` +
      `export const ${exportName}: readonly ${type}[] = [\n${body}\n];\n`,
  );
  console.log(`${file}.ts: ${rows.length} rows`);
}
sources.set("claves-prod-serv", prodServModule());
sources.set("codigos-postales", codigosPostalesModule());
sources.set("efos", efosModule());

const release = createHash("sha256");
for (const [file, source] of sources) release.update(`${file}\n${source}`);

mkdirSync(outDir, { recursive: true });
for (const [file, source] of sources) writeFileSync(join(outDir, `${file}.ts`), source);
writeFileSync(
  join(outDir, "version.ts"),
  "// Generated by scripts/build-catalogs.ts. Do not edit.\n" +
    `/** Version of phpcfdi/resources-sat-catalogs the data was generated from. */\n` +
    `export const CATALOGS_VERSION = ${JSON.stringify(version)};\n` +
    `/** This build of every catalog: the version plus a hash of all generated modules (cache validators use it). */\n` +
    `export const CATALOGS_RELEASE = ${JSON.stringify(`${version}+${release.digest("hex").slice(0, 12)}`)};\n`,
);
console.log(`catalogs ${version} written to ${outDir}`);
