/**
 * Memberships (UserOnOrganizations): a member's own marks (isRead, isFavorite), role changes and
 * disabling by owners, removal and leaving. An organization always keeps at least one enabled owner:
 * the statements that could remove the last one carry the check in their WHERE clause, so two owners
 * demoting each other at the same moment cannot both succeed.
 */
import { and, eq, exists, inArray, isNull, ne, notExists, or, type SQL, sql } from "drizzle-orm";
import { alias } from "drizzle-orm/sqlite-core";
import { batchWrite } from "../../db/client";
import { memberships, organizations, users } from "../../db/schema";
import { ROLES, type Role } from "../../db/schema/organizations";
import { badRequest, conflict, forbidden, notFound } from "../../shared/errors";
import { assignableRoles } from "../../shared/permissions";
import { type ActorContext, nowIso, type ServiceContext } from "./context";
import { requireOrgAccess } from "./tenancy";

const lastOwner = () =>
  conflict("last_owner", "An organization needs at least one enabled owner; make someone else owner first");

/** True while some enabled owner other than `userId` remains in the organization. */
function anotherEnabledOwner(ctx: ServiceContext, organizationId: string, userId: string): SQL {
  const other = alias(memberships, "other_owner");
  return exists(
    ctx.db
      .select({ one: sql`1` })
      .from(other)
      .where(
        and(
          eq(other.organizationId, organizationId),
          ne(other.userId, userId),
          eq(other.role, "owner"),
          eq(other.isDisabled, false),
        ),
      ),
  );
}

/** The target row may lose (enabled) ownership only if it has none or another enabled owner remains. */
function keepsAnOwner(ctx: ServiceContext, organizationId: string, userId: string): SQL {
  return or(
    ne(memberships.role, "owner"),
    eq(memberships.isDisabled, true),
    anotherEnabledOwner(ctx, organizationId, userId),
  )!;
}

const membershipOf = (organizationId: string, userId: string) =>
  and(eq(memberships.organizationId, organizationId), eq(memberships.userId, userId))!;

async function requireMember(ctx: ServiceContext, organizationId: string, userId: string) {
  const [row] = await ctx.db
    .select({ role: memberships.role, isDisabled: memberships.isDisabled })
    .from(memberships)
    .where(membershipOf(organizationId, userId))
    .limit(1);
  if (!row) throw notFound("Member");
  return row;
}

export interface MembershipChanges {
  isRead?: boolean;
  isFavorite?: boolean;
  role?: Role;
  isDisabled?: boolean;
}

/**
 * PATCH /v1/user-organizations/{id}: isRead and isFavorite are the caller's own marks; role and
 * isDisabled are "accepted only if user_id is provided" (the seed) and need `members.manage`.
 */
export async function updateMembership(
  ctx: ActorContext,
  organizationId: string,
  targetUserId: string | undefined,
  changes: MembershipChanges,
) {
  const administrative = changes.role !== undefined || changes.isDisabled !== undefined;
  const personal = changes.isRead !== undefined || changes.isFavorite !== undefined;
  if (administrative && targetUserId === undefined) {
    throw badRequest("user_id_required", "role and isDisabled are accepted only if user_id is provided");
  }
  const userId = targetUserId ?? ctx.userId;
  if (personal && userId !== ctx.userId) {
    throw badRequest("own_membership_only", "isRead and isFavorite can only be set on your own membership");
  }
  const access = await requireOrgAccess(
    ctx,
    organizationId,
    administrative ? "members.manage" : "organization.read",
  );
  if (changes.role !== undefined && !assignableRoles(access.role).includes(changes.role)) {
    throw forbidden(`Your role cannot grant the role ${changes.role}`, "role_not_assignable");
  }
  await requireMember(ctx, organizationId, userId);

  const losesOwnership =
    (changes.role !== undefined && changes.role !== "owner") || changes.isDisabled === true;
  const where = losesOwnership
    ? and(membershipOf(organizationId, userId), keepsAnOwner(ctx, organizationId, userId))
    : membershipOf(organizationId, userId);
  const values = Object.fromEntries(Object.entries(changes).filter(([, v]) => v !== undefined));
  const updated = await ctx.db
    .update(memberships)
    .set({ ...values, updatedAt: nowIso() })
    .where(where)
    .returning({ userId: memberships.userId });
  if (updated.length === 0) throw lastOwner();
}

/** DELETE /v1/user-organizations/{id}?user_id=: leave (own id) or remove a member (`members.manage`). */
export async function removeMembership(ctx: ActorContext, organizationId: string, userId: string) {
  await requireOrgAccess(ctx, organizationId, userId === ctx.userId ? "organization.read" : "members.manage");
  await requireMember(ctx, organizationId, userId);
  await batchWrite(ctx.db, [
    ctx.db
      .delete(memberships)
      .where(and(membershipOf(organizationId, userId), keepsAnOwner(ctx, organizationId, userId))),
    // Only once the membership is really gone does the default organization stop pointing at it.
    ctx.db
      .update(users)
      .set({ defaultOrganizationId: null })
      .where(
        and(
          eq(users.id, userId),
          eq(users.defaultOrganizationId, organizationId),
          notExists(
            ctx.db.select({ one: sql`1` }).from(memberships).where(membershipOf(organizationId, userId)),
          ),
        ),
      ),
  ]);
  const [still] = await ctx.db
    .select({ userId: memberships.userId })
    .from(memberships)
    .where(membershipOf(organizationId, userId))
    .limit(1);
  if (still) throw lastOwner();
}

/** SQL rank of a role column: lower is more powerful (the order of ROLES). */
function roleRank(column: SQL): SQL {
  return sql`(case ${column} ${sql.join(
    ROLES.map((role, i) => sql`when ${role} then ${i}`),
    sql` `,
  )} end)`;
}

/**
 * One statement that makes `userId` a member of each live organization in `organizationIds` with
 * `role`, only while `guard` holds (e.g. "this invitation was claimed by this user"), so it can sit in
 * the same batch as the claim. An existing member keeps the higher of the two roles.
 */
export function grantMembershipsIf(
  ctx: ServiceContext,
  userId: string,
  organizationIds: string[],
  role: Role,
  guard: SQL,
) {
  const now = nowIso();
  return ctx.db
    .insert(memberships)
    .select((qb) =>
      qb
        .select({
          userId: sql`${userId}`.as("user_id"),
          organizationId: organizations.id,
          role: sql`${role}`.as("role"),
          isRead: sql`0`.as("is_read"),
          isFavorite: sql`0`.as("is_favorite"),
          isDisabled: sql`0`.as("is_disabled"),
          createdAt: sql`${now}`.as("created_at"),
          updatedAt: sql`${now}`.as("updated_at"),
        })
        .from(organizations)
        .where(and(inArray(organizations.id, organizationIds), isNull(organizations.deletedAt), guard)),
    )
    .onConflictDoUpdate({
      target: [memberships.userId, memberships.organizationId],
      set: {
        role: sql`case when ${roleRank(sql`excluded.role`)} < ${roleRank(sql`${memberships.role}`)} then excluded.role else ${memberships.role} end`,
        updatedAt: sql`excluded.updated_at`,
      },
    });
}
