/**
 * Stamping through Facturapi, end to end in workerd against the fake Facturapi (test/fakes/facturapi.ts),
 * answered in-process for FACTURAPI_BASE_URL (https://facturapi.test/v2): the per-organization
 * provider setting (key stored encrypted, never returned), the balance gate before any request to
 * Facturapi, a stamped invoice whose XML is Facturapi's and verifies, a refusal that gives everything
 * back, and tenancy. The organization uploads no CSD here: Facturapi seals with the one it holds.
 */
import { env } from "cloudflare:workers";
import { eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { invoices, organizationStampingProviders, providerOrganizations } from "../../db/schema";
import { loadCsd } from "../../shared/cfdi/csd";
import { parseCfdi } from "../../shared/cfdi/parse";
import { verifyCfdi } from "../../shared/cfdi/verify";
import { FakeFacturapi } from "../fakes/facturapi";
import { addMember, call, createOrg, db, signUp } from "./harness";
import { csdFile } from "./issuer-fixture";

const API_KEY = "sk_test_Timbre0FakeFacturapi9Key";

const fake = new FakeFacturapi({
  apiKey: API_KEY,
  issuer: { rfc: "EKU9003173C9", name: "ESCUELA KEMPER URGATE", taxRegime: "601", postalCode: "42501" },
  csd: await loadCsd({
    cer: csdFile("EKU9003173C9.cer"),
    key: csdFile("EKU9003173C9.key"),
    password: new TextDecoder().decode(csdFile("password.txt")).trim(),
  }),
});
const FAKE_ORIGIN = new URL(env.FACTURAPI_BASE_URL!).origin;

// The Worker runs in this isolate: requests to the fake's origin are answered by the fake, others go out.
beforeAll(() => {
  const realFetch = globalThis.fetch;
  vi.spyOn(globalThis, "fetch").mockImplementation(async (input, init) => {
    const request = new Request(input, init);
    return new URL(request.url).origin === FAKE_ORIGIN ? fake.fetch(request) : realFetch(input, init);
  });
});
afterAll(() => {
  vi.restoreAllMocks();
});

const owner = await signUp("facturapi-issuer");
const issuer = await createOrg(owner, {
  name: "ESCUELA KEMPER URGATE",
  taxIdentifier: "EKU9003173C9",
  taxRegimes: ["601"],
  postalCode: "42501",
});
const clientOwner = await signUp("facturapi-client");
const client = await createOrg(clientOwner, { name: "CLIENTE DE PRUEBA", taxRegimes: ["601"] });
{
  const now = new Date().toISOString();
  await db()
    .insert(providerOrganizations)
    .values({ organizationId: client.id, providerId: issuer.id, createdAt: now, updatedAt: now });
}

const settingPath = `/v1/organizations/${issuer.id}/stamping-provider`;
const setting = (body: unknown, token = owner.token) => call("PUT", settingPath, { token, body });

const body = (over: Record<string, unknown> = {}) => ({
  recipient: {
    name: "CLIENTE DE PRUEBA",
    taxIdentifier: client.taxIdentifier,
    taxRegime: "601",
    postalCode: "54700",
  },
  items: [
    {
      description: "Curso de actualización",
      itemKey: "86121600",
      unitKey: "E48",
      quantity: 2,
      netUnitPriceAmount: "1500.00",
    },
  ],
  paymentForm: "03",
  cfdiUse: "G03",
  paymentMethod: "PUE",
  series: "FA",
  ...over,
});
const stamp = (over: Record<string, unknown> = {}) =>
  call("POST", `/v1/invoices/stamp?provider_id=${issuer.id}`, { token: owner.token, body: body(over) });
const balance = async () =>
  (await call("GET", `/v1/balance?organization_id=${issuer.id}`, { token: owner.token })).json
    .balanceAmount as number;
const issued = () => db().select().from(invoices).where(eq(invoices.providerId, issuer.id));

describe("the organization's stamping provider", () => {
  it("is the sandbox until set", async () => {
    const res = await call("GET", settingPath, { token: owner.token });
    expect(res.status, res.text).toBe(200);
    expect(res.json.stampingProvider).toEqual({ provider: "sandbox", apiKeyLast4: null, updatedAt: null });
  });

  it("takes a Facturapi organization key, stores it encrypted and shows only its last four characters", async () => {
    expect((await setting({ provider: "facturapi" })).status).toBe(400);
    const userKey = await setting({ provider: "facturapi", apiKey: "sk_user_abcdefghijkl" });
    expect(userKey.status).toBe(400);
    expect(userKey.json.error).toBe("validation_failed");

    const res = await setting({ provider: "facturapi", apiKey: API_KEY });
    expect(res.status, res.text).toBe(200);
    expect(res.json.stampingProvider).toMatchObject({ provider: "facturapi", apiKeyLast4: "9Key" });
    expect(res.text).not.toContain(API_KEY);
    const read = await call("GET", settingPath, { token: owner.token });
    expect(read.json.stampingProvider).toEqual(res.json.stampingProvider);
    expect(read.text).not.toContain(API_KEY);

    const [row] = await db()
      .select()
      .from(organizationStampingProviders)
      .where(eq(organizationStampingProviders.organizationId, issuer.id));
    expect(row!.encryptedApiKey).toBeTruthy();
    expect(JSON.stringify(row)).not.toContain(API_KEY.slice(8));
  });

  it("is the organization's: another organization → 404, a role without credentials access → 403", async () => {
    const outsider = await signUp("facturapi-outsider");
    await createOrg(outsider);
    expect((await call("GET", settingPath, { token: outsider.token })).status).toBe(404);
    expect((await setting({ provider: "sandbox" }, outsider.token)).status).toBe(404);
    const collaborator = await signUp("facturapi-collaborator");
    await addMember(issuer.id, collaborator.id, "collaborator");
    expect((await call("GET", settingPath, { token: collaborator.token })).status).toBe(200);
    expect((await setting({ provider: "sandbox" }, collaborator.token)).status).toBe(403);
    expect((await call("GET", settingPath, { token: owner.token })).json.stampingProvider.provider).toBe(
      "facturapi",
    );
  });
});

describe("stamping through Facturapi", () => {
  it("refuses with 402 insufficient_balance before any request reaches Facturapi", async () => {
    const res = await stamp();
    expect(res.status, res.text).toBe(402);
    expect(res.json.error).toBe("insufficient_balance");
    expect(fake.requests).toEqual([]);
    expect(await issued()).toHaveLength(0);
  });

  it("stamps at Facturapi without a CSD here, stores Facturapi's XML and its invoice id, charges one stamp", async () => {
    const topUp = await call("POST", `/v1/balance/top-ups?organization_id=${issuer.id}`, {
      token: owner.token,
      body: { amount: 200 },
    });
    expect(topUp.status, topUp.text).toBe(201);
    const before = await balance();

    const res = await stamp();
    expect(res.status, res.text).toBe(201);
    const invoice = res.json.invoice;
    expect(invoice).toMatchObject({
      status: "sent",
      series: "FA",
      folioNumber: "1",
      issuerTaxIdentifier: "EKU9003173C9",
    });
    expect(fake.requests).toEqual([
      "POST /v2/invoices",
      expect.stringMatching(/^GET \/v2\/invoices\/[0-9a-f]{24}\/xml$/),
      expect.stringMatching(/^GET \/v2\/invoices\/[0-9a-f]{24}\/pdf$/),
    ]);
    const [facturapiInvoice] = [...fake.invoices.values()];
    expect(facturapiInvoice!.invoice.uuid).toBe(invoice.uuid.toLowerCase());
    expect(await balance()).toBe(before - 1);

    const [row] = await issued();
    expect(row).toMatchObject({
      stampingProvider: "facturapi",
      providerReference: facturapiInvoice!.invoice.id,
    });

    const xml = await call("GET", `/v1/files/${invoice.xmlFile.id}/content`, { token: clientOwner.token });
    expect(xml.status).toBe(200);
    expect(xml.text).toBe(facturapiInvoice!.xml);
    const report = await verifyCfdi(parseCfdi(xml.text));
    expect(report.checks.filter((c) => !c.ok)).toEqual([]);
    expect(report.checks.map((c) => c.check)).toEqual(expect.arrayContaining(["tfd_sello_sat"]));
  });

  it("gives the folio and the hold back when Facturapi refuses the document", async () => {
    const before = await balance();
    const count = (await issued()).length;
    const refused = await stamp({ recipient: { ...body().recipient, taxRegime: "605" } });
    expect(refused.status, refused.text).toBe(422);
    expect(refused.json.error).toBe("invoice_stamping_validation_error");
    expect(refused.json.details.provider).toBe("facturapi");
    expect(await balance()).toBe(before);
    expect(await issued()).toHaveLength(count);

    const next = await stamp();
    expect(next.status, next.text).toBe(201);
    expect(next.json.invoice.folioNumber).toBe("2");
  });

  it("a rejected API key fails without a refusal, and nothing is charged or written", async () => {
    expect((await setting({ provider: "facturapi", apiKey: "sk_test_revokedKey1234" })).status).toBe(200);
    const before = await balance();
    const count = (await issued()).length;
    const res = await stamp();
    expect(res.status, res.text).toBe(502);
    expect(res.json.error).toBe("provider_auth_failed");
    expect(res.text).not.toContain("revokedKey");
    expect(await balance()).toBe(before);
    expect(await issued()).toHaveLength(count);
  });

  it("back on the sandbox, the key is gone and stamping needs the organization's own CSD", async () => {
    const res = await setting({ provider: "sandbox" });
    expect(res.json.stampingProvider).toMatchObject({ provider: "sandbox", apiKeyLast4: null });
    const [row] = await db()
      .select()
      .from(organizationStampingProviders)
      .where(eq(organizationStampingProviders.organizationId, issuer.id));
    expect(row!.encryptedApiKey).toBeNull();
    const refused = await stamp();
    expect(refused.status, refused.text).toBe(422);
    expect(refused.json.error).toBe("csd_not_uploaded");
  });
});
