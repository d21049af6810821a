/**
 * Settling a stamp whose invoice is stored (workers/services/stamp-settlement.ts): the settle job
 * commits the folio, captures the hold and copies the consumption once, however often it is delivered,
 * so a stamp whose settlement failed in the request is finished by the queue and charged exactly once.
 */
import { createExecutionContext, createMessageBatch, getQueueResult } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { consumptions } from "../../db/schema";
import type { JobMessage } from "../../workers/env";
import worker from "../../workers/index";
import { ledgerStub } from "../../workers/services/ledger";
import { call, createOrg, db, signUp } from "./harness";

const owner = await signUp("settle");
const org = await createOrg(owner, { name: "EMISORA DE PRUEBA" });
const ledger = ledgerStub(env, org.id);

async function deliver(message: JobMessage, times: number) {
  const batch = createMessageBatch<JobMessage>(
    "timbre-jobs",
    Array.from({ length: times }, (_, i) => ({
      id: `s${i}`,
      timestamp: new Date(),
      attempts: 1,
      body: message,
    })),
  );
  const exec = createExecutionContext();
  await worker.queue(batch, env, exec);
  return getQueueResult(batch, exec);
}

describe("invoices.settle_stamp", () => {
  it("commits the folio, captures the hold and records one consumption, even delivered three times", async () => {
    const topUp = await call("POST", `/v1/balance/top-ups?organization_id=${org.id}`, {
      token: owner.token,
      body: { amount: 100 },
    });
    expect(topUp.status, topUp.text).toBe(201);
    const hold = await ledger.hold({ units: 1, idempotencyKey: "settle-test" });
    const reservation = await ledger.reserveFolio({ series: "S", idempotencyKey: "settle-test" });
    if (!hold.ok || !reservation.ok) throw new Error("ledger refused the test's hold or folio");

    const result = await deliver(
      {
        type: "invoices.settle_stamp",
        organizationId: org.id,
        reservationId: reservation.value.reservationId,
        holdId: hold.value.id,
        invoiceId: null,
      },
      3,
    );
    expect(result.retryMessages).toEqual([]);
    expect(result.explicitAcks).toHaveLength(3);

    const numerators = await ledger.numerators();
    expect(numerators).toEqual(
      expect.arrayContaining([expect.objectContaining({ series: "S", current: 1 })]),
    );
    const balance = await call("GET", `/v1/balance?organization_id=${org.id}`, { token: owner.token });
    expect(balance.json.balanceAmount).toBe(99);
    const rows = await db().select().from(consumptions).where(eq(consumptions.organizationId, org.id));
    expect(rows).toHaveLength(1);

    // The folio is the committed one: a new reservation gets the next number, not this one again.
    const next = await ledger.reserveFolio({ series: "S", idempotencyKey: "settle-test-next" });
    expect(next.ok && next.value.folio).toBe(2);
  });
});
