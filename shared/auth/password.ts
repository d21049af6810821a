/**
 * Password policy (the seed's rule) and hashing. PBKDF2-SHA256 through WebCrypto at 100,000
 * iterations: the most the Workers runtime accepts (it rejects higher counts), so the stored format
 * carries the count and can be raised if the runtime ever allows it.
 */
import { base64ToBytes, bytesToBase64 } from "../encoding";
import { constantTimeEqual, randomBytes } from "./crypto";

export const PBKDF2_ITERATIONS = 100_000;
const encoder = new TextEncoder();

/** "at least 8 characters, including lowercase, uppercase, number, and special character". */
export function passwordPolicyViolation(password: string): string | null {
  if (password.length < 8) return "Password must be at least 8 characters long";
  if (password.length > 256) return "Password must be at most 256 characters long";
  if (!/[a-z]/.test(password)) return "Password must include a lowercase letter";
  if (!/[A-Z]/.test(password)) return "Password must include an uppercase letter";
  if (!/[0-9]/.test(password)) return "Password must include a number";
  if (!/[^A-Za-z0-9]/.test(password)) return "Password must include a special character";
  return null;
}

async function derive(password: string, salt: Uint8Array, iterations: number): Promise<Uint8Array> {
  const key = await crypto.subtle.importKey("raw", encoder.encode(password), "PBKDF2", false, ["deriveBits"]);
  const bits = await crypto.subtle.deriveBits(
    { name: "PBKDF2", hash: "SHA-256", salt, iterations },
    key,
    256,
  );
  return new Uint8Array(bits);
}

/** Format: `pbkdf2-sha256$<iterations>$<salt b64>$<hash b64>`. */
export async function hashPassword(password: string, iterations = PBKDF2_ITERATIONS): Promise<string> {
  const salt = randomBytes(16);
  const hash = await derive(password, salt, iterations);
  return `pbkdf2-sha256$${iterations}$${bytesToBase64(salt)}$${bytesToBase64(hash)}`;
}

export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const [scheme, iter, saltB64, hashB64] = stored.split("$");
  if (scheme !== "pbkdf2-sha256" || !iter || !saltB64 || !hashB64) return false;
  const hash = await derive(password, base64ToBytes(saltB64), Number(iter));
  return constantTimeEqual(bytesToBase64(hash), hashB64);
}
