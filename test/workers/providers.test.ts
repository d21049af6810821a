// Provider ↔ client links: GET/PATCH /v1/provider-organizations (side rules) and GET /v1/organizations?provider_id=.
import { eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { files, memberships } from "../../db/schema";
import { addMember, call, createOrg, db, signUp, type TestUser } from "./harness";

interface Org {
  id: string;
  slug: string;
}

/** Links `provider` to `client` the way users do: the client's reusable code, used by the provider. */
async function link(clientOwner: TestUser, client: Org, providerOwner: TestUser, provider: Org) {
  const code = await call("POST", `/v1/invitations/providers/codes?slug=${client.slug}`, {
    token: clientOwner.token,
  });
  const res = await call(
    "POST",
    `/v1/invitations/providers/${code.json.invitationCode}/link?provider_id=${provider.id}`,
    {
      token: providerOwner.token,
    },
  );
  if (res.status !== 200) throw new Error(`link failed: ${res.status} ${res.text}`);
}

async function linkedPair() {
  const clientOwner = await signUp("client");
  const client = await createOrg(clientOwner, { name: "Cliente SA" });
  const providerOwner = await signUp("provider");
  const provider = await createOrg(providerOwner, { name: "Proveedor SA" });
  await link(clientOwner, client, providerOwner, provider);
  return { clientOwner, client, providerOwner, provider };
}

const getLink = (user: TestUser, organizationId: string, providerId: string) =>
  call("GET", `/v1/provider-organizations?organization_id=${organizationId}&provider_id=${providerId}`, {
    token: user.token,
  });
const patchLink = (user: TestUser, body: Record<string, unknown>, query = "") =>
  call("PATCH", `/v1/provider-organizations${query}`, { token: user.token, body });

async function storedFile(organizationId: string) {
  const id = crypto.randomUUID();
  const now = new Date().toISOString();
  await db()
    .insert(files)
    .values({
      id,
      organizationId,
      type: "bank_account_instructions_pdf",
      filename: "instrucciones.pdf",
      contentType: "application/pdf",
      size: 10,
      sha256: "0".repeat(64),
      storageKey: `org/${organizationId}/${id}`,
      createdAt: now,
      updatedAt: now,
    });
  return id;
}

describe("GET /v1/provider-organizations", () => {
  it("shows the link's terms to both sides", async () => {
    const { clientOwner, client, providerOwner, provider } = await linkedPair();
    for (const user of [clientOwner, providerOwner]) {
      const res = await getLink(user, client.id, provider.id);
      expect(res.status).toBe(200);
      expect(res.json).toMatchObject({
        organizationId: client.id,
        providerId: provider.id,
        creditDays: 30,
        creditPeriod: "d",
        bankAccount: null,
        referenceNumber: null,
        bankAccountInstructionsFile: null,
      });
    }
  });

  it("answers 404 to outsiders and for missing links, 403 to roles without providers.read, 400 to bad ids", async () => {
    const { clientOwner, client, provider } = await linkedPair();
    const outsider = await signUp("outsider");
    await createOrg(outsider);
    expect((await getLink(outsider, client.id, provider.id)).status).toBe(404);
    const unrelated = await createOrg(clientOwner);
    expect((await getLink(clientOwner, client.id, unrelated.id)).status).toBe(404);

    const clientRole = await signUp("clientrole");
    await addMember(client.id, clientRole.id, "client");
    const denied = await getLink(clientRole, client.id, provider.id);
    expect(denied.status).toBe(403);
    expect(denied.json.error).toBe("forbidden");

    const bad = await call("GET", `/v1/provider-organizations?organization_id=${client.id}`, {
      token: clientOwner.token,
    });
    expect(bad.status).toBe(400);
    expect(bad.json.details[0].path).toBe("provider_id");
  });
});

describe("PATCH /v1/provider-organizations", () => {
  it("lets only the organization side set credit days and period", async () => {
    const { clientOwner, client, providerOwner, provider } = await linkedPair();
    const ok = await patchLink(clientOwner, {
      organizationId: client.id,
      providerId: provider.id,
      creditDays: 45,
      creditPeriod: "m",
    });
    expect(ok.status).toBe(200);
    expect(ok.json).toEqual({ success: true });
    expect((await getLink(providerOwner, client.id, provider.id)).json).toMatchObject({
      creditDays: 45,
      creditPeriod: "m",
    });

    const denied = await patchLink(providerOwner, {
      organizationId: client.id,
      providerId: provider.id,
      creditDays: 90,
    });
    expect(denied.status).toBe(403);
    expect(denied.json.error).toBe("organization_side_only");
    expect((await getLink(clientOwner, client.id, provider.id)).json.creditDays).toBe(45);
  });

  it("lets only the provider side set the bank account details", async () => {
    const { clientOwner, client, providerOwner, provider } = await linkedPair();
    const bankAccountId = crypto.randomUUID();
    const fileId = await storedFile(provider.id);
    const ok = await patchLink(providerOwner, {
      organizationId: client.id,
      providerId: provider.id,
      bankAccountId,
      referenceNumber: "REF-001",
      bankAccountInstructionsFileId: fileId,
    });
    expect(ok.status).toBe(200);
    expect((await getLink(clientOwner, client.id, provider.id)).json).toMatchObject({
      bankAccount: { id: bankAccountId },
      referenceNumber: "REF-001",
      bankAccountInstructionsFile: { id: fileId },
    });

    const denied = await patchLink(clientOwner, {
      organizationId: client.id,
      providerId: provider.id,
      referenceNumber: "X",
    });
    expect(denied.status).toBe(403);
    expect(denied.json.error).toBe("provider_side_only");

    // Clearing is allowed; a file of another organization is not.
    expect(
      (
        await patchLink(providerOwner, {
          organizationId: client.id,
          providerId: provider.id,
          bankAccountId: null,
        })
      ).status,
    ).toBe(200);
    const foreignFile = await storedFile(client.id);
    const wrongFile = await patchLink(providerOwner, {
      organizationId: client.id,
      providerId: provider.id,
      bankAccountInstructionsFileId: foreignFile,
    });
    expect(wrongFile.status).toBe(400);
    expect(wrongFile.json.error).toBe("file_not_found");
    expect((await getLink(clientOwner, client.id, provider.id)).json).toMatchObject({
      bankAccount: null,
      referenceNumber: "REF-001",
      bankAccountInstructionsFile: { id: fileId },
    });
  });

  it("lets the organization keep the bank details of a provider that has no members of its own", async () => {
    const { clientOwner, client, providerOwner, provider } = await linkedPair();
    const leaveBlocked = await call(
      "DELETE",
      `/v1/user-organizations/${provider.id}?user_id=${providerOwner.id}`,
      {
        token: providerOwner.token,
      },
    );
    expect(leaveBlocked.status).toBe(409);
    // Disable the provider's only owner (as a support action would) so nobody manages that side.
    await db()
      .update(memberships)
      .set({ isDisabled: true })
      .where(eq(memberships.organizationId, provider.id));
    const res = await patchLink(clientOwner, {
      organizationId: client.id,
      providerId: provider.id,
      referenceNumber: "CLIENTE-7",
    });
    expect(res.status).toBe(200);
    expect((await getLink(clientOwner, client.id, provider.id)).json.referenceNumber).toBe("CLIENTE-7");
  });

  it("changes every listed relationship or none", async () => {
    const clientOwner = await signUp("client");
    const client = await createOrg(clientOwner);
    const p1Owner = await signUp("p1");
    const p1 = await createOrg(p1Owner);
    const p2Owner = await signUp("p2");
    const p2 = await createOrg(p2Owner);
    await link(clientOwner, client, p1Owner, p1);
    await link(clientOwner, client, p2Owner, p2);

    const both = await patchLink(clientOwner, {
      providerOrganizations: [
        { organizationId: client.id, providerId: p1.id },
        { organizationId: client.id, providerId: p2.id },
      ],
      creditDays: 60,
    });
    expect(both.status).toBe(200);
    expect((await getLink(clientOwner, client.id, p2.id)).json.creditDays).toBe(60);

    const otherOwner = await signUp("other");
    const other = await createOrg(otherOwner);
    const partial = await patchLink(clientOwner, {
      providerOrganizations: [
        { organizationId: client.id, providerId: p1.id },
        { organizationId: other.id, providerId: p2.id },
      ],
      creditDays: 15,
    });
    expect(partial.status).toBe(404);
    expect((await getLink(clientOwner, client.id, p1.id)).json.creditDays).toBe(60);
  });

  it("answers 404 to outsiders and 403 to roles without providers.manage", async () => {
    const { client, provider } = await linkedPair();
    const outsider = await signUp("outsider");
    await createOrg(outsider);
    expect(
      (await patchLink(outsider, { organizationId: client.id, providerId: provider.id, creditDays: 10 }))
        .status,
    ).toBe(404);
    const reader = await signUp("reader");
    await addMember(client.id, reader.id, "readonly");
    const denied = await patchLink(reader, {
      organizationId: client.id,
      providerId: provider.id,
      creditDays: 10,
    });
    expect(denied.status).toBe(403);
    expect(denied.json.error).toBe("forbidden");
  });

  it("rejects bad input with stable codes", async () => {
    const { clientOwner, client, provider } = await linkedPair();
    const pair = { organizationId: client.id, providerId: provider.id };
    const cases: Array<[Record<string, unknown>, string]> = [
      [{ ...pair, creditDays: 0 }, "creditDays"],
      [{ ...pair, creditDays: 366 }, "creditDays"],
      [{ ...pair, creditDays: 1.5 }, "creditDays"],
      [{ ...pair, creditPeriod: "w" }, "creditPeriod"],
      [{ ...pair, bankAccountId: "nope" }, "bankAccountId"],
      [pair, ""],
      [{ organizationId: client.id, creditDays: 5 }, "providerId"],
      [{ ...pair, providerOrganizations: [pair], creditDays: 5 }, "providerOrganizations"],
      [{ providerOrganizations: [], creditDays: 5 }, "providerOrganizations"],
      [{ ...pair, creditDays: 5, isMain: true }, ""],
    ];
    for (const [body, path] of cases) {
      const res = await patchLink(clientOwner, body);
      expect(res.status, JSON.stringify(body)).toBe(400);
      expect(res.json.error).toBe("validation_failed");
      expect(res.json.details.map((d: { path: string }) => d.path)).toContain(path);
    }
    const badFlag = await patchLink(clientOwner, { ...pair, creditDays: 5 }, "?update_invoices=yes");
    expect(badFlag.status).toBe(400);
    expect((await patchLink(clientOwner, { ...pair, creditDays: 5 }, "?update_invoices=true")).status).toBe(
      200,
    );
    expect((await getLink(clientOwner, client.id, provider.id)).json.creditDays).toBe(5);
  });
});

describe("GET /v1/organizations?provider_id=", () => {
  async function providerWithClients() {
    const providerOwner = await signUp("provider");
    const provider = await createOrg(providerOwner);
    const clients: Org[] = [];
    for (const name of ["alfa Comercial SA", "Beta Servicios SA", "Gamma Industrial SA"]) {
      const owner = await signUp("client");
      const client = await createOrg(owner, { name });
      await link(owner, client, providerOwner, provider);
      clients.push(client);
    }
    return { providerOwner, provider, clients };
  }
  const list = (user: TestUser, query: string) =>
    call("GET", `/v1/organizations?${query}`, { token: user.token });

  it("lists the provider's clients with filters, sorting and pages", async () => {
    const { providerOwner, provider, clients } = await providerWithClients();
    const all = await list(providerOwner, `provider_id=${provider.id}`);
    expect(all.status).toBe(200);
    expect(all.json.totalCount).toBe(3);
    expect(all.json.totalPages).toBe(1);
    expect(all.json.data.map((o: { name: string }) => o.name)).toEqual([
      "Gamma Industrial SA",
      "Beta Servicios SA",
      "alfa Comercial SA",
    ]);
    expect(all.json.data[0].providerOrganization).toMatchObject({ creditDays: 30, creditPeriod: "d" });
    expect(all.json.data[0]).not.toHaveProperty("invoicesInbox");

    const asc = await list(providerOwner, `provider_id=${provider.id}&order=asc`);
    expect(asc.json.data[0].name).toBe("alfa Comercial SA");
    const byName = await list(providerOwner, `provider_id=${provider.id}&name=ALFA`);
    expect(byName.json.data.map((o: { id: string }) => o.id)).toEqual([clients[0]!.id]);
    expect(
      (await list(providerOwner, `provider_id=${provider.id}&statuses=verified,not_verified`)).json
        .totalCount,
    ).toBe(0);
    expect((await list(providerOwner, `provider_id=${provider.id}&statuses=pending`)).json.totalCount).toBe(
      3,
    );
    const page2 = await list(providerOwner, `provider_id=${provider.id}&limit=10&page=2`);
    expect(page2.json).toEqual({ data: [], totalPages: 1, totalCount: 3 });
    const sorted = await list(providerOwner, `provider_id=${provider.id}&sort=taxIdentifier&order=asc`);
    const rfcs = sorted.json.data.map((o: { taxIdentifier: string }) => o.taxIdentifier);
    expect(rfcs).toEqual([...rfcs].sort());
  });

  it("answers 404 to outsiders, 403 to roles without providers.read and 400 to bad filters", async () => {
    const { providerOwner, provider } = await providerWithClients();
    const outsider = await signUp("outsider");
    await createOrg(outsider);
    expect((await list(outsider, `provider_id=${provider.id}`)).status).toBe(404);
    const client = await signUp("clientrole");
    await addMember(provider.id, client.id, "client");
    const denied = await list(client, `provider_id=${provider.id}`);
    expect(denied.status).toBe(403);
    expect(denied.json.error).toBe("forbidden");

    for (const query of [
      "",
      "statuses=bogus",
      "limit=7",
      "sort=createdAt",
      "order=up",
      "page=0",
      "provider_id=nope",
    ]) {
      const res = await list(
        providerOwner,
        query.startsWith("provider_id") || query === "" ? query : `provider_id=${provider.id}&${query}`,
      );
      expect(res.status, query).toBe(400);
      expect(res.json.error).toBe("validation_failed");
    }
  });
});
