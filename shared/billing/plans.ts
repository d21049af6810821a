/**
 * Subscription plans: what a Stripe subscription gives an organization's OrgLedger, as the stamp
 * consumable's included units per period and the unit price charged beyond them.
 *
 * The mapping, in order:
 * 1. The subscribed price's metadata, when it carries both `included_stamps` (a whole number) and
 *    `stamp_unit_price` (MXN, at most 2 decimals): set in the Stripe dashboard, no deploy needed.
 * 2. Else the price's `lookup_key` in PLANS below.
 * 3. Else the price is not a Timbre plan: the subscription changes nothing (logged by the caller).
 * A subscription that no longer entitles (canceled, unpaid, incomplete, incomplete_expired, paused)
 * or is deleted gives NO_PLAN, the ledger's own default (nothing included, 1.00 MXN a stamp);
 * trialing, active and past_due (Stripe still retrying) keep the plan.
 */
import { formatMxn, parseMxn } from "../ledger/money";

export interface Plan {
  /** The plan's name, or null for the ledger's default. */
  key: string | null;
  includedStamps: number;
  /** MXN with two decimals. */
  stampUnitPrice: string;
}

export const PLANS: Record<string, Plan> = {
  timbre_standard_monthly: { key: "standard", includedStamps: 100, stampUnitPrice: "1.00" },
  timbre_business_monthly: { key: "business", includedStamps: 1000, stampUnitPrice: "0.80" },
};

/** The price a subscription checkout or a trial subscribes to, found in Stripe by this lookup key. */
export const DEFAULT_PLAN_LOOKUP_KEY = "timbre_standard_monthly";

export const NO_PLAN: Plan = { key: null, includedStamps: 0, stampUnitPrice: "1.00" };

export const TRIAL_DAYS = 14;

const ENTITLING = new Set(["trialing", "active", "past_due"]);

/** Whether a subscription in this Stripe status gives its plan. */
export const entitles = (status: string) => ENTITLING.has(status);

export interface PriceLike {
  id: string;
  lookup_key?: string | null;
  metadata?: Record<string, string> | null;
}

/** The plan of a price, or null when the price is not one of Timbre's plans. */
export function planOfPrice(price: PriceLike): Plan | null {
  const included = price.metadata?.included_stamps;
  const unitPrice = price.metadata?.stamp_unit_price;
  if (included !== undefined && unitPrice !== undefined) {
    const cents = parseMxn(unitPrice);
    if (/^\d{1,9}$/.test(included.trim()) && cents !== undefined) {
      return {
        key: price.metadata?.plan ?? price.lookup_key ?? price.id,
        includedStamps: Number(included.trim()),
        stampUnitPrice: formatMxn(cents),
      };
    }
  }
  return (price.lookup_key && PLANS[price.lookup_key]) || null;
}

/** What a subscription in `status` on `price` sets on the ledger; null when the price is not a plan. */
export function planForSubscription(status: string, price: PriceLike | null, deleted = false): Plan | null {
  if (deleted || !entitles(status)) return NO_PLAN;
  return price ? planOfPrice(price) : null;
}
