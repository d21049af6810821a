/**
 * CLABE (Clave Bancaria Estandarizada), the 18-digit account number of Mexico's interbank transfers:
 * 3 digits of bank, 3 of branch (plaza), 11 of account and a check digit. The check digit is Banxico's
 * weighted modulus 10: each of the first 17 digits is multiplied by 3, 7, 1, 3, 7, 1, … and reduced
 * modulo 10; the check digit is (10 − (Σ mod 10)) mod 10.
 */

const WEIGHTS = [3, 7, 1] as const;

/** The check digit of the first 17 digits of a CLABE. */
export function clabeCheckDigit(first17: string): number {
  if (!/^\d{17}$/.test(first17)) throw new Error("A CLABE check digit needs exactly 17 digits");
  let total = 0;
  for (let i = 0; i < 17; i++) total += (Number(first17[i]) * WEIGHTS[i % 3]!) % 10;
  return (10 - (total % 10)) % 10;
}

/** Whether `value` is 18 digits whose last one is the check digit of the others. */
export const isValidClabe = (value: string): boolean =>
  /^\d{18}$/.test(value) && clabeCheckDigit(value.slice(0, 17)) === Number(value[17]);
