/**
 * OAuth2 grants (RFC 6749 errors): password, refresh_token and our `two_factor` extension grant.
 * - A login creates a session, the refresh-token family. Refresh tokens are opaque, stored as SHA-256
 *   hashes, rotated on every use; presenting a rotated one again revokes the whole family.
 * - With 2FA on and an untrusted device, the password grant returns a temporary token and sends a
 *   6-digit code through the outbox; `grant_type=two_factor` trades both for tokens. Codes expire in
 *   5 minutes, work once, and allow 5 attempts.
 * - Failed logins are limited per account and per IP address over a sliding window.
 */
import { and, count, eq, gte, isNull, ne } from "drizzle-orm";
import { batchWrite } from "../../db/client";
import {
  loginAttempts,
  oauthClients,
  refreshTokens,
  sessions,
  trustedDevices,
  twoFactorChallenges,
  users,
} from "../../db/schema";
import { constantTimeEqual, randomDigits, randomToken, sha256Hex } from "../../shared/auth/crypto";
import { verifyPassword } from "../../shared/auth/password";
import { AppError } from "../../shared/errors";
import { nowIso, type ServiceContext } from "./context";
import { outboxInsert } from "./outbox";
import { accessTokenTtl, issueAccessToken } from "./tokens";

export const REFRESH_TTL_DAYS = 30;
const TWO_FACTOR_TTL_S = 300;
const TWO_FACTOR_MAX_ATTEMPTS = 5;
export const LOGIN_WINDOW_MS = 15 * 60 * 1000;
export const MAX_FAILURES_PER_ACCOUNT = 5;
export const MAX_FAILURES_PER_IP = 20;

const oauthError = (status: number, error: string, description: string) =>
  new AppError(status, error, description);
const invalidGrant = (description: string) => oauthError(400, "invalid_grant", description);

export interface TokenResponse {
  access_token: string;
  token_type: "Bearer";
  expires_in: number;
  refresh_token: string;
}
export interface TwoFactorResponse {
  two_factor_required: true;
  temporary_token: string;
  expires_in: number;
  channel: "email" | "whatsapp";
}

export async function authenticateClient(ctx: ServiceContext, clientId?: string, clientSecret?: string) {
  if (!clientId || !clientSecret) {
    throw oauthError(400, "invalid_request", "Missing client_id and/or client_secret parameters");
  }
  const [client] = await ctx.db.select().from(oauthClients).where(eq(oauthClients.id, clientId)).limit(1);
  const presented = await sha256Hex(clientSecret);
  if (!client || !constantTimeEqual(client.secretHash, presented)) {
    throw oauthError(401, "invalid_client", "Client authentication failed");
  }
  return client;
}

async function recentFailures(ctx: ServiceContext, subject: string): Promise<number> {
  const since = new Date(Date.now() - LOGIN_WINDOW_MS).toISOString();
  const [row] = await ctx.db
    .select({ n: count() })
    .from(loginAttempts)
    .where(
      and(
        eq(loginAttempts.subject, subject),
        eq(loginAttempts.succeeded, false),
        gte(loginAttempts.createdAt, since),
      ),
    );
  return row?.n ?? 0;
}

const recordAttempt = (ctx: ServiceContext, subject: string, succeeded: boolean) =>
  ctx.db.insert(loginAttempts).values({ id: crypto.randomUUID(), subject, succeeded, createdAt: nowIso() });

async function startSession(
  ctx: ServiceContext,
  userId: string,
  clientId: string,
  deviceId: string | null,
  extra: Parameters<typeof batchWrite>[1] = [],
): Promise<TokenResponse> {
  const sessionId = crypto.randomUUID();
  const refreshToken = randomToken();
  const refreshHash = await sha256Hex(refreshToken);
  const now = nowIso();
  await batchWrite(ctx.db, [
    ctx.db.insert(sessions).values({
      id: sessionId,
      userId,
      clientId,
      deviceId,
      currentRefreshHash: refreshHash,
      refreshExpiresAt: new Date(Date.now() + REFRESH_TTL_DAYS * 86_400_000).toISOString(),
      createdAt: now,
      updatedAt: now,
    }),
    ctx.db.insert(refreshTokens).values({ tokenHash: refreshHash, sessionId, createdAt: now }),
    ctx.db.update(users).set({ lastLoginAt: now }).where(eq(users.id, userId)),
    ...extra,
  ]);
  return tokenResponse(ctx, { id: sessionId, userId, clientId }, refreshToken);
}

async function tokenResponse(
  ctx: ServiceContext,
  session: { id: string; userId: string; clientId: string },
  refreshToken: string,
): Promise<TokenResponse> {
  return {
    access_token: await issueAccessToken(ctx, session),
    token_type: "Bearer",
    expires_in: accessTokenTtl(ctx),
    refresh_token: refreshToken,
  };
}

export async function passwordGrant(
  ctx: ServiceContext,
  input: {
    username?: string;
    password?: string;
    clientId?: string;
    clientSecret?: string;
    deviceId?: string;
    ip: string;
  },
): Promise<TokenResponse | TwoFactorResponse> {
  const client = await authenticateClient(ctx, input.clientId, input.clientSecret);
  if (!input.username || !input.password) {
    throw oauthError(400, "invalid_request", "Missing username and/or password parameters");
  }
  const email = input.username.trim().toLowerCase();
  const accountSubject = `user:${email}`;
  const ipSubject = `ip:${input.ip}`;
  const [accountFailures, ipFailures] = await Promise.all([
    recentFailures(ctx, accountSubject),
    recentFailures(ctx, ipSubject),
  ]);
  if (accountFailures >= MAX_FAILURES_PER_ACCOUNT || ipFailures >= MAX_FAILURES_PER_IP) {
    throw oauthError(429, "too_many_attempts", "Too many failed sign-in attempts; try again in 15 minutes");
  }

  const [user] = await ctx.db
    .select()
    .from(users)
    .where(and(eq(users.email, email), isNull(users.deletedAt)))
    .limit(1);
  // Hash even when the user is unknown so timing does not reveal which emails exist.
  const ok = await verifyPassword(input.password, user?.passwordHash ?? "pbkdf2-sha256$100000$AAAA$AAAA");
  if (!user || !ok) {
    await batchWrite(ctx.db, [
      recordAttempt(ctx, accountSubject, false),
      recordAttempt(ctx, ipSubject, false),
    ]);
    throw invalidGrant("Invalid username or password");
  }

  if (user.is2faEnabled && !(await isTrustedDevice(ctx, user.id, input.deviceId))) {
    return startTwoFactor(ctx, user, client.id, input.deviceId ?? null);
  }
  return startSession(ctx, user.id, client.id, input.deviceId ?? null, [
    recordAttempt(ctx, accountSubject, true),
  ]);
}

async function isTrustedDevice(ctx: ServiceContext, userId: string, deviceId?: string) {
  if (!deviceId) return false;
  const [device] = await ctx.db
    .select({ id: trustedDevices.id })
    .from(trustedDevices)
    .where(and(eq(trustedDevices.id, deviceId), eq(trustedDevices.userId, userId)))
    .limit(1);
  return Boolean(device);
}

async function startTwoFactor(
  ctx: ServiceContext,
  user: typeof users.$inferSelect,
  clientId: string,
  deviceId: string | null,
): Promise<TwoFactorResponse> {
  const temporaryToken = randomToken();
  const code = randomDigits(6);
  const channel = user.whatsappNumber && user.whatsappNumberVerifiedAt ? "whatsapp" : "email";
  const message = outboxInsert(ctx, {
    channel,
    recipient: channel === "whatsapp" ? user.whatsappNumber! : user.email,
    template: "two_factor_code",
    subject: "Your Timbre sign-in code",
    body: `Your Timbre sign-in code is ${code}. It expires in 5 minutes.`,
  });
  await batchWrite(ctx.db, [
    ctx.db.insert(twoFactorChallenges).values({
      tokenHash: await sha256Hex(temporaryToken),
      userId: user.id,
      clientId,
      deviceId,
      codeHash: await sha256Hex(code),
      expiresAt: new Date(Date.now() + TWO_FACTOR_TTL_S * 1000).toISOString(),
      createdAt: nowIso(),
    }),
    message.statement,
  ]);
  await message.enqueue();
  return {
    two_factor_required: true,
    temporary_token: temporaryToken,
    expires_in: TWO_FACTOR_TTL_S,
    channel,
  };
}

export async function twoFactorGrant(
  ctx: ServiceContext,
  input: { temporaryToken?: string; code?: string; clientId?: string; clientSecret?: string },
): Promise<TokenResponse> {
  const client = await authenticateClient(ctx, input.clientId, input.clientSecret);
  if (!input.temporaryToken || !input.code) {
    throw oauthError(400, "invalid_request", "Missing temporary_token and/or code parameters");
  }
  const tokenHash = await sha256Hex(input.temporaryToken);
  const [challenge] = await ctx.db
    .select()
    .from(twoFactorChallenges)
    .where(eq(twoFactorChallenges.tokenHash, tokenHash))
    .limit(1);
  if (!challenge || challenge.clientId !== client.id || challenge.consumedAt) {
    throw invalidGrant("The temporary token is invalid or was already used");
  }
  if (challenge.expiresAt < nowIso()) throw invalidGrant("The verification code has expired; sign in again");
  if (challenge.attempts >= TWO_FACTOR_MAX_ATTEMPTS) {
    throw invalidGrant("Too many wrong codes; sign in again to get a new one");
  }
  const codeOk = constantTimeEqual(await sha256Hex(input.code), challenge.codeHash);
  if (!codeOk) {
    await ctx.db
      .update(twoFactorChallenges)
      .set({ attempts: challenge.attempts + 1 })
      .where(eq(twoFactorChallenges.tokenHash, tokenHash));
    throw invalidGrant("The verification code is incorrect");
  }
  // Consuming is a conditional update: of two concurrent correct submissions only one gets tokens.
  const consumed = await ctx.db
    .update(twoFactorChallenges)
    .set({ consumedAt: nowIso() })
    .where(and(eq(twoFactorChallenges.tokenHash, tokenHash), isNull(twoFactorChallenges.consumedAt)))
    .returning({ userId: twoFactorChallenges.userId });
  if (consumed.length === 0) throw invalidGrant("The temporary token is invalid or was already used");
  return startSession(ctx, challenge.userId, client.id, challenge.deviceId);
}

export async function refreshGrant(
  ctx: ServiceContext,
  input: { refreshToken?: string; clientId?: string; clientSecret?: string },
): Promise<TokenResponse> {
  const client = await authenticateClient(ctx, input.clientId, input.clientSecret);
  if (!input.refreshToken) throw oauthError(400, "invalid_request", "Missing refresh_token parameter");
  const presentedHash = await sha256Hex(input.refreshToken);
  const [row] = await ctx.db
    .select({ token: refreshTokens, session: sessions })
    .from(refreshTokens)
    .innerJoin(sessions, eq(sessions.id, refreshTokens.sessionId))
    .where(eq(refreshTokens.tokenHash, presentedHash))
    .limit(1);
  if (!row || row.session.clientId !== client.id) throw invalidGrant("The refresh token is invalid");
  if (row.session.revokedAt) throw invalidGrant("The refresh token has been revoked");
  if (row.token.rotatedAt) {
    await revokeSessions(ctx, { sessionId: row.session.id }, "refresh_token_reuse");
    throw invalidGrant("The refresh token was already used; the session has been revoked");
  }
  if (row.session.refreshExpiresAt < nowIso()) throw invalidGrant("The refresh token has expired");

  const now = nowIso();
  const rotated = await ctx.db
    .update(refreshTokens)
    .set({ rotatedAt: now })
    .where(and(eq(refreshTokens.tokenHash, presentedHash), isNull(refreshTokens.rotatedAt)))
    .returning({ tokenHash: refreshTokens.tokenHash });
  if (rotated.length === 0) {
    // Another request rotated it between our read and write: the same token was used twice.
    await revokeSessions(ctx, { sessionId: row.session.id }, "refresh_token_reuse");
    throw invalidGrant("The refresh token was already used; the session has been revoked");
  }
  const next = randomToken();
  const nextHash = await sha256Hex(next);
  await batchWrite(ctx.db, [
    ctx.db.insert(refreshTokens).values({ tokenHash: nextHash, sessionId: row.session.id, createdAt: now }),
    ctx.db
      .update(sessions)
      .set({
        currentRefreshHash: nextHash,
        refreshExpiresAt: new Date(Date.now() + REFRESH_TTL_DAYS * 86_400_000).toISOString(),
        updatedAt: now,
      })
      .where(eq(sessions.id, row.session.id)),
  ]);
  return tokenResponse(ctx, row.session, next);
}

/**
 * Ends live sessions, and with them their access tokens and refresh families: one session, or every
 * session of a user, optionally sparing the caller's own (a password change keeps the session that
 * proved the old password).
 */
export async function revokeSessions(
  ctx: ServiceContext,
  which: { sessionId: string } | { userId: string; exceptSessionId?: string },
  reason: string,
) {
  const now = nowIso();
  const target =
    "sessionId" in which
      ? eq(sessions.id, which.sessionId)
      : and(
          eq(sessions.userId, which.userId),
          which.exceptSessionId ? ne(sessions.id, which.exceptSessionId) : undefined,
        );
  await ctx.db
    .update(sessions)
    .set({ revokedAt: now, revokedReason: reason, updatedAt: now })
    .where(and(target, isNull(sessions.revokedAt)));
}

export async function createTrustedDevice(ctx: ServiceContext & { userId: string }) {
  const id = crypto.randomUUID();
  await ctx.db.insert(trustedDevices).values({ id, userId: ctx.userId, createdAt: nowIso() });
  return id;
}
