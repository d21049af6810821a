// The seed's PATCH rules as pure functions: every error code of the single, bulk and status changes,
// the catalog checks, Mexico City dates for paymentDueAt and paymentDay, and the derived due date.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { AppError } from "../../../shared/errors";
import {
  type BulkContext,
  type BulkTarget,
  bulkInvoiceChanges,
  bulkStatusChanges,
  derivePaymentDueAt,
  type EditableInvoice,
  invoicePatchChanges,
  statusTransition,
} from "../../../shared/invoices/edits";
import { canTransition, INVOICE_STATUSES } from "../../../shared/invoices/status";

const ext = (over: Partial<EditableInvoice> = {}): EditableInvoice => ({
  status: "accepted",
  paymentMethod: "EXT",
  currencyCode: "MXN",
  originalCurrencyCode: "USD",
  issuerCountry: "USA",
  ...over,
});

/** The AppError a function returned (fails the test when it returned changes). */
function refused(result: unknown): AppError {
  expect(result).toBeInstanceOf(AppError);
  return result as AppError;
}

function accepted<T>(result: T | AppError): T {
  if (result instanceof AppError)
    throw new Error(`unexpected ${result.code}: ${JSON.stringify(result.details)}`);
  return result;
}

describe("PATCH /invoices/{id}", () => {
  it("lets any invoice change notes and isRead", () => {
    expect(
      accepted(
        invoicePatchChanges(ext({ paymentMethod: "PPD", status: "sent" }), { notes: "x", isRead: true }),
      ),
    ).toEqual({
      notes: "x",
      isRead: true,
    });
  });

  it("refuses EXT-only fields on a CFDI with invalid_payment_method, naming them", () => {
    const error = refused(
      invoicePatchChanges(ext({ paymentMethod: "PPD" }), { cfdiUse: "G01", folioNumber: "1", notes: "n" }),
    );
    expect(error).toMatchObject({
      status: 400,
      code: "invalid_payment_method",
      details: { fields: ["cfdiUse", "folioNumber"] },
    });
  });

  it("applies EXT-only fields to an EXT invoice, in the stored forms", () => {
    const changes = accepted(
      invoicePatchChanges(ext({ status: "sent" }), {
        cfdiUse: "G03",
        paymentForm: "03",
        stampedAt: "2025-01-01T12:00:00Z",
        folioNumber: " 12345 ",
        series: "A",
        issuerName: "Acme Inc.",
        issuerTaxIdentifier: "98-7654321",
        issuerPostalCode: "94105",
        issuerCountry: "usa",
        issuerAddressState: "CA",
        issuerAddressCity: "San Francisco",
      }),
    );
    expect(changes).toEqual({
      cfdiUse: "G03",
      paymentForm: "03",
      stampedAt: "2025-01-01T06:00:00",
      folioNumber: "12345",
      series: "A",
      issuerName: "Acme Inc.",
      issuerTaxIdentifier: "98-7654321",
      issuerPostalCode: "94105",
      issuerCountry: "USA",
      issuerAddressState: "CA",
      issuerAddressCity: "San Francisco",
    });
  });

  it("checks catalog values and reports every bad field at once", () => {
    const error = refused(
      invoicePatchChanges(ext({ issuerCountry: null }), {
        cfdiUse: "Z99",
        paymentForm: "77",
        issuerCountry: "XXY",
        series: "  ",
        stampedAt: "soon",
      }),
    );
    expect(error.code).toBe("validation_failed");
    expect((error.details as { path: string }[]).map((d) => d.path).sort()).toEqual([
      "cfdiUse",
      "issuerCountry",
      "paymentForm",
      "series",
      "stampedAt",
    ]);
  });

  it("wants a Mexican state code for a Mexican issuer, the country's for others", () => {
    const mexican = ext({ issuerCountry: "MEX" });
    expect(refused(invoicePatchChanges(mexican, { issuerAddressState: "DF" })).details).toEqual([
      { path: "issuerAddressState", message: "Must be a valid state code of MEX (c_Estado)", code: "custom" },
    ]);
    expect(accepted(invoicePatchChanges(mexican, { issuerAddressState: "cmx" }))).toEqual({
      issuerAddressState: "CMX",
    });
    expect(invoicePatchChanges(ext({ issuerCountry: null }), { issuerAddressState: "TX" })).toBeInstanceOf(
      AppError,
    );
    expect(accepted(invoicePatchChanges(ext(), { issuerAddressState: "TX" }))).toEqual({
      issuerAddressState: "TX",
    });
    expect(invoicePatchChanges(ext(), { issuerCountry: "MEX", issuerAddressState: "TX" })).toBeInstanceOf(
      AppError,
    );
    // c_Estado has no German states: free text.
    expect(
      accepted(invoicePatchChanges(ext({ issuerCountry: "DEU" }), { issuerAddressState: "BY" })),
    ).toEqual({
      issuerAddressState: "BY",
    });
  });

  it("changes paymentDueAt only on accepted invoices (invalid_status), as the Mexico City day", () => {
    expect(refused(invoicePatchChanges(ext({ status: "sent" }), { paymentDueAt: "2025-01-01" })).code).toBe(
      "invalid_status",
    );
    expect(
      accepted(invoicePatchChanges(ext({ paymentMethod: "PPD" }), { paymentDueAt: "2025-01-01" })),
    ).toEqual({
      paymentDueAt: "2025-01-01T06:00:00.000Z",
    });
    expect(refused(invoicePatchChanges(ext(), { paymentDueAt: "2025-02-30" })).code).toBe(
      "validation_failed",
    );
  });

  it("changes grossPriceAmount only on accepted USD EXT invoices, with the seed's three codes", () => {
    expect(refused(invoicePatchChanges(ext({ paymentMethod: "PUE" }), { grossPriceAmount: 1 })).code).toBe(
      "invalid_payment_method",
    );
    expect(
      refused(invoicePatchChanges(ext({ originalCurrencyCode: "EUR" }), { grossPriceAmount: 1 })).code,
    ).toBe("invalid_currency");
    expect(refused(invoicePatchChanges(ext({ status: "paid" }), { grossPriceAmount: 1 })).code).toBe(
      "invalid_status",
    );
    expect(accepted(invoicePatchChanges(ext(), { grossPriceAmount: 15000.5 }))).toEqual({
      grossPriceAmount: "15000.50",
      grossPriceMicros: 15_000_500_000,
    });
    expect(accepted(invoicePatchChanges(ext(), { grossPriceAmount: "0.1" }))).toMatchObject({
      grossPriceAmount: "0.10",
      grossPriceMicros: 100_000,
    });
    for (const bad of [0, -5, "1.005", "9000000000.01", "1e3"]) {
      expect(refused(invoicePatchChanges(ext(), { grossPriceAmount: bad })).code).toBe("validation_failed");
    }
  });
});

describe("PATCH /invoices (bulk)", () => {
  // Wednesday 2025-01-01, 06:00 in Mexico City.
  const ctx = (over: Partial<BulkContext> = {}): BulkContext => ({
    side: "organization",
    now: new Date("2025-01-01T12:00:00Z"),
    preferences: new Map([
      ["org-friday", { paymentDay: 5 }],
      ["org-unset", { paymentDay: null }],
    ]),
    ...over,
  });
  const target = (
    id: string,
    status: BulkTarget["status"],
    organizationId: string | null = "org-friday",
  ) => ({
    id,
    status,
    organizationId,
  });

  it("archives only rejected or completed invoices (invalid_invoice_status), per side", () => {
    const error = refused(
      bulkInvoiceChanges({ archive: true }, [target("a", "completed"), target("b", "accepted")], ctx()),
    );
    expect(error).toMatchObject({
      status: 400,
      code: "invalid_invoice_status",
      details: { invoiceIds: ["b"] },
    });
    expect(
      accepted(
        bulkInvoiceChanges({ archive: true }, [target("a", "completed"), target("b", "rejected")], ctx()),
      ),
    ).toEqual([
      { id: "a", changes: { archivedByOrganizationAt: "2025-01-01T12:00:00.000Z" } },
      { id: "b", changes: { archivedByOrganizationAt: "2025-01-01T12:00:00.000Z" } },
    ]);
    expect(
      accepted(
        bulkInvoiceChanges(
          { archive: false, isRead: true },
          [target("c", "accepted")],
          ctx({ side: "provider" }),
        ),
      ),
    ).toEqual([{ id: "c", changes: { archivedByProviderAt: null, isRead: true } }]);
  });

  it("moves paymentDueAt to the 1st, 2nd or 3rd next preferred weekday", () => {
    const due = (paymentDay: number, now = ctx().now) =>
      accepted(bulkInvoiceChanges({ paymentDay }, [target("a", "accepted")], ctx({ now })))[0]!.changes
        .paymentDueAt;
    expect(due(1)).toBe("2025-01-03T06:00:00.000Z");
    expect(due(2)).toBe("2025-01-10T06:00:00.000Z");
    expect(due(3)).toBe("2025-01-17T06:00:00.000Z");
    // Saturday 03:00 UTC is still Friday in Mexico City: the next Friday is a week away.
    expect(due(1, new Date("2025-01-04T03:00:00Z"))).toBe("2025-01-10T06:00:00.000Z");
  });

  it("answers paymentDay's four error codes", () => {
    const code = (t: BulkTarget, preferences = ctx().preferences) =>
      refused(bulkInvoiceChanges({ paymentDay: 1 }, [t], ctx({ preferences }))).code;
    expect(code(target("a", "sent"))).toBe("invalid_invoice_status");
    expect(code(target("a", "accepted", null))).toBe("invoice_doesnt_belong_to_an_organization");
    expect(code(target("a", "accepted", "org-none"))).toBe("invoice_preferences_not_found");
    expect(code(target("a", "accepted", "org-unset"))).toBe("payment_day_not_set");
    expect(refused(bulkInvoiceChanges({ paymentDay: 4 }, [target("a", "accepted")], ctx())).code).toBe(
      "validation_failed",
    );
  });

  it("sets paymentDueAt on accepted invoices only, and not together with paymentDay", () => {
    expect(
      accepted(bulkInvoiceChanges({ paymentDueAt: "2025-02-01" }, [target("a", "accepted", null)], ctx())),
    ).toEqual([{ id: "a", changes: { paymentDueAt: "2025-02-01T06:00:00.000Z" } }]);
    expect(
      refused(bulkInvoiceChanges({ paymentDueAt: "2025-02-01" }, [target("a", "paid")], ctx())).code,
    ).toBe("invalid_invoice_status");
    expect(
      refused(
        bulkInvoiceChanges({ paymentDueAt: "2025-02-01", paymentDay: 1 }, [target("a", "accepted")], ctx()),
      ).code,
    ).toBe("validation_failed");
    expect(refused(bulkInvoiceChanges({ paymentDueAt: "nope" }, [target("a", "accepted")], ctx())).code).toBe(
      "validation_failed",
    );
  });
});

describe("status changes", () => {
  const now = new Date("2025-03-01T18:00:00Z");
  const at = now.toISOString();

  it("follows canTransition for every pair of statuses", () => {
    for (const from of INVOICE_STATUSES) {
      for (const to of INVOICE_STATUSES) {
        const result = statusTransition(from, to, now);
        if (canTransition(from, to)) expect(result).not.toBeInstanceOf(AppError);
        else
          expect(refused(result)).toMatchObject({ code: "invalid_status_transition", details: { from, to } });
      }
    }
  });

  it("stamps the status it enters and undoes what a rollback undoes", () => {
    expect(statusTransition("sent", "accepted", now)).toEqual({
      status: "accepted",
      statusCode: 20,
      acceptedAt: at,
    });
    expect(statusTransition("accepted", "paid", now)).toEqual({ status: "paid", statusCode: 30, paidAt: at });
    expect(statusTransition("paid", "accepted", now)).toEqual({
      status: "accepted",
      statusCode: 20,
      paidAt: null,
    });
    expect(statusTransition("rejected", "sent", now)).toEqual({
      status: "sent",
      statusCode: 10,
      sentAt: at,
      rejectedAt: null,
    });
    expect(statusTransition("paid", "completed", now)).toEqual({
      status: "completed",
      statusCode: 60,
      completedAt: at,
    });
  });

  it("needs invoicePaymentId to complete", () => {
    const error = refused(bulkStatusChanges([{ id: "a", status: "paid" }], { status: "completed" }, now));
    expect(error).toMatchObject({ code: "validation_failed", details: [{ path: "invoicePaymentId" }] });
    expect(
      accepted(
        bulkStatusChanges([{ id: "a", status: "paid" }], { status: "completed", invoicePaymentId: "p" }, now),
      ),
    ).toEqual([{ id: "a", from: "paid", changes: { status: "completed", statusCode: 60, completedAt: at } }]);
  });

  it("refuses the whole request when one invoice cannot move, naming from and to", () => {
    const error = refused(
      bulkStatusChanges(
        [
          { id: "a", status: "sent" },
          { id: "b", status: "completed" },
          { id: "c", status: "draft" },
        ],
        { status: "accepted" },
        now,
      ),
    );
    expect(error).toMatchObject({
      status: 400,
      code: "invalid_status_transition",
      message: "An invoice cannot go from 'completed' to 'accepted' (and 1 more)",
      details: {
        invoices: [
          { id: "b", from: "completed", to: "accepted" },
          { id: "c", from: "draft", to: "accepted" },
        ],
      },
    });
  });

  it("leaves invoices already in the status alone", () => {
    expect(
      accepted(
        bulkStatusChanges(
          [
            { id: "a", status: "accepted" },
            { id: "b", status: "sent" },
          ],
          { status: "accepted" },
          now,
        ),
      ).map((c) => c.id),
    ).toEqual(["b"]);
  });
});

describe("derived paymentDueAt", () => {
  const anchors = {
    createdAt: "2025-01-01T03:00:00.000Z",
    stampedAt: "2025-01-31T23:30:00",
    acceptedAt: "2025-01-15T18:00:00.000Z",
  };

  it("adds credit days to acceptedAt by default", () => {
    expect(derivePaymentDueAt(anchors, { creditDays: 30, creditPeriod: "d" }, null)).toBe(
      "2025-02-14T06:00:00.000Z",
    );
    expect(
      derivePaymentDueAt({ ...anchors, acceptedAt: null }, { creditDays: 30, creditPeriod: "d" }, null),
    ).toBe(null);
  });

  it("counts from the preferred anchor's Mexico City day", () => {
    const prefs = (paymentDueAtAnchor: "createdAt" | "stampedAt") => ({
      paymentDueAtAnchor,
      paymentDay: null,
    });
    // 03:00 UTC on January 1st is still December 31st in Mexico City.
    expect(derivePaymentDueAt(anchors, { creditDays: 1, creditPeriod: "d" }, prefs("createdAt"))).toBe(
      "2025-01-01T06:00:00.000Z",
    );
    // A month after January 31st is the last day of February.
    expect(derivePaymentDueAt(anchors, { creditDays: 1, creditPeriod: "m" }, prefs("stampedAt"))).toBe(
      "2025-02-28T06:00:00.000Z",
    );
    expect(
      derivePaymentDueAt(
        { ...anchors, createdAt: "2024-02-29T18:00:00Z" },
        { creditDays: 1, creditPeriod: "y" },
        prefs("createdAt"),
      ),
    ).toBe("2025-02-28T06:00:00.000Z");
  });

  it("moves forward to the preferred payment weekday", () => {
    const terms = { creditDays: 30, creditPeriod: "d" as const };
    // 2025-02-14 is a Friday.
    expect(derivePaymentDueAt(anchors, terms, { paymentDueAtAnchor: null, paymentDay: 5 })).toBe(
      "2025-02-14T06:00:00.000Z",
    );
    expect(derivePaymentDueAt(anchors, terms, { paymentDueAtAnchor: null, paymentDay: 1 })).toBe(
      "2025-02-17T06:00:00.000Z",
    );
    expect(derivePaymentDueAt(anchors, terms, { paymentDueAtAnchor: null, paymentDay: 0 })).toBe(
      "2025-02-16T06:00:00.000Z",
    );
  });

  it("uses the offset in force on the due day (daylight saving time until 2022)", () => {
    expect(
      derivePaymentDueAt(
        { ...anchors, acceptedAt: "2022-05-01T18:00:00Z" },
        { creditDays: 30, creditPeriod: "d" },
        null,
      ),
    ).toBe("2022-05-31T05:00:00.000Z");
  });

  it("always lands on the preferred weekday, within a week of the plain due date", () => {
    fc.assert(
      fc.property(
        fc.date({
          min: new Date("2020-01-01T00:00:00Z"),
          max: new Date("2035-01-01T00:00:00Z"),
          noInvalidDate: true,
        }),
        fc.integer({ min: 1, max: 365 }),
        fc.constantFrom("d" as const, "m" as const, "y" as const),
        fc.integer({ min: 0, max: 6 }),
        (acceptedAt, creditDays, creditPeriod, paymentDay) => {
          const inv = { ...anchors, acceptedAt: acceptedAt.toISOString() };
          const plain = derivePaymentDueAt(inv, { creditDays, creditPeriod }, null)!;
          const snapped = derivePaymentDueAt(
            inv,
            { creditDays, creditPeriod },
            { paymentDueAtAnchor: null, paymentDay },
          )!;
          const dayOf = (iso: string) => new Date(new Date(iso).getTime() - 6 * 3_600_000).getUTCDay();
          expect(snapped >= plain).toBe(true);
          expect(Date.parse(snapped) - Date.parse(plain)).toBeLessThan(7 * 86_400_000);
          if (acceptedAt.getUTCFullYear() >= 2023) expect(dayOf(snapped)).toBe(paymentDay);
        },
      ),
      { numRuns: 300 },
    );
  });
});
