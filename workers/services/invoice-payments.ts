/**
 * Payment complements (CFDI type P, Pagos 2.0 and 1.0) received for invoices of the inbox: seed #168,
 * `POST /v1/invoice-payments?invoice_ids=`. In order, so that a refused upload leaves nothing behind:
 * 1. the listed invoices are found and the caller's access to each checked (`invoices.write`: a
 *    complement is a document received like an invoice) before a byte of the upload is read;
 * 2. the XML is parsed and its Pagos read (shared/invoices/complements); every DoctoRelacionado must
 *    name a listed invoice (400 `invoices_not_specified`, the seed's error), of the complement's Emisor
 *    and Receptor (400 `invoice_payment_party_mismatch`), reached through one of the caller's
 *    organizations (400 `invoices_multiple_organizations`);
 * 3. the engine verifies and validates it; a complement that fails is stored `not_valid` with its
 *    findings and applies nothing;
 * 4. a complement already stored on the caller's side → 409 `duplicate_invoice_payment`: the same UUID,
 *    or for an unstamped copy (no UUID yet) the same XML bytes;
 * 5. in one batch: the files, the complement, its documents, each invoice's recomputed payment fields
 *    and status, and one event per invoice. Each invoice update is guarded (see invoice-payment-state).
 *
 * Status rule: a complement that leaves an `accepted` invoice fully paid (estadoPago PAGADO) moves it to
 * `paid` (the lifecycle's accepted → paid) with an `invoice.paid` event. Any other invoice keeps its
 * status and only its payment fields change (`invoice.updated`): `sent` has not been accepted yet and
 * the lifecycle has no sent → paid, `paid`/`completed` are already settled, and a complement never
 * moves a `not_valid`, `rejected` or cancelled invoice.
 */
import { and, eq, isNull } from "drizzle-orm";
import type { BatchItem } from "drizzle-orm/batch";
import { batchWrite, insertRows } from "../../db/client";
import { files, invoicePaymentDocuments, invoicePayments } from "../../db/schema";
import { sha256Hex } from "../../shared/auth/crypto";
import { parseCfdi } from "../../shared/cfdi/parse";
import { validateCfdi } from "../../shared/cfdi/validate";
import { verifyCfdi } from "../../shared/cfdi/verify";
import { AppError, badRequest, conflict } from "../../shared/errors";
import { checkReferencedInvoices, paymentComplement } from "../../shared/invoices/complements";
import { statusTransition } from "../../shared/invoices/edits";
import type { PaymentState } from "../../shared/invoices/payment-status";
import { invoiceRecord } from "../../shared/invoices/record";
import { normalizeRfc } from "../../shared/rfc";
import { type ActorContext, nowIso } from "./context";
import { announceInvoiceEvents } from "./event-feed";
import { type FileRow, prepareFile } from "./files";
import {
  accessibleInvoices,
  appliedDocument,
  type ComplementDocumentRow,
  type ComplementRow,
  guardedInvoiceUpdate,
  isGuardFailure,
  loadPaymentRecords,
  stateOf,
} from "./invoice-payment-state";
import { type InvoiceRow, invoiceEventStatement } from "./invoices";

export interface InvoicePaymentFiles {
  xml: File;
  pdf?: File;
}

export interface UploadInvoicePaymentInput {
  invoiceIds: string[];
  /** Reads the uploaded files; called only once the caller may write to every listed invoice. */
  readFiles(): Promise<InvoicePaymentFiles>;
}

export interface UploadedInvoicePayment {
  complement: ComplementRow;
  documents: ComplementDocumentRow[];
  files: FileRow[];
  /** The invoices the complement pays, as written, with their payment state (empty when not valid). */
  invoices: { invoice: InvoiceRow; state: PaymentState }[];
}

const duplicate = (existingId: string | null) =>
  conflict(
    "duplicate_invoice_payment",
    "This payment complement is already stored",
    existingId ? { existingId } : undefined,
  );

const isUniqueViolation = (error: unknown) =>
  /UNIQUE constraint failed|SQLITE_CONSTRAINT_UNIQUE/i.test(
    String((error as Error)?.message ?? error) + String((error as { cause?: Error })?.cause?.message ?? ""),
  );

/** The complement already stored on the caller's side: by UUID, or by its XML bytes while unstamped. */
async function findDuplicate(
  ctx: ActorContext,
  side: { column: "organizationId" | "providerId"; organizationId: string },
  uuid: string | null,
  sha256: string,
): Promise<ComplementRow | undefined> {
  const sideFilter = eq(invoicePayments[side.column], side.organizationId);
  if (uuid) {
    const [row] = await ctx.db
      .select()
      .from(invoicePayments)
      .where(and(sideFilter, eq(invoicePayments.uuid, uuid)))
      .limit(1);
    return row;
  }
  const [row] = await ctx.db
    .select({ complement: invoicePayments })
    .from(invoicePayments)
    .innerJoin(files, eq(files.id, invoicePayments.xmlFileId))
    .where(and(sideFilter, isNull(invoicePayments.uuid), eq(files.sha256, sha256)))
    .limit(1);
  return row?.complement;
}

/** The one value every invoice shares, or null when they differ. */
function common<T>(values: readonly T[]): T | null {
  return values.every((v) => v === values[0]) ? (values[0] ?? null) : null;
}

export async function uploadInvoicePayment(
  ctx: ActorContext,
  input: UploadInvoicePaymentInput,
): Promise<UploadedInvoicePayment> {
  const listed = await accessibleInvoices(ctx, input.invoiceIds, "invoices.write");

  const uploaded = await input.readFiles();
  const xmlBytes = new Uint8Array(await uploaded.xml.arrayBuffer());
  const cfdi = parseCfdi(xmlBytes);
  const complement = paymentComplement(cfdi);
  if (complement.relatedUuids.length === 0) {
    throw badRequest(
      "invoice_payment_without_documents",
      "The complement relates no document (DoctoRelacionado)",
    );
  }
  const notListed = checkReferencedInvoices(
    complement,
    listed.map((l) => l.invoice.uuid),
  );
  if (notListed) throw notListed;

  const byUuid = new Map<string, (typeof listed)[number]>();
  for (const entry of listed) {
    const uuid = entry.invoice.uuid;
    if (!uuid || !complement.relatedUuids.includes(uuid)) continue;
    const other = byUuid.get(uuid);
    if (other && other.invoice.id !== entry.invoice.id) {
      throw badRequest(
        "ambiguous_invoice_uuid",
        "Two of the listed invoices have the same UUID; list only the one this complement pays",
        { uuid, invoiceIds: [other.invoice.id, entry.invoice.id] },
      );
    }
    byUuid.set(uuid, entry);
  }
  const linked = complement.relatedUuids.map((uuid) => byUuid.get(uuid)!);

  const issuerRfc = normalizeRfc(cfdi.Emisor.Rfc);
  const recipientRfc = normalizeRfc(cfdi.Receptor.Rfc);
  const strangers = linked.filter(
    ({ invoice }) =>
      normalizeRfc(invoice.issuerTaxIdentifier ?? "") !== issuerRfc ||
      normalizeRfc(invoice.recipientTaxIdentifier ?? "") !== recipientRfc,
  );
  if (strangers.length > 0) {
    throw badRequest(
      "invoice_payment_party_mismatch",
      `The complement is from ${issuerRfc} to ${recipientRfc}; a complement only pays invoices between the same parties`,
      { invoices: strangers.map(({ invoice }) => ({ id: invoice.id, uuid: invoice.uuid })) },
    );
  }
  const callerOrganization = common(linked.map((l) => l.access.organizationId));
  const callerSide = common(linked.map((l) => l.access.side));
  if (!callerOrganization || !callerSide) {
    throw badRequest(
      "invoices_multiple_organizations",
      "The invoices a complement pays must all be reached through one of your organizations",
    );
  }

  const record = invoiceRecord(cfdi, await verifyCfdi(cfdi), validateCfdi(cfdi));
  const valid = record.status !== "not_valid";
  const side = {
    column: callerSide === "organization" ? ("organizationId" as const) : ("providerId" as const),
    organizationId: callerOrganization,
  };
  const sha256 = await sha256Hex(xmlBytes);
  const existing = await findDuplicate(ctx, side, record.uuid, sha256);
  if (existing) throw duplicate(existing.id);

  const now = nowIso();
  const id = crypto.randomUUID();
  const documents: ComplementDocumentRow[] = valid
    ? complement.applications.map((application) => ({
        ...application,
        id: crypto.randomUUID(),
        invoicePaymentId: id,
        invoiceId: byUuid.get(application.relatedUuid)!.invoice.id,
        createdAt: now,
      }))
    : [];

  // The new state of every paid invoice, computed before anything is stored: a currency the
  // complement cannot convert is a 400 here, not a half-written batch.
  const records = valid
    ? await loadPaymentRecords(
        ctx.db,
        linked.map((l) => l.invoice.id),
      )
    : new Map();
  const updates = valid
    ? linked.map(({ invoice }) => {
        const applied = documents.filter((d) => d.invoiceId === invoice.id);
        const state = stateOf(invoice, records.get(invoice.id)!, {
          documents: applied.map((d) => appliedDocument(d, record.uuid)),
        });
        const transition =
          invoice.status === "accepted" && state.estadoPago.completamentePagado
            ? statusTransition("accepted", "paid", new Date(now))
            : null;
        if (transition instanceof AppError) throw transition;
        return { invoice, state, transition, applied };
      })
    : [];

  const organizationId = common(linked.map((l) => l.invoice.organizationId));
  const providerId = common(linked.map((l) => l.invoice.providerId));
  // Files belong to the receiving organization when it is here, else to the issuer (as invoices do).
  const owner = (organizationId ?? providerId)!;
  const xmlFile = await prepareFile(ctx, { organizationId: owner, type: "invoice_xml", file: uploaded.xml });
  const pdfFile = uploaded.pdf
    ? await prepareFile(ctx, { organizationId: owner, type: "invoice_pdf", file: uploaded.pdf })
    : null;
  const fileRows = [xmlFile, pdfFile].filter((f): f is FileRow => f !== null);

  const row: ComplementRow = {
    id,
    organizationId,
    providerId,
    uuid: record.uuid,
    version: complement.version,
    status: valid ? "valid" : "not_valid",
    validationErrors: record.validationErrors,
    issuerTaxIdentifier: issuerRfc,
    recipientTaxIdentifier: recipientRfc,
    totalAmount: complement.totalAmount,
    xmlFileId: xmlFile.id,
    pdfFileId: pdfFile?.id ?? null,
    issuedAt: record.issuedAt,
    stampedAt: record.stampedAt,
    createdByUserId: ctx.userId,
    createdAt: now,
    updatedAt: now,
  };

  const written: UploadedInvoicePayment["invoices"] = [];
  const statements: BatchItem<"sqlite">[] = [
    ...insertRows(ctx.db, files, fileRows),
    ctx.db.insert(invoicePayments).values(row) as unknown as BatchItem<"sqlite">,
    ...insertRows(ctx.db, invoicePaymentDocuments, documents),
  ];
  for (const { invoice, state, transition, applied } of updates) {
    const changes = { ...state.fields, ...(transition ?? {}) };
    statements.push(
      guardedInvoiceUpdate(ctx.db, invoice, changes, now),
      invoiceEventStatement(ctx, invoice, transition ? "invoice.paid" : "invoice.updated", {
        invoicePaymentId: id,
        complementUuid: record.uuid,
        amountPaid: applied.map((d) => d.amountPaid),
        paidAmount: state.fields.paidAmount,
        dueAmount: state.fields.dueAmount,
        estado: state.estadoPago.estado,
        ...(transition ? { from: invoice.status, to: transition.status } : {}),
      }),
    );
    written.push({ invoice: { ...invoice, ...changes, updatedAt: now }, state });
  }
  try {
    await batchWrite(ctx.db, statements);
  } catch (error) {
    if (isGuardFailure(error)) {
      throw conflict(
        "invoice_changed",
        "An invoice this complement pays changed while it was being applied; send it again",
      );
    }
    // The same complement arrived concurrently, or the other side of these invoices already holds it.
    if (record.uuid && isUniqueViolation(error)) {
      throw duplicate((await findDuplicate(ctx, side, record.uuid, sha256))?.id ?? null);
    }
    throw error;
  }
  announceInvoiceEvents(
    ctx,
    updates.map((u) => u.invoice),
  );

  return { complement: row, documents, files: fileRows, invoices: written };
}
