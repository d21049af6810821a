/**
 * SAT CFDI 4.0 catalogs shipped with the code (generated into `data/` by scripts/build-catalogs.ts;
 * see README.md) and their lookups. Used by validation, the builder and the API's catalog routes.
 * c_ClaveProdServ and c_CodigoPostal live in their own columnar modules (product-keys.ts,
 * postal-codes.ts), re-exported here.
 */
import Decimal from "decimal.js";
import { CLAVES_UNIDAD } from "./data/claves-unidad";
import { ESTADOS } from "./data/estados";
import { EXPORTACIONES } from "./data/exportaciones";
import { FORMAS_PAGO } from "./data/formas-pago";
import { IMPUESTOS } from "./data/impuestos";
import { MESES } from "./data/meses";
import { METODOS_PAGO } from "./data/metodos-pago";
import { MONEDAS } from "./data/monedas";
import { OBJETOS_IMPUESTO } from "./data/objetos-impuesto";
import { PAISES } from "./data/paises";
import { PERIODICIDADES } from "./data/periodicidades";
import { REGIMENES_FISCALES } from "./data/regimenes-fiscales";
import { REGLAS_TASA_CUOTA } from "./data/reglas-tasa-cuota";
import { TIPOS_CADENA_PAGO } from "./data/tipos-cadena-pago";
import { TIPOS_COMPROBANTE } from "./data/tipos-comprobante";
import { TIPOS_FACTOR } from "./data/tipos-factor";
import { TIPOS_RELACION } from "./data/tipos-relacion";
import { USOS_CFDI } from "./data/usos-cfdi";
import { postalCodeExists } from "./postal-codes";
import { productKeyExists } from "./product-keys";
import type { CatalogEntry, ReglaTasaCuota, Vigencia } from "./types";

export { CATALOGS_RELEASE, CATALOGS_VERSION } from "./data/version";
export { postalCode, postalCodeExists } from "./postal-codes";
export { productKey, productKeyCount, productKeyExists, searchProductKeys } from "./product-keys";
export type * from "./types";
export { searchUnitKeys, unitKeyExists } from "./unit-keys";

/**
 * Lookups for c_ClaveProdServ and c_CodigoPostal; each is optional (unknown = not checked).
 * `shippedLookups` answers both from the catalogs shipped here.
 */
export interface CatalogLookups {
  productKeyExists?(clave: string): boolean;
  postalCodeExists?(codigoPostal: string): boolean;
}

export const shippedLookups: Required<CatalogLookups> = { productKeyExists, postalCodeExists };

export interface Catalog<T extends CatalogEntry> {
  /** SAT name of the catalog, e.g. "c_Moneda". */
  readonly name: string;
  readonly entries: readonly T[];
  get(clave: string): T | undefined;
  has(clave: string): boolean;
}

function catalog<T extends CatalogEntry>(name: string, entries: readonly T[]): Catalog<T> {
  let index: Map<string, T> | undefined;
  const get = (clave: string) => {
    index ??= new Map(entries.map((e) => [e.clave, e]));
    return index.get(clave);
  };
  return { name, entries, get, has: (clave) => get(clave) !== undefined };
}

export const regimenesFiscales = catalog("c_RegimenFiscal", REGIMENES_FISCALES);
export const usosCfdi = catalog("c_UsoCFDI", USOS_CFDI);
export const formasPago = catalog("c_FormaPago", FORMAS_PAGO);
export const metodosPago = catalog("c_MetodoPago", METODOS_PAGO);
export const monedas = catalog("c_Moneda", MONEDAS);
export const impuestos = catalog("c_Impuesto", IMPUESTOS);
export const tiposFactor = catalog("c_TipoFactor", TIPOS_FACTOR);
export const objetosImpuesto = catalog("c_ObjetoImp", OBJETOS_IMPUESTO);
export const exportaciones = catalog("c_Exportacion", EXPORTACIONES);
export const tiposComprobante = catalog("c_TipoDeComprobante", TIPOS_COMPROBANTE);
export const tiposRelacion = catalog("c_TipoRelacion", TIPOS_RELACION);
export const estados = catalog("c_Estado", ESTADOS);
export const paises = catalog("c_Pais", PAISES);
export const periodicidades = catalog("c_Periodicidad", PERIODICIDADES);
export const meses = catalog("c_Meses", MESES);
export const clavesUnidad = catalog("c_ClaveUnidad", CLAVES_UNIDAD);
export const tiposCadenaPago = catalog("c_TipoCadenaPago", TIPOS_CADENA_PAGO);
export const reglasTasaCuota: readonly ReglaTasaCuota[] = REGLAS_TASA_CUOTA;

/** Every keyed catalog by SAT name, for listing routes. */
export const CATALOGS = Object.fromEntries(
  [
    regimenesFiscales,
    usosCfdi,
    formasPago,
    metodosPago,
    monedas,
    impuestos,
    tiposFactor,
    objetosImpuesto,
    exportaciones,
    tiposComprobante,
    tiposRelacion,
    estados,
    paises,
    periodicidades,
    meses,
    clavesUnidad,
    tiposCadenaPago,
  ].map((c) => [c.name, c as Catalog<CatalogEntry>]),
) as Readonly<Record<string, Catalog<CatalogEntry>>>;

/**
 * Whether an entry is in force on a date. `fecha` is an ISO date or date-time (the CFDI Fecha,
 * "2024-03-01T10:00:00"); only its date part is compared, against inclusive bounds.
 */
export function isVigente(entry: Vigencia, fecha: string): boolean {
  const day = fecha.slice(0, 10);
  if (entry.vigenciaDesde && day < entry.vigenciaDesde) return false;
  if (entry.vigenciaHasta && day > entry.vigenciaHasta) return false;
  return true;
}

/**
 * The c_TasaOCuota rule that allows `valor` for the tax (code 001/002/003) and TipoFactor as a
 * traslado or retención, in force at `fecha` when given; undefined when no rule allows it.
 * `valor` must be a non-negative decimal string.
 */
export function findReglaTasaCuota(
  impuesto: string,
  factor: string,
  valor: string,
  uso: "traslado" | "retencion",
  fecha?: string,
): ReglaTasaCuota | undefined {
  if (!/^\d+(\.\d+)?$/.test(valor.trim())) return undefined;
  const value = new Decimal(valor.trim());
  return reglasTasaCuota.find(
    (r) =>
      r.impuesto === impuesto &&
      r.factor === factor &&
      r[uso] &&
      (fecha === undefined || isVigente(r, fecha)) &&
      (r.tipo === "Fijo" ? value.equals(r.valor) : value.gte(r.minimo ?? "0") && value.lte(r.valor)),
  );
}

const compiledPatterns = new Map<string, RegExp>();

/**
 * Whether `value` matches a pattern from a SAT catalog (c_FormaPago accounts, c_Pais tax ids).
 * SAT patterns are implicitly anchored and use PCRE's `\V` (any character but a vertical space).
 */
export function matchesSatPattern(pattern: string, value: string): boolean {
  let re = compiledPatterns.get(pattern);
  if (!re) {
    const js = pattern.replaceAll("\\V", "[^\\n\\v\\f\\r\\u0085\\u2028\\u2029]");
    re = new RegExp(`^(?:${js})$`, "u");
    compiledPatterns.set(pattern, re);
  }
  return re.test(value);
}
