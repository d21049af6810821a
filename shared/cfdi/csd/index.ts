/**
 * CSD credentials (Certificado de Sello Digital): read the .cer and the password-protected .key SAT
 * issues, check they form a usable sealing credential, and sign cadenas with it. Everything here
 * takes bytes (or base64/PEM text), never paths: the API receives uploads, the CLI reads files.
 */

import { bytesToBase64 } from "../../encoding";
import { badRequest, unprocessable } from "../../errors";
import { type CertificateInfo, importPublicKey, readCertificate } from "./certificate";
import { readPrivateKey } from "./private-key";

export { base64ToBytes, bytesToBase64 } from "../../encoding";
export {
  type CertificateInfo,
  type CertificateKind,
  importPublicKey,
  isWithinValidity,
  type KeyUsage,
  readCertificate,
} from "./certificate";
export { type PrivateKeyInfo, readPrivateKey } from "./private-key";

export interface CsdInput {
  /** The .cer: DER bytes, PEM, or base64. */
  cer: Uint8Array | string;
  /** The .key: DER bytes, PEM "ENCRYPTED PRIVATE KEY", or base64. */
  key: Uint8Array | string;
  password: string;
}

export interface Csd {
  certificate: CertificateInfo;
  /** Non-extractable RSASSA-PKCS1-v1_5 SHA-256 signing key. */
  privateKey: CryptoKey;
  /** The certificate as the CFDI `Certificado` attribute carries it. */
  certificateBase64: string;
}

const utf8 = new TextEncoder();

const sameBytes = (a: Uint8Array, b: Uint8Array) =>
  a.length === b.length && a.every((byte, i) => byte === b[i]);

/** One signature round trip; a key whose parts are inconsistent may also make signing itself fail. */
async function signsForCertificate(privateKey: CryptoKey, certificate: CertificateInfo): Promise<boolean> {
  const probe = utf8.encode(`timbre pairing probe ${certificate.serialNumber}`);
  try {
    const signature = await crypto.subtle.sign("RSASSA-PKCS1-v1_5", privateKey, probe);
    const publicKey = await importPublicKey(certificate);
    return await crypto.subtle.verify("RSASSA-PKCS1-v1_5", publicKey, signature, probe);
  } catch {
    return false;
  }
}

/**
 * Opens a CSD and checks it can seal at `now` (default: the current time). Errors, each an AppError:
 * `csd_invalid_certificate`, `csd_invalid_key`, `csd_wrong_password` (400); `csd_is_fiel`,
 * `csd_key_mismatch`, `csd_expired`, `csd_not_yet_valid` (422).
 */
export async function loadCsd(input: CsdInput, options: { now?: Date } = {}): Promise<Csd> {
  const certificate = readCertificate(input.cer);
  if (certificate.kind === "fiel") {
    throw unprocessable(
      "csd_is_fiel",
      `Certificate ${certificate.serialNumber} is an e.firma (FIEL), which SAT does not accept for sealing CFDI; use a CSD`,
    );
  }
  const { privateKey, modulus } = await readPrivateKey(input.key, input.password);
  if (!sameBytes(modulus, certificate.modulus)) {
    throw unprocessable(
      "csd_key_mismatch",
      `The private key does not belong to certificate ${certificate.serialNumber} (${certificate.rfc})`,
    );
  }
  // Same modulus but a damaged private exponent or CRT part would seal with signatures nobody can
  // verify; one signature round trip proves the pair before it is used.
  if (!(await signsForCertificate(privateKey, certificate))) {
    throw badRequest(
      "csd_invalid_key",
      "The private key is damaged: its signatures do not verify with the certificate",
    );
  }
  const now = options.now ?? new Date();
  if (now.getTime() > Date.parse(certificate.notAfter)) {
    throw unprocessable(
      "csd_expired",
      `Certificate ${certificate.serialNumber} expired on ${certificate.notAfter}`,
      { notAfter: certificate.notAfter },
    );
  }
  if (now.getTime() < Date.parse(certificate.notBefore)) {
    throw unprocessable(
      "csd_not_yet_valid",
      `Certificate ${certificate.serialNumber} is valid from ${certificate.notBefore}`,
      { notBefore: certificate.notBefore },
    );
  }
  return { certificate, privateKey, certificateBase64: bytesToBase64(certificate.der) };
}

/** RSA-SHA256 (PKCS#1 v1.5) signature of the UTF-8 text, base64: a CFDI Sello over its cadena. */
export async function signSha256(privateKey: CryptoKey, text: string): Promise<string> {
  const signature = await crypto.subtle.sign("RSASSA-PKCS1-v1_5", privateKey, utf8.encode(text));
  return bytesToBase64(new Uint8Array(signature));
}
