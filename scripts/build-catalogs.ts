/**
 * Regenerates shared/catalogs/data/*.ts from the CSV export of phpcfdi/resources-sat-catalogs.
 *
 *   npx tsx scripts/build-catalogs.ts [catalogs-dir] [out-dir]
 *
 * `catalogs-dir` holds `csv/cfdi_40_*.csv` and `VERSION.txt` (default: ../shared/fixtures/catalogs,
 * next to the repository); `out-dir` defaults to shared/catalogs/data. Run it when the SAT
 * publishes new catalogs, then review the diff.
 * c_ClaveProdServ and c_CodigoPostal are deliberately not generated: they are too large for the
 * Worker bundle and are plugged into validation through `CatalogLookups` instead.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const sourceDir = resolve(process.argv[2] ?? join(repoRoot, "..", "shared", "fixtures", "catalogs"));
const outDir = resolve(process.argv[3] ?? join(repoRoot, "shared", "catalogs", "data"));

type Row = Record<string, string>;

/** RFC 4180 CSV (quoted fields may hold commas, doubled quotes and newlines). */
function parseCsv(text: string): Row[] {
  const records: string[][] = [];
  let field = "";
  let record: string[] = [];
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') {
        field += '"';
        i++;
      } else if (c === '"') quoted = false;
      else field += c;
    } else if (c === '"') quoted = true;
    else if (c === ",") {
      record.push(field);
      field = "";
    } else if (c === "\n" || c === "\r") {
      if (c === "\r" && text[i + 1] === "\n") i++;
      record.push(field);
      records.push(record);
      record = [];
      field = "";
    } else field += c;
  }
  if (field !== "" || record.length > 0) {
    record.push(field);
    records.push(record);
  }
  const [header, ...body] = records.filter((r) => r.length > 1 || r[0] !== "");
  if (!header) throw new Error("empty CSV");
  return body.map((cells) => {
    if (cells.length !== header.length)
      throw new Error(`row has ${cells.length} cells, header ${header.length}`);
    return Object.fromEntries(header.map((name, i) => [name, cells[i] ?? ""]));
  });
}

function readCatalog(name: string): Row[] {
  const file = join(sourceDir, "csv", `${name}.csv`);
  if (!existsSync(file)) throw new Error(`missing ${file}`);
  return parseCsv(readFileSync(file, "utf8"));
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

const version = readFileSync(join(sourceDir, "VERSION.txt"), "utf8").trim();

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
    file: "tipos-cadena-pago",
    exportName: "TIPOS_CADENA_PAGO",
    type: "CatalogEntry",
    rows: readCatalog("pagos_tipos_cadena_pago").map((r) => ({
      clave: col(r, "id"),
      texto: col(r, "texto"),
    })),
  },
];

mkdirSync(outDir, { recursive: true });
for (const { file, exportName, type, rows } of catalogs) {
  const body = rows.map((row) => `  ${JSON.stringify(row)},`).join("\n");
  const source =
    `// Generated by scripts/build-catalogs.ts from phpcfdi/resources-sat-catalogs ${version}. Do not edit.\n` +
    `import type { ${type} } from "../types";\n\n` +
    `export const ${exportName}: readonly ${type}[] = [\n${body}\n];\n`;
  writeFileSync(join(outDir, `${file}.ts`), source);
  console.log(`${file}.ts: ${rows.length} rows`);
}
writeFileSync(
  join(outDir, "version.ts"),
  "// Generated by scripts/build-catalogs.ts. Do not edit.\n" +
    `/** Version of phpcfdi/resources-sat-catalogs the data was generated from. */\n` +
    `export const CATALOGS_VERSION = ${JSON.stringify(version)};\n`,
);
console.log(`catalogs ${version} written to ${outDir}`);
