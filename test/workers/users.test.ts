import { describe, expect, it } from "vitest";
import { call, PASSWORD, passwordLogin, signUp, uniqueEmail } from "./harness";

const outboxBody = async (recipient: string, template: string) => {
  const res = await call("GET", `/v1/dev/outbox?recipient=${encodeURIComponent(recipient)}`);
  return res.json.data.find((m: { template: string }) => m.template === template)?.body as string | undefined;
};

describe("users", () => {
  it("refuses weak passwords with the seed's rule", async () => {
    for (const password of ["short1!", "alllowercase1!", "ALLUPPERCASE1!", "NoDigits!!", "NoSpecial123"]) {
      const res = await call("POST", "/v1/users", {
        body: { firstName: "A", lastName: "B", emailAddress: uniqueEmail(), password },
      });
      expect(res.status, password).toBe(400);
      expect(res.json.error).toBe("weak_password");
    }
  });

  it("refuses a second account with the same email, whatever its case", async () => {
    const user = await signUp();
    const res = await call("POST", "/v1/users", {
      body: { firstName: "A", lastName: "B", emailAddress: user.email.toUpperCase(), password: PASSWORD },
    });
    expect(res.status).toBe(409);
    expect(res.json.error).toBe("email_already_exists");
  });

  it("reports validation failures with field paths, never a 500", async () => {
    const res = await call("POST", "/v1/users", {
      body: { firstName: "", emailAddress: "not-an-email", extra: 1 },
    });
    expect(res.status).toBe(400);
    expect(res.json.error).toBe("validation_failed");
    const paths = res.json.details.map((d: { path: string }) => d.path);
    expect(paths).toEqual(expect.arrayContaining(["firstName", "lastName", "emailAddress", "password"]));
    const garbage = await call("POST", "/v1/users", {
      headers: { "content-type": "application/json" },
      body: undefined,
    });
    expect(garbage.status).toBe(400);
  });

  it("verifies the email with the code sent at sign-up, once", async () => {
    const user = await signUp();
    const code = (await outboxBody(user.email, "email_verification"))?.match(/\d{6}/)?.[0];
    expect(code).toBeDefined();
    const wrong = await call("POST", "/v1/users/me/email/verify", {
      token: user.token,
      body: { code: code === "000000" ? "111111" : "000000" },
    });
    expect(wrong.status).toBe(400);
    expect(wrong.json.error).toBe("invalid_code");
    expect(
      (await call("POST", "/v1/users/me/email/verify", { token: user.token, body: { code } })).status,
    ).toBe(200);
    expect((await call("GET", "/v1/users/me", { token: user.token })).json.emailVerifiedAt).not.toBeNull();
    expect(
      (await call("POST", "/v1/users/me/email/verify", { token: user.token, body: { code } })).status,
    ).toBe(400);
  });

  it("sends a WhatsApp code when a number is set and verifies it", async () => {
    const user = await signUp();
    const patch = await call("PATCH", "/v1/users/me", {
      token: user.token,
      body: { whatsappNumber: "525512345678" },
    });
    expect(patch.status).toBe(200);
    expect(patch.json.verifyWhatsappNumber).toBe(true);
    const code = (await outboxBody("525512345678", "whatsapp_verification"))?.match(/\d{6}/)?.[0];
    expect(
      (await call("POST", "/v1/users/me/whatsapp/verify", { token: user.token, body: { code } })).status,
    ).toBe(200);
    expect(
      (await call("GET", "/v1/users/me", { token: user.token })).json.whatsappNumberVerifiedAt,
    ).not.toBeNull();
  });

  it("changes the password only with the current one and ends other sessions", async () => {
    const user = await signUp();
    const other = await passwordLogin(user.email);
    const noCurrent = await call("PATCH", "/v1/users/me", {
      token: user.token,
      body: { newPassword: "N3w-Password!" },
    });
    expect(noCurrent.json.error).toBe("current_password_required");
    const changed = await call("PATCH", "/v1/users/me", {
      token: user.token,
      body: { currentPassword: PASSWORD, newPassword: "N3w-Password!" },
    });
    expect(changed.status).toBe(200);
    expect((await call("GET", "/v1/users/me", { token: user.token })).status).toBe(200);
    expect((await call("GET", "/v1/users/me", { token: other.json.access_token })).status).toBe(401);
    expect((await passwordLogin(user.email, "N3w-Password!")).status).toBe(200);
  });

  it("resets a forgotten password through the emailed link and signs out everywhere", async () => {
    const user = await signUp();
    const request = await call("POST", "/v1/auth/password-reset-requests", {
      body: { email: user.email, passwordResetPath: "/reset-password/[passwordResetCode]" },
    });
    expect(request.status).toBe(200);
    const unknown = await call("POST", "/v1/auth/password-reset-requests", {
      body: { email: "nobody@example.com", passwordResetPath: "/reset-password/[passwordResetCode]" },
    });
    expect(unknown.json).toEqual(request.json);
    const link = await outboxBody(user.email, "password_reset");
    const code = link?.match(/\/reset-password\/([A-Za-z0-9_-]+)/)?.[1];
    expect(code).toBeDefined();
    const weak = await call("POST", "/v1/auth/password-reset", {
      body: { passwordResetCode: code, password: "weak" },
    });
    expect(weak.json.error).toBe("weak_password");
    const reset = await call("POST", "/v1/auth/password-reset", {
      body: { passwordResetCode: code, password: "Res3t-Password!" },
    });
    expect(reset.status).toBe(200);
    expect((await call("GET", "/v1/users/me", { token: user.token })).status).toBe(401);
    expect((await passwordLogin(user.email, "Res3t-Password!")).status).toBe(200);
    const reuse = await call("POST", "/v1/auth/password-reset", {
      body: { passwordResetCode: code, password: "An0ther-Pass!" },
    });
    expect(reuse.status).toBe(400);
  });

  it("deletes the account with the password", async () => {
    const user = await signUp();
    const wrong = await call("DELETE", "/v1/users/me", { token: user.token, body: { password: "nope" } });
    expect(wrong.json.error).toBe("invalid_password");
    expect(
      (await call("DELETE", "/v1/users/me", { token: user.token, body: { password: PASSWORD } })).status,
    ).toBe(200);
    expect((await call("GET", "/v1/users/me", { token: user.token })).status).toBe(401);
    expect((await passwordLogin(user.email)).status).toBe(400);
  });
});
