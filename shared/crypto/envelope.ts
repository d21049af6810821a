/**
 * Encryption of secrets at rest (a CSD's private key, later a FIEL): AES-256-GCM under a key derived
 * from one deployment secret. WebCrypto only, so the same code runs in workerd, Node and the CLI.
 *
 * - One key per purpose: HKDF-SHA256 over the secret with the purpose as `info`, so the one secret
 *   never encrypts two kinds of data under the same key (a ciphertext of one kind cannot be passed
 *   off as another).
 * - A fresh random 96-bit IV per encryption; callers store it next to the ciphertext.
 * - Additional authenticated data binds a ciphertext to its owner (the organization id): moved to
 *   another row, it no longer decrypts.
 * Any failure to decrypt is a 500 (`secret_unreadable`): stored data was changed or the secret
 * rotated without re-encryption; it is never the caller's fault and never reveals why.
 */
import { base64ToBytes } from "../encoding";
import { AppError } from "../errors";

export interface Sealed {
  iv: Uint8Array;
  /** Ciphertext followed by the 128-bit GCM tag. */
  ciphertext: Uint8Array;
}

const IV_BYTES = 12;
const MIN_SECRET_BYTES = 32;
const utf8 = new TextEncoder();
// A fixed, public salt: HKDF's extract step only needs it to be constant; the secret carries the entropy.
const HKDF_SALT = utf8.encode("timbre/data-encryption");

const misconfigured = () =>
  new AppError(
    500,
    "encryption_key_invalid",
    `DATA_ENCRYPTION_KEY must be the base64 of at least ${MIN_SECRET_BYTES} random bytes`,
  );

/** The AES-256-GCM key for `purpose` (e.g. "csd-credential/v1") from the base64 `secret`. */
export async function deriveDataKey(secret: string, purpose: string): Promise<CryptoKey> {
  let bytes: Uint8Array;
  try {
    bytes = base64ToBytes(secret);
  } catch {
    throw misconfigured();
  }
  if (bytes.length < MIN_SECRET_BYTES) throw misconfigured();
  const material = await crypto.subtle.importKey("raw", bytes, "HKDF", false, ["deriveKey"]);
  return crypto.subtle.deriveKey(
    { name: "HKDF", hash: "SHA-256", salt: HKDF_SALT, info: utf8.encode(purpose) },
    material,
    { name: "AES-GCM", length: 256 },
    false,
    ["encrypt", "decrypt"],
  );
}

export async function seal(key: CryptoKey, plaintext: Uint8Array, aad: string): Promise<Sealed> {
  const iv = crypto.getRandomValues(new Uint8Array(IV_BYTES));
  const ciphertext = await crypto.subtle.encrypt(
    { name: "AES-GCM", iv, additionalData: utf8.encode(aad), tagLength: 128 },
    key,
    plaintext,
  );
  return { iv, ciphertext: new Uint8Array(ciphertext) };
}

export async function open(key: CryptoKey, sealed: Sealed, aad: string): Promise<Uint8Array> {
  try {
    const plaintext = await crypto.subtle.decrypt(
      { name: "AES-GCM", iv: sealed.iv, additionalData: utf8.encode(aad), tagLength: 128 },
      key,
      sealed.ciphertext,
    );
    return new Uint8Array(plaintext);
  } catch {
    throw new AppError(500, "secret_unreadable", "A stored secret could not be decrypted");
  }
}
