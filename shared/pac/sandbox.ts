/**
 * The embedded sandbox PAC: the checks a PAC makes that can run locally, then a TimbreFiscalDigital
 * 1.1 signed with Timbre's sandbox certificate (./sandbox-certificate; the engine's certificate
 * store knows it, so sandbox stamps verify end to end and are reported as sandbox stamps).
 *
 * Checks, in order, each refusing with the PAC's code (./provider):
 *   parse → 301; not CFDI 4.0 → 301; already stamped → 307;
 *   Sello, certificate and issuer (the engine's verifyCfdi) → 302 bad Sello or NoCertificado,
 *     303 certificate of another RFC, 305 Fecha outside the CSD's validity, 306 not a CSD (FIEL),
 *     CFDI40101 unreadable Fecha;
 *   certificate expired at stamping time → 304;
 *   Fecha more than 72 h before stamping, or after it → 401;
 *   SAT business rules (the engine's validateCfdi) → the first error's code (CFDI40xxx, CRP20xxx…).
 * Not checkable locally: revocation and registry (LCO/LRFC) lookups, postal codes and product keys
 * unless `lookups` are given.
 *
 * Fecha carries no offset; it is read as Mexico City time (what buildCfdi writes). Mexico's other
 * zones are at most 1 h ahead (Quintana Roo), so a Fecha up to 1 h after the stamping time passes;
 * issuers 1–2 h behind (Baja California, Sonora…) see the 72 h window end that much earlier.
 *
 * Idempotent: the same idempotencyKey, or the same document (by its Sello), stamped again by this
 * instance returns the first result; the same key with another document is a 409. The memory is
 * this instance's and bounded (`memory` results); durable idempotency is the caller's.
 *
 * Cancelling (./sandbox-cancellation has SAT's rules and the references): motive 01 without a
 * substituting UUID → 208, another motive with one → 209, an unknown motive → 207; a CFDI this
 * sandbox never stamped (its reference does not match the facts) → 205; already cancelled → 202;
 * a request still waiting for the receiver → `cancellation_in_progress`. Then `accepted` at once when
 * RMF 2.7.1.35 needs no acceptance, else `pending` until `settleCancellation` gives the receiver's
 * answer or 72 hours pass (`expired`). The same idempotency key returns the same request, as it
 * stands now. Requests are remembered like stamps: by this instance, bounded.
 */

import type { CatalogLookups } from "../catalogs";
import { mexicoCityDateTime, mexicoCityInstant } from "../cfdi/build/time";
import { tfdCadena } from "../cfdi/cadena";
import { signSha256 } from "../cfdi/csd";
import { type Cfdi, type TimbreFiscalDigital, timbre } from "../cfdi/model";
import { cfdiFromXml } from "../cfdi/parse";
import { validateCfdi } from "../cfdi/validate";
import { type VerificationCheck, type VerificationReport, verifyCfdi } from "../cfdi/verify";
import { parseXml } from "../cfdi/xml";
import { base64ToBytes } from "../encoding";
import { conflict, isAppError } from "../errors";
import {
  type CancelRequest,
  type CancelResult,
  type SealedXmlProvider,
  type StampRequest,
  type StampResult,
  stampRefusal,
} from "./provider";
import {
  CANCEL_CODES,
  type CancellationRequestRecord,
  cancelsWithoutAcceptance,
  motiveProblem,
  recognizedType,
  resultOf,
  sandboxReference,
  statusAt,
} from "./sandbox-cancellation";
import {
  SANDBOX_CERTIFICATE_SERIAL,
  SANDBOX_PRIVATE_KEY_PKCS8,
} from "./sandbox-certificate/credential.generated";
import { insertIntoComplemento, timbreXml } from "./tfd";

/** RfcProvCertif of sandbox stamps: SAT's own test PAC RFC, the one PAC test environments stamp with. */
export const SANDBOX_PAC_RFC = "SPR190613I52";
export { SANDBOX_CERTIFICATE_SERIAL };

const HOUR = 3_600_000;
/** SAT: a CFDI is stamped within 72 hours of its Fecha. */
export const STAMP_WINDOW_MS = 72 * HOUR;
/** Fecha read as Mexico City time may run ahead of the real instant by up to 1 h (Quintana Roo), plus clock skew. */
const FUTURE_TOLERANCE_MS = HOUR + 5 * 60_000;

export interface SandboxPacOptions {
  /** The stamping clock (default: the current time); tests move it to cross the 72-hour window. */
  clock?: () => Date;
  /** c_ClaveProdServ / c_CodigoPostal lookups for validateCfdi; without them those keys are not checked. */
  lookups?: CatalogLookups;
  /** How many stamps this instance remembers for idempotent replays (default 1,000). */
  memory?: number;
}

/** Which verifyCfdi failures map to which PAC code, in the order a PAC reports them. */
const VERIFY_CODES: Record<string, string> = {
  sello_missing: "302",
  certificate_invalid: "302",
  sello_invalid: "302",
  certificate_serial_mismatch: "302",
  certificate_rfc_mismatch: "303",
  fecha_outside_certificate_validity: "305",
  certificate_not_csd: "306",
  fecha_invalid: "CFDI40101",
};
const VERIFY_ORDER = Object.keys(VERIFY_CODES);

let signingKey: Promise<CryptoKey> | undefined;
/** Imported once per isolate: importing a PKCS#8 key costs more than a signature. */
const sandboxKey = () =>
  (signingKey ??= crypto.subtle.importKey(
    "pkcs8",
    base64ToBytes(SANDBOX_PRIVATE_KEY_PKCS8),
    { name: "RSASSA-PKCS1-v1_5", hash: "SHA-256" },
    false,
    ["sign"],
  ));

type IssuerCertificate = NonNullable<VerificationReport["certificate"]>;

interface Remembered {
  sello: string;
  result: Promise<StampResult>;
}

interface RememberedCancellation {
  uuid: string;
  motive: string;
  substitution: string | undefined;
  record: Promise<CancellationRequestRecord>;
}

export class SandboxPac implements SealedXmlProvider {
  readonly id = "sandbox";
  readonly kind = "sealed_xml";
  private readonly clock: () => Date;
  private readonly lookups: CatalogLookups | undefined;
  private readonly memory: number;
  /** By idempotency key and by Sello; a pending stamp is remembered too, so concurrent retries share it. */
  private readonly byKey = new Map<string, Remembered>();
  private readonly bySello = new Map<string, Promise<StampResult>>();
  /** Cancellation requests by idempotency key, and the latest one per UUID (upper case). */
  private readonly cancelKeys = new Map<string, RememberedCancellation>();
  private readonly cancellations = new Map<string, CancellationRequestRecord>();

  constructor(options: SandboxPacOptions = {}) {
    this.clock = options.clock ?? (() => new Date());
    this.lookups = options.lookups;
    this.memory = options.memory ?? 1000;
  }

  async stamp(request: StampRequest): Promise<StampResult> {
    const root = this.parse(request.xml);
    const cfdi = this.cfdi(root);
    const sello = cfdi.Sello ?? "";

    const previous = this.byKey.get(request.idempotencyKey);
    if (previous) {
      if (previous.sello !== sello) {
        throw conflict(
          "idempotency_key_reused",
          `Idempotency key ${request.idempotencyKey} was used to stamp another document`,
        );
      }
      return previous.result;
    }

    if (cfdi.Version !== "4.0") throw this.refuse("301", `only CFDI 4.0 is stamped, not ${cfdi.Version}`);
    const existing = timbre(cfdi);
    if (existing) throw this.refuse("307", `the document already carries the stamp ${existing.UUID}`);

    const certificate = await this.verify(cfdi);

    const replay = this.bySello.get(sello);
    const result = replay ?? this.check(cfdi, certificate).then(() => this.addStamp(request.xml, root, cfdi));
    if (!replay) this.remember(this.bySello, sello, result);
    this.remember(this.byKey, request.idempotencyKey, { sello, result });
    try {
      return await result;
    } catch (error) {
      // A refusal is not a stamp: a corrected resubmission must not replay it.
      this.bySello.delete(sello);
      this.byKey.delete(request.idempotencyKey);
      throw error;
    }
  }

  private refuse(code: string, why: string, details?: Record<string, unknown>) {
    return stampRefusal(this.id, code, why, details);
  }

  private parse(xml: string) {
    try {
      return parseXml(xml);
    } catch (error) {
      if (!isAppError(error)) throw error;
      throw this.refuse("301", error.message, { cause: error.code });
    }
  }

  private cfdi(root: ReturnType<typeof parseXml>): Cfdi {
    try {
      return cfdiFromXml(root);
    } catch (error) {
      if (!isAppError(error)) throw error;
      throw this.refuse("301", error.message, { cause: error.code, ...(error.details as object) });
    }
  }

  /** Sello, certificate, issuer RFC, CSD validity at Fecha, CSD not FIEL: the engine's verification. */
  private async verify(cfdi: Cfdi): Promise<IssuerCertificate> {
    const report = await verifyCfdi(cfdi);
    const failures = report.checks.filter((c) => !c.ok);
    if (failures.length === 0) return report.certificate!;
    const rank = (c: VerificationCheck) => {
      const i = VERIFY_ORDER.indexOf(c.code);
      return i === -1 ? VERIFY_ORDER.length : i;
    };
    const first = failures.sort((a, b) => rank(a) - rank(b))[0]!;
    throw this.refuse(VERIFY_CODES[first.code] ?? first.code, first.message, {
      checks: failures.map(({ check, code, message }) => ({ check, code, message })),
    });
  }

  /** The checks that depend on the stamping time, then SAT's business rules. */
  private async check(cfdi: Cfdi, certificate: IssuerCertificate): Promise<void> {
    const now = this.clock();
    if (now.getTime() > Date.parse(certificate.notAfter)) {
      throw this.refuse("304", `certificate ${certificate.serialNumber} expired on ${certificate.notAfter}`, {
        notAfter: certificate.notAfter,
      });
    }
    const issuedAt = mexicoCityInstant(cfdi.Fecha).getTime();
    if (now.getTime() - issuedAt > STAMP_WINDOW_MS || issuedAt - now.getTime() > FUTURE_TOLERANCE_MS) {
      throw this.refuse(
        "401",
        `Fecha ${cfdi.Fecha} must fall within the 72 hours before stamping (${mexicoCityDateTime(now)}, Mexico City time)`,
        { fecha: cfdi.Fecha, stampedAt: mexicoCityDateTime(now) },
      );
    }
    const validation = validateCfdi(cfdi, { now, ...(this.lookups && { lookups: this.lookups }) });
    if (!validation.valid) {
      const first = validation.errors[0]!;
      throw this.refuse(first.code, `${first.message} (${first.path})`, { errors: validation.errors });
    }
  }

  private async addStamp(xml: string, root: ReturnType<typeof parseXml>, cfdi: Cfdi): Promise<StampResult> {
    const now = this.clock();
    const tfd: TimbreFiscalDigital = {
      Version: "1.1",
      UUID: crypto.randomUUID().toUpperCase(),
      FechaTimbrado: mexicoCityDateTime(now),
      RfcProvCertif: SANDBOX_PAC_RFC,
      SelloCFD: cfdi.Sello!,
      NoCertificadoSAT: SANDBOX_CERTIFICATE_SERIAL,
      SelloSAT: "",
    };
    tfd.SelloSAT = await signSha256(await sandboxKey(), tfdCadena(tfd));
    const stamped = insertIntoComplemento(xml, root, timbreXml(tfd));
    // The insertion works on text; reading the result back proves the stamp landed in the Complemento.
    if (stamped === undefined || timbre(cfdiFromXml(parseXml(stamped)))?.UUID !== tfd.UUID) {
      throw this.refuse("301", "the Complemento could not be located to place the stamp");
    }
    const stampedAt = new Date(Math.floor(now.getTime() / 1000) * 1000).toISOString();
    return {
      uuid: tfd.UUID,
      stampedAt,
      xml: stamped,
      pacRfc: SANDBOX_PAC_RFC,
      noCertificadoSat: SANDBOX_CERTIFICATE_SERIAL,
      providerReference: await sandboxReference({
        uuid: tfd.UUID,
        issuerRfc: cfdi.Emisor.Rfc,
        receiverRfc: cfdi.Receptor.Rfc,
        total: cfdi.Total,
        type: cfdi.TipoDeComprobante,
        stampedAt,
      }),
    };
  }

  async cancel(request: CancelRequest): Promise<CancelResult> {
    const uuid = request.uuid.toUpperCase();
    const previous = this.cancelKeys.get(request.idempotencyKey);
    if (previous) {
      if (
        previous.uuid !== uuid ||
        previous.motive !== request.motive ||
        previous.substitution !== request.substitution
      ) {
        throw conflict(
          "idempotency_key_reused",
          `Idempotency key ${request.idempotencyKey} was used for another cancellation request`,
        );
      }
      return resultOf(await previous.record, this.clock());
    }
    const entry: RememberedCancellation = {
      uuid,
      motive: request.motive,
      substitution: request.substitution,
      record: this.requestCancellation(uuid, request),
    };
    this.remember(this.cancelKeys, request.idempotencyKey, entry);
    try {
      return resultOf(await entry.record, this.clock());
    } catch (error) {
      // A refusal is not a request: a corrected retry under the same key must be heard.
      this.cancelKeys.delete(request.idempotencyKey);
      throw error;
    }
  }

  /**
   * The receiver's answer to a pending cancellation (SAT relays it to the PAC): what a test or a demo
   * drives. Only a request still waiting for it can be answered.
   */
  settleCancellation(uuid: string, answer: "accepted" | "rejected"): CancelResult {
    const now = this.clock();
    const record = this.cancellations.get(uuid.toUpperCase());
    if (!record || statusAt(record, now) !== "pending") {
      throw conflict("cancellation_not_pending", `No cancellation of ${uuid} is waiting for the receiver`);
    }
    record.status = answer;
    return resultOf(record, now);
  }

  /** Where the latest cancellation request of `uuid` stands, if this instance took one. */
  cancellationStatus(uuid: string): CancelResult | undefined {
    const record = this.cancellations.get(uuid.toUpperCase());
    return record && resultOf(record, this.clock());
  }

  private async requestCancellation(
    uuid: string,
    request: CancelRequest,
  ): Promise<CancellationRequestRecord> {
    const refuse = (code: keyof typeof CANCEL_CODES | "cancellation_in_progress", why: string) =>
      this.refuse(
        code,
        code in CANCEL_CODES ? `${CANCEL_CODES[code as keyof typeof CANCEL_CODES]}: ${why}` : why,
        {
          uuid,
        },
      );
    const problem = motiveProblem(request);
    if (problem) throw refuse(problem.code, problem.why);
    const type = await recognizedType(request);
    if (!type)
      throw refuse("205", `this sandbox never stamped ${uuid} with these issuer, receiver, Total and time`);

    // From here to the record being kept nothing awaits: two concurrent requests cannot both pass.
    const now = this.clock();
    const latest = this.cancellations.get(uuid);
    const latestStatus = latest && statusAt(latest, now);
    if (latestStatus === "accepted") throw refuse("202", `${uuid} was cancelled on ${latest!.requestedAt}`);
    if (latestStatus === "pending") {
      throw refuse(
        "cancellation_in_progress",
        `the cancellation requested on ${latest!.requestedAt} is waiting for the receiver's answer`,
      );
    }
    const withoutAcceptance = cancelsWithoutAcceptance({ ...request, type }, now);
    const record: CancellationRequestRecord = {
      uuid,
      motive: request.motive,
      ...(request.substitution !== undefined && { substitution: request.substitution.toUpperCase() }),
      idempotencyKey: request.idempotencyKey,
      requestedAt: new Date(Math.floor(now.getTime() / 1000) * 1000).toISOString(),
      status: withoutAcceptance ? "accepted" : "pending",
      ...(withoutAcceptance && { withoutAcceptance }),
    };
    this.remember(this.cancellations, uuid, record);
    return record;
  }

  private remember<V>(map: Map<string, V>, key: string, value: V): void {
    map.delete(key);
    if (map.size >= this.memory) map.delete(map.keys().next().value!);
    map.set(key, value);
  }
}
