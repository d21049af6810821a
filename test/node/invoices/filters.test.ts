// The three listing dialects parsed into the one filter model: every rule and every 400 code.
import { describe, expect, it } from "vitest";
import type { z } from "zod";
import { AppError } from "../../../shared/errors";
import { contafyList, contafyQuery } from "../../../shared/invoices/filters/contafy";
import { syntageList, syntageQuery } from "../../../shared/invoices/filters/syntage";
import {
  tatemFilterQuery,
  tatemFilters,
  tatemList,
  tatemListQuery,
} from "../../../shared/invoices/filters/tatem";
import { Amount, SignedAmount } from "../../../shared/invoices/filters/values";

const ORG = "3f1c2b7a-9d4e-4c1a-8b2f-0e6d5c4b3a21";
const OTHER = "7a2b9c1d-3e4f-4a5b-9c6d-7e8f9a0b1c2d";
// 2026-03-10 12:00 in Mexico City (UTC-6, no daylight saving since 2022).
const NOW = new Date("2026-03-10T18:00:00.000Z");

const tatem = (query: Record<string, string>) => tatemList(tatemListQuery.parse(query), NOW);
const tatemConditions = (query: Record<string, string>) =>
  tatemFilters(tatemFilterQuery.parse({ organization_id: ORG, ...query }), NOW).conditions;
const syntage = (query: Record<string, string>) => syntageList(syntageQuery.parse(query), Object.keys(query));
const contafy = (query: Record<string, string>) => contafyList(contafyQuery.parse(query));

function code(run: () => unknown): string {
  try {
    run();
  } catch (e) {
    if (e instanceof AppError) {
      expect(e.status).toBe(400);
      return e.code;
    }
    throw e;
  }
  throw new Error("expected an AppError");
}

function invalidAt(schema: z.ZodType, query: Record<string, string>): string[] {
  const result = schema.safeParse(query);
  expect(result.success).toBe(false);
  return result.error!.issues.map((i) => i.path.join("."));
}

describe("amounts as exact millionths", () => {
  it("reads decimal text exactly, at most 6 decimals, up to the stored maximum", () => {
    expect(Amount.parse("0.1")).toBe(100_000);
    expect(Amount.parse("1234.567891")).toBe(1_234_567_891);
    expect(Amount.parse("9000000000")).toBe(9_000_000_000_000_000);
    expect(SignedAmount.parse("-3")).toBe(-3_000_000);
    for (const bad of ["1.2345678", "1e3", "", "abc", "1.", ".5", "9000000000.000001", "0x10", "-1"]) {
      expect(Amount.safeParse(bad).success, bad).toBe(false);
    }
  });
});

describe("Tatem (INV_FILTERS + INV_PAGING)", () => {
  it("needs exactly one side: organization_id or provider_id", () => {
    expect(code(() => tatem({}))).toBe("side_required");
    expect(code(() => tatem({ organization_id: ORG, provider_id: OTHER }))).toBe("side_required");
    expect(tatem({ organization_id: ORG }).tenant).toEqual({ side: "organization", organizationId: ORG });
    expect(tatem({ provider_id: ORG }).tenant).toEqual({ side: "provider", organizationId: ORG });
    expect(invalidAt(tatemListQuery, { organization_id: "zzz" })).toEqual(["organization_id"]);
  });

  it("defaults: not archived on the caller's side, statusCode asc, page 1 of 30", () => {
    const { query } = tatem({ organization_id: ORG });
    expect(query.conditions).toEqual([{ op: "exists", field: "archivedByOrganizationAt", present: false }]);
    expect(query.sort).toEqual([{ field: "statusCode", direction: "asc" }]);
    expect(query.pagination).toEqual({ kind: "offset", page: 1, limit: 30 });
    expect(tatem({ provider_id: ORG, archived: "true" }).query.conditions).toEqual([
      { op: "exists", field: "archivedByProviderAt", present: true },
    ]);
  });

  it("limit is one of 10, 30, 60, 100 and page starts at 1", () => {
    for (const limit of ["10", "30", "60", "100"]) {
      expect(tatem({ organization_id: ORG, limit }).query.pagination).toMatchObject({ limit: Number(limit) });
    }
    for (const limit of ["0", "20", "1000", "abc"]) {
      expect(invalidAt(tatemListQuery, { organization_id: ORG, limit })).toEqual(["limit"]);
    }
    expect(invalidAt(tatemListQuery, { organization_id: ORG, page: "0" })).toEqual(["page"]);
    expect(tatem({ organization_id: ORG, page: "4" }).query.pagination).toMatchObject({ page: 4 });
  });

  it("comma lists become any-of; single values equality", () => {
    const c = tatemConditions({
      statuses: "accepted, paid",
      folio_number: "A1",
      uuid: "6f1c0b2a-1d2e-4f3a-9b8c-7d6e5f4a3b2c,AAAAAAAA-BBBB-4CCC-8DDD-EEEEEEEEEEEE",
      payment_method: "PPD,PUE",
      payment_form: "03",
      cfdi_uses: "G03,G04",
      series: "F",
      issuer_tax_identifier: "eku9003173c9",
    });
    expect(c).toEqual(
      expect.arrayContaining([
        { op: "in", field: "status", values: ["accepted", "paid"] },
        { op: "eq", field: "folioNumber", value: "A1" },
        {
          op: "in",
          field: "uuid",
          values: ["6F1C0B2A-1D2E-4F3A-9B8C-7D6E5F4A3B2C", "AAAAAAAA-BBBB-4CCC-8DDD-EEEEEEEEEEEE"],
        },
        { op: "in", field: "paymentMethod", values: ["PPD", "PUE"] },
        { op: "eq", field: "paymentForm", value: "03" },
        { op: "in", field: "cfdiUse", values: ["G03", "G04"] },
        { op: "eq", field: "series", value: "F" },
        { op: "eq", field: "issuerTaxIdentifier", value: "EKU9003173C9" },
      ]),
    );
    expect(invalidAt(tatemFilterQuery, { statuses: "accepted,lost" })).toEqual(["statuses.1"]);
    expect(invalidAt(tatemFilterQuery, { payment_method: "EXI" })).toEqual(["payment_method.0"]);
    expect(invalidAt(tatemFilterQuery, { payment_form: "3" })).toEqual(["payment_form.0"]);
    expect(invalidAt(tatemFilterQuery, { uuid: "not-a-uuid" })).toEqual(["uuid.0"]);
    expect(invalidAt(tatemFilterQuery, { statuses: " , " })).toEqual(["statuses"]);
  });

  it("names are case-insensitive partial matches; entity flags only when given", () => {
    const c = tatemConditions({ issuer_name: " Acme ", recipient_name: "Ñu", issuer_is_entity: "false" });
    expect(c).toEqual(
      expect.arrayContaining([
        { op: "contains", field: "issuerName", value: "Acme" },
        { op: "contains", field: "recipientName", value: "Ñu" },
        { op: "eq", field: "issuerIsEntity", value: false },
      ]),
    );
    expect(c.some((x) => "field" in x && x.field === "recipientIsEntity")).toBe(false);
    expect(invalidAt(tatemFilterQuery, { issuer_is_entity: "yes" })).toEqual(["issuer_is_entity"]);
  });

  it("date ranges: UTC fields from Mexico City wall time, CFDI fields as written, a bare `to` date covers the day", () => {
    const c = tatemConditions({
      created_at_from: "2026-01-01",
      created_at_to: "2026-01-31",
      issued_at_from: "2026-01-01T08:00:00Z",
      issued_at_to: "2026-01-15T10:30:00",
      payment_due_at_to: "2026-02-01T00:00:00-06:00",
      sent_at_from: "2026-02-01T10:00:00.250Z",
    });
    expect(c).toEqual(
      expect.arrayContaining([
        {
          op: "range",
          field: "createdAt",
          lower: { value: "2026-01-01T06:00:00.000Z", inclusive: true },
          upper: { value: "2026-02-01T06:00:00.000Z", inclusive: false },
        },
        {
          op: "range",
          field: "issuedAt",
          lower: { value: "2026-01-01T02:00:00", inclusive: true },
          upper: { value: "2026-01-15T10:30:00", inclusive: true },
        },
        {
          op: "range",
          field: "paymentDueAt",
          upper: { value: "2026-02-01T06:00:00.000Z", inclusive: true },
        },
        { op: "range", field: "sentAt", lower: { value: "2026-02-01T10:00:00.250Z", inclusive: true } },
      ]),
    );
    for (const bad of ["2026-02-30", "2026-13-01", "yesterday", "2026-01-01T25:00:00"]) {
      expect(invalidAt(tatemFilterQuery, { created_at_from: bad }), bad).toEqual(["created_at_from"]);
    }
  });

  it("months: *_period (YYYY-MM) and *_current_period (Mexico City's month)", () => {
    const c = tatemConditions({ stamped_at_period: "2025-12", created_at_current_period: "true" });
    expect(c).toEqual(
      expect.arrayContaining([
        {
          op: "range",
          field: "stampedAt",
          lower: { value: "2025-12-01T00:00:00", inclusive: true },
          upper: { value: "2026-01-01T00:00:00", inclusive: false },
        },
        {
          op: "range",
          field: "createdAt",
          lower: { value: "2026-03-01T06:00:00.000Z", inclusive: true },
          upper: { value: "2026-04-01T06:00:00.000Z", inclusive: false },
        },
      ]),
    );
    // 2026-04-01 03:00 UTC is still March 31 in Mexico City.
    const lateMarch = tatemFilters(
      tatemFilterQuery.parse({ organization_id: ORG, issued_at_current_period: "true" }),
      new Date("2026-04-01T03:00:00Z"),
    ).conditions;
    expect(lateMarch).toContainEqual({
      op: "range",
      field: "issuedAt",
      lower: { value: "2026-03-01T00:00:00", inclusive: true },
      upper: { value: "2026-04-01T00:00:00", inclusive: false },
    });
    // Before October 2022 Mexico City kept daylight saving time: July starts at 05:00 UTC.
    expect(tatemConditions({ created_at_period: "2021-07" })).toContainEqual({
      op: "range",
      field: "createdAt",
      lower: { value: "2021-07-01T05:00:00.000Z", inclusive: true },
      upper: { value: "2021-08-01T05:00:00.000Z", inclusive: false },
    });
    expect(tatemConditions({ created_at_current_period: "false" })).toHaveLength(1);
    expect(invalidAt(tatemFilterQuery, { issued_at_period: "2026-3" })).toEqual(["issued_at_period"]);
    expect(invalidAt(tatemFilterQuery, { issued_at_current_period: "1" })).toEqual([
      "issued_at_current_period",
    ]);
  });

  it("a period with a range, or both period kinds, on one field → conflicting_date_filters", () => {
    for (const query of <Record<string, string>[]>[
      { created_at_period: "2026-01", created_at_from: "2026-01-01" },
      { issued_at_period: "2026-01", issued_at_to: "2026-01-31" },
      { stamped_at_current_period: "true", stamped_at_from: "2026-01-01" },
      { issued_at_current_period: "true", issued_at_period: "2026-01" },
    ]) {
      expect(
        code(() => tatemConditions(query)),
        JSON.stringify(query),
      ).toBe("conflicting_date_filters");
    }
    // Different fields do not conflict, and a false current_period is no filter.
    expect(() =>
      tatemConditions({
        created_at_period: "2026-01",
        issued_at_from: "2026-01-01",
        stamped_at_current_period: "false",
        stamped_at_from: "2026-01-01",
      }),
    ).not.toThrow();
  });

  it("a range that ends before it starts → invalid_date_range", () => {
    expect(code(() => tatemConditions({ sent_at_from: "2026-02-01", sent_at_to: "2026-01-01" }))).toBe(
      "invalid_date_range",
    );
    expect(() => tatemConditions({ sent_at_from: "2026-02-01", sent_at_to: "2026-02-01" })).not.toThrow();
  });

  it("sort and order: comma lists of equal length, defaults statusCode / asc", () => {
    expect(
      tatem({
        organization_id: ORG,
        sort: "paymentDueAt,organization.name,grossPriceAmount",
        order: "asc,desc,desc",
      }).query.sort,
    ).toEqual([
      { field: "paymentDueAt", direction: "asc" },
      { field: "organizationName", direction: "desc" },
      { field: "grossPrice", direction: "desc" },
    ]);
    expect(tatem({ organization_id: ORG, sort: "createdAt,uuid" }).query.sort).toEqual([
      { field: "createdAt", direction: "asc" },
      { field: "uuid", direction: "asc" },
    ]);
    expect(tatem({ organization_id: ORG, order: "desc" }).query.sort).toEqual([
      { field: "statusCode", direction: "desc" },
    ]);
    expect(code(() => tatem({ organization_id: ORG, sort: "createdAt,uuid", order: "desc" }))).toBe(
      "mismatched_sort_order_length",
    );
    expect(code(() => tatem({ organization_id: ORG, order: "desc,asc" }))).toBe(
      "mismatched_sort_order_length",
    );
    expect(invalidAt(tatemListQuery, { organization_id: ORG, sort: "createdAt,issuedAt" })).toEqual([
      "sort.1",
    ]);
    expect(invalidAt(tatemListQuery, { organization_id: ORG, order: "sideways" })).toEqual(["order.0"]);
  });

  it("tax_ids with tax_rates pair by position; rates are exact", () => {
    expect(tatemConditions({ tax_ids: "002,isr", tax_rates: "0.16,0.1" })).toContainEqual({
      op: "any",
      of: [
        {
          op: "tax",
          where: [
            { op: "eq", field: "taxId", value: "002" },
            { op: "eq", field: "taxRate", value: 160_000 },
          ],
        },
        {
          op: "tax",
          where: [
            { op: "eq", field: "taxId", value: "001" },
            { op: "eq", field: "taxRate", value: 100_000 },
          ],
        },
      ],
    });
    expect(tatemConditions({ tax_ids: "IEPS" })).toContainEqual({
      op: "tax",
      where: [{ op: "eq", field: "taxId", value: "003" }],
    });
    expect(code(() => tatemConditions({ tax_ids: "002,003", tax_rates: "0.16" }))).toBe(
      "mismatched_tax_rates_length",
    );
    expect(code(() => tatemConditions({ tax_rates: "0.16" }))).toBe("mismatched_tax_rates_length");
    expect(invalidAt(tatemFilterQuery, { tax_ids: "004" })).toEqual(["tax_ids.0"]);
    expect(invalidAt(tatemFilterQuery, { tax_ids: "002", tax_rates: "-0.16" })).toEqual(["tax_rates.0"]);
  });

  it("minimun/maximun_gross_price_amount (sic): inclusive, exact to the millionth", () => {
    expect(
      tatemConditions({ minimun_gross_price_amount: "100.000001", maximun_gross_price_amount: "250" }),
    ).toContainEqual({
      op: "range",
      field: "grossPrice",
      lower: { value: 100_000_001, inclusive: true },
      upper: { value: 250_000_000, inclusive: true },
    });
    expect(tatemConditions({ maximun_gross_price_amount: "0.1" })).toContainEqual({
      op: "range",
      field: "grossPrice",
      upper: { value: 100_000, inclusive: true },
    });
    expect(
      code(() => tatemConditions({ minimun_gross_price_amount: "10", maximun_gross_price_amount: "9.99" })),
    ).toBe("invalid_amount_range");
    for (const bad of ["1.0000001", "-1", "1e3", "12,5"]) {
      expect(invalidAt(tatemFilterQuery, { minimun_gross_price_amount: bad }), bad).toEqual([
        "minimun_gross_price_amount",
      ]);
    }
  });

  it("item_key and item_description match one concept together", () => {
    expect(tatemConditions({ item_key: "50202310", item_description: "agua" })).toContainEqual({
      op: "item",
      where: [
        { op: "eq", field: "itemKey", value: "50202310" },
        { op: "contains", field: "itemDescription", value: "agua" },
      ],
    });
    expect(tatemConditions({ item_key: "1,2" })).toContainEqual({
      op: "item",
      where: [{ op: "in", field: "itemKey", values: ["1", "2"] }],
    });
  });

  it("unknown parameters are refused", () => {
    expect(invalidAt(tatemListQuery, { organization_id: ORG, minimum_gross_price_amount: "1" })).toEqual([
      "",
    ]);
  });
});

describe("Syntage (GET /taxpayers/{rfc}/invoices)", () => {
  it("defaults: both sides, newest first, 20 per page, no cursor", () => {
    expect(syntage({})).toEqual({
      scope: {},
      query: {
        conditions: [],
        sort: [{ field: "createdAt", direction: "desc" }],
        pagination: { kind: "cursor", limit: 20 },
      },
    });
  });

  it("isIssuer / isReceiver choose the side", () => {
    expect(syntage({ isIssuer: "true" }).scope).toEqual({ provider: true });
    expect(syntage({ isReceiver: "true", isIssuer: "false" }).scope).toEqual({
      organization: true,
      provider: false,
    });
  });

  it("exact filters", () => {
    const { query } = syntage({
      uuid: "6f1c0b2a-1d2e-4f3a-9b8c-7d6e5f4a3b2c",
      type: "I",
      usage: "G03",
      paymentType: "PPD",
      paymentMethod: "04",
      currency: "usd",
      version: "4",
      status: "CANCELADO",
      "issuer.blacklistStatus": "definitive",
    });
    expect(query.conditions).toEqual(
      expect.arrayContaining([
        { op: "eq", field: "uuid", value: "6F1C0B2A-1D2E-4F3A-9B8C-7D6E5F4A3B2C" },
        { op: "eq", field: "cfdiType", value: "I" },
        { op: "eq", field: "cfdiUse", value: "G03" },
        { op: "eq", field: "paymentMethod", value: "PPD" },
        { op: "eq", field: "paymentForm", value: "04" },
        { op: "eq", field: "currencyCode", value: "USD" },
        { op: "eq", field: "cfdiVersion", value: "4.0" },
        { op: "eq", field: "isCancelled", value: true },
        { op: "eq", field: "issuerBlacklistStatus", value: "definitive" },
      ]),
    );
    for (const [param, bad] of [
      ["type", "X"],
      ["paymentType", "EXT"],
      ["status", "vigente"],
      ["version", "four"],
      ["currency", "US"],
    ]) {
      expect(invalidAt(syntageQuery, { [param!]: bad! })).toEqual([param]);
    }
  });

  it("partial filters, including the seed's cancellationStatusProcess spelling", () => {
    expect(
      syntage({
        "issuer.rfc": "EKU9",
        "receiver.name": "acme",
        pac: "SAT97",
        cancellationStatusProcess: "En proceso",
      }).query.conditions,
    ).toEqual([
      { op: "contains", field: "issuerTaxIdentifier", value: "EKU9" },
      { op: "contains", field: "recipientName", value: "acme" },
      { op: "contains", field: "pacTaxIdentifier", value: "SAT97" },
      { op: "contains", field: "cancellationProcessStatus", value: "En proceso" },
    ]);
  });

  it("date operators: before ≤, strictly_before <, after ≥, strictly_after >", () => {
    expect(
      syntage({
        "issuedAt[before]": "2026-01-31T23:59:59",
        "createdAt[strictly_before]": "2026-02-01",
        "certifiedAt[after]": "2026-01-01T06:00:00Z",
        "canceledAt[strictly_after]": "2026-01-01T00:00:00-06:00",
      }).query.conditions,
    ).toEqual([
      { op: "range", field: "issuedAt", upper: { value: "2026-01-31T23:59:59", inclusive: true } },
      { op: "range", field: "cancelledAt", lower: { value: "2026-01-01T06:00:00.000Z", inclusive: false } },
      { op: "range", field: "createdAt", upper: { value: "2026-02-01T06:00:00.000Z", inclusive: false } },
      { op: "range", field: "stampedAt", lower: { value: "2026-01-01T00:00:00", inclusive: true } },
    ]);
    expect(invalidAt(syntageQuery, { "issuedAt[before]": "soon" })).toEqual(["issuedAt[before]"]);
    expect(invalidAt(syntageQuery, { "issuedAt[around]": "2026-01-01" })).toEqual([""]);
  });

  it("numeric operators on exact millionths; between is min..max inclusive", () => {
    expect(
      syntage({
        "total[between]": "100..200.5",
        "tax[gt]": "0",
        "discount[gte]": "1.5",
        "paidAmount[lt]": "10",
        "dueAmount[lte]": "0.000001",
        "subtotal[gt]": "-1",
      }).query.conditions,
    ).toEqual(
      expect.arrayContaining([
        {
          op: "range",
          field: "grossPrice",
          lower: { value: 100_000_000, inclusive: true },
          upper: { value: 200_500_000, inclusive: true },
        },
        { op: "range", field: "tax", lower: { value: 0, inclusive: false } },
        { op: "range", field: "discount", lower: { value: 1_500_000, inclusive: true } },
        { op: "range", field: "paid", upper: { value: 10_000_000, inclusive: false } },
        { op: "range", field: "due", upper: { value: 1, inclusive: true } },
        { op: "range", field: "netPrice", lower: { value: -1_000_000, inclusive: false } },
      ]),
    );
    for (const bad of ["100", "1..2..3", "a..b", "1.0000001..2"]) {
      expect(invalidAt(syntageQuery, { "total[between]": bad }), bad).toEqual(["total[between]"]);
    }
  });

  it("exists, hasXml, hasPdf", () => {
    expect(
      syntage({ "exists[paymentMethod]": "false", hasXml: "true", hasPdf: "false" }).query.conditions,
    ).toEqual([
      { op: "exists", field: "paymentForm", present: false },
      { op: "exists", field: "xmlFileId", present: true },
      { op: "exists", field: "pdfFileId", present: false },
    ]);
  });

  it("order[…] in the order the client wrote them", () => {
    expect(syntage({ "order[amount]": "desc", "order[issuedAt]": "asc" }).query.sort).toEqual([
      { field: "grossPrice", direction: "desc" },
      { field: "issuedAt", direction: "asc" },
    ]);
    expect(syntage({ "order[certifiedAt]": "asc", "order[canceledAt]": "desc" }).query.sort).toEqual([
      { field: "stampedAt", direction: "asc" },
      { field: "cancelledAt", direction: "desc" },
    ]);
    expect(invalidAt(syntageQuery, { "order[amount]": "up" })).toEqual(["order[amount]"]);
    expect(invalidAt(syntageQuery, { "order[uuid]": "asc" })).toEqual([""]);
  });

  it("cursor: id[lt] next, id[gt] previous, never both; itemsPerPage 1–1000", () => {
    expect(syntage({ "id[lt]": ORG, itemsPerPage: "1000" }).query.pagination).toEqual({
      kind: "cursor",
      limit: 1000,
      after: ORG,
    });
    expect(syntage({ "id[gt]": ORG, itemsPerPage: "1" }).query.pagination).toEqual({
      kind: "cursor",
      limit: 1,
      before: ORG,
    });
    expect(code(() => syntage({ "id[lt]": ORG, "id[gt]": OTHER }))).toBe("conflicting_cursors");
    expect(invalidAt(syntageQuery, { "id[lt]": "42" })).toEqual(["id[lt]"]);
    for (const n of ["0", "1001", "2.5"])
      expect(invalidAt(syntageQuery, { itemsPerPage: n })).toEqual(["itemsPerPage"]);
  });
});

describe("Contafy (GET /api/invoices)", () => {
  it("defaults: every profile, newest fecha first, page 1 of 50", () => {
    expect(contafy({})).toEqual({
      query: {
        conditions: [],
        sort: [{ field: "issuedAt", direction: "desc" }],
        pagination: { kind: "offset", page: 1, limit: 50 },
      },
    });
    expect(contafy({ profileId: ORG }).profileId).toBe(ORG);
    expect(invalidAt(contafyQuery, { profileId: "me" })).toEqual(["profileId"]);
  });

  it("limit 1..100, larger values capped at 100", () => {
    expect(contafy({ limit: "100" }).query.pagination).toMatchObject({ limit: 100 });
    expect(contafy({ limit: "5000", page: "3" }).query.pagination).toEqual({
      kind: "offset",
      page: 3,
      limit: 100,
    });
    expect(invalidAt(contafyQuery, { limit: "0" })).toEqual(["limit"]);
    expect(invalidAt(contafyQuery, { page: "0" })).toEqual(["page"]);
  });

  it("mes and año select the invoice date's month, year, or month of every year", () => {
    expect(contafy({ mes: "12", año: "2025" }).query.conditions).toEqual([
      {
        op: "range",
        field: "issuedAt",
        lower: { value: "2025-12-01T00:00:00", inclusive: true },
        upper: { value: "2026-01-01T00:00:00", inclusive: false },
      },
    ]);
    expect(contafy({ año: "2025" }).query.conditions).toEqual([
      {
        op: "range",
        field: "issuedAt",
        lower: { value: "2025-01-01T00:00:00", inclusive: true },
        upper: { value: "2026-01-01T00:00:00", inclusive: false },
      },
    ]);
    expect(contafy({ mes: "3" }).query.conditions).toEqual([{ op: "eq", field: "issuedMonth", value: "03" }]);
    expect(invalidAt(contafyQuery, { mes: "13" })).toEqual(["mes"]);
  });

  it("tipo, regimen_fiscal and search", () => {
    expect(contafy({ tipo: "PPD", regimen_fiscal: "612" }).query.conditions).toEqual([
      { op: "eq", field: "paymentMethod", value: "PPD" },
      { op: "eq", field: "issuerTaxRegime", value: "612" },
    ]);
    expect(contafy({ tipo: "COMPLEMENTO_PAGO" }).query.conditions).toEqual([
      { op: "eq", field: "cfdiType", value: "P" },
    ]);
    expect(contafy({ search: "" }).query.conditions).toEqual([]);
    expect(contafy({ search: "acme" }).query.conditions).toEqual([
      {
        op: "any",
        of: [
          { op: "contains", field: "issuerTaxIdentifier", value: "acme" },
          { op: "contains", field: "issuerName", value: "acme" },
          { op: "contains", field: "recipientTaxIdentifier", value: "acme" },
          { op: "contains", field: "recipientName", value: "acme" },
          { op: "item", where: [{ op: "contains", field: "itemDescription", value: "acme" }] },
        ],
      },
    ]);
    expect(invalidAt(contafyQuery, { tipo: "EXT" })).toEqual(["tipo"]);
    expect(invalidAt(contafyQuery, { regimen_fiscal: "61" })).toEqual(["regimen_fiscal"]);
    expect(invalidAt(contafyQuery, { ano: "2025" })).toEqual([""]);
  });
});
