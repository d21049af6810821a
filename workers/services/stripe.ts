/**
 * The one way to Stripe's API: the official `stripe` package on its fetch HTTP client (Workers have
 * no node:http), configured by STRIPE_SECRET_KEY and, for the local fake, STRIPE_API_BASE. Without a
 * key, billing is not configured: `stripeClient` answers 503 `billing_not_configured`. Stripe's own
 * errors become AppErrors here, so no Stripe exception reaches a route as a 500.
 */
import Stripe from "stripe";
import { AppError } from "../../shared/errors";
import type { AppBindings } from "../env";

type StripeEnv = Pick<AppBindings, "STRIPE_SECRET_KEY" | "STRIPE_API_BASE">;

export const isStripeConfigured = (env: StripeEnv) => Boolean(env.STRIPE_SECRET_KEY?.trim());

export const billingNotConfigured = () =>
  new AppError(
    503,
    "billing_not_configured",
    "Billing is not configured on this server (no STRIPE_SECRET_KEY)",
  );

// Clients are kept per key and origin for the isolate's life: building one sets up every resource.
const clients = new Map<string, Stripe>();

export function stripeClient(env: StripeEnv): Stripe {
  const key = env.STRIPE_SECRET_KEY?.trim();
  if (!key) throw billingNotConfigured();
  const base = env.STRIPE_API_BASE?.trim() || "https://api.stripe.com";
  const cacheKey = `${base}\n${key}`;
  let client = clients.get(cacheKey);
  if (!client) {
    const url = new URL(base);
    client = new Stripe(key, {
      // Resolved per call, not captured once: the global fetch is the one to use at that moment.
      httpClient: Stripe.createFetchHttpClient((input: RequestInfo | URL, init?: RequestInit) =>
        fetch(input, init),
      ),
      host: url.hostname,
      port: url.port || (url.protocol === "http:" ? 80 : 443),
      protocol: url.protocol === "http:" ? "http" : "https",
      maxNetworkRetries: 2,
      timeout: 20_000,
      appInfo: { name: "Timbre" },
    });
    clients.set(cacheKey, client);
  }
  return client;
}

/** Runs a Stripe call, turning Stripe's refusals into AppErrors with stable codes. */
export async function stripeCall<T>(operation: () => Promise<T>): Promise<T> {
  try {
    return await operation();
  } catch (error) {
    if (error instanceof Stripe.errors.StripeError) {
      const code = error.code ?? error.type;
      if (error instanceof Stripe.errors.StripeCardError) {
        throw new AppError(402, "payment_failed", error.message, { stripeCode: code });
      }
      if (error instanceof Stripe.errors.StripeInvalidRequestError) {
        if (error.statusCode === 404 || error.code === "resource_missing") {
          throw new AppError(404, "stripe_resource_missing", error.message, { stripeCode: code });
        }
        throw new AppError(400, "stripe_invalid_request", error.message, { stripeCode: code });
      }
      throw new AppError(502, "stripe_unavailable", "Stripe could not be reached or refused the request", {
        stripeCode: code,
      });
    }
    throw error;
  }
}
