// The invoice rollups (kept by triggers) against the invoices they count: after inserts, every kind of
// update a user can cause, and deletes, the aggregates read from the rollups equal the aggregates read
// from the invoices, on both sides, for every filter the rollups answer.
import { sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { inbox, makeIssuers, prng, seedInvoices } from "../../../bench/inbox-seed";
import {
  grossPriceBalance,
  invoiceAggregates,
  selectInvoicePage,
  sideTenant,
  type Tenant,
} from "../../../db/invoice-queries";
import { invoiceItems } from "../../../db/schema";
import type { InvoiceCondition, Side } from "../../../shared/invoices/filters/model";
import { type LibsqlHarness, openLibsql } from "./libsql";

const NOW = Date.parse("2026-06-15T18:00:00.000Z");
const ORG = "0b6f3a52-6a1d-4c53-9d8e-3d2c1b0a0aaa";
const OTHER = "0b6f3a52-6a1d-4c53-9d8e-3d2c1b0a0bbb";
const PROVIDER = "0b6f3a52-6a1d-4c53-9d8e-3d2c1b0a0ccc";

/** Always true, but not a rollup key: forces the aggregates to read the invoices. */
const READ_INVOICES: InvoiceCondition = { op: "exists", field: "id", present: true };

const FILTERS: Record<string, (side: Side) => InvoiceCondition[]> = {
  none: () => [],
  "not archived": (side) => [
    {
      op: "exists",
      field: side === "organization" ? "archivedByOrganizationAt" : "archivedByProviderAt",
      present: false,
    },
  ],
  archived: (side) => [
    {
      op: "exists",
      field: side === "organization" ? "archivedByOrganizationAt" : "archivedByProviderAt",
      present: true,
    },
  ],
  accepted: () => [{ op: "eq", field: "status", value: "accepted" }],
  "sent or paid, PPD": () => [
    { op: "in", field: "status", values: ["sent", "paid"] },
    { op: "eq", field: "paymentMethod", value: "PPD" },
  ],
  "one product key": () => [{ op: "item", where: [{ op: "eq", field: "itemKey", value: "15101505" }] }],
  "one product key, accepted, not archived": (side) => [
    { op: "item", where: [{ op: "in", field: "itemKey", values: ["43211503"] }] },
    { op: "eq", field: "status", value: "accepted" },
    {
      op: "exists",
      field: side === "organization" ? "archivedByOrganizationAt" : "archivedByProviderAt",
      present: false,
    },
  ],
  "cancelled or PUE": () => [
    {
      op: "any",
      of: [
        { op: "eq", field: "isCancelled", value: true },
        { op: "eq", field: "paymentMethod", value: "PUE" },
      ],
    },
  ],
};

let h: LibsqlHarness;
const run = (statement: ReturnType<typeof sql>) => h.db.run(statement);

async function expectSameTotals(tenant: Tenant, side: Side) {
  for (const [name, filter] of Object.entries(FILTERS)) {
    for (const now of [new Date(NOW), new Date(NOW - 200 * 86_400_000)]) {
      const conditions = filter(side);
      const fromRollups = await invoiceAggregates(h.db, tenant, conditions, now);
      const fromInvoices = await invoiceAggregates(h.db, tenant, [...conditions, READ_INVOICES], now);
      expect({ name, ...fromRollups }).toEqual({ name, ...fromInvoices });
    }
    const conditions = filter(side);
    expect(await grossPriceBalance(h.db, tenant, conditions)).toBe(
      await grossPriceBalance(h.db, tenant, [...conditions, READ_INVOICES]),
    );
  }
}

/** What the rollups would hold if recomputed from scratch (as the migration's backfill does). */
async function rollupDrift() {
  const expected = sql`select tenant_id, side, archived, status_code, is_cancelled, payment_method, currency_code,
      exchange_rate, due_at, sum(n) invoices, sum(u) unread, sum(du) due_units, sum(dr) due_rest, sum(pu) paid_units,
      sum(pr) paid_rest, sum(gu) gross_units, sum(gr) gross_rest
    from (
      select organization_id tenant_id, 'organization' side, archived_by_organization_at is not null archived,
        status_code, is_cancelled, coalesce(payment_method, '') payment_method,
        case when currency_code <> 'MXN' and exchange_rate is not null then currency_code else '' end currency_code,
        case when currency_code <> 'MXN' and exchange_rate is not null then exchange_rate else '' end exchange_rate,
        case when due_micros <> 0 and payment_due_at is not null then substr(payment_due_at, 1, 10) else '' end due_at,
        1 n, is_read = 0 u, due_micros / 1000000 du, due_micros % 1000000 dr, paid_micros / 1000000 pu,
        paid_micros % 1000000 pr, gross_price_micros / 1000000 gu, gross_price_micros % 1000000 gr
      from invoices where organization_id is not null
      union all
      select provider_id, 'provider', archived_by_provider_at is not null, status_code, is_cancelled,
        coalesce(payment_method, ''),
        case when currency_code <> 'MXN' and exchange_rate is not null then currency_code else '' end,
        case when currency_code <> 'MXN' and exchange_rate is not null then exchange_rate else '' end,
        case when due_micros <> 0 and payment_due_at is not null then substr(payment_due_at, 1, 10) else '' end,
        1, is_read = 0, due_micros / 1000000, due_micros % 1000000, paid_micros / 1000000,
        paid_micros % 1000000, gross_price_micros / 1000000, gross_price_micros % 1000000
      from invoices where provider_id is not null
    ) group by 1, 2, 3, 4, 5, 6, 7, 8, 9`;
  const missing = await h.db.all(sql`${expected} except select * from invoice_rollups`);
  const extra = await h.db.all(sql`select * from invoice_rollups except ${expected}`);
  const expectedItems = sql`select tenant_id, side, k.item_key, archived, status_code, is_cancelled, payment_method,
      currency_code, exchange_rate, due_at, sum(invoices), sum(unread), sum(due_units), sum(due_rest),
      sum(paid_units), sum(paid_rest), sum(gross_units), sum(gross_rest)
    from (select distinct invoice_id, item_key from invoice_items where item_key is not null) k
    join (select id, organization_id tenant_id, 'organization' side, archived_by_organization_at is not null archived,
        status_code, is_cancelled, coalesce(payment_method, '') payment_method,
        case when currency_code <> 'MXN' and exchange_rate is not null then currency_code else '' end currency_code,
        case when currency_code <> 'MXN' and exchange_rate is not null then exchange_rate else '' end exchange_rate,
        case when due_micros <> 0 and payment_due_at is not null then substr(payment_due_at, 1, 10) else '' end due_at,
        1 invoices, is_read = 0 unread, due_micros / 1000000 due_units, due_micros % 1000000 due_rest,
        paid_micros / 1000000 paid_units, paid_micros % 1000000 paid_rest, gross_price_micros / 1000000 gross_units,
        gross_price_micros % 1000000 gross_rest
      from invoices where organization_id is not null
      union all
      select id, provider_id, 'provider', archived_by_provider_at is not null, status_code, is_cancelled,
        coalesce(payment_method, ''),
        case when currency_code <> 'MXN' and exchange_rate is not null then currency_code else '' end,
        case when currency_code <> 'MXN' and exchange_rate is not null then exchange_rate else '' end,
        case when due_micros <> 0 and payment_due_at is not null then substr(payment_due_at, 1, 10) else '' end,
        1, is_read = 0, due_micros / 1000000, due_micros % 1000000, paid_micros / 1000000,
        paid_micros % 1000000, gross_price_micros / 1000000, gross_price_micros % 1000000
      from invoices where provider_id is not null) i on i.id = k.invoice_id
    group by 1, 2, 3, 4, 5, 6, 7, 8, 9, 10`;
  const missingItems = await h.db.all(sql`${expectedItems} except select * from invoice_item_rollups`);
  const extraItems = await h.db.all(sql`select * from invoice_item_rollups except ${expectedItems}`);
  return {
    missing: missing.length,
    extra: extra.length,
    missingItems: missingItems.length,
    extraItems: extraItems.length,
  };
}

const NO_DRIFT = { missing: 0, extra: 0, missingItems: 0, extraItems: 0 };

beforeAll(async () => {
  h = await openLibsql();
  const r = prng(7);
  const issuers = makeIssuers(r, 40);
  await seedInvoices(h.db, r, inbox(r, ORG, { rfc: "MCI7306249Y1", name: "Municipio" }, issuers), 1500, NOW);
  await seedInvoices(h.db, r, inbox(r, OTHER, { rfc: "EKU9003173C9", name: "Escuela" }, issuers), 300, NOW);
}, 60_000);
afterAll(() => h.close());

describe("invoice rollups", () => {
  it("count every inserted invoice once per side", async () => {
    expect(await rollupDrift()).toEqual(NO_DRIFT);
    const [row] = await h.db.all<{ n: number }>(
      sql`select sum(invoices) n from invoice_rollups where tenant_id = ${ORG}`,
    );
    expect(Number(row!.n)).toBe(1500);
    await expectSameTotals(sideTenant(ORG, "organization"), "organization");
  });

  it("follow updates: issuer linked, status, archive, read, payments, due dates, cancellation", async () => {
    await run(sql`update invoices set provider_id = ${PROVIDER} where rowid % 3 = 0`);
    await run(
      sql`update invoices set status_code = 20, status = 'accepted' where rowid % 7 = 1 and status_code = 10`,
    );
    await run(
      sql`update invoices set archived_by_organization_at = '2026-06-01T00:00:00.000Z' where rowid % 11 = 2`,
    );
    await run(
      sql`update invoices set archived_by_provider_at = '2026-06-02T00:00:00.000Z' where rowid % 13 = 3`,
    );
    await run(sql`update invoices set is_read = 1 - is_read where rowid % 5 = 4`);
    await run(sql`update invoices set paid_micros = paid_micros + due_micros / 2, due_micros = due_micros - due_micros / 2
      where due_micros > 0 and rowid % 2 = 0`);
    await run(sql`update invoices set payment_due_at = '2026-01-01T00:00:00.000Z' where rowid % 17 = 5`);
    // Due on the day of NOW (18:00Z): hours before it are past due, hours after it are not yet.
    await run(
      sql`update invoices set payment_due_at = '2026-06-15T10:00:00.000Z' where due_micros > 0 and rowid % 7 = 3`,
    );
    await run(
      sql`update invoices set payment_due_at = '2026-06-15T20:00:00.000Z' where due_micros > 0 and rowid % 7 = 4`,
    );
    await run(sql`update invoices set is_cancelled = 1 where rowid % 19 = 6`);
    await run(sql`update invoices set payment_method = null where rowid % 23 = 7`);
    await run(
      sql`update invoices set currency_code = 'USD', exchange_rate = '17.254300' where rowid % 29 = 8`,
    );
    expect(await rollupDrift()).toEqual(NO_DRIFT);
    await expectSameTotals(sideTenant(ORG, "organization"), "organization");
    await expectSameTotals(sideTenant(PROVIDER, "provider"), "provider");
  });

  it("follow concepts: a key added, a duplicate key, a key changed, the last concept of a key removed", async () => {
    const [first] = await h.db.all<{ id: string }>(
      sql`select id from invoices where organization_id = ${ORG} limit 1`,
    );
    const [template] = await h.db.select().from(invoiceItems).limit(1);
    const add = (itemKey: string, position: number) =>
      h.db
        .insert(invoiceItems)
        .values({ ...template!, id: crypto.randomUUID(), invoiceId: first!.id, position, itemKey });
    await add("15101505", 90);
    await add("15101505", 91);
    await add("78101802", 92);
    expect(await rollupDrift()).toEqual(NO_DRIFT);
    await run(
      sql`update invoice_items set item_key = '43211503' where invoice_id = ${first!.id} and position = 92`,
    );
    await run(sql`update invoice_items set item_key = null where rowid % 9 = 0`);
    expect(await rollupDrift()).toEqual(NO_DRIFT);
    await run(sql`delete from invoice_items where invoice_id = ${first!.id} and position >= 90`);
    await run(sql`delete from invoice_items where rowid % 10 = 3`);
    expect(await rollupDrift()).toEqual(NO_DRIFT);
    await expectSameTotals(sideTenant(ORG, "organization"), "organization");
  });

  it("follow deletes (an invoice before or after its concepts) and leave no empty rows behind", async () => {
    await run(
      sql`delete from invoice_items where invoice_id in (select id from invoices where rowid % 8 = 1)`,
    );
    await run(sql`delete from invoices where rowid % 4 = 1`);
    expect(await rollupDrift()).toEqual(NO_DRIFT);
    const [empty] = await h.db.all<{ n: number }>(
      sql`select count(*) n from invoice_rollups where invoices = 0`,
    );
    expect(Number(empty!.n)).toBe(0);
    await expectSameTotals(sideTenant(ORG, "organization"), "organization");
    await expectSameTotals(sideTenant(PROVIDER, "provider"), "provider");
  });

  it("are not used for filters they cannot answer, which still give the invoices' numbers", async () => {
    const tenant = sideTenant(ORG, "organization");
    const byIssuer: InvoiceCondition[] = [{ op: "eq", field: "issuerTaxIdentifier", value: "NOPE010101AAA" }];
    expect(await invoiceAggregates(h.db, tenant, byIssuer, new Date(NOW))).toEqual({
      totalCount: 0,
      unreadCount: 0,
      amountDue: "0",
      amountPastDue: "0",
      amountPaid: "0",
    });
  });
});

describe("pages filtered by product key", () => {
  it("are the same whether the invoices are walked in index order or found by key", async () => {
    const tenant = sideTenant(ORG, "organization");
    const byKey: InvoiceCondition[] = [
      { op: "item", where: [{ op: "eq", field: "itemKey", value: "15101505" }] },
    ];
    for (const sort of [[], [{ field: "createdAt", direction: "desc" }]] as const) {
      for (const page of [1, 2, 7]) {
        const found = await selectInvoicePage(
          h.db,
          tenant,
          byKey,
          sort,
          { page, limit: 10 },
          { walk: false },
        );
        const walked = await selectInvoicePage(
          h.db,
          tenant,
          byKey,
          sort,
          { page, limit: 10 },
          { walk: true },
        );
        expect(found.length).toBe(10);
        expect(walked.map((r) => r.id)).toEqual(found.map((r) => r.id));
      }
    }
  });
});
