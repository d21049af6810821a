/**
 * Sealing: put the CSD's certificate into the CFDI, compute the cadena original from the model
 * (no XML round trip on this path) and sign it. Refuses a CSD that cannot seal this document.
 */
import { unprocessable } from "../../errors";
import { cadenaOriginal } from "../cadena";
import { type Csd, isWithinValidity, signSha256 } from "../csd";
import type { Cfdi } from "../model";
import { mexicoCityInstant } from "./time";
import { cfdiXml } from "./xml";

export interface SealedCfdi {
  /** The sealed CFDI 4.0 document. */
  xml: string;
  /** The cadena original the Sello signs. */
  cadena: string;
  /** The model `xml` was written from, with NoCertificado, Certificado and Sello set. */
  cfdi: Cfdi;
}

/**
 * Seals a CFDI 4.0 model with a loaded CSD. Errors (AppError 422): `csd_rfc_mismatch` when the
 * certificate belongs to another RFC than Emisor.Rfc; `csd_expired` / `csd_not_yet_valid` when the
 * certificate is not valid at the document's Fecha (read as Mexico City time).
 */
export async function sealCfdi(cfdi: Cfdi, csd: Csd): Promise<SealedCfdi> {
  const { certificate } = csd;
  if (certificate.rfc !== cfdi.Emisor.Rfc) {
    throw unprocessable(
      "csd_rfc_mismatch",
      `The CSD belongs to ${certificate.rfc || "no RFC"}, not to the issuer ${cfdi.Emisor.Rfc}`,
      { csdRfc: certificate.rfc, issuerRfc: cfdi.Emisor.Rfc },
    );
  }
  const issuedAt = mexicoCityInstant(cfdi.Fecha);
  if (!isWithinValidity(certificate, issuedAt)) {
    const expired = issuedAt.getTime() > Date.parse(certificate.notAfter);
    throw unprocessable(
      expired ? "csd_expired" : "csd_not_yet_valid",
      `Certificate ${certificate.serialNumber} is valid from ${certificate.notBefore} to ${certificate.notAfter}, not at the invoice date ${cfdi.Fecha}`,
      { fecha: cfdi.Fecha, notBefore: certificate.notBefore, notAfter: certificate.notAfter },
    );
  }
  const sealed: Cfdi = {
    ...cfdi,
    NoCertificado: certificate.serialNumber,
    Certificado: csd.certificateBase64,
    Sello: undefined,
  };
  const cadena = cadenaOriginal(sealed);
  sealed.Sello = await signSha256(csd.privateKey, cadena);
  return { xml: cfdiXml(sealed), cadena, cfdi: sealed };
}
