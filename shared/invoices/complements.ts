/**
 * What a payment complement (CFDI type P with Pagos 2.0 or 1.0) applies to: one application per
 * DoctoRelacionado, shaped like an `invoice_payment_documents` row without its ids, plus the related
 * UUIDs the inbox links by and the seed's check that the request listed every one of them.
 *
 * Pagos 1.0 leaves ImpPagado out when the complement pays a single document in the payment's own
 * currency; the Pago's Monto is then what was paid. TipoCambioDR (1.0) and EquivalenciaDR (2.0) mean
 * the same thing: document-currency units per payment-currency unit.
 */
import { dec, formatAmount, sum } from "../cfdi/amounts";
import type { Cfdi, DoctoRelacionado10, DoctoRelacionado20, PagoAttributes } from "../cfdi/model";
import { complemento } from "../cfdi/model";
import { type AppError, badRequest } from "../errors";
import { instantOf } from "./payment-status";

export interface PaymentApplication {
  /** IdDocumento, upper-cased as the inbox stores UUIDs. */
  relatedUuid: string;
  /** FechaPago (Mexico City time) as an ISO 8601 UTC instant. */
  paidAt: string;
  paymentForm: string;
  paymentCurrency: string;
  documentCurrency: string;
  equivalence: string | null;
  installment: number | null;
  previousBalance: string | null;
  /** ImpPagado, in the document's currency. */
  amountPaid: string;
  remainingBalance: string | null;
}

export interface PaymentComplement {
  version: "2.0" | "1.0";
  /** MontoTotalPagos (2.0); for 1.0 the same figure computed: Σ Monto × TipoCambioP, in MXN. */
  totalAmount: string;
  applications: PaymentApplication[];
  /** Distinct related UUIDs, in document order. */
  relatedUuids: string[];
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

const orNull = (value: string | undefined) => (value === undefined || value === "" ? null : value);

function installment(value: string | undefined): number | null {
  return value !== undefined && /^\d{1,9}$/.test(value) ? Number(value) : null;
}

function relatedUuid(idDocumento: string, path: string): string {
  if (!UUID.test(idDocumento.trim())) {
    throw badRequest(
      "invoice_payment_invalid_document_id",
      "Every DoctoRelacionado of the payment complement must name its invoice by UUID (IdDocumento)",
      { path, value: idDocumento },
    );
  }
  return idDocumento.trim().toUpperCase();
}

function checkEquivalence(value: string | null, path: string): string | null {
  if (value !== null && !dec(value).gt(0)) {
    throw badRequest(
      "invoice_payment_invalid_equivalence",
      "The exchange rate of a document must be positive",
      {
        path,
        value,
      },
    );
  }
  return value;
}

function fromPago20(pago: PagoAttributes, docto: DoctoRelacionado20, path: string): PaymentApplication {
  return {
    relatedUuid: relatedUuid(docto.IdDocumento, `${path}/@IdDocumento`),
    paidAt: instantOf(pago.FechaPago),
    paymentForm: pago.FormaDePagoP,
    paymentCurrency: pago.MonedaP,
    documentCurrency: docto.MonedaDR,
    equivalence: checkEquivalence(orNull(docto.EquivalenciaDR), `${path}/@EquivalenciaDR`),
    installment: installment(docto.NumParcialidad),
    previousBalance: docto.ImpSaldoAnt,
    amountPaid: docto.ImpPagado,
    remainingBalance: docto.ImpSaldoInsoluto,
  };
}

function fromPago10(
  pago: PagoAttributes,
  docto: DoctoRelacionado10,
  single: boolean,
  path: string,
): PaymentApplication {
  const equivalence = checkEquivalence(orNull(docto.TipoCambioDR), `${path}/@TipoCambioDR`);
  const impPagado = orNull(docto.ImpPagado);
  if (impPagado === null && (!single || equivalence !== null)) {
    throw badRequest(
      "invoice_payment_amount_missing",
      "ImpPagado is required when a Pago relates several documents or converts currencies",
      { path: `${path}/@ImpPagado` },
    );
  }
  return {
    relatedUuid: relatedUuid(docto.IdDocumento, `${path}/@IdDocumento`),
    paidAt: instantOf(pago.FechaPago),
    paymentForm: pago.FormaDePagoP,
    paymentCurrency: pago.MonedaP,
    documentCurrency: docto.MonedaDR,
    equivalence,
    installment: installment(docto.NumParcialidad),
    previousBalance: orNull(docto.ImpSaldoAnt),
    amountPaid: impPagado ?? pago.Monto,
    remainingBalance: orNull(docto.ImpSaldoInsoluto),
  };
}

/**
 * The applications of a parsed payment complement. Throws 400 `invoice_payment_not_a_payment_complement`
 * for a CFDI without Pagos, `invoice_payment_invalid_document_id` when an IdDocumento is not a UUID,
 * `invoice_payment_invalid_equivalence` for a non-positive exchange rate and
 * `invoice_payment_amount_missing` for a Pagos 1.0 document whose ImpPagado cannot be inferred.
 */
export function paymentComplement(cfdi: Cfdi): PaymentComplement {
  const pagos20 = complemento(cfdi, "Pagos20");
  const pagos10 = pagos20 ? undefined : complemento(cfdi, "Pagos10");
  if (cfdi.TipoDeComprobante !== "P" || (!pagos20 && !pagos10)) {
    throw badRequest(
      "invoice_payment_not_a_payment_complement",
      "The file is not a payment complement (a CFDI of type P with Pagos 2.0 or 1.0)",
    );
  }
  const applications: PaymentApplication[] = [];
  let totalAmount: string;
  if (pagos20) {
    for (const [p, pago] of pagos20.Pago.entries()) {
      for (const [d, docto] of pago.DoctoRelacionado.entries()) {
        applications.push(fromPago20(pago, docto, `Pagos/Pago[${p + 1}]/DoctoRelacionado[${d + 1}]`));
      }
    }
    totalAmount = pagos20.Totales.MontoTotalPagos;
  } else {
    const pagos = pagos10!.Pago;
    for (const [p, pago] of pagos.entries()) {
      const single = pago.DoctoRelacionado.length === 1;
      for (const [d, docto] of pago.DoctoRelacionado.entries()) {
        applications.push(fromPago10(pago, docto, single, `Pagos/Pago[${p + 1}]/DoctoRelacionado[${d + 1}]`));
      }
    }
    // MontoTotalPagos as Pagos 2.0 defines it: every Monto in MXN.
    totalAmount = formatAmount(
      sum(pagos.map((pago) => dec(pago.Monto).times(orNull(pago.TipoCambioP) ?? "1"))),
      2,
    );
  }
  return {
    version: pagos20 ? "2.0" : "1.0",
    totalAmount,
    applications,
    relatedUuids: [...new Set(applications.map((a) => a.relatedUuid))],
  };
}

/**
 * The seed's refusal when the complement pays invoices the request did not list (`invoice_ids`):
 * 400 `invoices_not_specified` with the missing UUIDs, or null when every one was listed.
 */
export function checkReferencedInvoices(
  complement: Pick<PaymentComplement, "relatedUuids">,
  listedUuids: Iterable<string | null>,
): AppError | null {
  const listed = new Set<string>();
  for (const uuid of listedUuids) if (uuid) listed.add(uuid.toUpperCase());
  const missing = complement.relatedUuids.filter((uuid) => !listed.has(uuid));
  if (missing.length === 0) return null;
  return badRequest(
    "invoices_not_specified",
    "Some invoices referenced in the invoice payment were not specified in the request",
    { invoices: missing },
  );
}
