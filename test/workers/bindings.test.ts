/**
 * Proves every binding the Worker declares does its job inside workerd: the JOBS consumer and its
 * dead-letter queue, outbox delivery through a configured HTTP sender, the two per-organization Durable
 * Objects (storage survives eviction) and the scheduled housekeeping.
 */
import {
  createExecutionContext,
  createMessageBatch,
  createScheduledController,
  evictDurableObject,
  getQueueResult,
  runInDurableObject,
  waitOnExecutionContext,
} from "cloudflare:test";
import { env } from "cloudflare:workers";
import { and, eq } from "drizzle-orm";
import { afterEach, describe, expect, it, vi } from "vitest";
import { idempotencyKeys, organizations, outboxMessages } from "../../db/schema";
import type { JobMessage } from "../../workers/env";
import worker, { runHousekeeping } from "../../workers/index";
import { call, createOrg, db, signUp } from "./harness";

const DAY_MS = 86_400_000;

async function verificationEmailFor(email: string) {
  const [row] = await db()
    .select()
    .from(outboxMessages)
    .where(and(eq(outboxMessages.recipient, email), eq(outboxMessages.template, "email_verification")))
    .limit(1);
  if (!row) throw new Error(`no verification email for ${email}`);
  return row;
}

const outboxRow = async (id: string) =>
  (await db().select().from(outboxMessages).where(eq(outboxMessages.id, id)).limit(1))[0]!;

const deliver = (id: string, messageId: string) => ({
  id,
  timestamp: new Date(),
  attempts: 1,
  body: { type: "outbox.deliver", messageId } satisfies JobMessage,
});

async function runQueue(queue: string, messages: ReturnType<typeof deliver>[], bindings = env) {
  const batch = createMessageBatch<JobMessage>(queue, messages);
  const exec = createExecutionContext();
  await worker.queue(batch, bindings, exec);
  return getQueueResult(batch, exec);
}

describe("JOBS queue consumer", () => {
  it("acknowledges delivery of a real outbox row and of a missing one, without retries", async () => {
    const user = await signUp("jobs");
    const message = await verificationEmailFor(user.email);
    const result = await runQueue("timbre-jobs", [
      deliver("real", message.id),
      deliver("missing", crypto.randomUUID()),
    ]);
    expect([...result.explicitAcks].sort()).toEqual(["missing", "real"]);
    expect(result.retryMessages).toEqual([]);
    expect(result.retryBatch.retry).toBe(false);
    // No sender is configured in tests: the message waits in the outbox for GET /v1/dev/outbox.
    expect((await outboxRow(message.id)).status).toBe("pending");
  });

  it("acknowledges dead letters after logging them", async () => {
    const result = await runQueue("timbre-jobs-dlq", [deliver("dead-1", crypto.randomUUID())]);
    expect(result.explicitAcks).toEqual(["dead-1"]);
    expect(result.retryMessages).toEqual([]);
  });
});

// The plugin no longer exports `fetchMock`; the Worker runs in the test's isolate, so a spy on the
// global fetch intercepts the provider call the same way.
describe("outbox delivery through a configured email sender", () => {
  const withSender = {
    ...env,
    EMAIL_API_URL: "https://mail.provider.test/v1/send",
    EMAIL_API_KEY: "provider-key",
    EMAIL_FROM: "Timbre <no-reply@timbre.dev>",
  };
  afterEach(() => vi.restoreAllMocks());

  it("posts the message to the provider, marks the row sent, and does not send it twice", async () => {
    const user = await signUp("sender");
    const message = await verificationEmailFor(user.email);
    const requests: Request[] = [];
    vi.spyOn(globalThis, "fetch").mockImplementation(async (input, init) => {
      requests.push(new Request(input, init));
      return new Response(JSON.stringify({ id: "provider-1" }), { status: 200 });
    });

    const result = await runQueue("timbre-jobs", [deliver("m1", message.id)], withSender);
    expect(result.explicitAcks).toEqual(["m1"]);
    expect(requests).toHaveLength(1);
    const sent = requests[0]!;
    expect(sent.method).toBe("POST");
    expect(sent.url).toBe(withSender.EMAIL_API_URL);
    expect(sent.headers.get("authorization")).toBe("Bearer provider-key");
    expect(await sent.json()).toMatchObject({
      from: withSender.EMAIL_FROM,
      to: user.email,
      subject: "Verify your email",
      text: expect.stringMatching(/verification code is \d{6}/),
    });
    const row = await outboxRow(message.id);
    expect(row.status).toBe("sent");
    expect(row.sentAt).not.toBeNull();
    expect(row.attempts).toBe(1);

    // At-least-once delivery: the same message again is acknowledged without a second email.
    const again = await runQueue("timbre-jobs", [deliver("m1-again", message.id)], withSender);
    expect(again.explicitAcks).toEqual(["m1-again"]);
    expect(requests).toHaveLength(1);
  });

  it("retries the message when the provider answers 500, keeping the row pending", async () => {
    const user = await signUp("sender-down");
    const message = await verificationEmailFor(user.email);
    vi.spyOn(globalThis, "fetch").mockResolvedValue(new Response("unavailable", { status: 500 }));

    const result = await runQueue("timbre-jobs", [deliver("m2", message.id)], withSender);
    expect(result.explicitAcks).toEqual([]);
    expect(result.retryMessages.map((m) => m.msgId)).toEqual(["m2"]);
    const row = await outboxRow(message.id);
    expect(row.status).toBe("pending");
    expect(row.attempts).toBe(1);
    expect(row.lastError).toContain("500");
  });
});

describe("ORG_LEDGER and NOTIFICATIONS Durable Objects", () => {
  it("both answer an authenticated health call, only for members", async () => {
    const owner = await signUp("health");
    const org = await createOrg(owner);
    const health = await call("GET", `/v1/organizations/${org.id}/health`, { token: owner.token });
    expect(health.status).toBe(200);
    expect(health.json.ledger).toMatchObject({ ok: true, object: "OrgLedger", organizationId: org.id });
    expect(health.json.notifications).toMatchObject({
      ok: true,
      object: "Notifications",
      organizationId: org.id,
      connections: 0,
    });

    expect((await call("GET", `/v1/organizations/${org.id}/health`)).status).toBe(401);
    const stranger = await signUp("health-stranger");
    expect((await call("GET", `/v1/organizations/${org.id}/health`, { token: stranger.token })).status).toBe(
      404,
    );
  });

  it("keeps its meta row in durable storage across eviction", async () => {
    const owner = await signUp("evict");
    const org = await createOrg(owner);
    const first = await call("GET", `/v1/organizations/${org.id}/health`, { token: owner.token });
    const ledger = env.ORG_LEDGER.get(env.ORG_LEDGER.idFromName(org.id));
    const notifications = env.NOTIFICATIONS.get(env.NOTIFICATIONS.idFromName(org.id));

    const readMeta = (state: DurableObjectState) =>
      Object.fromEntries(
        state.storage.sql
          .exec<{ key: string; value: string }>("SELECT key, value FROM meta")
          .toArray()
          .map((r) => [r.key, r.value]),
      );
    expect(await runInDurableObject(ledger, (_instance, state) => readMeta(state))).toEqual({
      organization_id: org.id,
      since: first.json.ledger.since,
    });
    expect(await runInDurableObject(notifications, (_instance, state) => readMeta(state))).toEqual({
      organization_id: org.id,
      since: first.json.notifications.since,
    });

    await evictDurableObject(ledger);
    await evictDurableObject(notifications);
    const after = await call("GET", `/v1/organizations/${org.id}/health`, { token: owner.token });
    expect(after.status).toBe(200);
    expect(after.json.ledger.since).toBe(first.json.ledger.since);
    expect(after.json.notifications.since).toBe(first.json.notifications.since);
  });
});

describe("scheduled housekeeping", () => {
  const idempotencyRow = (key: string, expiresAt: Date) => ({
    scope: "user:housekeeping",
    key,
    requestHash: "hash",
    state: "completed" as const,
    responseStatus: 201,
    responseBody: "{}",
    createdAt: new Date(expiresAt.getTime() - DAY_MS).toISOString(),
    expiresAt: expiresAt.toISOString(),
  });
  const keysLeft = async () =>
    (
      await db()
        .select({ key: idempotencyKeys.key })
        .from(idempotencyKeys)
        .where(eq(idempotencyKeys.scope, "user:housekeeping"))
    )
      .map((r) => r.key)
      .sort();

  it("deletes organizations 30 days after the deletion request and purges expired idempotency keys", async () => {
    const owner = await signUp("housekeeping");
    const due = await createOrg(owner);
    const notYet = await createOrg(owner);
    for (const org of [due, notYet]) {
      expect(
        (await call("POST", `/v1/organizations/${org.id}/deletion-request`, { token: owner.token })).status,
      ).toBe(200);
    }
    const now = new Date();
    const requestedDaysAgo = (days: number) => new Date(now.getTime() - days * DAY_MS).toISOString();
    await db()
      .update(organizations)
      .set({ deletionRequestedAt: requestedDaysAgo(31) })
      .where(eq(organizations.id, due.id));
    await db()
      .update(organizations)
      .set({ deletionRequestedAt: requestedDaysAgo(29) })
      .where(eq(organizations.id, notYet.id));
    await db()
      .insert(idempotencyKeys)
      .values([
        idempotencyRow("expired", new Date(now.getTime() - 60_000)),
        idempotencyRow("live", new Date(now.getTime() + DAY_MS)),
      ]);

    const exec = createExecutionContext();
    expect(await runHousekeeping(env, exec, now)).toEqual({ organizationsDeleted: 1 });
    await waitOnExecutionContext(exec);

    expect((await call("GET", `/v1/organizations/${due.id}`, { token: owner.token })).status).toBe(404);
    const kept = await call("GET", `/v1/organizations/${notYet.id}`, { token: owner.token });
    expect(kept.status).toBe(200);
    expect(kept.json.deletionRequestedAt).toBe(requestedDaysAgo(29));
    const mine = await call("GET", "/v1/user-organizations", { token: owner.token });
    const ids = JSON.stringify(mine.json);
    expect(ids).toContain(notYet.id);
    expect(ids).not.toContain(due.id);
    expect(await keysLeft()).toEqual(["live"]);
  });

  it("runs from the cron trigger through the Worker's scheduled handler", async () => {
    const past = new Date(Date.now() - 60_000);
    await db().insert(idempotencyKeys).values(idempotencyRow("expired-by-cron", past));
    const exec = createExecutionContext();
    await worker.scheduled(
      createScheduledController({ cron: "17 * * * *", scheduledTime: Date.now() }),
      env,
      exec,
    );
    await waitOnExecutionContext(exec);
    expect(await keysLeft()).not.toContain("expired-by-cron");
  });
});
