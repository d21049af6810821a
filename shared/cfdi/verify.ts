/**
 * Cryptographic verification of a CFDI: is the Sello the issuer's RSA-SHA256 signature over the
 * cadena original, made with a CSD that matches the document (serial, RFC, validity at Fecha), and,
 * when stamped, is the TimbreFiscalDigital bound to that Sello and signed by SAT/the PAC?
 *
 * Business rules (catalogs, amounts, per-type structure) are validation's job (./validate).
 *
 * Every check has a stable `check` name and an outcome `code`; `status` is "passed", "failed", or
 * "unknown_certificate"/"unsupported" when the check could not be made. Only "failed" and
 * "unsupported" make the document invalid: a SelloSAT whose certificate is not in the store
 * (./sat-certs) is reported, not held against the document.
 */
import { createPublicKey, type KeyObject, verify as verifySignature } from "node:crypto";
import { base64ToBytes } from "../encoding";
import { isAppError } from "../errors";
import { cadenaOriginal, tfdCadena } from "./cadena";
import { type CertificateInfo, readCertificate } from "./csd/certificate";
import { type Cfdi, type TimbreFiscalDigital, timbre } from "./model";
import { findSatCertificate } from "./sat-certs";

export type VerificationCheckName =
  | "sello"
  | "certificate"
  | "certificate_serial"
  | "certificate_rfc"
  | "certificate_validity"
  | "certificate_kind"
  | "tfd_sello_cfd"
  | "tfd_sello_sat";

export type VerificationStatus = "passed" | "failed" | "unknown_certificate" | "unsupported";

export interface VerificationCheck {
  check: VerificationCheckName;
  /** Stable outcome code, e.g. "sello_valid", "sello_invalid", "certificate_rfc_mismatch". */
  code: string;
  /** False when the check failed or could not be made for lack of support; the document is then not valid. */
  ok: boolean;
  status: VerificationStatus;
  message: string;
}

export interface VerificationReport {
  valid: boolean;
  checks: VerificationCheck[];
  /** The issuer's certificate as read from the Certificado attribute, when readable. */
  certificate?: Pick<CertificateInfo, "serialNumber" | "rfc" | "name" | "notBefore" | "notAfter" | "kind">;
}

const passed = (check: VerificationCheckName, code: string, message: string): VerificationCheck => ({
  check,
  code,
  ok: true,
  status: "passed",
  message,
});
const failed = (check: VerificationCheckName, code: string, message: string): VerificationCheck => ({
  check,
  code,
  ok: false,
  status: "failed",
  message,
});

interface CachedCertificate {
  /** The Certificado attribute this entry was read from. */
  source: string;
  certificate?: CertificateInfo;
  publicKey?: KeyObject;
  error?: string;
}

/** Real batches repeat a few issuers; parsing + importing a key costs far more than a verification. */
const CERTIFICATE_CACHE_SIZE = 256;
const certificateCache = new Map<string, CachedCertificate>();

/**
 * The cache is keyed by the certificate's length and tail (its signature bytes, unique per
 * certificate) rather than the whole ~1.7 KB of base64: every parsed document brings a fresh
 * string, and hashing it in full costs more than the lookup is worth. The full text is compared on
 * every hit, so a shared tail can only cost a re-read, never a wrong key.
 */
const cacheKey = (certificadoBase64: string) => `${certificadoBase64.length}:${certificadoBase64.slice(-64)}`;

function certificateFor(certificadoBase64: string): CachedCertificate {
  const key = cacheKey(certificadoBase64);
  const hit = certificateCache.get(key);
  if (hit && hit.source === certificadoBase64) return hit;
  let entry: CachedCertificate;
  try {
    const certificate = readCertificate(certificadoBase64);
    entry = { source: certificadoBase64, certificate, publicKey: verificationKey(certificate) };
  } catch (error) {
    entry = { source: certificadoBase64, error: error instanceof Error ? error.message : String(error) };
  }
  if (!hit && certificateCache.size >= CERTIFICATE_CACHE_SIZE) {
    certificateCache.delete(certificateCache.keys().next().value!);
  }
  certificateCache.set(key, entry);
  return entry;
}

/**
 * Verification uses node:crypto's synchronous verify (present in Node and, under nodejs_compat, in
 * workerd) rather than WebCrypto: in Node, WebCrypto hops to a thread pool and costs ~90 µs per RSA
 * verification against ~35 µs here, which is the difference between bulk verification keeping up
 * with parsing or not. Signing (./csd) stays on WebCrypto.
 */
function verificationKey(certificate: Pick<CertificateInfo, "spki">): KeyObject {
  return createPublicKey({ key: Buffer.from(certificate.spki), format: "der", type: "spki" });
}

/** Keys of the SAT certificate store, imported once each (the store is small and fixed). */
const satKeys = new Map<string, KeyObject>();
function satPublicKey(serial: string, certificate: CertificateInfo): KeyObject {
  let key = satKeys.get(serial);
  if (!key) {
    key = verificationKey(certificate);
    satKeys.set(serial, key);
  }
  return key;
}

const utf8 = new TextEncoder();

/** Plain base64 with nothing to strip: the usual Sello, which Buffer can then decode natively. */
const COMPACT_BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

function signatureBytes(signatureBase64: string): Uint8Array {
  if (COMPACT_BASE64.test(signatureBase64) && signatureBase64.length % 4 !== 1) {
    return Buffer.from(signatureBase64, "base64");
  }
  return base64ToBytes(signatureBase64);
}

function verifySha256(publicKey: KeyObject, signatureBase64: string, text: string): boolean {
  let signature: Uint8Array;
  try {
    signature = signatureBytes(signatureBase64);
  } catch {
    return false;
  }
  try {
    return verifySignature("sha256", utf8.encode(text), publicKey, signature);
  } catch {
    return false;
  }
}

/**
 * Whether `cfdi.Sello` is a valid RSA-SHA256 signature of `cadena` by the key of `cfdi.Certificado`.
 * False (never a throw) for an unreadable certificate or a Sello that is not base64. The hot path of
 * bulk verification: public keys are cached per certificate.
 */
export function verifySello(cfdi: Pick<Cfdi, "Sello" | "Certificado">, cadena: string): boolean {
  if (!cfdi.Sello || !cfdi.Certificado) return false;
  const { publicKey } = certificateFor(cfdi.Certificado);
  if (!publicKey) return false;
  try {
    return verifySha256(publicKey, cfdi.Sello, cadena);
  } catch {
    return false;
  }
}

const FECHA_PATTERN = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}$/;
const HOUR = 3_600_000;
/**
 * Fecha is local time at LugarExpedicion, without offset. Mexico's zones span UTC-5 (Quintana Roo)
 * to UTC-8 (Baja California in winter), so a Fecha maps to an instant between Fecha+5h and Fecha+8h
 * (UTC). It is judged inside the certificate's validity when some instant of that window is.
 */
const MEXICO_OFFSETS_HOURS = { min: 5, max: 8 } as const;

function fechaWindow(fecha: string): { earliest: number; latest: number } | undefined {
  if (!FECHA_PATTERN.test(fecha)) return undefined;
  const asUtc = Date.parse(`${fecha}Z`);
  if (Number.isNaN(asUtc)) return undefined;
  return {
    earliest: asUtc + MEXICO_OFFSETS_HOURS.min * HOUR,
    latest: asUtc + MEXICO_OFFSETS_HOURS.max * HOUR,
  };
}

function unsupported(check: VerificationCheckName, error: unknown): VerificationCheck {
  if (!isAppError(error)) throw error;
  return { check, code: error.code, ok: false, status: "unsupported", message: error.message };
}

async function selloChecks(
  cfdi: Cfdi,
  sello: string,
  certificate: CachedCertificate,
): Promise<VerificationCheck[]> {
  if (!certificate.certificate || !certificate.publicKey) {
    return [
      failed(
        "certificate",
        "certificate_invalid",
        `The Certificado attribute is not a readable certificate: ${certificate.error}`,
      ),
    ];
  }
  const info = certificate.certificate;
  const checks: VerificationCheck[] = [];

  let cadena: string | undefined;
  try {
    cadena = cadenaOriginal(cfdi);
  } catch (error) {
    checks.push(unsupported("sello", error));
  }
  if (cadena !== undefined) {
    checks.push(
      verifySha256(certificate.publicKey, sello, cadena)
        ? passed("sello", "sello_valid", "The Sello is a valid RSA-SHA256 signature of the cadena original")
        : failed(
            "sello",
            "sello_invalid",
            "The Sello does not match the cadena original: the document was altered after sealing, or sealed with another certificate",
          ),
    );
  }

  checks.push(
    info.serialNumber === cfdi.NoCertificado
      ? passed(
          "certificate_serial",
          "certificate_serial_match",
          `NoCertificado ${cfdi.NoCertificado} is the certificate's serial`,
        )
      : failed(
          "certificate_serial",
          "certificate_serial_mismatch",
          `NoCertificado "${cfdi.NoCertificado}" differs from the certificate's serial ${info.serialNumber}`,
        ),
  );

  checks.push(
    info.rfc !== "" && info.rfc === cfdi.Emisor.Rfc.toUpperCase()
      ? passed(
          "certificate_rfc",
          "certificate_rfc_match",
          `The certificate belongs to the issuer ${info.rfc}`,
        )
      : failed(
          "certificate_rfc",
          "certificate_rfc_mismatch",
          `The certificate belongs to ${info.rfc || "no RFC"}, not to the issuer ${cfdi.Emisor.Rfc}`,
        ),
  );

  const window = fechaWindow(cfdi.Fecha);
  if (!window) {
    checks.push(
      failed(
        "certificate_validity",
        "fecha_invalid",
        `Fecha "${cfdi.Fecha}" is not a date-time AAAA-MM-DDThh:mm:ss`,
      ),
    );
  } else {
    const inside =
      window.latest >= Date.parse(info.notBefore) && window.earliest <= Date.parse(info.notAfter);
    checks.push(
      inside
        ? passed(
            "certificate_validity",
            "fecha_within_certificate_validity",
            `Fecha ${cfdi.Fecha} is within the certificate's validity (${info.notBefore} to ${info.notAfter})`,
          )
        : failed(
            "certificate_validity",
            "fecha_outside_certificate_validity",
            `Fecha ${cfdi.Fecha} is outside the certificate's validity (${info.notBefore} to ${info.notAfter})`,
          ),
    );
  }

  checks.push(
    info.kind === "csd"
      ? passed("certificate_kind", "certificate_is_csd", "The certificate is a CSD")
      : failed(
          "certificate_kind",
          "certificate_not_csd",
          "The certificate is an e.firma (FIEL), not a CSD: SAT does not accept it for sealing",
        ),
  );
  return checks;
}

async function tfdChecks(cfdi: Cfdi, tfd: TimbreFiscalDigital): Promise<VerificationCheck[]> {
  const checks: VerificationCheck[] = [
    tfd.SelloCFD === cfdi.Sello
      ? passed("tfd_sello_cfd", "tfd_sello_cfd_match", "The stamp's SelloCFD is the document's Sello")
      : failed(
          "tfd_sello_cfd",
          "tfd_sello_cfd_mismatch",
          "The stamp's SelloCFD differs from the document's Sello: the stamp belongs to another document",
        ),
  ];

  const satCertificate = findSatCertificate(tfd.NoCertificadoSAT);
  if (!satCertificate) {
    checks.push({
      check: "tfd_sello_sat",
      code: "tfd_sat_certificate_unknown",
      ok: true,
      status: "unknown_certificate",
      message: `SelloSAT not verified: certificate ${tfd.NoCertificadoSAT} is not in the SAT certificate store`,
    });
    return checks;
  }
  let cadena: string;
  try {
    cadena = tfdCadena(tfd);
  } catch (error) {
    checks.push(unsupported("tfd_sello_sat", error));
    return checks;
  }
  const valid = verifySha256(satPublicKey(tfd.NoCertificadoSAT, satCertificate), tfd.SelloSAT, cadena);
  checks.push(
    valid
      ? satCertificate.sandbox
        ? passed(
            "tfd_sello_sat",
            "tfd_sello_sat_valid_sandbox",
            `SelloSAT verified with certificate ${tfd.NoCertificadoSAT} of Timbre's sandbox PAC: a test stamp, not a fiscal document`,
          )
        : passed(
            "tfd_sello_sat",
            "tfd_sello_sat_valid",
            `SelloSAT verified with certificate ${tfd.NoCertificadoSAT}`,
          )
      : failed(
          "tfd_sello_sat",
          "tfd_sello_sat_invalid",
          `SelloSAT does not verify with certificate ${tfd.NoCertificadoSAT}`,
        ),
  );
  return checks;
}

/** Verifies Sello, certificate and stamp; see the module comment for the checks and their codes. */
export async function verifyCfdi(cfdi: Cfdi): Promise<VerificationReport> {
  const checks: VerificationCheck[] = [];
  let certificate: CachedCertificate | undefined;
  if (!cfdi.Sello || !cfdi.Certificado) {
    checks.push(
      failed("sello", "sello_missing", "The document is not sealed: Sello or Certificado is empty"),
    );
  } else {
    certificate = certificateFor(cfdi.Certificado);
    checks.push(...(await selloChecks(cfdi, cfdi.Sello, certificate)));
  }
  const tfd = timbre(cfdi);
  if (tfd) checks.push(...(await tfdChecks(cfdi, tfd)));

  const info = certificate?.certificate;
  return {
    valid: checks.every((c) => c.ok),
    checks,
    ...(info && {
      certificate: {
        serialNumber: info.serialNumber,
        rfc: info.rfc,
        name: info.name,
        notBefore: info.notBefore,
        notAfter: info.notAfter,
        kind: info.kind,
      },
    }),
  };
}
