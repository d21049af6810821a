import { describe, expect, it } from "vitest";
import { CLIENT_ID, CLIENT_SECRET, call, passwordLogin, signUp } from "./harness";

async function latestCode(recipient: string, template: string): Promise<string> {
  const outbox = await call("GET", `/v1/dev/outbox?recipient=${encodeURIComponent(recipient)}`);
  const message = outbox.json.data.find((m: { template: string }) => m.template === template);
  const code = message?.body.match(/\b(\d{6})\b/)?.[1];
  if (!code) throw new Error(`no ${template} code in the outbox for ${recipient}`);
  return code;
}

async function userWith2fa() {
  const user = await signUp("twofa");
  const code = await latestCode(user.email, "email_verification");
  expect(
    (await call("POST", "/v1/users/me/email/verify", { token: user.token, body: { code } })).status,
  ).toBe(200);
  const enable = await call("PATCH", "/v1/users/me", { token: user.token, body: { is2faEnabled: true } });
  expect(enable.status).toBe(200);
  expect(enable.json.user.is2faEnabled).toBe(true);
  return user;
}

const twoFactor = (temporaryToken: string, code: string) =>
  call("POST", "/v1/oauth/token", {
    form: {
      grant_type: "two_factor",
      temporary_token: temporaryToken,
      code,
      client_id: CLIENT_ID,
      client_secret: CLIENT_SECRET,
    },
  });

describe("two-factor sign-in", () => {
  it("refuses to enable 2FA without a verified channel", async () => {
    const user = await signUp();
    const res = await call("PATCH", "/v1/users/me", { token: user.token, body: { is2faEnabled: true } });
    expect(res.status).toBe(400);
    expect(res.json.error).toBe("verified_channel_required");
  });

  it("completes with the code from the outbox, once", async () => {
    const user = await userWith2fa();
    const first = await passwordLogin(user.email);
    expect(first.status).toBe(200);
    expect(first.json.two_factor_required).toBe(true);
    expect(first.json.access_token).toBeUndefined();
    const code = await latestCode(user.email, "two_factor_code");

    const done = await twoFactor(first.json.temporary_token, code);
    expect(done.status).toBe(200);
    expect(done.json.token_type).toBe("Bearer");
    expect((await call("GET", "/v1/users/me", { token: done.json.access_token })).status).toBe(200);

    const again = await twoFactor(first.json.temporary_token, code);
    expect(again.status).toBe(400);
    expect(again.json.error).toBe("invalid_grant");
  });

  it("locks the challenge after five wrong codes", async () => {
    const user = await userWith2fa();
    const first = await passwordLogin(user.email);
    const code = await latestCode(user.email, "two_factor_code");
    const wrong = code === "000000" ? "111111" : "000000";
    for (let i = 0; i < 5; i++) expect((await twoFactor(first.json.temporary_token, wrong)).status).toBe(400);
    const right = await twoFactor(first.json.temporary_token, code);
    expect(right.status).toBe(400);
    expect(right.json.error_description).toMatch(/Too many wrong codes/);
  });

  it("skips the second factor on a trusted device", async () => {
    const user = await userWith2fa();
    const first = await passwordLogin(user.email);
    const done = await twoFactor(first.json.temporary_token, await latestCode(user.email, "two_factor_code"));
    const device = await call("POST", "/v1/trusted-devices", { token: done.json.access_token });
    expect(device.status).toBe(201);
    const trusted = await passwordLogin(user.email, undefined, { device_id: device.json.deviceId });
    expect(trusted.status).toBe(200);
    expect(trusted.json.access_token).toBeTypeOf("string");
    // Another user's device id does not help.
    const other = await userWith2fa();
    const foreign = await passwordLogin(other.email, undefined, { device_id: device.json.deviceId });
    expect(foreign.json.two_factor_required).toBe(true);
  });
});
