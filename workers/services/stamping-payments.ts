/**
 * Issuing a payment complement (CFDI type P, Pagos 2.0) for PPD invoices the organization issued:
 * the same steps as stamping an invoice (./stamping: access and issuer profile, hold and folio, seal,
 * stamp, commit), built from the inbox by ./stamping-documents, and stored the way a received
 * complement is (`uploadInvoicePayment`): the inbox keeps complements apart from invoices, applies
 * each DoctoRelacionado to its invoice and recomputes their estadoPago (PAGO_PARCIAL, PAGADO).
 *
 * Two complements racing for the same balance both compute it from the same state; the second one's
 * guarded write fails (409 `invoice_changed`) and, as any failure before the write, gives its folio
 * and hold back, so no invoice is ever paid beyond its total by our own complements.
 */
import type { ActorContext } from "./context";
import { type UploadedInvoicePayment, uploadInvoicePayment } from "./invoice-payments";
import { parseStampInput, stampAndStore, stampingIssuer } from "./stamping";
import { paymentComplementInput, type StampPaymentInput } from "./stamping-documents";

export async function stampPaymentComplement(
  ctx: ActorContext,
  providerId: string,
  input: StampPaymentInput,
  idempotencyKey?: string,
): Promise<UploadedInvoicePayment> {
  const issuer = await stampingIssuer(ctx, providerId);
  const built = await paymentComplementInput(ctx, providerId, issuer, input);
  const valid = parseStampInput(built.input);
  return stampAndStore(ctx, providerId, valid, input, idempotencyKey, async (stamped) => ({
    result: await uploadInvoicePayment(ctx, {
      invoiceIds: built.invoiceIds,
      readFiles: async () => ({
        xml: new File([stamped.xml], `${stamped.uuid}.xml`, { type: "application/xml" }),
      }),
    }),
    // The consumption refers to invoices; a complement is not one.
    invoiceId: null,
  }));
}
