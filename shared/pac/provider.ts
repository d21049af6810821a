/**
 * The stamping-provider contract every PAC client implements (the embedded sandbox here, Facturapi
 * later): a sealed CFDI in, the stamped CFDI out, or a refusal carrying the PAC's own code.
 *
 * A refusal is an `AppError` (status 422) whose `code` is the PAC's: "301"–"307" and "401" from
 * SAT's PAC validation matrix, SAT's CFDI40xxx codes from the CFDI 4.0 error matrix (and the
 * engine's snake_case codes for the rules SAT gives none), with `details.provider` naming who
 * refused. A refusal is final for that document: retrying it is pointless. Anything else thrown
 * (a timeout, a network failure) says nothing about the document and may be retried with the same
 * idempotency key.
 */
import { AppError, isAppError } from "../errors";

export interface StampRequest {
  /** The sealed CFDI 4.0, as UTF-8 text. */
  xml: string;
  /** Same key, same document → the same stamp, never a second one. */
  idempotencyKey: string;
}

export interface StampResult {
  /** The TimbreFiscalDigital's UUID (the folio fiscal), upper case. */
  uuid: string;
  /** When the PAC stamped, ISO 8601 UTC (the TFD's FechaTimbrado is the same instant in Mexico City time). */
  stampedAt: string;
  /** The stamped document: the request's bytes with the TimbreFiscalDigital added in cfdi:Complemento. */
  xml: string;
  /** The TFD's RfcProvCertif. */
  pacRfc: string;
  /** The TFD's NoCertificadoSAT. */
  noCertificadoSat: string;
}

export interface StampingProvider {
  /** Stable provider id, e.g. "sandbox", "facturapi". */
  readonly id: string;
  /** Stamps the document or throws a refusal (see the module comment). */
  stamp(request: StampRequest): Promise<StampResult>;
}

/**
 * PAC codes of SAT's validation matrix that a provider refuses with. 401 is the code PACs return
 * for "Fecha y hora de generación fuera de rango": the Fecha must be within the 72 hours before
 * stamping (and not after it).
 */
export const PAC_CODES = {
  "301": "XML mal formado",
  "302": "Sello mal formado o inválido",
  "303": "Sello no corresponde al emisor",
  "304": "Certificado revocado o caduco",
  "305": "La fecha de emisión no está dentro de la vigencia del CSD del emisor",
  "306": "El certificado no es de tipo CSD",
  "307": "El CFDI contiene un timbre previo",
  "401": "Fecha y hora de generación fuera de rango (más de 72 horas antes del timbrado)",
} as const;
export type PacCode = keyof typeof PAC_CODES;

/** A provider's refusal of a document: AppError 422 with the PAC code and `"<code> - <SAT text>: why"`. */
export function stampRefusal(
  provider: string,
  code: PacCode | (string & {}),
  why: string,
  details: Record<string, unknown> = {},
): AppError {
  const label = Object.hasOwn(PAC_CODES, code) ? `${code} - ${PAC_CODES[code as PacCode]}: ` : `${code} - `;
  return new AppError(422, code, `${label}${why}`, { provider, ...details });
}

/** Whether `error` is a provider's refusal of the document (as opposed to a failure to reach it). */
export const isStampRefusal = (error: unknown): error is AppError =>
  isAppError(error) &&
  error.status === 422 &&
  typeof (error.details as { provider?: unknown } | undefined)?.provider === "string";
