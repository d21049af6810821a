/**
 * Reading SAT X.509 certificates (.cer files and the CFDI `Certificado` attribute).
 *
 * CSD or FIEL: SAT issues both from the same CAs with near-identical subjects, and nothing in the
 * certificate says "CSD" outright. The rule used here (the one phpcfdi and SAT-facing tools rely on,
 * tightened with the key usage): a certificate is a CSD when its subject has a non-empty
 * organizationalUnitName (SAT requires a branch/unit name when a CSD is requested; e.firma subjects
 * have none) AND its keyUsage grants nothing beyond digitalSignature and nonRepudiation (e.firma
 * certificates also grant dataEncipherment and keyAgreement, for encrypted exchanges with SAT).
 * Anything else is reported as `fiel`: the only use of `kind` is to refuse sealing with it.
 */

import { base64ToBytes } from "../../encoding";
import { badRequest, isAppError } from "../../errors";
import {
  contextTag,
  type DerNode,
  parseDer,
  readBits,
  readOid,
  readString,
  readTime,
  readUnsignedInteger,
  sequence,
  TAG,
  toHex,
} from "../asn1";

export type CertificateKind = "csd" | "fiel";

export const KEY_USAGE_NAMES = [
  "digitalSignature",
  "nonRepudiation",
  "keyEncipherment",
  "dataEncipherment",
  "keyAgreement",
  "keyCertSign",
  "cRLSign",
  "encipherOnly",
  "decipherOnly",
] as const;
export type KeyUsage = (typeof KEY_USAGE_NAMES)[number];

export interface CertificateInfo {
  /**
   * SAT's certificate number (the CFDI `NoCertificado`): SAT serials are ASCII digits stored as
   * bytes, so serial 0x3330303031… is "30001…". Serials that are not ASCII digits (non-SAT
   * certificates) are given in lower-case hex.
   */
  serialNumber: string;
  /** Holder's RFC (x500UniqueIdentifier; for "RFC / RFC-of-legal-representative" the first one), "" if none. */
  rfc: string;
  /** Holder's name (subject name, else commonName, else organizationName). */
  name: string;
  /** Subject organizationalUnitName: the CSD branch name, "" when absent. */
  branch: string;
  /** Issuer commonName, e.g. "AC UAT" for SAT's test CA. */
  issuer: string;
  /** Validity as ISO-8601 UTC strings. */
  notBefore: string;
  notAfter: string;
  kind: CertificateKind;
  keyUsage: KeyUsage[];
  /** DER SubjectPublicKeyInfo, ready for `crypto.subtle.importKey("spki", …)`. */
  spki: Uint8Array;
  /** RSA modulus (big-endian, no sign byte), to pair a private key with its certificate. */
  modulus: Uint8Array;
  /** The whole certificate, DER. */
  der: Uint8Array;
}

const OID = {
  commonName: "2.5.4.3",
  organizationName: "2.5.4.10",
  organizationalUnitName: "2.5.4.11",
  name: "2.5.4.41",
  x500UniqueIdentifier: "2.5.4.45",
  keyUsage: "2.5.29.15",
  rsaEncryption: "1.2.840.113549.1.1.1",
} as const;

const RFC_PATTERN = /^[A-ZÑ&]{3,4}\d{6}[A-Z\d]{3}$/;
const PEM_BLOCK = /-----BEGIN [A-Z ]+-----([\s\S]*?)-----END [A-Z ]+-----/;

/** DER bytes from raw DER, a PEM text, or the base64 of a CFDI `Certificado` attribute. */
function certificateBytes(input: Uint8Array | string): Uint8Array {
  // A private plain copy: the info must not change if the caller reuses its buffer (or hands a Buffer).
  if (typeof input !== "string") return new Uint8Array(input);
  const pem = PEM_BLOCK.exec(input);
  return base64ToBytes(pem ? pem[1]! : input, "csd_invalid_certificate");
}

function nameAttributes(name: DerNode): Map<string, string> {
  const out = new Map<string, string>();
  for (const rdn of sequence(name, "Name")) {
    for (const atv of sequence(rdn, "RelativeDistinguishedName", TAG.SET)) {
      const [type, value] = sequence(atv, "AttributeTypeAndValue");
      const oid = readOid(type, "attribute type");
      // The first occurrence wins; SAT names never repeat an attribute.
      if (!out.has(oid)) out.set(oid, readString(value, `attribute ${oid}`).trim());
    }
  }
  return out;
}

function satSerial(serial: Uint8Array): string {
  const asciiDigits = serial.length > 0 && serial.every((b) => b >= 0x30 && b <= 0x39);
  return asciiDigits ? String.fromCharCode(...serial) : toHex(serial);
}

function firstRfc(uniqueIdentifier: string | undefined): string {
  for (const part of (uniqueIdentifier ?? "").split("/")) {
    const candidate = part.trim().toUpperCase();
    if (RFC_PATTERN.test(candidate)) return candidate;
  }
  return "";
}

function readKeyUsage(extensions: DerNode | undefined): KeyUsage[] {
  if (!extensions) return [];
  const [list] = sequence(extensions, "extensions", contextTag(3));
  for (const extension of sequence(list, "Extensions")) {
    const parts = sequence(extension, "Extension");
    if (readOid(parts[0], "extension id") !== OID.keyUsage) continue;
    // Extension ::= SEQUENCE { extnID, critical BOOLEAN DEFAULT FALSE, extnValue OCTET STRING }
    const extnValue = parts[parts.length - 1];
    if (extnValue?.tag !== TAG.OCTET_STRING) throw badRequest("asn1_malformed", "keyUsage has no value");
    const bits = readBits(parseDer(extnValue.value), "keyUsage");
    return KEY_USAGE_NAMES.filter((_, i) => bits[i] === true);
  }
  return [];
}

function rsaModulus(spki: DerNode): Uint8Array {
  const [algorithm, publicKey] = sequence(spki, "SubjectPublicKeyInfo");
  const [algorithmOid] = sequence(algorithm, "AlgorithmIdentifier");
  if (readOid(algorithmOid, "public key algorithm") !== OID.rsaEncryption) {
    throw badRequest(
      "csd_invalid_certificate",
      "The certificate's public key is not RSA, as SAT certificates are",
    );
  }
  if (publicKey?.tag !== TAG.BIT_STRING || publicKey.value[0] !== 0) {
    throw badRequest("asn1_malformed", "subjectPublicKey is not a whole-byte BIT STRING");
  }
  const [modulus] = sequence(parseDer(publicKey.value.subarray(1)), "RSAPublicKey");
  return readUnsignedInteger(modulus, "RSA modulus");
}

const isCsd = (branch: string, keyUsage: KeyUsage[]) =>
  branch !== "" &&
  keyUsage.length > 0 &&
  keyUsage.every((u) => u === "digitalSignature" || u === "nonRepudiation");

/**
 * Reads a DER X.509 certificate (bytes, PEM text, or base64 as in the CFDI `Certificado` attribute).
 * Throws `AppError(400, "csd_invalid_certificate")` when it is not a readable RSA certificate.
 */
export function readCertificate(input: Uint8Array | string): CertificateInfo {
  try {
    const der = certificateBytes(input);
    const certificate = parseDer(der);
    const [tbs] = sequence(certificate, "Certificate");
    const fields = sequence(tbs, "TBSCertificate");
    // The version is an optional [0]; everything after it is positional.
    const at = fields[0]?.tag === contextTag(0) ? 1 : 0;
    const serial = readUnsignedInteger(fields[at], "serialNumber");
    const issuer = nameAttributes(fields[at + 2]!);
    const [notBefore, notAfter] = sequence(fields[at + 3], "Validity");
    const subject = nameAttributes(fields[at + 4]!);
    const spki = fields[at + 5];
    if (!spki) throw badRequest("asn1_malformed", "subjectPublicKeyInfo is missing");
    const extensions = fields.slice(at + 6).find((f) => f.tag === contextTag(3));

    const branch = subject.get(OID.organizationalUnitName) ?? "";
    const keyUsage = readKeyUsage(extensions);
    return {
      serialNumber: satSerial(serial),
      rfc: firstRfc(subject.get(OID.x500UniqueIdentifier)),
      name: subject.get(OID.name) ?? subject.get(OID.commonName) ?? subject.get(OID.organizationName) ?? "",
      branch,
      issuer: issuer.get(OID.commonName) ?? issuer.get(OID.organizationName) ?? "",
      notBefore: readTime(notBefore, "notBefore").toISOString(),
      notAfter: readTime(notAfter, "notAfter").toISOString(),
      kind: isCsd(branch, keyUsage) ? "csd" : "fiel",
      keyUsage,
      spki: spki.der,
      modulus: rsaModulus(spki),
      der,
    };
  } catch (error) {
    if (isAppError(error) && error.code === "csd_invalid_certificate") throw error;
    const why = error instanceof Error ? error.message : String(error);
    throw badRequest(
      "csd_invalid_certificate",
      `The certificate is not a readable X.509 certificate (${why})`,
    );
  }
}

/** Whether `at` falls within the certificate's notBefore..notAfter (inclusive). */
export function isWithinValidity(certificate: CertificateInfo, at: Date): boolean {
  const t = at.getTime();
  return t >= Date.parse(certificate.notBefore) && t <= Date.parse(certificate.notAfter);
}

/** The certificate's RSA public key, for verifying SHA-256 sellos (CFDI 3.3/4.0, TFD 1.1). */
export function importPublicKey(certificate: Pick<CertificateInfo, "spki">): Promise<CryptoKey> {
  return crypto.subtle.importKey(
    "spki",
    certificate.spki,
    { name: "RSASSA-PKCS1-v1_5", hash: "SHA-256" },
    false,
    ["verify"],
  );
}
