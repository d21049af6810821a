/**
 * The one tenant check. Every read or write of organization data goes through `requireOrgAccess`
 * first, which proves the actor is an enabled member of a live organization and that the member's
 * role holds the permission. Rules:
 * - not a member, the organization deleted, or the id malformed → 404 (never reveal existence);
 * - a member whose role lacks the permission → 403;
 * - queries after the check filter by the organization id they were given, never by ids from the body.
 */
import { and, eq, isNull } from "drizzle-orm";
import { memberships, organizations } from "../../db/schema";
import type { Role } from "../../db/schema/organizations";
import { forbidden, notFound } from "../../shared/errors";
import { type Permission, roleCan } from "../../shared/permissions";
import type { ActorContext } from "./context";

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export interface OrgAccess {
  organizationId: string;
  role: Role;
  organization: typeof organizations.$inferSelect;
}

export async function findMembership(ctx: ActorContext, organizationId: string) {
  if (!UUID.test(organizationId)) return undefined;
  const rows = await ctx.db
    .select({ role: memberships.role, isDisabled: memberships.isDisabled, organization: organizations })
    .from(memberships)
    .innerJoin(organizations, eq(organizations.id, memberships.organizationId))
    .where(
      and(
        eq(memberships.userId, ctx.userId),
        eq(memberships.organizationId, organizationId),
        isNull(organizations.deletedAt),
      ),
    )
    .limit(1);
  const row = rows[0];
  return row && !row.isDisabled ? row : undefined;
}

export async function requireOrgAccess(
  ctx: ActorContext,
  organizationId: string,
  permission: Permission,
  what = "Organization",
): Promise<OrgAccess> {
  const membership = await findMembership(ctx, organizationId);
  if (!membership) throw notFound(what);
  if (!roleCan(membership.role, permission)) throw forbidden();
  return { organizationId, role: membership.role, organization: membership.organization };
}

/**
 * Access to a record shared by two organizations (an invoice: receiver and issuer). The actor needs
 * the permission through at least one of them; the side it came through is returned so that per-side
 * state (archive, preferences) uses the right one. Neither side → 404, as for one organization.
 */
export async function requireSharedAccess(
  ctx: ActorContext,
  sides: { organizationId: string | null; providerId: string | null },
  permission: Permission,
  what: string,
): Promise<OrgAccess & { side: "organization" | "provider" }> {
  let deniedByRole = false;
  for (const side of ["organization", "provider"] as const) {
    const id = side === "organization" ? sides.organizationId : sides.providerId;
    if (!id) continue;
    const membership = await findMembership(ctx, id);
    if (!membership) continue;
    if (!roleCan(membership.role, permission)) {
      deniedByRole = true;
      continue;
    }
    return { organizationId: id, role: membership.role, organization: membership.organization, side };
  }
  if (deniedByRole) throw forbidden();
  throw notFound(what);
}
