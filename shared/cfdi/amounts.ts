/**
 * Exact money arithmetic for CFDI: every amount is a decimal string in the XML and a Decimal here,
 * never a binary float. Also the SAT's rounding and tolerance rules, shared by the builder (which
 * must produce amounts that pass them) and the validator (which checks them).
 *
 * Rules, from Anexo 20 v4.0 "Guía de llenado" (and the 3.3 guide, which has the same formulas):
 * - Rounding of amounts is "redondeo aritmético": half-up, ties away from zero (0.125 -> 0.13).
 * - Document-level amounts (SubTotal, Descuento, Total, document Impuestos) carry at most the
 *   currency's decimals (c_Moneda.Decimales: MXN 2, JPY 0, BHD 3, CLF 4, XXX 0). Concept-level amounts
 *   (Importe, ValorUnitario, Base, tax Importe) may carry up to 6 decimals.
 * - Concept Importe must lie within
 *     lower = (Cantidad − 10^−nC/2) × (ValorUnitario − 10^−nV/2), truncated to Importe's decimals
 *     upper = (Cantidad + 10^−nC/2) × (ValorUnitario + 10^−nV/2), rounded up to Importe's decimals
 *   where nC / nV are the decimals written in Cantidad / ValorUnitario.
 * - A tax Importe (Traslado/Retención, concept or Pagos DR level) must lie within
 *     lower = (Base − 10^−nB/2) × TasaOCuota, truncated to Importe's decimals
 *     upper = (Base + 10^−nB/2) × TasaOCuota, rounded up to Importe's decimals
 *   where nB is the decimals written in Base.
 * "Decimals written" counts the literal string ("1.50" has 2), as the SAT does.
 */
import Decimal from "decimal.js";
import { monedas } from "../catalogs";
import { badRequest } from "../errors";

/**
 * A private Decimal constructor: 64 significant digits cover the product of two maximal CFDI amounts
 * (18 integer + 6 decimal digits each), and configuring a clone keeps the global decimal.js untouched.
 */
export const Dec = Decimal.clone({
  precision: 64,
  rounding: Decimal.ROUND_HALF_UP,
  toExpNeg: -64,
  toExpPos: 64,
});
export type Dec = Decimal;

export type DecimalInput = string | number | Decimal;

/** XSD xs:decimal lexical form (no exponent), as CFDI amounts are written. */
const DECIMAL_LITERAL = /^[+-]?(\d+(\.\d*)?|\.\d+)$/;

/** Parses an amount. Strings must be plain decimals (no exponent, no spaces); numbers must be finite. */
export function dec(value: DecimalInput): Decimal {
  // Instances carry their constructor's precision: re-home those made by another Decimal clone.
  if (Decimal.isDecimal(value)) return value.constructor === Dec ? value : new Dec(value);
  if (typeof value === "number") {
    if (!Number.isFinite(value)) throw badRequest("amount_invalid", `Not a finite amount: ${value}`);
    return new Dec(value);
  }
  const text = value.trim();
  if (!DECIMAL_LITERAL.test(text)) throw badRequest("amount_invalid", `Not a decimal amount: "${value}"`);
  return new Dec(text);
}

/** True when `value` is a plain decimal literal that `dec` accepts. */
export const isDecimalLiteral = (value: string) => DECIMAL_LITERAL.test(value.trim());

/** Decimals as written: "10" -> 0, "1.50" -> 2, "3." -> 0. A Decimal counts its significant decimals. */
export function decimalPlaces(value: string | Decimal): number {
  if (typeof value !== "string") return value.decimalPlaces();
  const text = value.trim();
  const dot = text.indexOf(".");
  return dot < 0 ? 0 : text.length - dot - 1;
}

/** SAT rounding: half-up, ties away from zero. */
export const roundSat = (value: DecimalInput, places: number): Decimal =>
  dec(value).toDecimalPlaces(places, Decimal.ROUND_HALF_UP);

/** Drops the digits beyond `places` (towards zero). */
export const truncate = (value: DecimalInput, places: number): Decimal =>
  dec(value).toDecimalPlaces(places, Decimal.ROUND_DOWN);

/** Rounds away from zero at `places` (the "redondeo hacia arriba" of the SAT's upper limits). */
export const roundUp = (value: DecimalInput, places: number): Decimal =>
  dec(value).toDecimalPlaces(places, Decimal.ROUND_UP);

/** Canonical CFDI amount string: exactly `places` decimals, SAT rounding, never "-0.00". */
export function formatAmount(value: DecimalInput, places: number): string {
  const rounded = roundSat(value, places);
  return (rounded.isZero() ? new Dec(0) : rounded).toFixed(places);
}

export const sum = (values: Iterable<DecimalInput>): Decimal => {
  let total = new Dec(0);
  for (const v of values) total = total.plus(dec(v));
  return total;
};

/** Exact equality of two amounts regardless of trailing zeros ("1.50" equals "1.5"). */
export const sameAmount = (a: DecimalInput, b: DecimalInput) => dec(a).equals(dec(b));

/** Decimals allowed for a currency (c_Moneda.Decimales). Throws `currency_unknown` for codes not in c_Moneda. */
export function currencyDecimals(moneda: string): number {
  const entry = monedas.get(moneda);
  if (!entry) throw badRequest("currency_unknown", `Currency "${moneda}" is not in the SAT catalog c_Moneda`);
  return entry.decimales;
}

/** Half a unit of the last written decimal: 10^−n / 2. */
const halfUnit = (places: number) => new Dec(10).pow(-places).div(2);

export interface Bounds {
  lower: Decimal;
  upper: Decimal;
}

export const withinBounds = (value: DecimalInput, { lower, upper }: Bounds) => {
  const v = dec(value);
  return v.gte(lower) && v.lte(upper);
};

/**
 * SAT limits for a concept Importe given Cantidad and ValorUnitario as written.
 * `importePlaces` is the decimals of the Importe being checked (or to be produced; up to 6).
 */
export function conceptImporteBounds(cantidad: string, valorUnitario: string, importePlaces: number): Bounds {
  const hc = halfUnit(decimalPlaces(cantidad));
  const hv = halfUnit(decimalPlaces(valorUnitario));
  const q = dec(cantidad);
  const v = dec(valorUnitario);
  return {
    lower: truncate(q.minus(hc).times(v.minus(hv)), importePlaces),
    upper: roundUp(q.plus(hc).times(v.plus(hv)), importePlaces),
  };
}

/**
 * SAT limits for a tax Importe given its Base as written and TasaOCuota.
 * `importePlaces` is the decimals of the Importe being checked.
 */
export function taxImporteBounds(base: string, tasaOCuota: string, importePlaces: number): Bounds {
  const hb = halfUnit(decimalPlaces(base));
  const b = dec(base);
  const rate = dec(tasaOCuota);
  return {
    lower: truncate(b.minus(hb).times(rate), importePlaces),
    upper: roundUp(b.plus(hb).times(rate), importePlaces),
  };
}
