// db/invoice-queries on embedded libSQL: the ten most common Tatem listings are served by indexes
// (EXPLAIN QUERY PLAN of every statement they run), tenant scopes, null-aware keysets, long tenant
// lists, and sums that neither overflow nor round.
import { sql } from "drizzle-orm";
import { drizzle } from "drizzle-orm/libsql";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Db } from "../../../db/client";
import {
  completeOrder,
  grossPriceBalance,
  invoiceAggregates,
  selectInvoicePage,
  selectInvoicesByCursor,
  type Tenant,
} from "../../../db/invoice-queries";
import * as schema from "../../../db/schema";
import { invoiceItems, invoices, invoiceTaxes } from "../../../db/schema";
import { syntageList, syntageQuery } from "../../../shared/invoices/filters/syntage";
import { tatemList, tatemListQuery } from "../../../shared/invoices/filters/tatem";
import { INVOICE_STATUSES, STATUS_CODES } from "../../../shared/invoices/status";
import { type LibsqlHarness, openLibsql } from "../db/libsql";

const ORG = "0b0e3c4a-1111-4111-8111-000000000001";
const PROVIDER = "0b0e3c4a-2222-4222-8222-000000000002";
const OTHER = "0b0e3c4a-3333-4333-8333-000000000003";
const BIG = "0b0e3c4a-4444-4444-8444-000000000004";
const RFCS = Array.from(
  { length: 40 },
  (_, i) => `AB${String.fromCharCode(65 + (i % 26))}9001${String(10 + i)}XY1`,
);

/**
 * The ten most common Tatem listings of a receiver's inbox, as a UI sends them (organization_id is
 * added), each with the index that must give its page.
 */
const COMMON_TATEM_LISTINGS: Array<[string, Record<string, string>, string]> = [
  ["default: statusCode asc", {}, "invoices_org_status_idx"],
  ["newest first", { sort: "createdAt", order: "desc" }, "invoices_org_created_idx"],
  ["accepted by due date", { statuses: "accepted", sort: "paymentDueAt" }, "invoices_org_totals_idx"],
  ["sent, to review", { statuses: "sent" }, "invoices_org_status_idx"],
  ["issued this month", { issued_at_current_period: "true" }, "invoices_org_issued_idx"],
  [
    "stamped in a range, newest first",
    { stamped_at_from: "2024-02-01", stamped_at_to: "2024-02-28", sort: "stampedAt", order: "desc" },
    "invoices_org_stamped_idx",
  ],
  ["one issuer", { issuer_tax_identifier: RFCS[5]! }, "invoices_org_issuer_idx"],
  ["one uuid", { uuid: "6F1C0B2A-1D2E-4F3A-9B8C-7D6E5F4A3B2C" }, "invoices_org_uuid_uq"],
  ["largest first", { sort: "grossPriceAmount", order: "desc" }, "invoices_org_gross_idx"],
  [
    "amount range",
    { minimun_gross_price_amount: "5000", maximun_gross_price_amount: "6000" },
    "invoices_org_gross_idx",
  ],
];

let h: LibsqlHarness;
let db: Db;
const statements: Array<{ sql: string; params: unknown[] }> = [];

function row(i: number, over: Partial<typeof invoices.$inferInsert> = {}) {
  const status = INVOICE_STATUSES[i % INVOICE_STATUSES.length]!;
  const at = new Date(Date.UTC(2024, 0, 1) + i * 3_600_000).toISOString();
  const gross = 1000 + ((i * 7919) % 9000);
  return {
    id: crypto.randomUUID(),
    organizationId: ORG,
    status,
    statusCode: STATUS_CODES[status],
    uuid: crypto.randomUUID().toUpperCase(),
    netPriceAmount: String(gross),
    grossPriceAmount: String(gross),
    grossPriceMicros: gross * 1_000_000,
    netPriceMicros: gross * 1_000_000,
    dueAmount: String(gross),
    dueMicros: gross * 1_000_000,
    issuerTaxIdentifier: RFCS[i % RFCS.length]!,
    issuedAt: at.slice(0, 19),
    stampedAt: at.slice(0, 19),
    paymentDueAt: new Date(Date.parse(at) + 30 * 86_400_000).toISOString(),
    source: "upload" as const,
    createdAt: at,
    updatedAt: at,
    ...over,
  };
}

async function insert(rows: Array<typeof invoices.$inferInsert>) {
  for (let i = 0; i < rows.length; i += 20) await db.insert(invoices).values(rows.slice(i, i + 20));
}

beforeAll(async () => {
  h = await openLibsql();
  const client = (h.db as unknown as { $client: Parameters<typeof drizzle>[0] }).$client;
  db = drizzle(client as never, {
    schema,
    logger: { logQuery: (sql, params) => statements.push({ sql, params }) },
  }) as unknown as Db;
  const rows = Array.from({ length: 3000 }, (_, i) =>
    row(i, {
      ...(i % 10 === 0 ? { organizationId: null, providerId: ORG } : {}),
      // A quarter of one issuer's invoices are cancelled, on three dates (keyset pages over nulls).
      ...(i % 160 === 3 ? { cancelledAt: `2024-0${1 + (i % 3)}-01T00:00:00.000Z` } : {}),
    }),
  );
  rows.push(
    ...Array.from({ length: 500 }, (_, i) => row(i, { organizationId: OTHER, providerId: PROVIDER })),
  );
  await insert(rows);
  await db.insert(invoiceItems).values(
    rows.slice(0, 50).map((r, i) => ({
      id: crypto.randomUUID(),
      invoiceId: r.id,
      position: 1,
      itemKey: String(50_000_000 + (i % 5)),
      quantity: "1",
      description: "Servicio",
      netUnitPriceAmount: "1",
      netPriceAmount: "1",
      grossPriceAmount: "1",
      createdAt: r.createdAt,
      updatedAt: r.createdAt,
    })),
  );
  await db.insert(invoiceTaxes).values(
    rows.slice(0, 50).map((r) => ({
      id: crypto.randomUUID(),
      invoiceId: r.id,
      taxId: "002",
      code: "IVA",
      isWithholding: false,
      factor: "Tasa" as const,
      rate: "0.160000",
      createdAt: r.createdAt,
      updatedAt: r.createdAt,
    })),
  );
  // 1,100 invoices of 9,000,000,000.000001 each: 9.9 × 10^18 millionths, past SQLite's 64-bit integers.
  const amount = "9000000000.000001";
  await insert(
    Array.from({ length: 1100 }, (_, i) =>
      row(i, {
        organizationId: BIG,
        status: "accepted",
        statusCode: STATUS_CODES.accepted,
        grossPriceAmount: amount,
        grossPriceMicros: 9_000_000_000_000_001,
        dueAmount: amount,
        dueMicros: 9_000_000_000_000_001,
      }),
    ),
  );
  // Every write happens before the reads: libSQL's Node client pools connections, and a write after
  // concurrent reads can find the database locked. D1 gathers the planner's statistics with PRAGMA optimize; without them every index on
  // organization_id looks equally selective.
  await db.run(sql`ANALYZE`);
}, 60_000);
afterAll(() => h.close());

type Client = { execute(q: { sql: string; args: unknown[] }): Promise<{ rows: Array<{ detail: unknown }> }> };

async function plan({ sql, params }: { sql: string; params: unknown[] }): Promise<string[]> {
  const client = (h.db as unknown as { $client: Client }).$client;
  const result = await client.execute({ sql: `EXPLAIN QUERY PLAN ${sql}`, args: params });
  return result.rows.map((r) => String(r.detail));
}

const NOW = new Date("2024-03-15T12:00:00Z");
const receiver: Tenant = { organizationIds: [ORG], scope: { organization: true } };

describe("the ten most common Tatem listings are served by indexes", () => {
  it.each(COMMON_TATEM_LISTINGS)("%s", async (_name, query, pageIndex) => {
    const { query: q } = tatemList(tatemListQuery.parse({ organization_id: ORG, ...query }), NOW);
    statements.length = 0;
    await selectInvoicePage(
      db,
      receiver,
      q.conditions,
      q.sort,
      q.pagination as { page: number; limit: number },
    );
    const [page] = statements.splice(0);
    await invoiceAggregates(db, receiver, q.conditions, NOW);
    expect((await plan(page!)).join("\n")).toMatch(new RegExp(`USING (COVERING )?INDEX ${pageIndex} `));
    // Counts and sums: from the rollups (plus the invoices due earlier today) when the filters name only
    // rollup keys, else one pass over the invoices. Every access to invoices or rollups goes through an
    // index; none reads a whole table.
    const onRollups = statements.filter((s) => /from "invoice_(item_)?rollups"/.test(s.sql));
    expect(onRollups.length).toBeLessThanOrEqual(1);
    expect(statements.length).toBe(onRollups.length + 1);
    for (const statement of statements) {
      const details = await plan(statement);
      expect(
        details.filter(
          (d) =>
            /\binvoice(_item)?_rollups\b|\binvoices\b/.test(d) &&
            !/USING (COVERING |PRIMARY KEY )?INDEX|USING INTEGER PRIMARY KEY/.test(d),
        ),
        `${statement.sql}\n${details.join("\n")}`,
      ).toEqual([]);
    }
  });
});

describe("tenant scopes", () => {
  const count = async (tenant: Tenant) => (await invoiceAggregates(db, tenant, [], NOW)).totalCount;

  it("either side by default, a required side, an excluded side, nothing for no organization", async () => {
    expect(await count({ organizationIds: [ORG], scope: { organization: true } })).toBe(2700);
    expect(await count({ organizationIds: [ORG], scope: { provider: true } })).toBe(300);
    expect(await count({ organizationIds: [ORG], scope: {} })).toBe(3000);
    expect(await count({ organizationIds: [ORG], scope: { provider: false } })).toBe(2700);
    expect(await count({ organizationIds: [ORG], scope: { organization: false, provider: false } })).toBe(0);
    expect(await count({ organizationIds: [], scope: {} })).toBe(0);
    expect(await count({ organizationIds: [PROVIDER], scope: { organization: true } })).toBe(0);
  });

  it("a long list of organizations binds one parameter and means the same", async () => {
    const many = [ORG, ...Array.from({ length: 150 }, () => crypto.randomUUID())];
    expect(await count({ organizationIds: many, scope: {} })).toBe(3000);
    expect(await count({ organizationIds: [...many, OTHER], scope: { organization: true } })).toBe(3200);
  });
});

describe("keyset pages", () => {
  it("walk a null-heavy order forwards and backwards, every row once", async () => {
    const conditions = [{ op: "eq", field: "issuerTaxIdentifier", value: RFCS[3]! }] as const;
    const some = await selectInvoicePage(db, receiver, [...conditions], [], { page: 1, limit: 100 });
    expect(some.filter((i) => i.cancelledAt !== null).length).toBeGreaterThan(10);
    const { query } = syntageList(syntageQuery.parse({ "order[canceledAt]": "desc", itemsPerPage: "7" }), [
      "order[canceledAt]",
      "itemsPerPage",
    ]);
    const pages: string[][] = [];
    let page = await selectInvoicesByCursor(db, receiver, [...conditions], query.sort, { limit: 7 });
    pages.push(page.rows.map((r) => r.id));
    while (page.hasNext) {
      page = await selectInvoicesByCursor(db, receiver, [...conditions], query.sort, {
        limit: 7,
        after: page.rows.at(-1)!.id,
      });
      pages.push(page.rows.map((r) => r.id));
    }
    const forwards = pages.flat();
    expect(new Set(forwards).size).toBe(some.length);
    expect(forwards.length).toBe(some.length);
    // Cancelled first (descending dates), then the rest (nulls last), each group by createdAt desc.
    const order = completeOrder(query.sort);
    expect(order.map((s) => s.field)).toEqual(["cancelledAt", "createdAt", "id"]);
    const backwards: string[][] = [];
    while (page.hasPrevious) {
      page = await selectInvoicesByCursor(db, receiver, [...conditions], query.sort, {
        limit: 7,
        before: page.rows[0]!.id,
      });
      backwards.unshift(page.rows.map((r) => r.id));
    }
    expect([...backwards.flat(), ...pages.at(-1)!]).toEqual(forwards);
  });
});

describe("sums", () => {
  const big: Tenant = { organizationIds: [BIG], scope: { organization: true } };

  it("split into units and remainders, add up exactly where a plain SUM overflows", async () => {
    const plain = await db
      .all(sql`select sum(${invoices.dueMicros}) from ${invoices} where ${invoices.organizationId} = ${BIG}`)
      .then(
        () => null,
        (e: Error) => e,
      );
    expect(String(plain?.cause)).toMatch(/integer overflow/);
    const aggregates = await invoiceAggregates(db, big, [], NOW);
    expect(aggregates).toMatchObject({ totalCount: 1100, amountDue: "9900000000000.0011", amountPaid: "0" });
    expect(await grossPriceBalance(db, big, [])).toBe("9900000000000.0011");
  });
});
