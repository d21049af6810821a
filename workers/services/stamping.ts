/**
 * Stamping (issuing) an invoice: the seed's `POST /v1/invoices/stamp` body becomes a CFDI 4.0 built and
 * sealed by the engine with the organization's CSD, stamped by a provider, and stored in the inbox as
 * an invoice issued by the organization (source "stamp"). An ingreso (type I) or a credit note (type E,
 * relating invoices it issued: ./stamping-documents); payment complements share steps 2–4 through
 * `stampAndStore` (./stamping-payments).
 *
 * Order, so that a refusal costs nothing and a failure leaves nothing behind:
 * 1. access (`invoices.stamp` on the issuer), the issuer profile and the input are checked, and the
 *    CSD loaded: every refusal here comes before anything is reserved;
 * 2. the OrgLedger holds one stamp (402 `insufficient_balance` before any provider call) and reserves
 *    the series' next folio (or the caller's folioNumber);
 * 3. the CFDI is computed with Serie/Folio, sealed, stamped, and received as the issuer's invoice;
 * 4. the folio is committed and the hold captured.
 * Until the invoice is written, any failure releases the folio and the hold, so it leaves no folio
 * used, no money taken and no invoice. Once the invoice is written the folio and the charge belong to
 * it and are never released.
 *
 * One failure is different: a provider that timed out or failed without refusing (`isStampOutcomeUnknown`)
 * may have stamped. An invoice is then written `processing` and keeps its folio and hold, and the
 * queue job ../jobs/reconcile-stamp asks the provider again under the same idempotency key until it
 * answers (202 to the caller meanwhile). The provider's idempotency key is the stamp request's own
 * (its hold's key), never an id minted per attempt, so no retry or reconcile can stamp twice.
 */

import { eq } from "drizzle-orm";
import type { BatchItem } from "drizzle-orm/batch";
import { invoices } from "../../db/schema";
import type { LedgerHold } from "../../durable-objects/org-ledger-balance";
import type { FolioReservation } from "../../durable-objects/org-ledger-folios";
import { sha256Hex } from "../../shared/auth/crypto";
import { dec, roundSat } from "../../shared/cfdi/amounts";
import {
  computeCfdi,
  type InvoiceInput,
  parseInvoiceInput,
  sealCfdi,
  type ValidInvoiceInput,
} from "../../shared/cfdi/build";
import type { Cfdi } from "../../shared/cfdi/model";
import { AppError, badRequest, isAppError, unprocessable } from "../../shared/errors";
import { isStampOutcomeUnknown, type StampResult } from "../../shared/pac";
import { type PendingStamp, recordProcessingStamp } from "../jobs/reconcile-stamp";
import type { ActorContext, ServiceContext } from "./context";
import { loadOrganizationCsd } from "./csd";
import { checkReceiverPreferences, type InvoiceRow, receiveInvoices } from "./invoices";
import { type StampInvoiceRequest, withCatalogItems } from "./items";
import { ledgerCall } from "./ledger";
import { type StampSettlement, settleStamp } from "./stamp-settlement";
import { relatedDocumentsInput, type StampRelatedDocuments } from "./stamping-documents";
import { stampedPdf, stampingProviderFor } from "./stamping-providers";
import { requireOrgAccess } from "./tenancy";

type Amount = string | number;

export interface StampTaxInput {
  type: "IVA" | "ISR" | "IEPS";
  rate?: Amount;
  factor?: "Tasa" | "Cuota" | "Exento";
  withholding?: boolean;
}

export interface StampItemInput {
  description: string;
  itemKey: string;
  unitKey: string;
  quantity: Amount;
  netUnitPriceAmount: Amount;
  discount?: Amount;
  taxIncluded?: boolean;
  taxes?: StampTaxInput[];
}

export interface StampInvoiceInput {
  /** I (ingreso, the default) or E (egreso: a credit note). */
  type?: "I" | "E";
  recipient: {
    name: string;
    taxIdentifier: string;
    taxRegime: string;
    postalCode: string;
    email?: string;
  };
  items: StampItemInput[];
  paymentForm: string;
  cfdiUse: string;
  paymentMethod: "PUE" | "PPD";
  folioNumber?: number | string;
  series?: string;
  /** CfdiRelacionados: invoices issued by the organization (at least one for a credit note). */
  relatedDocuments?: StampRelatedDocuments[];
}

/** The issuing organization as the CFDI's Emisor and LugarExpedicion. */
export interface StampingIssuer {
  rfc: string;
  name: string;
  taxRegime: string;
  postalCode: string;
}

/** No body `taxes`: the item carries IVA 16 % transferred (the seed's default). */
const DEFAULT_TAXES: StampTaxInput[] = [{ type: "IVA", factor: "Tasa", rate: "0.16" }];

/**
 * The unit price before taxes of a price that includes them. The price includes the transferred taxes
 * the engine computes on the line's base (Tasa: a share of the base; Cuota: an amount per unit), not
 * withholdings, which are deducted from what is paid, not added to the price:
 *   net = (price − Σ cuotas) / (1 + Σ tasas), rounded half-up to 6 decimals (ValorUnitario's limit).
 * The division is exact in decimal arithmetic (no floats); when it does not terminate within 6
 * decimals, the invoice's total can differ from quantity × price by the rounding of the line's taxes
 * (at most a centavo per tax per line for a quantity of 1).
 */
export function netUnitPrice(price: Amount, taxes: readonly StampTaxInput[]): string {
  let tasas = dec(0);
  let cuotas = dec(0);
  for (const tax of taxes) {
    if (tax.withholding || tax.factor === "Exento" || tax.rate === undefined) continue;
    if (tax.factor === "Cuota") cuotas = cuotas.plus(dec(tax.rate));
    else tasas = tasas.plus(dec(tax.rate));
  }
  return roundSat(dec(price).minus(cuotas).div(dec(1).plus(tasas)), 6).toFixed();
}

/** The engine's input for one issuer and a stamp request (Serie/Folio are set once reserved). */
function buildInput(
  issuer: StampingIssuer,
  input: StampInvoiceInput,
  relatedDocuments: InvoiceInput["relatedDocuments"],
): InvoiceInput {
  return {
    type: input.type ?? "I",
    relatedDocuments,
    issuer: { rfc: issuer.rfc, name: issuer.name, taxRegime: issuer.taxRegime },
    receptor: {
      rfc: input.recipient.taxIdentifier,
      name: input.recipient.name,
      taxRegime: input.recipient.taxRegime,
      postalCode: input.recipient.postalCode,
      cfdiUse: input.cfdiUse,
    },
    expeditionPostalCode: issuer.postalCode,
    paymentForm: input.paymentForm,
    paymentMethod: input.paymentMethod,
    items: input.items.map((item) => {
      const taxes = item.taxes ?? DEFAULT_TAXES;
      return {
        productKey: item.itemKey,
        unitKey: item.unitKey,
        description: item.description,
        quantity: String(item.quantity),
        unitPrice: item.taxIncluded
          ? netUnitPrice(item.netUnitPriceAmount, taxes)
          : String(item.netUnitPriceAmount),
        ...(item.discount !== undefined && { discount: String(item.discount) }),
        taxes: taxes.map((t) => ({
          tax: t.type,
          factor: t.factor ?? "Tasa",
          ...(t.factor !== "Exento" && t.rate !== undefined && { rate: String(t.rate) }),
          withholding: t.withholding ?? false,
        })),
      };
    }),
  };
}

/** The engine's field names → the request's, so a 400 points at what the caller sent. */
const FIELD_NAMES: Record<string, string> = {
  receptor: "recipient",
  rfc: "taxIdentifier",
  productKey: "itemKey",
  unitPrice: "netUnitPriceAmount",
  tax: "type",
  relationType: "relationship",
  amountPaid: "amount",
  uuid: "invoiceId",
};

function requestPath(path: string): string {
  if (path === "receptor.cfdiUse") return "cfdiUse";
  if (path === "expeditionPostalCode" || path.startsWith("issuer.")) return "provider_id";
  return path
    .split(".")
    .map((segment) => FIELD_NAMES[segment] ?? segment)
    .join(".");
}

/** The engine's validation of a stamp's input, as a 400 that names the request's fields. */
export function parseStampInput(input: InvoiceInput): ValidInvoiceInput {
  try {
    return parseInvoiceInput(input);
  } catch (error) {
    if (!isAppError(error)) throw error;
    if (error.code === "amount_invalid") throw badRequest("validation_failed", error.message);
    const issues = (error.details ?? []) as { path: string; message: string }[];
    throw badRequest(
      "validation_failed",
      "The request is invalid",
      issues.map((i) => ({ path: requestPath(i.path), message: i.message, code: "custom" })),
    );
  }
}

/** The provider the organization stamps through (sandbox or Facturapi: ./stamping-providers). */
const providerFor = stampingProviderFor;

/**
 * The ledger's idempotency key of one stamp request: the caller's Idempotency-Key (scoped to the
 * user, as the HTTP layer scopes it), so a retry after a crash finds its hold and folio again; a
 * fresh one without it.
 */
async function requestKey(ctx: ActorContext, idempotencyKey: string | undefined) {
  return idempotencyKey
    ? `stamp:${await sha256Hex(`${ctx.userId}\n${idempotencyKey}`)}`
    : `stamp:${crypto.randomUUID()}`;
}

/** Step 1's access check (`invoices.stamp`) and the issuer profile every CFDI needs. */
export async function stampingIssuer(ctx: ActorContext, providerId: string): Promise<StampingIssuer> {
  const { organization } = await requireOrgAccess(ctx, providerId, "invoices.stamp");
  const taxRegime = organization.taxRegimes[0];
  if (!taxRegime || !organization.postalCode) {
    throw unprocessable(
      "issuer_profile_incomplete",
      "The organization needs a tax regime and a postal code (the CFDI's LugarExpedicion) to stamp",
      { taxRegime: taxRegime ?? null, postalCode: organization.postalCode },
    );
  }
  return {
    rfc: organization.taxIdentifier,
    name: organization.name,
    taxRegime,
    postalCode: organization.postalCode,
  };
}

/** A stamped invoice, or one left `processing` while the provider's answer is reconciled. */
export interface StampedInvoice {
  invoice: InvoiceRow;
  processing: boolean;
}

export async function stampInvoice(
  ctx: ActorContext,
  providerId: string,
  request: StampInvoiceRequest,
  idempotencyKey?: string,
): Promise<StampedInvoice> {
  const issuer = await stampingIssuer(ctx, providerId);
  const input = await withCatalogItems(ctx, providerId, request);
  const related = await relatedDocumentsInput(ctx, providerId, input);
  const valid = parseStampInput(buildInput(issuer, input, related));
  await checkReceiverPreferences(ctx, providerId, valid.receptor.rfc, {
    paymentMethod: valid.paymentMethod ?? null,
    cfdiUse: valid.receptor.cfdiUse ?? null,
    paymentForm: valid.paymentForm ?? null,
    currencyCode: valid.currency ?? "MXN",
  });
  const stored = async (stamped: StampedDocument): Promise<{ result: StampedInvoice; invoiceId: string }> => {
    const stampedBy = {
      stampingProvider: stamped.provider,
      providerReference: stamped.providerReference ?? null,
    };
    const [outcome] = await receiveInvoices(ctx, { providerId, source: "stamp" }, [
      {
        readFiles: async () => ({
          xml: new File([stamped.xml], `${stamped.uuid}.xml`, { type: "application/xml" }),
          pdf: new File([await stamped.pdf()], `${stamped.uuid}.pdf`, { type: "application/pdf" }),
        }),
        // Who stamped it, in the invoice's own batch: cancelling and provider webhooks find it by this.
        alsoWrite: (invoice) => [
          ctx.db
            .update(invoices)
            .set(stampedBy)
            .where(eq(invoices.id, invoice.id)) as unknown as BatchItem<"sqlite">,
        ],
      },
    ]);
    if (!outcome!.ok) throw outcome!.error;
    return {
      result: { invoice: { ...outcome!.invoice, ...stampedBy }, processing: false },
      invoiceId: outcome!.invoice.id,
    };
  };
  return stampAndStore(ctx, providerId, valid, input, idempotencyKey, stored, async (pending) => ({
    invoice: await recordProcessingStamp(ctx, providerId, pending),
    processing: true,
  }));
}

/** A stamp as `store` gets it: who stamped, and its PDF printed on demand (./stamping-providers). */
export interface StampedDocument extends StampResult {
  provider: string;
  pdf(): Promise<Uint8Array>;
}

/**
 * Steps 2–4 for a validated input: hold, folio, seal, stamp, then `store` writes the stamped CFDI and
 * says which invoice the consumption refers to. Until `store` returns, a failure releases the folio and
 * the hold, except a stamp whose outcome the provider left unknown when the caller can keep one
 * (`pending`: the invoice is written `processing` with the folio and the hold, and reconciled later).
 */
export async function stampAndStore<Result>(
  ctx: ActorContext,
  providerId: string,
  valid: ValidInvoiceInput,
  input: { series?: string; folioNumber?: number | string },
  idempotencyKey: string | undefined,
  store: (stamped: StampedDocument) => Promise<{ result: Result; invoiceId: string | null }>,
  pending?: (stamp: PendingStamp) => Promise<Result>,
): Promise<Result> {
  const provider = await providerFor(ctx, providerId);
  // A document provider (Facturapi) seals with the CSD uploaded there, not the one kept here.
  const csd = provider.kind === "sealed_xml" ? await loadOrganizationCsd(ctx, providerId) : undefined;

  const ledger = <T>(call: Parameters<typeof ledgerCall<T>>[2]) => ledgerCall(ctx.env, providerId, call);
  const key = await requestKey(ctx, idempotencyKey);
  // A key whose hold or reservation a failed attempt already settled gets a fresh one for this attempt.
  let holdKey = key;
  let hold: LedgerHold = await ledger((l) => l.hold({ units: 1, idempotencyKey: holdKey }));
  if (hold.state !== "held") {
    holdKey = `${key}:${crypto.randomUUID()}`;
    hold = await ledger((l) => l.hold({ units: 1, idempotencyKey: holdKey }));
  }
  // The provider's idempotency key is the live hold's: a retry of this request that finds its hold
  // still held (a crash, a lost answer) asks for the same stamp, and so does every reconcile.
  const providerKey = holdKey;

  let reservation: FolioReservation | undefined;
  let written = false;
  try {
    const series = input.series ?? "";
    const requested = input.folioNumber === undefined ? undefined : Number(input.folioNumber);
    reservation = await ledger((l) => l.reserveFolio({ series, requested, idempotencyKey: key }));
    if (reservation.state !== "reserved") {
      const fresh = `${key}:${crypto.randomUUID()}`;
      reservation = await ledger((l) => l.reserveFolio({ series, requested, idempotencyKey: fresh }));
    }
    const folio = `${reservation.prefix}${reservation.folio}`;
    const document: Cfdi = computeCfdi({ ...valid, ...(series && { series }), folio });
    const sealed = provider.kind === "sealed_xml" ? (await sealCfdi(document, csd!)).xml : undefined;
    const { reservationId } = reservation;
    /** Leaves the stamp `processing`, holding its folio and hold, for the reconcile job. */
    const awaitReconcile = (providerReference: string | null) =>
      pending!({
        provider: provider.id,
        document,
        ...(sealed !== undefined && { sealedXml: sealed }),
        providerKey,
        holdId: hold.id,
        reservationId,
        providerReference,
      });

    let stamped: StampResult;
    try {
      stamped =
        provider.kind === "document"
          ? await provider.stamp({ document, idempotencyKey: providerKey })
          : await provider.stamp({ xml: sealed!, idempotencyKey: providerKey });
    } catch (error) {
      if (!pending || !isStampOutcomeUnknown(error)) throw error;
      ctx.log("warn", "stamp outcome unknown; the invoice waits for a reconcile", {
        organizationId: providerId,
        provider: provider.id,
        error: isAppError(error) ? error.code : String(error),
      });
      const result = await awaitReconcile(providerReferenceOf(error));
      written = true;
      return result;
    }

    let stored: Awaited<ReturnType<typeof store>>;
    try {
      stored = await store({
        ...stamped,
        provider: provider.id,
        pdf: () => stampedPdf(ctx, provider, stamped),
      });
    } catch (error) {
      // Stamped but not stored (the database failed, not a rule): giving the folio back would let it
      // be issued twice, so the stamp waits as `processing` and the reconcile stores it.
      if (!pending || isAppError(error)) throw error;
      ctx.log("error", "stamped but not stored; the invoice waits for a reconcile", {
        organizationId: providerId,
        uuid: stamped.uuid,
        error: String(error),
      });
      const result = await awaitReconcile(stamped.providerReference ?? null);
      written = true;
      return result;
    }
    written = true;
    await settleOrDefer(ctx, {
      organizationId: providerId,
      reservationId,
      holdId: hold.id,
      invoiceId: stored.invoiceId,
    });
    return stored.result;
  } finally {
    if (!written) await releaseAll(ctx, providerId, hold.id, reservation?.reservationId);
  }
}

/**
 * Settles a stamp whose invoice is already stored. The folio and the charge belong to that invoice
 * now, so a failure here must neither give them back nor fail the request (a client retry would stamp
 * again): the JOBS queue finishes the settlement, seconds later, well inside the reservation's
 * 10-minute expiry.
 */
async function settleOrDefer(ctx: ServiceContext, settlement: StampSettlement): Promise<void> {
  try {
    await settleStamp(ctx, settlement);
  } catch (error) {
    ctx.log("error", "stamp stored but not settled; the queue settles it", {
      ...settlement,
      error: isAppError(error) ? error.code : String(error),
    });
    await ctx.env.JOBS.send({ type: "invoices.settle_stamp", ...settlement }, { delaySeconds: 5 });
  }
}

/** The provider's id of a document it was still stamping (Facturapi's `provider_pending`), if it said. */
function providerReferenceOf(error: unknown): string | null {
  const reference = isAppError(error)
    ? (error.details as { providerReference?: unknown } | undefined)?.providerReference
    : undefined;
  return typeof reference === "string" ? reference : null;
}

/** Gives back what a failed stamp reserved; a release that fails is logged, never masks the failure. */
async function releaseAll(ctx: ActorContext, organizationId: string, holdId: string, reservationId?: string) {
  const results = await Promise.allSettled([
    ledgerCall(ctx.env, organizationId, (l) => l.release(holdId)),
    ...(reservationId ? [ledgerCall(ctx.env, organizationId, (l) => l.releaseFolio(reservationId))] : []),
  ]);
  for (const r of results) {
    if (r.status === "rejected") {
      ctx.log("error", "stamp: release after a failure failed", {
        organizationId,
        holdId,
        reservationId,
        error: r.reason instanceof AppError ? r.reason.code : String(r.reason),
      });
    }
  }
}
