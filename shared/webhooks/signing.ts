/**
 * Signatures of outgoing webhooks, in the scheme Stripe and Facturapi receivers already know:
 * `Timbre-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<raw body>")>`. The timestamp
 * is signed with the body so that a captured request cannot be replayed later than the receiver's
 * tolerance. `verifyWebhookSignature` is what a receiver does (our tests use it as one).
 */
import { constantTimeEqual, randomToken } from "../auth/crypto";
import { hex } from "../encoding";

export const SIGNATURE_HEADER = "Timbre-Signature";
export const EVENT_ID_HEADER = "Timbre-Event-Id";
export const SECRET_PREFIX = "whsec_";

const utf8 = new TextEncoder();

/** A new signing secret (256 random bits). */
export const newWebhookSecret = () => `${SECRET_PREFIX}${randomToken(32)}`;

async function hmacHex(secret: string, message: string): Promise<string> {
  const key = await crypto.subtle.importKey(
    "raw",
    utf8.encode(secret),
    { name: "HMAC", hash: "SHA-256" },
    false,
    ["sign"],
  );
  return hex(await crypto.subtle.sign("HMAC", key, utf8.encode(message)));
}

export async function signWebhook(secret: string, body: string, timestamp: number): Promise<string> {
  return `t=${timestamp},v1=${await hmacHex(secret, `${timestamp}.${body}`)}`;
}

/** True when `header` carries a v1 signature of `body` under `secret`, made within `toleranceSeconds` of `now`. */
export async function verifyWebhookSignature(
  header: string,
  secret: string,
  body: string,
  { toleranceSeconds = 300, now = Date.now() } = {},
): Promise<boolean> {
  const parts = header.split(",").map((p) => p.trim().split("="));
  const t = parts.find(([k]) => k === "t")?.[1];
  const signatures = parts.filter(([k]) => k === "v1").map(([, v]) => v ?? "");
  if (!t || !/^\d+$/.test(t) || signatures.length === 0) return false;
  if (Math.abs(Math.floor(now / 1000) - Number(t)) > toleranceSeconds) return false;
  const expected = await hmacHex(secret, `${t}.${body}`);
  return signatures.some((s) => constantTimeEqual(s, expected));
}
