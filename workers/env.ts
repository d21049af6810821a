// Bindings and per-request variables of the Worker, typed once for Hono, services and tests.
import type { Db } from "../db/client";
import type { Logger } from "./middleware/logger";

export interface AppBindings {
  DB: D1Database;
  FILES: R2Bucket;
  JOBS: Queue<JobMessage>;
  ORG_LEDGER: DurableObjectNamespace<import("../durable-objects/org-ledger").OrgLedger>;
  NOTIFICATIONS: DurableObjectNamespace<import("../durable-objects/notifications").Notifications>;
  ENVIRONMENT: string;
  DEV_ROUTES?: string;
  ACCESS_TOKEN_TTL_SECONDS?: string;
  TOKEN_SIGNING_KEY: string;
  DATA_ENCRYPTION_KEY: string;
  /** The secret Facturapi signs its webhooks with (Facturapi-Signature); unset, every webhook is refused. */
  FACTURAPI_WEBHOOK_SECRET?: string;
  /** Facturapi's API root (default https://www.facturapi.io/v2); tests point it at the fake. */
  FACTURAPI_BASE_URL?: string;
  /** Stripe's secret API key (`sk_…`); unset, billing answers 503 and top-ups credit directly. */
  STRIPE_SECRET_KEY?: string;
  /** The signing secret of the Stripe webhook endpoint (`whsec_…`); unset, every Stripe webhook is refused. */
  STRIPE_WEBHOOK_SECRET?: string;
  /** Stripe's API origin (default https://api.stripe.com); tests point it at the fake. */
  STRIPE_API_BASE?: string;
  TURSO_DATABASE_URL?: string;
  TURSO_AUTH_TOKEN?: string;
  EMAIL_API_URL?: string;
  EMAIL_API_KEY?: string;
  EMAIL_FROM?: string;
  WHATSAPP_API_URL?: string;
  WHATSAPP_API_TOKEN?: string;
  /** "true" lets webhooks target http and loopback URLs (local tests and demos; ignored in production). */
  WEBHOOKS_ALLOW_INSECURE_LOCAL?: string;
}

/** Messages on the JOBS queue. The dedupe key is minted by the producer so retries keep it. */
export type JobMessage =
  | { type: "outbox.deliver"; messageId: string }
  | { type: "ping"; id: string }
  /** Documents [from, to) of a ZIP import task, in archive order (workers/jobs/zip-import.ts). */
  | { type: "invoices.zip_import"; taskId: string; from: number; to: number }
  /** A verified Facturapi webhook event, stored in provider_webhook_events (workers/jobs/facturapi-webhook.ts). */
  | { type: "facturapi.webhook"; eventId: string }
  /** A verified Stripe event, stored in provider_webhook_events (workers/jobs/stripe-event.ts). */
  | { type: "stripe.event"; eventId: string }
  /** Turn an organization's new events into webhook deliveries (workers/services/webhook-deliveries.ts). */
  | { type: "webhooks.publish"; organizationId: string }
  | { type: "webhooks.deliver"; deliveryId: string }
  /** Read an organization's new invoice events into notifications (workers/services/notifications.ts). */
  | { type: "notifications.poke"; organizationId: string }
  /** Ask the provider again about a stamp left `processing` (workers/jobs/reconcile-stamp.ts). */
  | {
      type: "invoices.reconcile_stamp";
      organizationId: string;
      invoiceId: string;
      providerKey: string;
      holdId: string;
      reservationId: string;
    }
  /** Commit, capture and record a stamp whose invoice is stored (workers/services/stamping.ts). */
  | {
      type: "invoices.settle_stamp";
      organizationId: string;
      reservationId?: string;
      holdId: string;
      invoiceId: string | null;
    };

export interface AuthContext {
  userId: string;
  sessionId: string;
  clientId: string;
}

export type HonoEnv = {
  Bindings: AppBindings;
  Variables: {
    requestId: string;
    log: Logger;
    db: Db;
    auth: AuthContext;
  };
};
