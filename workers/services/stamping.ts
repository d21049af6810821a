/**
 * Stamping (issuing) an invoice: the seed's `POST /v1/invoices/stamp` body becomes a CFDI 4.0 built and
 * sealed by the engine with the organization's CSD, stamped by a provider, and stored in the inbox as
 * an invoice issued by the organization (source "stamp").
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
 */

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
import { AppError, badRequest, isAppError, unprocessable } from "../../shared/errors";
import { SandboxPac, type StampingProvider } from "../../shared/pac";
import type { ActorContext } from "./context";
import { loadOrganizationCsd } from "./csd";
import { type ReceivedInvoice, receiveInvoices } from "./invoices";
import { ledgerCall } from "./ledger";
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
  issuer: { rfc: string; name: string; taxRegime: string; postalCode: string },
  input: StampInvoiceInput,
): InvoiceInput {
  return {
    type: "I",
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
};

function requestPath(path: string): string {
  if (path === "receptor.cfdiUse") return "cfdiUse";
  if (path === "expeditionPostalCode" || path.startsWith("issuer.")) return "provider_id";
  return path
    .split(".")
    .map((segment) => FIELD_NAMES[segment] ?? segment)
    .join(".");
}

function validInput(issuer: Parameters<typeof buildInput>[0], input: StampInvoiceInput): ValidInvoiceInput {
  try {
    return parseInvoiceInput(buildInput(issuer, input));
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

/**
 * The provider that stamps for an organization. Every organization uses the embedded sandbox for now:
 * the per-organization choice (Facturapi) comes with that provider. One instance per isolate, so its
 * replay memory serves concurrent retries.
 */
const sandbox = new SandboxPac();
const providerFor = (_organizationId: string): StampingProvider => sandbox;

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

export async function stampInvoice(
  ctx: ActorContext,
  providerId: string,
  input: StampInvoiceInput,
  idempotencyKey?: string,
): Promise<ReceivedInvoice> {
  const { organization } = await requireOrgAccess(ctx, providerId, "invoices.stamp");
  const taxRegime = organization.taxRegimes[0];
  if (!taxRegime || !organization.postalCode) {
    throw unprocessable(
      "issuer_profile_incomplete",
      "The organization needs a tax regime and a postal code (the CFDI's LugarExpedicion) to stamp",
      { taxRegime: taxRegime ?? null, postalCode: organization.postalCode },
    );
  }
  const valid = validInput(
    {
      rfc: organization.taxIdentifier,
      name: organization.name,
      taxRegime,
      postalCode: organization.postalCode,
    },
    input,
  );
  const csd = await loadOrganizationCsd(ctx, providerId);

  const ledger = <T>(call: Parameters<typeof ledgerCall<T>>[2]) => ledgerCall(ctx.env, providerId, call);
  const key = await requestKey(ctx, idempotencyKey);
  // A key whose hold or reservation a failed attempt already settled gets a fresh one for this attempt.
  let hold: LedgerHold = await ledger((l) => l.hold({ units: 1, idempotencyKey: key }));
  if (hold.state !== "held") {
    hold = await ledger((l) => l.hold({ units: 1, idempotencyKey: `${key}:${crypto.randomUUID()}` }));
  }

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
    const sealed = await sealCfdi(computeCfdi({ ...valid, ...(series && { series }), folio }), csd);
    const stamped = await providerFor(providerId).stamp({ xml: sealed.xml, idempotencyKey: hold.id });

    const [outcome] = await receiveInvoices(ctx, { providerId, source: "stamp" }, [
      {
        readFiles: async () => ({
          xml: new File([stamped.xml], `${stamped.uuid}.xml`, { type: "application/xml" }),
        }),
      },
    ]);
    if (!outcome!.ok) throw outcome!.error;
    written = true;
    const { reservationId } = reservation;
    await ledger((l) => l.commitFolio(reservationId));
    await ledger((l) => l.capture(hold.id));
    return outcome!;
  } finally {
    if (!written) await releaseAll(ctx, providerId, hold.id, reservation?.reservationId);
  }
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
