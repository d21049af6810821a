/**
 * Amounts in Spanish words, as Mexican invoices print them ("importe con letra"):
 * "TRES MIL CUATROCIENTOS OCHENTA PESOS 00/100 M.N.". Cardinals up to 10^18 − 1 (the CFDI's Total
 * has at most 18 integer digits), long scale (millón, mil millones, billón, mil billones).
 */
import { dec, roundSat } from "../cfdi/amounts";

// biome-ignore format: a table
const UNITS = ["", "UNO", "DOS", "TRES", "CUATRO", "CINCO", "SEIS", "SIETE", "OCHO", "NUEVE", "DIEZ", "ONCE", "DOCE", "TRECE", "CATORCE", "QUINCE", "DIECISÉIS", "DIECISIETE", "DIECIOCHO", "DIECINUEVE", "VEINTE", "VEINTIUNO", "VEINTIDÓS", "VEINTITRÉS", "VEINTICUATRO", "VEINTICINCO", "VEINTISÉIS", "VEINTISIETE", "VEINTIOCHO", "VEINTINUEVE"];
// biome-ignore format: a table
const TENS = ["", "", "", "TREINTA", "CUARENTA", "CINCUENTA", "SESENTA", "SETENTA", "OCHENTA", "NOVENTA"];
// biome-ignore format: a table
const HUNDREDS = ["", "CIENTO", "DOSCIENTOS", "TRESCIENTOS", "CUATROCIENTOS", "QUINIENTOS", "SEISCIENTOS", "SETECIENTOS", "OCHOCIENTOS", "NOVECIENTOS"];

/**
 * 1–999. `apocope`: the form before a noun ("UN", "VEINTIÚN", "TREINTA Y UN"), which is what
 * precedes "MIL", "MILLONES" and the currency.
 */
function belowThousand(n: number, apocope: boolean): string {
  if (n === 100) return "CIEN";
  const words: string[] = [];
  if (n >= 100) words.push(HUNDREDS[Math.floor(n / 100)]!);
  const rest = n % 100;
  if (rest > 0 && rest < 30) {
    let word = UNITS[rest]!;
    if (apocope && rest === 1) word = "UN";
    else if (apocope && rest === 21) word = "VEINTIÚN";
    words.push(word);
  } else if (rest >= 30) {
    words.push(TENS[Math.floor(rest / 10)]!);
    const unit = rest % 10;
    if (unit > 0) words.push("Y", apocope && unit === 1 ? "UN" : UNITS[unit]!);
  }
  return words.join(" ");
}

/** 1–999,999: "MIL" alone for one thousand, never "UN MIL". */
function belowMillion(n: number, apocope: boolean): string {
  const thousands = Math.floor(n / 1000);
  const rest = n % 1000;
  const words: string[] = [];
  if (thousands === 1) words.push("MIL");
  else if (thousands > 1) words.push(belowThousand(thousands, true), "MIL");
  if (rest > 0) words.push(belowThousand(rest, apocope));
  return words.join(" ");
}

const MILLION = 1_000_000n;

/** A non-negative integer below 10^18 in upper-case Spanish words ("CERO" for 0). */
export function cardinalWords(value: bigint, options: { apocope?: boolean } = {}): string {
  const apocope = options.apocope ?? false;
  if (value < 0n || value >= MILLION ** 3n) throw new RangeError(`${value} is out of range`);
  if (value === 0n) return "CERO";
  const billions = Number(value / MILLION ** 2n);
  const millions = Number((value / MILLION) % MILLION);
  const units = Number(value % MILLION);
  const words: string[] = [];
  if (billions > 0) words.push(billions === 1 ? "UN BILLÓN" : `${belowMillion(billions, true)} BILLONES`);
  if (millions > 0) words.push(millions === 1 ? "UN MILLÓN" : `${belowMillion(millions, true)} MILLONES`);
  if (units > 0) words.push(belowMillion(units, apocope));
  return words.join(" ");
}

/**
 * An amount as printed on an invoice: whole units in words, then the cents as "NN/100" and the
 * currency. MXN reads "… PESO(S) NN/100 M.N."; exact millions take "DE" ("UN MILLÓN DE PESOS").
 * Other currencies: "… NN/100 USD". The amount is rounded half-up to cents first.
 */
export function amountInWords(amount: string, currency = "MXN"): string {
  const cents = roundSat(dec(amount).abs(), 2).times(100);
  const whole = BigInt(cents.divToInt(100).toFixed(0));
  const fraction = cents.mod(100).toFixed(0).padStart(2, "0");
  const words = cardinalWords(whole, { apocope: true });
  if (currency !== "MXN") return `${words} ${fraction}/100 ${currency}`;
  const exactMillions = whole > 0n && whole % MILLION === 0n;
  const noun = whole === 1n ? "PESO" : "PESOS";
  return `${words}${exactMillions ? " DE" : ""} ${noun} ${fraction}/100 M.N.`;
}
