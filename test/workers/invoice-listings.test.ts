// The three invoice listings over the one filter engine: Tatem's GET /v1/invoices (filters, pages,
// aggregates, balance, value lists), Syntage's taxpayer collection (cursor pages) and Contafy's
// profile listing; each answers only for the caller's organizations.
import { env } from "cloudflare:workers";
import { beforeAll, describe, expect, it } from "vitest";
import { createDb } from "../../db/client";
import { invoiceItems, invoiceTaxes } from "../../db/schema";
import { parseCfdi } from "../../shared/cfdi/parse";
import {
  call,
  cfdiFixture,
  createOrg,
  createOrgWithRfc,
  randomRfc,
  signUp,
  type TestUser,
  uploadInvoice,
} from "./harness";
import { seedInvoice } from "./security-matrix";

type Over = Parameters<typeof seedInvoice>[2];

const micros = (amount: string) => {
  const [whole, fraction = ""] = amount.split(".");
  return Number(whole) * 1_000_000 + Number(fraction.padEnd(6, "0"));
};

/** An invoice straight into the database; amounts given as text get their micros. */
async function seed(orgId: string, over: Over & { gross?: string; due?: string; paid?: string } = {}) {
  const { gross = "116", due, paid, ...rest } = over;
  const { invoiceId } = await seedInvoice("", orgId, {
    grossPriceAmount: gross,
    grossPriceMicros: micros(gross),
    dueAmount: due ?? gross,
    dueMicros: micros(due ?? gross),
    paidAmount: paid ?? "0",
    paidMicros: micros(paid ?? "0"),
    ...rest,
  });
  return invoiceId;
}

async function seedItem(invoiceId: string, itemKey: string, description: string, position = 1) {
  const now = new Date().toISOString();
  await createDb(env).insert(invoiceItems).values({
    id: crypto.randomUUID(),
    invoiceId,
    position,
    itemKey,
    quantity: "1",
    description,
    netUnitPriceAmount: "100",
    netPriceAmount: "100",
    grossPriceAmount: "116",
    createdAt: now,
    updatedAt: now,
  });
}

async function seedTax(invoiceId: string, taxId: string, rate: string, isWithholding = false) {
  const now = new Date().toISOString();
  await createDb(env)
    .insert(invoiceTaxes)
    .values({
      id: crypto.randomUUID(),
      invoiceId,
      taxId,
      code: { "001": "ISR", "002": "IVA", "003": "IEPS" }[taxId]!,
      isWithholding,
      factor: "Tasa",
      rate,
      baseAmount: "100",
      value: "16",
      createdAt: now,
      updatedAt: now,
    });
}

const get = (token: string, path: string, query: Record<string, string> = {}) => {
  const qs = new URLSearchParams(query).toString();
  return call("GET", qs ? `${path}?${qs}` : path, { token });
};
const ids = (rows: Array<{ id: string }>) => rows.map((r) => r.id).sort();

let owner: TestUser;
let outsider: TestUser;
let org: { id: string; taxIdentifier: string };
let provider: { id: string; taxIdentifier: string };
let outsiderOrg: { id: string; taxIdentifier: string };

beforeAll(async () => {
  owner = await signUp("listings");
  outsider = await signUp("outsider");
  org = await createOrg(owner);
  provider = await createOrg(owner, { name: "Proveedor Uno SA de CV" });
  outsiderOrg = await createOrg(outsider);
});

describe("GET /v1/invoices: sides, tenancy and 400 codes", () => {
  let received: string;
  let issued: string;
  let foreign: string;
  beforeAll(async () => {
    received = await seed(org.id, { providerId: provider.id, issuerTaxIdentifier: provider.taxIdentifier });
    issued = await seed(provider.id, { organizationId: null, providerId: org.id });
    foreign = await seed(outsiderOrg.id);
  });

  it("lists the side the caller names: organization_id received, provider_id issued", async () => {
    const asReceiver = await get(owner.token, "/v1/invoices", { organization_id: org.id });
    expect(asReceiver.status, asReceiver.text).toBe(200);
    expect(ids(asReceiver.json.data)).toEqual([received]);
    const asIssuer = await get(owner.token, "/v1/invoices", { provider_id: org.id });
    expect(ids(asIssuer.json.data)).toEqual([issued]);
    // The provider organization sees the received invoice as issued by it.
    expect(ids((await get(owner.token, "/v1/invoices", { provider_id: provider.id })).json.data)).toEqual([
      received,
    ]);
  });

  it("another organization's id → 404 on every Tatem listing, never its data", async () => {
    for (const path of [
      "/v1/invoices",
      "/v1/invoices/balance",
      "/v1/invoices/product-keys",
      "/v1/invoices/entity-types",
    ]) {
      for (const side of ["organization_id", "provider_id"]) {
        const res = await get(outsider.token, path, { [side]: org.id });
        expect(res.status, `${path} ${side}`).toBe(404);
        expect(res.text).not.toContain(received);
      }
    }
    const own = await get(outsider.token, "/v1/invoices", { organization_id: outsiderOrg.id });
    expect(ids(own.json.data)).toEqual([foreign]);
    expect((await get(outsider.token, `/v1/invoices/${received}`)).status).toBe(404);
  });

  it("exactly one side, else 400 side_required", async () => {
    expect((await get(owner.token, "/v1/invoices")).json.error).toBe("side_required");
    const both = await get(owner.token, "/v1/invoices", {
      organization_id: org.id,
      provider_id: provider.id,
    });
    expect([both.status, both.json.error]).toEqual([400, "side_required"]);
    expect((await get(owner.token, "/v1/invoices/payment-forms")).json.error).toBe("side_required");
  });

  it.each([
    [{ created_at_period: "2026-01", created_at_from: "2026-01-01" }, "conflicting_date_filters"],
    [{ issued_at_current_period: "true", issued_at_to: "2026-01-31" }, "conflicting_date_filters"],
    [{ stamped_at_period: "2026-01", stamped_at_current_period: "true" }, "conflicting_date_filters"],
    [{ sent_at_from: "2026-02-01", sent_at_to: "2026-01-01" }, "invalid_date_range"],
    [{ sort: "createdAt,status", order: "desc" }, "mismatched_sort_order_length"],
    [{ order: "asc,desc" }, "mismatched_sort_order_length"],
    [{ tax_ids: "002,003", tax_rates: "0.16" }, "mismatched_tax_rates_length"],
    [{ minimun_gross_price_amount: "10", maximun_gross_price_amount: "1" }, "invalid_amount_range"],
    [{ limit: "20" }, "validation_failed"],
    [{ sort: "issuedAt" }, "validation_failed"],
    [{ statuses: "accepted,lost" }, "validation_failed"],
    [{ minimun_gross_price_amount: "1.0000001" }, "validation_failed"],
    [{ unknown_filter: "1" }, "validation_failed"],
  ])("%j → 400 %s", async (query, error) => {
    const res = await get(owner.token, "/v1/invoices", { organization_id: org.id, ...query });
    expect([res.status, res.json.error]).toEqual([400, error]);
  });

  it("the balance takes the same filters and codes", async () => {
    const res = await get(owner.token, "/v1/invoices/balance", {
      organization_id: org.id,
      created_at_period: "2026-01",
      created_at_to: "2026-01-31",
    });
    expect([res.status, res.json.error]).toEqual([400, "conflicting_date_filters"]);
  });
});

describe("GET /v1/invoices: filters", () => {
  let o: { id: string };
  const rows: Record<string, string> = {};
  beforeAll(async () => {
    o = await createOrg(owner);
    rows.a = await seed(o.id, {
      status: "accepted",
      gross: "1000.50",
      issuerName: "Aceros del Norte",
      issuerTaxIdentifier: "ADN900101AB1",
      issuerIsEntity: true,
      paymentMethod: "PPD",
      paymentForm: "99",
      cfdiUse: "G03",
      folioNumber: "A-1",
      series: "A",
      issuedAt: "2026-01-15T10:00:00",
      stampedAt: "2026-01-15T10:05:00",
      paymentDueAt: "2026-02-14T06:00:00.000Z",
      createdAt: "2026-01-15T16:00:00.000Z",
    });
    rows.b = await seed(o.id, {
      status: "sent",
      gross: "250",
      issuerName: "Papelería Ñandú",
      issuerTaxIdentifier: "PNA800101CD2",
      issuerIsEntity: false,
      paymentMethod: "PUE",
      paymentForm: "03",
      cfdiUse: "G01",
      folioNumber: "B-7",
      issuedAt: "2026-02-01T00:30:00",
      stampedAt: "2026-02-01T00:31:00",
      createdAt: "2026-02-01T06:30:00.000Z",
    });
    rows.c = await seed(o.id, {
      status: "rejected",
      gross: "99.999999",
      issuerName: "aceros del sur",
      issuerTaxIdentifier: "ADS900101EF3",
      paymentMethod: "PPD",
      paymentForm: "03",
      cfdiUse: "G03",
      issuedAt: "2026-02-28T23:59:59",
      createdAt: "2026-03-01T05:59:59.000Z",
      archivedByOrganizationAt: "2026-03-02T00:00:00.000Z",
    });
    await seedItem(rows.a!, "50202310", "Agua purificada 20 L");
    await seedItem(rows.b!, "44121618", "Tijeras escolares");
    await seedItem(rows.b!, "50202310", "Agua mineral", 2);
    await seedTax(rows.a!, "002", "0.160000");
    await seedTax(rows.b!, "002", "0.080000");
    await seedTax(rows.b!, "001", "0.100000", true);
  });

  const list = async (query: Record<string, string>) => {
    const res = await get(owner.token, "/v1/invoices", { organization_id: o.id, limit: "100", ...query });
    expect(res.status, res.text).toBe(200);
    return ids(res.json.data);
  };
  const of = (...keys: string[]) => keys.map((k) => rows[k]!).sort();

  it("archived is per side and defaults to false", async () => {
    expect(await list({})).toEqual(of("a", "b"));
    expect(await list({ archived: "true" })).toEqual(of("c"));
  });

  it("comma lists, exact values and partial names", async () => {
    expect(await list({ statuses: "accepted,sent" })).toEqual(of("a", "b"));
    expect(await list({ statuses: "rejected", archived: "true" })).toEqual(of("c"));
    expect(await list({ payment_method: "PUE" })).toEqual(of("b"));
    expect(await list({ payment_form: "99,03" })).toEqual(of("a", "b"));
    expect(await list({ cfdi_uses: "G03" })).toEqual(of("a"));
    expect(await list({ folio_number: "A-1,B-7" })).toEqual(of("a", "b"));
    expect(await list({ series: "A" })).toEqual(of("a"));
    expect(await list({ issuer_name: "ACEROS" })).toEqual(of("a"));
    expect(await list({ issuer_name: "PAPELERÍA" })).toEqual(of("b"));
    expect(await list({ issuer_name: "%" })).toEqual([]);
    expect(await list({ issuer_tax_identifier: "adn900101ab1,PNA800101CD2" })).toEqual(of("a", "b"));
    expect(await list({ issuer_is_entity: "true" })).toEqual(of("a"));
    expect(await list({ issuer_is_entity: "false" })).toEqual(of("b"));
  });

  it("comma lists of 100 values stay within D1's bound parameters", async () => {
    const listed = await get(owner.token, "/v1/invoices", { organization_id: o.id, limit: "100" });
    const uuids: string[] = listed.json.data.map((r: { uuid: string }) => r.uuid);
    const filler = Array.from({ length: 100 - uuids.length }, () => crypto.randomUUID());
    const folios = Array.from({ length: 100 }, (_, i) => (i === 0 ? "A-1" : `X-${i}`));
    expect(await list({ uuid: [...uuids, ...filler].join(","), folio_number: folios.join(",") })).toEqual(
      of("a"),
    );
    expect(
      await list({ statuses: "draft,sent,accepted,paid,completed,rejected,processing,not_valid" }),
    ).toEqual(of("a", "b"));
  });

  it("dates: ranges in Mexico City time, months, inclusive bare-date ends", async () => {
    // b was created 2026-02-01 00:30 in Mexico City (06:30 UTC).
    expect(await list({ created_at_from: "2026-02-01", created_at_to: "2026-02-01" })).toEqual(of("b"));
    expect(await list({ created_at_to: "2026-01-31" })).toEqual(of("a"));
    expect(await list({ created_at_period: "2026-02" })).toEqual(of("b"));
    expect(await list({ issued_at_period: "2026-01" })).toEqual(of("a"));
    expect(await list({ issued_at_to: "2026-02-01T00:30:00" })).toEqual(of("a", "b"));
    expect(await list({ issued_at_to: "2026-02-01T00:29:59" })).toEqual(of("a"));
    expect(await list({ stamped_at_from: "2026-02-01T06:31:00Z" })).toEqual(of("b"));
    expect(await list({ payment_due_at_from: "2026-02-14", payment_due_at_to: "2026-02-14" })).toEqual(
      of("a"),
    );
    // February 28 23:59:59 issued, created March 1 05:59:59 UTC = still February in Mexico City.
    expect(await list({ created_at_period: "2026-02", archived: "true" })).toEqual(of("c"));
  });

  it("amounts are exact to the millionth", async () => {
    expect(await list({ minimun_gross_price_amount: "250", maximun_gross_price_amount: "1000.5" })).toEqual(
      of("a", "b"),
    );
    expect(await list({ minimun_gross_price_amount: "250.000001" })).toEqual(of("a"));
    expect(await list({ maximun_gross_price_amount: "99.999999", archived: "true" })).toEqual(of("c"));
    expect(await list({ maximun_gross_price_amount: "99.999998", archived: "true" })).toEqual([]);
  });

  it("items and taxes: some concept / some document tax matches", async () => {
    expect(await list({ item_key: "50202310" })).toEqual(of("a", "b"));
    expect(await list({ item_key: "44121618,00000000" })).toEqual(of("b"));
    expect(await list({ item_description: "AGUA" })).toEqual(of("a", "b"));
    // Key and description must hold on the same concept.
    expect(await list({ item_key: "44121618", item_description: "agua" })).toEqual([]);
    expect(await list({ tax_ids: "002", tax_rates: "0.16" })).toEqual(of("a"));
    expect(await list({ tax_ids: "IVA,ISR", tax_rates: "0.08,0.1" })).toEqual(of("b"));
    expect(await list({ tax_ids: "002" })).toEqual(of("a", "b"));
    expect(await list({ tax_ids: "003" })).toEqual([]);
  });

  it("sorts by comma lists of keys and directions", async () => {
    const order = async (query: Record<string, string>) =>
      (await get(owner.token, "/v1/invoices", { organization_id: o.id, ...query })).json.data.map(
        (r: { id: string }) => r.id,
      );
    // statusCode: sent (10) before accepted (20).
    expect(await order({})).toEqual([rows.b, rows.a]);
    expect(await order({ sort: "grossPriceAmount", order: "desc" })).toEqual([rows.a, rows.b]);
    expect(await order({ sort: "issuerName" })).toEqual([rows.a, rows.b]);
    expect(await order({ sort: "status,createdAt", order: "asc,desc" })).toEqual([rows.a, rows.b]);
  });
});

describe("GET /v1/invoices: pages", () => {
  let o: { id: string };
  let all: string[];
  beforeAll(async () => {
    o = await createOrg(owner);
    all = [];
    for (let i = 0; i < 12; i++) {
      all.push(await seed(o.id, { createdAt: new Date(Date.UTC(2026, 0, 1, 0, i)).toISOString() }));
    }
  });

  it("limit 10 gives two pages; beyond the last page, no rows but the same totals", async () => {
    const page = (n: number) =>
      get(owner.token, "/v1/invoices", {
        organization_id: o.id,
        limit: "10",
        page: String(n),
        sort: "createdAt",
      });
    const [one, two, three] = await Promise.all([page(1), page(2), page(3)]);
    expect(one.json.data.map((r: { id: string }) => r.id)).toEqual(all.slice(0, 10));
    expect(two.json.data.map((r: { id: string }) => r.id)).toEqual(all.slice(10));
    expect(three.json.data).toEqual([]);
    for (const res of [one, two, three]) {
      expect(res.json).toMatchObject({ totalCount: 12, totalPages: 2 });
    }
  });

  it("equal sort keys still page without repeats or gaps", async () => {
    const seen: string[] = [];
    for (let n = 1; n <= 2; n++) {
      const res = await get(owner.token, "/v1/invoices", {
        organization_id: o.id,
        limit: "10",
        page: String(n),
      });
      seen.push(...res.json.data.map((r: { id: string }) => r.id));
    }
    expect(seen.sort()).toEqual([...all].sort());
  });

  it("rows are the Invoice object of GET /v1/invoices/{id} without its relations", async () => {
    const list = await get(owner.token, "/v1/invoices", { organization_id: o.id, limit: "10" });
    const one = list.json.data[0];
    const detail = (await get(owner.token, `/v1/invoices/${one.id}`)).json;
    for (const [key, value] of Object.entries(one)) expect(detail[key], key).toEqual(value);
  });
});

describe("aggregates and balance: exact sums of what counts", () => {
  let o: { id: string };
  beforeAll(async () => {
    o = await createOrg(owner);
    const past = "2020-01-01T06:00:00.000Z";
    const future = "2999-01-01T06:00:00.000Z";
    await seed(o.id, { status: "accepted", gross: "0.000001", due: "0.000001", paymentDueAt: past });
    await seed(o.id, {
      status: "sent",
      gross: "1245.067891",
      due: "1234.567891",
      paid: "10.5",
      paymentDueAt: future,
    });
    await seed(o.id, {
      status: "paid",
      gross: "99999999.999999",
      due: "0",
      paid: "99999999.999999",
      isRead: true,
    });
    await seed(o.id, { status: "not_valid", gross: "500", due: "500", paymentDueAt: past });
    await seed(o.id, { status: "accepted", gross: "700", due: "700", isCancelled: true, paymentDueAt: past });
    await seed(o.id, { status: "draft", gross: "300", due: "300", paymentDueAt: past });
    // 100.01 USD × 17.123456 = 1712.51683456 → 1712.516835 MXN.
    await seed(o.id, {
      status: "accepted",
      gross: "100.01",
      due: "100.01",
      currencyCode: "USD",
      exchangeRate: "17.123456",
      paymentDueAt: past,
    });
  });

  it("amountDue, amountPastDue, amountPaid: balance statuses only, never not_valid or cancelled, in MXN", async () => {
    const res = await get(owner.token, "/v1/invoices", { organization_id: o.id });
    expect(res.json).toMatchObject({
      totalCount: 7,
      totalPages: 1,
      unreadCount: 6,
      amountDue: 2947.084727,
      amountPastDue: 1712.516836,
      amountPaid: 100000010.499999,
    });
  });

  it("aggregates follow the filters", async () => {
    const res = await get(owner.token, "/v1/invoices", { organization_id: o.id, statuses: "sent" });
    expect(res.json).toMatchObject({
      totalCount: 1,
      unreadCount: 1,
      amountDue: 1234.567891,
      amountPastDue: 0,
      amountPaid: 10.5,
    });
  });

  it("balance: Σ grossPriceAmount of the same invoices", async () => {
    const res = await get(owner.token, "/v1/invoices/balance", { organization_id: o.id });
    // 0.000001 + 1245.067891 + 99999999.999999 + 1712.516835
    expect(res.json).toEqual({ grossPriceAmount: 100002957.584726 });
    const none = await get(owner.token, "/v1/invoices/balance", { provider_id: o.id });
    expect(none.json).toEqual({ grossPriceAmount: 0 });
  });
});

describe("distinct-value lists", () => {
  let o: { id: string };
  beforeAll(async () => {
    o = await createOrg(owner);
    const a = await seed(o.id, {
      paymentForm: "03",
      paymentMethod: "PPD",
      cfdiUse: "G03",
      issuerIsEntity: true,
    });
    const b = await seed(o.id, {
      paymentForm: "03",
      paymentMethod: "PUE",
      cfdiUse: "G01",
      issuerIsEntity: false,
    });
    await seed(o.id, { paymentForm: "99", paymentMethod: "PPD", cfdiUse: "G03", issuerIsEntity: true });
    await seed(outsiderOrg.id, { paymentForm: "01" });
    await seedItem(a, "50202310", "Agua");
    await seedItem(a, "50202310", "Agua otra vez", 2);
    await seedItem(b, "50202310", "Agua");
    await seedItem(b, "44121618", "Tijeras", 2);
  });

  it("each list counts the side's invoices, most used first, with SAT's text", async () => {
    const q = { organization_id: o.id };
    expect((await get(owner.token, "/v1/invoices/payment-forms", q)).json).toEqual([
      { paymentForm: "03", description: "Transferencia electrónica de fondos", count: 2 },
      { paymentForm: "99", description: "Por definir", count: 1 },
    ]);
    expect((await get(owner.token, "/v1/invoices/payment-methods", q)).json).toEqual([
      { paymentMethod: "PPD", description: "Pago en parcialidades o diferido", count: 2 },
      { paymentMethod: "PUE", description: "Pago en una sola exhibición", count: 1 },
    ]);
    expect((await get(owner.token, "/v1/invoices/cfdi-uses", q)).json).toEqual([
      { cfdiUse: "G03", description: "Gastos en general.", count: 2 },
      { cfdiUse: "G01", description: "Adquisición de mercancías.", count: 1 },
    ]);
    expect((await get(owner.token, "/v1/invoices/product-keys", q)).json).toEqual([
      { itemKey: "50202310", count: 2 },
      { itemKey: "44121618", count: 1 },
    ]);
    expect((await get(owner.token, "/v1/invoices/entity-types", q)).json).toEqual([
      { isEntity: true, description: "Persona moral", count: 2 },
      { isEntity: false, description: "Persona física", count: 1 },
    ]);
    expect((await get(owner.token, "/v1/invoices/payment-forms", { provider_id: o.id })).json).toEqual([]);
  });
});

describe("GET /v1/taxpayers/{rfc}/invoices (Syntage)", () => {
  let t: { id: string; taxIdentifier: string };
  let other: { id: string };
  const made: string[] = [];
  beforeAll(async () => {
    t = await createOrg(owner, { taxIdentifier: randomRfc() });
    other = await createOrg(owner);
    for (let i = 0; i < 5; i++) {
      made.push(
        await seed(t.id, {
          gross: String(100 * (i + 1)),
          createdAt: new Date(Date.UTC(2026, 0, 1 + i)).toISOString(),
          issuedAt: `2026-01-0${i + 1}T12:00:00`,
          paymentForm: i % 2 ? "03" : null,
          issuerTaxIdentifier: "EKU9003173C9",
          issuerName: "Escuela Kemper Urgate",
        }),
      );
    }
    // Issued by the taxpayer to another organization of the caller.
    made.push(
      await seed(other.id, {
        providerId: t.id,
        gross: "600",
        createdAt: "2026-01-06T00:00:00.000Z",
        issuedAt: "2026-01-06T12:00:00",
        issuerTaxIdentifier: t.taxIdentifier,
      }),
    );
  });

  const syntage = (query: Record<string, string> = {}, rfc = t.taxIdentifier) =>
    get(owner.token, `/v1/taxpayers/${rfc}/invoices`, query);
  const members = (res: { json: { "hydra:member": Array<{ id: string }> } }) =>
    res.json["hydra:member"].map((m) => m.id);

  it("is a hydra collection of both sides, newest first", async () => {
    const res = await syntage();
    expect(res.status, res.text).toBe(200);
    expect(res.json).toMatchObject({
      "@context": "/contexts/Invoice",
      "@id": `/v1/taxpayers/${t.taxIdentifier}/invoices`,
      "@type": "hydra:Collection",
      "hydra:view": { "@type": "hydra:PartialCollectionView" },
      "hydra:search": { "@type": "hydra:IriTemplate", "hydra:variableRepresentation": "BasicRepresentation" },
    });
    expect(members(res)).toEqual([...made].reverse());
    const issued = res.json["hydra:member"][0];
    expect(issued).toMatchObject({
      "@type": "Invoice",
      "@id": `/v1/invoices/${made[5]}`,
      isIssuer: true,
      isReceiver: false,
      status: "VIGENTE",
      total: 600,
    });
    expect(res.json["hydra:member"][1]).toMatchObject({ isIssuer: false, isReceiver: true, total: 500 });
    expect(res.json["hydra:search"]["hydra:mapping"]).toContainEqual({
      "@type": "IriTemplateMapping",
      variable: "issuedAt[before]",
      property: "issuedAt",
      required: false,
    });
  });

  it("isIssuer / isReceiver choose the side", async () => {
    expect(members(await syntage({ isIssuer: "true" }))).toEqual([made[5]]);
    expect(members(await syntage({ isReceiver: "true" }))).toEqual(made.slice(0, 5).reverse());
    expect(members(await syntage({ isReceiver: "false" }))).toEqual([made[5]]);
  });

  it("walks next pages with id[lt] and back with id[gt]", async () => {
    const pages: string[][] = [];
    let res = await syntage({ itemsPerPage: "2" });
    expect(res.json["hydra:view"]["hydra:previous"]).toBeUndefined();
    pages.push(members(res));
    while (res.json["hydra:view"]["hydra:next"]) {
      expect(res.json["hydra:view"]["hydra:next"]).toContain("itemsPerPage=2");
      res = await call("GET", res.json["hydra:view"]["hydra:next"], { token: owner.token });
      expect(res.status, res.text).toBe(200);
      pages.push(members(res));
    }
    const newestFirst = [...made].reverse();
    expect(pages).toEqual([newestFirst.slice(0, 2), newestFirst.slice(2, 4), newestFirst.slice(4, 6)]);
    const back: string[][] = [];
    while (res.json["hydra:view"]["hydra:previous"]) {
      res = await call("GET", res.json["hydra:view"]["hydra:previous"], { token: owner.token });
      back.push(members(res));
    }
    expect(back).toEqual([newestFirst.slice(2, 4), newestFirst.slice(0, 2)]);
    expect(res.json["hydra:view"]["hydra:next"]).toContain(encodeURIComponent("id[lt]"));
  });

  it("equal createdAt still pages one by one without repeats", async () => {
    const s = await createOrg(owner, { taxIdentifier: randomRfc() });
    const same = [];
    for (let i = 0; i < 3; i++) same.push(await seed(s.id, { createdAt: "2026-05-05T05:05:05.000Z" }));
    const seen: string[] = [];
    let res = await syntage({ itemsPerPage: "1" }, s.taxIdentifier);
    seen.push(...members(res));
    while (res.json["hydra:view"]["hydra:next"]) {
      res = await call("GET", res.json["hydra:view"]["hydra:next"], { token: owner.token });
      seen.push(...members(res));
    }
    expect(seen.sort()).toEqual(same.sort());
  });

  it("filters: exact, partial, dates, amounts, exists, order", async () => {
    expect(members(await syntage({ "total[between]": "200..400" }))).toEqual([made[3], made[2], made[1]]);
    expect(members(await syntage({ "total[gt]": "500" }))).toEqual([made[5]]);
    expect(members(await syntage({ "total[lte]": "100" }))).toEqual([made[0]]);
    expect(members(await syntage({ "issuedAt[strictly_after]": "2026-01-04T12:00:00" }))).toEqual([
      made[5],
      made[4],
    ]);
    expect(
      members(
        await syntage({
          "issuedAt[after]": "2026-01-04T12:00:00",
          "issuedAt[before]": "2026-01-04T12:00:00",
        }),
      ),
    ).toEqual([made[3]]);
    expect(members(await syntage({ "exists[paymentMethod]": "true" }))).toEqual([made[3], made[1]]);
    expect(members(await syntage({ paymentMethod: "03" }))).toEqual([made[3], made[1]]);
    expect(members(await syntage({ "issuer.name": "kemper", isReceiver: "true" })).length).toBe(5);
    expect(members(await syntage({ "issuer.blacklistStatus": "definitive" }))).toEqual([]);
    expect(members(await syntage({ "order[amount]": "asc" }))).toEqual(made);
    expect(members(await syntage({ status: "CANCELADO" }))).toEqual([]);
  });

  it("cursor pages follow a custom order too", async () => {
    const first = await syntage({ "order[amount]": "asc", itemsPerPage: "4" });
    expect(members(first)).toEqual(made.slice(0, 4));
    const next = await call("GET", first.json["hydra:view"]["hydra:next"], { token: owner.token });
    expect(members(next)).toEqual(made.slice(4));
  });

  it("an RFC without an organization of the caller → 404; bad cursors → 400", async () => {
    expect((await get(outsider.token, `/v1/taxpayers/${t.taxIdentifier}/invoices`)).status).toBe(404);
    expect((await syntage({}, "XAXX010101000")).status).toBe(404);
    expect((await syntage({}, "not-an-rfc")).status).toBe(404);
    const foreignId = await seed(outsiderOrg.id);
    expect((await syntage({ "id[lt]": foreignId })).json.error).toBe("invalid_cursor");
    expect((await syntage({ "id[lt]": made[0]!, "id[gt]": made[1]! })).json.error).toBe(
      "conflicting_cursors",
    );
    for (const query of <Record<string, string>[]>[
      { itemsPerPage: "0" },
      { itemsPerPage: "1001" },
      { "total[between]": "1..x" },
      { "order[uuid]": "asc" },
    ]) {
      expect((await syntage(query)).json.error, JSON.stringify(query)).toBe("validation_failed");
    }
    expect((await syntage({ itemsPerPage: "1000" })).status).toBe(200);
  });
});

describe("GET /v1/api/invoices (Contafy)", () => {
  let p: { id: string; taxIdentifier: string };
  const made: Record<string, string> = {};
  beforeAll(async () => {
    p = await createOrg(owner, { taxIdentifier: randomRfc(), taxRegimes: ["601"] });
    made.ppd = await seed(p.id, {
      gross: "5800",
      due: "5800",
      paymentMethod: "PPD",
      cfdiType: "I",
      issuedAt: "2025-12-10T10:00:00",
      issuerTaxIdentifier: "EKU9003173C9",
      issuerName: "ESCUELA KEMPER URGATE",
      issuerTaxRegime: "612",
      recipientTaxIdentifier: p.taxIdentifier,
      recipientTaxRegime: "601",
    });
    made.pue = await seed(p.id, {
      gross: "1160",
      due: "0",
      paid: "1160",
      status: "paid",
      paymentMethod: "PUE",
      cfdiType: "I",
      issuedAt: "2026-01-20T10:00:00",
      issuerTaxIdentifier: "XIQB891116QE4",
      issuerTaxRegime: "601",
      recipientTaxIdentifier: p.taxIdentifier,
      recipientTaxRegime: "601",
    });
    made.bad = await seed(p.id, {
      status: "not_valid",
      validationErrors: [
        { code: "sello_invalid", message: "El sello no corresponde", source: "verification" },
      ],
      issuedAt: "2026-01-05T10:00:00",
      recipientTaxIdentifier: "AAA010101AAA",
    });
    await seedItem(made.ppd!, "84111506", "Servicios de facturación");
    await seedTax(made.ppd!, "002", "0.160000");
  });

  const contafy = (query: Record<string, string>) => get(owner.token, "/v1/api/invoices", query);

  it("rows in seed 002's shape with estadoPago and validacion, newest fecha first", async () => {
    const res = await contafy({ profileId: p.id });
    expect(res.status, res.text).toBe(200);
    expect(res.json.pagination).toEqual({ total: 3, page: 1, limit: 50, totalPages: 1 });
    expect(res.json.data.map((r: { id: string }) => r.id)).toEqual([made.pue, made.bad, made.ppd]);
    const [pue, bad, ppd] = res.json.data;
    expect(ppd).toMatchObject({
      profile_id: p.id,
      fecha: "2025-12-10T10:00:00",
      mes: 12,
      año: 2025,
      total: 5800,
      tipo: "PPD",
      iva: 16,
      iva_amount: 16,
      rfc_emisor: "EKU9003173C9",
      regimen_fiscal_emisor: "612",
      concepto: "Servicios de facturación",
      pagos: [],
      complemento_pago: null,
      profile: { id: p.id, rfc: p.taxIdentifier },
      estadoPago: {
        estado: "NO_PAGADO",
        totalFactura: 5800,
        totalPagado: 0,
        saldoPendiente: 5800,
        porcentajePagado: 0,
      },
      validacion: {
        rfcVerificado: true,
        regimenFiscalVerificado: true,
        uuidDuplicado: false,
        errores: [],
        valido: true,
      },
    });
    expect(pue.estadoPago).toMatchObject({
      estado: "PAGADO",
      porcentajePagado: 100,
      completamentePagado: true,
    });
    expect(bad.validacion).toMatchObject({
      valido: false,
      errores: ["El sello no corresponde"],
      rfcVerificado: false,
    });
  });

  it("mes, año (a%C3%B1o), tipo, regimen_fiscal, search", async () => {
    const list = async (query: string) => {
      const res = await call("GET", `/v1/api/invoices?profileId=${p.id}&${query}`, { token: owner.token });
      expect(res.status, res.text).toBe(200);
      return res.json.data.map((r: { id: string }) => r.id).sort();
    };
    expect(await list("mes=1&a%C3%B1o=2026")).toEqual([made.pue, made.bad].sort());
    expect(await list("a%C3%B1o=2025")).toEqual([made.ppd]);
    expect(await list("mes=12")).toEqual([made.ppd]);
    expect(await list("tipo=PUE")).toEqual([made.pue]);
    expect(await list("tipo=COMPLEMENTO_PAGO")).toEqual([]);
    expect(await list("regimen_fiscal=612")).toEqual([made.ppd]);
    expect(await list("search=kemper")).toEqual([made.ppd]);
    expect(await list("search=xiqb")).toEqual([made.pue]);
    expect(await list("search=FACTURACI")).toEqual([made.ppd]);
    expect(await list("search=")).toEqual(Object.values(made).sort());
  });

  it("limit: 1..100, larger values capped; page past the end is empty", async () => {
    const capped = await contafy({ profileId: p.id, limit: "500" });
    expect(capped.json.pagination).toEqual({ total: 3, page: 1, limit: 100, totalPages: 1 });
    const paged = await contafy({ profileId: p.id, limit: "2", page: "2" });
    expect(paged.json.pagination).toEqual({ total: 3, page: 2, limit: 2, totalPages: 2 });
    expect(paged.json.data).toHaveLength(1);
    expect((await contafy({ profileId: p.id, limit: "0" })).json.error).toBe("validation_failed");
    expect((await contafy({ profileId: p.id, tipo: "EXT" })).json.error).toBe("validation_failed");
  });

  it("profileId of another user's organization → 404; without it, only the caller's profiles", async () => {
    expect((await get(outsider.token, "/v1/api/invoices", { profileId: p.id })).status).toBe(404);
    const mine = await get(outsider.token, "/v1/api/invoices");
    expect(mine.status).toBe(200);
    expect(mine.json.data.every((r: { profile_id: string }) => r.profile_id === outsiderOrg.id)).toBe(true);
    expect(mine.text).not.toContain(made.ppd);
    const everyProfile = await get(owner.token, "/v1/api/invoices", { limit: "100" });
    expect(everyProfile.json.data.map((r: { id: string }) => r.id)).toEqual(
      expect.arrayContaining(Object.values(made)),
    );
  });
});

describe("the three listings agree on uploaded fixtures, and nobody else sees them", () => {
  const FIXTURES = [
    "40/generated/generated-egreso-nota-credito-relacion01-signed.xml",
    "40/real-ingreso-CSM190311AH6-2022-stamped.xml",
    "40/test-ingreso-EKU-descuento-stamped-finkok-demo.xml",
  ];
  let user: TestUser;
  let receiver: { id: string; taxIdentifier: string };
  const uploaded: Record<string, string> = {};

  beforeAll(async () => {
    user = await signUp("fixtures");
    const first = parseCfdi(cfdiFixture(FIXTURES[0]!));
    receiver = await createOrgWithRfc(user, first.Receptor.Rfc, first.Receptor.RegimenFiscalReceptor);
    for (const path of FIXTURES) {
      const res = await uploadInvoice(user.token, { organizationId: receiver.id }, cfdiFixture(path));
      expect(res.status, res.text).toBe(201);
      uploaded[path] = res.json.invoice.id;
    }
  });

  const tatem = async (query: Record<string, string> = {}) =>
    ids(
      (await get(user.token, "/v1/invoices", { organization_id: receiver.id, limit: "100", ...query })).json
        .data,
    );
  const syntage = async (query: Record<string, string> = {}) =>
    ids(
      (await get(user.token, `/v1/taxpayers/${receiver.taxIdentifier}/invoices`, query)).json["hydra:member"],
    );
  const contafy = async (query: Record<string, string> = {}) =>
    ids((await get(user.token, "/v1/api/invoices", { profileId: receiver.id, ...query })).json.data);

  it("the same invoices for equivalent filters", async () => {
    const all = Object.values(uploaded).sort();
    expect(await tatem()).toEqual(all);
    expect(await syntage()).toEqual(all);
    expect(await contafy()).toEqual(all);

    const byEku = [uploaded[FIXTURES[0]!], uploaded[FIXTURES[2]!]].sort();
    expect(await tatem({ issuer_tax_identifier: "EKU9003173C9" })).toEqual(byEku);
    expect(await syntage({ "issuer.rfc": "EKU9003173C9" })).toEqual(byEku);
    expect(await contafy({ search: "EKU9003173C9" })).toEqual(byEku);

    const feb2025 = [uploaded[FIXTURES[2]!]];
    expect(await tatem({ issued_at_period: "2025-02" })).toEqual(feb2025);
    expect(
      await syntage({ "issuedAt[after]": "2025-02-01", "issuedAt[strictly_before]": "2025-03-01" }),
    ).toEqual(feb2025);
    expect(await contafy({ mes: "2", año: "2025" })).toEqual(feb2025);

    const egreso = [uploaded[FIXTURES[0]!]];
    expect(await syntage({ type: "E" })).toEqual(egreso);
    const total = parseCfdi(cfdiFixture(FIXTURES[0]!)).Total;
    expect(await tatem({ minimun_gross_price_amount: total, maximun_gross_price_amount: total })).toEqual(
      egreso,
    );
    expect(await syntage({ "total[between]": `${total}..${total}` })).toEqual(egreso);
  });

  it("the aggregates add up the listed rows exactly", async () => {
    const res = await get(user.token, "/v1/invoices", { organization_id: receiver.id });
    const counted = res.json.data.filter(
      (r: { status: string; isCancelled: boolean }) =>
        ["sent", "accepted", "paid", "completed"].includes(r.status) && !r.isCancelled,
    );
    const cents = (key: "dueAmount" | "paidAmount") =>
      counted.reduce((s: number, r: Record<string, number>) => s + Math.round(r[key]! * 100), 0) / 100;
    expect(res.json.amountDue).toBe(cents("dueAmount"));
    expect(res.json.amountPaid).toBe(cents("paidAmount"));
    expect(res.json.totalCount).toBe(3);
  });

  it("another organization sees none of them: empty lists, 404 on ids and on the receiver", async () => {
    const stranger = await signUp("stranger");
    const own = await createOrg(stranger);
    for (const [path, query] of [
      ["/v1/invoices", { organization_id: own.id }],
      ["/v1/invoices", { provider_id: own.id }],
      [`/v1/taxpayers/${own.taxIdentifier}/invoices`, {}],
      ["/v1/api/invoices", {}],
    ] as const) {
      const res = await get(stranger.token, path, query);
      expect(res.status, path).toBe(200);
      expect(res.json.data ?? res.json["hydra:member"], path).toEqual([]);
    }
    for (const id of Object.values(uploaded)) {
      expect((await get(stranger.token, `/v1/invoices/${id}`)).status).toBe(404);
    }
    expect((await get(stranger.token, "/v1/invoices", { organization_id: receiver.id })).status).toBe(404);
    expect((await get(stranger.token, `/v1/taxpayers/${receiver.taxIdentifier}/invoices`)).status).toBe(404);
    expect((await get(stranger.token, "/v1/api/invoices", { profileId: receiver.id })).status).toBe(404);
  });
});
