// PATCH and DELETE /v1/user-organizations/{id}: own marks, role changes by owners, the last owner rule.
import { describe, expect, it } from "vitest";
import { addMember, call, createOrg, signUp, type TestUser } from "./harness";

async function orgWith(...roles: string[]) {
  const owner = await signUp("owner");
  const org = await createOrg(owner);
  const members: TestUser[] = [];
  for (const role of roles) {
    const member = await signUp(role);
    await addMember(org.id, member.id, role);
    members.push(member);
  }
  return { owner, org, members };
}

const myMembership = async (user: TestUser, orgId: string) => {
  const res = await call("GET", "/v1/user-organizations", { token: user.token });
  return (res.json as Array<{ id: string; role: string; isRead: boolean; isFavorite: boolean }>).find(
    (m) => m.id === orgId,
  );
};

const patch = (user: TestUser, orgId: string, body: unknown, userId?: string) =>
  call("PATCH", `/v1/user-organizations/${orgId}${userId ? `?user_id=${userId}` : ""}`, {
    token: user.token,
    body,
  });
const remove = (user: TestUser, orgId: string, userId: string) =>
  call("DELETE", `/v1/user-organizations/${orgId}?user_id=${userId}`, { token: user.token });

describe("PATCH /v1/user-organizations/{id}", () => {
  it("lets any member set its own isRead and isFavorite", async () => {
    const { org, members } = await orgWith("client");
    const client = members[0]!;
    const res = await patch(client, org.id, { isRead: true, isFavorite: true });
    expect(res.status).toBe(200);
    expect(res.json).toEqual({ success: true });
    expect(await myMembership(client, org.id)).toMatchObject({
      isRead: true,
      isFavorite: true,
      role: "client",
    });
  });

  it("accepts role and isDisabled only with user_id", async () => {
    const { owner, org } = await orgWith();
    const res = await patch(owner, org.id, { role: "accountant" });
    expect(res.status).toBe(400);
    expect(res.json.error).toBe("user_id_required");
  });

  it("refuses marks on somebody else's membership, and empty or unknown fields", async () => {
    const { owner, org, members } = await orgWith("collaborator");
    const other = await patch(owner, org.id, { isFavorite: true }, members[0]!.id);
    expect(other.status).toBe(400);
    expect(other.json.error).toBe("own_membership_only");
    expect((await patch(owner, org.id, {})).json.error).toBe("validation_failed");
    const unknown = await patch(owner, org.id, { role: "superuser" }, members[0]!.id);
    expect(unknown.status).toBe(400);
    expect(unknown.json.details[0].path).toBe("role");
    expect((await patch(owner, org.id, { isRead: true }, "not-a-uuid")).status).toBe(400);
  });

  it("lets an owner change a member's role", async () => {
    const { owner, org, members } = await orgWith("collaborator");
    const member = members[0]!;
    const res = await patch(owner, org.id, { role: "accountant" }, member.id);
    expect(res.status).toBe(200);
    expect((await myMembership(member, org.id))?.role).toBe("accountant");
  });

  it("answers 403 to a member without members.manage and 404 to other organizations' users", async () => {
    const { org, members } = await orgWith("accountant", "collaborator");
    const [accountant, collaborator] = members as [TestUser, TestUser];
    const denied = await patch(accountant, org.id, { role: "readonly" }, collaborator.id);
    expect(denied.status).toBe(403);
    expect(denied.json.error).toBe("forbidden");

    const outsider = await signUp("outsider");
    await createOrg(outsider);
    expect((await patch(outsider, org.id, { isFavorite: true })).status).toBe(404);
    expect((await patch(outsider, org.id, { role: "owner" }, outsider.id)).status).toBe(404);
    expect((await myMembership(collaborator, org.id))?.role).toBe("collaborator");
  });

  it("answers 404 for a user who is not a member", async () => {
    const { owner, org } = await orgWith();
    const stranger = await signUp("stranger");
    const res = await patch(owner, org.id, { role: "client" }, stranger.id);
    expect(res.status).toBe(404);
    expect(await myMembership(stranger, org.id)).toBeUndefined();
  });

  it("never demotes or disables the last enabled owner", async () => {
    const { owner, org } = await orgWith();
    const demote = await patch(owner, org.id, { role: "accountant" }, owner.id);
    expect(demote.status).toBe(409);
    expect(demote.json.error).toBe("last_owner");
    const disable = await patch(owner, org.id, { isDisabled: true }, owner.id);
    expect(disable.status).toBe(409);
    expect((await myMembership(owner, org.id))?.role).toBe("owner");

    // With a second owner the first may step down.
    const second = await signUp("second");
    await addMember(org.id, second.id, "owner");
    expect((await patch(owner, org.id, { role: "accountant" }, owner.id)).status).toBe(200);
    expect((await myMembership(owner, org.id))?.role).toBe("accountant");
  });

  it("lets only one of two owners demoting each other at once succeed", async () => {
    const { owner, org, members } = await orgWith("owner");
    const other = members[0]!;
    const [a, b] = await Promise.all([
      patch(owner, org.id, { role: "collaborator" }, other.id),
      patch(other, org.id, { role: "collaborator" }, owner.id),
    ]);
    expect([a.status, b.status].sort()).toEqual([200, 409]);
    const roles = [(await myMembership(owner, org.id))?.role, (await myMembership(other, org.id))?.role];
    expect(roles.filter((r) => r === "owner")).toHaveLength(1);
  });

  it("takes access away from a disabled member and gives it back when re-enabled", async () => {
    const { owner, org, members } = await orgWith("collaborator");
    const member = members[0]!;
    expect((await patch(owner, org.id, { isDisabled: true }, member.id)).status).toBe(200);
    expect((await call("GET", `/v1/organizations/${org.id}`, { token: member.token })).status).toBe(404);
    expect((await patch(owner, org.id, { isDisabled: false }, member.id)).status).toBe(200);
    expect((await call("GET", `/v1/organizations/${org.id}`, { token: member.token })).status).toBe(200);
  });
});

describe("DELETE /v1/user-organizations/{id}", () => {
  it("lets an owner remove a member, who then loses access", async () => {
    const { owner, org, members } = await orgWith("collaborator");
    const member = members[0]!;
    const res = await remove(owner, org.id, member.id);
    expect(res.status).toBe(200);
    expect(await myMembership(member, org.id)).toBeUndefined();
    expect((await call("GET", `/v1/organizations/${org.id}`, { token: member.token })).status).toBe(404);
    expect((await remove(owner, org.id, member.id)).status).toBe(404);
  });

  it("lets a member leave, and clears its default organization", async () => {
    const founder = await signUp("founder");
    const org = await createOrg(founder);
    const coOwner = await signUp("coowner");
    await addMember(org.id, coOwner.id, "owner");
    expect((await call("GET", "/v1/users/me", { token: founder.token })).json.defaultOrganizationId).toBe(
      org.id,
    );

    expect((await remove(founder, org.id, founder.id)).status).toBe(200);
    expect(
      (await call("GET", "/v1/users/me", { token: founder.token })).json.defaultOrganizationId,
    ).toBeNull();
    expect((await myMembership(coOwner, org.id))?.role).toBe("owner");
  });

  it("keeps the last owner from leaving", async () => {
    const { owner, org } = await orgWith("accountant");
    const res = await remove(owner, org.id, owner.id);
    expect(res.status).toBe(409);
    expect(res.json.error).toBe("last_owner");
    expect((await myMembership(owner, org.id))?.role).toBe("owner");
    expect((await call("GET", "/v1/users/me", { token: owner.token })).json.defaultOrganizationId).toBe(
      org.id,
    );
  });

  it("answers 403 to a member removing someone without members.manage, 404 across tenants, 400 without user_id", async () => {
    const { org, members } = await orgWith("accountant", "client");
    const [accountant, client] = members as [TestUser, TestUser];
    const denied = await remove(accountant, org.id, client.id);
    expect(denied.status).toBe(403);
    expect(await myMembership(client, org.id)).toBeDefined();

    const outsider = await signUp("outsider");
    expect((await remove(outsider, org.id, client.id)).status).toBe(404);
    expect((await remove(outsider, org.id, outsider.id)).status).toBe(404);

    const missing = await call("DELETE", `/v1/user-organizations/${org.id}`, { token: accountant.token });
    expect(missing.status).toBe(400);
    expect(missing.json.error).toBe("validation_failed");
  });
});
