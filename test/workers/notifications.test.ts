// Realtime notifications: the WebSocket of an organization hears its invoice events and the ledger's
// news as they happen, persists them first (a reconnecting client replays what it missed, an evicted
// object keeps its history), refuses bad tokens at the upgrade, and keeps read/cleared per user.
import {
  createExecutionContext,
  createMessageBatch,
  evictDurableObject,
  getQueueResult,
  runInDurableObject,
} from "cloudflare:test";
import { env, exports } from "cloudflare:workers";
import { eq } from "drizzle-orm";
import { SignJWT } from "jose";
import { describe, expect, it } from "vitest";
import { memberships } from "../../db/schema";
import type { Notifications } from "../../durable-objects/notifications";
import { writeZip } from "../../shared/zip/write";
import type { JobMessage } from "../../workers/env";
import worker from "../../workers/index";
import { notifyOrganization, runNotificationsPoke } from "../../workers/services/notifications";
import { ZIP_IMPORT_BATCH_SIZE } from "../../workers/services/zip-imports";
import {
  addMember,
  BASE,
  call,
  callMultipart,
  createOrg,
  createOrgWithRfc,
  db,
  signUp,
  type TestUser,
  uploadInvoice,
} from "./harness";
import { setUpIssuer } from "./issuer-fixture";
import { invoiceXml, MUNICIPIO } from "./payment-fixtures";

type Frame = { type: string; [key: string]: any };

/** A connected client: every frame it received, and a wait for the next one that matches. */
class Client {
  readonly frames: Frame[] = [];
  private waiters: Array<() => void> = [];

  constructor(readonly ws: WebSocket) {
    ws.addEventListener("message", (event) => {
      this.frames.push(JSON.parse(event.data as string));
      for (const wake of this.waiters.splice(0)) wake();
    });
  }

  notifications() {
    return this.frames.filter((f) => f.type === "notification").map((f) => f.notification);
  }

  /** Resolves with the first frame matching, waiting at most `ms`. */
  async waitFor(match: (f: Frame) => boolean, ms = 1000): Promise<Frame> {
    const deadline = Date.now() + ms;
    for (;;) {
      const found = this.frames.find(match);
      if (found) return found;
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`no matching frame within ${ms} ms; got ${JSON.stringify(this.frames)}`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }

  close() {
    this.ws.close(1000, "done");
  }
}

async function notificationsToken(user: TestUser, orgId: string) {
  const res = await call("GET", `/v1/notifications/token?organization_id=${orgId}`, { token: user.token });
  expect(res.status, res.text).toBe(200);
  return res.json as { token: string; socketUrl: string; clientId: string; capability: string };
}

const openSocket = (
  query: Record<string, string>,
  headers: Record<string, string> = { upgrade: "websocket" },
) =>
  exports.default.fetch(
    new Request(`${BASE}/v1/notifications/socket?${new URLSearchParams(query)}`, { headers }),
  );

async function connect(user: TestUser, orgId: string, lastId?: string) {
  const { token } = await notificationsToken(user, orgId);
  const res = await openSocket({ organization_id: orgId, token, ...(lastId ? { last_id: lastId } : {}) });
  expect(res.status).toBe(101);
  const ws = res.webSocket!;
  ws.accept();
  const client = new Client(ws);
  await client.waitFor((f) => f.type === "ready");
  return client;
}

const stub = (orgId: string) => env.NOTIFICATIONS.get(env.NOTIFICATIONS.idFromName(orgId));

async function receiverOrg() {
  const owner = await signUp("notified");
  const org = await createOrgWithRfc(owner, MUNICIPIO.rfc, MUNICIPIO.taxRegime);
  return { owner, org };
}

let price = 100;
/** Uploads a fresh (PPD, so never paid on arrival) invoice to the organization as its receiver. */
async function upload(user: TestUser, orgId: string) {
  const res = await uploadInvoice(
    user.token,
    { organizationId: orgId },
    await invoiceXml({ unitPrice: `${++price}.00` }),
  );
  expect(res.status, res.text).toBe(201);
  return res.json.invoice as { id: string };
}

const list = async (user: TestUser, orgId: string) => {
  const res = await call("GET", `/v1/notifications?organization_id=${orgId}`, { token: user.token });
  expect(res.status, res.text).toBe(200);
  return res.json as { data: any[]; totalCount: number; totalPages: number; unreadCount: number };
};

describe("delivery", () => {
  it("two clients of one organization hear an upload within 1 s; another organization's client hears nothing", async () => {
    const { owner, org } = await receiverOrg();
    const colleague = await signUp("colleague");
    await addMember(org.id, colleague.id, "assistant");
    const outsider = await signUp("outsider");
    const other = await createOrg(outsider);

    const a = await connect(owner, org.id);
    const b = await connect(colleague, org.id);
    const c = await connect(outsider, other.id);

    const invoice = await upload(owner, org.id);
    const uploadedAt = Date.now();
    const isInvoice = (f: Frame) => f.type === "notification" && f.notification.data.invoiceId === invoice.id;
    const [fa, fb] = await Promise.all([a.waitFor(isInvoice, 1000), b.waitFor(isInvoice, 1000)]);
    expect(Date.now() - uploadedAt).toBeLessThan(1000);
    expect(fa.notification).toEqual(fb.notification);
    expect(fa.notification).toMatchObject({
      type: "invoice.received",
      title: "Invoice received",
      isRead: false,
      sequence: 1,
      data: { invoiceId: invoice.id, side: "receiver", eventType: "invoice.received" },
    });
    expect(fa.notification.body).toContain("ESCUELA KEMPER URGATE");

    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(c.notifications()).toEqual([]);
    for (const client of [a, b, c]) client.close();
  });

  it("a client reconnecting with its last id gets what it missed, in order", async () => {
    const { owner, org } = await receiverOrg();
    const first = await connect(owner, org.id);
    await upload(owner, org.id);
    const seen = (await first.waitFor((f) => f.type === "notification")).notification;
    first.close();

    const missed = [await upload(owner, org.id), await upload(owner, org.id)];
    await runNotificationsPoke(env, org.id);

    const back = await connect(owner, org.id, seen.notificationId);
    expect(back.notifications().map((n) => n.data.invoiceId)).toEqual(missed.map((i) => i.id));
    expect(back.notifications().map((n) => n.sequence)).toEqual([2, 3]);
    expect(back.frames.at(-1)).toEqual({ type: "ready", replayed: 2, more: false });
    back.close();

    // The same through a first message instead of the query parameter.
    const resumed = await connect(owner, org.id);
    resumed.ws.send(JSON.stringify({ type: "resume", lastId: seen.notificationId }));
    await resumed.waitFor((f) => f.type === "ready" && f.replayed === 2);
    expect(resumed.notifications().map((n) => n.sequence)).toEqual([2, 3]);
    resumed.ws.send('{"type":"ping"}');
    await resumed.waitFor((f) => f.type === "pong");
    resumed.close();
  });

  it("keeps history and live sockets across an eviction", async () => {
    const { owner, org } = await receiverOrg();
    const live = await connect(owner, org.id);
    await upload(owner, org.id);
    const n1 = (await live.waitFor((f) => f.type === "notification")).notification;

    await evictDurableObject(stub(org.id));
    // A hibernated socket still hears the next notification; storage kept the sequence.
    await upload(owner, org.id);
    const n2 = (await live.waitFor((f) => f.type === "notification" && f.notification.sequence === 2))
      .notification;
    live.close();

    await evictDurableObject(stub(org.id), { webSockets: "close" });
    const back = await connect(owner, org.id, n1.notificationId);
    expect(back.notifications().map((n) => n.notificationId)).toEqual([n2.notificationId]);
    back.close();
    expect((await list(owner, org.id)).data.map((n) => n.notificationId)).toEqual([
      n2.notificationId,
      n1.notificationId,
    ]);
  });
});

describe("the upgrade is refused without a valid token", () => {
  const sign = (
    claims: { org: string; sub: string },
    opts: { key?: string; audience?: string; exp: number },
  ) =>
    new SignJWT({ org: claims.org, cap: ["subscribe"] })
      .setProtectedHeader({ alg: "HS256", typ: "timbre-notifications+jwt" })
      .setSubject(claims.sub)
      .setIssuer("timbre")
      .setAudience(opts.audience ?? "timbre-notifications")
      .setIssuedAt()
      .setExpirationTime(opts.exp)
      .sign(new TextEncoder().encode(opts.key ?? env.TOKEN_SIGNING_KEY));

  it("forged, expired, of another audience or of another organization → 401 and no socket", async () => {
    const owner = await signUp("refused");
    const org = await createOrg(owner);
    const second = await createOrg(owner);
    const now = Math.floor(Date.now() / 1000);
    const claims = { org: org.id, sub: owner.id };
    const cases: Array<[string, string]> = [
      [
        await sign(claims, { key: "another-key-0123456789abcdef0123456789", exp: now + 60 }),
        "invalid_notifications_token",
      ],
      [await sign(claims, { exp: now - 5 }), "notifications_token_expired"],
      [await sign(claims, { audience: "timbre-upload", exp: now + 60 }), "invalid_notifications_token"],
      // An access token is not a notifications token.
      [owner.token, "invalid_notifications_token"],
      [(await notificationsToken(owner, second.id)).token, "invalid_notifications_token"],
    ];
    for (const [token, code] of cases) {
      const res = await openSocket({ organization_id: org.id, token });
      expect(res.status).toBe(401);
      expect(res.webSocket).toBeNull();
      expect(((await res.json()) as { error: string }).error).toBe(code);
    }
  });

  it("a removed member → 404; no upgrade header → 426; the token route checks the tenant", async () => {
    const owner = await signUp("owner");
    const org = await createOrg(owner);
    const member = await signUp("member");
    await addMember(org.id, member.id, "client");
    const { token, socketUrl, clientId, capability } = await notificationsToken(member, org.id);
    expect(clientId).toBe(member.id);
    expect(JSON.parse(capability)).toEqual({ [`org:${org.id}:notifications`]: ["subscribe"] });
    expect(socketUrl).toMatch(/^ws:\/\/timbre\.test\/v1\/notifications\/socket\?organization_id=/);

    const plain = await openSocket({ organization_id: org.id, token }, {});
    expect(plain.status).toBe(426);
    expect(((await plain.json()) as { error: string }).error).toBe("upgrade_required");

    await db().delete(memberships).where(eq(memberships.userId, member.id));
    const removed = await openSocket({ organization_id: org.id, token });
    expect(removed.status).toBe(404);
    expect(removed.webSocket).toBeNull();

    const outsider = await signUp("outsider");
    const res = await call("GET", `/v1/notifications/token?organization_id=${org.id}`, {
      token: outsider.token,
    });
    expect(res.status).toBe(404);
  });
});

describe("sources", () => {
  it("a replayed event or a repeated source notifies once", async () => {
    const { owner, org } = await receiverOrg();
    await upload(owner, org.id);
    await runNotificationsPoke(env, org.id);
    const before = await stub(org.id).feedState();
    expect(before.notifications).toBe(1);

    // The cursor rewound (a retried read of the same events): nothing new.
    await runInDurableObject(stub(org.id), (_instance: Notifications, state) => {
      state.storage.sql.exec("UPDATE feed_cursor SET event_offset = 0");
    });
    expect(await runNotificationsPoke(env, org.id)).toBe(0);
    expect(await stub(org.id).feedState()).toEqual(before);

    const input = {
      sourceId: "test:once",
      type: "billing.payment_failed" as const,
      title: "Payment failed",
      body: "x",
    };
    expect(await notifyOrganization(env, org.id, input)).toMatchObject({ sequence: 2 });
    expect(await notifyOrganization(env, org.id, input)).toBeNull();
    expect((await list(owner, org.id)).totalCount).toBe(2);
  });

  it("a top-up, a stamp and the balance falling below the threshold notify the issuer", async () => {
    const { owner, issuer, stamp, topUp } = await setUpIssuer();
    const live = await connect(owner, issuer.id);
    await topUp(100);
    const credited = await live.waitFor(
      (f) => f.type === "notification" && f.notification.type === "balance.credited",
    );
    expect(credited.notification.data).toMatchObject({ amount: "100.00", balanceAmount: "100.00" });

    const first = await stamp();
    expect(first.status, first.text).toBe(201);
    await live.waitFor((f) => f.type === "notification" && f.notification.type === "invoice.stamped");
    const low = await live.waitFor((f) => f.type === "notification" && f.notification.type === "balance.low");
    expect(low.notification.data).toMatchObject({ balanceAmount: "99.00", thresholdAmount: "100.00" });

    // Already below: the next stamp does not warn again.
    expect((await stamp()).status).toBe(201);
    await live.waitFor(
      (f) =>
        f.type === "notification" && f.notification.type === "invoice.stamped" && f.notification.sequence > 3,
    );
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(live.notifications().filter((n) => n.type === "balance.low")).toHaveLength(1);
    live.close();
  });
});

describe("ZIP imports", () => {
  it("announce their progress and completion, not each document", async () => {
    const { owner, org } = await receiverOrg();
    const total = ZIP_IMPORT_BATCH_SIZE + 10;
    const entries = [];
    for (let i = 0; i < total; i++) {
      const xml = await invoiceXml({ unitPrice: `${5000 + i}.00` });
      entries.push({ name: `facturas/F-${i}.xml`, data: new TextEncoder().encode(xml) });
    }
    const zip = writeZip(entries);
    const file = await callMultipart(
      "POST",
      `/v1/files?type=invoices_upload_zip&organization_id=${org.id}`,
      owner.token,
      {
        file: new File([zip as Uint8Array<ArrayBuffer>], "facturas.zip", { type: "application/zip" }),
      },
    );
    expect(file.status, file.text).toBe(201);
    const started = await call("POST", `/v1/invoices/zip-uploads?organization_id=${org.id}`, {
      token: owner.token,
      body: { invoicesUploadZipId: file.json.file.id },
    });
    expect(started.status, started.text).toBe(202);
    const taskId: string = started.json.taskId;

    const live = await connect(owner, org.id);
    const runSlice = async (from: number, to: number) => {
      const body: JobMessage = { type: "invoices.zip_import", taskId, from, to };
      const batch = createMessageBatch<JobMessage>("timbre-jobs", [
        { id: `zip-${from}`, timestamp: new Date(), attempts: 1, body },
      ]);
      const exec = createExecutionContext();
      await worker.queue!(batch, env, exec);
      await getQueueResult(batch, exec);
    };
    await runSlice(0, ZIP_IMPORT_BATCH_SIZE);
    const progress = await live.waitFor((f) => f.type === "notification");
    expect(progress.notification).toMatchObject({
      type: "import.progress",
      data: { taskId, processed: ZIP_IMPORT_BATCH_SIZE, total },
    });
    await runSlice(ZIP_IMPORT_BATCH_SIZE, total);
    const done = await live.waitFor(
      (f) => f.type === "notification" && f.notification.type === "import.completed",
    );
    expect(done.notification.data).toMatchObject({ taskId, created: total, failed: 0, duplicates: 0 });
    // A redelivered slice announces nothing again.
    await runSlice(ZIP_IMPORT_BATCH_SIZE, total);
    await runNotificationsPoke(env, org.id);
    live.close();
    expect((await list(owner, org.id)).data.map((n) => n.type)).toEqual([
      "import.completed",
      "import.progress",
    ]);
  });
});

describe("the user's list, read and clear", () => {
  it("counts what changed, per user", async () => {
    const { owner, org } = await receiverOrg();
    const colleague = await signUp("colleague");
    await addMember(org.id, colleague.id, "readonly");
    for (let i = 0; i < 3; i++) await upload(owner, org.id);
    await runNotificationsPoke(env, org.id);

    const all = await list(owner, org.id);
    expect(all).toMatchObject({ totalCount: 3, totalPages: 1, unreadCount: 3 });
    const [n3, n2, n1] = all.data.map((n) => n.notificationId as string);
    const mark = (user: TestUser, action: string, ids: string[]) =>
      call("POST", `/v1/notifications/${action}?organization_id=${org.id}`, {
        token: user.token,
        body: ids.map((notificationId) => ({ notificationId })),
      });

    expect((await mark(owner, "read", [n1!, n2!, crypto.randomUUID()])).json).toEqual({
      success: true,
      count: 2,
    });
    expect((await mark(owner, "read", [n1!])).json).toEqual({ success: true, count: 0 });
    expect((await list(owner, org.id)).unreadCount).toBe(1);

    expect((await mark(owner, "clear", [n1!, n3!])).json).toEqual({ success: true, count: 2 });
    expect((await mark(owner, "clear", [n1!])).json).toEqual({ success: true, count: 0 });
    const left = await list(owner, org.id);
    expect(left.data.map((n) => n.notificationId)).toEqual([n2]);
    expect(left).toMatchObject({ totalCount: 1, unreadCount: 0 });
    expect(left.data[0]).toMatchObject({ isRead: true });

    // The colleague's notifications are untouched.
    expect(await list(colleague, org.id)).toMatchObject({ totalCount: 3, unreadCount: 3 });

    // Bad input is refused before anything changes; another organization's member sees nothing.
    for (const body of [[], [{ notificationId: "nope" }], { notificationId: n2 }]) {
      const res = await call("POST", `/v1/notifications/read?organization_id=${org.id}`, {
        token: colleague.token,
        body,
      });
      expect(res.status).toBe(400);
      expect(res.json.error).toBe("validation_failed");
    }
    const outsider = await signUp("outsider");
    await createOrg(outsider);
    expect(
      (await call("GET", `/v1/notifications?organization_id=${org.id}`, { token: outsider.token })).status,
    ).toBe(404);
    expect((await mark(outsider, "clear", [n2!])).status).toBe(404);
    expect((await list(colleague, org.id)).unreadCount).toBe(3);
  });
});
