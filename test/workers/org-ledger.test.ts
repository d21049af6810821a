/**
 * The OrgLedger Durable Object through the Worker's side of its RPC (workers/services/ledger.ts):
 * folio numbering (contiguity, requested folios, ranges, expiry by alarm, 200 concurrent allocations
 * with and without an eviction in the middle) and the balance/consumables ledger (holds, captures,
 * included units, idempotent retries, insufficient balance).
 */
import { evictDurableObject, runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import type { OrgLedger } from "../../durable-objects/org-ledger";
import { periodOf } from "../../shared/ledger/period";
import { type LedgerStub, ledgerCall, ledgerStub } from "../../workers/services/ledger";

function newLedger() {
  const organizationId = crypto.randomUUID();
  const on = <T>(call: Parameters<typeof ledgerCall<T>>[2]) => ledgerCall(env, organizationId, call);
  return { organizationId, stub: ledgerStub(env, organizationId), on };
}

const reserve = (
  stub: LedgerStub,
  idempotencyKey: string,
  extra: { series?: string; requested?: number } = {},
) => stub.reserveFolio({ series: extra.series ?? "", idempotencyKey, requested: extra.requested });

const committedFolios = (stub: LedgerStub, series = "") =>
  runInDurableObject(stub, (_instance: OrgLedger, state) =>
    state.storage.sql
      .exec<{ folio: number }>(
        "SELECT folio FROM folio_reservations WHERE series = ? AND state = 'committed' ORDER BY folio",
        series,
      )
      .toArray()
      .map((r) => r.folio),
  );

const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => from + i);

describe("folio numbering", () => {
  it("keeps committed folios contiguous whatever the order of commits and releases", async () => {
    const { on, stub } = newLedger();
    const [a, b, c] = await Promise.all(["a", "b", "c"].map((k) => on((s) => reserve(s, k))));
    expect([a!.folio, b!.folio, c!.folio]).toEqual([1, 2, 3]);

    await on((s) => s.releaseFolio(b!.reservationId));
    await on((s) => s.commitFolio(c!.reservationId));
    const d = await on((s) => reserve(s, "d"));
    expect(d.folio).toBe(2); // the released folio comes back before the numerator moves on
    await on((s) => s.commitFolio(a!.reservationId));
    const e = await on((s) => reserve(s, "e"));
    expect(e.folio).toBe(4);
    await on((s) => s.releaseFolio(e.reservationId));
    const f = await on((s) => reserve(s, "f"));
    expect(f.folio).toBe(4);
    await on((s) => s.commitFolio(f.reservationId));
    const committed = await on((s) => s.commitFolio(d.reservationId));
    expect(committed).toMatchObject({ folio: 2, state: "committed" });

    expect(await committedFolios(stub)).toEqual([1, 2, 3, 4]);
    // Settling is final: a committed folio cannot be released, a released reservation cannot be committed.
    await expect(on((s) => s.releaseFolio(d.reservationId))).rejects.toMatchObject({
      status: 409,
      code: "folio_already_committed",
    });
    await expect(on((s) => s.commitFolio(b!.reservationId))).rejects.toMatchObject({
      status: 409,
      code: "folio_reservation_closed",
    });
    await expect(on((s) => s.commitFolio(crypto.randomUUID()))).rejects.toMatchObject({
      status: 404,
      code: "reservation_not_found",
    });
  });

  it("accepts a requested folio once, refuses it while used, and numbers around it", async () => {
    const { on, stub } = newLedger();
    const five = await on((s) => reserve(s, "req-5", { requested: 5 }));
    expect(five).toMatchObject({ folio: 5, state: "reserved" });
    await on((s) => s.commitFolio(five.reservationId));
    await expect(on((s) => reserve(s, "req-5-again", { requested: 5 }))).rejects.toMatchObject({
      status: 409,
      code: "folio_in_use",
    });

    const auto = [];
    for (const k of ["n1", "n2", "n3", "n4", "n5"]) auto.push((await on((s) => reserve(s, k))).folio);
    expect(auto).toEqual([1, 2, 3, 4, 6]);

    // A requested folio ahead of the numerator, released, is not a gap to fill first.
    const nine = await on((s) => reserve(s, "req-9", { requested: 9 }));
    await on((s) => s.releaseFolio(nine.reservationId));
    expect((await on((s) => reserve(s, "n6"))).folio).toBe(7);
    // Released, it may be requested again.
    expect((await on((s) => reserve(s, "req-9-again", { requested: 9 }))).folio).toBe(9);
    expect((await stub.numerators())[0]).toMatchObject({
      series: "",
      rangeMin: 1,
      rangeMax: null,
      current: 7,
    });
  });

  it("numbers each series within its configured range and refuses past it", async () => {
    const { on } = newLedger();
    expect(
      await on((s) => s.configureSeries({ series: "B", prefix: "FB-", rangeMin: 10, rangeMax: 11 })),
    ).toEqual({ series: "B", prefix: "FB-", rangeMin: 10, rangeMax: 11, current: 0 });
    const first = await on((s) => reserve(s, "b1", { series: "B" }));
    expect(first).toMatchObject({ series: "B", folio: 10, prefix: "FB-" });
    expect((await on((s) => reserve(s, "b2", { series: "B" }))).folio).toBe(11);
    await expect(on((s) => reserve(s, "b3", { series: "B" }))).rejects.toMatchObject({
      status: 409,
      code: "folio_range_exhausted",
    });
    await expect(on((s) => reserve(s, "b4", { series: "B", requested: 12 }))).rejects.toMatchObject({
      status: 422,
      code: "folio_out_of_range",
    });
    await expect(on((s) => s.configureSeries({ series: "B", rangeMax: 10 }))).rejects.toMatchObject({
      status: 422,
      code: "folio_range_invalid",
    });
    // Series are independent: the default series still starts at 1.
    expect((await on((s) => reserve(s, "a1"))).folio).toBe(1);
    await expect(on((s) => reserve(s, "", {}))).rejects.toMatchObject({
      status: 400,
      code: "invalid_argument",
    });
  });

  it("answers a retried reservation with the same folio, never a second one", async () => {
    const { on, stub } = newLedger();
    const first = await on((s) => reserve(s, "retry-me"));
    const again = await on((s) => reserve(s, "retry-me"));
    expect(again).toEqual(first);
    await on((s) => s.commitFolio(first.reservationId));
    expect(await on((s) => s.commitFolio(first.reservationId))).toMatchObject({
      folio: 1,
      state: "committed",
    });
    expect(await on((s) => reserve(s, "retry-me"))).toMatchObject({ folio: 1, state: "committed" });
    await expect(on((s) => reserve(s, "retry-me", { requested: 3 }))).rejects.toMatchObject({
      status: 422,
      code: "idempotency_key_reused",
    });
    expect((await stub.numerators())[0]!.current).toBe(1);
  });

  it("releases reservations left open once the alarm finds them expired", async () => {
    const { on, stub } = newLedger();
    const stale = await on((s) => reserve(s, "stale"));
    const fresh = await on((s) => reserve(s, "fresh"));
    await runInDurableObject(stub, (_i: OrgLedger, state) => {
      state.storage.sql.exec(
        "UPDATE folio_reservations SET expires_at = ? WHERE id = ?",
        Date.now() - 1,
        stale.reservationId,
      );
    });
    expect(await runDurableObjectAlarm(stub)).toBe(true);

    expect(await on((s) => s.releaseFolio(stale.reservationId))).toMatchObject({
      folio: 1,
      state: "expired",
    });
    await expect(on((s) => s.commitFolio(stale.reservationId))).rejects.toMatchObject({
      code: "folio_reservation_closed",
    });
    // The fresh one is untouched and the alarm is armed again for it.
    expect(await on((s) => s.commitFolio(fresh.reservationId))).toMatchObject({
      folio: 2,
      state: "committed",
    });
    expect(await runInDurableObject(stub, (_i: OrgLedger, state) => state.storage.getAlarm())).not.toBeNull();
    expect((await on((s) => reserve(s, "after"))).folio).toBe(1);
  });

  it("allocates folios 1..200 to 200 concurrent reserve+commit calls, no duplicate and no gap", async () => {
    const { stub, on } = newLedger();
    await stub.health("warm-up");
    const started = performance.now();
    const folios = await Promise.all(
      range(1, 200).map(async (i) => {
        const r = await on((s) => reserve(s, `stamp-${i}`));
        await on((s) => s.commitFolio(r.reservationId));
        return r.folio;
      }),
    );
    const seconds = (performance.now() - started) / 1000;
    console.log(
      `[org-ledger] 200 concurrent reserve+commit: ${(200 / seconds).toFixed(0)} folio allocations/s`,
    );
    expect([...folios].sort((a, b) => a - b)).toEqual(range(1, 200));
    expect(await committedFolios(stub)).toEqual(range(1, 200));
  });

  it("still allocates exactly 1..200 when the object is evicted mid-run and failed calls are retried", async () => {
    const { stub, organizationId } = newLedger();
    await stub.health("warm-up");
    let done = 0;
    let retried = 0;
    // Each request retries with its own idempotency key, as a client would after a failed response.
    const persist = async <T>(call: (s: LedgerStub) => Promise<{ ok: true; value: T } | { ok: false }>) => {
      for (let attempt = 1; ; attempt++) {
        try {
          const result = await call(ledgerStub(env, organizationId));
          if (result.ok) return result.value;
          throw new Error(`refused: ${JSON.stringify(result)}`);
        } catch (error) {
          if (attempt === 5) throw error;
          retried++;
        }
      }
    };
    let eviction: Promise<void> | undefined;
    let doneBeforeEviction = 0;
    const allocated = await Promise.all(
      range(1, 200).map(async (i) => {
        const r = await persist((s) => reserve(s, `evict-${i}`));
        await persist((s) => s.commitFolio(r.reservationId));
        // With the other requests in flight, tear the object down.
        if (++done === 50) {
          doneBeforeEviction = done;
          eviction = evictDurableObject(ledgerStub(env, organizationId));
        }
        return r.folio;
      }),
    );
    await eviction;
    console.log(
      `[org-ledger] eviction after ${doneBeforeEviction}/200 allocations; ${retried} calls retried`,
    );
    expect(doneBeforeEviction).toBeLessThan(200);
    expect([...allocated].sort((a, b) => a - b)).toEqual(range(1, 200));
    expect(await committedFolios(stub)).toEqual(range(1, 200));
    expect((await stub.numerators())[0]!.current).toBe(200);
  });
});

describe("balance and consumables", () => {
  const sumOfEntries = (stub: LedgerStub) =>
    runInDurableObject(stub, (_i: OrgLedger, state) =>
      state.storage.sql
        .exec<{ balance: number; held: number }>(
          `SELECT
             COALESCE(SUM(CASE kind WHEN 'credit' THEN amount_cents WHEN 'capture' THEN -amount_cents
               WHEN 'charge' THEN -amount_cents ELSE 0 END), 0) AS balance,
             COALESCE(SUM(CASE WHEN kind = 'hold' AND id NOT IN
               (SELECT hold_id FROM ledger_entries WHERE hold_id IS NOT NULL) THEN amount_cents ELSE 0 END), 0) AS held
           FROM ledger_entries`,
        )
        .one(),
    );

  it("credits once per key, holds and captures exactly, and refuses a hold beyond the available balance", async () => {
    const { on, stub } = newLedger();
    expect(await stub.balance()).toEqual({
      balanceAmount: "0.00",
      availableAmount: "0.00",
      heldAmount: "0.00",
      lastTransactionAt: null,
    });
    const topUp = await on((s) =>
      s.credit({ amount: "100", idempotencyKey: "top-up-1", reference: "manual" }),
    );
    expect(topUp).toMatchObject({ kind: "credit", amount: "100.00" });
    expect(await on((s) => s.credit({ amount: "100", idempotencyKey: "top-up-1" }))).toEqual(topUp);
    await expect(on((s) => s.credit({ amount: "50", idempotencyKey: "top-up-1" }))).rejects.toMatchObject({
      status: 422,
      code: "idempotency_key_reused",
    });
    await expect(on((s) => s.credit({ amount: "1.005", idempotencyKey: "bad" }))).rejects.toMatchObject({
      status: 400,
      code: "invalid_argument",
    });

    await on((s) => s.configurePlan({ includedUnits: 0, unitPrice: "30.00" }));
    const held = await on((s) => s.hold({ units: 3, idempotencyKey: "stamp-1", reference: "invoice-1" }));
    expect(held).toMatchObject({ kind: "hold", state: "held", amount: "90.00", units: 3, includedUnits: 0 });
    expect(await stub.balance()).toMatchObject({
      balanceAmount: "100.00",
      availableAmount: "10.00",
      heldAmount: "90.00",
    });
    // A retried hold is the same hold, reserved once.
    expect((await on((s) => s.hold({ units: 3, idempotencyKey: "stamp-1" }))).id).toBe(held.id);
    expect((await stub.balance()).heldAmount).toBe("90.00");

    expect(await on((s) => s.capture(held.id))).toMatchObject({ id: held.id, state: "captured" });
    expect(await on((s) => s.capture(held.id))).toMatchObject({ id: held.id, state: "captured" });
    await expect(on((s) => s.release(held.id))).rejects.toMatchObject({
      status: 409,
      code: "hold_already_settled",
    });
    const after = await stub.balance();
    expect(after).toMatchObject({ balanceAmount: "10.00", availableAmount: "10.00", heldAmount: "0.00" });

    await expect(on((s) => s.hold({ units: 1, idempotencyKey: "stamp-2" }))).rejects.toMatchObject({
      status: 402,
      code: "insufficient_balance",
    });
    expect(await stub.balance()).toEqual(after);
    await expect(on((s) => s.capture(crypto.randomUUID()))).rejects.toMatchObject({
      status: 404,
      code: "hold_not_found",
    });

    // Nothing is lost across an eviction, and the running totals are the sum of the entries.
    await evictDurableObject(stub);
    expect(await stub.balance()).toEqual(after);
    expect(await sumOfEntries(stub)).toEqual({ balance: 1000, held: 0 });
  });

  it("uses the period's included units before money, and gives them back when a hold is released", async () => {
    const { on, stub } = newLedger();
    await on((s) => s.configurePlan({ includedUnits: 2, unitPrice: "5.00" }));
    const h1 = await on((s) => s.hold({ units: 1, idempotencyKey: "h1" }));
    const h2 = await on((s) => s.hold({ units: 1, idempotencyKey: "h2" }));
    expect([h1.amount, h2.amount, h1.includedUnits]).toEqual(["0.00", "0.00", 1]);
    await expect(on((s) => s.hold({ units: 1, idempotencyKey: "h3" }))).rejects.toMatchObject({
      code: "insufficient_balance",
    });
    await on((s) => s.release(h2.id));
    const h3 = await on((s) => s.hold({ units: 1, idempotencyKey: "h3" }));
    expect(h3.amount).toBe("0.00");
    await on((s) => s.capture(h1.id));
    await on((s) => s.capture(h3.id));

    await on((s) => s.credit({ amount: "12.50", idempotencyKey: "c1" }));
    await expect(on((s) => s.hold({ units: 3, idempotencyKey: "h4" }))).rejects.toMatchObject({
      code: "insufficient_balance",
    });
    const h4 = await on((s) => s.hold({ units: 2, idempotencyKey: "h4-small" }));
    expect(h4).toMatchObject({ amount: "10.00", includedUnits: 0, unitPrice: "5.00" });
    await on((s) => s.capture(h4.id));
    await expect(on((s) => s.charge({ units: 1, idempotencyKey: "charge-1" }))).rejects.toMatchObject({
      code: "insufficient_balance",
    });
    await on((s) => s.configurePlan({ includedUnits: 2, unitPrice: "2.50" }));
    const direct = await on((s) => s.charge({ units: 1, idempotencyKey: "charge-1", reference: "api" }));
    expect(direct).toMatchObject({ kind: "charge", amount: "2.50", unitPrice: "2.50" });
    expect(await on((s) => s.charge({ units: 1, idempotencyKey: "charge-1" }))).toEqual(direct);

    const period = periodOf(new Date());
    expect(await on((s) => s.consumables({}))).toEqual([
      {
        consumableKey: "stamp",
        period,
        includedUnits: 2,
        remainingIncludedUnits: 0,
        heldUnits: 0,
        usedUnits: 5,
        chargedUnits: 3,
        unitPrice: "2.50",
        chargedAmount: "12.50",
      },
    ]);
    const list = await on((s) => s.consumptions({ page: 1, limit: 2 }));
    expect(list.totalCount).toBe(4);
    expect(list.totalPages).toBe(2);
    expect(list.data.map((c) => [c.id, c.count, c.unitPrice, c.amount])).toEqual([
      [direct.id, 1, "2.50", "2.50"],
      [h4.id, 2, "5.00", "10.00"],
    ]);
    expect(await stub.balance()).toMatchObject({ balanceAmount: "0.00", heldAmount: "0.00" });
    expect(await sumOfEntries(stub)).toEqual({ balance: 0, held: 0 });
  });

  it("counts periods as calendar months in Mexico City time", () => {
    expect(periodOf(new Date("2025-01-01T05:59:59Z"))).toBe("2024-12");
    expect(periodOf(new Date("2025-01-01T06:00:00Z"))).toBe("2025-01");
  });
});
