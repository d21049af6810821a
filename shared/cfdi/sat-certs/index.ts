/**
 * The SAT certificate store: certificates of SAT and PACs, looked up by the NoCertificadoSAT of a
 * TimbreFiscalDigital to verify its SelloSAT. The data is a generated module (shipped in the bundle,
 * never read from disk); add certificates with `npx tsx scripts/build-sat-certs.ts <folder>`.
 */
import { type CertificateInfo, readCertificate } from "../csd/certificate";
import { SAT_CERTIFICATES } from "./certificates.generated";

const parsed = new Map<string, CertificateInfo>();

/** The certificate SAT or a PAC stamps with, or undefined when the store does not have it. */
export function findSatCertificate(noCertificadoSat: string): CertificateInfo | undefined {
  const cached = parsed.get(noCertificadoSat);
  if (cached) return cached;
  if (!Object.hasOwn(SAT_CERTIFICATES, noCertificadoSat)) return undefined;
  const certificate = readCertificate(SAT_CERTIFICATES[noCertificadoSat]!);
  parsed.set(noCertificadoSat, certificate);
  return certificate;
}

/** Serial numbers the store holds, sorted. */
export const satCertificateSerials = (): string[] => Object.keys(SAT_CERTIFICATES).sort();
