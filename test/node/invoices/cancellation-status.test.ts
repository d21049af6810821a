// The cancellation request's lifecycle beside the invoice status (shared/invoices/status).
import { describe, expect, it } from "vitest";
import {
  CANCELLATION_STATUSES,
  canChangeCancellation,
  canRequestCancellation,
} from "../../../shared/invoices/status";

describe("cancellation status", () => {
  it("moves pending to an answer, lets a failed request be made again, and never leaves accepted", () => {
    const allowed = Object.fromEntries(
      [null, ...CANCELLATION_STATUSES].map((from) => [
        String(from),
        CANCELLATION_STATUSES.filter((to) => canChangeCancellation(from, to)),
      ]),
    );
    expect(allowed).toEqual({
      null: ["pending", "accepted", "rejected", "expired"],
      pending: ["accepted", "rejected", "expired"],
      accepted: [],
      rejected: ["pending", "accepted"],
      expired: ["pending", "accepted"],
    });
  });

  it("allows a new request only when none is pending or accepted", () => {
    expect([null, ...CANCELLATION_STATUSES].filter(canRequestCancellation)).toEqual([
      null,
      "rejected",
      "expired",
    ]);
  });
});
