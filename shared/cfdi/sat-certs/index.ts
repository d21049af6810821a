/**
 * The SAT certificate store: certificates of SAT and PACs, looked up by the NoCertificadoSAT of a
 * TimbreFiscalDigital to verify its SelloSAT. The data is generated modules (shipped in the bundle,
 * never read from disk): SAT's with `npx tsx scripts/build-sat-certs.ts <folder>`, and Timbre's
 * sandbox PAC certificate (shared/pac) with `bash shared/pac/sandbox-certificate/generate.sh`.
 * Sandbox certificates are kept apart and flagged, so a verification can tell a test stamp from a
 * fiscal one.
 */
import { type CertificateInfo, readCertificate } from "../csd/certificate";
import { SAT_CERTIFICATES } from "./certificates.generated";
import { SANDBOX_CERTIFICATES } from "./sandbox.generated";

export interface StoreCertificate extends CertificateInfo {
  /** True for Timbre's sandbox PAC: its stamps are test material, not fiscal documents. */
  sandbox: boolean;
}

const parsed = new Map<string, StoreCertificate>();

/** The certificate SAT or a PAC stamps with, or undefined when the store does not have it. */
export function findSatCertificate(noCertificadoSat: string): StoreCertificate | undefined {
  const cached = parsed.get(noCertificadoSat);
  if (cached) return cached;
  const sandbox = Object.hasOwn(SANDBOX_CERTIFICATES, noCertificadoSat);
  const source = sandbox
    ? SANDBOX_CERTIFICATES[noCertificadoSat]
    : Object.hasOwn(SAT_CERTIFICATES, noCertificadoSat)
      ? SAT_CERTIFICATES[noCertificadoSat]
      : undefined;
  if (source === undefined) return undefined;
  const certificate = { ...readCertificate(source), sandbox };
  parsed.set(noCertificadoSat, certificate);
  return certificate;
}

/** Serial numbers of SAT's certificates the store holds (sandbox ones excluded), sorted. */
export const satCertificateSerials = (): string[] => Object.keys(SAT_CERTIFICATES).sort();

/** Serial numbers of the sandbox PAC certificates the store holds, sorted. */
export const sandboxCertificateSerials = (): string[] => Object.keys(SANDBOX_CERTIFICATES).sort();
