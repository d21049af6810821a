/**
 * The invoice listings: Tatem's list, balance and distinct-value lists, Syntage's taxpayer collection
 * and Contafy's profile listing. Each resolves the caller's organizations through the tenant check
 * (`requireOrgAccess` with `invoices.read`) first, then runs the one filter engine
 * (db/invoice-queries) with those organizations as the tenant. A filter can only narrow what the
 * tenant sees; an organization the caller does not belong to is a 404 before any query runs.
 */
import { and, eq, isNull } from "drizzle-orm";
import {
  CursorNotFound,
  countInvoices,
  type DistinctList,
  distinctValues,
  grossPriceBalance,
  invoicePageWithAggregates,
  selectInvoicePage,
  selectInvoicesByCursor,
  sideTenant,
  type Tenant,
} from "../../db/invoice-queries";
import { memberships, organizations } from "../../db/schema";
import { AppError, badRequest, notFound } from "../../shared/errors";
import { type ContafyInput, contafyList } from "../../shared/invoices/filters/contafy";
import type { Pagination } from "../../shared/invoices/filters/model";
import { syntageList } from "../../shared/invoices/filters/syntage";
import {
  type TatemFilterInput,
  type TatemListInput,
  tatemFilters,
  tatemList,
  tatemSide,
} from "../../shared/invoices/filters/tatem";
import { normalizeRfc } from "../../shared/rfc";
import type { ActorContext } from "./context";
import { type OrgAccess, requireOrgAccess } from "./tenancy";

async function tatemTenant(ctx: ActorContext, q: { organization_id?: string; provider_id?: string }) {
  const { side, organizationId } = tatemSide(q);
  await requireOrgAccess(ctx, organizationId, "invoices.read");
  return { side, tenant: sideTenant(organizationId, side) };
}

/** GET /v1/invoices: one page and the aggregates of everything the filters select. */
export async function listInvoices(ctx: ActorContext, q: TatemListInput, now = new Date()) {
  const { query } = tatemList(q, now);
  const { tenant } = await tatemTenant(ctx, q);
  const page = offsetPage(query.pagination);
  const { rows, aggregates } = await invoicePageWithAggregates(
    ctx.db,
    tenant,
    query.conditions,
    query.sort,
    page,
    now,
  );
  return { rows, aggregates, page };
}

/** GET /v1/invoices/balance. */
export async function invoicesBalance(ctx: ActorContext, q: TatemFilterInput) {
  const { conditions } = tatemFilters(q);
  const { tenant } = await tatemTenant(ctx, q);
  return grossPriceBalance(ctx.db, tenant, conditions);
}

/** The distinct-value lists (#161–165), over the caller's side. */
export async function invoiceValues(
  ctx: ActorContext,
  q: { organization_id?: string; provider_id?: string },
  list: DistinctList,
) {
  const { side, tenant } = await tatemTenant(ctx, q);
  return distinctValues(ctx.db, tenant, side, list);
}

function offsetPage(p: Pagination) {
  if (p.kind !== "offset") throw new Error("this dialect pages by number");
  return p;
}

/**
 * The caller's organizations among `candidates` that may read invoices, each proven by the tenant
 * check; `denied` is the 403 of the first one whose role lacks the permission.
 */
async function readable(ctx: ActorContext, candidates: readonly string[]) {
  const results = await Promise.allSettled(
    candidates.map((id) => requireOrgAccess(ctx, id, "invoices.read")),
  );
  const granted = results.flatMap((r) => (r.status === "fulfilled" ? [r.value] : []));
  const rejected = results.find((r): r is PromiseRejectedResult => r.status === "rejected");
  if (rejected && !(rejected.reason instanceof AppError && rejected.reason.status === 403))
    throw rejected.reason;
  return { granted, denied: rejected?.reason as AppError | undefined };
}

/** Ids of the organizations the caller belongs to (optionally those with one RFC). */
async function memberOrganizationIds(ctx: ActorContext, rfc?: string): Promise<string[]> {
  const rows = await ctx.db
    .select({ id: organizations.id })
    .from(memberships)
    .innerJoin(organizations, eq(organizations.id, memberships.organizationId))
    .where(
      and(
        eq(memberships.userId, ctx.userId),
        isNull(organizations.deletedAt),
        rfc ? eq(organizations.taxIdentifier, rfc) : undefined,
      ),
    );
  return rows.map((r) => r.id);
}

const tenantOf = (accesses: readonly OrgAccess[], scope: Tenant["scope"]): Tenant => ({
  organizationIds: accesses.map((a) => a.organizationId),
  scope,
});

/**
 * GET /v1/taxpayers/{rfc}/invoices: `rfc` is the RFC of an organization the caller belongs to (every
 * such organization when several share it); any other RFC → 404, as for an organization id, and a
 * role without `invoices.read` in all of them → 403.
 */
export async function listTaxpayerInvoices(
  ctx: ActorContext,
  rfc: string,
  q: Record<string, unknown>,
  keyOrder: readonly string[],
) {
  const { scope, query } = syntageList(q, keyOrder);
  const candidates = await memberOrganizationIds(ctx, normalizeRfc(rfc));
  if (candidates.length === 0) throw notFound("Taxpayer");
  const { granted, denied } = await readable(ctx, candidates);
  if (granted.length === 0) throw denied ?? notFound("Taxpayer");
  if (query.pagination.kind !== "cursor") throw new Error("Syntage pages by cursor");
  try {
    const page = await selectInvoicesByCursor(
      ctx.db,
      tenantOf(granted, scope),
      query.conditions,
      query.sort,
      query.pagination,
    );
    return { ...page, organizations: granted.map((a) => a.organization) };
  } catch (e) {
    if (e instanceof CursorNotFound) {
      throw badRequest("invalid_cursor", "id[lt] / id[gt] must name an invoice of this listing");
    }
    throw e;
  }
}

/**
 * GET /v1/api/invoices: one profile (an organization of the caller, else 404) or every profile whose
 * role may read invoices; both sides, issued and received.
 */
export async function listProfileInvoices(ctx: ActorContext, q: ContafyInput) {
  const { profileId, query } = contafyList(q);
  const profiles = profileId
    ? [await requireOrgAccess(ctx, profileId, "invoices.read")]
    : (await readable(ctx, await memberOrganizationIds(ctx))).granted;
  const page = offsetPage(query.pagination);
  const tenant = tenantOf(profiles, {});
  const [rows, total] = await Promise.all([
    selectInvoicePage(ctx.db, tenant, query.conditions, query.sort, page),
    countInvoices(ctx.db, tenant, query.conditions),
  ]);
  return { rows, total, page, profiles: profiles.map((p) => p.organization) };
}
