/**
 * Receiving and reading invoices. An invoice is shared by its receiver (`organizationId`) and its
 * issuer (`providerId`); an actor reaches it through a membership of either side
 * (`requireSharedAccess`), and nothing here reads an invoice by id without that check.
 *
 * Receiving (`receiveInvoice`), in order, so that a refused upload leaves nothing behind:
 * 1. the uploader's side is resolved and checked (`invoices.write`), the other side found among the
 *    organization's provider links by RFC when not given;
 * 2. the XML is parsed, verified and validated by the engine (shared/cfdi); unparseable XML → 400;
 * 3. the receiver's invoice preferences are enforced (shared/invoices/preferences);
 * 4. a UUID already on the caller's side → 409 `duplicate_invoice` with the existing id;
 * 5. files go to R2 (content-addressed, under the receiving organization), then the invoice, its items
 *    and taxes, the file rows and the `invoice.received` event are written in one atomic batch.
 */
import { and, asc, eq, inArray, isNull, or } from "drizzle-orm";
import type { BatchItem } from "drizzle-orm/batch";
import { batchWrite, type Db, inChunks, insertRows } from "../../db/client";
import {
  files,
  invoiceEvents,
  invoiceItems,
  invoiceItemTaxes,
  invoiceLocalTaxes,
  invoicePreferences,
  invoices,
  invoiceTaxes,
  organizations,
  providerOrganizations,
} from "../../db/schema";
import { sha256Hex } from "../../shared/auth/crypto";
import { mexicoCityDateTime } from "../../shared/cfdi/build";
import type { Cfdi } from "../../shared/cfdi/model";
import { parseCfdi } from "../../shared/cfdi/parse";
import { validateCfdi } from "../../shared/cfdi/validate";
import { verifyCfdi } from "../../shared/cfdi/verify";
import { AppError, badRequest, conflict, isAppError } from "../../shared/errors";
import { paymentState } from "../../shared/invoices/payment-status";
import {
  preferencesError,
  preferenceViolations,
  type SubmittedInvoice,
} from "../../shared/invoices/preferences";
import { type InvoiceRecord, invoiceRecord } from "../../shared/invoices/record";
import { normalizeRfc } from "../../shared/rfc";
import { type ActorContext, nowIso } from "./context";
import { announceInvoiceEvents } from "./event-feed";
import { type FileRow, prepareFile } from "./files";
import { type InvoicePaymentDetail, loadInvoicePaymentDetail } from "./invoice-payment-state";
import { requireOrgAccess, requireSharedAccess } from "./tenancy";

export type InvoiceRow = typeof invoices.$inferSelect;
type OrganizationRow = typeof organizations.$inferSelect;

export const INVOICE_EVENT_TYPES = [
  "invoice.received",
  "invoice.status_changed",
  "invoice.updated",
  "invoice.paid",
  "invoice.payment_removed",
  "invoice.cancelled",
] as const;
export type InvoiceEventType = (typeof INVOICE_EVENT_TYPES)[number];

/** An event row; events are written in the same batch as the change they describe, or not at all. */
export function invoiceEventRow(
  ctx: { userId?: string },
  invoice: Pick<InvoiceRow, "id" | "organizationId" | "providerId">,
  type: InvoiceEventType,
  data: Record<string, unknown> = {},
): typeof invoiceEvents.$inferInsert {
  return {
    id: crypto.randomUUID(),
    type,
    invoiceId: invoice.id,
    organizationId: invoice.organizationId,
    providerId: invoice.providerId,
    actorUserId: ctx.userId ?? null,
    data,
    createdAt: nowIso(),
  };
}

/** The event insert for a caller's batch. */
export function invoiceEventStatement(
  ctx: Pick<ActorContext, "db"> & { userId?: string },
  invoice: Pick<InvoiceRow, "id" | "organizationId" | "providerId">,
  type: InvoiceEventType,
  data: Record<string, unknown> = {},
): BatchItem<"sqlite"> {
  return ctx.db
    .insert(invoiceEvents)
    .values(invoiceEventRow(ctx, invoice, type, data)) as unknown as BatchItem<"sqlite">;
}

export interface InvoiceFiles {
  xml: File;
  pdf?: File;
  purchaseOrder?: File;
}

/** Who receives, and how: the same for every document of one upload or one ZIP slice. */
export interface ReceiveSide {
  /** The receiver; the caller's organization when it uploads an invoice it received. */
  organizationId?: string;
  /** The issuer; the caller's organization when it submits an invoice to a client. */
  providerId?: string;
  source?: "upload" | "zip" | "stamp";
  taskId?: string;
}

export interface IncomingDocument {
  /** Reads the uploaded files; called only once the caller may write to the side it named. */
  readFiles(): Promise<InvoiceFiles>;
  /**
   * More statements for the batch that writes this invoice: a ZIP import records its task item there,
   * so an entry whose invoice was written is never received twice, even if the job dies right after.
   */
  alsoWrite?(invoice: InvoiceRow): BatchItem<"sqlite">[];
}

export type ReceiveInvoiceInput = ReceiveSide & IncomingDocument;

interface Sides {
  organization: OrganizationRow | null;
  provider: OrganizationRow | null;
  /** The side the caller acts for. */
  callerSide: "organization" | "provider";
  callerOrganizationId: string;
}

export async function linkedOrganization(
  db: Db,
  side: "provider" | "client",
  organizationId: string,
  rfc: string,
): Promise<OrganizationRow | null> {
  // A provider of `organizationId` with this RFC, or a client of it.
  const [ownColumn, otherColumn] =
    side === "provider"
      ? [providerOrganizations.organizationId, providerOrganizations.providerId]
      : [providerOrganizations.providerId, providerOrganizations.organizationId];
  const [row] = await db
    .select({ organization: organizations })
    .from(providerOrganizations)
    .innerJoin(organizations, eq(organizations.id, otherColumn))
    .where(
      and(
        eq(ownColumn, organizationId),
        eq(organizations.taxIdentifier, rfc),
        isNull(organizations.deletedAt),
      ),
    )
    .limit(1);
  return row?.organization ?? null;
}

/** The caller's side, checked before any byte of the upload is read (a ZIP import checks it too). */
export async function callerAccess(
  ctx: ActorContext,
  input: Pick<ReceiveSide, "organizationId" | "providerId">,
) {
  if (input.organizationId) return requireOrgAccess(ctx, input.organizationId, "invoices.write");
  if (input.providerId) return requireOrgAccess(ctx, input.providerId, "invoices.write");
  throw badRequest(
    "validation_failed",
    "Give organization_id (you received it) or provider_id (you issued it)",
    [
      {
        path: "organization_id",
        message: "organization_id or provider_id is required",
        code: "invalid_type",
      },
    ],
  );
}

/**
 * Both parties of a document. `memo` holds the organization look-ups of one call (a ZIP slice names
 * the same few RFCs over and over).
 */
async function resolveSides(
  ctx: ActorContext,
  input: ReceiveSide,
  caller: OrganizationRow,
  cfdi: Cfdi,
  memo: Map<string, Promise<OrganizationRow | null>>,
): Promise<Sides> {
  const once = (key: string, load: () => Promise<OrganizationRow | null>) => {
    if (!memo.has(key)) memo.set(key, load());
    return memo.get(key)!;
  };
  const issuerRfc = normalizeRfc(cfdi.Emisor.Rfc);
  const recipientRfc = normalizeRfc(cfdi.Receptor.Rfc);
  if (input.organizationId) {
    const organization = caller;
    if (organization.taxIdentifier !== recipientRfc) {
      throw badRequest(
        "recipient_mismatch",
        `The CFDI's Receptor is ${recipientRfc}, not this organization (${organization.taxIdentifier})`,
        { receptorRfc: recipientRfc, organizationRfc: organization.taxIdentifier },
      );
    }
    let provider: OrganizationRow | null = null;
    if (input.providerId) {
      const providerId = input.providerId;
      provider = await once(`link:${providerId}`, async () => {
        const [link] = await ctx.db
          .select({ organization: organizations })
          .from(providerOrganizations)
          .innerJoin(organizations, eq(organizations.id, providerOrganizations.providerId))
          .where(
            and(
              eq(providerOrganizations.organizationId, organization.id),
              eq(providerOrganizations.providerId, providerId),
              isNull(organizations.deletedAt),
            ),
          )
          .limit(1);
        return link?.organization ?? null;
      });
      if (!provider)
        throw new AppError(404, "not_found", "Provider not found among this organization's providers");
      if (provider.taxIdentifier !== issuerRfc) throw issuerMismatch(issuerRfc, provider);
    } else {
      provider = await once(`provider:${issuerRfc}`, () =>
        linkedOrganization(ctx.db, "provider", organization.id, issuerRfc),
      );
    }
    return { organization, provider, callerSide: "organization", callerOrganizationId: organization.id };
  }
  {
    const provider = caller;
    if (provider.taxIdentifier !== issuerRfc) throw issuerMismatch(issuerRfc, provider);
    const organization = await once(`client:${recipientRfc}`, () =>
      linkedOrganization(ctx.db, "client", provider.id, recipientRfc),
    );
    return { organization, provider, callerSide: "provider", callerOrganizationId: provider.id };
  }
}

const issuerMismatch = (issuerRfc: string, provider: OrganizationRow) =>
  badRequest(
    "issuer_mismatch",
    `The CFDI's Emisor is ${issuerRfc}, not the provider (${provider.taxIdentifier})`,
    {
      emisorRfc: issuerRfc,
      providerRfc: provider.taxIdentifier,
    },
  );

const duplicate = (existingId: string | null) =>
  conflict(
    "duplicate_invoice",
    "This invoice is already in the inbox (same UUID, or the same XML when it is not stamped)",
    existingId ? { existingId } : undefined,
  );

const isUniqueViolation = (error: unknown) =>
  /UNIQUE constraint failed|SQLITE_CONSTRAINT/i.test(String((error as Error)?.message ?? error));

/** R2 writes in flight at once while storing a batch's files. */
const FILE_WRITES_IN_FLIGHT = 8;

export interface ReceivedInvoice {
  invoice: InvoiceRow;
  record: InvoiceRecord;
}

export type ReceiveOutcome = ({ ok: true } & ReceivedInvoice) | { ok: false; error: AppError };

/** A document that passed every check, with everything its batch needs. */
interface Prepared {
  index: number;
  sides: Sides;
  record: InvoiceRecord;
  /**
   * What makes it the same document: its UUID once stamped, else the SHA-256 of its XML (an unstamped
   * copy uploaded twice is the same bytes).
   */
  identity: string;
  uploaded: InvoiceFiles;
  row?: InvoiceRow;
  rows?: InvoiceRows;
}

/**
 * Receives one or many documents for the same side: the upload route sends one, a ZIP import a slice.
 * Reads that are the same for every document (the caller's access, linked organizations by RFC,
 * preferences) happen once; duplicates are looked up for all UUIDs together; files are stored
 * concurrently; and every accepted document is written in one atomic batch. Each document gets its
 * own outcome: an AppError refuses that document only. Errors that are not AppErrors (storage down)
 * reject the whole call, and nothing of it has been written to the database.
 */
export async function receiveInvoices(
  ctx: ActorContext,
  side: ReceiveSide,
  documents: readonly IncomingDocument[],
): Promise<ReceiveOutcome[]> {
  const { organization: caller } = await callerAccess(ctx, side);
  const linked = new Map<string, Promise<OrganizationRow | null>>();
  const rules = new Map<string, Promise<PreferenceRules | undefined>>();
  const outcomes: ReceiveOutcome[] = new Array(documents.length);
  const prepared: Prepared[] = [];

  for (const [index, document] of documents.entries()) {
    try {
      const uploaded = await document.readFiles();
      // Refuses oversized or hostile XML before anything else runs (AppError 400/413 with xml_* codes).
      const xmlBytes = new Uint8Array(await uploaded.xml.arrayBuffer());
      const cfdi = parseCfdi(xmlBytes);
      if (cfdi.TipoDeComprobante === "P") {
        throw badRequest(
          "payment_complement_not_invoice",
          "This CFDI is a payment complement (type P): upload it to POST /v1/invoice-payments",
        );
      }
      const sides = await resolveSides(ctx, side, caller, cfdi, linked);
      const record = invoiceRecord(cfdi, await verifyCfdi(cfdi), validateCfdi(cfdi));
      if (sides.organization) {
        const id = sides.organization.id;
        if (!rules.has(id)) rules.set(id, preferencesOf(ctx.db, id));
        enforcePreferences(await rules.get(id)!, {
          paymentMethod: record.paymentMethod,
          cfdiUse: record.cfdiUse,
          paymentForm: record.paymentForm,
          currencyCode: record.currencyCode,
          stampedAt: record.stampedAt,
          hasPurchaseOrder: uploaded.purchaseOrder !== undefined,
        });
      }
      const identity = record.uuid ?? `sha256:${await sha256Hex(xmlBytes)}`;
      prepared.push({ index, sides, record, uploaded, identity });
    } catch (error) {
      if (!isAppError(error)) throw error;
      outcomes[index] = { ok: false, error };
    }
  }

  const { accepted, repeats } = await withoutDuplicates(ctx.db, prepared, outcomes);
  await mapConcurrently(accepted, FILE_WRITES_IN_FLIGHT, async (doc) => {
    try {
      doc.rows = await buildInvoice(ctx, side, doc);
      doc.row = doc.rows.invoice;
    } catch (error) {
      if (!isAppError(error)) throw error;
      outcomes[doc.index] = { ok: false, error };
    }
  });
  const ready = accepted.filter((doc) => doc.row !== undefined);
  const statementsFor = (docs: Prepared[]) =>
    writeStatements(
      ctx,
      docs.map((doc) => doc.rows!),
      docs.flatMap((doc) => documents[doc.index]!.alsoWrite?.(doc.row!) ?? []),
    );
  try {
    await batchWrite(ctx.db, statementsFor(ready));
    for (const doc of ready) outcomes[doc.index] = { ok: true, invoice: doc.row!, record: doc.record };
  } catch (error) {
    if (!isUniqueViolation(error)) throw error;
    // A concurrent upload of one of these UUIDs won a race: write them one by one, so only the
    // document that lost it is refused.
    for (const doc of ready) {
      try {
        await batchWrite(ctx.db, statementsFor([doc]));
        outcomes[doc.index] = { ok: true, invoice: doc.row!, record: doc.record };
      } catch (single) {
        if (!doc.record.uuid || !isUniqueViolation(single)) throw single;
        const existing = await findDuplicates(ctx.db, doc.sides, [doc.identity]);
        outcomes[doc.index] = { ok: false, error: duplicate(existing.get(doc.identity) ?? null) };
      }
    }
  }
  for (const [firstIndex, indices] of repeats) {
    const original = outcomes[firstIndex]!;
    const outcome: ReceiveOutcome = original.ok
      ? { ok: false, error: duplicate(original.invoice.id) }
      : original;
    for (const index of indices) outcomes[index] = outcome;
  }
  announceInvoiceEvents(
    ctx,
    outcomes.flatMap((o) => (o.ok ? [o.invoice] : [])),
  );
  return outcomes;
}

/** One document, refused with its AppError or received. */
export async function receiveInvoice(
  ctx: ActorContext,
  input: ReceiveInvoiceInput,
): Promise<ReceivedInvoice> {
  const [outcome] = await receiveInvoices(ctx, input, [input]);
  if (!outcome!.ok) throw outcome!.error;
  return outcome!;
}

type PreferenceRules = typeof invoicePreferences.$inferSelect;

async function preferencesOf(db: Db, organizationId: string): Promise<PreferenceRules | undefined> {
  const [row] = await db
    .select()
    .from(invoicePreferences)
    .where(eq(invoicePreferences.organizationId, organizationId))
    .limit(1);
  return row;
}

function enforcePreferences(rules: PreferenceRules | undefined, submitted: SubmittedInvoice): void {
  if (!rules) return;
  const violations = preferenceViolations(rules, submitted, new Date());
  if (violations.length > 0) throw preferencesError(violations);
}

/**
 * Refuses, with the receiver's own preference codes, a CFDI that the issuer's linked client with this
 * RFC would not accept into its inbox. Stamping asks before anything is held or stamped: a CFDI
 * stamped and then refused here would exist at SAT with no record in Timbre.
 */
export async function checkReceiverPreferences(
  ctx: ActorContext,
  issuerId: string,
  recipientRfc: string,
  submitted: Omit<SubmittedInvoice, "stampedAt" | "hasPurchaseOrder">,
): Promise<void> {
  const receiver = await linkedOrganization(ctx.db, "client", issuerId, normalizeRfc(recipientRfc));
  if (!receiver) return;
  // Stamped now, through Timbre, which carries no purchase order.
  const stampedAt = mexicoCityDateTime(new Date());
  enforcePreferences(await preferencesOf(ctx.db, receiver.id), {
    ...submitted,
    stampedAt,
    hasPurchaseOrder: false,
  });
}

/** Ids of the caller's side's invoices with these identities (UUIDs, or `sha256:` of the XML). */
async function findDuplicates(db: Db, sides: Sides, identities: string[]): Promise<Map<string, string>> {
  const column = sides.callerSide === "organization" ? invoices.organizationId : invoices.providerId;
  const found = new Map<string, string>();
  const uuids = identities.filter((i) => !i.startsWith("sha256:"));
  const hashes = identities.filter((i) => i.startsWith("sha256:")).map((i) => i.slice("sha256:".length));
  for (const chunk of inChunks(uuids)) {
    const rows = await db
      .select({ id: invoices.id, uuid: invoices.uuid })
      .from(invoices)
      .where(and(eq(column, sides.callerOrganizationId), inArray(invoices.uuid, chunk)));
    for (const row of rows) found.set(row.uuid!, row.id);
  }
  for (const chunk of inChunks(hashes)) {
    // From the few files with these hashes to their invoices: SQLite keeps a CROSS JOIN's order. Left
    // to choose without statistics, it walked every invoice of the side instead, a cost that grew with
    // the inbox on every group of a ZIP import (bench/inbox.bench.ts).
    const rows = await db
      .select({ id: invoices.id, sha256: files.sha256 })
      .from(files)
      .crossJoin(invoices)
      .where(
        and(
          eq(invoices.xmlFileId, files.id),
          eq(column, sides.callerOrganizationId),
          inArray(files.sha256, chunk),
        ),
      );
    for (const row of rows) found.set(`sha256:${row.sha256}`, row.id);
  }
  return found;
}

/**
 * Drops documents the caller's side already holds (outcome: duplicate of that invoice), and documents
 * that repeat an earlier one of the same call, returned in `repeats` (index of the first → indices of
 * its repeats) so that they can point to it once it has an id.
 */
async function withoutDuplicates(db: Db, prepared: Prepared[], outcomes: ReceiveOutcome[]) {
  const repeats = new Map<number, number[]>();
  if (prepared.length === 0) return { accepted: [], repeats };
  // Every document of one call has the same caller side.
  const existing = await findDuplicates(
    db,
    prepared[0]!.sides,
    prepared.map((d) => d.identity),
  );
  const first = new Map<string, number>();
  const accepted = prepared.filter((doc) => {
    const existingId = existing.get(doc.identity);
    if (existingId !== undefined) {
      outcomes[doc.index] = { ok: false, error: duplicate(existingId) };
      return false;
    }
    const earlier = first.get(doc.identity);
    if (earlier !== undefined) {
      repeats.set(earlier, [...(repeats.get(earlier) ?? []), doc.index]);
      return false;
    }
    first.set(doc.identity, doc.index);
    return true;
  });
  return { accepted, repeats };
}

async function mapConcurrently<T>(items: T[], limit: number, run: (item: T) => Promise<void>) {
  let next = 0;
  const worker = async () => {
    while (next < items.length) await run(items[next++]!);
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
}

interface InvoiceRows {
  invoice: InvoiceRow;
  files: FileRow[];
  items: (typeof invoiceItems.$inferInsert)[];
  itemTaxes: (typeof invoiceItemTaxes.$inferInsert)[];
  taxes: (typeof invoiceTaxes.$inferInsert)[];
  localTaxes: (typeof invoiceLocalTaxes.$inferInsert)[];
  event: typeof invoiceEvents.$inferInsert;
}

/**
 * The statements that record documents: rows of each table from all of them in multi-row inserts
 * (a ZIP slice of 50 invoices is about a hundred statements, not five hundred), then `extra`.
 */
function writeStatements(
  ctx: ActorContext,
  docs: InvoiceRows[],
  extra: BatchItem<"sqlite">[],
): BatchItem<"sqlite">[] {
  return [
    ...insertRows(
      ctx.db,
      files,
      docs.flatMap((d) => d.files),
    ),
    ...insertRows(
      ctx.db,
      invoices,
      docs.map((d) => d.invoice),
    ),
    ...insertRows(
      ctx.db,
      invoiceItems,
      docs.flatMap((d) => d.items),
    ),
    ...insertRows(
      ctx.db,
      invoiceItemTaxes,
      docs.flatMap((d) => d.itemTaxes),
    ),
    ...insertRows(
      ctx.db,
      invoiceTaxes,
      docs.flatMap((d) => d.taxes),
    ),
    ...insertRows(
      ctx.db,
      invoiceLocalTaxes,
      docs.flatMap((d) => d.localTaxes),
    ),
    ...insertRows(
      ctx.db,
      invoiceEvents,
      docs.map((d) => d.event),
    ),
    ...extra,
  ];
}

/** The rows of a recorded CFDI's concepts, their taxes, and its document and local taxes. */
export function invoiceDetailRows(
  invoiceId: string,
  { items, taxes, localTaxes }: Pick<InvoiceRecord, "items" | "taxes" | "localTaxes">,
  now: string,
) {
  const owned = { invoiceId, createdAt: now, updatedAt: now };
  const itemRows: (typeof invoiceItems.$inferInsert)[] = [];
  const itemTaxRows: (typeof invoiceItemTaxes.$inferInsert)[] = [];
  for (const { taxes: lineTaxes, ...item } of items) {
    const itemId = crypto.randomUUID();
    itemRows.push({ ...item, ...owned, id: itemId });
    for (const tax of lineTaxes) {
      itemTaxRows.push({ ...tax, ...owned, id: crypto.randomUUID(), invoiceItemId: itemId });
    }
  }
  return {
    items: itemRows,
    itemTaxes: itemTaxRows,
    taxes: taxes.map((t) => ({ ...t, ...owned, id: crypto.randomUUID() })),
    localTaxes: localTaxes.map((t) => ({ ...t, ...owned, id: crypto.randomUUID() })),
  };
}

/** Stores the document's files in R2 and builds the rows that record it. */
async function buildInvoice(ctx: ActorContext, side: ReceiveSide, doc: Prepared): Promise<InvoiceRows> {
  const { sides, record, uploaded } = doc;
  // Files belong to the receiving organization when it is here, else to the issuer.
  const owner = sides.organization?.id ?? sides.provider!.id;
  const [xmlFile, pdfFile, purchaseOrderFile] = await Promise.all([
    prepareFile(ctx, { organizationId: owner, type: "invoice_xml", file: uploaded.xml }),
    uploaded.pdf
      ? prepareFile(ctx, { organizationId: owner, type: "invoice_pdf", file: uploaded.pdf })
      : null,
    uploaded.purchaseOrder
      ? prepareFile(ctx, { organizationId: owner, type: "purchase_order_pdf", file: uploaded.purchaseOrder })
      : null,
  ]);

  const now = nowIso();
  const id = crypto.randomUUID();
  const { items, taxes, localTaxes, ...fields } = record;
  const valid = record.status !== "not_valid";
  const row: InvoiceRow = {
    ...fields,
    id,
    organizationId: sides.organization?.id ?? null,
    providerId: sides.provider?.id ?? null,
    issuerAddressStreet: null,
    issuerAddressNumber: null,
    issuerAddressNumberInterior: null,
    issuerAddressNeighborhood: null,
    issuerAddressCity: null,
    issuerAddressMunicipality: null,
    issuerAddressState: null,
    xmlFileId: xmlFile.id,
    pdfFileId: pdfFile?.id ?? null,
    pdfFileVerifiedAt: null,
    purchaseOrderFileId: purchaseOrderFile?.id ?? null,
    sentAt: valid ? now : null,
    acceptedAt: null,
    paidAt: null,
    completedAt: null,
    rejectedAt: null,
    paymentDueAt: null,
    // Filled below from the one payment-state definition (PUE is settled at issuance).
    lastPaymentAt: null,
    fullyPaidAt: null,
    paidAmount: "0",
    dueAmount: "0",
    paidMicros: 0,
    dueMicros: 0,
    isCancelled: false,
    cancelledAt: null,
    cancellationStatus: null,
    cancellationMotive: null,
    cancellationSubstitution: null,
    cancellationRequestedAt: null,
    stampingProvider: null,
    providerReference: null,
    isRead: false,
    notes: null,
    archivedByOrganizationAt: null,
    archivedByProviderAt: null,
    source: side.source ?? "upload",
    taskId: side.taskId ?? null,
    createdByUserId: ctx.userId,
    createdAt: now,
    updatedAt: now,
  };

  Object.assign(row, paymentState(row, [], []).fields);

  return {
    invoice: row,
    files: [xmlFile, pdfFile, purchaseOrderFile].filter((f): f is FileRow => f !== null),
    ...invoiceDetailRows(id, { items, taxes, localTaxes }, now),
    event: invoiceEventRow(ctx, row, "invoice.received", {
      status: row.status,
      uuid: row.uuid,
      source: row.source,
    }),
  };
}

// ---------------------------------------------------------------------------------------------
// Reading

export interface InvoiceDetail {
  invoice: InvoiceRow;
  items: (typeof invoiceItems.$inferSelect & { taxes: (typeof invoiceItemTaxes.$inferSelect)[] })[];
  taxes: (typeof invoiceTaxes.$inferSelect)[];
  localTaxes: (typeof invoiceLocalTaxes.$inferSelect)[];
  files: Map<string, FileRow>;
  organization: Pick<OrganizationRow, "id" | "name" | "taxIdentifier"> | null;
  provider: Pick<OrganizationRow, "id" | "name" | "taxIdentifier"> | null;
  payments: InvoicePaymentDetail;
}

/** An invoice the actor may read (either side, `invoices.read`), or 404. */
export async function getInvoice(
  ctx: ActorContext,
  id: string,
  permission: "invoices.read" | "invoices.write" = "invoices.read",
) {
  const [invoice] = await ctx.db.select().from(invoices).where(eq(invoices.id, id)).limit(1);
  if (!invoice) throw new AppError(404, "not_found", "Invoice not found");
  const access = await requireSharedAccess(ctx, invoice, permission, "Invoice");
  return { invoice, access };
}

export async function loadInvoiceDetail(db: Db, invoice: InvoiceRow): Promise<InvoiceDetail> {
  const [items, itemTaxes, taxes, localTaxes, payments] = await Promise.all([
    db
      .select()
      .from(invoiceItems)
      .where(eq(invoiceItems.invoiceId, invoice.id))
      .orderBy(asc(invoiceItems.position)),
    db.select().from(invoiceItemTaxes).where(eq(invoiceItemTaxes.invoiceId, invoice.id)),
    db.select().from(invoiceTaxes).where(eq(invoiceTaxes.invoiceId, invoice.id)),
    db.select().from(invoiceLocalTaxes).where(eq(invoiceLocalTaxes.invoiceId, invoice.id)),
    loadInvoicePaymentDetail(db, invoice),
  ]);
  const fileIds = [invoice.xmlFileId, invoice.pdfFileId, invoice.purchaseOrderFileId].filter(
    (f): f is string => f !== null,
  );
  const sideIds = [invoice.organizationId, invoice.providerId].filter((s): s is string => s !== null);
  const [fileRows, sideRows] = await Promise.all([
    fileIds.length ? db.select().from(files).where(inArray(files.id, fileIds)) : [],
    sideIds.length
      ? db
          .select({
            id: organizations.id,
            name: organizations.name,
            taxIdentifier: organizations.taxIdentifier,
          })
          .from(organizations)
          .where(or(...sideIds.map((s) => eq(organizations.id, s))))
      : [],
  ]);
  const byItem = new Map<string, (typeof invoiceItemTaxes.$inferSelect)[]>();
  for (const tax of itemTaxes) {
    const list = byItem.get(tax.invoiceItemId) ?? [];
    list.push(tax);
    byItem.set(tax.invoiceItemId, list);
  }
  return {
    invoice,
    items: items.map((item) => ({ ...item, taxes: byItem.get(item.id) ?? [] })),
    taxes,
    localTaxes,
    files: new Map(fileRows.map((f) => [f.id, f])),
    organization: sideRows.find((o) => o.id === invoice.organizationId) ?? null,
    provider: sideRows.find((o) => o.id === invoice.providerId) ?? null,
    payments,
  };
}
