import { describe, expect, it } from "vitest";
import { addMember, call, createOrg, randomRfc, signUp } from "./harness";

describe("organizations", () => {
  it("creates an organization whose creator is its owner and default", async () => {
    const user = await signUp();
    const res = await call("POST", "/v1/organizations", {
      token: user.token,
      body: {
        name: "Escuela Kemper Urgate",
        taxIdentifier: "eku9003173c9",
        taxRegimes: ["601"],
        postalCode: "42501",
      },
    });
    expect(res.status).toBe(201);
    expect(res.json.organization).toMatchObject({
      taxIdentifier: "EKU9003173C9",
      isEntity: true,
      status: "pending",
      slug: "escuela-kemper-urgate",
    });
    const me = await call("GET", "/v1/users/me", { token: user.token });
    expect(me.json.defaultOrganizationId).toBe(res.json.organization.id);
    expect(me.json.organizations).toEqual([
      {
        id: res.json.organization.id,
        name: "Escuela Kemper Urgate",
        taxIdentifier: "EKU9003173C9",
        role: "owner",
      },
    ]);
    const list = await call("GET", "/v1/user-organizations", { token: user.token });
    expect(list.json[0]).toMatchObject({ role: "owner", organization: { taxIdentifier: "EKU9003173C9" } });
  });

  it("validates the RFC with SAT's pattern and refuses generic RFCs", async () => {
    const user = await signUp();
    for (const [taxIdentifier, code] of [
      ["EKU9013173C9", "invalid_tax_identifier"],
      ["XAXX010101000", "generic_tax_identifier"],
      ["XEXX010101000", "generic_tax_identifier"],
    ] as const) {
      const res = await call("POST", "/v1/organizations", {
        token: user.token,
        body: { name: "X", taxIdentifier },
      });
      expect(res.status, taxIdentifier).toBe(400);
      expect(res.json.error).toBe(code);
    }
    const fisica = await call("POST", "/v1/organizations", {
      token: user.token,
      body: { name: "Persona", taxIdentifier: "XIQB891116QE4" },
    });
    expect(fisica.json.organization.isEntity).toBe(false);
  });

  it("accepts only SAT régimenes that apply to the persona type", async () => {
    const user = await signUp();
    const moralWithFisicaRegime = await call("POST", "/v1/organizations", {
      token: user.token,
      body: { name: "X", taxIdentifier: randomRfc(), taxRegimes: ["612"] },
    });
    expect(moralWithFisicaRegime.status).toBe(400);
    expect(moralWithFisicaRegime.json).toMatchObject({
      error: "invalid_tax_regime",
      details: { taxRegimes: ["612"] },
    });
    const unknown = await call("POST", "/v1/organizations", {
      token: user.token,
      body: { name: "X", taxIdentifier: randomRfc(), taxRegimes: ["999"] },
    });
    expect(unknown.json.error).toBe("invalid_tax_regime");
    const org = await createOrg(user, { taxRegimes: ["601"] });
    const update = await call("PATCH", `/v1/organizations/${org.id}`, {
      token: user.token,
      body: { taxRegimes: ["605"] },
    });
    expect(update.status).toBe(400);
    expect((await call("GET", "/v1/user-organizations", { token: user.token })).json).toHaveLength(1);
  });

  it("refuses a second organization with the same RFC for the same user", async () => {
    const user = await signUp();
    const rfc = randomRfc();
    await createOrg(user, { taxIdentifier: rfc });
    const dup = await call("POST", "/v1/organizations", {
      token: user.token,
      body: { name: "Dup", taxIdentifier: rfc },
    });
    expect(dup.status).toBe(409);
    expect(dup.json.error).toBe("organization_already_exists");
  });

  it("updates details but never the RFC", async () => {
    const user = await signUp();
    const org = await createOrg(user);
    const res = await call("PATCH", `/v1/organizations/${org.id}`, {
      token: user.token,
      body: { commercialName: "Marca", contactEmailAddress: "c@example.com" },
    });
    expect(res.status).toBe(200);
    expect(
      (await call("GET", `/v1/organizations/${org.id}`, { token: user.token })).json.commercialName,
    ).toBe("Marca");
    const rfc = await call("PATCH", `/v1/organizations/${org.id}`, {
      token: user.token,
      body: { taxIdentifier: randomRfc() },
    });
    expect(rfc.status).toBe(400);
    const empty = await call("PATCH", `/v1/organizations/${org.id}`, { token: user.token, body: {} });
    expect(empty.status).toBe(400);
  });

  it("answers 404 for another organization and for a malformed id", async () => {
    const a = await signUp();
    const b = await signUp();
    const orgA = await createOrg(a);
    expect((await call("GET", `/v1/organizations/${orgA.id}`, { token: b.token })).status).toBe(404);
    expect((await call("GET", "/v1/organizations/not-a-uuid", { token: a.token })).status).toBe(404);
  });

  it("schedules and cancels deletion; only the owner may", async () => {
    const owner = await signUp();
    const org = await createOrg(owner);
    const accountant = await signUp();
    await addMember(org.id, accountant.id, "accountant");
    expect(
      (await call("POST", `/v1/organizations/${org.id}/deletion-request`, { token: accountant.token }))
        .status,
    ).toBe(403);
    expect(
      (await call("POST", `/v1/organizations/${org.id}/deletion-request`, { token: owner.token })).status,
    ).toBe(200);
    const again = await call("POST", `/v1/organizations/${org.id}/deletion-request`, { token: owner.token });
    expect(again.json.error).toBe("deletion_already_requested");
    const shown = await call("GET", `/v1/organizations/${org.id}`, { token: owner.token });
    expect(shown.json.deletionRequestedAt).not.toBeNull();
    expect(
      (await call("DELETE", `/v1/organizations/${org.id}/deletion-request`, { token: owner.token })).status,
    ).toBe(200);
    expect(
      (await call("GET", `/v1/organizations/${org.id}`, { token: owner.token })).json.deletionRequestedAt,
    ).toBeNull();
  });

  it("filters, sorts and pages the caller's organizations", async () => {
    const user = await signUp();
    for (const name of ["Beta SA", "alfa SA", "Gamma SA"]) await createOrg(user, { name });
    const asc = await call("GET", "/v1/user-organizations?sort=name&order=asc", { token: user.token });
    expect(asc.json.map((r: { organization: { name: string } }) => r.organization.name)).toEqual([
      "alfa SA",
      "Beta SA",
      "Gamma SA",
    ]);
    const filtered = await call("GET", "/v1/user-organizations?name=ALF", { token: user.token });
    expect(filtered.json).toHaveLength(1);
    const paged = await call("GET", "/v1/user-organizations?limit=10&page=2", { token: user.token });
    expect(paged.json).toHaveLength(0);
    const badLimit = await call("GET", "/v1/user-organizations?limit=7", { token: user.token });
    expect(badLimit.status).toBe(400);
  });
});
