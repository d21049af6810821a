/**
 * Users: sign-up, profile, verification of email and WhatsApp, password changes and resets, deletion.
 * Every code is single-use, stored hashed, expires, and is delivered only through the outbox.
 */
import { and, desc, eq, gt, inArray, isNull, sql } from "drizzle-orm";
import { batchWrite } from "../../db/client";
import { memberships, organizations, userInvitations, users, verificationCodes } from "../../db/schema";
import { randomDigits, randomToken, sha256Hex } from "../../shared/auth/crypto";
import { hashPassword, passwordPolicyViolation, verifyPassword } from "../../shared/auth/password";
import { AppError, badRequest, conflict, notFound } from "../../shared/errors";
import { revokeSessions } from "./auth";
import { type ActorContext, nowIso, type ServiceContext } from "./context";
import { outboxInsert } from "./outbox";
import { findMembership } from "./tenancy";

type Purpose = (typeof verificationCodes.$inferInsert)["purpose"];
const CODE_TTL_MS: Record<Purpose, number> = {
  email_verification: 24 * 3600_000,
  whatsapp_verification: 10 * 60_000,
  password_reset: 60 * 60_000,
};
const MAX_CODE_ATTEMPTS = 5;

export type UserRow = typeof users.$inferSelect;

export function assertPassword(password: string) {
  const violation = passwordPolicyViolation(password);
  if (violation) throw badRequest("weak_password", violation);
}

export async function getUser(ctx: ServiceContext, userId: string): Promise<UserRow> {
  const [user] = await ctx.db
    .select()
    .from(users)
    .where(and(eq(users.id, userId), isNull(users.deletedAt)))
    .limit(1);
  if (!user) throw notFound("User");
  return user;
}

/** The seed's User object: profile, organizations and whether invitations wait for the user. */
export async function presentUser(ctx: ServiceContext, user: UserRow) {
  const orgs = await ctx.db
    .select({
      id: organizations.id,
      name: organizations.name,
      taxIdentifier: organizations.taxIdentifier,
      role: memberships.role,
    })
    .from(memberships)
    .innerJoin(organizations, eq(organizations.id, memberships.organizationId))
    .where(
      and(
        eq(memberships.userId, user.id),
        isNull(organizations.deletedAt),
        eq(memberships.isDisabled, false),
      ),
    )
    .orderBy(organizations.name);
  const [pending] = await ctx.db
    .select({ n: sql<number>`count(*)` })
    .from(userInvitations)
    .where(
      and(
        eq(userInvitations.emailAddress, user.email),
        isNull(userInvitations.acceptedAt),
        gt(userInvitations.expiresAt, nowIso()),
      ),
    );
  return {
    id: user.id,
    firstName: user.firstName,
    lastName: user.lastName,
    username: user.email,
    email: user.email,
    emailVerifiedAt: user.emailVerifiedAt,
    whatsappNumber: user.whatsappNumber,
    whatsappNumberVerifiedAt: user.whatsappNumberVerifiedAt,
    is2faEnabled: user.is2faEnabled,
    defaultOrganizationId: user.defaultOrganizationId,
    country: user.country,
    region: user.region,
    city: user.city,
    lastLoginAt: user.lastLoginAt,
    createdAt: user.createdAt,
    updatedAt: user.updatedAt,
    organizations: orgs,
    pendingInvitations: Number(pending?.n ?? 0) > 0,
  };
}

/** Builds the code row and its message; callers add both to their batch, then call `enqueue`. */
/**
 * The stored hash of a code. Six-digit codes are only ever checked for a signed-in user, so their hash
 * includes the user: two users may well be sent the same six digits (one in a million each time), and
 * the hash is unique. A password-reset code is a 192-bit token found without a user.
 */
const codeHashOf = (purpose: Purpose, code: string, userId?: string) =>
  sha256Hex(purpose === "password_reset" ? `${purpose}:${code}` : `${purpose}:${userId ?? ""}:${code}`);

async function issueCode(
  ctx: ServiceContext,
  user: UserRow,
  purpose: Purpose,
  target: string,
  link?: string,
) {
  const code = purpose === "password_reset" ? randomToken(24) : randomDigits(6);
  const texts: Record<Purpose, { subject: string; body: string }> = {
    email_verification: {
      subject: "Verify your email",
      body: `Your Timbre email verification code is ${code}.`,
    },
    whatsapp_verification: { subject: "", body: `Your Timbre WhatsApp verification code is ${code}.` },
    password_reset: {
      subject: "Reset your Timbre password",
      body: `Reset your password here: ${link?.replace("[passwordResetCode]", code) ?? code}`,
    },
  };
  const message = outboxInsert(ctx, {
    channel: purpose === "whatsapp_verification" ? "whatsapp" : "email",
    recipient: target,
    template: purpose,
    subject: texts[purpose].subject || undefined,
    body: texts[purpose].body,
  });
  const insertCode = ctx.db.insert(verificationCodes).values({
    id: crypto.randomUUID(),
    userId: user.id,
    purpose,
    codeHash: await codeHashOf(purpose, code, user.id),
    target,
    expiresAt: new Date(Date.now() + CODE_TTL_MS[purpose]).toISOString(),
    createdAt: nowIso(),
  });
  return { statements: [insertCode, message.statement] as const, enqueue: message.enqueue };
}

export async function createUser(
  ctx: ServiceContext,
  input: {
    firstName: string;
    lastName: string;
    emailAddress: string;
    password: string;
    country?: string;
    region?: string;
    city?: string;
  },
) {
  assertPassword(input.password);
  const email = input.emailAddress.trim().toLowerCase();
  const [existing] = await ctx.db.select({ id: users.id }).from(users).where(eq(users.email, email)).limit(1);
  if (existing) throw conflict("email_already_exists", "A user with this email address already exists");
  const now = nowIso();
  const user: UserRow = {
    id: crypto.randomUUID(),
    email,
    firstName: input.firstName.trim(),
    lastName: input.lastName.trim(),
    passwordHash: await hashPassword(input.password),
    emailVerifiedAt: null,
    whatsappNumber: null,
    whatsappNumberVerifiedAt: null,
    is2faEnabled: false,
    defaultOrganizationId: null,
    country: input.country ?? null,
    region: input.region ?? null,
    city: input.city ?? null,
    lastLoginAt: null,
    deletedAt: null,
    createdAt: now,
    updatedAt: now,
  };
  const verification = await issueCode(ctx, user, "email_verification", email);
  try {
    await batchWrite(ctx.db, [ctx.db.insert(users).values(user), ...verification.statements]);
  } catch (e) {
    // Two sign-ups raced past the check above; the unique index let only one in.
    if (String(e).includes("users.email"))
      throw conflict("email_already_exists", "A user with this email address already exists");
    throw e;
  }
  await verification.enqueue();
  return user;
}

export async function updateMe(
  ctx: ActorContext,
  input: {
    firstName?: string;
    lastName?: string;
    emailAddress?: string;
    whatsappNumber?: string | null;
    currentPassword?: string;
    newPassword?: string;
    is2faEnabled?: boolean;
    isLastLogin?: boolean;
  },
) {
  const user = await getUser(ctx, ctx.userId);
  const now = nowIso();
  const changes: Partial<UserRow> = { updatedAt: now };
  const statements: Parameters<typeof batchWrite>[1] = [];
  const enqueues: Array<() => Promise<unknown>> = [];
  let verifyEmail = false;
  let verifyWhatsappNumber = false;

  if (input.firstName !== undefined) changes.firstName = input.firstName.trim();
  if (input.lastName !== undefined) changes.lastName = input.lastName.trim();
  if (input.isLastLogin) changes.lastLoginAt = now;
  if (input.newPassword !== undefined) {
    if (!input.currentPassword)
      throw badRequest("current_password_required", "currentPassword is required to set a new password");
    if (!(await verifyPassword(input.currentPassword, user.passwordHash))) {
      throw badRequest("invalid_current_password", "currentPassword is incorrect");
    }
    assertPassword(input.newPassword);
    changes.passwordHash = await hashPassword(input.newPassword);
  }
  if (input.emailAddress !== undefined) {
    const email = input.emailAddress.trim().toLowerCase();
    if (email !== user.email) {
      const [taken] = await ctx.db
        .select({ id: users.id })
        .from(users)
        .where(eq(users.email, email))
        .limit(1);
      if (taken) throw conflict("email_already_exists", "A user with this email address already exists");
      changes.email = email;
      changes.emailVerifiedAt = null;
      const code = await issueCode(ctx, { ...user, email }, "email_verification", email);
      statements.push(...code.statements);
      enqueues.push(code.enqueue);
      verifyEmail = true;
    }
  }
  if (input.whatsappNumber !== undefined && input.whatsappNumber !== user.whatsappNumber) {
    changes.whatsappNumber = input.whatsappNumber;
    changes.whatsappNumberVerifiedAt = null;
    if (input.whatsappNumber) {
      const code = await issueCode(ctx, user, "whatsapp_verification", input.whatsappNumber);
      statements.push(...code.statements);
      enqueues.push(code.enqueue);
      verifyWhatsappNumber = true;
    }
  }
  if (input.is2faEnabled !== undefined) {
    const emailVerified =
      (changes.emailVerifiedAt === undefined ? user.emailVerifiedAt : changes.emailVerifiedAt) !== null;
    const whatsappVerified =
      (changes.whatsappNumberVerifiedAt === undefined
        ? user.whatsappNumberVerifiedAt
        : changes.whatsappNumberVerifiedAt) !== null;
    if (input.is2faEnabled && !emailVerified && !whatsappVerified) {
      throw badRequest(
        "verified_channel_required",
        "Verify your email or WhatsApp number before enabling 2FA",
      );
    }
    changes.is2faEnabled = input.is2faEnabled;
  }
  await batchWrite(ctx.db, [ctx.db.update(users).set(changes).where(eq(users.id, user.id)), ...statements]);
  for (const enqueue of enqueues) await enqueue();
  if (changes.passwordHash) {
    await revokeSessions(ctx, { userId: ctx.userId, exceptSessionId: ctx.sessionId }, "password_changed");
  }
  return { user: await getUser(ctx, user.id), verifyEmail, verifyWhatsappNumber };
}

export async function sendVerification(ctx: ActorContext, channel: "email" | "whatsapp") {
  const user = await getUser(ctx, ctx.userId);
  if (channel === "email" && user.emailVerifiedAt)
    throw conflict("already_verified", "The email address is already verified");
  if (channel === "whatsapp") {
    if (!user.whatsappNumber) throw badRequest("whatsapp_number_missing", "Set a WhatsApp number first");
    if (user.whatsappNumberVerifiedAt)
      throw conflict("already_verified", "The WhatsApp number is already verified");
  }
  const purpose = channel === "email" ? "email_verification" : "whatsapp_verification";
  const code = await issueCode(ctx, user, purpose, channel === "email" ? user.email : user.whatsappNumber!);
  await batchWrite(ctx.db, [...code.statements]);
  await code.enqueue();
}

/** Consumes a code of `purpose`; the target must still be the one the code was sent to. */
async function consumeCode(ctx: ServiceContext, purpose: Purpose, code: string, userId?: string) {
  const codeHash = await codeHashOf(purpose, code, userId);
  const [row] = await ctx.db
    .select()
    .from(verificationCodes)
    .where(eq(verificationCodes.codeHash, codeHash))
    .limit(1);
  const invalid = () => badRequest("invalid_code", "The code is invalid or has expired");
  if (
    !row ||
    row.purpose !== purpose ||
    (userId && row.userId !== userId) ||
    row.consumedAt ||
    row.expiresAt < nowIso()
  ) {
    if (userId) await countFailedAttempt(ctx, userId, purpose);
    throw invalid();
  }
  if (row.attempts >= MAX_CODE_ATTEMPTS) throw invalid();
  const consumed = await ctx.db
    .update(verificationCodes)
    .set({ consumedAt: nowIso() })
    .where(and(eq(verificationCodes.id, row.id), isNull(verificationCodes.consumedAt)))
    .returning({ id: verificationCodes.id });
  if (consumed.length === 0) throw invalid();
  return row;
}

/** Wrong guesses burn the newest live code of that purpose, so a 6-digit code can't be brute-forced. */
async function countFailedAttempt(ctx: ServiceContext, userId: string, purpose: Purpose) {
  const [latest] = await ctx.db
    .select({ id: verificationCodes.id, attempts: verificationCodes.attempts })
    .from(verificationCodes)
    .where(
      and(
        eq(verificationCodes.userId, userId),
        eq(verificationCodes.purpose, purpose),
        isNull(verificationCodes.consumedAt),
      ),
    )
    .orderBy(desc(verificationCodes.createdAt))
    .limit(1);
  if (latest) {
    await ctx.db
      .update(verificationCodes)
      .set({ attempts: latest.attempts + 1 })
      .where(eq(verificationCodes.id, latest.id));
  }
}

export async function verifyChannel(ctx: ActorContext, channel: "email" | "whatsapp", code: string) {
  const user = await getUser(ctx, ctx.userId);
  const purpose = channel === "email" ? "email_verification" : "whatsapp_verification";
  const row = await consumeCode(ctx, purpose, code, user.id);
  const current = channel === "email" ? user.email : user.whatsappNumber;
  if (row.target !== current) throw badRequest("invalid_code", "The code was sent to a previous address");
  await ctx.db
    .update(users)
    .set(
      channel === "email"
        ? { emailVerifiedAt: nowIso(), updatedAt: nowIso() }
        : { whatsappNumberVerifiedAt: nowIso(), updatedAt: nowIso() },
    )
    .where(eq(users.id, user.id));
}

/** Always succeeds from the caller's point of view, so the endpoint does not reveal which emails exist. */
export async function requestPasswordReset(ctx: ServiceContext, email: string, passwordResetPath: string) {
  const [user] = await ctx.db
    .select()
    .from(users)
    .where(and(eq(users.email, email.trim().toLowerCase()), isNull(users.deletedAt)))
    .limit(1);
  if (!user) return;
  const code = await issueCode(ctx, user, "password_reset", user.email, passwordResetPath);
  await batchWrite(ctx.db, [...code.statements]);
  await code.enqueue();
}

export async function resetPassword(ctx: ServiceContext, passwordResetCode: string, password: string) {
  assertPassword(password);
  const row = await consumeCode(ctx, "password_reset", passwordResetCode);
  await ctx.db
    .update(users)
    .set({ passwordHash: await hashPassword(password), updatedAt: nowIso() })
    .where(eq(users.id, row.userId));
  await revokeSessions(ctx, { userId: row.userId }, "password_reset");
}

export async function setDefaultOrganization(ctx: ActorContext, organizationId: string) {
  if (!(await findMembership(ctx, organizationId))) throw notFound("Organization");
  await ctx.db
    .update(users)
    .set({ defaultOrganizationId: organizationId, updatedAt: nowIso() })
    .where(eq(users.id, ctx.userId));
}

/**
 * Deletes the account (soft: the row keeps audit references valid) after checking the password. A
 * user who is the only owner of an organization that still has other members must hand it over first.
 */
export async function deleteMe(ctx: ActorContext, password: string) {
  const user = await getUser(ctx, ctx.userId);
  if (!(await verifyPassword(password, user.passwordHash)))
    throw badRequest("invalid_password", "The password is incorrect");
  const owned = await ctx.db
    .select({ organizationId: memberships.organizationId })
    .from(memberships)
    .where(and(eq(memberships.userId, user.id), eq(memberships.role, "owner")));
  const ownedIds = owned.map((o) => o.organizationId);
  if (ownedIds.length > 0) {
    const others = await ctx.db
      .select({
        organizationId: memberships.organizationId,
        role: memberships.role,
        userId: memberships.userId,
      })
      .from(memberships)
      .where(inArray(memberships.organizationId, ownedIds));
    for (const orgId of ownedIds) {
      const rest = others.filter((m) => m.organizationId === orgId && m.userId !== user.id);
      if (rest.length > 0 && !rest.some((m) => m.role === "owner")) {
        throw new AppError(
          409,
          "sole_owner",
          "Transfer ownership of your organizations before deleting your account",
          {
            organizationId: orgId,
          },
        );
      }
    }
  }
  const now = nowIso();
  await batchWrite(ctx.db, [
    ctx.db
      .update(users)
      .set({ deletedAt: now, email: `deleted+${user.id}@timbre.invalid`, updatedAt: now })
      .where(eq(users.id, user.id)),
    ctx.db.delete(memberships).where(eq(memberships.userId, user.id)),
  ]);
  await revokeSessions(ctx, { userId: user.id }, "user_deleted");
}
