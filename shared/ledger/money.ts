/**
 * MXN amounts of the OrgLedger. The ledger stores integer centavos (safe integers, so sums are exact
 * in SQLite and JavaScript alike) and speaks decimal strings with two places at its edges; binary
 * floats never touch money.
 */
const MXN_LITERAL = /^(\d{1,13})(?:\.(\d{1,2}))?$/;

/** "100" → 10000, "0.5" → 50. Undefined for anything that is not a non-negative amount with ≤ 2 decimals. */
export function parseMxn(amount: string): number | undefined {
  const match = MXN_LITERAL.exec(amount.trim());
  if (!match) return undefined;
  const cents = Number(match[1]) * 100 + Number((match[2] ?? "").padEnd(2, "0"));
  return Number.isSafeInteger(cents) ? cents : undefined;
}

/** 10000 → "100.00", -50 → "-0.50". */
export function formatMxn(cents: number): string {
  const sign = cents < 0 ? "-" : "";
  const abs = Math.abs(cents);
  return `${sign}${Math.floor(abs / 100)}.${String(abs % 100).padStart(2, "0")}`;
}
