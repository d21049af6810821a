/**
 * Evidence of every call to a stamping provider (seed 003's Get Document Evidence): one immutable row
 * per request and its answer, written by the recording wrapper the stamping providers are built with
 * (workers/services/provider-evidence.ts). Bodies are kept inline when small and in R2 under the
 * organization's prefix when large; no credential is ever part of a body.
 *
 * A row names its invoice once it is known: `invoice_id` directly (set when a processing invoice is
 * written, or by a reconcile), or through what the invoice carries (the provider's reference of the
 * document, its UUID). `request_key` is the stamp's provider idempotency key, which links a stamp's
 * rows to the invoice written afterwards.
 */
import { index, integer, sqliteTable, text } from "drizzle-orm/sqlite-core";

export const providerEvidence = sqliteTable(
  "provider_evidence",
  {
    id: text("id").primaryKey(),
    /** The issuing organization whose provider was called. */
    organizationId: text("organization_id").notNull(),
    invoiceId: text("invoice_id"),
    provider: text("provider").notNull(),
    /** stamp, reconcile, cancel, download_xml, download_pdf, retrieve, refresh_status. */
    operation: text("operation").notNull(),
    requestKey: text("request_key"),
    providerReference: text("provider_reference"),
    documentUuid: text("document_uuid"),
    /** e.g. "POST /v2/invoices"; the sandbox is called in-process: "stamp". */
    request: text("request").notNull(),
    /** The request body (JSON or `{contentType, text}`), when small enough to keep inline. */
    requestBody: text("request_body", { mode: "json" }).$type<unknown>(),
    /** The R2 key of a request body too large to keep inline. */
    requestBodyKey: text("request_body_key"),
    /** The HTTP status, or the status of the error the provider raised; null when no answer came. */
    responseStatus: integer("response_status"),
    responseBody: text("response_body", { mode: "json" }).$type<unknown>(),
    responseBodyKey: text("response_body_key"),
    durationMs: integer("duration_ms").notNull(),
    requestedAt: text("requested_at").notNull(),
    storedAt: text("stored_at").notNull(),
  },
  (t) => [
    index("provider_evidence_invoice_idx").on(t.organizationId, t.invoiceId),
    index("provider_evidence_key_idx").on(t.organizationId, t.requestKey),
    index("provider_evidence_reference_idx").on(t.organizationId, t.providerReference),
    index("provider_evidence_uuid_idx").on(t.organizationId, t.documentUuid),
  ],
);
