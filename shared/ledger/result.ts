/**
 * The result convention of the OrgLedger Durable Object's RPC methods. An exception thrown in a
 * Durable Object reaches the Worker as a bare Error (message only), so expected refusals travel as
 * values instead: `{ok: false, code, message}`. workers/services/ledger.ts turns them into AppError
 * with the HTTP status of each code; anything thrown is a bug or an infrastructure failure.
 */
export const LEDGER_ERROR_STATUS = {
  invalid_argument: 400,
  insufficient_balance: 402,
  reservation_not_found: 404,
  hold_not_found: 404,
  folio_in_use: 409,
  folio_range_exhausted: 409,
  folio_reservation_closed: 409,
  folio_already_committed: 409,
  hold_already_settled: 409,
  folio_out_of_range: 422,
  folio_range_invalid: 422,
  idempotency_key_reused: 422,
} as const;

export type LedgerErrorCode = keyof typeof LEDGER_ERROR_STATUS;

export type LedgerResult<T> = { ok: true; value: T } | { ok: false; code: LedgerErrorCode; message: string };

/** Thrown inside a ledger transaction to roll it back; the RPC boundary turns it into `{ok: false}`. */
export class LedgerRefusal extends Error {
  constructor(
    readonly code: LedgerErrorCode,
    message: string,
  ) {
    super(message);
    this.name = "LedgerRefusal";
  }
}

export const refuse = (code: LedgerErrorCode, message: string): never => {
  throw new LedgerRefusal(code, message);
};

/** Idempotency keys and references: non-empty strings of bounded length. */
export function requireText(value: unknown, field: string, max = 255): string {
  if (typeof value !== "string" || value.length === 0 || value.length > max) {
    refuse("invalid_argument", `${field} must be a string of 1 to ${max} characters`);
  }
  return value as string;
}

export function requireCount(value: unknown, field: string, min = 1): number {
  if (typeof value !== "number" || !Number.isSafeInteger(value) || value < min) {
    refuse("invalid_argument", `${field} must be an integer ≥ ${min}`);
  }
  return value as number;
}
