/**
 * Provider ↔ client links (`provider_organizations`: `organizationId` receives invoices from
 * `providerId`): creating one from a link invitation, reading and updating its terms with the seed's
 * side rules, and a provider's list of its client organizations.
 *
 * Side rules (the seed): the organization side sets credit days and period; the provider side sets
 * the bank account, reference number and instructions file, "except the provider is being managed by
 * the user's organization", which we read as: the provider organization has no enabled member of its
 * own, so its client keeps those details for it.
 */
import { and, asc, count, desc, eq, inArray, isNull, or, type SQL, sql } from "drizzle-orm";
import { batchWrite } from "../../db/client";
import { containsInsensitive } from "../../db/filters";
import { files, linkInvitations, memberships, organizations, providerOrganizations } from "../../db/schema";
import { badRequest, conflict, forbidden, notFound } from "../../shared/errors";
import { pageOffset } from "../../shared/pagination";
import { roleCan } from "../../shared/permissions";
import { type ActorContext, nowIso } from "./context";
import { findLinkInvitation, isConsumed, type LinkDirection } from "./invitations";
import { paymentDueRecalculation, writeGuarded } from "./invoice-changes";
import { findMembership, requireOrgAccess } from "./tenancy";

export type ProviderOrganizationRow = typeof providerOrganizations.$inferSelect;
export const DEFAULT_CREDIT_DAYS = 30;

const linkNotFound = () => notFound("Provider organization");
const linkOf = (organizationId: string, providerId: string) =>
  and(
    eq(providerOrganizations.organizationId, organizationId),
    eq(providerOrganizations.providerId, providerId),
  )!;

async function findLink(ctx: ActorContext, organizationId: string, providerId: string) {
  const [link] = await ctx.db
    .select()
    .from(providerOrganizations)
    .where(linkOf(organizationId, providerId))
    .limit(1);
  return link;
}

/**
 * POST /v1/invitations/{providers|organizations}/{code}/link: the invitee organization (the provider
 * for invitations to providers, the client for invitations to organizations) accepts. The claim of a
 * single-use code and the insert of the link are one batch, and the insert only happens if the claim
 * went to this invitee, so one code never creates two links.
 */
export async function linkByInvitation(
  ctx: ActorContext,
  direction: LinkDirection,
  code: string,
  inviteeOrganizationId: string,
) {
  await requireOrgAccess(ctx, inviteeOrganizationId, "providers.manage");
  const invitation = await findLinkInvitation(ctx, direction, code);
  const [inviter] = await ctx.db
    .select({ id: organizations.id })
    .from(organizations)
    .where(and(eq(organizations.id, invitation.inviterOrganizationId), isNull(organizations.deletedAt)))
    .limit(1);
  if (!inviter) throw notFound("Invitation", "invitation_not_found");
  if (isConsumed(invitation)) throw conflict("invitation_already_used", "This invitation was already used");
  if (inviter.id === inviteeOrganizationId) {
    throw badRequest("cannot_link_to_itself", "An organization cannot be its own provider");
  }
  const [organizationId, providerId] =
    direction === "provider" ? [inviter.id, inviteeOrganizationId] : [inviteeOrganizationId, inviter.id];
  const alreadyLinked = () => conflict("already_linked", "These organizations are already linked");
  if (await findLink(ctx, organizationId, providerId)) throw alreadyLinked();

  const now = nowIso();
  const claimedForInvitee = and(
    eq(linkInvitations.code, invitation.code),
    or(eq(linkInvitations.isReusable, true), eq(linkInvitations.linkedOrganizationId, inviteeOrganizationId)),
  );
  const insertLink = ctx.db.insert(providerOrganizations).select((qb) =>
    qb
      .select({
        organizationId: sql`${organizationId}`.as("organization_id"),
        providerId: sql`${providerId}`.as("provider_id"),
        creditDays: sql`${DEFAULT_CREDIT_DAYS}`.as("credit_days"),
        creditPeriod: sql`'d'`.as("credit_period"),
        bankAccountId: sql`null`.as("bank_account_id"),
        referenceNumber: sql`null`.as("reference_number"),
        bankAccountInstructionsFileId: sql`null`.as("bank_account_instructions_file_id"),
        isMain: sql`0`.as("is_main"),
        createdAt: sql`${now}`.as("created_at"),
        updatedAt: sql`${now}`.as("updated_at"),
      })
      .from(linkInvitations)
      .where(claimedForInvitee),
  );
  const claim = ctx.db
    .update(linkInvitations)
    .set({ linkedOrganizationId: inviteeOrganizationId, linkedAt: now, updatedAt: now })
    .where(
      and(
        eq(linkInvitations.code, invitation.code),
        eq(linkInvitations.isReusable, false),
        isNull(linkInvitations.linkedAt),
      ),
    );
  try {
    await batchWrite(ctx.db, invitation.isReusable ? [insertLink] : [claim, insertLink]);
  } catch (e) {
    // The same pair was linked by a concurrent request: the primary key refused the second row.
    if (String(e).includes("UNIQUE")) throw alreadyLinked();
    throw e;
  }
  if (!(await findLink(ctx, organizationId, providerId))) {
    throw conflict("invitation_already_used", "This invitation was already used");
  }
  return { organizationId, providerId };
}

type Side = Awaited<ReturnType<typeof findMembership>>;
interface Sides {
  organization: Side;
  provider: Side;
}

/** The caller's membership on each side of a link; a caller on neither side does not see it (404). */
async function sidesOf(ctx: ActorContext, organizationId: string, providerId: string): Promise<Sides> {
  const [organization, provider] = await Promise.all([
    findMembership(ctx, organizationId),
    findMembership(ctx, providerId),
  ]);
  if (!organization && !provider) throw linkNotFound();
  return { organization, provider };
}

export async function getProviderOrganization(ctx: ActorContext, organizationId: string, providerId: string) {
  const sides = await sidesOf(ctx, organizationId, providerId);
  const canRead = [sides.organization, sides.provider].some((s) => s && roleCan(s.role, "providers.read"));
  if (!canRead) throw forbidden();
  const link = await findLink(ctx, organizationId, providerId);
  if (!link) throw linkNotFound();
  return link;
}

export function presentProviderOrganization(link: ProviderOrganizationRow) {
  return {
    organizationId: link.organizationId,
    providerId: link.providerId,
    creditDays: link.creditDays,
    creditPeriod: link.creditPeriod,
    bankAccount: link.bankAccountId ? { id: link.bankAccountId } : null,
    referenceNumber: link.referenceNumber,
    bankAccountInstructionsFile: link.bankAccountInstructionsFileId
      ? { id: link.bankAccountInstructionsFileId }
      : null,
    isMain: link.isMain,
    createdAt: link.createdAt,
    updatedAt: link.updatedAt,
  };
}

export interface LinkChanges {
  creditDays?: number;
  creditPeriod?: "d" | "m" | "y";
  bankAccountId?: string | null;
  referenceNumber?: string | null;
  bankAccountInstructionsFileId?: string | null;
}

async function hasEnabledMembers(ctx: ActorContext, organizationId: string) {
  const [row] = await ctx.db
    .select({ n: count() })
    .from(memberships)
    .where(and(eq(memberships.organizationId, organizationId), eq(memberships.isDisabled, false)));
  return Number(row?.n ?? 0) > 0;
}

/**
 * PATCH /v1/provider-organizations: every pair is checked first (existence, sides, file ownership),
 * then all are updated in one batch, so a refused pair leaves every pair unchanged. With
 * `updateInvoices`, the same batch moves the due date of the pairs' unpaid invoices to the new terms.
 */
export async function updateProviderOrganizations(
  ctx: ActorContext,
  pairs: Array<{ organizationId: string; providerId: string }>,
  changes: LinkChanges,
  options: { updateInvoices?: boolean } = {},
) {
  const creditChange = changes.creditDays !== undefined || changes.creditPeriod !== undefined;
  const bankChange =
    changes.bankAccountId !== undefined ||
    changes.referenceNumber !== undefined ||
    changes.bankAccountInstructionsFileId !== undefined;
  const manages = (side: Side) => !!side && roleCan(side.role, "providers.manage");
  const unique = [...new Map(pairs.map((p) => [`${p.organizationId}|${p.providerId}`, p])).values()];
  const links: ProviderOrganizationRow[] = [];

  for (const { organizationId, providerId } of unique) {
    const sides = await sidesOf(ctx, organizationId, providerId);
    if (creditChange && !manages(sides.organization)) {
      if (sides.organization) throw forbidden();
      throw forbidden("Only the organization side sets credit days and period", "organization_side_only");
    }
    const managedByClient =
      bankChange &&
      manages(sides.organization) &&
      !sides.provider &&
      !(await hasEnabledMembers(ctx, providerId));
    if (bankChange && !manages(sides.provider) && !managedByClient) {
      if (sides.provider) throw forbidden();
      throw forbidden("Only the provider side sets the bank account details", "provider_side_only");
    }
    const link = await findLink(ctx, organizationId, providerId);
    if (!link) throw linkNotFound();
    links.push(link);
    const fileId = changes.bankAccountInstructionsFileId;
    if (fileId) {
      const owner = managedByClient ? organizationId : providerId;
      const [file] = await ctx.db
        .select({ id: files.id })
        .from(files)
        .where(and(eq(files.id, fileId), eq(files.organizationId, owner)))
        .limit(1);
      if (!file)
        throw badRequest("file_not_found", "bankAccountInstructionsFileId names no file of the provider");
    }
  }

  const values = Object.fromEntries(Object.entries(changes).filter(([, v]) => v !== undefined));
  const now = nowIso();
  const invoiceUpdates = options.updateInvoices
    ? await paymentDueRecalculation(
        ctx,
        links.map((l) => ({
          organizationId: l.organizationId,
          providerId: l.providerId,
          creditDays: changes.creditDays ?? l.creditDays,
          creditPeriod: changes.creditPeriod ?? l.creditPeriod,
        })),
      )
    : [];
  await writeGuarded(
    ctx,
    [
      ...unique.map((p) =>
        ctx.db
          .update(providerOrganizations)
          .set({ ...values, updatedAt: now })
          .where(linkOf(p.organizationId, p.providerId)),
      ),
      ...invoiceUpdates,
    ],
    invoiceUpdates.length > 0 ? unique : [],
  );
}

// Names sort the way people read them: case-insensitively (as GET /v1/user-organizations does).
export const CLIENT_SORTS = {
  name: sql`lower(${organizations.name})`,
  taxIdentifier: organizations.taxIdentifier,
  status: organizations.status,
} as const;

/** GET /v1/organizations?provider_id=: the client organizations linked to a provider. */
export async function listProviderClients(
  ctx: ActorContext,
  providerId: string,
  filters: {
    name?: string;
    statuses?: Array<(typeof organizations.$inferSelect)["status"]>;
    bankAccountId?: string;
    sort: keyof typeof CLIENT_SORTS;
    order: "asc" | "desc";
    page: number;
    limit: number;
  },
) {
  await requireOrgAccess(ctx, providerId, "providers.read");
  const conditions: SQL[] = [
    eq(providerOrganizations.providerId, providerId),
    isNull(organizations.deletedAt),
  ];
  if (filters.name) conditions.push(containsInsensitive(organizations.name, filters.name));
  if (filters.statuses?.length) conditions.push(inArray(organizations.status, filters.statuses));
  if (filters.bankAccountId) conditions.push(eq(providerOrganizations.bankAccountId, filters.bankAccountId));
  const where = and(...conditions);
  const direction = filters.order === "asc" ? asc : desc;
  const [rows, [total]] = await Promise.all([
    ctx.db
      .select({ organization: organizations, link: providerOrganizations })
      .from(providerOrganizations)
      .innerJoin(organizations, eq(organizations.id, providerOrganizations.organizationId))
      .where(where)
      .orderBy(direction(CLIENT_SORTS[filters.sort]), asc(organizations.id))
      .limit(filters.limit)
      .offset(pageOffset(filters)),
    ctx.db
      .select({ n: count() })
      .from(providerOrganizations)
      .innerJoin(organizations, eq(organizations.id, providerOrganizations.organizationId))
      .where(where),
  ]);
  return { rows, totalCount: Number(total?.n ?? 0) };
}
