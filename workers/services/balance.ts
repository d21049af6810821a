/**
 * An organization's prepaid balance in MXN (seed #173, #174), kept by its OrgLedger Durable Object.
 * Without a payment provider (no STRIPE_SECRET_KEY), `POST /v1/balance/top-ups` credits the ledger
 * directly: a trusted manual credit, limited to members with `balance.manage`. With Stripe configured,
 * money only comes in through a paid checkout (workers/services/billing.ts), so a direct top-up is
 * refused with 409 `checkout_required`.
 */
import { sha256Hex } from "../../shared/auth/crypto";
import { badRequest, conflict } from "../../shared/errors";
import { parseMxn } from "../../shared/ledger/money";
import { balanceCreditedNotification } from "../../shared/notifications/notifications";
import type { ActorContext } from "./context";
import { ledgerCall } from "./ledger";
import { notifyAfterResponse } from "./notifications";
import { isStripeConfigured } from "./stripe";
import { requireOrgAccess } from "./tenancy";

/** The seed's minimum top-up is not stated; its checkout top-up asks for at least 100 MXN. */
export const MINIMUM_TOP_UP_CENTS = 100_00;

export async function getBalance(ctx: ActorContext, organizationId: string) {
  await requireOrgAccess(ctx, organizationId, "balance.read");
  return ledgerCall(ctx.env, organizationId, async (l) => ({ ok: true, value: await l.balance() }));
}

/**
 * Credits `amount` (a decimal with at most 2 places, at least 100 MXN). With an Idempotency-Key the
 * credit is keyed by it (scoped to the user), so the ledger never credits one request twice.
 */
export async function topUp(
  ctx: ActorContext,
  organizationId: string,
  amount: string,
  idempotencyKey: string | undefined,
) {
  await requireOrgAccess(ctx, organizationId, "balance.manage");
  const cents = parseMxn(amount);
  if (cents === undefined) {
    throw badRequest("validation_failed", "amount must be an amount in MXN with at most 2 decimals", [
      { path: "amount", message: "at most 2 decimals", code: "custom" },
    ]);
  }
  if (cents < MINIMUM_TOP_UP_CENTS) {
    throw badRequest("amount_below_minimum", "The minimum top-up is 100.00 MXN", {
      minimumAmount: 100,
    });
  }
  if (isStripeConfigured(ctx.env)) {
    throw conflict(
      "checkout_required",
      "Top-ups are paid through Stripe: create a checkout with POST /v1/billing/checkout-sessions/payment",
    );
  }
  const key = idempotencyKey
    ? `top-up:${await sha256Hex(`${ctx.userId}\n${idempotencyKey}`)}`
    : `top-up:${crypto.randomUUID()}`;
  const entry = await ledgerCall(ctx.env, organizationId, (l) =>
    l.credit({ amount: amount.trim(), idempotencyKey: key, reference: `user:${ctx.userId}` }),
  );
  const balance = await ledgerCall(ctx.env, organizationId, async (l) => ({
    ok: true,
    value: await l.balance(),
  }));
  notifyAfterResponse(
    ctx,
    organizationId,
    balanceCreditedNotification({
      entryId: entry.id,
      amount: entry.amount,
      balanceAmount: balance.balanceAmount,
    }),
  );
  return { entry, balance };
}
