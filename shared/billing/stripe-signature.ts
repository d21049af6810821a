/**
 * Stripe's webhook signature (`Stripe-Signature: t=<unix seconds>,v1=<hex>,v1=<hex>,…`), checked on
 * the raw body bytes as received: each v1 is HMAC-SHA256 under the endpoint's secret of
 * `<t>.<raw body>`. Any v1 may match (Stripe sends one per active secret while a secret is rolled);
 * the timestamp must lie within the tolerance of now, in either direction, so that a captured
 * delivery cannot be replayed later. Every candidate is compared in full, in constant time, so the
 * time taken says nothing about how much of a guess was right. Pure: WebCrypto only.
 */
import { constantTimeEqual } from "../auth/crypto";
import { hex } from "../encoding";

export const STRIPE_SIGNATURE_TOLERANCE_SECONDS = 300;

export type StripeSignatureCheck =
  | { ok: true; timestamp: number }
  | { ok: false; reason: "missing" | "malformed" | "stale" | "mismatch" };

const utf8 = new TextEncoder();

async function signedPayloadHmac(secret: string, timestamp: string, body: Uint8Array): Promise<string> {
  const prefix = utf8.encode(`${timestamp}.`);
  const message = new Uint8Array(prefix.length + body.length);
  message.set(prefix);
  message.set(body, prefix.length);
  const key = await crypto.subtle.importKey(
    "raw",
    utf8.encode(secret),
    { name: "HMAC", hash: "SHA-256" },
    false,
    ["sign"],
  );
  return hex(await crypto.subtle.sign("HMAC", key, message));
}

/** `t` and the v1 signatures of a header; other schemes (v0, test-mode extras) are ignored. */
export function parseStripeSignatureHeader(header: string) {
  let timestamp: string | undefined;
  const signatures: string[] = [];
  for (const part of header.split(",")) {
    const at = part.indexOf("=");
    if (at < 0) continue;
    const key = part.slice(0, at).trim();
    const value = part.slice(at + 1).trim();
    if (key === "t") timestamp = value;
    else if (key === "v1") signatures.push(value.toLowerCase());
  }
  return { timestamp, signatures };
}

export async function verifyStripeSignature(
  body: Uint8Array,
  header: string | undefined,
  secret: string,
  { toleranceSeconds = STRIPE_SIGNATURE_TOLERANCE_SECONDS, now = Date.now() } = {},
): Promise<StripeSignatureCheck> {
  if (!header?.trim()) return { ok: false, reason: "missing" };
  const { timestamp, signatures } = parseStripeSignatureHeader(header);
  if (!timestamp || !/^\d{1,12}$/.test(timestamp) || signatures.length === 0) {
    return { ok: false, reason: "malformed" };
  }
  const t = Number(timestamp);
  if (Math.abs(Math.floor(now / 1000) - t) > toleranceSeconds) return { ok: false, reason: "stale" };
  const expected = await signedPayloadHmac(secret, timestamp, body);
  let matched = false;
  for (const signature of signatures) matched = constantTimeEqual(signature, expected) || matched;
  return matched ? { ok: true, timestamp: t } : { ok: false, reason: "mismatch" };
}

/** The header Stripe would send for `body` at `timestamp` (seconds): for tests and local tooling. */
export async function signStripePayload(secret: string, body: string | Uint8Array, timestamp: number) {
  const bytes = typeof body === "string" ? utf8.encode(body) : body;
  return `t=${timestamp},v1=${await signedPayloadHmac(secret, String(timestamp), bytes)}`;
}
