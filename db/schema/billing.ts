/**
 * Stripe billing (seed #77–#94): the organization's Stripe customer and fiscal data, the checkout
 * sessions Timbre created (so a session's status is answered only to its organization), the
 * organization's payment methods under Timbre's own uuids (the seed's ids are uuids, not `pm_…`),
 * and a mirror of its subscriptions kept from Stripe's answers and webhook events. Stripe stays the
 * source of truth; these rows are what Timbre checks tenancy against and answers from without a
 * round trip. Received Stripe events are deduplicated in provider_webhook_events (provider 'stripe').
 */
import { index, integer, sqliteTable, text, uniqueIndex } from "drizzle-orm/sqlite-core";
import { CHECKOUT_PURPOSES } from "../../shared/billing/stripe-events";
import { id, timestamps } from "./columns";

export const billingAccounts = sqliteTable(
  "billing_accounts",
  {
    organizationId: text("organization_id").primaryKey(),
    /** `cus_…`, created on the first operation that needs it. */
    stripeCustomerId: text("stripe_customer_id"),
    /** The fiscal data of Timbre's own CFDI to the organization (seed #83); null until given. */
    name: text("name"),
    commercialName: text("commercial_name"),
    taxIdentifier: text("tax_identifier"),
    taxRegime: text("tax_regime"),
    postalCode: text("postal_code"),
    cfdiUse: text("cfdi_use"),
    ...timestamps,
  },
  (t) => [uniqueIndex("billing_accounts_customer_idx").on(t.stripeCustomerId)],
);

export const billingCheckoutSessions = sqliteTable(
  "billing_checkout_sessions",
  {
    /** Stripe's `cs_…`. */
    id: text("id").primaryKey(),
    organizationId: text("organization_id").notNull(),
    purpose: text("purpose", { enum: CHECKOUT_PURPOSES }).notNull(),
    /** Minor units asked for (top-ups); null for subscription and setup sessions. */
    amountCents: integer("amount_cents"),
    createdByUserId: text("created_by_user_id"),
    createdAt: text("created_at").notNull(),
  },
  (t) => [index("billing_checkout_sessions_org_idx").on(t.organizationId, t.createdAt)],
);

export const billingPaymentMethods = sqliteTable(
  "billing_payment_methods",
  {
    id: id(),
    organizationId: text("organization_id").notNull(),
    stripePaymentMethodId: text("stripe_payment_method_id").notNull(),
    type: text("type").notNull(),
    brand: text("brand"),
    last4: text("last4"),
    expMonth: integer("exp_month"),
    expYear: integer("exp_year"),
    isDefault: integer("is_default", { mode: "boolean" }).notNull().default(false),
    ...timestamps,
  },
  (t) => [
    uniqueIndex("billing_payment_methods_stripe_idx").on(t.stripePaymentMethodId),
    index("billing_payment_methods_org_idx").on(t.organizationId),
  ],
);

export const billingSubscriptions = sqliteTable(
  "billing_subscriptions",
  {
    /** Stripe's `sub_…`. */
    id: text("id").primaryKey(),
    organizationId: text("organization_id").notNull(),
    status: text("status").notNull(),
    priceId: text("price_id"),
    /** The Timbre plan of the price (shared/billing/plans.ts), null when it is none. */
    plan: text("plan"),
    includedStamps: integer("included_stamps").notNull().default(0),
    stampUnitPrice: text("stamp_unit_price").notNull(),
    cancelAtPeriodEnd: integer("cancel_at_period_end", { mode: "boolean" }).notNull().default(false),
    currentPeriodEnd: text("current_period_end"),
    trialEnd: text("trial_end"),
    /** Unix seconds of the Stripe event (or API answer) this row reflects: older ones are ignored. */
    stripeUpdatedAt: integer("stripe_updated_at").notNull(),
    ...timestamps,
  },
  (t) => [index("billing_subscriptions_org_idx").on(t.organizationId, t.createdAt)],
);
