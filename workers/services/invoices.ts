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
import { batchWrite, type Db, insertRows } from "../../db/client";
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
import type { Cfdi } from "../../shared/cfdi/model";
import { parseCfdi } from "../../shared/cfdi/parse";
import { validateCfdi } from "../../shared/cfdi/validate";
import { verifyCfdi } from "../../shared/cfdi/verify";
import { AppError, badRequest, conflict } from "../../shared/errors";
import { paymentState } from "../../shared/invoices/payment-status";
import { preferencesError, preferenceViolations } from "../../shared/invoices/preferences";
import { type InvoiceRecord, invoiceRecord } from "../../shared/invoices/record";
import { normalizeRfc } from "../../shared/rfc";
import { type ActorContext, nowIso } from "./context";
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

/** The event insert for a caller's batch: events are written with the change they describe, or not at all. */
export function invoiceEventStatement(
  ctx: Pick<ActorContext, "db"> & { userId?: string },
  invoice: Pick<InvoiceRow, "id" | "organizationId" | "providerId">,
  type: InvoiceEventType,
  data: Record<string, unknown> = {},
): BatchItem<"sqlite"> {
  return ctx.db.insert(invoiceEvents).values({
    id: crypto.randomUUID(),
    type,
    invoiceId: invoice.id,
    organizationId: invoice.organizationId,
    providerId: invoice.providerId,
    actorUserId: ctx.userId ?? null,
    data,
    createdAt: nowIso(),
  }) as unknown as BatchItem<"sqlite">;
}

export interface InvoiceFiles {
  xml: File;
  pdf?: File;
  purchaseOrder?: File;
}

export interface ReceiveInvoiceInput {
  /** The receiver; the caller's organization when it uploads an invoice it received. */
  organizationId?: string;
  /** The issuer; the caller's organization when it submits an invoice to a client. */
  providerId?: string;
  /** Reads the uploaded files; called only once the caller may write to the side it named. */
  readFiles(): Promise<InvoiceFiles>;
  source?: "upload" | "zip";
  taskId?: string;
  /**
   * More statements for the invoice's own atomic batch: a ZIP import records its task item there, so
   * an entry whose invoice was written is never received twice, even if the job dies right after.
   */
  alsoWrite?(invoice: InvoiceRow): BatchItem<"sqlite">[];
}

interface Sides {
  organization: OrganizationRow | null;
  provider: OrganizationRow | null;
  /** The side the caller acts for. */
  callerSide: "organization" | "provider";
  callerOrganizationId: string;
}

async function linkedOrganization(
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
  input: Pick<ReceiveInvoiceInput, "organizationId" | "providerId">,
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

async function resolveSides(
  ctx: ActorContext,
  input: ReceiveInvoiceInput,
  caller: OrganizationRow,
  cfdi: Cfdi,
): Promise<Sides> {
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
      const [link] = await ctx.db
        .select({ organization: organizations })
        .from(providerOrganizations)
        .innerJoin(organizations, eq(organizations.id, providerOrganizations.providerId))
        .where(
          and(
            eq(providerOrganizations.organizationId, organization.id),
            eq(providerOrganizations.providerId, input.providerId),
            isNull(organizations.deletedAt),
          ),
        )
        .limit(1);
      if (!link)
        throw new AppError(404, "not_found", "Provider not found among this organization's providers");
      provider = link.organization;
      if (provider.taxIdentifier !== issuerRfc) throw issuerMismatch(issuerRfc, provider);
    } else {
      provider = await linkedOrganization(ctx.db, "provider", organization.id, issuerRfc);
    }
    return { organization, provider, callerSide: "organization", callerOrganizationId: organization.id };
  }
  {
    const provider = caller;
    if (provider.taxIdentifier !== issuerRfc) throw issuerMismatch(issuerRfc, provider);
    const organization = await linkedOrganization(ctx.db, "client", provider.id, recipientRfc);
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

async function enforcePreferences(
  db: Db,
  organizationId: string,
  record: InvoiceRecord,
  hasPurchaseOrder: boolean,
): Promise<void> {
  const [rules] = await db
    .select()
    .from(invoicePreferences)
    .where(eq(invoicePreferences.organizationId, organizationId))
    .limit(1);
  if (!rules) return;
  const violations = preferenceViolations(
    rules,
    {
      paymentMethod: record.paymentMethod,
      cfdiUse: record.cfdiUse,
      paymentForm: record.paymentForm,
      currencyCode: record.currencyCode,
      stampedAt: record.stampedAt,
      hasPurchaseOrder,
    },
    new Date(),
  );
  if (violations.length > 0) throw preferencesError(violations);
}

const duplicate = (existingId: string | null) =>
  conflict(
    "duplicate_invoice",
    "An invoice with this UUID is already in the inbox",
    existingId ? { existingId } : undefined,
  );

/** The invoice with this UUID on the caller's side, if any. */
async function findDuplicate(db: Db, sides: Sides, uuid: string): Promise<InvoiceRow | undefined> {
  const column = sides.callerSide === "organization" ? invoices.organizationId : invoices.providerId;
  const [row] = await db
    .select()
    .from(invoices)
    .where(and(eq(column, sides.callerOrganizationId), eq(invoices.uuid, uuid)))
    .limit(1);
  return row;
}

const isUniqueViolation = (error: unknown) =>
  /UNIQUE constraint failed|SQLITE_CONSTRAINT/i.test(String((error as Error)?.message ?? error));

export interface ReceivedInvoice {
  invoice: InvoiceRow;
  record: InvoiceRecord;
}

export async function receiveInvoice(
  ctx: ActorContext,
  input: ReceiveInvoiceInput,
): Promise<ReceivedInvoice> {
  const { organization: caller } = await callerAccess(ctx, input);
  const uploaded = await input.readFiles();
  const xmlBytes = new Uint8Array(await uploaded.xml.arrayBuffer());
  // Refuses oversized or hostile XML before anything else runs (AppError 400/413 with xml_* codes).
  const cfdi = parseCfdi(xmlBytes);
  if (cfdi.TipoDeComprobante === "P") {
    throw badRequest(
      "payment_complement_not_invoice",
      "This CFDI is a payment complement (type P): upload it to POST /v1/invoice-payments",
    );
  }
  const sides = await resolveSides(ctx, input, caller, cfdi);
  const record = invoiceRecord(cfdi, await verifyCfdi(cfdi), validateCfdi(cfdi));
  if (sides.organization) {
    await enforcePreferences(ctx.db, sides.organization.id, record, uploaded.purchaseOrder !== undefined);
  }
  if (record.uuid) {
    const existing = await findDuplicate(ctx.db, sides, record.uuid);
    if (existing) throw duplicate(existing.id);
  }

  // Files belong to the receiving organization when it is here, else to the issuer.
  const owner = sides.organization?.id ?? sides.provider!.id;
  const xmlFile = await prepareFile(ctx, { organizationId: owner, type: "invoice_xml", file: uploaded.xml });
  const pdfFile = uploaded.pdf
    ? await prepareFile(ctx, { organizationId: owner, type: "invoice_pdf", file: uploaded.pdf })
    : null;
  const purchaseOrderFile = uploaded.purchaseOrder
    ? await prepareFile(ctx, {
        organizationId: owner,
        type: "purchase_order_pdf",
        file: uploaded.purchaseOrder,
      })
    : null;

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
    isRead: false,
    notes: null,
    archivedByOrganizationAt: null,
    archivedByProviderAt: null,
    source: input.source ?? "upload",
    taskId: input.taskId ?? null,
    createdByUserId: ctx.userId,
    createdAt: now,
    updatedAt: now,
  };

  Object.assign(row, paymentState(row, [], []).fields);

  const itemRows: (typeof invoiceItems.$inferInsert)[] = [];
  const itemTaxRows: (typeof invoiceItemTaxes.$inferInsert)[] = [];
  for (const { taxes: lineTaxes, ...item } of items) {
    const itemId = crypto.randomUUID();
    itemRows.push({ ...item, id: itemId, invoiceId: id, createdAt: now, updatedAt: now });
    for (const tax of lineTaxes) {
      itemTaxRows.push({
        ...tax,
        id: crypto.randomUUID(),
        invoiceId: id,
        invoiceItemId: itemId,
        createdAt: now,
        updatedAt: now,
      });
    }
  }
  const fileRows = [xmlFile, pdfFile, purchaseOrderFile].filter((f): f is FileRow => f !== null);
  try {
    await batchWrite(ctx.db, [
      ...insertRows(ctx.db, files, fileRows),
      ctx.db.insert(invoices).values(row) as unknown as BatchItem<"sqlite">,
      ...insertRows(ctx.db, invoiceItems, itemRows),
      ...insertRows(ctx.db, invoiceItemTaxes, itemTaxRows),
      ...insertRows(
        ctx.db,
        invoiceTaxes,
        taxes.map((t) => ({ ...t, id: crypto.randomUUID(), invoiceId: id, createdAt: now, updatedAt: now })),
      ),
      ...insertRows(
        ctx.db,
        invoiceLocalTaxes,
        localTaxes.map((t) => ({
          ...t,
          id: crypto.randomUUID(),
          invoiceId: id,
          createdAt: now,
          updatedAt: now,
        })),
      ),
      invoiceEventStatement(ctx, row, "invoice.received", {
        status: row.status,
        uuid: row.uuid,
        source: row.source,
      }),
      ...(input.alsoWrite?.(row) ?? []),
    ]);
  } catch (error) {
    // A concurrent upload of the same UUID won the race, or the other side already holds it.
    if (record.uuid && isUniqueViolation(error)) {
      const existing = await findDuplicate(ctx.db, sides, record.uuid);
      throw duplicate(existing?.id ?? null);
    }
    throw error;
  }
  return { invoice: row, record };
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
