/**
 * Access tokens: short-lived HS256 JWTs (jose) that name their session. Verifying one also checks the
 * session is alive, so logout and refresh-token reuse end access tokens at once instead of at expiry.
 */
import { and, eq, isNull } from "drizzle-orm";
import { errors as joseErrors, jwtVerify, SignJWT } from "jose";
import { sessions, users } from "../../db/schema";
import { unauthorized } from "../../shared/errors";
import type { AuthContext } from "../env";
import type { ServiceContext } from "./context";

export const ISSUER = "timbre";
const AUDIENCE = "timbre-api";
const encoder = new TextEncoder();

export const accessTokenTtl = (ctx: Pick<ServiceContext, "env">) =>
  Number(ctx.env.ACCESS_TOKEN_TTL_SECONDS ?? 900);

/** The one HS256 key of every token Timbre signs; each kind has its own audience and `typ`. */
export function signingKey(ctx: Pick<ServiceContext, "env">) {
  const secret = ctx.env.TOKEN_SIGNING_KEY;
  if (!secret || secret.length < 32)
    throw new Error("TOKEN_SIGNING_KEY must be set to at least 32 characters");
  return encoder.encode(secret);
}

export async function issueAccessToken(
  ctx: Pick<ServiceContext, "env">,
  session: { id: string; userId: string; clientId: string },
): Promise<string> {
  return new SignJWT({ sid: session.id, cid: session.clientId })
    .setProtectedHeader({ alg: "HS256", typ: "JWT" })
    .setSubject(session.userId)
    .setIssuer(ISSUER)
    .setAudience(AUDIENCE)
    .setIssuedAt()
    .setJti(crypto.randomUUID())
    .setExpirationTime(`${accessTokenTtl(ctx)}s`)
    .sign(signingKey(ctx));
}

export async function authenticateAccessToken(ctx: ServiceContext, token: string): Promise<AuthContext> {
  let payload: { sub?: string; sid?: unknown; cid?: unknown };
  try {
    ({ payload } = await jwtVerify(token, signingKey(ctx), {
      issuer: ISSUER,
      audience: AUDIENCE,
      algorithms: ["HS256"],
    }));
  } catch (e) {
    if (e instanceof joseErrors.JWTExpired)
      throw unauthorized("The access token has expired", "token_expired");
    throw unauthorized("The access token is invalid", "invalid_token");
  }
  if (!payload.sub || typeof payload.sid !== "string" || typeof payload.cid !== "string") {
    throw unauthorized("The access token is invalid", "invalid_token");
  }
  const rows = await ctx.db
    .select({ id: sessions.id })
    .from(sessions)
    .innerJoin(users, eq(users.id, sessions.userId))
    .where(and(eq(sessions.id, payload.sid), isNull(sessions.revokedAt), isNull(users.deletedAt)))
    .limit(1);
  if (!rows[0]) throw unauthorized("The session has ended; sign in again", "session_revoked");
  return { userId: payload.sub, sessionId: payload.sid, clientId: payload.cid };
}
