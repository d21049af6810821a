/**
 * Cancellation in the embedded sandbox PAC: SAT's rules as a PAC applies them to a request, the
 * sandbox's recognition of its own stamps, and its book of cancellation requests.
 *
 * Recognition is stateless: every sandbox stamp carries a `providerReference` that is an HMAC (under a
 * key derived from the sandbox certificate's private key) of the stamped CFDI's facts: UUID, issuer
 * and receiver RFC, Total, TipoDeComprobante and stamping instant. A cancel request whose facts do not
 * match its reference (or that has none) names a CFDI this sandbox never stamped: SAT's 205. So any
 * isolate, before or after a restart, recognizes every stamp, and a caller cannot claim a smaller
 * Total or an earlier stamp to dodge the receiver's acceptance.
 *
 * Cancelling without the receiver's acceptance (RMF 2.7.1.35, "Cancelación de CFDI sin aceptación del
 * receptor", in force since 2022; `cancelsWithoutAcceptance`):
 *   I.    Total up to $1,000.00, except payment complements (type P);
 *   II.   nómina (type N);  III. egresos (type E);  IV. traslado (type T);
 *   VII.  operations with the general public (receiver XAXX010101000);
 *   VIII. foreign residents (receiver XEXX010101000);
 *   IX.   requested by the end of the business day after issuance (Mexico City dates, Monday to
 *         Friday; SAT's holidays are not modeled, which only ever makes the sandbox stricter).
 * The rule's other cases (RIF receivers, retenciones, sector primario, the financial system, the
 * Federation) depend on facts a PAC cannot read off the request and are not applied. The older
 * thresholds ($5,000, 72 hours) were replaced by these in 2022.
 * Any other CFDI waits for the receiver: `pending`, then `accepted` or `rejected` by the receiver's
 * answer (`settle`), or `expired` when 72 hours pass without one (the request lapses: the CFDI stays
 * valid and a new request may be made).
 */
import { dec } from "../cfdi/amounts";
import { mexicoCityDateTime } from "../cfdi/build/time";
import { base64ToBytes, base64url } from "../encoding";
import type { CancellationMotive, CancellationStatus, CancelRequest, CancelResult } from "./provider";
import { SANDBOX_PRIVATE_KEY_PKCS8 } from "./sandbox-certificate/credential.generated";

const HOUR = 3_600_000;
/** How long the receiver has to answer before the request lapses. */
export const CANCELLATION_ANSWER_WINDOW_MS = 72 * HOUR;
/** RMF 2.7.1.35 I: the Total up to which no acceptance is needed. */
export const CANCEL_WITHOUT_ACCEPTANCE_MAX_TOTAL = "1000.00";
export const GENERIC_RFC_PUBLIC = "XAXX010101000";
export const GENERIC_RFC_FOREIGN = "XEXX010101000";

/** SAT's cancellation service answers that the sandbox gives (Anexo 20, servicio de cancelación). */
export const CANCEL_CODES = {
  "202": "UUID previamente cancelado",
  "205": "UUID no existe",
  "207": "Motivo de cancelación no válido",
  "208": "Folio de sustitución inválido",
  "209": "Folio de sustitución no requerido",
} as const;

export const CANCELLATION_MOTIVES: readonly CancellationMotive[] = ["01", "02", "03", "04"];
const UUID = /^[0-9A-F]{8}-[0-9A-F]{4}-[0-9A-F]{4}-[0-9A-F]{4}-[0-9A-F]{12}$/i;

/** The facts of a stamped CFDI that cancellation looks at. */
export interface StampedFacts {
  uuid: string;
  issuerRfc: string;
  receiverRfc: string;
  total: string;
  /** TipoDeComprobante: I, E, P, N, T. */
  type: string;
  /** ISO 8601 UTC. */
  stampedAt: string;
}

// ---------------------------------------------------------------------------------------------
// References

let referenceKey: Promise<CryptoKey> | undefined;
/** Derived from the sandbox's private key, so references need no secret of their own. */
const sandboxReferenceKey = () =>
  (referenceKey ??= (async () => {
    const label = new TextEncoder().encode("timbre sandbox stamp reference\n");
    const pkcs8 = base64ToBytes(SANDBOX_PRIVATE_KEY_PKCS8);
    const material = new Uint8Array(label.length + pkcs8.length);
    material.set(label);
    material.set(pkcs8, label.length);
    const seed = await crypto.subtle.digest("SHA-256", material);
    return crypto.subtle.importKey("raw", seed, { name: "HMAC", hash: "SHA-256" }, false, ["sign", "verify"]);
  })());

/** One spelling per fact, whatever the caller stored: RFCs upper case, Total as a decimal, whole seconds. */
function canonicalFacts(facts: StampedFacts): Uint8Array | undefined {
  const at = Date.parse(facts.stampedAt);
  if (Number.isNaN(at) || !/^-?\d+(\.\d+)?$/.test(facts.total.trim())) return undefined;
  return new TextEncoder().encode(
    [
      facts.uuid.toUpperCase(),
      facts.issuerRfc.trim().toUpperCase(),
      facts.receiverRfc.trim().toUpperCase(),
      dec(facts.total.trim()).toFixed(),
      facts.type,
      Math.floor(at / 1000),
    ].join("|"),
  );
}

const PREFIX = "sbx1";

/** The `providerReference` of a sandbox stamp: `sbx1.<type>.<HMAC of the facts>`. */
export async function sandboxReference(facts: StampedFacts): Promise<string> {
  const data = canonicalFacts(facts);
  if (!data) throw new Error("sandboxReference: unreadable Total or stamping time");
  const mac = await crypto.subtle.sign("HMAC", await sandboxReferenceKey(), data);
  return `${PREFIX}.${facts.type}.${base64url(new Uint8Array(mac))}`;
}

/** The stamped CFDI's type when `reference` is this sandbox's reference for the request's facts. */
export async function recognizedType(request: CancelRequest): Promise<string | undefined> {
  const [prefix, type, mac, ...rest] = (request.providerReference ?? "").split(".");
  if (prefix !== PREFIX || !type || !mac || rest.length > 0 || !/^[A-Za-z0-9_-]+$/.test(mac))
    return undefined;
  const data = canonicalFacts({ ...request, type });
  if (!data) return undefined;
  const signature = base64ToBytes(
    mac
      .replace(/-/g, "+")
      .replace(/_/g, "/")
      .padEnd(Math.ceil(mac.length / 4) * 4, "="),
  );
  // verify() compares in constant time.
  return (await crypto.subtle.verify("HMAC", await sandboxReferenceKey(), signature, data))
    ? type
    : undefined;
}

// ---------------------------------------------------------------------------------------------
// SAT's rules

/** The business day after a Mexico City date (YYYY-MM-DD), Monday to Friday. */
function nextBusinessDay(date: string): string {
  const day = new Date(`${date}T00:00:00Z`);
  do day.setUTCDate(day.getUTCDate() + 1);
  while (day.getUTCDay() === 0 || day.getUTCDay() === 6);
  return day.toISOString().slice(0, 10);
}

/**
 * Which case of RMF 2.7.1.35 lets the CFDI be cancelled without the receiver's acceptance at `now`
 * (see the module comment), or undefined when the receiver must accept.
 */
export function cancelsWithoutAcceptance(facts: StampedFacts, now: Date): string | undefined {
  const receiver = facts.receiverRfc.trim().toUpperCase();
  if (facts.type === "N") return "II: nómina";
  if (facts.type === "E") return "III: egreso";
  if (facts.type === "T") return "IV: traslado";
  if (receiver === GENERIC_RFC_PUBLIC) return "VII: público en general";
  if (receiver === GENERIC_RFC_FOREIGN) return "VIII: residente en el extranjero";
  if (facts.type !== "P" && dec(facts.total).lte(CANCEL_WITHOUT_ACCEPTANCE_MAX_TOTAL)) {
    return "I: total de hasta $1,000.00";
  }
  const issued = mexicoCityDateTime(new Date(facts.stampedAt)).slice(0, 10);
  if (mexicoCityDateTime(now).slice(0, 10) <= nextBusinessDay(issued)) {
    return "IX: a más tardar el día hábil siguiente a su expedición";
  }
  return undefined;
}

/** Why the motive/substitution pair is refused (SAT's code and text), or undefined when it is fine. */
export function motiveProblem(request: Pick<CancelRequest, "uuid" | "motive" | "substitution">) {
  if (!CANCELLATION_MOTIVES.includes(request.motive)) {
    return { code: "207" as const, why: `motive ${String(request.motive)} is not one of 01, 02, 03, 04` };
  }
  if (request.motive === "01") {
    if (!request.substitution || !UUID.test(request.substitution)) {
      return { code: "208" as const, why: "motive 01 requires the substituting CFDI's UUID" };
    }
    if (request.substitution.toUpperCase() === request.uuid.toUpperCase()) {
      return { code: "208" as const, why: "a CFDI cannot substitute itself" };
    }
  } else if (request.substitution !== undefined) {
    return { code: "209" as const, why: `motive ${request.motive} takes no substitution (only 01 does)` };
  }
  return undefined;
}

// ---------------------------------------------------------------------------------------------
// The book of requests

export interface CancellationRequestRecord {
  uuid: string;
  motive: CancellationMotive;
  substitution?: string;
  idempotencyKey: string;
  requestedAt: string;
  /** The status decided so far; a `pending` one reads as `expired` once the answer window passes. */
  status: CancellationStatus;
  /** Which RMF 2.7.1.35 case applied, when no acceptance was needed. */
  withoutAcceptance?: string;
}

/** SAT's wording of each state (its EstatusCancelacion), kept by callers as evidence. */
const SAT_WORDING: Record<CancellationStatus, string> = {
  accepted: "Cancelado",
  pending: "En proceso",
  rejected: "Solicitud rechazada",
  expired: "Plazo vencido sin respuesta del receptor",
};

/** A request's status at `now`: an unanswered request lapses after the answer window. */
export function statusAt(record: CancellationRequestRecord, now: Date): CancellationStatus {
  if (
    record.status === "pending" &&
    now.getTime() - Date.parse(record.requestedAt) >= CANCELLATION_ANSWER_WINDOW_MS
  ) {
    return "expired";
  }
  return record.status;
}

export function resultOf(record: CancellationRequestRecord, now: Date): CancelResult {
  const status = statusAt(record, now);
  const wording = record.withoutAcceptance
    ? `Cancelado sin aceptación (RMF 2.7.1.35 ${record.withoutAcceptance})`
    : status === "accepted"
      ? "Cancelado con aceptación"
      : SAT_WORDING[status];
  return { status, requestedAt: record.requestedAt, providerStatus: wording };
}
