// Encryption at rest: round trip, binding to the owner (AAD) and purpose, tamper detection, fresh IVs,
// and a derivation any standard HKDF + AES-GCM implementation reproduces (here node:crypto).
import { createCipheriv, hkdfSync, randomBytes } from "node:crypto";
import { describe, expect, it } from "vitest";
import { deriveDataKey, open, seal } from "../../../shared/crypto/envelope";
import { isAppError } from "../../../shared/errors";

const SECRET = Buffer.from("test-data-key-0123456789abcdef01").toString("base64");
const PURPOSE = "csd-credential/v1";
const ORG = "0b9a7f5e-6d0c-4c53-9a1f-2f0f2c1d7e11";
const plaintext = new TextEncoder().encode("-----BEGIN ENCRYPTED PRIVATE KEY----- not really");

async function errorCode(promise: Promise<unknown>): Promise<string | undefined> {
  try {
    await promise;
  } catch (error) {
    return isAppError(error) ? error.code : `not an AppError: ${String(error)}`;
  }
  return undefined;
}

describe("envelope", () => {
  it("round-trips under the same key, purpose and owner", async () => {
    const key = await deriveDataKey(SECRET, PURPOSE);
    const sealed = await seal(key, plaintext, ORG);
    expect(sealed.iv).toHaveLength(12);
    expect(sealed.ciphertext).toHaveLength(plaintext.length + 16);
    expect(await open(await deriveDataKey(SECRET, PURPOSE), sealed, ORG)).toEqual(plaintext);
  });

  it("refuses a ciphertext presented as another owner's", async () => {
    const key = await deriveDataKey(SECRET, PURPOSE);
    const sealed = await seal(key, plaintext, ORG);
    expect(await errorCode(open(key, sealed, crypto.randomUUID()))).toBe("secret_unreadable");
  });

  it("refuses a ciphertext under another purpose or another secret", async () => {
    const sealed = await seal(await deriveDataKey(SECRET, PURPOSE), plaintext, ORG);
    const otherPurpose = await deriveDataKey(SECRET, "fiel-credential/v1");
    const otherSecret = await deriveDataKey(randomBytes(32).toString("base64"), PURPOSE);
    expect(await errorCode(open(otherPurpose, sealed, ORG))).toBe("secret_unreadable");
    expect(await errorCode(open(otherSecret, sealed, ORG))).toBe("secret_unreadable");
  });

  it("detects any flipped bit of the ciphertext, the tag or the IV", async () => {
    const key = await deriveDataKey(SECRET, PURPOSE);
    const sealed = await seal(key, plaintext, ORG);
    for (const at of [0, 7, sealed.ciphertext.length - 1]) {
      const ciphertext = sealed.ciphertext.slice();
      ciphertext[at]! ^= 0x01;
      expect(await errorCode(open(key, { ...sealed, ciphertext }, ORG))).toBe("secret_unreadable");
    }
    const iv = sealed.iv.slice();
    iv[0]! ^= 0x80;
    expect(await errorCode(open(key, { ...sealed, iv }, ORG))).toBe("secret_unreadable");
    expect(
      await errorCode(open(key, { ...sealed, ciphertext: sealed.ciphertext.subarray(0, -1) }, ORG)),
    ).toBe("secret_unreadable");
  });

  it("uses a fresh IV each time, so equal plaintexts never give equal ciphertexts", async () => {
    const key = await deriveDataKey(SECRET, PURPOSE);
    const runs = await Promise.all(Array.from({ length: 50 }, () => seal(key, plaintext, ORG)));
    expect(new Set(runs.map((r) => Buffer.from(r.iv).toString("hex"))).size).toBe(50);
    expect(new Set(runs.map((r) => Buffer.from(r.ciphertext).toString("hex"))).size).toBe(50);
  });

  it("is standard HKDF-SHA256 + AES-256-GCM: node:crypto's ciphertext opens", async () => {
    const raw = Buffer.from(
      hkdfSync("sha256", Buffer.from(SECRET, "base64"), "timbre/data-encryption", PURPOSE, 32),
    );
    const iv = randomBytes(12);
    const cipher = createCipheriv("aes-256-gcm", raw, iv);
    cipher.setAAD(Buffer.from(ORG));
    const ciphertext = Buffer.concat([cipher.update(plaintext), cipher.final(), cipher.getAuthTag()]);
    const key = await deriveDataKey(SECRET, PURPOSE);
    expect(await open(key, { iv, ciphertext }, ORG)).toEqual(plaintext);
  });

  it("refuses a secret that is not base64 of at least 32 bytes", async () => {
    expect(await errorCode(deriveDataKey("", PURPOSE))).toBe("encryption_key_invalid");
    expect(await errorCode(deriveDataKey("not base64!", PURPOSE))).toBe("encryption_key_invalid");
    expect(await errorCode(deriveDataKey(Buffer.alloc(16).toString("base64"), PURPOSE))).toBe(
      "encryption_key_invalid",
    );
  });
});
