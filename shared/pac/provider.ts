/**
 * The stamping-provider contract every PAC client implements: a sealed CFDI in (the embedded
 * sandbox, kind "sealed_xml") or the document's content in (Facturapi, which seals with the CSD
 * uploaded there, kind "document"); the stamped CFDI out, or a refusal carrying the provider's code.
 *
 * A refusal is an `AppError` (status 422) whose `code` is the PAC's: "301"–"307" and "401" from
 * SAT's PAC validation matrix, SAT's CFDI40xxx codes from the CFDI 4.0 error matrix (and the
 * engine's snake_case codes for the rules SAT gives none), with `details.provider` naming who
 * refused. A refusal is final for that document: retrying it is pointless. Anything else thrown
 * (a timeout, a network failure) says nothing about the document and may be retried with the same
 * idempotency key.
 */
import type { Cfdi } from "../cfdi/model";
import { AppError, isAppError } from "../errors";

export interface StampRequest {
  /** The sealed CFDI 4.0, as UTF-8 text. */
  xml: string;
  /** Same key, same document → the same stamp, never a second one. */
  idempotencyKey: string;
}

/**
 * What a document-building provider (Facturapi) gets instead of sealed XML: it builds and seals the
 * CFDI itself, with the CSD the issuer uploaded there, so Timbre hands it the document's content.
 */
export interface DocumentStampRequest {
  /** The computed CFDI (`computeCfdi`), unsealed: what the stamped document must say. */
  document: Cfdi;
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
  /** The provider's own id of the document (Facturapi's invoice id), needed to cancel or refresh it there. */
  providerReference?: string;
}

/** SAT's cancellation motives: 01 with a substituting CFDI, 02 errors without relation, 03 not carried out, 04 global invoice. */
export type CancellationMotive = "01" | "02" | "03" | "04";
/** Where a cancellation request stands at SAT: pending the receiver's answer, or final. */
export type CancellationStatus = "pending" | "accepted" | "rejected" | "expired";

export interface CancelRequest {
  /** The folio fiscal of the CFDI to cancel, upper case. */
  uuid: string;
  issuerRfc: string;
  receiverRfc: string;
  /** The CFDI's Total as written in it (SAT's rules for cancelling without acceptance look at it). */
  total: string;
  /** When the CFDI was stamped, ISO 8601 UTC. */
  stampedAt: string;
  /** The StampResult's providerReference, when the provider gave one. */
  providerReference?: string;
  motive: CancellationMotive;
  /** The substituting CFDI's UUID: required with motive 01, refused with any other. */
  substitution?: string;
  /** Same key → the same cancellation request, never a second one. */
  idempotencyKey: string;
}

export interface CancelResult {
  status: CancellationStatus;
  /** When the provider took the request, ISO 8601 UTC. */
  requestedAt: string;
  /** The provider's own status word, kept as evidence (e.g. Facturapi's cancellation_status). */
  providerStatus?: string;
}

interface ProviderBase {
  /** Stable provider id, e.g. "sandbox", "facturapi". */
  readonly id: string;
  /** Asks for the CFDI's cancellation or throws a refusal (an AppError with a stable code). */
  cancel(request: CancelRequest): Promise<CancelResult>;
}

/** A PAC proper: stamps the CFDI Timbre built and sealed with the organization's CSD. */
export interface SealedXmlProvider extends ProviderBase {
  readonly kind: "sealed_xml";
  /** Stamps the document or throws a refusal (see the module comment). */
  stamp(request: StampRequest): Promise<StampResult>;
}

/** A service that seals with the CSD it holds: it gets the document's content, never Timbre's seal. */
export interface DocumentProvider extends ProviderBase {
  readonly kind: "document";
  /** Builds, seals and stamps the document or throws a refusal (see the module comment). */
  stamp(request: DocumentStampRequest): Promise<StampResult>;
  /** The representation the service prints of a document it stamped (by `providerReference`). */
  downloadPdf(providerReference: string): Promise<Uint8Array>;
}

/** The two kinds differ only in what `stamp` takes; callers branch on `kind`. */
export type StampingProvider = SealedXmlProvider | DocumentProvider;

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

/**
 * Whether a failed stamp request may still have stamped: the provider timed out, failed (5xx), could
 * not be reached, or answered something unreadable. Not a refusal, and not a request the provider
 * turned away before handling it (a rejected API key, rate limiting): those say nothing was stamped.
 * Such a stamp is settled later by asking again with the same idempotency key.
 */
export const isStampOutcomeUnknown = (error: unknown): boolean =>
  !isStampRefusal(error) &&
  (!isAppError(error) ||
    (error.status >= 500 && !["provider_auth_failed", "provider_rate_limited"].includes(error.code)));

/** Whether `error` is a provider's refusal of the document (as opposed to a failure to reach it). */
export const isStampRefusal = (error: unknown): error is AppError =>
  isAppError(error) &&
  error.status === 422 &&
  typeof (error.details as { provider?: unknown } | undefined)?.provider === "string";
