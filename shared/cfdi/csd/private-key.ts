/**
 * Opening SAT .key files: PKCS#8 EncryptedPrivateKeyInfo with PBES2 (PBKDF2 + DES-EDE3-CBC as SAT
 * issues them; AES-CBC too, for keys re-encrypted with current OpenSSL). PBKDF2 and AES run on
 * WebCrypto; 3DES is the one step WebCrypto lacks, so it goes through `node:crypto`, which workerd
 * provides under the `nodejs_compat` flag. The decrypted key is imported straight into WebCrypto
 * (non-extractable) for RSASSA-PKCS1-v1_5 SHA-256 signing, the algorithm of CFDI 3.3/4.0 sellos.
 */
import { createDecipheriv } from "node:crypto";
import { base64ToBytes } from "../../encoding";
import { AppError, badRequest, isAppError } from "../../errors";
import {
  parseDer,
  readOctetString,
  readOid,
  readSmallInteger,
  readUnsignedInteger,
  sequence,
  TAG,
} from "../asn1";

export interface PrivateKeyInfo {
  privateKey: CryptoKey;
  /** RSA modulus (big-endian, no sign byte), compared with the certificate's to pair them. */
  modulus: Uint8Array;
}

const OID = {
  pbes2: "1.2.840.113549.1.5.13",
  pbkdf2: "1.2.840.113549.1.5.12",
  rsaEncryption: "1.2.840.113549.1.1.1",
} as const;

const PRF_HASH: Record<string, string> = {
  "1.2.840.113549.2.7": "SHA-1",
  "1.2.840.113549.2.9": "SHA-256",
  "1.2.840.113549.2.10": "SHA-384",
  "1.2.840.113549.2.11": "SHA-512",
};

interface Cipher {
  keyLength: number;
  decrypt(key: Uint8Array, iv: Uint8Array, data: Uint8Array): Promise<Uint8Array>;
}

const aesCbc = (keyLength: number): Cipher => ({
  keyLength,
  async decrypt(key, iv, data) {
    const cryptoKey = await crypto.subtle.importKey("raw", key, "AES-CBC", false, ["decrypt"]);
    return new Uint8Array(await crypto.subtle.decrypt({ name: "AES-CBC", iv }, cryptoKey, data));
  },
});

const CIPHERS: Record<string, Cipher> = {
  "1.2.840.113549.3.7": {
    keyLength: 24,
    async decrypt(key, iv, data) {
      const decipher = createDecipheriv("des-ede3-cbc", key, iv);
      const head = decipher.update(data);
      const tail = decipher.final();
      const out = new Uint8Array(head.length + tail.length);
      out.set(head);
      out.set(tail, head.length);
      return out;
    },
  },
  "2.16.840.1.101.3.4.1.2": aesCbc(16),
  "2.16.840.1.101.3.4.1.22": aesCbc(24),
  "2.16.840.1.101.3.4.1.42": aesCbc(32),
};

const invalidKey = (why: string) =>
  badRequest(
    "csd_invalid_key",
    `The private key is not a SAT .key file (PKCS#8 encrypted with PBES2): ${why}`,
  );
const wrongPassword = () =>
  badRequest("csd_wrong_password", "The password does not open the private key (.key)");

const PEM_BLOCK = /-----BEGIN ENCRYPTED PRIVATE KEY-----([\s\S]*?)-----END ENCRYPTED PRIVATE KEY-----/;

function keyBytes(input: Uint8Array | string): Uint8Array {
  if (typeof input !== "string") return new Uint8Array(input.buffer, input.byteOffset, input.byteLength);
  const pem = PEM_BLOCK.exec(input);
  return base64ToBytes(pem ? pem[1]! : input, "csd_invalid_key");
}

interface EncryptedKey {
  salt: Uint8Array;
  iterations: number;
  hash: string;
  cipher: Cipher;
  iv: Uint8Array;
  data: Uint8Array;
}

function readEncryptedKey(der: Uint8Array): EncryptedKey {
  const [algorithm, encrypted] = sequence(parseDer(der), "EncryptedPrivateKeyInfo");
  const [schemeOid, schemeParams] = sequence(algorithm, "encryptionAlgorithm");
  if (readOid(schemeOid) !== OID.pbes2) throw invalidKey("only PBES2 encryption is supported");
  const [kdf, encryption] = sequence(schemeParams, "PBES2-params");
  const [kdfOid, kdfParams] = sequence(kdf, "keyDerivationFunc");
  if (readOid(kdfOid) !== OID.pbkdf2) throw invalidKey("only PBKDF2 key derivation is supported");
  const [salt, iterations, ...rest] = sequence(kdfParams, "PBKDF2-params");
  // keyLength is optional and precedes the optional prf, which defaults to hmacWithSHA1.
  const prf = rest.find((node) => node.tag === TAG.SEQUENCE);
  const prfOid = prf ? readOid(sequence(prf, "prf")[0]) : "1.2.840.113549.2.7";
  const hash = PRF_HASH[prfOid];
  if (!hash) throw invalidKey(`unsupported PBKDF2 PRF ${prfOid}`);
  const [cipherOid, iv] = sequence(encryption, "encryptionScheme");
  const cipherId = readOid(cipherOid);
  const cipher = CIPHERS[cipherId];
  if (!cipher) throw invalidKey(`unsupported cipher ${cipherId}`);
  return {
    salt: readOctetString(salt, "PBKDF2 salt"),
    iterations: readSmallInteger(iterations, "PBKDF2 iterationCount"),
    hash,
    cipher,
    iv: readOctetString(iv, "cipher IV"),
    data: readOctetString(encrypted, "encryptedData"),
  };
}

async function deriveKey(password: string, key: EncryptedKey): Promise<Uint8Array> {
  const material = await crypto.subtle.importKey("raw", new TextEncoder().encode(password), "PBKDF2", false, [
    "deriveBits",
  ]);
  const bits = await crypto.subtle.deriveBits(
    { name: "PBKDF2", salt: key.salt, iterations: key.iterations, hash: key.hash },
    material,
    key.cipher.keyLength * 8,
  );
  return new Uint8Array(bits);
}

/** The RSA modulus of a PKCS#8 PrivateKeyInfo; throws when the bytes are not one (i.e. a wrong password). */
function rsaModulusOf(privateKeyInfo: Uint8Array): Uint8Array {
  const [, algorithm, privateKey] = sequence(parseDer(privateKeyInfo), "PrivateKeyInfo");
  if (readOid(sequence(algorithm, "privateKeyAlgorithm")[0]) !== OID.rsaEncryption) {
    throw invalidKey("the key is not RSA");
  }
  const [, modulus] = sequence(parseDer(readOctetString(privateKey, "privateKey")), "RSAPrivateKey");
  // A copy: the plaintext it points into is wiped once imported.
  return readUnsignedInteger(modulus, "RSA modulus").slice();
}

/**
 * Decrypts a SAT .key (DER bytes, PEM "ENCRYPTED PRIVATE KEY", or base64 of the DER) with its
 * password and imports it for signing. Errors: `csd_invalid_key` (not an encrypted PKCS#8 RSA key),
 * `csd_wrong_password`.
 */
export async function readPrivateKey(input: Uint8Array | string, password: string): Promise<PrivateKeyInfo> {
  let encrypted: EncryptedKey;
  try {
    encrypted = readEncryptedKey(keyBytes(input));
  } catch (error) {
    if (isAppError(error) && error.code === "csd_invalid_key") throw error;
    throw invalidKey(error instanceof Error ? error.message : String(error));
  }

  let plain: Uint8Array;
  let modulus: Uint8Array;
  try {
    plain = await encrypted.cipher.decrypt(
      await deriveKey(password, encrypted),
      encrypted.iv,
      encrypted.data,
    );
    modulus = rsaModulusOf(plain);
  } catch (error) {
    // A wrong password yields bad padding (cipher error) or, 1 time in ~256, garbage that is not DER.
    if (isAppError(error) && error.code === "csd_invalid_key") throw error;
    throw wrongPassword();
  }

  try {
    const privateKey = await crypto.subtle.importKey(
      "pkcs8",
      plain,
      { name: "RSASSA-PKCS1-v1_5", hash: "SHA-256" },
      false,
      ["sign"],
    );
    return { privateKey, modulus };
  } catch (error) {
    if (error instanceof AppError) throw error;
    throw invalidKey(`the decrypted key could not be imported (${String(error)})`);
  } finally {
    plain.fill(0);
  }
}
