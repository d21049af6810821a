/**
 * Stripe billing of an organization (seed #77–#94): its Stripe customer and fiscal data, embedded
 * checkout sessions (subscription, balance top-up, payment-method setup), subscriptions (trial or paid,
 * promotion codes, cancel at period end after a password check, resume), payment methods and billing
 * invoices.
 *
 * Every operation runs the tenant check first (billing.manage, or subscriptions.manage), then answers
 * what Timbre holds itself (an organization without a Stripe customer has no payment methods or
 * invoices; an unknown session or payment method is 404), and only then needs Stripe: without
 * STRIPE_SECRET_KEY that is 503 `billing_not_configured`.
 *
 * Subscriptions are mirrored in `billing_subscriptions` from Stripe's answers and from webhook events
 * (workers/services/stripe-webhooks.ts), newest Stripe time wins; after each change the organization's
 * effective plan (shared/billing/plans.ts) is written to its OrgLedger as the stamp consumable's
 * included units and unit price.
 */
import { and, desc, eq, lte, ne, sql } from "drizzle-orm";
import type { BatchItem } from "drizzle-orm/batch";
import type Stripe from "stripe";
import { batchWrite } from "../../db/client";
import {
  billingAccounts,
  billingCheckoutSessions,
  billingPaymentMethods,
  billingSubscriptions,
  users,
} from "../../db/schema";
import { DEFAULT_CONSUMABLE } from "../../durable-objects/org-ledger-balance";
import { verifyPassword } from "../../shared/auth/password";
import {
  DEFAULT_PLAN_LOOKUP_KEY,
  entitles,
  NO_PLAN,
  type Plan,
  planForSubscription,
  TRIAL_DAYS,
} from "../../shared/billing/plans";
import {
  type CheckoutPurpose,
  type SubscriptionSnapshot,
  subscriptionSnapshot,
} from "../../shared/billing/stripe-events";
import { AppError, badRequest, conflict, notFound } from "../../shared/errors";
import { formatMxn, parseMxn } from "../../shared/ledger/money";
import type { ActorContext, ServiceContext } from "./context";
import { nowIso } from "./context";
import { ledgerCall } from "./ledger";
import { stripeCall, stripeClient } from "./stripe";
import { type OrgAccess, requireOrgAccess } from "./tenancy";

/** The seed's one-time checkout asks for at least 100 MXN. */
export const MINIMUM_CHECKOUT_TOP_UP_CENTS = 100_00;
const CURRENCY = "mxn";

type BillingAccountRow = typeof billingAccounts.$inferSelect;
type SubscriptionRow = typeof billingSubscriptions.$inferSelect;

const isoFromUnix = (seconds: number | null | undefined) =>
  seconds == null ? null : new Date(seconds * 1000).toISOString();

async function accountOf(
  ctx: ServiceContext,
  organizationId: string,
): Promise<BillingAccountRow | undefined> {
  const [row] = await ctx.db
    .select()
    .from(billingAccounts)
    .where(eq(billingAccounts.organizationId, organizationId))
    .limit(1);
  return row;
}

/**
 * The organization's Stripe customer, created on first need ("If the user doesn't have a Stripe
 * customer ID, one will be created"). Stripe's idempotency key makes concurrent first calls create one
 * customer; the row keeps the first id written.
 */
async function ensureCustomer(ctx: ActorContext, access: OrgAccess): Promise<string> {
  const existing = await accountOf(ctx, access.organizationId);
  if (existing?.stripeCustomerId) return existing.stripeCustomerId;
  const stripe = stripeClient(ctx.env);
  const [user] = await ctx.db.select({ email: users.email }).from(users).where(eq(users.id, ctx.userId));
  const customer = await stripeCall(() =>
    stripe.customers.create(
      {
        name: existing?.name ?? access.organization.name,
        email: user?.email,
        metadata: { organization_id: access.organizationId },
        ...(existing?.postalCode && { address: { postal_code: existing.postalCode, country: "MX" } }),
      },
      { idempotencyKey: `timbre-customer-${access.organizationId}` },
    ),
  );
  const now = nowIso();
  const [row] = await ctx.db
    .insert(billingAccounts)
    .values({
      organizationId: access.organizationId,
      stripeCustomerId: customer.id,
      createdAt: now,
      updatedAt: now,
    })
    .onConflictDoUpdate({
      target: billingAccounts.organizationId,
      set: {
        stripeCustomerId: sql`coalesce(${billingAccounts.stripeCustomerId}, excluded.stripe_customer_id)`,
        updatedAt: now,
      },
    })
    .returning({ stripeCustomerId: billingAccounts.stripeCustomerId });
  return row?.stripeCustomerId ?? customer.id;
}

// ---------------------------------------------------------------------------------------------
// Checkout sessions

export interface CheckoutInput {
  purpose: CheckoutPurpose;
  /** Where Stripe sends the browser back: an absolute URL built from the caller's success path. */
  returnUrl: string;
  /** MXN text with at most 2 decimals (top-ups). */
  amount?: string;
  promotionCode?: string;
}

export async function createCheckoutSession(ctx: ActorContext, organizationId: string, input: CheckoutInput) {
  const access = await requireOrgAccess(
    ctx,
    organizationId,
    input.purpose === "subscription" ? "subscriptions.manage" : "billing.manage",
  );
  let cents: number | undefined;
  if (input.purpose === "balance_top_up") {
    cents = parseMxn(input.amount ?? "");
    if (cents === undefined) {
      throw badRequest("validation_failed", "amount must be an amount in MXN with at most 2 decimals", [
        { path: "amount", message: "at most 2 decimals", code: "custom" },
      ]);
    }
    if (cents < MINIMUM_CHECKOUT_TOP_UP_CENTS) {
      throw badRequest("amount_below_minimum", "The minimum top-up is 100.00 MXN", { minimumAmount: 100 });
    }
  }
  const stripe = stripeClient(ctx.env);
  const customer = await ensureCustomer(ctx, access);
  const metadata = { organization_id: organizationId, purpose: input.purpose };
  const returnUrl = `${input.returnUrl}${input.returnUrl.includes("?") ? "&" : "?"}session_id={CHECKOUT_SESSION_ID}`;
  const base: Stripe.Checkout.SessionCreateParams = {
    ui_mode: "embedded",
    customer,
    return_url: returnUrl,
    metadata,
  };
  let params: Stripe.Checkout.SessionCreateParams;
  if (input.purpose === "balance_top_up") {
    params = {
      ...base,
      mode: "payment",
      payment_intent_data: { metadata },
      line_items: [
        {
          quantity: 1,
          price_data: {
            currency: CURRENCY,
            unit_amount: cents!,
            product_data: { name: "Saldo Timbre (MXN)" },
          },
        },
      ],
    };
  } else if (input.purpose === "subscription") {
    const price = await defaultPlanPrice(stripe);
    const promotion = input.promotionCode ? await promotionCodeId(stripe, input.promotionCode) : undefined;
    params = {
      ...base,
      mode: "subscription",
      line_items: [{ price, quantity: 1 }],
      subscription_data: { metadata: { organization_id: organizationId } },
      ...(promotion ? { discounts: [{ promotion_code: promotion }] } : { allow_promotion_codes: true }),
    };
  } else {
    params = { ...base, mode: "setup", currency: CURRENCY, setup_intent_data: { metadata } };
  }
  const session = await stripeCall(() => stripe.checkout.sessions.create(params));
  await ctx.db.insert(billingCheckoutSessions).values({
    id: session.id,
    organizationId,
    purpose: input.purpose,
    amountCents: cents ?? null,
    createdByUserId: ctx.userId,
    createdAt: nowIso(),
  });
  if (!session.client_secret) {
    throw new AppError(
      502,
      "stripe_unavailable",
      "Stripe returned a checkout session without a client secret",
    );
  }
  return { clientSecret: session.client_secret, sessionId: session.id };
}

async function defaultPlanPrice(stripe: Stripe): Promise<string> {
  const prices = await stripeCall(() =>
    stripe.prices.list({ lookup_keys: [DEFAULT_PLAN_LOOKUP_KEY], active: true, limit: 1 }),
  );
  const price = prices.data[0];
  if (!price) {
    throw new AppError(
      503,
      "billing_not_configured",
      `No active Stripe price has the lookup key ${DEFAULT_PLAN_LOOKUP_KEY}`,
    );
  }
  return price.id;
}

async function promotionCodeId(stripe: Stripe, code: string): Promise<string> {
  const found = await stripeCall(() => stripe.promotionCodes.list({ code, active: true, limit: 1 }));
  const promotion = found.data[0];
  if (!promotion)
    throw badRequest("invalid_promotion_code", "The promotion code does not exist or has expired");
  return promotion.id;
}

/** Seed #79, answered only to the organization that created the session. */
export async function getCheckoutSession(ctx: ActorContext, organizationId: string, sessionId: string) {
  await requireOrgAccess(ctx, organizationId, "billing.manage");
  const [row] = await ctx.db
    .select()
    .from(billingCheckoutSessions)
    .where(
      and(
        eq(billingCheckoutSessions.id, sessionId),
        eq(billingCheckoutSessions.organizationId, organizationId),
      ),
    )
    .limit(1);
  if (!row) throw notFound("Checkout session");
  const stripe = stripeClient(ctx.env);
  const session = await stripeCall(() => stripe.checkout.sessions.retrieve(sessionId));
  return {
    isPaymentSuccessful:
      session.payment_status === "paid" || session.payment_status === "no_payment_required",
    status: session.status,
    purpose: row.purpose,
    amountTotal: session.amount_total == null ? null : Number(formatMxn(session.amount_total)),
    currency: session.currency,
    createdAt: isoFromUnix(session.created)!,
    expiresAt: isoFromUnix(session.expires_at),
    paymentMethod: { types: session.payment_method_types ?? [] },
    isSubscription: session.mode === "subscription",
  };
}

// ---------------------------------------------------------------------------------------------
// Billing account (fiscal data of Timbre's own invoices to the organization)

export interface BillingAccountInput {
  name: string;
  commercialName: string;
  taxIdentifier: string;
  taxRegime: string;
  postalCode: string;
  cfdiUse: string;
}

const presentAccount = (row: BillingAccountRow | undefined) =>
  row?.name == null
    ? null
    : {
        name: row.name,
        commercialName: row.commercialName,
        taxIdentifier: row.taxIdentifier,
        taxRegime: row.taxRegime,
        postalCode: row.postalCode,
        cfdiUse: row.cfdiUse,
        hasPaymentCustomer: row.stripeCustomerId !== null,
        updatedAt: row.updatedAt,
      };

export async function getBillingAccount(ctx: ActorContext, organizationId: string) {
  await requireOrgAccess(ctx, organizationId, "billing.manage");
  return presentAccount(await accountOf(ctx, organizationId));
}

/** Stored at once; the Stripe customer (when there is one) gets the name and postal code too. */
export async function putBillingAccount(
  ctx: ActorContext,
  organizationId: string,
  input: BillingAccountInput,
) {
  await requireOrgAccess(ctx, organizationId, "billing.manage");
  const now = nowIso();
  const fields = { ...input, taxIdentifier: input.taxIdentifier.toUpperCase(), updatedAt: now };
  const [row] = await ctx.db
    .insert(billingAccounts)
    .values({ organizationId, ...fields, createdAt: now })
    .onConflictDoUpdate({ target: billingAccounts.organizationId, set: fields })
    .returning();
  if (row?.stripeCustomerId) {
    const stripe = stripeClient(ctx.env);
    const customerId = row.stripeCustomerId;
    await stripeCall(() =>
      stripe.customers.update(customerId, {
        name: fields.name,
        address: { postal_code: fields.postalCode, country: "MX" },
        metadata: {
          tax_identifier: fields.taxIdentifier,
          tax_regime: fields.taxRegime,
          cfdi_use: fields.cfdiUse,
        },
      }),
    );
  }
  return presentAccount(row);
}

// ---------------------------------------------------------------------------------------------
// Subscriptions

const presentSubscription = (row: SubscriptionRow) => ({
  id: row.id,
  status: row.status,
  plan: row.plan,
  includedStamps: row.includedStamps,
  stampUnitPrice: Number(row.stampUnitPrice),
  cancelAtPeriodEnd: row.cancelAtPeriodEnd,
  currentPeriodEnd: row.currentPeriodEnd,
  trialEnd: row.trialEnd,
  createdAt: row.createdAt,
  updatedAt: row.updatedAt,
});

export async function listSubscriptions(ctx: ActorContext, organizationId: string) {
  await requireOrgAccess(ctx, organizationId, "subscriptions.manage");
  const rows = await orgSubscriptions(ctx, organizationId);
  return { didHaveSubscription: rows.length > 0, subscriptions: rows.map(presentSubscription) };
}

const orgSubscriptions = (ctx: ServiceContext, organizationId: string) =>
  ctx.db
    .select()
    .from(billingSubscriptions)
    .where(eq(billingSubscriptions.organizationId, organizationId))
    .orderBy(desc(billingSubscriptions.createdAt));

const LIVE = new Set(["trialing", "active", "past_due", "paused", "incomplete", "unpaid"]);

async function liveSubscription(ctx: ServiceContext, organizationId: string) {
  const rows = await orgSubscriptions(ctx, organizationId);
  return rows.find((row) => LIVE.has(row.status));
}

/**
 * Stores what Stripe says of a subscription unless a newer Stripe time is already stored, then writes
 * the organization's effective plan to its ledger. Returns the stored row.
 */
export async function recordSubscription(
  ctx: ServiceContext,
  organizationId: string,
  snapshot: SubscriptionSnapshot,
  stripeTime: number,
): Promise<SubscriptionRow | undefined> {
  const plan = planForSubscription(snapshot.status, snapshot.price, snapshot.deleted);
  if (!plan) {
    ctx.log("warn", "stripe subscription on a price that is no Timbre plan", {
      subscriptionId: snapshot.subscriptionId,
      priceId: snapshot.price?.id,
    });
  }
  const now = nowIso();
  const fields = {
    organizationId,
    status: snapshot.deleted ? "canceled" : snapshot.status,
    priceId: snapshot.price?.id ?? null,
    plan: plan?.key ?? null,
    includedStamps: (plan ?? NO_PLAN).includedStamps,
    stampUnitPrice: (plan ?? NO_PLAN).stampUnitPrice,
    cancelAtPeriodEnd: snapshot.cancelAtPeriodEnd,
    currentPeriodEnd: isoFromUnix(snapshot.currentPeriodEnd),
    trialEnd: isoFromUnix(snapshot.trialEnd),
    stripeUpdatedAt: stripeTime,
    updatedAt: now,
  };
  await ctx.db
    .insert(billingSubscriptions)
    .values({ id: snapshot.subscriptionId, ...fields, createdAt: now })
    .onConflictDoUpdate({
      target: billingSubscriptions.id,
      set: fields,
      // Stripe does not promise order: an older event never overwrites a newer state.
      setWhere: lte(billingSubscriptions.stripeUpdatedAt, stripeTime),
    });
  await applyEffectivePlan(ctx, organizationId);
  const [row] = await ctx.db
    .select()
    .from(billingSubscriptions)
    .where(eq(billingSubscriptions.id, snapshot.subscriptionId));
  return row;
}

/**
 * Writes the plan of the organization's newest entitling subscription (or NO_PLAN) to its ledger.
 * Recomputed from every mirrored subscription, so the end of an old subscription never cancels the
 * plan of a newer one. A set, not an increment: repeating it is harmless.
 */
async function applyEffectivePlan(ctx: ServiceContext, organizationId: string): Promise<Plan> {
  const rows = await orgSubscriptions(ctx, organizationId);
  const entitling = rows.find((row) => entitles(row.status) && row.plan !== null);
  const plan: Plan = entitling
    ? {
        key: entitling.plan,
        includedStamps: entitling.includedStamps,
        stampUnitPrice: entitling.stampUnitPrice,
      }
    : NO_PLAN;
  await ledgerCall(ctx.env, organizationId, (l) =>
    l.configurePlan({
      consumableKey: DEFAULT_CONSUMABLE,
      includedUnits: plan.includedStamps,
      unitPrice: plan.stampUnitPrice,
    }),
  );
  return plan;
}

const stripeNow = () => Math.floor(Date.now() / 1000);

async function recordStripeSubscription(
  ctx: ServiceContext,
  organizationId: string,
  subscription: Stripe.Subscription,
) {
  const row = await recordSubscription(ctx, organizationId, subscriptionSnapshot(subscription), stripeNow());
  if (!row) throw new AppError(500, "internal_error", "The subscription was not recorded");
  return presentSubscription(row);
}

export interface CreateSubscriptionInput {
  paymentMethodId?: string;
  promotionCode?: string;
}

/**
 * Seed #86: a trial when the organization never had a subscription and names no payment method; a
 * paid subscription on the given (or default) payment method otherwise.
 */
export async function createSubscription(
  ctx: ActorContext,
  organizationId: string,
  input: CreateSubscriptionInput,
) {
  const access = await requireOrgAccess(ctx, organizationId, "subscriptions.manage");
  if (await liveSubscription(ctx, organizationId)) {
    throw conflict("subscription_exists", "The organization already has a subscription");
  }
  const paymentMethod = input.paymentMethodId
    ? await paymentMethodOf(ctx, organizationId, input.paymentMethodId)
    : undefined;
  const hadSubscription = (await orgSubscriptions(ctx, organizationId)).length > 0;
  const stripe = stripeClient(ctx.env);
  const customer = await ensureCustomer(ctx, access);
  const defaultMethod =
    paymentMethod?.stripePaymentMethodId ?? (await defaultPaymentMethod(stripe, customer));
  const trial = !hadSubscription && !paymentMethod;
  if (!trial && !defaultMethod) {
    throw badRequest(
      "payment_method_required",
      "Add a payment method first: the free trial was already used",
    );
  }
  const price = await defaultPlanPrice(stripe);
  const promotion = input.promotionCode ? await promotionCodeId(stripe, input.promotionCode) : undefined;
  const subscription = await stripeCall(() =>
    stripe.subscriptions.create({
      customer,
      items: [{ price }],
      metadata: { organization_id: organizationId },
      ...(trial
        ? {
            trial_period_days: TRIAL_DAYS,
            trial_settings: { end_behavior: { missing_payment_method: "cancel" } },
          }
        : { default_payment_method: defaultMethod! }),
      ...(promotion && { discounts: [{ promotion_code: promotion }] }),
    }),
  );
  return recordStripeSubscription(ctx, organizationId, subscription);
}

async function requireLiveSubscription(ctx: ServiceContext, organizationId: string) {
  const row = await liveSubscription(ctx, organizationId);
  if (!row) throw notFound("Subscription", "subscription_not_found");
  return row;
}

/** Seed #87. */
export async function updatePromotionCode(ctx: ActorContext, organizationId: string, promotionCode: string) {
  await requireOrgAccess(ctx, organizationId, "subscriptions.manage");
  const row = await requireLiveSubscription(ctx, organizationId);
  const stripe = stripeClient(ctx.env);
  const promotion = await promotionCodeId(stripe, promotionCode);
  const subscription = await stripeCall(() =>
    stripe.subscriptions.update(row.id, { discounts: [{ promotion_code: promotion }] }),
  );
  return recordStripeSubscription(ctx, organizationId, subscription);
}

/** Seed #85: cancels at the end of the paid period, after the user's password is checked again. */
export async function cancelSubscription(ctx: ActorContext, organizationId: string, password: string) {
  await requireOrgAccess(ctx, organizationId, "subscriptions.manage");
  const [user] = await ctx.db
    .select({ passwordHash: users.passwordHash })
    .from(users)
    .where(eq(users.id, ctx.userId));
  if (!user || !(await verifyPassword(password, user.passwordHash))) {
    throw badRequest("invalid_password", "The password is incorrect");
  }
  const row = await requireLiveSubscription(ctx, organizationId);
  const stripe = stripeClient(ctx.env);
  const subscription = await stripeCall(() =>
    stripe.subscriptions.update(row.id, { cancel_at_period_end: true }),
  );
  return recordStripeSubscription(ctx, organizationId, subscription);
}

/** Seed #88: a paused subscription resumes; one scheduled for cancellation is kept instead. */
export async function resumeSubscription(ctx: ActorContext, organizationId: string) {
  await requireOrgAccess(ctx, organizationId, "subscriptions.manage");
  const row = await requireLiveSubscription(ctx, organizationId);
  if (row.status !== "paused" && !row.cancelAtPeriodEnd) {
    throw conflict(
      "subscription_not_paused",
      "The subscription is neither paused nor scheduled for cancellation",
    );
  }
  const stripe = stripeClient(ctx.env);
  const subscription = await stripeCall(() =>
    row.status === "paused"
      ? stripe.subscriptions.resume(row.id, { billing_cycle_anchor: "unchanged" })
      : stripe.subscriptions.update(row.id, { cancel_at_period_end: false }),
  );
  return recordStripeSubscription(ctx, organizationId, subscription);
}

// ---------------------------------------------------------------------------------------------
// Payment methods (Timbre's uuids over Stripe's pm_ ids)

type PaymentMethodRow = typeof billingPaymentMethods.$inferSelect;

const presentPaymentMethod = (row: PaymentMethodRow) => ({
  id: row.id,
  type: row.type,
  brand: row.brand,
  last4: row.last4,
  expMonth: row.expMonth,
  expYear: row.expYear,
  isDefault: row.isDefault,
  createdAt: row.createdAt,
});

async function paymentMethodOf(ctx: ServiceContext, organizationId: string, id: string) {
  const [row] = await ctx.db
    .select()
    .from(billingPaymentMethods)
    .where(and(eq(billingPaymentMethods.id, id), eq(billingPaymentMethods.organizationId, organizationId)))
    .limit(1);
  if (!row) throw notFound("Payment method");
  return row;
}

async function defaultPaymentMethod(stripe: Stripe, customerId: string): Promise<string | null> {
  const customer = await stripeCall(() => stripe.customers.retrieve(customerId));
  if (customer.deleted) return null;
  const method = customer.invoice_settings?.default_payment_method;
  return typeof method === "string" ? method : (method?.id ?? null);
}

/**
 * Seed #92: the customer's payment methods as Stripe has them now, each under a stable Timbre uuid
 * (rows are added and removed to match Stripe in one batch).
 */
export async function listPaymentMethods(ctx: ActorContext, organizationId: string) {
  await requireOrgAccess(ctx, organizationId, "billing.manage");
  const account = await accountOf(ctx, organizationId);
  if (!account?.stripeCustomerId) return [];
  const customerId = account.stripeCustomerId;
  const stripe = stripeClient(ctx.env);
  const [methods, defaultId] = await Promise.all([
    stripeCall(() => stripe.customers.listPaymentMethods(customerId, { limit: 100 })),
    defaultPaymentMethod(stripe, customerId),
  ]);
  const now = nowIso();
  const known = await ctx.db
    .select()
    .from(billingPaymentMethods)
    .where(eq(billingPaymentMethods.organizationId, organizationId));
  const byStripeId = new Map(known.map((row) => [row.stripePaymentMethodId, row]));
  const current = methods.data.map((pm) => ({
    id: byStripeId.get(pm.id)?.id ?? crypto.randomUUID(),
    organizationId,
    stripePaymentMethodId: pm.id,
    type: pm.type,
    brand: pm.card?.brand ?? null,
    last4: pm.card?.last4 ?? null,
    expMonth: pm.card?.exp_month ?? null,
    expYear: pm.card?.exp_year ?? null,
    isDefault: pm.id === defaultId,
    createdAt: byStripeId.get(pm.id)?.createdAt ?? isoFromUnix(pm.created) ?? now,
    updatedAt: now,
  }));
  const currentIds = new Set(current.map((row) => row.stripePaymentMethodId));
  const gone = known.filter((row) => !currentIds.has(row.stripePaymentMethodId));
  const statements: BatchItem<"sqlite">[] = [
    ...gone.map((row) => ctx.db.delete(billingPaymentMethods).where(eq(billingPaymentMethods.id, row.id))),
    ...current.map((row) =>
      ctx.db
        .insert(billingPaymentMethods)
        .values(row)
        .onConflictDoUpdate({
          target: billingPaymentMethods.stripePaymentMethodId,
          set: {
            brand: row.brand,
            last4: row.last4,
            expMonth: row.expMonth,
            expYear: row.expYear,
            isDefault: row.isDefault,
            updatedAt: now,
          },
        }),
    ),
  ];
  await batchWrite(ctx.db, statements);
  // Read back: a concurrent listing may have stored a first sighting under its own uuid.
  const stored = await ctx.db
    .select()
    .from(billingPaymentMethods)
    .where(eq(billingPaymentMethods.organizationId, organizationId));
  const order = new Map(current.map((row, i) => [row.stripePaymentMethodId, i]));
  return stored
    .filter((row) => order.has(row.stripePaymentMethodId))
    .sort((a, b) => order.get(a.stripePaymentMethodId)! - order.get(b.stripePaymentMethodId)!)
    .map(presentPaymentMethod);
}

/** The payment method by Timbre id, after the tenant check of its own organization (another's → 404). */
async function requirePaymentMethod(ctx: ActorContext, id: string) {
  const [row] = await ctx.db
    .select()
    .from(billingPaymentMethods)
    .where(eq(billingPaymentMethods.id, id))
    .limit(1);
  if (!row) throw notFound("Payment method");
  await requireOrgAccess(ctx, row.organizationId, "billing.manage", "Payment method");
  return row;
}

/** Seed #93. */
export async function deletePaymentMethod(ctx: ActorContext, id: string) {
  const row = await requirePaymentMethod(ctx, id);
  const stripe = stripeClient(ctx.env);
  await stripeCall(() => stripe.paymentMethods.detach(row.stripePaymentMethodId));
  await ctx.db.delete(billingPaymentMethods).where(eq(billingPaymentMethods.id, row.id));
}

/** Seed #94: the customer's default for invoices and subscriptions. */
export async function setDefaultPaymentMethod(ctx: ActorContext, id: string) {
  const row = await requirePaymentMethod(ctx, id);
  const account = await accountOf(ctx, row.organizationId);
  if (!account?.stripeCustomerId) throw notFound("Payment method");
  const customerId = account.stripeCustomerId;
  const stripe = stripeClient(ctx.env);
  await stripeCall(() =>
    stripe.customers.update(customerId, {
      invoice_settings: { default_payment_method: row.stripePaymentMethodId },
    }),
  );
  const now = nowIso();
  await batchWrite(ctx.db, [
    ctx.db
      .update(billingPaymentMethods)
      .set({ isDefault: false, updatedAt: now })
      .where(
        and(
          eq(billingPaymentMethods.organizationId, row.organizationId),
          ne(billingPaymentMethods.id, row.id),
        ),
      ),
    ctx.db
      .update(billingPaymentMethods)
      .set({ isDefault: true, updatedAt: now })
      .where(eq(billingPaymentMethods.id, row.id)),
  ]);
}

// ---------------------------------------------------------------------------------------------
// Billing invoices (Stripe's invoices to the organization)

export interface BillingInvoiceQuery {
  createdAtFrom?: string;
  createdAtTo?: string;
  isSubscription?: boolean;
  page: number;
  limit: number;
}

const isSubscriptionInvoice = (invoice: Stripe.Invoice) =>
  invoice.parent?.type === "subscription_details" || Boolean(invoice.parent?.subscription_details);

/** Seed #90, newest first. Pages are walked with Stripe's cursor up to the one asked for. */
export async function listBillingInvoices(
  ctx: ActorContext,
  organizationId: string,
  query: BillingInvoiceQuery,
) {
  await requireOrgAccess(ctx, organizationId, "billing.manage");
  const account = await accountOf(ctx, organizationId);
  if (!account?.stripeCustomerId) return [];
  const customer = account.stripeCustomerId;
  const stripe = stripeClient(ctx.env);
  const created: Stripe.RangeQueryParam = {};
  if (query.createdAtFrom) created.gte = Math.floor(Date.parse(query.createdAtFrom) / 1000);
  if (query.createdAtTo) created.lte = Math.floor(Date.parse(query.createdAtTo) / 1000);
  const wanted: Stripe.Invoice[] = [];
  const skip = (query.page - 1) * query.limit;
  let seen = 0;
  let startingAfter: string | undefined;
  for (;;) {
    const page = await stripeCall(() =>
      stripe.invoices.list({
        customer,
        limit: 100,
        ...(Object.keys(created).length > 0 && { created }),
        ...(startingAfter && { starting_after: startingAfter }),
      }),
    );
    for (const invoice of page.data) {
      if (query.isSubscription !== undefined && isSubscriptionInvoice(invoice) !== query.isSubscription)
        continue;
      if (seen++ >= skip) wanted.push(invoice);
      if (wanted.length === query.limit) break;
    }
    if (wanted.length === query.limit || !page.has_more || page.data.length === 0) break;
    startingAfter = page.data[page.data.length - 1]!.id;
  }
  return wanted.map((invoice) => ({
    id: invoice.id ?? "",
    number: invoice.number,
    status: invoice.status,
    currency: invoice.currency,
    total: Number(formatMxn(invoice.total)),
    amountDue: Number(formatMxn(invoice.amount_due)),
    amountPaid: Number(formatMxn(invoice.amount_paid)),
    isSubscription: isSubscriptionInvoice(invoice),
    hostedInvoiceUrl: invoice.hosted_invoice_url ?? null,
    invoicePdf: invoice.invoice_pdf ?? null,
    createdAt: isoFromUnix(invoice.created)!,
  }));
}

// ---------------------------------------------------------------------------------------------
// Used by the webhook job

/** The organization of a Stripe customer, when Timbre created it. */
export async function organizationOfCustomer(ctx: ServiceContext, customerId: string | null) {
  if (!customerId) return null;
  const [row] = await ctx.db
    .select({ organizationId: billingAccounts.organizationId })
    .from(billingAccounts)
    .where(eq(billingAccounts.stripeCustomerId, customerId))
    .limit(1);
  return row?.organizationId ?? null;
}

/** The checkout session as Timbre created it, or undefined for one it did not create. */
export async function checkoutSessionRow(ctx: ServiceContext, sessionId: string) {
  const [row] = await ctx.db
    .select()
    .from(billingCheckoutSessions)
    .where(eq(billingCheckoutSessions.id, sessionId))
    .limit(1);
  return row;
}
