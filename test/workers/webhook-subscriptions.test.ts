/**
 * Outgoing webhooks as a customer meets them: managing subscriptions (tenancy, roles, bad input),
 * the SSRF policy at subscription time and at delivery, and delivery through the JOBS consumer: an
 * uploaded invoice reaches the receiver signed, a failing receiver is retried with growing delays and
 * finally parked where the customer can see it. The network is a spy on fetch: DNS-over-HTTPS
 * answers from a table, and every other request is the receiver's.
 */
import {
  createExecutionContext,
  createMessageBatch,
  createScheduledController,
  getQueueResult,
  waitOnExecutionContext,
} from "cloudflare:test";
import { env } from "cloudflare:workers";
import { eq } from "drizzle-orm";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { webhookDeliveries, webhookSubscriptions } from "../../db/schema";
import { parseCfdi } from "../../shared/cfdi/parse";
import { isGenericRfc } from "../../shared/rfc";
import { WEBHOOK_MAX_ATTEMPTS } from "../../shared/webhooks/retry";
import { verifyWebhookSignature } from "../../shared/webhooks/signing";
import type { JobMessage } from "../../workers/env";
import worker from "../../workers/index";
import {
  addMember,
  call,
  cfdiFixture,
  cfdiFixturePaths,
  createOrg,
  createOrgWithRfc,
  db,
  signUp,
  type TestUser,
  uploadInvoice,
} from "./harness";

const PUBLIC_IP = "93.184.215.14";
/** What the fake DNS answers; a name missing here does not exist. */
const DNS: Record<string, string[]> = {
  "receiver.example.com": [PUBLIC_IP, "2606:2800:21f:cb07:6820:80da:af6b:8b2c"],
  "failing.example.com": [PUBLIC_IP],
  "rebind.example.com": [PUBLIC_IP],
  "internal.example.com": [PUBLIC_IP, "10.0.0.7"],
};
const RECEIVER = "https://receiver.example.com/hooks/timbre";

interface Received {
  url: string;
  headers: Headers;
  body: string;
}

/** Installs the fake network; `answer` is the receiver. Returns what the receiver got. */
function network(answer: (url: string) => Response = () => new Response("ok")) {
  const received: Received[] = [];
  vi.spyOn(globalThis, "fetch").mockImplementation(async (input, init) => {
    const req = new Request(input, init);
    const url = new URL(req.url);
    if (url.hostname === "cloudflare-dns.com") {
      const name = url.searchParams.get("name")!;
      const type = url.searchParams.get("type");
      const known = DNS[name];
      const data = (known ?? []).filter((a) => (type === "AAAA") === a.includes(":"));
      return Response.json({
        Status: known ? 0 : 3,
        Answer: data.map((d) => ({ name, type: type === "AAAA" ? 28 : 1, data: d })),
      });
    }
    received.push({ url: req.url, headers: req.headers, body: await req.text() });
    return answer(req.url);
  });
  return received;
}

type Msg = { id: string; body: JobMessage; attempts?: number };

/**
 * Runs messages through the Worker's queue handler. The plugin's queue result lists retried messages
 * without their delay, so each message's retry() is watched for the delay it was given.
 */
async function runJobs(messages: Msg[], queue = "timbre-jobs") {
  const batch = createMessageBatch<JobMessage>(
    queue,
    messages.map((m) => ({ id: m.id, timestamp: new Date(), attempts: m.attempts ?? 1, body: m.body })),
  );
  const retries = batch.messages.map((m) => vi.spyOn(m, "retry"));
  const exec = createExecutionContext();
  await worker.queue(batch, env, exec);
  const result = await getQueueResult(batch, exec);
  const retryDelays = retries.flatMap((spy) => spy.mock.calls.map(([options]) => options?.delaySeconds));
  return { ...result, retryDelays };
}

const publish = (organizationId: string) =>
  runJobs([{ id: `publish-${organizationId}`, body: { type: "webhooks.publish", organizationId } }]);
const deliver = (deliveryId: string, id = `deliver-${deliveryId}`, attempts = 1) =>
  runJobs([{ id, body: { type: "webhooks.deliver", deliveryId }, attempts }]);

const subscribe = (token: string, orgId: string, body: Record<string, unknown>) =>
  call("POST", `/v1/webhook-subscriptions?organization_id=${orgId}`, {
    token,
    body: { name: "ERP", url: RECEIVER, eventTypes: ["invoice.received"], ...body },
  });

const deliveriesOf = async (token: string, subscriptionId: string, query = "") =>
  (await call("GET", `/v1/webhook-subscriptions/${subscriptionId}/deliveries${query}`, { token })).json;

/** Time passes: the delivery's next attempt is due now. */
const makeDue = (deliveryId: string) =>
  db()
    .update(webhookDeliveries)
    .set({ nextAttemptAt: new Date(Date.now() - 1000).toISOString() })
    .where(eq(webhookDeliveries.id, deliveryId));

/** A stamped invoice fixture with a real receiver, and an organization with the receiver's RFC. */
async function receiverWithInvoice(owner: TestUser) {
  const path = cfdiFixturePaths().find((p) => {
    if (p.startsWith("retenciones/")) return false;
    const cfdi = parseCfdi(cfdiFixture(p));
    return cfdi.TipoDeComprobante === "I" && !isGenericRfc(cfdi.Receptor.Rfc);
  })!;
  const xml = cfdiFixture(path);
  const cfdi = parseCfdi(xml);
  const org = await createOrgWithRfc(owner, cfdi.Receptor.Rfc, cfdi.Receptor.RegimenFiscalReceptor);
  return { org, xml };
}

afterEach(() => vi.restoreAllMocks());

describe("managing webhook subscriptions", () => {
  beforeEach(() => {
    network();
  });

  it("creates (secret shown once), lists, reads, updates and deletes", async () => {
    const owner = await signUp("wh-crud");
    const org = await createOrg(owner);
    const created = await subscribe(owner.token, org.id, {
      eventTypes: ["invoice.received", "invoice.paid", "invoice.received"],
    });
    expect(created.status, created.text).toBe(201);
    const sub = created.json.subscription;
    expect(sub).toMatchObject({
      organizationId: org.id,
      name: "ERP",
      url: RECEIVER,
      eventTypes: ["invoice.received", "invoice.paid"],
      active: true,
    });
    expect(sub.secret).toMatch(/^whsec_/);
    expect(sub.lastPublishedOffset).toBeGreaterThanOrEqual(0);

    // The stored secret is sealed, never the plain text.
    const [row] = await db().select().from(webhookSubscriptions).where(eq(webhookSubscriptions.id, sub.id));
    expect(JSON.stringify(row)).not.toContain(sub.secret);

    const own = await subscribe(owner.token, org.id, { name: "Own secret", secret: "s".repeat(32) });
    expect(own.json.subscription.secret).toBe("s".repeat(32));

    const got = await call("GET", `/v1/webhook-subscriptions/${sub.id}`, { token: owner.token });
    expect(got.status).toBe(200);
    expect(got.json.secret).toBeUndefined();
    expect(got.json.name).toBe("ERP");

    const list = await call("GET", `/v1/webhook-subscriptions?organization_id=${org.id}&limit=10`, {
      token: owner.token,
    });
    expect(list.json).toMatchObject({ totalCount: 2, totalPages: 1 });
    expect(list.json.data.map((s: { name: string }) => s.name)).toEqual(["Own secret", "ERP"]);
    expect(JSON.stringify(list.json)).not.toContain("whsec_");

    const updated = await call("PATCH", `/v1/webhook-subscriptions/${sub.id}`, {
      token: owner.token,
      body: { name: "ERP v2", active: false, url: "https://failing.example.com/x" },
    });
    expect(updated.status, updated.text).toBe(200);
    expect(updated.json).toMatchObject({
      name: "ERP v2",
      active: false,
      url: "https://failing.example.com/x",
    });

    // Inactive subscriptions are left out unless asked for.
    const active = await call("GET", `/v1/webhook-subscriptions?organization_id=${org.id}`, {
      token: owner.token,
    });
    expect(active.json.data.map((s: { id: string }) => s.id)).not.toContain(sub.id);
    const all = await call(
      "GET",
      `/v1/webhook-subscriptions?organization_id=${org.id}&include_inactive=true`,
      { token: owner.token },
    );
    expect(all.json.totalCount).toBe(2);

    const deleted = await call("DELETE", `/v1/webhook-subscriptions/${sub.id}`, { token: owner.token });
    expect(deleted.status).toBe(200);
    expect((await call("GET", `/v1/webhook-subscriptions/${sub.id}`, { token: owner.token })).status).toBe(
      404,
    );
  });

  it("is invisible to other organizations (404) and refused to roles without the permission (403)", async () => {
    const owner = await signUp("wh-tenant");
    const org = await createOrg(owner);
    const sub = (await subscribe(owner.token, org.id, {})).json.subscription;
    const outsider = await signUp("wh-outsider");
    const outsiderOrg = await createOrg(outsider);
    const collaborator = await signUp("wh-collab");
    await addMember(org.id, collaborator.id, "collaborator");
    const accountant = await signUp("wh-accountant");
    await addMember(org.id, accountant.id, "accountant");

    for (const [method, path, body] of [
      ["GET", `/v1/webhook-subscriptions/${sub.id}`, undefined],
      ["PATCH", `/v1/webhook-subscriptions/${sub.id}`, { name: "x" }],
      ["DELETE", `/v1/webhook-subscriptions/${sub.id}`, undefined],
      ["GET", `/v1/webhook-subscriptions/${sub.id}/deliveries`, undefined],
      ["GET", `/v1/webhook-subscriptions?organization_id=${org.id}`, undefined],
    ] as const) {
      expect((await call(method, path, { token: outsider.token, body })).status, `${method} ${path}`).toBe(
        404,
      );
      const denied = await call(method, path, { token: collaborator.token, body });
      expect(denied.status, `${method} ${path}`).toBe(403);
      expect(denied.json.error).toBe("forbidden");
    }
    expect((await subscribe(outsider.token, org.id, {})).status).toBe(404);
    expect((await subscribe(collaborator.token, org.id, {})).status).toBe(403);
    // The outsider's own list does not show it either.
    const theirs = await call("GET", `/v1/webhook-subscriptions?organization_id=${outsiderOrg.id}`, {
      token: outsider.token,
    });
    expect(theirs.json.totalCount).toBe(0);
    // An accountant manages webhooks.
    expect(
      (await call("GET", `/v1/webhook-subscriptions/${sub.id}`, { token: accountant.token })).status,
    ).toBe(200);
    expect((await call("GET", `/v1/webhook-subscriptions/${sub.id}`, { token: owner.token })).json.name).toBe(
      "ERP",
    );
  });

  it("answers bad input with 400 and a stable code, writing nothing", async () => {
    const owner = await signUp("wh-bad");
    const org = await createOrg(owner);
    for (const body of [
      { eventTypes: ["invoice.exploded"] },
      { eventTypes: [] },
      { url: undefined },
      { name: "" },
      { secret: "short" },
      { unexpected: true },
    ]) {
      const res = await subscribe(owner.token, org.id, body);
      expect(res.status, JSON.stringify(body)).toBe(400);
      expect(res.json.error).toBe("validation_failed");
    }
    const sub = (await subscribe(owner.token, org.id, {})).json.subscription;
    const patch = await call("PATCH", `/v1/webhook-subscriptions/${sub.id}`, {
      token: owner.token,
      body: { lastPublishedOffset: -1 },
    });
    expect(patch.status).toBe(400);
    const list = await call("GET", `/v1/webhook-subscriptions?organization_id=${org.id}`, {
      token: owner.token,
    });
    expect(list.json.totalCount).toBe(1);
    expect(
      (
        await call("GET", `/v1/webhook-subscriptions/${sub.id}/deliveries?status=lost`, {
          token: owner.token,
        })
      ).status,
    ).toBe(400);
    expect((await call("GET", "/v1/webhook-subscriptions/not-a-uuid", { token: owner.token })).status).toBe(
      404,
    );
  });

  it("refuses private, loopback, link-local and plain-http URLs, at create and at update", async () => {
    const owner = await signUp("wh-ssrf");
    const org = await createOrg(owner);
    const refused: Array<[string, string]> = [
      ["https://10.0.0.1/hook", "private_address"],
      ["https://127.0.0.1/hook", "private_address"],
      ["https://[::1]/hook", "private_address"],
      ["https://169.254.169.254/latest/meta-data/", "private_address"],
      ["https://0x7f000001/hook", "private_address"],
      ["https://localhost/hook", "private_address"],
      ["https://internal.example.com/hook", "private_address"],
      ["http://receiver.example.com/hooks/timbre", "not_https"],
      ["https://nowhere.example.com/hook", "unresolvable"],
      ["https://user:pw@receiver.example.com/", "credentials"],
    ];
    for (const [url, reason] of refused) {
      const res = await subscribe(owner.token, org.id, { url });
      expect(res.status, url).toBe(400);
      expect(res.json).toMatchObject({ error: "webhook_url_refused", details: { reason } });
    }
    const list = await call(
      "GET",
      `/v1/webhook-subscriptions?organization_id=${org.id}&include_inactive=true`,
      {
        token: owner.token,
      },
    );
    expect(list.json.totalCount).toBe(0);

    const sub = (await subscribe(owner.token, org.id, {})).json.subscription;
    const moved = await call("PATCH", `/v1/webhook-subscriptions/${sub.id}`, {
      token: owner.token,
      body: { url: "https://169.254.169.254/" },
    });
    expect(moved.status).toBe(400);
    expect(moved.json.error).toBe("webhook_url_refused");
    const after = await call("GET", `/v1/webhook-subscriptions/${sub.id}`, { token: owner.token });
    expect(after.json.url).toBe(RECEIVER);
  });
});

describe("delivering events", () => {
  it("posts an uploaded invoice's event to the receiver, signed, once", async () => {
    const received = network();
    const owner = await signUp("wh-deliver");
    const { org, xml } = await receiverWithInvoice(owner);
    const sub = (await subscribe(owner.token, org.id, {})).json.subscription;
    const paidOnly = (await subscribe(owner.token, org.id, { name: "Paid", eventTypes: ["invoice.paid"] }))
      .json.subscription;

    // The upload asks for a publish run for its organization (after the response).
    const sends = vi.spyOn(env.JOBS, "sendBatch");
    const upload = await uploadInvoice(owner.token, { organizationId: org.id }, xml);
    expect(upload.status, upload.text).toBe(201);
    await vi.waitFor(() =>
      expect(sends.mock.calls.flatMap(([batch]) => [...batch].map((m) => m.body))).toContainEqual({
        type: "webhooks.publish",
        organizationId: org.id,
      }),
    );

    const published = await publish(org.id);
    expect(published.explicitAcks).toEqual([`publish-${org.id}`]);
    const pending = await deliveriesOf(owner.token, sub.id);
    expect(pending.totalCount).toBe(1);
    const delivery = pending.data[0];
    expect(delivery).toMatchObject({ status: "pending", attempts: 0, eventType: "invoice.received" });
    // The deliver message was enqueued for it; the paid-only subscription got nothing.
    expect(sends.mock.calls.flatMap(([batch]) => [...batch].map((m) => m.body))).toContainEqual({
      type: "webhooks.deliver",
      deliveryId: delivery.id,
    });
    expect((await deliveriesOf(owner.token, paidOnly.id)).totalCount).toBe(0);

    const result = await deliver(delivery.id);
    expect(result.explicitAcks).toEqual([`deliver-${delivery.id}`]);
    expect(result.retryMessages).toEqual([]);
    expect(received).toHaveLength(1);
    const request = received[0]!;
    expect(request.url).toBe(RECEIVER);
    expect(request.headers.get("content-type")).toBe("application/json");
    const body = JSON.parse(request.body);
    expect(body).toMatchObject({
      id: delivery.eventId,
      type: "invoice.received",
      organization_id: org.id,
      data: { invoice_id: upload.json.invoice.id, receiver_organization_id: org.id },
    });
    expect(Date.parse(body.created_at)).not.toBeNaN();
    expect(request.headers.get("timbre-event-id")).toBe(body.id);
    const signature = request.headers.get("timbre-signature")!;
    expect(signature).toMatch(/^t=\d+,v1=[0-9a-f]{64}$/);
    expect(await verifyWebhookSignature(signature, sub.secret, request.body)).toBe(true);
    expect(await verifyWebhookSignature(signature, "whsec_wrong", request.body)).toBe(false);

    const done = (await deliveriesOf(owner.token, sub.id)).data[0];
    expect(done).toMatchObject({
      status: "delivered",
      attempts: 1,
      lastStatusCode: 200,
      nextAttemptAt: null,
    });
    expect(done.payload).toEqual(body);

    // At-least-once plumbing: the same message again and a second publish send nothing more.
    await deliver(delivery.id, "deliver-again");
    await publish(org.id);
    expect(received).toHaveLength(1);
    expect((await deliveriesOf(owner.token, sub.id)).totalCount).toBe(1);
    const cursor = (await call("GET", `/v1/webhook-subscriptions/${sub.id}`, { token: owner.token })).json;
    expect(cursor.lastPublishedOffset).toBe(delivery.eventOffset);

    // Moving the cursor back replays the event under the same id (receivers deduplicate by it).
    await call("PATCH", `/v1/webhook-subscriptions/${paidOnly.id}`, {
      token: owner.token,
      body: { eventTypes: ["invoice.received"], lastPublishedOffset: delivery.eventOffset - 1 },
    });
    await publish(org.id);
    const replay = (await deliveriesOf(owner.token, paidOnly.id)).data[0];
    await deliver(replay.id);
    expect(received).toHaveLength(2);
    expect(received[1]!.headers.get("timbre-event-id")).toBe(body.id);
    expect(received[1]!.body).toBe(request.body);
  });

  it("retries a failing receiver with growing delays, then parks the delivery where it can be seen", async () => {
    const received = network((url) =>
      url.startsWith("https://failing.example.com")
        ? new Response("down", { status: 503 })
        : new Response("ok"),
    );
    const owner = await signUp("wh-retry");
    const org = await createOrg(owner);
    const sub = (await subscribe(owner.token, org.id, { url: "https://failing.example.com/hook" })).json
      .subscription;
    const deliveryId = await seedDelivery(sub.id, org.id);

    const delays: number[] = [];
    for (let attempt = 1; attempt <= 3; attempt++) {
      const result = await deliver(deliveryId, `try-${attempt}`, attempt);
      expect(result.explicitAcks).toEqual([]);
      expect(result.retryMessages).toHaveLength(1);
      delays.push(result.retryDelays[0]!);
      const [row] = await db().select().from(webhookDeliveries).where(eq(webhookDeliveries.id, deliveryId));
      expect(row).toMatchObject({ status: "pending", attempts: attempt, lastStatusCode: 503 });
      expect(Date.parse(row!.nextAttemptAt) - Date.now()).toBeGreaterThan((delays.at(-1)! - 5) * 1000);
      // A copy of the message arriving before the delay is over does nothing.
      const early = await deliver(deliveryId, `early-${attempt}`);
      expect(early.explicitAcks).toEqual([`early-${attempt}`]);
      await makeDue(deliveryId);
    }
    expect(delays).toEqual([60, 120, 240]);
    expect(received).toHaveLength(3);

    // The last attempt the schedule allows (the earlier ones are skipped over here).
    await db()
      .update(webhookDeliveries)
      .set({ attempts: WEBHOOK_MAX_ATTEMPTS - 1 })
      .where(eq(webhookDeliveries.id, deliveryId));
    const last = await deliver(deliveryId, "last", WEBHOOK_MAX_ATTEMPTS);
    expect(last.explicitAcks).toEqual(["last"]);
    expect(last.retryMessages).toEqual([]);

    const parked = await deliveriesOf(owner.token, sub.id, "?status=parked");
    expect(parked.totalCount).toBe(1);
    expect(parked.data[0]).toMatchObject({
      id: deliveryId,
      status: "parked",
      attempts: WEBHOOK_MAX_ATTEMPTS,
      lastStatusCode: 503,
      lastError: "receiver answered 503",
    });
    expect(parked.data[0].parkedAt).not.toBeNull();
    expect((await deliveriesOf(owner.token, sub.id, "?status=pending")).totalCount).toBe(0);
  });

  it("refuses at delivery a host that now resolves to a private address, without calling it", async () => {
    const received = network();
    const owner = await signUp("wh-rebind");
    const org = await createOrg(owner);
    const sub = (await subscribe(owner.token, org.id, { url: "https://rebind.example.com/hook" })).json
      .subscription;
    const deliveryId = await seedDelivery(sub.id, org.id);
    DNS["rebind.example.com"] = ["169.254.169.254"];
    try {
      const result = await deliver(deliveryId);
      expect(result.explicitAcks).toHaveLength(1);
    } finally {
      DNS["rebind.example.com"] = [PUBLIC_IP];
    }
    expect(received).toHaveLength(0);
    const [row] = (await deliveriesOf(owner.token, sub.id)).data;
    expect(row).toMatchObject({ status: "parked", lastError: "url_refused: private_address" });
  });

  it("parks a delivery whose message was dead-lettered, and the cron re-sends lost ones", async () => {
    network();
    const owner = await signUp("wh-dlq");
    const org = await createOrg(owner);
    const sub = (await subscribe(owner.token, org.id, {})).json.subscription;
    const lostId = await seedDelivery(sub.id, org.id, new Date(Date.now() - 3600_000).toISOString());
    const deadId = await seedDelivery(sub.id, org.id);

    const sends = vi.spyOn(env.JOBS, "sendBatch");
    const exec = createExecutionContext();
    await worker.scheduled(
      createScheduledController({ cron: "17 * * * *", scheduledTime: Date.now() }),
      env,
      exec,
    );
    await waitOnExecutionContext(exec);
    const sent = sends.mock.calls.flatMap(([batch]) => [...batch].map((m) => m.body));
    expect(sent).toContainEqual({ type: "webhooks.publish", organizationId: org.id });
    expect(sent).toContainEqual({ type: "webhooks.deliver", deliveryId: lostId });
    expect(sent).not.toContainEqual({ type: "webhooks.deliver", deliveryId: deadId });

    const dead = await runJobs(
      [{ id: "dead", body: { type: "webhooks.deliver", deliveryId: deadId } }],
      "timbre-jobs-dlq",
    );
    expect(dead.explicitAcks).toEqual(["dead"]);
    const parked = (await deliveriesOf(owner.token, sub.id, "?status=parked")).data;
    expect(parked.map((d: { id: string }) => d.id)).toEqual([deadId]);
    expect(parked[0].lastError).toBe("dead-lettered by the queue");
  });
});

/** A pending delivery of an event to the subscription, as the publisher writes it. */
async function seedDelivery(
  subscriptionId: string,
  organizationId: string,
  nextAttemptAt = new Date().toISOString(),
) {
  const id = crypto.randomUUID();
  const eventId = crypto.randomUUID();
  const now = new Date().toISOString();
  await db()
    .insert(webhookDeliveries)
    .values({
      id,
      subscriptionId,
      organizationId,
      eventId,
      eventType: "invoice.received",
      eventOffset: 1,
      payload: JSON.stringify({
        id: eventId,
        type: "invoice.received",
        created_at: now,
        organization_id: organizationId,
        data: {},
      }),
      nextAttemptAt,
      createdAt: now,
      updatedAt: now,
    });
  return id;
}
