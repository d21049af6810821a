/**
 * Changing invoices: the single PATCH (seed #158), the bulk PATCH (#150), bulk status changes (#167)
 * and the due-date recalculation a provider link's new terms trigger. The rules themselves live in
 * shared/invoices (edits, status, payment-status); this module selects the invoices, loads what the
 * rules need, and writes every change with its event in one batch.
 *
 * Selection: a bulk request names up to 100 `invoiceIds` (the query's filters are then ignored, and
 * each invoice is changed for the side through which the caller reaches it: the receiver side when
 * the caller is a member of both), or it selects by the Tatem filters (INV_FILTERS) for the one side
 * organization_id / provider_id names, at most MAX_FILTER_TARGETS invoices (more → 400
 * `too_many_invoices`). An id the caller cannot see makes the whole request 404; a rule one invoice
 * breaks makes it 400; either way nothing changes.
 *
 * Status changes: "the user must have permission to update invoice statuses and be associated with
 * both the provider and organization for each invoice". We read it as: the caller holds
 * `invoices.status` in one side of each invoice (the tenant check), and when the other side is an
 * organization here too, the two are linked (a provider_organizations row): a user is associated
 * with its own organization through its membership and with the counterparty through that link.
 * A side with no organization here imposes nothing: there is nobody to be associated with, and the
 * caller's side alone decides (else no invoice from an unregistered provider could ever be accepted).
 * An invoice whose two organizations are not linked → 403 `not_associated`.
 *
 * Due dates on acceptance come from `derivePaymentDueAt` with the provider link's credit terms and
 * the receiver's invoice preferences. Without a link there are no agreed terms, so no date is
 * derived (the receiver sets one with PATCH); a provider's new terms with `update_invoices=true`
 * recalculate the date of the pair's accepted invoices (the unpaid ones that have a due date:
 * earlier statuses get theirs when accepted, later ones are paid).
 *
 * Race guards: every invoice update goes through `guardedInvoiceUpdate` (invoice-payment-state), which
 * writes only while the invoice is still as this request read it; otherwise the batch rolls back as a
 * whole and the caller gets 409 `concurrent_update`: a concurrent change is never silently
 * overwritten and no event is appended for a change not made.
 */
import { and, eq, inArray, or } from "drizzle-orm";
import type { BatchItem } from "drizzle-orm/batch";
import { batchWrite, type Db, inChunks } from "../../db/client";
import { invoiceWhere, sideTenant } from "../../db/invoice-queries";
import {
  invoicePaymentDocuments,
  invoicePayments,
  invoicePreferences,
  invoices,
  providerOrganizations,
} from "../../db/schema";
import { AppError, badRequest, conflict } from "../../shared/errors";
import {
  type BulkPatch,
  bulkInvoiceChanges,
  bulkStatusChanges,
  type CreditTerms,
  derivePaymentDueAt,
  type InvoicePatch,
  invoicePatchChanges,
} from "../../shared/invoices/edits";
import type { Side } from "../../shared/invoices/filters/model";
import { type TatemFilterInput, tatemFilters } from "../../shared/invoices/filters/tatem";
import type { InvoiceStatus } from "../../shared/invoices/status";
import type { Permission } from "../../shared/permissions";
import { type ActorContext, nowIso, type ServiceContext } from "./context";
import { announceInvoiceEvents } from "./event-feed";
import {
  accessibleInvoices,
  guardedInvoiceUpdate,
  isGuardFailure,
  loadPaymentRecords,
  stateOf,
} from "./invoice-payment-state";
import { getInvoice, type InvoiceRow, invoiceEventStatement } from "./invoices";
import { requireOrgAccess } from "./tenancy";

/** The most invoices a filter may select for one bulk change. */
export const MAX_FILTER_TARGETS = 1000;

type PreferencesRow = typeof invoicePreferences.$inferSelect;
type LinkRow = typeof providerOrganizations.$inferSelect;

/**
 * Runs a batch of guarded invoice updates (a failed guard is 409 `concurrent_update`), then announces
 * the events it appended to the invoices' sides.
 */
export async function writeGuarded(
  ctx: ServiceContext,
  statements: BatchItem<"sqlite">[],
  touched: ReadonlyArray<{ organizationId: string | null; providerId: string | null }>,
): Promise<void> {
  try {
    await batchWrite(ctx.db, statements);
  } catch (error) {
    if (isGuardFailure(error)) {
      throw conflict(
        "concurrent_update",
        "An invoice changed while this request ran; nothing was changed. Read it again and retry",
      );
    }
    throw error;
  }
  announceInvoiceEvents(ctx, touched);
}

/** The stored payment fields of an invoice whose total changes, from the payments applied to it. */
export async function paymentFieldsAfter(db: Db, invoice: InvoiceRow) {
  const records = (await loadPaymentRecords(db, [invoice.id])).get(invoice.id)!;
  return stateOf(invoice, records).fields;
}

// ---------------------------------------------------------------------------------------------
// Single PATCH /invoices/{id}.

/** The event's view of a change: the values written, without the derived micros. */
function changedValues(changes: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(changes).filter(([key]) => !key.endsWith("Micros")));
}

export async function updateInvoice(ctx: ActorContext, id: string, patch: InvoicePatch): Promise<void> {
  const { invoice } = await getInvoice(ctx, id, "invoices.write");
  const changes = invoicePatchChanges(invoice, patch);
  if (changes instanceof AppError) throw changes;
  const payment =
    changes.grossPriceAmount === undefined
      ? {}
      : await paymentFieldsAfter(ctx.db, { ...invoice, grossPriceAmount: changes.grossPriceAmount });
  await writeGuarded(
    ctx,
    [
      guardedInvoiceUpdate(ctx.db, invoice, { ...changes, ...payment }, nowIso()),
      invoiceEventStatement(ctx, invoice, "invoice.updated", { changes: changedValues(changes) }),
    ],
    [invoice],
  );
}

// ---------------------------------------------------------------------------------------------
// Selecting the invoices of a bulk request.

export interface InvoiceSelection {
  /** When given, the filters are ignored. */
  invoiceIds?: readonly string[];
  filters: TatemFilterInput;
}

interface Target {
  invoice: InvoiceRow;
  /** The side through which the caller reaches the invoice. */
  side: Side;
}

async function targetsByFilters(
  ctx: ActorContext,
  filters: TatemFilterInput,
  permission: Permission,
): Promise<Target[]> {
  const { tenant, conditions } = tatemFilters(filters);
  await requireOrgAccess(ctx, tenant.organizationId, permission);
  const rows = await ctx.db
    .select()
    .from(invoices)
    .where(invoiceWhere(sideTenant(tenant.organizationId, tenant.side), conditions))
    .orderBy(invoices.id)
    .limit(MAX_FILTER_TARGETS + 1);
  if (rows.length > MAX_FILTER_TARGETS) {
    throw badRequest(
      "too_many_invoices",
      `The filters select more than ${MAX_FILTER_TARGETS} invoices; narrow them or send invoiceIds`,
      { maximum: MAX_FILTER_TARGETS },
    );
  }
  return rows.map((invoice) => ({ invoice, side: tenant.side }));
}

const selectTargets = (ctx: ActorContext, selection: InvoiceSelection, permission: Permission) =>
  selection.invoiceIds
    ? accessibleInvoices(ctx, [...new Set(selection.invoiceIds)], permission).then((list) =>
        list.map(({ invoice, access }) => ({ invoice, side: access.side })),
      )
    : targetsByFilters(ctx, selection.filters, permission);

async function loadPreferences(db: Db, organizationIds: readonly string[]) {
  const unique = [...new Set(organizationIds)];
  const rows = (
    await Promise.all(
      inChunks(unique).map((chunk) =>
        db.select().from(invoicePreferences).where(inArray(invoicePreferences.organizationId, chunk)),
      ),
    )
  ).flat();
  return new Map<string, PreferencesRow>(rows.map((r) => [r.organizationId, r]));
}

const pairKey = (organizationId: string, providerId: string) => `${organizationId}|${providerId}`;

/** The provider links between the two organizations of each invoice that has both. */
async function loadLinks(db: Db, list: readonly InvoiceRow[]) {
  const pairs = new Map<string, { organizationId: string; providerId: string }>();
  for (const { organizationId, providerId } of list) {
    if (organizationId && providerId)
      pairs.set(pairKey(organizationId, providerId), { organizationId, providerId });
  }
  const rows = (
    await Promise.all(
      inChunks([...pairs.values()], 40).map((chunk) =>
        db
          .select()
          .from(providerOrganizations)
          .where(
            or(
              ...chunk.map((p) =>
                and(
                  eq(providerOrganizations.organizationId, p.organizationId),
                  eq(providerOrganizations.providerId, p.providerId),
                ),
              ),
            ),
          ),
      ),
    )
  ).flat();
  return new Map<string, LinkRow>(rows.map((r) => [pairKey(r.organizationId, r.providerId), r]));
}

// ---------------------------------------------------------------------------------------------
// Bulk PATCH /invoices.

export async function updateInvoices(
  ctx: ActorContext,
  selection: InvoiceSelection,
  patch: BulkPatch,
): Promise<void> {
  const targets = await selectTargets(ctx, selection, "invoices.write");
  const now = new Date();
  const preferences =
    patch.paymentDay === undefined
      ? new Map<string, PreferencesRow>()
      : await loadPreferences(
          ctx.db,
          targets.flatMap((t) => (t.invoice.organizationId ? [t.invoice.organizationId] : [])),
        );
  const statements: BatchItem<"sqlite">[] = [];
  for (const side of ["organization", "provider"] as const) {
    const ofSide = targets.filter((t) => t.side === side).map((t) => t.invoice);
    if (ofSide.length === 0) continue;
    const changes = bulkInvoiceChanges(patch, ofSide, { side, now, preferences });
    if (changes instanceof AppError) throw changes;
    const byId = new Map(ofSide.map((i) => [i.id, i]));
    for (const change of changes) {
      const invoice = byId.get(change.id)!;
      statements.push(
        guardedInvoiceUpdate(ctx.db, invoice, change.changes, now.toISOString()),
        invoiceEventStatement(ctx, invoice, "invoice.updated", { changes: change.changes }),
      );
    }
  }
  await writeGuarded(
    ctx,
    statements,
    targets.map((t) => t.invoice),
  );
}

// ---------------------------------------------------------------------------------------------
// PATCH /invoices/status.

export interface StatusRequest {
  status: InvoiceStatus;
  invoicePaymentId?: string;
}

/** 403 `not_associated` for invoices whose two organizations are not linked (see the header). */
function requireAssociation(targets: readonly Target[], links: ReadonlyMap<string, LinkRow>) {
  const unlinked = targets
    .filter(({ invoice: i }) => i.organizationId && i.providerId && i.organizationId !== i.providerId)
    .filter(({ invoice: i }) => !links.has(pairKey(i.organizationId!, i.providerId!)))
    .map((t) => t.invoice.id);
  if (unlinked.length > 0) {
    throw new AppError(
      403,
      "not_associated",
      "The provider and the organization of these invoices are not linked, so their status cannot be changed",
      { invoiceIds: unlinked },
    );
  }
}

/** 400 unless the payment complement is valid and applied to each invoice completed with it. */
async function requireLinkedPayment(db: Db, invoicePaymentId: string, invoiceIds: readonly string[]) {
  if (invoiceIds.length === 0) return;
  const [payment] = await db
    .select({ status: invoicePayments.status })
    .from(invoicePayments)
    .where(eq(invoicePayments.id, invoicePaymentId))
    .limit(1);
  if (payment?.status === "not_valid") {
    throw badRequest("invoice_payment_not_valid", "The payment complement did not pass validation");
  }
  const linked = payment
    ? (
        await Promise.all(
          inChunks(invoiceIds).map((chunk) =>
            db
              .selectDistinct({ invoiceId: invoicePaymentDocuments.invoiceId })
              .from(invoicePaymentDocuments)
              .where(
                and(
                  eq(invoicePaymentDocuments.invoicePaymentId, invoicePaymentId),
                  inArray(invoicePaymentDocuments.invoiceId, chunk),
                ),
              ),
          ),
        )
      )
        .flat()
        .map((r) => r.invoiceId)
    : [];
  const notLinked = invoiceIds.filter((id) => !linked.includes(id));
  if (notLinked.length > 0) {
    throw badRequest(
      "invoice_payment_not_linked",
      "invoicePaymentId must be a payment complement applied to every invoice being completed",
      { invoiceIds: notLinked },
    );
  }
}

/** The due date an invoice accepted now takes, or undefined when it has no terms (see the header). */
function acceptedDueAt(
  invoice: InvoiceRow,
  acceptedAt: string,
  links: ReadonlyMap<string, LinkRow>,
  preferences: ReadonlyMap<string, PreferencesRow>,
): string | undefined {
  if (!invoice.organizationId || !invoice.providerId) return undefined;
  const link = links.get(pairKey(invoice.organizationId, invoice.providerId));
  if (!link) return undefined;
  const due = derivePaymentDueAt(
    { createdAt: invoice.createdAt, stampedAt: invoice.stampedAt, acceptedAt },
    link,
    preferences.get(invoice.organizationId) ?? null,
  );
  return due ?? undefined;
}

export async function updateInvoiceStatuses(
  ctx: ActorContext,
  selection: InvoiceSelection,
  request: StatusRequest,
): Promise<Array<{ id: string; status: InvoiceStatus }>> {
  const targets = await selectTargets(ctx, selection, "invoices.status");
  const list = targets.map((t) => t.invoice);
  const links = await loadLinks(ctx.db, list);
  requireAssociation(targets, links);
  const now = new Date();
  const changes = bulkStatusChanges(list, request, now);
  if (changes instanceof AppError) throw changes;
  if (request.status === "completed") {
    await requireLinkedPayment(
      ctx.db,
      request.invoicePaymentId!,
      changes.map((c) => c.id),
    );
  }
  const accepting = changes.filter((c) => c.changes.acceptedAt !== undefined);
  const preferences = accepting.length
    ? await loadPreferences(
        ctx.db,
        accepting.flatMap((c) => {
          const organizationId = list.find((i) => i.id === c.id)!.organizationId;
          return organizationId ? [organizationId] : [];
        }),
      )
    : new Map<string, PreferencesRow>();

  const byId = new Map(list.map((i) => [i.id, i]));
  const statements: BatchItem<"sqlite">[] = [];
  for (const change of changes) {
    const invoice = byId.get(change.id)!;
    const set: Partial<InvoiceRow> = { ...change.changes };
    if (change.changes.acceptedAt) {
      const due = acceptedDueAt(invoice, change.changes.acceptedAt, links, preferences);
      if (due) set.paymentDueAt = due;
    }
    statements.push(
      guardedInvoiceUpdate(ctx.db, invoice, set, now.toISOString()),
      invoiceEventStatement(ctx, invoice, "invoice.status_changed", {
        from: change.from,
        to: change.changes.status,
        ...(change.changes.status === "completed" ? { invoicePaymentId: request.invoicePaymentId } : {}),
        ...(set.paymentDueAt ? { paymentDueAt: set.paymentDueAt } : {}),
      }),
    );
  }
  await writeGuarded(ctx, statements, list);
  return list.map((i) => ({
    id: i.id,
    status: changes.some((c) => c.id === i.id) ? request.status : i.status,
  }));
}

// ---------------------------------------------------------------------------------------------
// A provider link's new terms.

/**
 * The statements that move the due date of each accepted, uncancelled invoice between the linked
 * organizations to what `terms` give, for the caller's batch that changes the terms.
 */
export async function paymentDueRecalculation(
  ctx: ActorContext,
  links: ReadonlyArray<{ organizationId: string; providerId: string } & CreditTerms>,
): Promise<BatchItem<"sqlite">[]> {
  const preferences = await loadPreferences(
    ctx.db,
    links.map((l) => l.organizationId),
  );
  const now = nowIso();
  const statements: BatchItem<"sqlite">[] = [];
  for (const link of links) {
    const accepted = await ctx.db
      .select()
      .from(invoices)
      .where(
        and(
          eq(invoices.organizationId, link.organizationId),
          eq(invoices.providerId, link.providerId),
          eq(invoices.status, "accepted"),
          eq(invoices.isCancelled, false),
        ),
      );
    for (const invoice of accepted) {
      const due = derivePaymentDueAt(invoice, link, preferences.get(link.organizationId) ?? null);
      if (!due || due === invoice.paymentDueAt) continue;
      statements.push(
        guardedInvoiceUpdate(ctx.db, invoice, { paymentDueAt: due }, now),
        invoiceEventStatement(ctx, invoice, "invoice.updated", {
          changes: { paymentDueAt: due },
          reason: "provider_terms_changed",
        }),
      );
    }
  }
  return statements;
}
