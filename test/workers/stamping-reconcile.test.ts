/**
 * Stamps whose outcome the provider left unknown, end to end in workerd against the fake Facturapi
 * (test/fakes/facturapi.ts, answered in-process): a lost answer or a 5xx → 202 with the invoice
 * `processing`, its folio and hold kept; the `invoices.reconcile_stamp` job (driven by hand with
 * createMessageBatch) completes it under the same idempotency key, with no second invoice at
 * Facturapi and one charge; a refusal on reconcile gives the hold back; redeliveries change nothing;
 * the evidence lists every request, for the issuer only.
 */
import { createExecutionContext, createMessageBatch, getQueueResult } from "cloudflare:test";
import { env, exports } from "cloudflare:workers";
import { eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { consumptions, invoices, providerOrganizations } from "../../db/schema";
import { loadCsd } from "../../shared/cfdi/csd";
import type { JobMessage } from "../../workers/env";
import worker from "../../workers/index";
import { ledgerStub } from "../../workers/services/ledger";
import { FAKE_PDF, FakeFacturapi } from "../fakes/facturapi";
import { addMember, call, createOrg, db, signUp } from "./harness";
import { csdFile } from "./issuer-fixture";

const API_KEY = "sk_test_Timbre0Reconcile9Key";

const fake = new FakeFacturapi({
  apiKey: API_KEY,
  issuer: { rfc: "EKU9003173C9", name: "ESCUELA KEMPER URGATE", taxRegime: "601", postalCode: "42501" },
  csd: await loadCsd({
    cer: csdFile("EKU9003173C9.cer"),
    key: csdFile("EKU9003173C9.key"),
    password: new TextDecoder().decode(csdFile("password.txt")).trim(),
  }),
});
const FAKE_ORIGIN = new URL(env.FACTURAPI_BASE_URL!).origin;

/** Answers Facturapi produced but that never reach Timbre (the connection dies after the request). */
let answersLost = 0;

beforeAll(() => {
  const realFetch = globalThis.fetch;
  vi.spyOn(globalThis, "fetch").mockImplementation(async (input, init) => {
    const request = new Request(input, init);
    if (new URL(request.url).origin !== FAKE_ORIGIN) return realFetch(input, init);
    const response = await fake.fetch(request);
    if (answersLost > 0) {
      answersLost--;
      throw Object.assign(new Error("The operation was aborted due to timeout"), { name: "TimeoutError" });
    }
    return response;
  });
});
afterAll(() => {
  vi.restoreAllMocks();
});

const owner = await signUp("reconcile-issuer");
const issuer = await createOrg(owner, {
  name: "ESCUELA KEMPER URGATE",
  taxIdentifier: "EKU9003173C9",
  taxRegimes: ["601"],
  postalCode: "42501",
});
const clientOwner = await signUp("reconcile-client");
const client = await createOrg(clientOwner, { name: "CLIENTE DE PRUEBA", taxRegimes: ["601"] });
{
  const now = new Date().toISOString();
  await db()
    .insert(providerOrganizations)
    .values({ organizationId: client.id, providerId: issuer.id, createdAt: now, updatedAt: now });
  const setting = await call("PUT", `/v1/organizations/${issuer.id}/stamping-provider`, {
    token: owner.token,
    body: { provider: "facturapi", apiKey: API_KEY },
  });
  if (setting.status !== 200) throw new Error(setting.text);
  const topUp = await call("POST", `/v1/balance/top-ups?organization_id=${issuer.id}`, {
    token: owner.token,
    body: { amount: 100 },
  });
  if (topUp.status !== 201) throw new Error(topUp.text);
}

const stamp = () =>
  call("POST", `/v1/invoices/stamp?provider_id=${issuer.id}`, {
    token: owner.token,
    body: {
      recipient: {
        name: "CLIENTE DE PRUEBA",
        taxIdentifier: client.taxIdentifier,
        taxRegime: "601",
        postalCode: "54700",
      },
      items: [
        {
          description: "Curso de actualización",
          itemKey: "86121600",
          unitKey: "E48",
          quantity: 2,
          netUnitPriceAmount: "1500.00",
        },
      ],
      paymentForm: "03",
      cfdiUse: "G03",
      paymentMethod: "PUE",
      series: "RC",
    },
  });

const ledger = async () => {
  const result = await ledgerStub(env, issuer.id).balance();
  return { balance: result.balanceAmount, held: result.heldAmount };
};
const charged = async (invoiceId: string) =>
  db().select().from(consumptions).where(eq(consumptions.invoiceId, invoiceId));
const row = async (id: string) => (await db().select().from(invoices).where(eq(invoices.id, id)))[0]!;

/** Every reconcile message the stamp route enqueued, in order. */
const sends = vi.spyOn(env.JOBS, "send");
const reconcileMessages = () =>
  sends.mock.calls
    .map(([body]) => body as JobMessage)
    .filter((body) => body.type === "invoices.reconcile_stamp");

async function runQueue(queue: string, body: JobMessage, attempts = 1) {
  const batch = createMessageBatch<JobMessage>(queue, [
    { id: crypto.randomUUID(), timestamp: new Date(), attempts, body },
  ]);
  const exec = createExecutionContext();
  await worker.queue(batch, env, exec);
  return getQueueResult(batch, exec);
}

describe("a stamp whose answer is lost after Facturapi created the invoice", () => {
  let invoiceId: string;
  let message: JobMessage;

  it("answers 202 with the invoice processing, its folio and the held stamp kept", async () => {
    const before = await ledger();
    answersLost = 1;
    const res = await stamp();
    expect(res.status, res.text).toBe(202);
    expect(res.json.invoice).toMatchObject({
      status: "processing",
      uuid: null,
      series: "RC",
      folioNumber: "1",
      issuerTaxIdentifier: "EKU9003173C9",
      recipientTaxIdentifier: client.taxIdentifier,
      grossPriceAmount: 3480,
    });
    invoiceId = res.json.invoice.id;
    expect(fake.invoices.size).toBe(1);
    expect(await ledger()).toEqual({ balance: before.balance, held: "1.00" });
    expect(await charged(invoiceId)).toEqual([]);
    const messages = reconcileMessages();
    expect(messages).toHaveLength(1);
    message = messages[0]!;
    expect(message).toMatchObject({ type: "invoices.reconcile_stamp", invoiceId, organizationId: issuer.id });

    // Visible to its issuer while processing; the receiver sees it once it is a CFDI.
    expect((await call("GET", `/v1/invoices/${invoiceId}`, { token: owner.token })).json.status).toBe(
      "processing",
    );
    expect((await call("GET", `/v1/invoices/${invoiceId}`, { token: clientOwner.token })).status).toBe(404);
  });

  it("is completed by the reconcile job: the invoice Facturapi made, sent, charged once", async () => {
    const before = await ledger();
    const result = await runQueue("timbre-jobs", message);
    expect(result.explicitAcks).toHaveLength(1);
    expect(fake.invoices.size).toBe(1);
    const [facturapiInvoice] = [...fake.invoices.values()];

    const res = await call("GET", `/v1/invoices/${invoiceId}`, { token: owner.token });
    expect(res.json).toMatchObject({
      status: "sent",
      uuid: facturapiInvoice!.invoice.uuid!.toUpperCase(),
      series: "RC",
      folioNumber: "1",
    });
    expect(res.json.items).toHaveLength(1);
    expect(await row(invoiceId)).toMatchObject({
      organizationId: client.id,
      stampingProvider: "facturapi",
      providerReference: facturapiInvoice!.invoice.id,
    });
    expect(await ledger()).toEqual({ balance: (Number(before.balance) - 1).toFixed(2), held: "0.00" });
    expect(await charged(invoiceId)).toHaveLength(1);

    // The receiver now has it, with Facturapi's XML and PDF.
    const received = await call("GET", `/v1/invoices/${invoiceId}`, { token: clientOwner.token });
    expect(received.status).toBe(200);
    const xml = await call("GET", `/v1/files/${received.json.xmlFile.id}/content`, {
      token: clientOwner.token,
    });
    expect(xml.text).toBe(facturapiInvoice!.xml);
    const link = await call("GET", `/v1/invoices/${invoiceId}/download?format=pdf`, {
      token: owner.token,
    });
    expect(link.status, link.text).toBe(200);
    const pdf = await exports.default.fetch(new Request(link.json.downloadUrl));
    expect(pdf.status).toBe(200);
    expect(pdf.headers.get("content-type")).toContain("application/pdf");
    expect(new Uint8Array(await pdf.arrayBuffer())).toEqual(FAKE_PDF);
  });

  it("has no second effect when the job is delivered again", async () => {
    const before = await ledger();
    const requests = fake.requests.length;
    const result = await runQueue("timbre-jobs", message, 2);
    expect(result.explicitAcks).toHaveLength(1);
    expect(fake.requests).toHaveLength(requests);
    expect(fake.invoices.size).toBe(1);
    expect(await ledger()).toEqual(before);
    expect(await charged(invoiceId)).toHaveLength(1);
    expect((await row(invoiceId)).status).toBe("sent");
  });

  it("committed the folio once: the next stamp takes the next folio", async () => {
    const res = await stamp();
    expect(res.status, res.text).toBe(201);
    expect(res.json.invoice.folioNumber).toBe("2");
  });

  it("keeps every provider request as evidence, for the issuer only", async () => {
    const res = await call("GET", `/v1/invoices/${invoiceId}/evidence`, { token: owner.token });
    expect(res.status, res.text).toBe(200);
    const items = res.json.items as {
      operation: string;
      request: string;
      responseStatus: number | null;
      requestPayload: any;
      responseBody: any;
    }[];
    expect(items.map((i) => [i.operation, i.responseStatus])).toEqual([
      ["stamp", null],
      ["reconcile", 200],
      ["download_xml", 200],
      ["download_pdf", 200],
    ]);
    expect(items[0]!.request).toBe("POST /v2/invoices");
    expect(items[0]!.requestPayload.idempotency_key).toBe(items[1]!.requestPayload.idempotency_key);
    expect(items[0]!.responseBody.error).toBe("exception");
    expect(items[3]!.responseBody).toMatchObject({ contentType: "application/pdf", bytes: FAKE_PDF.length });
    expect(res.text).not.toContain(API_KEY);

    // The receiver, another organization and a role without `invoices.stamp` see nothing.
    expect(
      (await call("GET", `/v1/invoices/${invoiceId}/evidence`, { token: clientOwner.token })).status,
    ).toBe(404);
    const outsider = await signUp("reconcile-outsider");
    await createOrg(outsider);
    expect((await call("GET", `/v1/invoices/${invoiceId}/evidence`, { token: outsider.token })).status).toBe(
      404,
    );
    const reader = await signUp("reconcile-reader");
    await addMember(issuer.id, reader.id, "readonly");
    expect((await call("GET", `/v1/invoices/${invoiceId}/evidence`, { token: reader.token })).status).toBe(
      403,
    );
  });
});

describe("a stamp Facturapi failed with a 5xx", () => {
  it("is retried with backoff while Facturapi keeps failing, stays processing when dead-lettered, then completes", async () => {
    const before = await ledger();
    fake.fail(1, 503);
    const res = await stamp();
    expect(res.status, res.text).toBe(202);
    const invoiceId = res.json.invoice.id;
    const message = reconcileMessages().at(-1)!;
    const count = fake.invoices.size;

    fake.fail(1, 502);
    const retried = await runQueue("timbre-jobs", message);
    expect(retried.explicitAcks).toEqual([]);
    expect(retried.retryMessages).toHaveLength(1);
    expect((await row(invoiceId)).status).toBe("processing");

    const dead = await runQueue("timbre-jobs-dlq", message, 15);
    expect(dead.explicitAcks).toHaveLength(1);
    expect((await row(invoiceId)).status).toBe("processing");
    expect(await ledger()).toEqual({ balance: before.balance, held: "1.00" });

    // A later delivery (a redrive) completes it.
    await runQueue("timbre-jobs", message);
    expect(await row(invoiceId)).toMatchObject({ status: "sent", folioNumber: "3" });
    expect(fake.invoices.size).toBe(count + 1);
    expect(await charged(invoiceId)).toHaveLength(1);
  });

  it("is marked not_valid and charged nothing when Facturapi refuses it on reconcile", async () => {
    const before = await ledger();
    fake.fail(1, 503);
    const res = await stamp();
    expect(res.status, res.text).toBe(202);
    const invoiceId = res.json.invoice.id;
    const message = reconcileMessages().at(-1)!;
    const count = fake.invoices.size;

    fake.fail(1, 400);
    const result = await runQueue("timbre-jobs", message);
    expect(result.explicitAcks).toHaveLength(1);
    const refused = await row(invoiceId);
    expect(refused).toMatchObject({ status: "not_valid", uuid: null, folioNumber: "4" });
    expect(refused.validationErrors![0]!.code).toBe("facturapi_400");
    expect(fake.invoices.size).toBe(count);
    expect(await ledger()).toEqual(before);
    expect(await charged(invoiceId)).toEqual([]);

    await runQueue("timbre-jobs", message, 2);
    expect(await ledger()).toEqual(before);
    expect((await row(invoiceId)).status).toBe("not_valid");

    // Nobody waits on the request any more: the organization is told, once.
    const notes = await call("GET", `/v1/notifications?organization_id=${issuer.id}&limit=100`, {
      token: owner.token,
    });
    expect(notes.status, notes.text).toBe(200);
    const failed = notes.json.data.filter(
      (n: { type: string; data: { invoiceId?: string } }) =>
        n.type === "stamp.failed" && n.data.invoiceId === invoiceId,
    );
    expect(failed).toHaveLength(1);

    const evidence = await call("GET", `/v1/invoices/${invoiceId}/evidence`, { token: owner.token });
    expect(evidence.json.items.map((i: { operation: string }) => i.operation)).toEqual([
      "stamp",
      "reconcile",
    ]);
  });
});
