// Users and OAuth grants on embedded libSQL: the Worker's own service functions, not copies of them.
import { eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loginAttempts, outboxMessages, sessions, users } from "../../../db/schema";
import { AppError } from "../../../shared/errors";
import { passwordGrant, refreshGrant, type TokenResponse } from "../../../workers/services/auth";
import { authenticateAccessToken } from "../../../workers/services/tokens";
import { createUser } from "../../../workers/services/users";
import { CLIENT_ID, CLIENT_SECRET, type LibsqlHarness, openLibsql, PASSWORD } from "./libsql";

let h: LibsqlHarness;
beforeAll(async () => {
  h = await openLibsql();
});
afterAll(() => h.close());

let counter = 0;
const newUser = (prefix = "node") =>
  createUser(h.ctx, {
    firstName: "Ana",
    lastName: "Prueba",
    emailAddress: `${prefix}.${++counter}@Example.com`,
    password: PASSWORD,
  });

const login = (username: string, password = PASSWORD) =>
  passwordGrant(h.ctx, {
    username,
    password,
    clientId: CLIENT_ID,
    clientSecret: CLIENT_SECRET,
    ip: "203.0.113.7",
  });

const refresh = (refreshToken: string) =>
  refreshGrant(h.ctx, { refreshToken, clientId: CLIENT_ID, clientSecret: CLIENT_SECRET });

async function appError(promise: Promise<unknown>): Promise<AppError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(AppError);
  return error as AppError;
}

describe("createUser on libSQL", () => {
  it("stores the user and the verification email in one batch, then enqueues its delivery", async () => {
    const sentBefore = h.sent.length;
    const user = await newUser("signup");
    expect(user.email).toBe(`signup.${counter}@example.com`);
    const [stored] = await h.db.select().from(users).where(eq(users.id, user.id));
    expect(stored?.emailVerifiedAt).toBeNull();
    expect(stored?.passwordHash).toMatch(/^pbkdf2-sha256\$100000\$/);

    const [email] = await h.db.select().from(outboxMessages).where(eq(outboxMessages.recipient, user.email));
    expect(email).toMatchObject({ template: "email_verification", status: "pending", channel: "email" });
    expect(h.sent.slice(sentBefore)).toEqual([{ type: "outbox.deliver", messageId: email!.id }]);
  });

  it("turns a duplicate email into 409 email_already_exists, also when two sign-ups race", async () => {
    const user = await newUser("dup");
    const again = await appError(
      createUser(h.ctx, {
        firstName: "B",
        lastName: "C",
        emailAddress: user.email.toUpperCase(),
        password: PASSWORD,
      }),
    );
    expect([again.status, again.code]).toEqual([409, "email_already_exists"]);

    const input = { firstName: "R", lastName: "Ace", emailAddress: "race@example.com", password: PASSWORD };
    const results = await Promise.allSettled([createUser(h.ctx, input), createUser(h.ctx, input)]);
    expect(results.filter((r) => r.status === "fulfilled")).toHaveLength(1);
    const reasons = results.flatMap((r) => (r.status === "rejected" ? [r.reason as unknown] : []));
    expect(reasons).toHaveLength(1);
    expect(reasons[0]).toBeInstanceOf(AppError);
    expect((reasons[0] as AppError).code).toBe("email_already_exists");
    expect(await h.db.select().from(users).where(eq(users.email, "race@example.com"))).toHaveLength(1);
  });

  it("refuses a weak password before writing anything", async () => {
    const error = await appError(
      createUser(h.ctx, {
        firstName: "W",
        lastName: "K",
        emailAddress: "weak@example.com",
        password: "password",
      }),
    );
    expect([error.status, error.code]).toEqual([400, "weak_password"]);
    expect(await h.db.select().from(users).where(eq(users.email, "weak@example.com"))).toHaveLength(0);
  });
});

describe("OAuth grants on libSQL", () => {
  it("issues tokens for the right password; the access token names a live session", async () => {
    const user = await newUser("grant");
    const tokens = (await login(user.email)) as TokenResponse;
    expect(tokens.token_type).toBe("Bearer");
    expect(tokens.expires_in).toBe(900);
    const auth = await authenticateAccessToken(h.ctx, tokens.access_token);
    expect(auth).toMatchObject({ userId: user.id, clientId: CLIENT_ID });
    const [session] = await h.db.select().from(sessions).where(eq(sessions.id, auth.sessionId));
    expect(session?.revokedAt).toBeNull();
  });

  it("refuses a wrong password with invalid_grant and records the failure per account and IP", async () => {
    const user = await newUser("wrong");
    const error = await appError(login(user.email, "Wrong-Pass1!"));
    expect([error.status, error.code]).toEqual([400, "invalid_grant"]);
    const attempts = await h.db
      .select()
      .from(loginAttempts)
      .where(eq(loginAttempts.subject, `user:${user.email}`));
    expect(attempts.map((a) => a.succeeded)).toEqual([false]);
  });

  it("rotates refresh tokens and revokes the family when a rotated one is reused", async () => {
    const user = await newUser("rotate");
    const first = (await login(user.email)) as TokenResponse;
    const second = await refresh(first.refresh_token);
    expect(second.refresh_token).not.toBe(first.refresh_token);
    const third = await refresh(second.refresh_token);

    const reuse = await appError(refresh(first.refresh_token));
    expect([reuse.status, reuse.code]).toEqual([400, "invalid_grant"]);
    expect(reuse.message).toContain("already used");

    const after = await appError(refresh(third.refresh_token));
    expect(after.message).toContain("revoked");
    const ended = await appError(authenticateAccessToken(h.ctx, third.access_token));
    expect([ended.status, ended.code]).toEqual([401, "session_revoked"]);
    const auth = await appError(authenticateAccessToken(h.ctx, first.access_token));
    expect(auth.code).toBe("session_revoked");
  });

  it("lets only one of two concurrent refreshes with the same token win", async () => {
    const user = await newUser("concurrent");
    const tokens = (await login(user.email)) as TokenResponse;
    const results = await Promise.allSettled([refresh(tokens.refresh_token), refresh(tokens.refresh_token)]);
    // The conditional update is the race guard: never two new token pairs from one refresh token.
    expect(results.filter((r) => r.status === "fulfilled").length).toBeLessThanOrEqual(1);
    expect(results.some((r) => r.status === "rejected")).toBe(true);
  });
});
