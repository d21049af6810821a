/**
 * Timestamped HMAC signatures, the one scheme Timbre signs its outgoing webhooks with and Stripe signs
 * its webhooks to us with: `t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<raw body>")>[,v1=…]`.
 * The timestamp is signed with the body so that a captured request cannot be replayed later than the
 * receiver's tolerance; any v1 may match (a sender rolling its secret sends one per secret), and every
 * candidate is compared in full, in constant time. Pure: WebCrypto only.
 */
import { constantTimeEqual, hmacSha256Hex, randomToken } from "../auth/crypto";

export const SIGNATURE_HEADER = "Timbre-Signature";
export const EVENT_ID_HEADER = "Timbre-Event-Id";
export const SECRET_PREFIX = "whsec_";
export const SIGNATURE_TOLERANCE_SECONDS = 300;

export type SignatureCheck =
  | { ok: true; timestamp: number }
  | { ok: false; reason: "missing" | "malformed" | "stale" | "mismatch" };

const utf8 = new TextEncoder();

/** A new signing secret (256 random bits). */
export const newWebhookSecret = () => `${SECRET_PREFIX}${randomToken(32)}`;

async function signedPayloadHmac(secret: string, timestamp: string, body: string | Uint8Array) {
  const bytes = typeof body === "string" ? utf8.encode(body) : body;
  const prefix = utf8.encode(`${timestamp}.`);
  const message = new Uint8Array(prefix.length + bytes.length);
  message.set(prefix);
  message.set(bytes, prefix.length);
  return hmacSha256Hex(secret, message);
}

/** The header for `body` signed at `timestamp` (seconds). */
export async function signWebhook(
  secret: string,
  body: string | Uint8Array,
  timestamp: number,
): Promise<string> {
  return `t=${timestamp},v1=${await signedPayloadHmac(secret, String(timestamp), body)}`;
}

/** `t` and the v1 signatures of a header; other schemes (v0, test-mode extras) are ignored. */
export function parseSignatureHeader(header: string) {
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

/** Checks `header` against the raw `body`, saying why it fails. */
export async function checkSignature(
  body: string | Uint8Array,
  header: string | undefined,
  secret: string,
  { toleranceSeconds = SIGNATURE_TOLERANCE_SECONDS, now = Date.now() } = {},
): Promise<SignatureCheck> {
  if (!header?.trim()) return { ok: false, reason: "missing" };
  const { timestamp, signatures } = parseSignatureHeader(header);
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

/** What a receiver of our webhooks does (our tests act as one): true when the signature holds. */
export async function verifyWebhookSignature(
  header: string,
  secret: string,
  body: string,
  options: { toleranceSeconds?: number; now?: number } = {},
): Promise<boolean> {
  return (await checkSignature(body, header, secret, options)).ok;
}
