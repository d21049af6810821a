/**
 * POST /v1/webhooks/facturapi and its `facturapi.webhook` job: the signature gate (missing, wrong,
 * good), one stored event per event id however often it is delivered, and the job moving the invoice
 * stamped through Facturapi (found by its Facturapi id) once: a replayed or out-of-order event, or a
 * redelivered job, changes nothing; an unknown invoice is acknowledged.
 */
import { createExecutionContext, createMessageBatch, getQueueResult } from "cloudflare:test";
import { env, exports } from "cloudflare:workers";
import { and, eq } from "drizzle-orm";
import { afterEach, describe, expect, it, vi } from "vitest";
import { invoiceEvents, invoices, providerWebhookEvents } from "../../db/schema";
import { hex } from "../../shared/encoding";
import type { JobMessage } from "../../workers/env";
import worker from "../../workers/index";
import { BASE, createOrg, db, signUp } from "./harness";
import { seedInvoice } from "./security-matrix";

const owner = await signUp("facturapi");
const org = await createOrg(owner);

/** An invoice this organization stamped through Facturapi, waiting for the receiver's answer. */
async function facturapiInvoice(over: Partial<typeof invoices.$inferInsert> = {}) {
  const reference = `inv_${crypto.randomUUID().replace(/-/g, "").slice(0, 24)}`;
  const { invoiceId } = await seedInvoice(owner.token, org.id, {
    organizationId: null,
    providerId: org.id,
    source: "stamp",
    stampingProvider: "facturapi",
    providerReference: reference,
    cancellationStatus: "pending",
    cancellationMotive: "02",
    cancellationRequestedAt: "2026-01-05T18:00:00.000Z",
    ...over,
  });
  return { invoiceId, reference };
}

const event = (type: string, object: Record<string, unknown>, id = `evt_${crypto.randomUUID()}`) => ({
  id,
  created_at: "2026-01-07T12:00:00.000Z",
  livemode: false,
  organization: "5a2a307be93a2f00129ea035",
  type,
  data: { type: "invoice", object: { cancellation_status: "none", status: "valid", ...object } },
});

async function sign(body: string, secret = env.FACTURAPI_WEBHOOK_SECRET!) {
  const key = await crypto.subtle.importKey(
    "raw",
    new TextEncoder().encode(secret),
    { name: "HMAC", hash: "SHA-256" },
    false,
    ["sign"],
  );
  return hex(await crypto.subtle.sign("HMAC", key, new TextEncoder().encode(body)));
}

/** Posts the exact bytes of `body` (as Facturapi does), signed unless `signature` says otherwise. */
async function post(body: string, signature?: string | null) {
  const headers: Record<string, string> = { "content-type": "application/json" };
  const value = signature === undefined ? await sign(body) : signature;
  if (value !== null) headers["facturapi-signature"] = value;
  const res = await exports.default.fetch(
    new Request(`${BASE}/v1/webhooks/facturapi`, { method: "POST", headers, body }),
  );
  const text = await res.text();
  return { status: res.status, json: text ? JSON.parse(text) : undefined, text };
}

async function runJobs(eventIds: string[]) {
  const batch = createMessageBatch<JobMessage>(
    "timbre-jobs",
    eventIds.map((eventId, i) => ({
      id: `m${i}`,
      timestamp: new Date(),
      attempts: 1,
      body: { type: "facturapi.webhook", eventId },
    })),
  );
  const exec = createExecutionContext();
  await worker.queue(batch, env, exec);
  return getQueueResult(batch, exec);
}

const stored = (eventId: string) =>
  db()
    .select()
    .from(providerWebhookEvents)
    .where(and(eq(providerWebhookEvents.provider, "facturapi"), eq(providerWebhookEvents.eventId, eventId)));
const row = async (id: string) => (await db().select().from(invoices).where(eq(invoices.id, id)))[0]!;
const eventsOf = async (id: string) =>
  (await db().select().from(invoiceEvents).where(eq(invoiceEvents.invoiceId, id))).map((e) => e.type);

afterEach(() => {
  vi.restoreAllMocks();
});

describe("POST /v1/webhooks/facturapi: the signature", () => {
  it("refuses a missing, malformed or wrong signature with 401, storing and enqueuing nothing", async () => {
    const sends = vi.spyOn(env.JOBS, "send");
    const body = JSON.stringify(event("invoice.cancellation_status_updated", { id: "inv_x" }, "evt_forged"));
    const wrongSecret = await sign(body, "wh_sec_someone_else");
    const otherBody = await sign(`${body} `);
    for (const signature of [null, "", "zz", wrongSecret, otherBody, `${wrongSecret.slice(0, 63)}0`]) {
      const res = await post(body, signature);
      expect(res.status, String(signature)).toBe(401);
      expect(res.json.error).toBe("webhook_signature_invalid");
    }
    expect(await stored("evt_forged")).toHaveLength(0);
    expect(sends).not.toHaveBeenCalled();
  });

  it("checks the bytes as sent: the same event re-serialized no longer verifies", async () => {
    const body = `{ "id": "evt_spaced", "type": "invoice.status_updated", "data": { "object": { "id": "inv_y" } } }`;
    const signature = await sign(body);
    expect((await post(JSON.stringify(JSON.parse(body)), signature)).status).toBe(401);
    expect((await post(body, signature)).status).toBe(200);
  });

  it("answers a signed body that is not a Facturapi event with 400", async () => {
    for (const body of ["{not json", "[]", JSON.stringify({ id: "evt_1", type: "x" })]) {
      const res = await post(body);
      expect(res.status, body).toBe(400);
      expect(res.json.error).toBe("invalid_request_body");
    }
  });
});

describe("POST /v1/webhooks/facturapi: events", () => {
  it("takes an event once however often it is delivered, and the job applies it once", async () => {
    const { invoiceId, reference } = await facturapiInvoice();
    const sends = vi.spyOn(env.JOBS, "send");
    const body = JSON.stringify(
      event("invoice.cancellation_status_updated", {
        id: reference,
        status: "canceled",
        cancellation_status: "accepted",
        canceled_at: "2026-01-07T11:59:00.000Z",
      }),
    );
    const answers = [];
    for (let i = 0; i < 5; i++) answers.push(await post(body));
    expect(answers.map((a) => a.status)).toEqual([200, 200, 200, 200, 200]);
    expect(answers.map((a) => a.json.duplicate)).toEqual([false, true, true, true, true]);
    const eventId = answers[0]!.json.eventId as string;
    expect(sends).toHaveBeenCalledTimes(1);
    expect(sends).toHaveBeenCalledWith({ type: "facturapi.webhook", eventId });
    const [saved] = await stored(eventId);
    expect(saved).toMatchObject({ type: "invoice.cancellation_status_updated", processedAt: null });
    expect(saved!.enqueuedAt).not.toBeNull();
    expect(await row(invoiceId)).toMatchObject({ isCancelled: false, cancellationStatus: "pending" });

    // At-least-once delivery: the same message several times, in one batch and again later.
    const result = await runJobs([eventId, eventId, eventId]);
    expect(result.explicitAcks).toHaveLength(3);
    expect(result.retryMessages).toEqual([]);
    await runJobs([eventId]);
    expect(await row(invoiceId)).toMatchObject({
      isCancelled: true,
      cancelledAt: "2026-01-07T11:59:00.000Z",
      cancellationStatus: "accepted",
    });
    expect(await eventsOf(invoiceId)).toEqual(["invoice.cancelled"]);
    expect((await stored(eventId))[0]).toMatchObject({ outcome: "updated" });
  });

  it("follows pending → rejected, ignores an older state arriving late, and treats status canceled as accepted", async () => {
    const { invoiceId, reference } = await facturapiInvoice({
      cancellationStatus: null,
      cancellationMotive: null,
    });
    const send = async (type: string, object: Record<string, unknown>) => {
      const res = await post(JSON.stringify(event(type, { id: reference, ...object })));
      expect(res.status, res.text).toBe(200);
      const result = await runJobs([res.json.eventId]);
      expect(result.explicitAcks).toHaveLength(1);
      return (await stored(res.json.eventId))[0]!.outcome;
    };
    expect(await send("invoice.cancellation_status_updated", { cancellation_status: "pending" })).toBe(
      "updated",
    );
    expect((await row(invoiceId)).cancellationStatus).toBe("pending");
    expect(await send("invoice.cancellation_status_updated", { cancellation_status: "rejected" })).toBe(
      "updated",
    );
    expect(await row(invoiceId)).toMatchObject({ cancellationStatus: "rejected", isCancelled: false });
    // A second identical state under another event id changes nothing.
    expect(await send("invoice.cancellation_status_updated", { cancellation_status: "rejected" })).toBe(
      "unchanged",
    );
    expect(await send("invoice.status_updated", { status: "canceled" })).toBe("updated");
    expect(await row(invoiceId)).toMatchObject({ cancellationStatus: "accepted", isCancelled: true });
    // Nothing comes back from a cancellation.
    expect(await send("invoice.cancellation_status_updated", { cancellation_status: "pending" })).toBe(
      "unchanged",
    );
    expect(await row(invoiceId)).toMatchObject({ cancellationStatus: "accepted", isCancelled: true });
    expect(await eventsOf(invoiceId)).toEqual(["invoice.updated", "invoice.updated", "invoice.cancelled"]);
  });

  it("acknowledges an event about an unknown invoice, or one stamped elsewhere, without changes", async () => {
    const sandboxStamped = await facturapiInvoice({ stampingProvider: "sandbox" });
    for (const id of ["inv_unknown", sandboxStamped.reference]) {
      const res = await post(
        JSON.stringify(event("invoice.cancellation_status_updated", { id, cancellation_status: "accepted" })),
      );
      const result = await runJobs([res.json.eventId]);
      expect(result.explicitAcks).toHaveLength(1);
      expect((await stored(res.json.eventId))[0]!.outcome).toBe("invoice_not_found");
    }
    expect(await row(sandboxStamped.invoiceId)).toMatchObject({
      cancellationStatus: "pending",
      isCancelled: false,
    });
  });

  it("records other event types as seen without enqueuing them", async () => {
    const sends = vi.spyOn(env.JOBS, "send");
    const res = await post(JSON.stringify(event("receipt.status_updated", { id: "rcp_1" })));
    expect(res.status).toBe(200);
    expect(sends).not.toHaveBeenCalled();
    expect((await stored(res.json.eventId))[0]).toMatchObject({ outcome: "ignored", enqueuedAt: null });
  });
});
