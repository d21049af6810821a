import { describe, expect, it } from "vitest";
import { CLIENT_ID, CLIENT_SECRET, call, ensureClient, PASSWORD, passwordLogin, signUp } from "./harness";

describe("POST /v1/oauth/token", () => {
  it("rejects missing client credentials as the seed shows", async () => {
    const res = await call("POST", "/v1/oauth/token", {
      form: { grant_type: "password", username: "a", password: "b" },
    });
    expect(res.status).toBe(400);
    expect(res.json).toEqual({
      error: "invalid_request",
      error_description: "Missing client_id and/or client_secret parameters",
    });
  });

  it("logs in with the password grant and the access token works", async () => {
    const user = await signUp();
    const me = await call("GET", "/v1/users/me", { token: user.token });
    expect(me.status).toBe(200);
    expect(me.json.email).toBe(user.email);
    expect(me.json.emailVerifiedAt).toBeNull();
  });

  it("refuses a wrong password with invalid_grant", async () => {
    const user = await signUp();
    const res = await passwordLogin(user.email, "Wrong-Pass1!");
    expect(res.status).toBe(400);
    expect(res.json.error).toBe("invalid_grant");
  });

  it("rotates refresh tokens and revokes the family when a rotated one is reused", async () => {
    await ensureClient();
    const user = await signUp();
    const refresh = (token: string) =>
      call("POST", "/v1/oauth/token", {
        form: {
          grant_type: "refresh_token",
          refresh_token: token,
          client_id: CLIENT_ID,
          client_secret: CLIENT_SECRET,
        },
      });
    const first = await refresh(user.refreshToken);
    expect(first.status).toBe(200);
    expect(first.json.refresh_token).not.toBe(user.refreshToken);

    const reuse = await refresh(user.refreshToken);
    expect(reuse.status).toBe(400);
    expect(reuse.json.error).toBe("invalid_grant");

    // The whole family is gone: the new refresh token and the access tokens stop working.
    expect((await refresh(first.json.refresh_token)).status).toBe(400);
    expect((await call("GET", "/v1/users/me", { token: first.json.access_token })).status).toBe(401);
    expect((await call("GET", "/v1/users/me", { token: user.token })).status).toBe(401);
  });

  it("logout invalidates the access token and its refresh token", async () => {
    await ensureClient();
    const user = await signUp();
    const out = await call("POST", "/v1/oauth/logout", { token: user.token });
    expect(out.status).toBe(200);
    expect(out.json.message).toBe("Successfully logged out");
    expect((await call("GET", "/v1/users/me", { token: user.token })).status).toBe(401);
    const refresh = await call("POST", "/v1/oauth/token", {
      form: {
        grant_type: "refresh_token",
        refresh_token: user.refreshToken,
        client_id: CLIENT_ID,
        client_secret: CLIENT_SECRET,
      },
    });
    expect(refresh.status).toBe(400);
  });

  it("limits failed logins per account", async () => {
    const user = await signUp();
    for (let i = 0; i < 5; i++) expect((await passwordLogin(user.email, "Wrong-Pass1!")).status).toBe(400);
    const blocked = await passwordLogin(user.email, PASSWORD);
    expect(blocked.status).toBe(429);
    expect(blocked.json.error).toBe("too_many_attempts");
  });
});
