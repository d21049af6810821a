// Invitations to users (join by code) and the link invitations in both directions.
import { eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { linkInvitations, userInvitations } from "../../db/schema";
import { addMember, call, createOrg, db, signUp, type TestUser, uniqueEmail } from "./harness";

interface OutboxMessage {
  recipient: string;
  template: string;
  subject: string | null;
  body: string;
  channel: string;
}
const outbox = async (recipient: string): Promise<OutboxMessage[]> =>
  (await call("GET", `/v1/dev/outbox?recipient=${encodeURIComponent(recipient)}`)).json.data;

/** The code in the newest message to `recipient` whose link follows `prefix`. */
async function codeSentTo(recipient: string, prefix: string): Promise<string> {
  const [message] = await outbox(recipient);
  const match = message?.body.match(new RegExp(`${prefix}([A-Za-z0-9_-]+)`));
  if (!match?.[1]) throw new Error(`no code for ${recipient} in ${message?.body}`);
  return match[1];
}

const randomWhatsapp = () => `52${String(Math.floor(Math.random() * 1e10)).padStart(10, "0")}`;
const USER_PATH = "/join/[userInvitationCode]";
const LINK_PATH = "/connect/[invitationCode]";

const inviteUsers = (user: TestUser, body: Record<string, unknown>) =>
  call("POST", "/v1/invitations/users", { token: user.token, body: { invitePath: USER_PATH, ...body } });
const lookupUserInvitation = (code: string) =>
  call("GET", `/v1/invitations/users?user_invitation_code=${encodeURIComponent(code)}`);
const join = (user: TestUser, code: string) =>
  call("POST", `/v1/invitations/users/join?user_invitation_code=${encodeURIComponent(code)}`, {
    token: user.token,
  });
const rolesOf = async (user: TestUser) =>
  Object.fromEntries(
    (
      (await call("GET", "/v1/user-organizations", { token: user.token })).json as Array<{
        id: string;
        role: string;
      }>
    ).map((m) => [m.id, m.role]),
  );

describe("invitations to users", () => {
  it("lets a new user join at sign-up with the code, and refuses a bad code before creating the account", async () => {
    const owner = await signUp("owner");
    const org = await createOrg(owner, { name: "Gamma SA" });
    const email = uniqueEmail("newcomer");
    await inviteUsers(owner, { organizationIds: [org.id], role: "client", emailAddresses: [email] });
    const code = await codeSentTo(email, "/join/");
    const body = { firstName: "Nueva", lastName: "Persona", emailAddress: email, password: "Sup3r-Secret!" };

    const bad = await call("POST", "/v1/users", { body: { ...body, userInvitationCode: "nope" } });
    expect(bad.status).toBe(404);
    const created = await call("POST", "/v1/users", { body: { ...body, userInvitationCode: code } });
    expect(created.status).toBe(201);
    expect(created.json.user.organizations).toEqual([
      { id: org.id, name: "Gamma SA", taxIdentifier: org.taxIdentifier, role: "client" },
    ]);
  });

  it("invites by email and WhatsApp, shows the invitation and lets the invitee join every organization once", async () => {
    const owner = await signUp("owner");
    const [a, b] = [await createOrg(owner, { name: "Alfa SA" }), await createOrg(owner, { name: "Beta SA" })];
    const email = uniqueEmail("invitee");
    const whatsapp = randomWhatsapp();
    const res = await inviteUsers(owner, {
      organizationIds: [a.id, b.id],
      role: "collaborator",
      emailAddresses: [email.toUpperCase()],
      whatsappNumbers: [whatsapp],
    });
    expect(res.status).toBe(200);
    expect(res.json).toEqual({ success: true, invitesSent: 2, failedInvites: [] });

    const [mail] = await outbox(email);
    expect(mail).toMatchObject({ channel: "email", template: "user_invitation" });
    expect(mail!.body).toContain("Alfa SA");
    expect(mail!.body).toContain("/join/");
    expect((await outbox(whatsapp))[0]?.channel).toBe("whatsapp");

    const code = await codeSentTo(email, "/join/");
    const shown = await lookupUserInvitation(code);
    expect(shown.status).toBe(200);
    expect(shown.json).toHaveLength(2);
    expect(shown.json[0]).toEqual({
      organization: { id: a.id, name: "Alfa SA" },
      role: "collaborator",
      expiresAt: expect.any(String),
    });
    expect(Object.keys(shown.json[0].organization)).toEqual(["id", "name"]);
    const days = (Date.parse(shown.json[0].expiresAt) - Date.now()) / 86_400_000;
    expect(days).toBeGreaterThan(6.9);
    expect(days).toBeLessThanOrEqual(7);

    const invitee = await signUp("invitee");
    expect(
      (await call("GET", "/v1/users/me", { token: invitee.token })).json.defaultOrganizationId,
    ).toBeNull();
    const joined = await join(invitee, code);
    expect(joined.status).toBe(200);
    expect(await rolesOf(invitee)).toEqual({ [a.id]: "collaborator", [b.id]: "collaborator" });
    expect((await call("GET", "/v1/users/me", { token: invitee.token })).json.defaultOrganizationId).toBe(
      a.id,
    );

    // Single use: the code neither shows nor works again, for anyone.
    expect((await lookupUserInvitation(code)).status).toBe(404);
    const again = await join(await signUp("late"), code);
    expect(again.status).toBe(404);
    expect(again.json.error).toBe("invitation_not_found");
  });

  it("reports invalid, duplicate and already-member recipients in failedInvites", async () => {
    const owner = await signUp("owner");
    const org = await createOrg(owner);
    const fresh = uniqueEmail("fresh");
    const res = await inviteUsers(owner, {
      organizationIds: [org.id],
      role: "client",
      emailAddresses: [fresh, "not-an-email", fresh, owner.email],
      whatsappNumbers: ["12345"],
    });
    expect(res.status).toBe(200);
    expect(res.json.invitesSent).toBe(1);
    expect(res.json.failedInvites).toEqual(
      expect.arrayContaining([
        { recipient: "not-an-email", channel: "email", reason: "invalid_email_address" },
        { recipient: fresh, channel: "email", reason: "duplicate" },
        { recipient: owner.email, channel: "email", reason: "already_member" },
        { recipient: "12345", channel: "whatsapp", reason: "invalid_whatsapp_number" },
      ]),
    );
    expect(res.json.failedInvites).toHaveLength(4);
    expect(await outbox(fresh)).toHaveLength(1);
    expect(await outbox(owner.email).then((m) => m.filter((x) => x.template === "user_invitation"))).toEqual(
      [],
    );
  });

  it("needs invitations.manage in every listed organization and writes nothing otherwise", async () => {
    const owner = await signUp("owner");
    const mine = await createOrg(owner);
    const otherOwner = await signUp("other");
    const theirs = await createOrg(otherOwner);
    const email = uniqueEmail("nobody");

    const crossTenant = await inviteUsers(owner, {
      organizationIds: [mine.id, theirs.id],
      role: "client",
      emailAddresses: [email],
    });
    expect(crossTenant.status).toBe(404);

    await addMember(theirs.id, owner.id, "collaborator");
    const denied = await inviteUsers(owner, {
      organizationIds: [mine.id, theirs.id],
      role: "client",
      emailAddresses: [email],
    });
    expect(denied.status).toBe(403);
    expect(denied.json.error).toBe("forbidden");
    expect(await outbox(email)).toEqual([]);
    const rows = await db().select().from(userInvitations).where(eq(userInvitations.emailAddress, email));
    expect(rows).toEqual([]);
  });

  it("rejects bad input with stable codes", async () => {
    const owner = await signUp("owner");
    const org = await createOrg(owner);
    const base = { organizationIds: [org.id], role: "client", emailAddresses: [uniqueEmail()] };
    const cases: Array<[Record<string, unknown>, string, string?]> = [
      [{ ...base, invitePath: "/join" }, "validation_failed", "invitePath"],
      [
        { ...base, invitePath: "https://evil.example/[userInvitationCode]" },
        "validation_failed",
        "invitePath",
      ],
      [{ ...base, invitePath: "//evil.example/[userInvitationCode]" }, "validation_failed", "invitePath"],
      [{ ...base, role: "owner" }, "validation_failed", "role"],
      [{ ...base, organizationIds: [] }, "validation_failed", "organizationIds"],
      [{ ...base, organizationIds: ["nope"] }, "validation_failed", "organizationIds.0"],
      [{ organizationIds: [org.id], role: "client" }, "no_recipients"],
    ];
    for (const [body, code, path] of cases) {
      const res = await inviteUsers(owner, body);
      expect(res.status, JSON.stringify(body)).toBe(400);
      expect(res.json.error).toBe(code);
      if (path) expect(res.json.details.map((d: { path: string }) => d.path)).toContain(path);
    }
    const tooMany = await inviteUsers(owner, {
      organizationIds: [org.id],
      role: "client",
      emailAddresses: Array.from({ length: 60 }, (_, i) => `p${i}@example.com`),
      whatsappNumbers: Array.from({ length: 41 }, (_, i) => `5255${String(i).padStart(8, "0")}`),
    });
    expect(tooMany.status).toBe(400);
    expect(tooMany.json.error).toBe("too_many_recipients");
    expect((await call("POST", "/v1/invitations/users", { body: base })).status).toBe(401);
  });

  it("refuses an expired code", async () => {
    const owner = await signUp("owner");
    const org = await createOrg(owner);
    const email = uniqueEmail("late");
    await inviteUsers(owner, { organizationIds: [org.id], role: "client", emailAddresses: [email] });
    const code = await codeSentTo(email, "/join/");
    await db()
      .update(userInvitations)
      .set({ expiresAt: new Date(Date.now() - 1000).toISOString() })
      .where(eq(userInvitations.emailAddress, email));
    expect((await lookupUserInvitation(code)).status).toBe(404);
    const invitee = await signUp("late");
    expect((await join(invitee, code)).status).toBe(404);
    expect(await rolesOf(invitee)).toEqual({});
    expect((await lookupUserInvitation("made-up-code")).json.error).toBe("invitation_not_found");
  });

  it("keeps the higher role of a member who joins again", async () => {
    const owner = await signUp("owner");
    const [a, b] = [await createOrg(owner), await createOrg(owner)];
    const member = await signUp("member");
    await addMember(a.id, member.id, "accountant");
    await inviteUsers(owner, {
      organizationIds: [a.id, b.id],
      role: "client",
      emailAddresses: [member.email],
    });
    const code = await codeSentTo(member.email, "/join/");
    expect((await join(member, code)).status).toBe(200);
    expect(await rolesOf(member)).toEqual({ [a.id]: "accountant", [b.id]: "client" });

    const readonly = await signUp("readonly");
    await addMember(a.id, readonly.id, "readonly");
    await inviteUsers(owner, {
      organizationIds: [a.id],
      role: "collaborator",
      emailAddresses: [readonly.email],
    });
    expect((await join(readonly, await codeSentTo(readonly.email, "/join/"))).status).toBe(200);
    expect(await rolesOf(readonly)).toEqual({ [a.id]: "collaborator" });
  });

  it("grants access once when two users race with the same code", async () => {
    const owner = await signUp("owner");
    const org = await createOrg(owner);
    const email = uniqueEmail("race");
    await inviteUsers(owner, { organizationIds: [org.id], role: "client", emailAddresses: [email] });
    const code = await codeSentTo(email, "/join/");
    const [x, y] = [await signUp("x"), await signUp("y")];
    const results = await Promise.all([join(x, code), join(y, code)]);
    expect(results.map((r) => r.status).sort()).toEqual([200, 404]);
    const members = [await rolesOf(x), await rolesOf(y)].filter((r) => r[org.id] === "client");
    expect(members).toHaveLength(1);
  });
});

// ---------------------------------------------------------------------------------------------------

const inviteProviders = (user: TestUser, orgId: string, body: unknown) =>
  call("POST", `/v1/invitations/providers?organization_id=${orgId}`, { token: user.token, body });
const linkProvider = (user: TestUser, code: string, providerId: string) =>
  call("POST", `/v1/invitations/providers/${code}/link?provider_id=${providerId}`, { token: user.token });
const providerLink = (user: TestUser, organizationId: string, providerId: string) =>
  call("GET", `/v1/provider-organizations?organization_id=${organizationId}&provider_id=${providerId}`, {
    token: user.token,
  });

async function sentProviderInvitation(owner: TestUser, orgId: string) {
  const email = uniqueEmail("provider");
  const res = await inviteProviders(owner, orgId, [{ emailAddress: email, invitePath: LINK_PATH }]);
  expect(res.status).toBe(200);
  return { email, code: await codeSentTo(email, "/connect/") };
}

describe("invitations to providers", () => {
  it("invites providers, lists the invitations and links a provider with a single-use code", async () => {
    const owner = await signUp("client");
    const client = await createOrg(owner, { name: "Cliente SA" });
    const email = uniqueEmail("provider");
    const whatsapp = randomWhatsapp();
    const sent = await inviteProviders(owner, client.id, [
      { emailAddress: email, invitePath: LINK_PATH },
      { whatsappNumber: whatsapp, emailAddress: uniqueEmail("both"), invitePath: LINK_PATH },
    ]);
    expect(sent.status).toBe(200);
    expect(sent.json).toEqual({ success: true, invitesSent: 2 });
    const [mail] = await outbox(email);
    expect(mail).toMatchObject({ template: "provider_invitation", channel: "email" });
    expect(mail!.body).toContain("Cliente SA");
    expect((await outbox(whatsapp))[0]?.template).toBe("provider_invitation");
    const code = await codeSentTo(email, "/connect/");

    const listed = await call("GET", `/v1/invitations/providers?organization_id=${client.id}`, {
      token: owner.token,
    });
    expect(listed.status).toBe(200);
    expect(listed.json).toHaveLength(2);

    const providerOwner = await signUp("provider");
    const provider = await createOrg(providerOwner);
    const byCode = await call("GET", `/v1/invitations/providers?invitation_code=${code}`, {
      token: providerOwner.token,
    });
    expect(byCode.status).toBe(200);
    expect(byCode.json[0]).toMatchObject({
      invitationCode: code,
      inviter: { id: client.id, name: "Cliente SA" },
      emailAddress: email,
    });

    const linked = await linkProvider(providerOwner, code, provider.id);
    expect(linked.status).toBe(200);
    const link = await providerLink(owner, client.id, provider.id);
    expect(link.status).toBe(200);
    expect(link.json).toMatchObject({
      organizationId: client.id,
      providerId: provider.id,
      creditDays: 30,
      creditPeriod: "d",
    });

    // Consumed: another provider cannot use it, and it no longer shows by code.
    const otherOwner = await signUp("other");
    const other = await createOrg(otherOwner);
    const reuse = await linkProvider(otherOwner, code, other.id);
    expect(reuse.status).toBe(409);
    expect(reuse.json.error).toBe("invitation_already_used");
    expect(
      (await call("GET", `/v1/invitations/providers?invitation_code=${code}`, { token: otherOwner.token }))
        .status,
    ).toBe(404);
    expect((await providerLink(owner, client.id, other.id)).status).toBe(404);
  });

  it("refuses self links and duplicate links without consuming the invitation", async () => {
    const owner = await signUp("owner");
    const org = await createOrg(owner);
    const { code } = await sentProviderInvitation(owner, org.id);
    const self = await linkProvider(owner, code, org.id);
    expect(self.status).toBe(400);
    expect(self.json.error).toBe("cannot_link_to_itself");

    const providerOwner = await signUp("provider");
    const provider = await createOrg(providerOwner);
    expect((await linkProvider(providerOwner, code, provider.id)).status).toBe(200);
    const second = await sentProviderInvitation(owner, org.id);
    const duplicate = await linkProvider(providerOwner, second.code, provider.id);
    expect(duplicate.status).toBe(409);
    expect(duplicate.json.error).toBe("already_linked");
    const still = await call("GET", `/v1/invitations/providers?invitation_code=${second.code}`, {
      token: providerOwner.token,
    });
    expect(still.status).toBe(200);
    expect(still.json[0].linkedAt).toBeNull();
  });

  it("creates one link when two providers race with the same code", async () => {
    const owner = await signUp("owner");
    const org = await createOrg(owner);
    const { code } = await sentProviderInvitation(owner, org.id);
    const [p1, p2] = [await signUp("p1"), await signUp("p2")];
    const [o1, o2] = [await createOrg(p1), await createOrg(p2)];
    const results = await Promise.all([linkProvider(p1, code, o1.id), linkProvider(p2, code, o2.id)]);
    expect(results.map((r) => r.status).sort()).toEqual([200, 409]);
    const links = await Promise.all([providerLink(owner, org.id, o1.id), providerLink(owner, org.id, o2.id)]);
    expect(links.filter((l) => l.status === 200)).toHaveLength(1);
  });

  it("updates, resends and deletes an invitation", async () => {
    const owner = await signUp("owner");
    const org = await createOrg(owner);
    const { code } = await sentProviderInvitation(owner, org.id);
    const newEmail = uniqueEmail("moved");
    const updated = await call("PATCH", `/v1/invitations/providers/${code}`, {
      token: owner.token,
      body: { emailAddress: newEmail },
    });
    expect(updated.status).toBe(200);
    const resent = await call("POST", `/v1/invitations/providers/${code}/resend`, {
      token: owner.token,
      body: { invitePath: "/again/[invitationCode]" },
    });
    expect(resent.status).toBe(200);
    const [again] = await outbox(newEmail);
    expect(again?.body).toContain(`/again/${code}`);

    expect((await call("DELETE", `/v1/invitations/providers/${code}`, { token: owner.token })).status).toBe(
      200,
    );
    expect(
      (await call("GET", `/v1/invitations/providers?invitation_code=${code}`, { token: owner.token })).status,
    ).toBe(404);
    expect((await call("DELETE", `/v1/invitations/providers/${code}`, { token: owner.token })).status).toBe(
      404,
    );
  });

  it("refuses to change or resend a used invitation", async () => {
    const owner = await signUp("owner");
    const org = await createOrg(owner);
    const { code } = await sentProviderInvitation(owner, org.id);
    const providerOwner = await signUp("provider");
    await linkProvider(providerOwner, code, (await createOrg(providerOwner)).id);
    const resend = await call("POST", `/v1/invitations/providers/${code}/resend`, {
      token: owner.token,
      body: { invitePath: LINK_PATH },
    });
    expect(resend.status).toBe(409);
    expect(resend.json.error).toBe("invitation_already_used");
    const patch = await call("PATCH", `/v1/invitations/providers/${code}`, {
      token: owner.token,
      body: { invitePath: LINK_PATH },
    });
    expect(patch.status).toBe(409);
  });

  it("answers 404 across tenants and 403 to roles without providers.manage", async () => {
    const owner = await signUp("owner");
    const org = await createOrg(owner);
    const { code } = await sentProviderInvitation(owner, org.id);
    const outsider = await signUp("outsider");
    const outsiderOrg = await createOrg(outsider);
    const item = [{ emailAddress: uniqueEmail(), invitePath: LINK_PATH }];

    expect((await inviteProviders(outsider, org.id, item)).status).toBe(404);
    expect(
      (await call("GET", `/v1/invitations/providers?organization_id=${org.id}`, { token: outsider.token }))
        .status,
    ).toBe(404);
    expect(
      (
        await call("PATCH", `/v1/invitations/providers/${code}`, {
          token: outsider.token,
          body: { invitePath: LINK_PATH },
        })
      ).status,
    ).toBe(404);
    expect(
      (await call("DELETE", `/v1/invitations/providers/${code}`, { token: outsider.token })).status,
    ).toBe(404);
    expect(
      (
        await call("POST", `/v1/invitations/providers/${code}/resend`, {
          token: outsider.token,
          body: { invitePath: LINK_PATH },
        })
      ).status,
    ).toBe(404);
    // Linking on behalf of an organization the caller does not belong to.
    expect((await linkProvider(outsider, code, org.id)).status).toBe(404);

    const client = await signUp("client");
    await addMember(org.id, client.id, "client");
    const denied = await inviteProviders(client, org.id, item);
    expect(denied.status).toBe(403);
    expect(denied.json.error).toBe("forbidden");
    expect((await call("DELETE", `/v1/invitations/providers/${code}`, { token: client.token })).status).toBe(
      403,
    );
    await addMember(outsiderOrg.id, client.id, "client");
    expect((await linkProvider(client, code, outsiderOrg.id)).status).toBe(403);
    expect(
      (await call("GET", `/v1/invitations/providers?invitation_code=${code}`, { token: owner.token })).status,
    ).toBe(200);
  });

  it("rejects bad input with stable codes and writes nothing", async () => {
    const owner = await signUp("owner");
    const org = await createOrg(owner);
    const email = uniqueEmail("bad");
    const cases: unknown[] = [
      [],
      [{ invitePath: LINK_PATH }],
      [{ emailAddress: email, invitePath: "/connect" }],
      [{ emailAddress: email, whatsappNumber: "+5215512345678", invitePath: LINK_PATH }],
      [{ emailAddress: "nope", invitePath: LINK_PATH }],
      Array.from({ length: 101 }, () => ({ emailAddress: email, invitePath: LINK_PATH })),
      [{ emailAddress: email, invitePath: LINK_PATH }, { invitePath: LINK_PATH }],
    ];
    for (const body of cases) {
      const res = await inviteProviders(owner, org.id, body);
      expect(res.status).toBe(400);
      expect(res.json.error).toBe("validation_failed");
    }
    expect(await outbox(email)).toEqual([]);
    expect(
      await db().select().from(linkInvitations).where(eq(linkInvitations.inviterOrganizationId, org.id)),
    ).toEqual([]);

    const both = await call("GET", `/v1/invitations/providers?organization_id=${org.id}&invitation_code=x`, {
      token: owner.token,
    });
    expect(both.status).toBe(400);
    expect(both.json.error).toBe("invalid_request");
    expect((await call("GET", "/v1/invitations/providers", { token: owner.token })).json.error).toBe(
      "invalid_request",
    );
    expect(
      (await call("GET", "/v1/invitations/providers?invitation_code=not-a-code", { token: owner.token }))
        .status,
    ).toBe(404);
    expect(
      (await call("POST", `/v1/invitations/providers?organization_id=nope`, { token: owner.token, body: [] }))
        .status,
    ).toBe(400);
    const noProvider = await call("POST", `/v1/invitations/providers/${crypto.randomUUID()}/link`, {
      token: owner.token,
    });
    expect(noProvider.status).toBe(400);
  });

  it("gives an organization one reusable code by slug that several providers can use", async () => {
    const owner = await signUp("owner");
    const org = await createOrg(owner);
    const first = await call("POST", `/v1/invitations/providers/codes?slug=${org.slug}`, {
      token: owner.token,
    });
    expect(first.status).toBe(200);
    expect(first.json.invitationCode).toMatch(/^[0-9a-f-]{36}$/);
    const [a, b] = await Promise.all([
      call("POST", `/v1/invitations/providers/codes?slug=${org.slug}`, { token: owner.token }),
      call("POST", `/v1/invitations/providers/codes?slug=${org.slug}`, { token: owner.token }),
    ]);
    expect([a.json.invitationCode, b.json.invitationCode]).toEqual([
      first.json.invitationCode,
      first.json.invitationCode,
    ]);

    const code = first.json.invitationCode;
    for (const name of ["p1", "p2"]) {
      const user = await signUp(name);
      const provider = await createOrg(user);
      expect((await linkProvider(user, code, provider.id)).status).toBe(200);
      expect((await providerLink(owner, org.id, provider.id)).status).toBe(200);
    }

    const outsider = await signUp("outsider");
    expect(
      (await call("POST", `/v1/invitations/providers/codes?slug=${org.slug}`, { token: outsider.token }))
        .status,
    ).toBe(404);
    expect(
      (await call("POST", "/v1/invitations/providers/codes?slug=no-such-org", { token: owner.token })).status,
    ).toBe(404);
    expect((await call("POST", "/v1/invitations/providers/codes", { token: owner.token })).status).toBe(400);
    const reader = await signUp("reader");
    await addMember(org.id, reader.id, "readonly");
    expect(
      (await call("POST", `/v1/invitations/providers/codes?slug=${org.slug}`, { token: reader.token }))
        .status,
    ).toBe(403);
  });
});

describe("invitations to organizations (a provider invites its clients)", () => {
  it("invites a client organization, which links itself to the provider", async () => {
    const providerOwner = await signUp("provider");
    const provider = await createOrg(providerOwner, { name: "Proveedor SA" });
    const email = uniqueEmail("client");
    const sent = await call("POST", `/v1/invitations/organizations?provider_id=${provider.id}`, {
      token: providerOwner.token,
      body: [{ emailAddress: email, invitePath: LINK_PATH }],
    });
    expect(sent.status).toBe(200);
    expect(sent.json.invitesSent).toBe(1);
    const [mail] = await outbox(email);
    expect(mail).toMatchObject({ template: "organization_invitation" });
    expect(mail!.body).toContain("Proveedor SA");
    const code = await codeSentTo(email, "/connect/");

    // The code belongs to the organizations direction only.
    expect(
      (await call("GET", `/v1/invitations/providers?invitation_code=${code}`, { token: providerOwner.token }))
        .status,
    ).toBe(404);
    const listed = await call("GET", `/v1/invitations/organizations?provider_id=${provider.id}`, {
      token: providerOwner.token,
    });
    expect(listed.json.map((i: { invitationCode: string }) => i.invitationCode)).toEqual([code]);

    const clientOwner = await signUp("client");
    const client = await createOrg(clientOwner);
    const linked = await call(
      "POST",
      `/v1/invitations/organizations/${code}/link?organization_id=${client.id}`,
      {
        token: clientOwner.token,
      },
    );
    expect(linked.status).toBe(200);
    const link = await providerLink(clientOwner, client.id, provider.id);
    expect(link.json).toMatchObject({ organizationId: client.id, providerId: provider.id, creditDays: 30 });
    const again = await call(
      "POST",
      `/v1/invitations/organizations/${code}/link?organization_id=${client.id}`,
      {
        token: clientOwner.token,
      },
    );
    expect(again.status).toBe(409);
  });
});
