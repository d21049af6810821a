/**
 * A fake of the Stripe API endpoints Timbre uses, following Stripe's REST shapes: form-encoded
 * bodies in Stripe's bracket notation (`metadata[organization_id]=…`, `line_items[0][price]=…`),
 * bearer auth with one secret key, prefixed ids (`cus_`, `cs_test_`, `sub_`, `pm_`, `in_`, `evt_`),
 * lists as `{object: "list", data, has_more, url}`, errors as `{error: {type, message, code, param}}`
 * and Idempotency-Key replays of POSTs.
 *
 * Endpoints: customers (create, retrieve, update, list payment methods), checkout sessions (create,
 * retrieve), prices and promotion codes (list by lookup key / code), subscriptions (create, retrieve,
 * update, resume), payment methods (detach) and invoices (list). Knobs play the customer's side:
 * `completeCheckout` pays a session, `attachPaymentMethod`, `addInvoice`; `event` wraps an object in
 * a Stripe event for webhook tests.
 *
 * Runs wherever Hono does: in workerd called in-process (test/workers/billing.test.ts), or in Node
 * behind ./serve.
 */
import { type Context, Hono } from "hono";

type Json = Record<string, any>;

export interface FakeStripeOptions {
  /** The only key accepted (e.g. "sk_test_…"). */
  apiKey: string;
  clock?: () => Date;
}

export const STANDARD_PRICE = {
  id: "price_TimbreStandard",
  lookup_key: "timbre_standard_monthly",
  unit_amount: 49_900,
};
export const PROMOTION_CODE = { id: "promo_Bienvenida20", code: "BIENVENIDA20", percent_off: 20 };

class StripeError extends Error {
  constructor(
    readonly status: number,
    readonly type: string,
    message: string,
    readonly code?: string,
    readonly param?: string,
  ) {
    super(message);
  }
}

const missing = (what: string, id: string) =>
  new StripeError(404, "invalid_request_error", `No such ${what}: '${id}'`, "resource_missing", "id");
const required = (param: string) =>
  new StripeError(
    400,
    "invalid_request_error",
    `Missing required param: ${param}.`,
    "parameter_missing",
    param,
  );

/** `a[b][0][c]=v` pairs into nested objects and arrays, as Stripe reads them. */
export function parseStripeForm(pairs: Iterable<[string, string]>): Json {
  const root: Json = {};
  for (const [name, value] of pairs) {
    const path = name.replace(/\]/g, "").split("[");
    let node: any = root;
    path.forEach((key, i) => {
      const last = i === path.length - 1;
      const nextIsIndex = !last && /^\d*$/.test(path[i + 1]!);
      const k = key === "" && Array.isArray(node) ? node.length : key;
      if (last) node[k] = value;
      else node = node[k] ??= nextIsIndex ? [] : {};
    });
  }
  return root;
}

const int = (value: unknown) => (value === undefined || value === "" ? undefined : Number(value));
const bool = (value: unknown) => value === "true" || value === true;

export class FakeStripe {
  readonly app = new Hono();
  readonly customers = new Map<string, Json>();
  readonly sessions = new Map<string, Json>();
  readonly subscriptions = new Map<string, Json>();
  readonly paymentMethods = new Map<string, Json>();
  readonly invoices = new Map<string, Json>();
  readonly prices = new Map<string, Json>();
  readonly promotionCodes = new Map<string, Json>();
  /** Every request the fake answered, as `METHOD /path`. */
  readonly requests: string[] = [];
  private readonly idempotent = new Map<string, { status: number; body: Json }>();
  private counter = 0;
  private readonly clock: () => Date;

  readonly fetch = (request: Request) => this.app.fetch(request);

  constructor(private readonly options: FakeStripeOptions) {
    this.clock = options.clock ?? (() => new Date());
    this.prices.set(STANDARD_PRICE.id, {
      id: STANDARD_PRICE.id,
      object: "price",
      active: true,
      currency: "mxn",
      unit_amount: STANDARD_PRICE.unit_amount,
      lookup_key: STANDARD_PRICE.lookup_key,
      recurring: { interval: "month", interval_count: 1 },
      metadata: {},
      type: "recurring",
    });
    this.promotionCodes.set(PROMOTION_CODE.id, {
      id: PROMOTION_CODE.id,
      object: "promotion_code",
      code: PROMOTION_CODE.code,
      active: true,
      coupon: {
        id: "coupon_20",
        object: "coupon",
        percent_off: PROMOTION_CODE.percent_off,
        duration: "forever",
      },
    });
    this.routes();
  }

  private now = () => Math.floor(this.clock().getTime() / 1000);
  private newId = (prefix: string) =>
    `${prefix}${Date.now().toString(36)}${(++this.counter).toString(36)}Fake`;

  private list(url: string, items: Json[], query: Json) {
    let data = items;
    if (query.starting_after) {
      const at = data.findIndex((item) => item.id === query.starting_after);
      data = at < 0 ? [] : data.slice(at + 1);
    }
    const limit = int(query.limit) ?? 10;
    return { object: "list", url, has_more: data.length > limit, data: data.slice(0, limit) };
  }

  private customer(id: string) {
    const customer = this.customers.get(id);
    if (!customer) throw missing("customer", id);
    return customer;
  }

  private routes() {
    const app = this.app;
    app.use("*", async (c, next) => {
      this.requests.push(`${c.req.method} ${new URL(c.req.url).pathname}`);
      if (c.req.header("authorization") !== `Bearer ${this.options.apiKey}`) {
        return c.json(
          {
            error: {
              type: "invalid_request_error",
              message: "Invalid API Key provided",
              code: "api_key_invalid",
            },
          },
          401,
        );
      }
      const key = c.req.method === "POST" ? c.req.header("idempotency-key") : undefined;
      const replay = key ? this.idempotent.get(key) : undefined;
      if (replay) return c.json(replay.body, replay.status as 200, { "idempotent-replayed": "true" });
      await next();
      if (key && c.res.status < 500)
        this.idempotent.set(key, { status: c.res.status, body: await c.res.clone().json() });
    });
    app.onError((error, c) => {
      if (error instanceof StripeError) {
        return c.json(
          { error: { type: error.type, message: error.message, code: error.code, param: error.param } },
          error.status as 400,
        );
      }
      return c.json({ error: { type: "api_error", message: String(error) } }, 500);
    });
    const form = async (c: Context) =>
      parseStripeForm(new URLSearchParams(new TextDecoder().decode(await c.req.arrayBuffer())));
    const query = (c: Context) => parseStripeForm(new URL(c.req.url).searchParams);

    // Customers
    app.post("/v1/customers", async (c) => {
      const body = await form(c);
      const customer = {
        id: this.newId("cus_"),
        object: "customer",
        created: this.now(),
        name: body.name ?? null,
        email: body.email ?? null,
        address: body.address ?? null,
        metadata: body.metadata ?? {},
        invoice_settings: { default_payment_method: null },
        livemode: false,
      };
      this.customers.set(customer.id, customer);
      return c.json(customer);
    });
    app.get("/v1/customers/:id", (c) => c.json(this.customer(c.req.param("id"))));
    app.post("/v1/customers/:id", async (c) => {
      const customer = this.customer(c.req.param("id"));
      const body = await form(c);
      for (const field of ["name", "email", "address"])
        if (body[field] !== undefined) customer[field] = body[field];
      if (body.metadata) customer.metadata = { ...customer.metadata, ...body.metadata };
      const method = body.invoice_settings?.default_payment_method;
      if (method !== undefined) {
        if (method && this.paymentMethods.get(method)?.customer !== customer.id) {
          throw new StripeError(
            400,
            "invalid_request_error",
            `No such PaymentMethod: '${method}'`,
            "resource_missing",
          );
        }
        customer.invoice_settings = { default_payment_method: method || null };
      }
      return c.json(customer);
    });
    app.get("/v1/customers/:id/payment_methods", (c) => {
      const id = c.req.param("id");
      this.customer(id);
      const methods = [...this.paymentMethods.values()].filter((pm) => pm.customer === id).reverse();
      return c.json(this.list(`/v1/customers/${id}/payment_methods`, methods, query(c)));
    });

    // Checkout sessions
    app.post("/v1/checkout/sessions", async (c) => {
      const body = await form(c);
      if (!body.mode) throw required("mode");
      if (body.ui_mode === "embedded" && !body.return_url) throw required("return_url");
      if (body.customer) this.customer(body.customer);
      const items: Json[] = body.line_items ?? [];
      if (body.mode !== "setup" && items.length === 0) throw required("line_items");
      let amount = 0;
      let currency: string | null = body.currency ?? null;
      for (const item of items) {
        const price = item.price ? this.prices.get(item.price) : item.price_data;
        if (!price) throw missing("price", item.price);
        const unitAmount = int(price.unit_amount);
        if (unitAmount === undefined || !Number.isInteger(unitAmount))
          throw required("line_items[0][price_data][unit_amount]");
        amount += unitAmount * (int(item.quantity) ?? 1);
        currency = price.currency;
      }
      if (body.mode === "payment" && amount < 1000 && currency === "mxn") {
        throw new StripeError(
          400,
          "invalid_request_error",
          "Amount must be at least $10.00 mxn",
          "amount_too_small",
        );
      }
      const id = this.newId("cs_test_");
      const session = {
        id,
        object: "checkout.session",
        mode: body.mode,
        ui_mode: body.ui_mode ?? "hosted",
        status: "open",
        payment_status: body.mode === "setup" ? "no_payment_required" : "unpaid",
        amount_total: body.mode === "setup" ? null : amount,
        currency,
        customer: body.customer ?? null,
        metadata: body.metadata ?? {},
        return_url: body.return_url ?? null,
        client_secret: `${id}_secret_${this.newId("")}`,
        created: this.now(),
        expires_at: this.now() + 24 * 3600,
        payment_method_types: ["card"],
        subscription: null,
        subscription_data: body.subscription_data ?? null,
        line_items_input: items,
        discounts: body.discounts ?? [],
        livemode: false,
      };
      this.sessions.set(id, session);
      const { subscription_data: _s, line_items_input: _l, ...visible } = session;
      return c.json(visible);
    });
    app.get("/v1/checkout/sessions/:id", (c) => {
      const session = this.sessions.get(c.req.param("id"));
      if (!session) throw missing("checkout.session", c.req.param("id"));
      const { subscription_data: _s, line_items_input: _l, ...visible } = session;
      return c.json(visible);
    });

    // Prices and promotion codes
    app.get("/v1/prices", (c) => {
      const q = query(c);
      const keys: string[] = q.lookup_keys ?? [];
      const prices = [...this.prices.values()].filter(
        (p) =>
          (keys.length === 0 || keys.includes(p.lookup_key)) &&
          (q.active === undefined || p.active === bool(q.active)),
      );
      return c.json(this.list("/v1/prices", prices, q));
    });
    app.get("/v1/promotion_codes", (c) => {
      const q = query(c);
      const codes = [...this.promotionCodes.values()].filter(
        (p) => (!q.code || p.code === q.code) && (q.active === undefined || p.active === bool(q.active)),
      );
      return c.json(this.list("/v1/promotion_codes", codes, q));
    });

    // Subscriptions
    app.post("/v1/subscriptions", async (c) => {
      const body = await form(c);
      if (!body.customer) throw required("customer");
      const customer = this.customer(body.customer);
      const priceId = body.items?.[0]?.price;
      if (!priceId) throw required("items");
      const trialDays = int(body.trial_period_days);
      const method = body.default_payment_method ?? customer.invoice_settings.default_payment_method;
      if (!trialDays && !method) {
        throw new StripeError(
          400,
          "invalid_request_error",
          "This customer has no attached payment source or default payment method.",
          "resource_missing",
        );
      }
      this.checkPromotion(body.discounts);
      return c.json(
        this.createSubscription(customer.id, priceId, body.metadata ?? {}, trialDays, method ?? null),
      );
    });
    app.get("/v1/subscriptions/:id", (c) => c.json(this.subscription(c.req.param("id"))));
    app.post("/v1/subscriptions/:id", async (c) => {
      const subscription = this.subscription(c.req.param("id"));
      const body = await form(c);
      if (body.cancel_at_period_end !== undefined)
        subscription.cancel_at_period_end = bool(body.cancel_at_period_end);
      if (body.discounts) {
        this.checkPromotion(body.discounts);
        subscription.discounts = body.discounts;
      }
      if (body.metadata) subscription.metadata = { ...subscription.metadata, ...body.metadata };
      return c.json(subscription);
    });
    app.post("/v1/subscriptions/:id/resume", (c) => {
      const subscription = this.subscription(c.req.param("id"));
      if (subscription.status !== "paused") {
        throw new StripeError(400, "invalid_request_error", "Only paused subscriptions can be resumed.");
      }
      subscription.status = "active";
      return c.json(subscription);
    });

    // Payment methods and invoices
    app.post("/v1/payment_methods/:id/detach", (c) => {
      const method = this.paymentMethods.get(c.req.param("id"));
      if (!method) throw missing("PaymentMethod", c.req.param("id"));
      if (!method.customer) {
        throw new StripeError(
          400,
          "invalid_request_error",
          "The payment method is not attached to a customer.",
        );
      }
      const customer = this.customer(method.customer);
      if (customer.invoice_settings.default_payment_method === method.id) {
        customer.invoice_settings.default_payment_method = null;
      }
      method.customer = null;
      return c.json(method);
    });
    app.get("/v1/invoices", (c) => {
      const q = query(c);
      const gte = int(q.created?.gte);
      const lte = int(q.created?.lte);
      const invoices = [...this.invoices.values()]
        .filter((i) => !q.customer || i.customer === q.customer)
        .filter((i) => (gte === undefined || i.created >= gte) && (lte === undefined || i.created <= lte))
        .sort((a, b) => b.created - a.created);
      return c.json(this.list("/v1/invoices", invoices, q));
    });

    app.all("*", (c) => {
      throw new StripeError(
        404,
        "invalid_request_error",
        `Unrecognized request URL (${c.req.method}: ${new URL(c.req.url).pathname}).`,
      );
    });
  }

  private subscription(id: string) {
    const subscription = this.subscriptions.get(id);
    if (!subscription) throw missing("subscription", id);
    return subscription;
  }

  private checkPromotion(discounts: Json[] | undefined) {
    for (const discount of discounts ?? []) {
      if (discount.promotion_code && !this.promotionCodes.has(discount.promotion_code)) {
        throw missing("promotion code", discount.promotion_code);
      }
    }
  }

  private createSubscription(
    customerId: string,
    priceId: string,
    metadata: Json,
    trialDays: number | undefined,
    paymentMethod: string | null,
  ) {
    const price = this.prices.get(priceId);
    if (!price) throw missing("price", priceId);
    const now = this.now();
    const periodEnd = trialDays ? now + trialDays * 86_400 : now + 30 * 86_400;
    const subscription = {
      id: this.newId("sub_"),
      object: "subscription",
      status: trialDays ? "trialing" : "active",
      customer: customerId,
      metadata,
      cancel_at_period_end: false,
      trial_end: trialDays ? periodEnd : null,
      default_payment_method: paymentMethod,
      discounts: [],
      created: now,
      items: {
        object: "list",
        data: [
          {
            id: this.newId("si_"),
            object: "subscription_item",
            price,
            quantity: 1,
            current_period_start: now,
            current_period_end: periodEnd,
          },
        ],
      },
    };
    this.subscriptions.set(subscription.id, subscription);
    return subscription;
  }

  // ---------------------------------------------------------------------------------------------
  // Knobs: the customer's side and Stripe's events

  /** The customer pays the session in the embedded form: Stripe's `checkout.session.completed` object. */
  completeCheckout(sessionId: string) {
    const session = this.sessions.get(sessionId);
    if (!session) throw new Error(`fake stripe: no session ${sessionId}`);
    session.status = "complete";
    if (session.mode === "payment") session.payment_status = "paid";
    if (session.mode === "subscription") {
      session.payment_status = "paid";
      const subscription = this.createSubscription(
        session.customer,
        session.line_items_input[0].price,
        session.subscription_data?.metadata ?? {},
        undefined,
        this.attachPaymentMethod(session.customer).id,
      );
      session.subscription = subscription.id;
    }
    const { subscription_data: _s, line_items_input: _l, ...visible } = session;
    return visible;
  }

  attachPaymentMethod(customerId: string, card: { brand?: string; last4?: string } = {}) {
    this.customer(customerId);
    const method = {
      id: this.newId("pm_"),
      object: "payment_method",
      type: "card",
      customer: customerId,
      created: this.now(),
      card: { brand: card.brand ?? "visa", last4: card.last4 ?? "4242", exp_month: 12, exp_year: 2030 },
    };
    this.paymentMethods.set(method.id, method);
    return method;
  }

  addInvoice(
    customerId: string,
    fields: { total: number; subscription?: string; created?: number; status?: string },
  ) {
    const invoice = {
      id: this.newId("in_"),
      object: "invoice",
      customer: customerId,
      number: `FAKE-${this.counter}`,
      status: fields.status ?? "paid",
      currency: "mxn",
      total: fields.total,
      amount_due: fields.total,
      amount_paid: fields.status === "open" ? 0 : fields.total,
      created: fields.created ?? this.now(),
      hosted_invoice_url: `https://invoice.stripe.test/${this.counter}`,
      invoice_pdf: `https://invoice.stripe.test/${this.counter}.pdf`,
      parent: fields.subscription
        ? { type: "subscription_details", subscription_details: { subscription: fields.subscription } }
        : null,
    };
    this.invoices.set(invoice.id, invoice);
    return invoice;
  }

  /** A Stripe event around `object`, as Stripe would POST it to the webhook endpoint. */
  event(type: string, object: Json, overrides: { id?: string; created?: number } = {}) {
    return {
      id: overrides.id ?? this.newId("evt_"),
      object: "event",
      api_version: "2025-08-27.basil",
      created: overrides.created ?? this.now(),
      type,
      livemode: false,
      pending_webhooks: 1,
      request: { id: null, idempotency_key: null },
      data: { object },
    };
  }
}
