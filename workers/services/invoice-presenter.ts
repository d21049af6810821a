/**
 * The seed's Invoice object, built from stored rows. Amounts are stored as exact decimal text and
 * leave as JSON numbers (the seed's samples use numbers): the conversion happens here, once, on the
 * way out, and no arithmetic is ever done on the converted values.
 */
import { presentFile } from "./files";
import { presentInvoicePayments } from "./invoice-payment-state";
import type { InvoiceDetail, InvoiceRow } from "./invoices";

export const amount = (value: string | null | undefined): number | null =>
  value === null || value === undefined ? null : Number(value);

type Side = InvoiceDetail["organization"];

const presentSide = (side: Side) =>
  side ? { id: side.id, name: side.name, taxIdentifier: side.taxIdentifier } : null;

/** The fields every listing shows; the detail adds items, taxes, files and payments. */
export function presentInvoiceSummary(invoice: InvoiceRow) {
  return {
    id: invoice.id,
    organizationId: invoice.organizationId,
    providerId: invoice.providerId,
    status: invoice.status,
    statusCode: invoice.statusCode,
    uuid: invoice.uuid,
    cfdiVersion: invoice.cfdiVersion,
    cfdiType: invoice.cfdiType,
    series: invoice.series,
    folioNumber: invoice.folioNumber,
    netPriceAmount: amount(invoice.netPriceAmount)!,
    grossPriceAmount: amount(invoice.grossPriceAmount)!,
    discount: amount(invoice.discount)!,
    transferredTaxAmount: amount(invoice.transferredTaxAmount)!,
    withheldTaxAmount: amount(invoice.withheldTaxAmount)!,
    localTransferredTaxAmount: amount(invoice.localTransferredTaxAmount)!,
    localWithheldTaxAmount: amount(invoice.localWithheldTaxAmount)!,
    paidAmount: amount(invoice.paidAmount)!,
    dueAmount: amount(invoice.dueAmount)!,
    currencyCode: invoice.currencyCode,
    originalCurrencyCode: invoice.originalCurrencyCode,
    exchangeRate: amount(invoice.exchangeRate),
    cfdiUse: invoice.cfdiUse,
    paymentMethod: invoice.paymentMethod,
    paymentForm: invoice.paymentForm,
    issuerName: invoice.issuerName,
    issuerTaxIdentifier: invoice.issuerTaxIdentifier,
    issuerTaxRegime: invoice.issuerTaxRegime,
    issuerPostalCode: invoice.issuerPostalCode,
    issuerCountry: invoice.issuerCountry,
    issuerAddressStreet: invoice.issuerAddressStreet,
    issuerAddressNumber: invoice.issuerAddressNumber,
    issuerAddressNumberInterior: invoice.issuerAddressNumberInterior,
    issuerAddressNeighborhood: invoice.issuerAddressNeighborhood,
    issuerAddressCity: invoice.issuerAddressCity,
    issuerAddressMunicipality: invoice.issuerAddressMunicipality,
    issuerAddressState: invoice.issuerAddressState,
    issuerIsEntity: invoice.issuerIsEntity,
    recipientName: invoice.recipientName,
    recipientTaxIdentifier: invoice.recipientTaxIdentifier,
    recipientTaxRegime: invoice.recipientTaxRegime,
    recipientPostalCode: invoice.recipientPostalCode,
    recipientIsEntity: invoice.recipientIsEntity,
    pacTaxIdentifier: invoice.pacTaxIdentifier,
    validationErrors: invoice.validationErrors,
    validationWarnings: invoice.validationWarnings,
    isCancelled: invoice.isCancelled,
    cancelledAt: invoice.cancelledAt,
    // The latest cancellation request at SAT (pending, accepted, rejected, expired), when one was made.
    cancellationStatus: invoice.cancellationStatus,
    cancellationMotive: invoice.cancellationMotive,
    cancellationSubstitution: invoice.cancellationSubstitution,
    cancellationRequestedAt: invoice.cancellationRequestedAt,
    stampingProvider: invoice.stampingProvider,
    isRead: invoice.isRead,
    notes: invoice.notes,
    archivedByOrganizationAt: invoice.archivedByOrganizationAt,
    archivedByProviderAt: invoice.archivedByProviderAt,
    issuedAt: invoice.issuedAt,
    stampedAt: invoice.stampedAt,
    sentAt: invoice.sentAt,
    acceptedAt: invoice.acceptedAt,
    paidAt: invoice.paidAt,
    completedAt: invoice.completedAt,
    rejectedAt: invoice.rejectedAt,
    paymentDueAt: invoice.paymentDueAt,
    lastPaymentAt: invoice.lastPaymentAt,
    fullyPaidAt: invoice.fullyPaidAt,
    pdfFileVerifiedAt: invoice.pdfFileVerifiedAt,
    createdAt: invoice.createdAt,
    updatedAt: invoice.updatedAt,
  };
}

/** An invoice's or an item's tax (the item's also names its item). */
export const presentTax = (
  tax: Omit<InvoiceDetail["taxes"][number], "createdAt" | "updatedAt" | "invoiceId"> & {
    invoiceItemId?: string;
  },
) => ({
  id: tax.id,
  ...(tax.invoiceItemId !== undefined && { invoiceItemId: tax.invoiceItemId }),
  taxId: tax.taxId,
  code: tax.code,
  isWithholding: tax.isWithholding,
  factor: tax.factor,
  rate: amount(tax.rate),
  baseAmount: amount(tax.baseAmount),
  value: amount(tax.value),
});

export function presentInvoice(detail: InvoiceDetail, origin: string) {
  const file = (id: string | null) => {
    const row = id ? detail.files.get(id) : undefined;
    return row ? presentFile(row, origin) : null;
  };
  return {
    ...presentInvoiceSummary(detail.invoice),
    organization: presentSide(detail.organization),
    provider: presentSide(detail.provider),
    xmlFile: file(detail.invoice.xmlFileId),
    pdfFile: file(detail.invoice.pdfFileId),
    purchaseOrderFile: file(detail.invoice.purchaseOrderFileId),
    items: detail.items.map((item) => ({
      id: item.id,
      position: item.position,
      itemKey: item.itemKey,
      identification: item.identification,
      quantity: amount(item.quantity)!,
      unitKey: item.unitKey,
      unitDescription: item.unitDescription,
      description: item.description,
      netUnitPriceAmount: amount(item.netUnitPriceAmount)!,
      netPriceAmount: amount(item.netPriceAmount)!,
      discount: amount(item.discount)!,
      grossPriceAmount: amount(item.grossPriceAmount)!,
      taxObject: item.taxObject,
      taxes: item.taxes.map(presentTax),
    })),
    taxes: detail.taxes.map(presentTax),
    localTaxes: detail.localTaxes.map((tax) => ({
      id: tax.id,
      name: tax.name,
      isWithholding: tax.isWithholding,
      rate: amount(tax.rate)!,
      value: amount(tax.value)!,
    })),
    ...presentInvoicePayments(detail.payments, origin),
  };
}
