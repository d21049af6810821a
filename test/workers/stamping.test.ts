import { eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { invoices, providerOrganizations } from "../../db/schema";
import { parseCfdi } from "../../shared/cfdi/parse";
import { verifyCfdi } from "../../shared/cfdi/verify";
import { netUnitPrice } from "../../workers/services/stamping";
import { addMember, call, createOrg, db, randomRfc, signUp } from "./harness";
import { uploadCsd } from "./issuer-fixture";

const owner = await signUp("issuer");
const issuer = await createOrg(owner, {
  name: "ESCUELA KEMPER URGATE",
  taxIdentifier: "EKU9003173C9",
  taxRegimes: ["601"],
  postalCode: "42501",
});
const clientOwner = await signUp("client");
const client = await createOrg(clientOwner, { name: "CLIENTE DE PRUEBA", taxRegimes: ["601"] });

await uploadCsd(owner, issuer.id);
{
  const now = new Date().toISOString();
  await db()
    .insert(providerOrganizations)
    .values({ organizationId: client.id, providerId: issuer.id, createdAt: now, updatedAt: now });
}

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
  series: "A",
  ...over,
});

const stamp = (over: Record<string, unknown> = {}, options: { token?: string; key?: string } = {}) =>
  call("POST", `/v1/invoices/stamp?provider_id=${issuer.id}`, {
    token: options.token ?? owner.token,
    body: body(over),
    headers: options.key ? { "idempotency-key": options.key } : {},
  });

const balance = async (orgId = issuer.id) => {
  const res = await call("GET", `/v1/balance?organization_id=${orgId}`, { token: owner.token });
  expect(res.status, res.text).toBe(200);
  return res.json as { balanceAmount: number; lastTransactionAt: string | null };
};

const topUp = (amount: unknown, key?: string, token = owner.token) =>
  call("POST", `/v1/balance/top-ups?organization_id=${issuer.id}`, {
    token,
    body: { amount },
    headers: key ? { "idempotency-key": key } : {},
  });

const issued = () => db().select().from(invoices).where(eq(invoices.providerId, issuer.id));
const folios = async () => (await issued()).map((i) => Number(i.folioNumber)).sort((a, b) => a - b);

describe("balance", () => {
  it("starts at zero and refuses a stamp with 402 before anything is used", async () => {
    expect(await balance()).toEqual({ balanceAmount: 0, lastTransactionAt: null });
    const res = await stamp();
    expect(res.status, res.text).toBe(402);
    expect(res.json.error).toBe("insufficient_balance");
    expect(await issued()).toHaveLength(0);
    expect((await balance()).balanceAmount).toBe(0);
  });

  it("tops up at least 100 MXN, exactly, once per Idempotency-Key", async () => {
    expect((await topUp(99.99)).json.error).toBe("amount_below_minimum");
    expect((await topUp("100.001")).status).toBe(400);
    const first = await topUp("150.50", "top-up-1");
    expect(first.status, first.text).toBe(201);
    expect(first.json).toMatchObject({
      success: true,
      paymentProvider: null,
      topUp: { amount: 150.5 },
      balance: { balanceAmount: 150.5 },
    });
    expect(first.json.message).toMatch(/no payment provider/);
    const replay = await topUp("150.50", "top-up-1");
    expect(replay.status).toBe(201);
    expect(replay.headers.get("idempotent-replayed")).toBe("true");
    const now = await balance();
    expect(now.balanceAmount).toBe(150.5);
    expect(now.lastTransactionAt).toEqual(first.json.topUp.createdAt);
  });

  it("is the organization's: another organization → 404, a role without balance access → 403", async () => {
    const outsider = await signUp("outsider");
    await createOrg(outsider);
    expect(
      (await call("GET", `/v1/balance?organization_id=${issuer.id}`, { token: outsider.token })).status,
    ).toBe(404);
    const collaborator = await signUp("collaborator");
    await addMember(issuer.id, collaborator.id, "collaborator");
    const denied = await call("GET", `/v1/balance?organization_id=${issuer.id}`, {
      token: collaborator.token,
    });
    expect(denied.status).toBe(403);
    expect((await topUp(500, undefined, collaborator.token)).status).toBe(403);
  });
});

describe("POST /v1/invoices/stamp", () => {
  it("stamps folio 1 of the series after the refused attempt, charges one stamp and stores it as sent", async () => {
    const before = (await balance()).balanceAmount;
    const res = await stamp();
    expect(res.status, res.text).toBe(201);
    expect(res.json).toMatchObject({ success: true, isValid: true, message: "Invoice created successfully" });
    const invoice = res.json.invoice;
    expect(invoice).toMatchObject({
      status: "sent",
      series: "A",
      folioNumber: "1",
      issuerTaxIdentifier: "EKU9003173C9",
      recipientTaxIdentifier: client.taxIdentifier,
    });
    expect(invoice.uuid).toMatch(/^[0-9A-F-]{36}$/);
    expect((await balance()).balanceAmount).toBe(before - 1);

    // The stamped XML, as stored, verifies with the engine: Sello, certificate and the TFD. The file is
    // stored under the receiving organization (the inbox's rule) and both sides of the invoice read it;
    // nobody else does.
    const xml = await call("GET", `/v1/files/${invoice.xmlFile.id}/content`, { token: clientOwner.token });
    expect(xml.status).toBe(200);
    const asIssuer = await call("GET", `/v1/files/${invoice.xmlFile.id}/content`, { token: owner.token });
    expect(asIssuer.status, asIssuer.text).toBe(200);
    expect(asIssuer.text).toBe(xml.text);
    const outsider = await signUp("outsider");
    await createOrg(outsider, { name: "AJENA" });
    expect((await call("GET", `/v1/files/${invoice.xmlFile.id}`, { token: outsider.token })).status).toBe(
      404,
    );
    const report = await verifyCfdi(parseCfdi(xml.text));
    expect(report.checks.filter((c) => !c.ok)).toEqual([]);
    expect(report.checks.map((c) => c.check)).toEqual(
      expect.arrayContaining(["tfd_sello_cfd", "tfd_sello_sat"]),
    );
    expect(xml.text).toContain(invoice.uuid);

    // The client organization sees it in its inbox.
    const inbox = await call("GET", `/v1/invoices?organization_id=${client.id}`, {
      token: clientOwner.token,
    });
    expect(inbox.status, inbox.text).toBe(200);
    expect(inbox.json.data.map((i: { uuid: string }) => i.uuid)).toContain(invoice.uuid);
  });

  it("numbers 20 concurrent stamps 2..21 with no gap or duplicate and charges exactly 20 stamps", async () => {
    const before = (await balance()).balanceAmount;
    const started = performance.now();
    const results = await Promise.all(Array.from({ length: 20 }, () => stamp()));
    const seconds = (performance.now() - started) / 1000;
    console.log(
      `stamping: 20 concurrent stamps in ${seconds.toFixed(2)} s = ${(20 / seconds).toFixed(1)} stamps/s`,
    );
    for (const r of results) expect(r.status, r.text).toBe(201);
    expect(results.map((r) => Number(r.json.invoice.folioNumber)).sort((a, b) => a - b)).toEqual(
      Array.from({ length: 20 }, (_, i) => i + 2),
    );
    expect(await folios()).toEqual(Array.from({ length: 21 }, (_, i) => i + 1));
    expect((await balance()).balanceAmount).toBe(before - 20);
  });

  it("gives the folio and the hold back when the provider refuses (422 with the PAC code)", async () => {
    const before = (await balance()).balanceAmount;
    // Régimen 605 (sueldos y salarios) is for personas físicas: a 12-character RFC cannot have it.
    const refused = await stamp({ recipient: { ...body().recipient, taxRegime: "605" } });
    expect(refused.status, refused.text).toBe(422);
    expect(refused.json.error).toMatch(/^CFDI40\d{3}$/);
    expect(refused.json.details.provider).toBe("sandbox");
    expect((await balance()).balanceAmount).toBe(before);
    expect(await issued()).toHaveLength(21);

    const next = await stamp();
    expect(next.status, next.text).toBe(201);
    expect(next.json.invoice.folioNumber).toBe("22");
  });

  it("refuses, before anything is held, what the linked client's invoice preferences would refuse", async () => {
    const before = (await balance()).balanceAmount;
    const count = (await issued()).length;
    const put = await call("PUT", `/v1/organizations/${client.id}/invoice-preferences`, {
      token: clientOwner.token,
      body: { paymentMethods: ["PUE"] },
    });
    expect(put.status, put.text).toBe(200);
    const refused = await stamp({ paymentMethod: "PPD", paymentForm: "99" });
    expect(refused.status, refused.text).toBe(400);
    expect(refused.json.error).toBe("payment_method_not_allowed");
    expect((await balance()).balanceAmount).toBe(before);
    expect(await issued()).toHaveLength(count);

    await call("PUT", `/v1/organizations/${client.id}/invoice-preferences`, {
      token: clientOwner.token,
      body: { paymentMethods: null },
    });
    const next = await stamp({ paymentMethod: "PPD", paymentForm: "99" });
    expect(next.status, next.text).toBe(201);
    expect(Number(next.json.invoice.folioNumber)).toBe(count + 1);
  });

  it("replays a retry with the same Idempotency-Key: same response, one invoice, one charge", async () => {
    const before = (await balance()).balanceAmount;
    const first = await stamp({}, { key: "stamp-retry-1" });
    expect(first.status, first.text).toBe(201);
    const again = await stamp({}, { key: "stamp-retry-1" });
    expect(again.status).toBe(201);
    expect(again.headers.get("idempotent-replayed")).toBe("true");
    expect(again.json).toEqual(first.json);
    const rows = (await issued()).filter((i) => i.uuid === first.json.invoice.uuid);
    expect(rows).toHaveLength(1);
    expect((await balance()).balanceAmount).toBe(before - 1);
  });

  it("takes a requested folioNumber once; a used one → 409 folio_in_use with nothing charged", async () => {
    const taken = await stamp({ series: "C", folioNumber: 7 });
    expect(taken.status, taken.text).toBe(201);
    expect(taken.json.invoice).toMatchObject({ series: "C", folioNumber: "7" });
    const before = (await balance()).balanceAmount;
    const again = await stamp({ series: "C", folioNumber: "7" });
    expect(again.status, again.text).toBe(409);
    expect(again.json.error).toBe("folio_in_use");
    expect((await balance()).balanceAmount).toBe(before);
  });

  it("derives the unit price from a tax-included price", async () => {
    expect(netUnitPrice("116", [{ type: "IVA", rate: "0.16" }])).toBe("100");
    expect(netUnitPrice("100", [{ type: "IVA", rate: "0.16" }])).toBe("86.206897");
    expect(
      netUnitPrice("116", [
        { type: "IVA", rate: "0.16" },
        { type: "ISR", rate: "0.10", withholding: true },
      ]),
    ).toBe("100");
    const res = await stamp({
      series: "B",
      items: [
        {
          description: "Libro",
          itemKey: "55101500",
          unitKey: "H87",
          quantity: 1,
          netUnitPriceAmount: 116,
          taxIncluded: true,
        },
      ],
    });
    expect(res.status, res.text).toBe(201);
    expect(res.json.invoice).toMatchObject({ series: "B", folioNumber: "1" });
    expect(res.json.invoice.items[0].netUnitPriceAmount).toBe(100);
  });

  it("refuses bad input with 400 and field paths, before anything is reserved", async () => {
    const before = (await balance()).balanceAmount;
    const res = await stamp({ items: [{ ...body().items[0], itemKey: "123" }] });
    expect(res.status).toBe(400);
    expect(res.json.error).toBe("validation_failed");
    expect(res.json.details.map((d: { path: string }) => d.path)).toContain("items.0.itemKey");
    const none = await stamp({ items: [] });
    expect(none.status).toBe(400);
    expect((await balance()).balanceAmount).toBe(before);
  });

  it("refuses an organization without a CSD with 422 csd_not_uploaded", async () => {
    const other = await createOrg(owner, { taxIdentifier: randomRfc(), postalCode: "01000" });
    const res = await call("POST", `/v1/invoices/stamp?provider_id=${other.id}`, {
      token: owner.token,
      body: body(),
    });
    expect(res.status, res.text).toBe(422);
    expect(res.json.error).toBe("csd_not_uploaded");
  });

  it("is the issuer's: another organization → 404, a role without invoices.stamp → 403", async () => {
    const outsider = await signUp("outsider");
    await createOrg(outsider);
    expect((await stamp({}, { token: outsider.token })).status).toBe(404);
    const assistant = await signUp("assistant");
    await addMember(issuer.id, assistant.id, "assistant");
    const denied = await stamp({}, { token: assistant.token });
    expect(denied.status).toBe(403);
    expect(denied.json.error).toBe("forbidden");
  });
});
