/**
 * Issue #5's concurrency acceptance through the real route: 200 concurrent `POST /v1/invoices/stamp`
 * for one organization whose balance pays for exactly 200 stamps → 200 invoices, folios 1..200 with no
 * duplicate and no gap, exactly 200 stamps charged, and a 201st refused with 402 before any folio is
 * reserved. Then the same with the OrgLedger Durable Object evicted while requests are in flight,
 * the client retrying each request with its own Idempotency-Key until it succeeds (after a failed
 * response, and for some while the first attempt still runs).
 */
import { evictDurableObject, runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { consumptions, invoices } from "../../db/schema";
import type { OrgLedger } from "../../durable-objects/org-ledger";
import { ledgerStub } from "../../workers/services/ledger";
import { db } from "./harness";
import { setUpIssuer } from "./issuer-fixture";

const STAMPS = 200;
/** Until a plan is configured a stamp costs 1.00 MXN (durable-objects/org-ledger-balance.ts). */
const UNIT_PRICE = 1;
const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => from + i);

type Issuer = Awaited<ReturnType<typeof setUpIssuer>>;
type Marked = { marked?: true };

/** An issuer whose balance pays for exactly STAMPS stamps (the top-up minimum is 100 MXN). */
async function fundedIssuer(): Promise<Issuer> {
  const issuer = await setUpIssuer();
  await issuer.topUp(STAMPS * UNIT_PRICE);
  expect(await issuer.balance()).toBe(STAMPS * UNIT_PRICE);
  return issuer;
}

/** What the organization ended up with: stored invoices, copied consumptions, the ledger's state. */
async function outcome(organizationId: string) {
  const stored = await db()
    .select({ folio: invoices.folioNumber, series: invoices.series, status: invoices.status })
    .from(invoices)
    .where(eq(invoices.providerId, organizationId));
  const consumed = await db()
    .select({ count: consumptions.count, amountCents: consumptions.amountCents })
    .from(consumptions)
    .where(eq(consumptions.organizationId, organizationId));
  const ledger = await runInDurableObject(ledgerStub(env, organizationId), (_o: OrgLedger, state) => {
    const count = (query: string) => state.storage.sql.exec<{ n: number }>(query).one().n;
    return {
      committedFolios: state.storage.sql
        .exec<{ folio: number }>(
          "SELECT folio FROM folio_reservations WHERE state = 'committed' ORDER BY folio",
        )
        .toArray()
        .map((r) => r.folio),
      openReservations: count("SELECT COUNT(*) AS n FROM folio_reservations WHERE state = 'reserved'"),
      captures: count("SELECT COUNT(*) AS n FROM ledger_entries WHERE kind = 'capture'"),
      openHolds: count(
        "SELECT COUNT(*) AS n FROM ledger_entries h WHERE kind = 'hold' AND NOT EXISTS (SELECT 1 FROM ledger_entries s WHERE s.hold_id = h.id)",
      ),
    };
  });
  return {
    folios: stored.map((i) => Number(i.folio)).sort((a, b) => a - b),
    statuses: new Set(stored.map((i) => i.status)),
    consumedUnits: consumed.reduce((sum, c) => sum + c.count, 0),
    consumedCents: consumed.reduce((sum, c) => sum + c.amountCents, 0),
    ...ledger,
  };
}

/** Every acceptance point of a finished run of STAMPS stamps. */
async function expectExactlyStamps(issuer: Issuer, folios: number[]) {
  expect([...folios].sort((a, b) => a - b)).toEqual(range(1, STAMPS));
  const after = await outcome(issuer.issuer.id);
  expect(after.folios).toEqual(range(1, STAMPS));
  expect(after.statuses).toEqual(new Set(["sent"]));
  expect(after.committedFolios).toEqual(range(1, STAMPS));
  expect(after.openReservations).toBe(0);
  expect(after.captures).toBe(STAMPS);
  expect(after.openHolds).toBe(0);
  expect(after.consumedUnits).toBe(STAMPS);
  expect(after.consumedCents).toBe(STAMPS * UNIT_PRICE * 100);
  expect(await issuer.balance()).toBe(0);
}

/** The 201st stamp: refused before any folio is reserved, nothing stored, nothing charged. */
async function expectRefusedWhenExhausted(issuer: Issuer) {
  const refused = await issuer.stamp({}, { key: `${issuer.issuer.id}:one-too-many` });
  expect(refused.status, refused.text).toBe(402);
  expect(refused.json.error).toBe("insufficient_balance");
  const after = await outcome(issuer.issuer.id);
  expect(after.folios).toHaveLength(STAMPS);
  expect(after.committedFolios).toEqual(range(1, STAMPS));
  expect(after.openReservations).toBe(0);
  expect(after.openHolds).toBe(0);
  expect((await ledgerStub(env, issuer.issuer.id).numerators())[0]!.current).toBe(STAMPS);
  expect(await issuer.balance()).toBe(0);
}

describe("200 concurrent stamps for one organization", () => {
  it("stamps 200 invoices with folios 1..200, charges exactly 200 stamps, refuses the 201st", async () => {
    const issuer = await fundedIssuer();
    const started = performance.now();
    const results = await Promise.all(
      range(1, STAMPS).map((i) => issuer.stamp({}, { key: `concurrent-${i}` })),
    );
    const seconds = (performance.now() - started) / 1000;
    console.log(
      `[stamping-concurrency] ${STAMPS} concurrent stamps in ${seconds.toFixed(2)} s = ${(STAMPS / seconds).toFixed(1)} stamps/s`,
    );
    for (const r of results) expect(r.status, r.text).toBe(201);
    await expectExactlyStamps(
      issuer,
      results.map((r) => Number(r.json.invoice.folioNumber)),
    );
    await expectRefusedWhenExhausted(issuer);
  }, 180_000);

  it("holds with the ledger evicted mid-run and requests retried with their Idempotency-Key", async () => {
    const issuer = await fundedIssuer();
    const stub = ledgerStub(env, issuer.issuer.id);
    // A mark on the live instance: gone afterwards only if the object really was torn down and rebuilt.
    await runInDurableObject(stub, (instance: OrgLedger) => {
      (instance as unknown as Marked).marked = true;
    });
    const failures = new Map<string, number>();
    // A client that retries until it gets its invoice: after a failed response, and also (every
    // tenth request) while its first attempt is still in flight, as after a client-side timeout. A
    // retry that overtakes its first attempt is told 409 and comes back for the stored response.
    const stampUntilDone = async (key: string) => {
      const deadline = Date.now() + 120_000;
      for (let attempt = 1; ; attempt++) {
        const res = await issuer.stamp({}, { key });
        if (res.status === 201) return res;
        const reason = `${res.status} ${res.json?.error ?? res.text.slice(0, 80)}`;
        failures.set(reason, (failures.get(reason) ?? 0) + 1);
        if (Date.now() > deadline) throw new Error(`stamp ${key} never succeeded: ${reason}`);
        await new Promise((resolve) => setTimeout(resolve, Math.min(500, 25 * attempt)));
      }
    };
    let done = 0;
    let inFlightAtEviction = 0;
    let eviction: Promise<void> | undefined;
    const results = await Promise.all(
      range(1, STAMPS).map(async (i) => {
        const key = `evicted-${i}`;
        const [res, retry] = await Promise.all([
          stampUntilDone(key),
          i % 10 === 0 ? stampUntilDone(key) : undefined,
        ]);
        if (retry) expect(retry.json.invoice.id).toBe(res.json.invoice.id);
        if (++done === STAMPS / 4) {
          inFlightAtEviction = STAMPS - done;
          eviction = evictDurableObject(ledgerStub(env, issuer.issuer.id));
        }
        return res;
      }),
    );
    await eviction;
    console.log(
      `[stamping-concurrency] evicted with ${inFlightAtEviction}/${STAMPS} stamps in flight; responses the client retried: ${JSON.stringify(Object.fromEntries(failures))}`,
    );
    expect(inFlightAtEviction).toBe((STAMPS * 3) / 4);
    expect(
      await runInDurableObject(stub, (instance: OrgLedger) => (instance as unknown as Marked).marked),
    ).toBeUndefined();
    // The only failure a client sees is its own retry overtaking its first attempt: no 5xx from the eviction.
    for (const reason of failures.keys()) expect(reason).toBe("409 idempotency_request_in_progress");
    await expectExactlyStamps(
      issuer,
      results.map((r) => Number(r.json.invoice.folioNumber)),
    );
    await expectRefusedWhenExhausted(issuer);
  }, 240_000);
});
