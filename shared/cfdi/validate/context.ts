/**
 * What every rule module shares while validating one document: the issue lists, the document's
 * effective date for catalog validity, its currency decimals, the optional large-catalog lookups,
 * and helpers that turn model strings into amounts or catalog entries while reporting why not.
 */
import type Decimal from "decimal.js";
import type { Catalog, CatalogEntry, CatalogLookups } from "../../catalogs";
import { isVigente, monedas } from "../../catalogs";
import { dec, decimalPlaces, isDecimalLiteral } from "../amounts";
import type { Cfdi } from "../model";

export interface Issue {
  /** SAT's code (CFDI40xxx, CRP2xxxx) when the SAT matrix has one, otherwise a stable snake_case code. */
  code: string;
  message: string;
  /** XPath-like location, 1-based as in parse errors: "Comprobante/Conceptos/Concepto[2]/@Importe". */
  path: string;
}

/**
 * "002|Tasa|0.16": the SAT groups traslados (document Impuestos, Pagos ImpuestosP) by Impuesto,
 * TipoFactor and TasaOCuota, the rate compared as a number ("0.160000" and "0.16" are one group).
 */
export const trasladoKey = (impuesto: string, factor: string, tasa: string | undefined) =>
  `${impuesto}|${factor}|${tasa !== undefined && isDecimalLiteral(tasa) ? dec(tasa).toFixed() : (tasa ?? "")}`;

/** The CFDI 4.0 catalogs start on this date; earlier 4.0 documents are checked against their first edition. */
export const CFDI40_START = "2022-01-01";

export class Context {
  readonly errors: Issue[] = [];
  readonly warnings: Issue[] = [];
  readonly is40: boolean;
  readonly tipo: string;
  /** Date (YYYY-MM-DD) catalog validity is judged at. */
  readonly fecha: string;
  /** Decimals of the document currency; undefined when Moneda is not in c_Moneda. */
  readonly decimals: number | undefined;
  private readonly missing: ReadonlySet<string>;
  private readonly invalidAmounts = new Set<string>();

  constructor(
    readonly cfdi: Cfdi,
    readonly lookups: CatalogLookups,
    readonly now: Date,
  ) {
    this.is40 = cfdi.Version === "4.0";
    this.tipo = cfdi.TipoDeComprobante;
    const day = /^\d{4}-\d{2}-\d{2}/.test(cfdi.Fecha)
      ? cfdi.Fecha.slice(0, 10)
      : now.toISOString().slice(0, 10);
    this.fecha = day < CFDI40_START ? CFDI40_START : day;
    this.decimals = monedas.get(cfdi.Moneda)?.decimales;
    this.missing = new Set(cfdi.missingAttributes);
  }

  error(code: string, message: string, path: string) {
    this.errors.push({ code, message, path });
  }

  warn(code: string, message: string, path: string) {
    this.warnings.push({ code, message, path });
  }

  /** Whether parse already reported this required attribute as absent (rules then stay quiet about it). */
  isMissing(path: string) {
    return this.missing.has(path);
  }

  /**
   * The attribute as a Decimal, or undefined when absent or not a decimal (reported once, here, as
   * `amount_invalid`, so the rules that need the number simply skip).
   */
  amount(value: string | undefined, path: string): Decimal | undefined {
    if (value === undefined || this.isMissing(path)) return undefined;
    if (!isDecimalLiteral(value) || value.trim() !== value) {
      if (!this.invalidAmounts.has(path))
        this.error("amount_invalid", `"${value}" is not a decimal number`, path);
      this.invalidAmounts.add(path);
      return undefined;
    }
    return dec(value);
  }

  /**
   * Reports `code` when `value` has more decimals than the document currency allows
   * (SAT's "debe tener hasta la cantidad de decimales que soporte la moneda").
   */
  currencyDecimals(value: string | undefined, code: string, path: string, places = this.decimals) {
    if (value === undefined || places === undefined || !isDecimalLiteral(value)) return;
    if (decimalPlaces(value) > places) {
      this.error(code, `"${value}" has more than the ${places} decimals the currency allows`, path);
    }
  }

  /**
   * The catalog entry for `clave`, or undefined after reporting `code` when the key is not in the
   * catalog or not in force on the document date.
   */
  catalog<T extends CatalogEntry>(
    catalog: Catalog<T>,
    clave: string,
    code: string,
    path: string,
  ): T | undefined {
    if (this.isMissing(path)) return undefined;
    const entry = catalog.get(clave);
    if (!entry) {
      this.error(code, `"${clave}" is not a key of the SAT catalog ${catalog.name}`, path);
      return undefined;
    }
    if (!isVigente(entry, this.fecha)) {
      const window = `${entry.vigenciaDesde ?? "…"} to ${entry.vigenciaHasta ?? "…"}`;
      this.error(
        code,
        `${catalog.name} key "${clave}" is not in force on ${this.fecha} (valid ${window})`,
        path,
      );
      return undefined;
    }
    return entry;
  }
}
