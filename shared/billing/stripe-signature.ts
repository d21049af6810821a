/**
 * Stripe's webhook signature (`Stripe-Signature: t=<unix seconds>,v1=<hex>,v1=<hex>,…`), checked on
 * the raw body bytes as received. It is the scheme our own outgoing webhooks use
 * (shared/webhooks/signing.ts); these are its Stripe-named entry points.
 */
import {
  checkSignature,
  parseSignatureHeader,
  SIGNATURE_TOLERANCE_SECONDS,
  type SignatureCheck,
  signWebhook,
} from "../webhooks/signing";

export const STRIPE_SIGNATURE_TOLERANCE_SECONDS = SIGNATURE_TOLERANCE_SECONDS;
export type StripeSignatureCheck = SignatureCheck;
export const parseStripeSignatureHeader = parseSignatureHeader;

export const verifyStripeSignature = (
  body: Uint8Array,
  header: string | undefined,
  secret: string,
  options: { toleranceSeconds?: number; now?: number } = {},
): Promise<StripeSignatureCheck> => checkSignature(body, header, secret, options);

/** The header Stripe would send for `body` at `timestamp` (seconds): for tests and local tooling. */
export const signStripePayload = (secret: string, body: string | Uint8Array, timestamp: number) =>
  signWebhook(secret, body, timestamp);
