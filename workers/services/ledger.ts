/**
 * The Worker's one way into an organization's OrgLedger Durable Object (folio numbering, balance and
 * consumables). `ledgerCall` runs one RPC and returns its value or throws AppError for the refusal it
 * answered with (shared/ledger/result.ts: insufficient_balance → 402, folio_in_use → 409, …).
 */
import type { OrgLedger } from "../../durable-objects/org-ledger";
import { AppError } from "../../shared/errors";
import { LEDGER_ERROR_STATUS, type LedgerResult } from "../../shared/ledger/result";
import type { AppBindings } from "../env";

export type LedgerStub = DurableObjectStub<OrgLedger>;

export const ledgerStub = (env: Pick<AppBindings, "ORG_LEDGER">, organizationId: string): LedgerStub =>
  env.ORG_LEDGER.get(env.ORG_LEDGER.idFromName(organizationId));

const ATTEMPTS = 3;

/** The runtime marks a call retryable when the object was reset or evicted under it (not when overloaded). */
const isRetryable = (error: unknown) =>
  error instanceof Error &&
  (error as { retryable?: boolean }).retryable === true &&
  (error as { overloaded?: boolean }).overloaded !== true;

/**
 * Calls the ledger, repeating a call that failed retryably on a fresh stub (a broken stub stays
 * broken). Repeating is safe because every mutating RPC is idempotent by its key or id.
 */
export async function ledgerCall<T>(
  env: Pick<AppBindings, "ORG_LEDGER">,
  organizationId: string,
  call: (ledger: LedgerStub) => Promise<LedgerResult<T>>,
): Promise<T> {
  let result: LedgerResult<T>;
  for (let attempt = 1; ; attempt++) {
    try {
      result = await call(ledgerStub(env, organizationId));
      break;
    } catch (error) {
      if (attempt >= ATTEMPTS || !isRetryable(error)) throw error;
    }
  }
  if (result.ok) return result.value;
  throw new AppError(LEDGER_ERROR_STATUS[result.code], result.code, result.message);
}
