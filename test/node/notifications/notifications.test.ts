// How invoice events read as notifications for each side, the import's progress marks and the
// low-balance crossing.
import { describe, expect, it } from "vitest";
import {
  crossedBelow,
  type FeedEvent,
  type InvoiceSummary,
  importProgressQuarter,
  invoiceEventNotification,
} from "../../../shared/notifications/notifications";

const invoice: InvoiceSummary = {
  series: "A",
  folioNumber: "12",
  uuid: "6D0A2E5D-2E2A-4C4C-9F0B-000000000001",
  issuerName: "ESCUELA KEMPER URGATE",
  issuerTaxIdentifier: "EKU9003173C9",
  recipientName: null,
  recipientTaxIdentifier: "MCI7306249Y1",
  grossPriceAmount: "1160.00",
  currencyCode: "MXN",
};
const event = (type: string, data: Record<string, unknown> = {}): FeedEvent => ({
  id: "ev-1",
  type,
  invoiceId: "inv-1",
  organizationId: "receiver",
  providerId: "issuer",
  data,
});

describe("invoiceEventNotification", () => {
  it("an upload is news to the receiver only", () => {
    const received = invoiceEventNotification(
      "receiver",
      event("invoice.received", { source: "upload" }),
      invoice,
    );
    expect(received).toEqual({
      sourceId: "ev-1",
      type: "invoice.received",
      title: "Invoice received",
      body: "ESCUELA KEMPER URGATE sent invoice A12 for 1160.00 MXN",
      data: {
        invoiceId: "inv-1",
        uuid: invoice.uuid,
        eventId: "ev-1",
        eventType: "invoice.received",
        side: "receiver",
      },
    });
    expect(
      invoiceEventNotification("issuer", event("invoice.received", { source: "upload" }), invoice),
    ).toBeNull();
  });

  it("a stamp is news to the issuer, named by the client's RFC when it has no name", () => {
    const stamped = invoiceEventNotification(
      "issuer",
      event("invoice.received", { source: "stamp" }),
      invoice,
    );
    expect(stamped).toMatchObject({ type: "invoice.stamped", data: { side: "issuer" } });
    expect(stamped!.body).toBe("Invoice A12 to MCI7306249Y1 for 1160.00 MXN was stamped");
  });

  it("paid and cancelled reach both sides; ZIP documents, edits and strangers reach nobody", () => {
    for (const side of ["receiver", "issuer"]) {
      expect(invoiceEventNotification(side, event("invoice.paid"), invoice)?.type).toBe("invoice.paid");
      expect(invoiceEventNotification(side, event("invoice.cancelled"), invoice)?.type).toBe(
        "invoice.cancelled",
      );
      expect(invoiceEventNotification(side, event("invoice.updated"), invoice)).toBeNull();
    }
    expect(
      invoiceEventNotification("receiver", event("invoice.received", { source: "zip" }), invoice),
    ).toBeNull();
    expect(invoiceEventNotification("someone-else", event("invoice.paid"), invoice)).toBeNull();
    expect(invoiceEventNotification("receiver", event("invoice.paid"), null)).toBeNull();
  });
});

describe("importProgressQuarter", () => {
  it("marks 25, 50 and 75 % while running, nothing before or at the end", () => {
    expect([0, 24, 25, 50, 99, 100].map((p) => importProgressQuarter(p, 100))).toEqual([
      null,
      null,
      1,
      2,
      3,
      null,
    ]);
    expect(importProgressQuarter(0, 0)).toBeNull();
  });
});

describe("crossedBelow", () => {
  it("is true only for the charge that crossed the threshold", () => {
    expect(crossedBelow(9_900, 100, 10_000)).toBe(true);
    expect(crossedBelow(9_800, 100, 10_000)).toBe(false);
    expect(crossedBelow(10_000, 100, 10_000)).toBe(false);
    expect(crossedBelow(9_900, 0, 10_000)).toBe(false);
  });
});
