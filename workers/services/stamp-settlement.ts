/**
 * The ledger's side of a stamp whose invoice is stored, in one repeatable function used by the stamp
 * request, the settle job and the reconcile job.
 */

import { recordConsumption } from "./consumables";
import type { ServiceContext } from "./context";
import { ledgerCall } from "./ledger";
import { checkLowBalance } from "./notifications";

/**
 * What a stored stamp owes the ledger: its folio committed, its hold captured, the consumption copied
 * to the database. Every step repeats safely (commit and capture answer the same twice).
 */
export interface StampSettlement {
  organizationId: string;
  /** Absent when the folio was committed earlier (a processing invoice commits it when written). */
  reservationId?: string;
  holdId: string;
  invoiceId: string | null;
}

export async function settleStamp(ctx: ServiceContext, settlement: StampSettlement): Promise<void> {
  const { organizationId, reservationId, holdId, invoiceId } = settlement;
  if (reservationId) await ledgerCall(ctx.env, organizationId, (l) => l.commitFolio(reservationId));
  const captured = await ledgerCall(ctx.env, organizationId, (l) => l.capture(holdId));
  await recordConsumption(ctx, organizationId, captured, invoiceId);
  checkLowBalance(ctx, organizationId, captured);
}
