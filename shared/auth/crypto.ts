// Small WebCrypto primitives shared by auth flows. WebCrypto exists in workerd and in Node alike.
import { base64url, hex } from "../encoding";

const encoder = new TextEncoder();

export function randomBytes(length: number): Uint8Array {
  const bytes = new Uint8Array(length);
  crypto.getRandomValues(bytes);
  return bytes;
}

/** An opaque secret for refresh tokens, temporary tokens and invitation codes (256 bits). */
export const randomToken = (bytes = 32) => base64url(randomBytes(bytes));

/** A numeric one-time code drawn without modulo bias. */
export function randomDigits(length: number): string {
  let out = "";
  while (out.length < length) {
    const [b] = randomBytes(1);
    if (b !== undefined && b < 250) out += String(b % 10);
  }
  return out;
}

export async function sha256Hex(input: string | Uint8Array): Promise<string> {
  const data = typeof input === "string" ? encoder.encode(input) : input;
  return hex(await crypto.subtle.digest("SHA-256", data));
}

/** Hex HMAC-SHA256 of `message` under a text secret (webhook signatures, both ways). */
export async function hmacSha256Hex(secret: string, message: string | Uint8Array): Promise<string> {
  const key = await crypto.subtle.importKey(
    "raw",
    encoder.encode(secret),
    { name: "HMAC", hash: "SHA-256" },
    false,
    ["sign"],
  );
  const data = typeof message === "string" ? encoder.encode(message) : message;
  return hex(await crypto.subtle.sign("HMAC", key, data));
}

/** Compares two strings in time that depends only on their length. */
export function constantTimeEqual(a: string, b: string): boolean {
  const ab = encoder.encode(a);
  const bb = encoder.encode(b);
  let diff = ab.length ^ bb.length;
  const n = Math.max(ab.length, bb.length);
  for (let i = 0; i < n; i++) diff |= (ab[i] ?? 0) ^ (bb[i] ?? 0);
  return diff === 0;
}
