/**
 * Invitations, delivered only through the outbox:
 * - user invitations: people invited by email or WhatsApp to join organizations with a role; one
 *   single-use code per recipient, valid 7 days, stored hashed;
 * - link invitations: an organization invites providers (`direction = "provider"`) or a provider
 *   invites client organizations (`direction = "organization"`); the code (a UUID) is consumed by
 *   the link (see providers.ts) unless it is the organization's reusable code.
 * Links in messages are the caller's `invitePath` with the code in its placeholder. Only a path is
 * accepted (checked by the routes), so nobody can make Timbre send a link to another site.
 */
import { and, desc, eq, exists, gt, inArray, isNotNull, isNull, type SQL, sql } from "drizzle-orm";
import { batchWrite } from "../../db/client";
import { linkInvitations, memberships, organizations, userInvitations, users } from "../../db/schema";
import { ROLES, type Role } from "../../db/schema/organizations";
import { randomToken, sha256Hex } from "../../shared/auth/crypto";
import { badRequest, conflict, forbidden, notFound } from "../../shared/errors";
import { assignableRoles } from "../../shared/permissions";
import { type ActorContext, nowIso, type ServiceContext } from "./context";
import { grantMembershipsIf } from "./memberships";
import { type OutgoingMessage, outboxInsert } from "./outbox";
import { requireOrgAccess } from "./tenancy";

export const USER_INVITATION_TTL_DAYS = 7;
export const USER_CODE_PLACEHOLDER = "[userInvitationCode]";
export const LINK_CODE_PLACEHOLDER = "[invitationCode]";
export const MAX_RECIPIENTS = 100;

export type InvitableRole = Extract<Role, "accountant" | "collaborator" | "client">;
export type LinkDirection = (typeof linkInvitations.$inferSelect)["direction"];
type LinkInvitationRow = typeof linkInvitations.$inferSelect;

const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;
const WHATSAPP = /^[0-9]{12}$/;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

const invitationNotFound = () => notFound("Invitation", "invitation_not_found");
const hashUserCode = (code: string) => sha256Hex(`user_invitation:${code}`);
const fillPath = (path: string, placeholder: string, code: string) =>
  path.split(placeholder).join(encodeURIComponent(code));

/** The same text goes to every channel a recipient was given. */
function messagesTo(
  recipients: { emailAddress?: string | null; whatsappNumber?: string | null },
  template: string,
  subject: string,
  body: string,
): OutgoingMessage[] {
  const out: OutgoingMessage[] = [];
  if (recipients.emailAddress)
    out.push({ channel: "email", recipient: recipients.emailAddress, template, subject, body });
  if (recipients.whatsappNumber)
    out.push({ channel: "whatsapp", recipient: recipients.whatsappNumber, template, body });
  return out;
}

async function inviterName(ctx: ActorContext): Promise<string> {
  const [me] = await ctx.db
    .select({ firstName: users.firstName, lastName: users.lastName })
    .from(users)
    .where(eq(users.id, ctx.userId))
    .limit(1);
  return me ? `${me.firstName} ${me.lastName}`.trim() : "A Timbre user";
}

// ---------------------------------------------------------------------------------------------------
// User invitations

export type FailedInviteReason =
  | "invalid_email_address"
  | "invalid_whatsapp_number"
  | "duplicate"
  | "already_member";
export interface FailedInvite {
  recipient: string;
  channel: "email" | "whatsapp";
  reason: FailedInviteReason;
}

/**
 * Recipients who already hold the invited role or a higher one in every organization of the
 * invitation: for them it would change nothing (a lower role is an upgrade worth sending).
 */
async function existingMembers(
  ctx: ActorContext,
  organizationIds: string[],
  role: InvitableRole,
  emails: string[],
  whatsappNumbers: string[],
) {
  const atLeastInvited = ROLES.slice(0, ROLES.indexOf(role) + 1);
  const byEmail = new Set<string>();
  const byWhatsapp = new Set<string>();
  const lookup = async (column: SQL, where: SQL, into: Set<string>) => {
    const rows = await ctx.db
      .select({ key: sql<string>`${column}`, n: sql<number>`count(distinct ${memberships.organizationId})` })
      .from(users)
      .innerJoin(memberships, eq(memberships.userId, users.id))
      .where(
        and(
          where,
          isNull(users.deletedAt),
          inArray(memberships.organizationId, organizationIds),
          inArray(memberships.role, atLeastInvited),
        ),
      )
      .groupBy(column);
    for (const r of rows) if (Number(r.n) === organizationIds.length) into.add(r.key);
  };
  if (emails.length > 0) await lookup(sql`${users.email}`, inArray(users.email, emails)!, byEmail);
  if (whatsappNumbers.length > 0) {
    await lookup(
      sql`${users.whatsappNumber}`,
      and(inArray(users.whatsappNumber, whatsappNumbers), isNotNull(users.whatsappNumberVerifiedAt))!,
      byWhatsapp,
    );
  }
  return { byEmail, byWhatsapp };
}

export async function inviteUsers(
  ctx: ActorContext,
  input: {
    organizationIds: string[];
    role: InvitableRole;
    emailAddresses?: string[];
    whatsappNumbers?: string[];
    invitePath: string;
  },
) {
  const organizationIds = [...new Set(input.organizationIds)];
  const orgNames: string[] = [];
  for (const organizationId of organizationIds) {
    const access = await requireOrgAccess(ctx, organizationId, "invitations.manage");
    if (!assignableRoles(access.role).includes(input.role)) {
      throw forbidden(`Your role cannot grant the role ${input.role}`, "role_not_assignable");
    }
    orgNames.push(access.organization.name);
  }
  const emails = (input.emailAddresses ?? []).map((e) => e.trim().toLowerCase());
  const phones = (input.whatsappNumbers ?? []).map((n) => n.trim());
  if (emails.length + phones.length === 0) {
    throw badRequest("no_recipients", "Send at least one email address or WhatsApp number");
  }
  if (emails.length + phones.length > MAX_RECIPIENTS) {
    throw badRequest("too_many_recipients", `At most ${MAX_RECIPIENTS} recipients per request`);
  }

  const failedInvites: FailedInvite[] = [];
  const seen = new Set<string>();
  const accept = (channel: "email" | "whatsapp", recipient: string, valid: boolean) => {
    if (!valid) {
      const reason = channel === "email" ? "invalid_email_address" : "invalid_whatsapp_number";
      failedInvites.push({ recipient, channel, reason });
      return false;
    }
    if (seen.has(`${channel}:${recipient}`)) {
      failedInvites.push({ recipient, channel, reason: "duplicate" });
      return false;
    }
    seen.add(`${channel}:${recipient}`);
    return true;
  };
  const validEmails = emails.filter((e) => accept("email", e, EMAIL.test(e) && e.length <= 254));
  const validPhones = phones.filter((n) => accept("whatsapp", n, WHATSAPP.test(n)));
  const members = await existingMembers(ctx, organizationIds, input.role, validEmails, validPhones);
  const recipients = [
    ...validEmails.map((emailAddress) => ({ emailAddress, whatsappNumber: null })),
    ...validPhones.map((whatsappNumber) => ({ emailAddress: null, whatsappNumber })),
  ].filter((r) => {
    const member = r.emailAddress
      ? members.byEmail.has(r.emailAddress)
      : members.byWhatsapp.has(r.whatsappNumber!);
    if (member) {
      const channel = r.emailAddress ? "email" : "whatsapp";
      failedInvites.push({
        recipient: (r.emailAddress ?? r.whatsappNumber)!,
        channel,
        reason: "already_member",
      });
    }
    return !member;
  });

  const who = await inviterName(ctx);
  const orgList = orgNames.join(", ");
  const now = nowIso();
  const expiresAt = new Date(Date.now() + USER_INVITATION_TTL_DAYS * 86_400_000).toISOString();
  const statements = [];
  const enqueues: Array<() => Promise<unknown>> = [];
  for (const recipient of recipients) {
    const code = randomToken(24);
    statements.push(
      ctx.db.insert(userInvitations).values({
        id: crypto.randomUUID(),
        code: await hashUserCode(code),
        organizationIds,
        role: input.role,
        emailAddress: recipient.emailAddress,
        whatsappNumber: recipient.whatsappNumber,
        invitedByUserId: ctx.userId,
        expiresAt,
        createdAt: now,
      }),
    );
    const link = fillPath(input.invitePath, USER_CODE_PLACEHOLDER, code);
    for (const message of messagesTo(
      recipient,
      "user_invitation",
      `Invitation to join ${orgList} on Timbre`,
      `${who} invited you to join ${orgList} on Timbre as ${input.role}. ` +
        `Accept the invitation within ${USER_INVITATION_TTL_DAYS} days: ${link}`,
    )) {
      const out = outboxInsert(ctx, message);
      statements.push(out.statement);
      enqueues.push(out.enqueue);
    }
  }
  await batchWrite(ctx.db, statements);
  for (const enqueue of enqueues) await enqueue();
  return { invitesSent: recipients.length, failedInvites };
}

/** A pending (unused, unexpired) invitation and the live organizations it names. */
async function pendingUserInvitation(ctx: ServiceContext, code: string) {
  const [invitation] = await ctx.db
    .select()
    .from(userInvitations)
    .where(
      and(
        eq(userInvitations.code, await hashUserCode(code)),
        isNull(userInvitations.acceptedAt),
        gt(userInvitations.expiresAt, nowIso()),
      ),
    )
    .limit(1);
  if (!invitation) throw invitationNotFound();
  const orgs = await ctx.db
    .select({ id: organizations.id, name: organizations.name })
    .from(organizations)
    .where(and(inArray(organizations.id, invitation.organizationIds), isNull(organizations.deletedAt)))
    .orderBy(organizations.name);
  if (orgs.length === 0) throw invitationNotFound();
  return { invitation, orgs };
}

/** GET /v1/invitations/users: what the invitee is about to accept, and nothing else. */
export async function getUserInvitation(ctx: ServiceContext, code: string) {
  const { invitation, orgs } = await pendingUserInvitation(ctx, code);
  return orgs.map((organization) => ({
    organization,
    role: invitation.role,
    expiresAt: invitation.expiresAt,
  }));
}

/**
 * POST /v1/invitations/users/join: the claim of the code and the memberships are one batch, and the
 * memberships are inserted only if the claim in that batch went to this caller, so a code used twice
 * at once grants access once.
 */
export async function joinWithUserInvitation(ctx: ActorContext, code: string) {
  const { invitation, orgs } = await pendingUserInvitation(ctx, code);
  const now = nowIso();
  const claimedByMe = exists(
    ctx.db
      .select({ one: sql`1` })
      .from(userInvitations)
      .where(and(eq(userInvitations.id, invitation.id), eq(userInvitations.acceptedByUserId, ctx.userId))),
  );
  await batchWrite(ctx.db, [
    ctx.db
      .update(userInvitations)
      .set({ acceptedAt: now, acceptedByUserId: ctx.userId })
      .where(
        and(
          eq(userInvitations.id, invitation.id),
          isNull(userInvitations.acceptedAt),
          gt(userInvitations.expiresAt, now),
        ),
      ),
    grantMembershipsIf(
      ctx,
      ctx.userId,
      orgs.map((o) => o.id),
      invitation.role,
      claimedByMe,
    ),
    ctx.db
      .update(users)
      .set({ defaultOrganizationId: orgs[0]!.id })
      .where(and(eq(users.id, ctx.userId), isNull(users.defaultOrganizationId), claimedByMe)),
  ]);
  const [after] = await ctx.db
    .select({ acceptedByUserId: userInvitations.acceptedByUserId })
    .from(userInvitations)
    .where(eq(userInvitations.id, invitation.id))
    .limit(1);
  if (after?.acceptedByUserId !== ctx.userId) throw invitationNotFound();
  return orgs.map((o) => o.id);
}

// ---------------------------------------------------------------------------------------------------
// Link invitations (organization ↔ provider)

const LINK_TEXT: Record<LinkDirection, { subject: (org: string) => string; body: (org: string) => string }> =
  {
    provider: {
      subject: (org) => `${org} invites you to Timbre as its provider`,
      body: (org) =>
        `${org} invites your company to connect on Timbre as one of its providers and send it your invoices.`,
    },
    organization: {
      subject: (org) => `${org} invites you to Timbre as its client`,
      body: (org) =>
        `${org} invites your company to connect on Timbre as its client and receive its invoices.`,
    },
  };

function linkMessages(inviter: { name: string }, invitation: LinkInvitationRow, invitePath: string) {
  const text = LINK_TEXT[invitation.direction];
  const link = fillPath(invitePath, LINK_CODE_PLACEHOLDER, invitation.code);
  return messagesTo(
    invitation,
    `${invitation.direction}_invitation`,
    text.subject(inviter.name),
    `${text.body(inviter.name)} Accept the invitation: ${link}`,
  );
}

export const isConsumed = (invitation: LinkInvitationRow) =>
  !invitation.isReusable && invitation.linkedAt !== null;

export async function createLinkInvitations(
  ctx: ActorContext,
  direction: LinkDirection,
  inviterOrganizationId: string,
  items: Array<{ emailAddress?: string; whatsappNumber?: string; invitePath: string }>,
) {
  const { organization } = await requireOrgAccess(ctx, inviterOrganizationId, "providers.manage");
  const now = nowIso();
  const statements = [];
  const enqueues: Array<() => Promise<unknown>> = [];
  for (const item of items) {
    const row: LinkInvitationRow = {
      code: crypto.randomUUID(),
      direction,
      inviterOrganizationId,
      emailAddress: item.emailAddress?.trim().toLowerCase() ?? null,
      whatsappNumber: item.whatsappNumber ?? null,
      invitePath: item.invitePath,
      linkedOrganizationId: null,
      linkedAt: null,
      isReusable: false,
      createdByUserId: ctx.userId,
      createdAt: now,
      updatedAt: now,
    };
    statements.push(ctx.db.insert(linkInvitations).values(row));
    for (const message of linkMessages(organization, row, item.invitePath)) {
      const out = outboxInsert(ctx, message);
      statements.push(out.statement);
      enqueues.push(out.enqueue);
    }
  }
  await batchWrite(ctx.db, statements);
  for (const enqueue of enqueues) await enqueue();
  return items.length;
}

/** The invitation with this code in this direction, whatever its state, or 404. */
export async function findLinkInvitation(ctx: ServiceContext, direction: LinkDirection, code: string) {
  if (!UUID.test(code)) throw invitationNotFound();
  const [invitation] = await ctx.db
    .select()
    .from(linkInvitations)
    .where(and(eq(linkInvitations.code, code.toLowerCase()), eq(linkInvitations.direction, direction)))
    .limit(1);
  if (!invitation) throw invitationNotFound();
  return invitation;
}

/** An invitation the caller may change: it belongs to an organization where the caller manages providers. */
async function managedLinkInvitation(ctx: ActorContext, direction: LinkDirection, code: string) {
  const invitation = await findLinkInvitation(ctx, direction, code);
  const access = await requireOrgAccess(
    ctx,
    invitation.inviterOrganizationId,
    "providers.manage",
    "Invitation",
  );
  return { invitation, inviter: access.organization };
}

export function presentLinkInvitation(
  invitation: LinkInvitationRow,
  inviter: { id: string; name: string; taxIdentifier: string },
) {
  return {
    invitationCode: invitation.code,
    inviter: { id: inviter.id, name: inviter.name, taxIdentifier: inviter.taxIdentifier },
    emailAddress: invitation.emailAddress,
    whatsappNumber: invitation.whatsappNumber,
    invitePath: invitation.invitePath,
    isReusable: invitation.isReusable,
    linkedOrganizationId: invitation.linkedOrganizationId,
    linkedAt: invitation.linkedAt,
    createdAt: invitation.createdAt,
    updatedAt: invitation.updatedAt,
  };
}

/**
 * GET by code: a pending invitation, for whoever holds the code (it went to them). GET by inviter:
 * every invitation the organization sent in that direction, newest first, for its members.
 */
export async function listLinkInvitations(
  ctx: ActorContext,
  direction: LinkDirection,
  query: { code: string } | { inviterOrganizationId: string },
) {
  if ("code" in query) {
    const invitation = await findLinkInvitation(ctx, direction, query.code);
    const [inviter] = await ctx.db
      .select()
      .from(organizations)
      .where(and(eq(organizations.id, invitation.inviterOrganizationId), isNull(organizations.deletedAt)))
      .limit(1);
    if (!inviter || isConsumed(invitation)) throw invitationNotFound();
    return [presentLinkInvitation(invitation, inviter)];
  }
  const { organization } = await requireOrgAccess(ctx, query.inviterOrganizationId, "providers.read");
  const rows = await ctx.db
    .select()
    .from(linkInvitations)
    .where(
      and(
        eq(linkInvitations.inviterOrganizationId, query.inviterOrganizationId),
        eq(linkInvitations.direction, direction),
      ),
    )
    .orderBy(desc(linkInvitations.createdAt), linkInvitations.code);
  return rows.map((row) => presentLinkInvitation(row, organization));
}

const alreadyUsed = () => conflict("invitation_already_used", "This invitation was already used to link");

export async function updateLinkInvitation(
  ctx: ActorContext,
  direction: LinkDirection,
  code: string,
  changes: { emailAddress?: string; whatsappNumber?: string; invitePath?: string },
) {
  const { invitation } = await managedLinkInvitation(ctx, direction, code);
  if (isConsumed(invitation)) throw alreadyUsed();
  await ctx.db
    .update(linkInvitations)
    .set({
      ...(changes.emailAddress !== undefined
        ? { emailAddress: changes.emailAddress.trim().toLowerCase() }
        : {}),
      ...(changes.whatsappNumber !== undefined ? { whatsappNumber: changes.whatsappNumber } : {}),
      ...(changes.invitePath !== undefined ? { invitePath: changes.invitePath } : {}),
      updatedAt: nowIso(),
    })
    .where(eq(linkInvitations.code, invitation.code));
}

export async function deleteLinkInvitation(ctx: ActorContext, direction: LinkDirection, code: string) {
  const { invitation } = await managedLinkInvitation(ctx, direction, code);
  await ctx.db.delete(linkInvitations).where(eq(linkInvitations.code, invitation.code));
}

/** Sends the same code again to the invitation's email and WhatsApp number. */
export async function resendLinkInvitation(
  ctx: ActorContext,
  direction: LinkDirection,
  code: string,
  invitePath: string,
) {
  const { invitation, inviter } = await managedLinkInvitation(ctx, direction, code);
  if (isConsumed(invitation)) throw alreadyUsed();
  const messages = linkMessages(inviter, invitation, invitePath);
  if (messages.length === 0) {
    throw badRequest(
      "invitation_has_no_recipient",
      "This invitation has no email address or WhatsApp number",
    );
  }
  const outs = messages.map((m) => outboxInsert(ctx, m));
  await batchWrite(ctx.db, [
    ctx.db
      .update(linkInvitations)
      .set({ invitePath, updatedAt: nowIso() })
      .where(eq(linkInvitations.code, invitation.code)),
    ...outs.map((o) => o.statement),
  ]);
  for (const out of outs) await out.enqueue();
}

/**
 * POST /v1/invitations/providers/codes: the organization's reusable code for providers to link with
 * (it shares the code itself; nothing is sent). The same code is returned until it is deleted.
 */
export async function reusableProviderCode(ctx: ActorContext, slug: string) {
  const [org] = await ctx.db
    .select({ id: organizations.id })
    .from(organizations)
    .where(and(eq(organizations.slug, slug), isNull(organizations.deletedAt)))
    .limit(1);
  if (!org) throw notFound("Organization");
  await requireOrgAccess(ctx, org.id, "providers.manage");
  const now = nowIso();
  // The partial unique index keeps one reusable code per organization: when one exists (or a
  // concurrent request just made one) this insert does nothing and that code is the answer.
  await ctx.db
    .insert(linkInvitations)
    .values({
      code: crypto.randomUUID(),
      direction: "provider",
      inviterOrganizationId: org.id,
      invitePath: null,
      isReusable: true,
      createdByUserId: ctx.userId,
      createdAt: now,
      updatedAt: now,
    })
    .onConflictDoNothing();
  const [row] = await ctx.db
    .select({ code: linkInvitations.code })
    .from(linkInvitations)
    .where(
      and(
        eq(linkInvitations.inviterOrganizationId, org.id),
        eq(linkInvitations.direction, "provider"),
        eq(linkInvitations.isReusable, true),
      ),
    )
    .limit(1);
  return row!.code;
}
