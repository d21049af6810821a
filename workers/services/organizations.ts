/**
 * Organizations: creation (the creator becomes a member with the role it chose, owner by default),
 * reading, updating, the 30-day deletion request and its cancellation. Fiscal identity (RFC) is set at
 * creation and never changes: invoices are matched against it.
 */
import { and, asc, desc, eq, isNotNull, isNull, like, lte, sql } from "drizzle-orm";
import { batchWrite } from "../../db/client";
import { containsInsensitive } from "../../db/filters";
import { memberships, organizationCsds, organizations, users } from "../../db/schema";
import type { Role } from "../../db/schema/organizations";
import { regimenesFiscales } from "../../shared/catalogs";
import { badRequest, conflict } from "../../shared/errors";
import { isEntityRfc, isGenericRfc, isValidRfc, normalizeRfc } from "../../shared/rfc";
import { type ActorContext, nowIso, type ServiceContext } from "./context";
import { deleteOrganizationFiles } from "./files";
import { requireOrgAccess } from "./tenancy";

export type OrganizationRow = typeof organizations.$inferSelect;
export const DELETION_GRACE_DAYS = 30;

export function presentOrganization(org: OrganizationRow) {
  const { bankIdentifier: _bank, deletedAt: _deleted, ...visible } = org;
  return { ...visible, fielUploadedAt: null };
}

export function slugify(name: string): string {
  const base = name
    .normalize("NFD")
    .replace(/[\u0300-\u036f]/g, "")
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, "-")
    .replace(/^-+|-+$/g, "")
    .slice(0, 60);
  return base || "organization";
}

export interface OrganizationInput {
  name: string;
  taxIdentifier: string;
  taxRegimes?: string[];
  commercialName?: string | null;
  industry?: string | null;
  role?: "owner" | "accountant";
  postalCode?: string | null;
  cfdiUse?: string | null;
  addressStreet?: string | null;
  addressNumber?: string | null;
  addressNumberInterior?: string | null;
  addressNeighborhood?: string | null;
  addressCity?: string | null;
  addressMunicipality?: string | null;
  addressState?: string | null;
  contactFirstName?: string | null;
  contactLastName?: string | null;
  contactEmailAddress?: string | null;
  contactPhoneNumber?: string | null;
  contactJobTitle?: string | null;
  isDemoMode?: boolean;
}

export function checkTaxIdentifier(raw: string): string {
  const rfc = normalizeRfc(raw);
  if (!isValidRfc(rfc)) {
    throw badRequest(
      "invalid_tax_identifier",
      "taxIdentifier is not a valid RFC (12 characters for a persona moral, 13 for a persona física)",
    );
  }
  if (isGenericRfc(rfc))
    throw badRequest("generic_tax_identifier", "A generic RFC cannot identify an organization");
  return rfc;
}

/** Each régimen must be in SAT's catalog and apply to the organization's persona type (by RFC length). */
export function checkTaxRegimes(regimes: readonly string[], rfc: string): string[] {
  const persona = isEntityRfc(rfc) ? "moral" : "fisica";
  const wrong = regimes.filter((code) => {
    const regimen = regimenesFiscales.get(code);
    return !regimen?.[persona];
  });
  if (wrong.length > 0) {
    throw badRequest(
      "invalid_tax_regime",
      `Not a SAT régimen fiscal for a persona ${persona === "moral" ? "moral" : "física"}: ${wrong.join(", ")}`,
      { taxRegimes: wrong },
    );
  }
  return [...new Set(regimes)];
}

async function uniqueSlug(ctx: ServiceContext, name: string): Promise<string> {
  const base = slugify(name);
  const taken = await ctx.db
    .select({ slug: organizations.slug })
    .from(organizations)
    .where(like(organizations.slug, `${base}%`));
  const used = new Set(taken.map((t) => t.slug));
  if (!used.has(base)) return base;
  for (let i = 2; ; i++) if (!used.has(`${base}-${i}`)) return `${base}-${i}`;
}

export async function createOrganization(ctx: ActorContext, input: OrganizationInput) {
  const taxIdentifier = checkTaxIdentifier(input.taxIdentifier);
  const [duplicate] = await ctx.db
    .select({ id: organizations.id })
    .from(organizations)
    .innerJoin(memberships, eq(memberships.organizationId, organizations.id))
    .where(
      and(
        eq(organizations.taxIdentifier, taxIdentifier),
        eq(memberships.userId, ctx.userId),
        isNull(organizations.deletedAt),
      ),
    )
    .limit(1);
  if (duplicate) {
    throw conflict("organization_already_exists", "You already belong to an organization with this RFC", {
      organizationId: duplicate.id,
    });
  }
  const now = nowIso();
  const { role = "owner", ...fields } = input;
  const taxRegimes = checkTaxRegimes(input.taxRegimes ?? [], taxIdentifier);
  const org: OrganizationRow = {
    id: crypto.randomUUID(),
    name: fields.name.trim(),
    commercialName: fields.commercialName ?? null,
    taxIdentifier,
    taxRegimes,
    cfdiUse: fields.cfdiUse ?? null,
    slug: await uniqueSlug(ctx, fields.commercialName || fields.name),
    postalCode: fields.postalCode ?? null,
    addressStreet: fields.addressStreet ?? null,
    addressNumber: fields.addressNumber ?? null,
    addressNumberInterior: fields.addressNumberInterior ?? null,
    addressNeighborhood: fields.addressNeighborhood ?? null,
    addressCity: fields.addressCity ?? null,
    addressMunicipality: fields.addressMunicipality ?? null,
    addressState: fields.addressState ?? null,
    isEntity: isEntityRfc(taxIdentifier),
    status: "pending",
    completionStage: "none",
    industry: fields.industry ?? null,
    invoicesInbox: null,
    avatarUrl: null,
    isDemoMode: fields.isDemoMode ?? false,
    contactFirstName: fields.contactFirstName ?? null,
    contactLastName: fields.contactLastName ?? null,
    contactEmailAddress: fields.contactEmailAddress ?? null,
    contactPhoneNumber: fields.contactPhoneNumber ?? null,
    contactJobTitle: fields.contactJobTitle ?? null,
    beneficiaryName: null,
    bankIdentifier: null,
    deletionRequestedAt: null,
    deletedAt: null,
    csdUploadedAt: null,
    csdSerialNumber: null,
    csdValidFrom: null,
    csdValidTo: null,
    createdAt: now,
    updatedAt: now,
  };
  await batchWrite(ctx.db, [
    ctx.db.insert(organizations).values(org),
    ctx.db.insert(memberships).values({
      userId: ctx.userId,
      organizationId: org.id,
      role: role satisfies Role,
      createdAt: now,
      updatedAt: now,
    }),
    ctx.db
      .update(users)
      .set({ defaultOrganizationId: org.id })
      .where(and(eq(users.id, ctx.userId), isNull(users.defaultOrganizationId))),
  ]);
  return org;
}

export async function getOrganization(ctx: ActorContext, organizationId: string) {
  return (await requireOrgAccess(ctx, organizationId, "organization.read")).organization;
}

export async function updateOrganization(
  ctx: ActorContext,
  organizationId: string,
  input: Partial<Omit<OrganizationInput, "taxIdentifier" | "role">> & {
    invoicesInbox?: string | null;
    avatarUrl?: string | null;
  },
) {
  const { organization } = await requireOrgAccess(ctx, organizationId, "organization.update");
  if (input.taxRegimes)
    input = { ...input, taxRegimes: checkTaxRegimes(input.taxRegimes, organization.taxIdentifier) };
  const changes = Object.fromEntries(Object.entries(input).filter(([, v]) => v !== undefined));
  await ctx.db
    .update(organizations)
    .set({ ...changes, updatedAt: nowIso() })
    .where(eq(organizations.id, organizationId));
}

export async function requestDeletion(ctx: ActorContext, organizationId: string) {
  const { organization } = await requireOrgAccess(ctx, organizationId, "organization.delete");
  if (organization.deletionRequestedAt) {
    throw conflict("deletion_already_requested", "Deletion of this organization is already scheduled");
  }
  await ctx.db
    .update(organizations)
    .set({ deletionRequestedAt: nowIso(), updatedAt: nowIso() })
    .where(eq(organizations.id, organizationId));
}

export async function cancelDeletion(ctx: ActorContext, organizationId: string) {
  const { organization } = await requireOrgAccess(ctx, organizationId, "organization.delete");
  if (!organization.deletionRequestedAt) throw conflict("deletion_not_requested", "No deletion is scheduled");
  await ctx.db
    .update(organizations)
    .set({ deletionRequestedAt: null, updatedAt: nowIso() })
    .where(eq(organizations.id, organizationId));
}

/** Scheduled: organizations whose deletion was requested 30+ days ago lose their files and members, then are deleted. */
export async function purgeOrganizationsDueForDeletion(
  ctx: ServiceContext,
  now = new Date(),
): Promise<number> {
  const cutoff = new Date(now.getTime() - DELETION_GRACE_DAYS * 86_400_000).toISOString();
  const due = await ctx.db
    .select({ id: organizations.id })
    .from(organizations)
    .where(
      and(
        isNotNull(organizations.deletionRequestedAt),
        lte(organizations.deletionRequestedAt, cutoff),
        isNull(organizations.deletedAt),
      ),
    );
  for (const { id } of due) {
    await deleteOrganizationFiles(ctx, id);
    await batchWrite(ctx.db, [
      ctx.db
        .update(organizations)
        .set({ deletedAt: now.toISOString(), updatedAt: now.toISOString() })
        .where(eq(organizations.id, id)),
      ctx.db.delete(memberships).where(eq(memberships.organizationId, id)),
      ctx.db.delete(organizationCsds).where(eq(organizationCsds.organizationId, id)),
      ctx.db.update(users).set({ defaultOrganizationId: null }).where(eq(users.defaultOrganizationId, id)),
    ]);
  }
  return due.length;
}

// Names sort the way people read them: case-insensitively.
export const USER_ORG_SORTS = {
  name: sql`lower(${organizations.name})`,
  commercialName: sql`lower(${organizations.commercialName})`,
  taxIdentifier: organizations.taxIdentifier,
  isEntity: organizations.isEntity,
} as const;

/** The caller's organizations (GET /v1/user-organizations), each with the caller's membership. */
export async function listUserOrganizations(
  ctx: ActorContext,
  filters: {
    name?: string;
    commercialName?: string;
    taxIdentifier?: string;
    isEntity?: boolean;
    sort: keyof typeof USER_ORG_SORTS;
    order: "asc" | "desc";
    page: number;
    limit: number;
  },
) {
  const conditions = [eq(memberships.userId, ctx.userId), isNull(organizations.deletedAt)];
  if (filters.name) conditions.push(containsInsensitive(organizations.name, filters.name));
  if (filters.commercialName)
    conditions.push(containsInsensitive(organizations.commercialName, filters.commercialName));
  if (filters.taxIdentifier)
    conditions.push(containsInsensitive(organizations.taxIdentifier, filters.taxIdentifier));
  if (filters.isEntity !== undefined) conditions.push(eq(organizations.isEntity, filters.isEntity));
  const direction = filters.order === "asc" ? asc : desc;
  return ctx.db
    .select({ organization: organizations, membership: memberships })
    .from(memberships)
    .innerJoin(organizations, eq(organizations.id, memberships.organizationId))
    .where(and(...conditions))
    .orderBy(direction(USER_ORG_SORTS[filters.sort]), asc(organizations.id))
    .limit(filters.limit)
    .offset((filters.page - 1) * filters.limit);
}
