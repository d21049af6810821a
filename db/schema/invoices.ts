/**
 * The invoice inbox: CFDIs between a provider (issuer) and an organization (receiver), their lines and
 * taxes, payment complements and manual payments that settle them, the append-only event log, import
 * tasks and each organization's invoice preferences.
 *
 * Money: every amount is kept as the exact decimal text of the CFDI (or of our own exact arithmetic);
 * the handful of amounts that listings filter, sort or add up are also kept as integer millionths
 * (`*_micros`, exact for every CFDI amount: the XSD allows at most 6 decimals) so that SQL never sees
 * a binary float. Aggregates split micros into whole units and remainder before summing (see
 * db/invoice-queries) so that no sum can overflow SQLite's 64-bit integers.
 *
 * Visibility: an invoice belongs to two tenants at once, the receiver (`organization_id`) and the
 * issuer (`provider_id`); either may be null when that party has no organization here. Every read goes
 * through one side's id after the tenant check.
 */
import { sql } from "drizzle-orm";
import {
  index,
  integer,
  primaryKey,
  type SQLiteColumn,
  sqliteTable,
  text,
  uniqueIndex,
} from "drizzle-orm/sqlite-core";
import type { Finding } from "../../shared/invoices/record";
import { CANCELLATION_STATUSES, INVOICE_STATUSES } from "../../shared/invoices/status";
import { id, timestamps } from "./columns";

export const invoices = sqliteTable(
  "invoices",
  {
    id: id(),
    /** Receiver organization (the client that owes the invoice). */
    organizationId: text("organization_id"),
    /** Issuer organization (the provider that is owed). */
    providerId: text("provider_id"),
    status: text("status", { enum: INVOICE_STATUSES }).notNull(),
    /** The lifecycle position of `status`, the seed's default sort key (see shared/invoices/status). */
    statusCode: integer("status_code").notNull(),
    uuid: text("uuid"),
    cfdiVersion: text("cfdi_version"),
    /** c_TipoDeComprobante: I, E, P, N, T. */
    cfdiType: text("cfdi_type"),
    series: text("series"),
    folioNumber: text("folio_number"),
    netPriceAmount: text("net_price_amount").notNull(),
    grossPriceAmount: text("gross_price_amount").notNull(),
    discount: text("discount").notNull().default("0"),
    transferredTaxAmount: text("transferred_tax_amount").notNull().default("0"),
    withheldTaxAmount: text("withheld_tax_amount").notNull().default("0"),
    localTransferredTaxAmount: text("local_transferred_tax_amount").notNull().default("0"),
    localWithheldTaxAmount: text("local_withheld_tax_amount").notNull().default("0"),
    currencyCode: text("currency_code").notNull().default("MXN"),
    exchangeRate: text("exchange_rate"),
    originalCurrencyCode: text("original_currency_code"),
    cfdiUse: text("cfdi_use"),
    /** PUE, PPD, or EXT for invoices that are not CFDIs. */
    paymentMethod: text("payment_method"),
    paymentForm: text("payment_form"),
    paymentConditions: text("payment_conditions"),
    exportCode: text("export_code"),
    issuerName: text("issuer_name"),
    issuerTaxIdentifier: text("issuer_tax_identifier"),
    issuerTaxRegime: text("issuer_tax_regime"),
    issuerPostalCode: text("issuer_postal_code"),
    issuerCountry: text("issuer_country"),
    issuerAddressStreet: text("issuer_address_street"),
    issuerAddressNumber: text("issuer_address_number"),
    issuerAddressNumberInterior: text("issuer_address_number_interior"),
    issuerAddressNeighborhood: text("issuer_address_neighborhood"),
    issuerAddressCity: text("issuer_address_city"),
    issuerAddressMunicipality: text("issuer_address_municipality"),
    issuerAddressState: text("issuer_address_state"),
    issuerIsEntity: integer("issuer_is_entity", { mode: "boolean" }),
    recipientName: text("recipient_name"),
    recipientTaxIdentifier: text("recipient_tax_identifier"),
    recipientTaxRegime: text("recipient_tax_regime"),
    recipientPostalCode: text("recipient_postal_code"),
    recipientIsEntity: integer("recipient_is_entity", { mode: "boolean" }),
    /** RfcProvCertif of the stamp: the PAC that certified it. */
    pacTaxIdentifier: text("pac_tax_identifier"),
    xmlFileId: text("xml_file_id"),
    pdfFileId: text("pdf_file_id"),
    pdfFileVerifiedAt: text("pdf_file_verified_at"),
    purchaseOrderFileId: text("purchase_order_file_id"),
    /** Fecha of the CFDI, as written (local time at LugarExpedicion, no offset). */
    issuedAt: text("issued_at"),
    /** FechaTimbrado of the TimbreFiscalDigital. */
    stampedAt: text("stamped_at"),
    sentAt: text("sent_at"),
    acceptedAt: text("accepted_at"),
    paidAt: text("paid_at"),
    completedAt: text("completed_at"),
    rejectedAt: text("rejected_at"),
    paymentDueAt: text("payment_due_at"),
    /** Date of the latest payment applied (complement or manual). */
    lastPaymentAt: text("last_payment_at"),
    fullyPaidAt: text("fully_paid_at"),
    paidAmount: text("paid_amount").notNull().default("0"),
    dueAmount: text("due_amount").notNull().default("0"),
    grossPriceMicros: integer("gross_price_micros").notNull(),
    netPriceMicros: integer("net_price_micros").notNull(),
    discountMicros: integer("discount_micros").notNull().default(0),
    taxMicros: integer("tax_micros").notNull().default(0),
    paidMicros: integer("paid_micros").notNull().default(0),
    dueMicros: integer("due_micros").notNull().default(0),
    /** Engine findings for `not_valid` invoices: [{code, message, source: verification|validation}]. */
    validationErrors: text("validation_errors", { mode: "json" }).$type<Finding[]>(),
    validationWarnings: text("validation_warnings", { mode: "json" }).$type<Finding[]>(),
    isCancelled: integer("is_cancelled", { mode: "boolean" }).notNull().default(false),
    cancelledAt: text("cancelled_at"),
    /** The latest cancellation request at SAT (shared/invoices/status); null when none was made. */
    cancellationStatus: text("cancellation_status", { enum: CANCELLATION_STATUSES }),
    /** SAT's motive (01–04) and, for 01, the substituting CFDI's UUID. */
    cancellationMotive: text("cancellation_motive"),
    cancellationSubstitution: text("cancellation_substitution"),
    cancellationRequestedAt: text("cancellation_requested_at"),
    /** The provider that stamped it when Timbre did (sandbox, facturapi); null for received invoices. */
    stampingProvider: text("stamping_provider"),
    /** The provider's own id of the document (Facturapi's invoice id, the sandbox's signed reference). */
    providerReference: text("provider_reference"),
    isRead: integer("is_read", { mode: "boolean" }).notNull().default(false),
    notes: text("notes"),
    archivedByOrganizationAt: text("archived_by_organization_at"),
    archivedByProviderAt: text("archived_by_provider_at"),
    /** How it arrived: an upload, a ZIP import, or our own stamping. */
    source: text("source", { enum: ["upload", "zip", "stamp"] }).notNull(),
    taskId: text("task_id"),
    createdByUserId: text("created_by_user_id"),
    ...timestamps,
  },
  (t) => {
    const listed = [
      t.statusCode,
      t.createdAt,
      t.id,
      t.isCancelled,
      t.isRead,
      t.paymentDueAt,
      t.currencyCode,
      t.exchangeRate,
      t.dueMicros,
      t.paidMicros,
      t.grossPriceMicros,
    ];
    const receiverIndex = (name: string, ...key: SQLiteColumn[]) =>
      index(name).on(t.organizationId, ...key, ...listed.filter((column) => !key.includes(column)));
    const receiverTotals = [
      t.statusCode,
      t.paymentDueAt,
      t.createdAt,
      t.id,
      t.isCancelled,
      t.isRead,
      t.archivedByOrganizationAt,
      t.currencyCode,
      t.exchangeRate,
      t.dueMicros,
      t.paidMicros,
      t.grossPriceMicros,
      t.paymentMethod,
      t.paymentForm,
      t.cfdiUse,
    ];
    return [
      // One CFDI per tenant side: a second upload of the same UUID is a duplicate for that tenant only,
      // so nobody can block or probe another tenant's invoices by uploading a document with their UUID.
      uniqueIndex("invoices_org_uuid_uq")
        .on(t.organizationId, t.uuid)
        .where(sql`${t.organizationId} IS NOT NULL AND ${t.uuid} IS NOT NULL`),
      uniqueIndex("invoices_provider_uuid_uq")
        .on(t.providerId, t.uuid)
        .where(sql`${t.providerId} IS NOT NULL AND ${t.uuid} IS NOT NULL`),
      // Listing indexes (db/invoice-queries). Each sort/filter index continues with the side's archive
      // mark, which every Tatem listing filters on, so that the index that gives the order can also check
      // it without reading rows; the counterparty RFC indexes continue with the default sort (statusCode,
      // createdAt). The totals indexes cover every column the list aggregates read; the `converted`
      // ones hold only the rare invoices summed through an exchange rate.
      // A receiver's indexes also end with every column its listing reads besides the filter (`listed`:
      // the default order and what the aggregates sum), so that a listing of 100k invoices counts, sums
      // and picks its page from index entries alone, never from rows; the totals index carries the
      // dropdown filters (payment method and form, CFDI use) for the same reason. bench/inbox.bench.ts
      // measures them.
      receiverIndex("invoices_org_created_idx", t.createdAt, t.id, t.archivedByOrganizationAt),
      receiverIndex("invoices_org_status_idx", t.statusCode, t.createdAt, t.id, t.archivedByOrganizationAt),
      receiverIndex("invoices_org_issued_idx", t.issuedAt, t.archivedByOrganizationAt),
      receiverIndex("invoices_org_stamped_idx", t.stampedAt, t.archivedByOrganizationAt),
      receiverIndex("invoices_org_due_idx", t.paymentDueAt, t.archivedByOrganizationAt),
      receiverIndex(
        "invoices_org_issuer_idx",
        t.issuerTaxIdentifier,
        t.statusCode,
        t.createdAt,
        t.id,
        t.archivedByOrganizationAt,
      ),
      // Name searches read each distinct issuer name once, in this index's order (db/invoice-queries).
      receiverIndex("invoices_org_issuer_name_idx", t.issuerName, t.archivedByOrganizationAt),
      receiverIndex("invoices_org_gross_idx", t.grossPriceMicros, t.archivedByOrganizationAt),
      index("invoices_org_totals_idx").on(t.organizationId, ...receiverTotals),
      index("invoices_org_converted_idx")
        .on(t.organizationId, ...receiverTotals)
        .where(sql`${t.currencyCode} <> 'MXN' AND ${t.exchangeRate} IS NOT NULL`),
      index("invoices_provider_created_idx").on(t.providerId, t.createdAt, t.archivedByProviderAt),
      index("invoices_provider_status_idx").on(
        t.providerId,
        t.statusCode,
        t.createdAt,
        t.archivedByProviderAt,
      ),
      index("invoices_provider_issued_idx").on(t.providerId, t.issuedAt, t.archivedByProviderAt),
      index("invoices_provider_recipient_idx").on(
        t.providerId,
        t.recipientTaxIdentifier,
        t.statusCode,
        t.createdAt,
        t.archivedByProviderAt,
      ),
      index("invoices_provider_totals_idx").on(
        t.providerId,
        t.statusCode,
        t.paymentDueAt,
        t.isCancelled,
        t.isRead,
        t.archivedByProviderAt,
        t.currencyCode,
        t.exchangeRate,
        t.dueMicros,
        t.paidMicros,
        t.grossPriceMicros,
      ),
      index("invoices_provider_converted_idx")
        .on(
          t.providerId,
          t.statusCode,
          t.paymentDueAt,
          t.isCancelled,
          t.isRead,
          t.archivedByProviderAt,
          t.currencyCode,
          t.exchangeRate,
          t.dueMicros,
          t.paidMicros,
          t.grossPriceMicros,
        )
        .where(sql`${t.currencyCode} <> 'MXN' AND ${t.exchangeRate} IS NOT NULL`),
      index("invoices_task_idx").on(t.taskId),
      // Provider webhooks name the document by the provider's id.
      index("invoices_provider_reference_idx")
        .on(t.providerReference)
        .where(sql`${t.providerReference} IS NOT NULL`),
      index("invoices_xml_file_idx").on(t.xmlFileId),
      // Finding the invoice a PDF belongs to, so that both its sides may read it (services/files.ts).
      index("invoices_pdf_file_idx").on(t.pdfFileId).where(sql`${t.pdfFileId} IS NOT NULL`),
      index("invoices_purchase_order_file_idx")
        .on(t.purchaseOrderFileId)
        .where(sql`${t.purchaseOrderFileId} IS NOT NULL`),
    ];
  },
);

/** Conceptos. Quantities and amounts are exact decimal text. */
export const invoiceItems = sqliteTable(
  "invoice_items",
  {
    id: id(),
    invoiceId: text("invoice_id").notNull(),
    position: integer("position").notNull(),
    itemKey: text("item_key"),
    identification: text("identification"),
    quantity: text("quantity").notNull(),
    unitKey: text("unit_key"),
    unitDescription: text("unit_description"),
    description: text("description").notNull(),
    netUnitPriceAmount: text("net_unit_price_amount").notNull(),
    /** Importe: quantity × unit price, before discount and taxes. */
    netPriceAmount: text("net_price_amount").notNull(),
    discount: text("discount").notNull().default("0"),
    /** After discount, transferred taxes added and withheld taxes subtracted. */
    grossPriceAmount: text("gross_price_amount").notNull(),
    taxObject: text("tax_object"),
    ...timestamps,
  },
  (t) => [
    index("invoice_items_invoice_idx").on(t.invoiceId, t.position),
    // With the invoice id, an item-key filter finds its invoices from index entries alone.
    index("invoice_items_key_idx").on(t.itemKey, t.invoiceId),
  ],
);

const taxColumns = {
  id: id(),
  invoiceId: text("invoice_id").notNull(),
  /** c_Impuesto: 001 ISR, 002 IVA, 003 IEPS. */
  taxId: text("tax_id").notNull(),
  /** ISR, IVA or IEPS. */
  code: text("code").notNull(),
  isWithholding: integer("is_withholding", { mode: "boolean" }).notNull(),
  factor: text("factor", { enum: ["Tasa", "Cuota", "Exento"] }).notNull(),
  /** TasaOCuota as written (0.160000), null when Exento. */
  rate: text("rate"),
  baseAmount: text("base_amount"),
  /** Importe of the tax, null when Exento. */
  value: text("value"),
};

export const invoiceItemTaxes = sqliteTable(
  "invoice_item_taxes",
  { ...taxColumns, invoiceItemId: text("invoice_item_id").notNull(), ...timestamps },
  (t) => [
    index("invoice_item_taxes_item_idx").on(t.invoiceItemId),
    index("invoice_item_taxes_invoice_idx").on(t.invoiceId),
  ],
);

/** Document-level taxes, grouped as the CFDI groups them (Impuesto, TipoFactor, TasaOCuota). */
export const invoiceTaxes = sqliteTable("invoice_taxes", { ...taxColumns, ...timestamps }, (t) => [
  index("invoice_taxes_invoice_idx").on(t.invoiceId, t.taxId, t.rate),
]);

/** implocal: state and municipal taxes. */
export const invoiceLocalTaxes = sqliteTable(
  "invoice_local_taxes",
  {
    id: id(),
    invoiceId: text("invoice_id").notNull(),
    name: text("name").notNull(),
    isWithholding: integer("is_withholding", { mode: "boolean" }).notNull(),
    rate: text("rate").notNull(),
    value: text("value").notNull(),
    ...timestamps,
  },
  (t) => [index("invoice_local_taxes_invoice_idx").on(t.invoiceId)],
);

/**
 * A payment complement (CFDI type P) received for invoices of the inbox. Its documents link each
 * DoctoRelacionado to the invoice with that UUID.
 */
export const invoicePayments = sqliteTable(
  "invoice_payments",
  {
    id: id(),
    organizationId: text("organization_id"),
    providerId: text("provider_id"),
    uuid: text("uuid"),
    /** Pagos version: 2.0 or 1.0. */
    version: text("version").notNull(),
    status: text("status", { enum: ["valid", "not_valid"] }).notNull(),
    validationErrors: text("validation_errors", { mode: "json" }).$type<Finding[]>(),
    issuerTaxIdentifier: text("issuer_tax_identifier"),
    recipientTaxIdentifier: text("recipient_tax_identifier"),
    totalAmount: text("total_amount").notNull(),
    xmlFileId: text("xml_file_id").notNull(),
    pdfFileId: text("pdf_file_id"),
    issuedAt: text("issued_at"),
    stampedAt: text("stamped_at"),
    createdByUserId: text("created_by_user_id"),
    ...timestamps,
  },
  (t) => [
    uniqueIndex("invoice_payments_org_uuid_uq")
      .on(t.organizationId, t.uuid)
      .where(sql`${t.organizationId} IS NOT NULL AND ${t.uuid} IS NOT NULL`),
    uniqueIndex("invoice_payments_provider_uuid_uq")
      .on(t.providerId, t.uuid)
      .where(sql`${t.providerId} IS NOT NULL AND ${t.uuid} IS NOT NULL`),
  ],
);

/** One DoctoRelacionado of a payment complement, applied to one invoice. */
export const invoicePaymentDocuments = sqliteTable(
  "invoice_payment_documents",
  {
    id: id(),
    invoicePaymentId: text("invoice_payment_id").notNull(),
    invoiceId: text("invoice_id").notNull(),
    relatedUuid: text("related_uuid").notNull(),
    /** FechaPago of the Pago node this document belongs to. */
    paidAt: text("paid_at").notNull(),
    paymentForm: text("payment_form"),
    paymentCurrency: text("payment_currency"),
    documentCurrency: text("document_currency"),
    /** EquivalenciaDR (2.0) / TipoCambioDR (1.0): document-currency units per payment-currency unit. */
    equivalence: text("equivalence"),
    installment: integer("installment"),
    previousBalance: text("previous_balance"),
    /** ImpPagado in the document's currency. */
    amountPaid: text("amount_paid").notNull(),
    remainingBalance: text("remaining_balance"),
    createdAt: text("created_at").notNull(),
  },
  (t) => [
    index("invoice_payment_documents_invoice_idx").on(t.invoiceId),
    index("invoice_payment_documents_payment_idx").on(t.invoicePaymentId),
  ],
);

/** A manual payment (bank transfer proven by a CEP or a proof file) covering whole invoices. */
export const payments = sqliteTable(
  "payments",
  {
    id: id(),
    organizationId: text("organization_id").notNull(),
    providerId: text("provider_id"),
    trackingNumber: text("tracking_number"),
    referenceNumber: text("reference_number"),
    issuerBankId: text("issuer_bank_id"),
    recipientBankIdentifier: text("recipient_bank_identifier"),
    isOrderingBank: integer("is_ordering_bank", { mode: "boolean" }),
    paymentProofFileId: text("payment_proof_file_id"),
    paidAt: text("paid_at").notNull(),
    amount: text("amount").notNull(),
    createdByUserId: text("created_by_user_id"),
    ...timestamps,
  },
  (t) => [index("payments_org_idx").on(t.organizationId, t.createdAt)],
);

export const paymentInvoices = sqliteTable(
  "payment_invoices",
  {
    paymentId: text("payment_id").notNull(),
    invoiceId: text("invoice_id").notNull(),
    /** The part of the payment applied to this invoice (its balance when the payment was made). */
    amount: text("amount").notNull(),
    /** The status the invoice had before, restored when the payment is deleted. */
    previousStatus: text("previous_status", { enum: INVOICE_STATUSES }).notNull(),
  },
  (t) => [
    primaryKey({ columns: [t.paymentId, t.invoiceId] }),
    index("payment_invoices_invoice_idx").on(t.invoiceId),
  ],
);

/**
 * Append-only log of what happened to invoices. `offset` is monotonic (SQLite AUTOINCREMENT never
 * reuses a value), so consumers (notifications, webhooks) resume from the last offset they saw.
 */
export const invoiceEvents = sqliteTable(
  "invoice_events",
  {
    offset: integer("offset").primaryKey({ autoIncrement: true }),
    id: text("id").notNull(),
    type: text("type").notNull(),
    invoiceId: text("invoice_id").notNull(),
    organizationId: text("organization_id"),
    providerId: text("provider_id"),
    actorUserId: text("actor_user_id"),
    data: text("data", { mode: "json" }).$type<Record<string, unknown>>().notNull(),
    createdAt: text("created_at").notNull(),
  },
  (t) => [
    uniqueIndex("invoice_events_id_uq").on(t.id),
    index("invoice_events_org_idx").on(t.organizationId, t.offset),
    index("invoice_events_provider_idx").on(t.providerId, t.offset),
    index("invoice_events_invoice_idx").on(t.invoiceId, t.offset),
  ],
);

export const TASK_STATUSES = ["pending", "processing", "completed", "failed"] as const;

/** Background work a user waits on (ZIP imports). Counters move as batches are processed. */
export const tasks = sqliteTable(
  "tasks",
  {
    id: id(),
    organizationId: text("organization_id").notNull(),
    type: text("type", { enum: ["invoices_zip_import"] }).notNull(),
    status: text("status", { enum: TASK_STATUSES }).notNull(),
    /** What the task works on (e.g. the uploaded ZIP's file id and the import flags). */
    input: text("input", { mode: "json" }).$type<Record<string, unknown>>().notNull(),
    total: integer("total").notNull().default(0),
    processed: integer("processed").notNull().default(0),
    created: integer("created").notNull().default(0),
    duplicates: integer("duplicates").notNull().default(0),
    failed: integer("failed").notNull().default(0),
    error: text("error"),
    createdByUserId: text("created_by_user_id"),
    completedAt: text("completed_at"),
    ...timestamps,
  },
  (t) => [index("tasks_org_idx").on(t.organizationId, t.createdAt)],
);

/** One entry of a task (a file of the ZIP). The primary key makes reprocessing an entry a no-op. */
export const taskItems = sqliteTable(
  "task_items",
  {
    taskId: text("task_id").notNull(),
    name: text("name").notNull(),
    status: text("status", { enum: ["created", "duplicate", "failed"] }).notNull(),
    invoiceId: text("invoice_id"),
    errorCode: text("error_code"),
    message: text("message"),
    createdAt: text("created_at").notNull(),
  },
  (t) => [primaryKey({ columns: [t.taskId, t.name] })],
);

/** The seed's InvoicePreferences: every field nullable, null = no restriction. */
export const invoicePreferences = sqliteTable("invoice_preferences", {
  organizationId: text("organization_id").primaryKey(),
  paymentMethods: text("payment_methods", { mode: "json" }).$type<string[]>(),
  cfdiUses: text("cfdi_uses", { mode: "json" }).$type<string[]>(),
  paymentForms: text("payment_forms", { mode: "json" }).$type<string[]>(),
  currencyCodes: text("currency_codes", { mode: "json" }).$type<string[]>(),
  paymentDay: integer("payment_day"),
  allowedInvoiceDays: text("allowed_invoice_days", { mode: "json" }).$type<AllowedInvoiceDay[]>(),
  monthEndInvoiceDays: integer("month_end_invoice_days"),
  isEfosClearanceMandatory: integer("is_efos_clearance_mandatory", { mode: "boolean" }),
  isComplianceDocumentMandatory: integer("is_compliance_document_mandatory", { mode: "boolean" }),
  numberOfMissingPendingInvoicePaymentsAllowed: integer("number_of_missing_pending_invoice_payments_allowed"),
  isBankingInformationMandatory: integer("is_banking_information_mandatory", { mode: "boolean" }),
  isPurchaseOrderMandatory: integer("is_purchase_order_mandatory", { mode: "boolean" }),
  isStampedAtCurrentMonthMandatory: integer("is_stamped_at_current_month_mandatory", { mode: "boolean" }),
  archivePaidInvoices: integer("archive_paid_invoices", { mode: "boolean" }),
  paymentDueAtAnchor: text("payment_due_at_anchor", { enum: ["createdAt", "stampedAt", "acceptedAt"] }),
  ...timestamps,
});

/** A window of one weekday (0 = Sunday) in which invoices may be submitted, "HH:MM" in Mexico City time. */
export interface AllowedInvoiceDay {
  day: number;
  from: string;
  to: string;
}
