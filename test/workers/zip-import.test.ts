// Invoice ZIP imports end to end: POST /v1/invoices/zip-uploads checks the archive and queues a task,
// the JOBS consumer (driven by hand) receives every document once, GET /v1/tasks/{id} shows progress
// and per-file reasons, and redelivered or interrupted slices never duplicate an invoice.
import { createExecutionContext, createMessageBatch, getQueueResult } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { crc32, deflateRawSync } from "node:zlib";
import { and, count, eq } from "drizzle-orm";
import { beforeAll, describe, expect, it } from "vitest";
import { invoices, memberships, taskItems, tasks } from "../../db/schema";
import { buildCfdi, type InvoiceInput } from "../../shared/cfdi/build";
import { type Csd, loadCsd } from "../../shared/cfdi/csd";
import { base64ToBytes } from "../../shared/encoding";
import { writeZip, type ZipWriteEntry } from "../../shared/zip/write";
import type { JobMessage } from "../../workers/env";
import worker from "../../workers/index";
import { ZIP_IMPORT_BATCH_SIZE } from "../../workers/services/zip-imports";
import {
  addMember,
  call,
  callMultipart,
  cfdiFixture,
  createOrg,
  createOrgWithRfc,
  db,
  signUp,
  type TestUser,
} from "./harness";

const RECEIVER = { rfc: "MCI7306249Y1", name: "MUNICIPIO DE CUAUTITLAN IZCALLI", regime: "603" };
const STAMPED = "40/real-ingreso-CSM190311AH6-2022-stamped.xml";
const STAMPED_FINKOK = "40/test-ingreso-EKU-descuento-stamped-finkok-demo.xml";
const OTHER_RECEIVER = "40/test-ingreso-rounding-iva-lines-100.05.xml";
const PAYMENT = "40/pagos/test-pago20-signed.xml";
const PDF = new TextEncoder().encode("%PDF-1.4\n1 0 obj<<>>endobj\n%%EOF\n");
const utf8 = (s: string) => new TextEncoder().encode(s);

let csd: Csd;
beforeAll(async () => {
  const fixture = (name: string) => env.TEST_FIXTURES[`csd/EKU9003173C9/${name}`]!;
  csd = await loadCsd({
    cer: fixture("EKU9003173C9.cer"),
    key: fixture("EKU9003173C9.key"),
    password: new TextDecoder().decode(base64ToBytes(fixture("password.txt"))).trim(),
  });
});

/** `n` distinct sealed CFDIs from the SAT test issuer to RECEIVER, named `<folder>/F-0001.xml`, … */
async function buildDocuments(n: number, folder: string, series = "F"): Promise<ZipWriteEntry[]> {
  const entries: ZipWriteEntry[] = [];
  for (let i = 1; i <= n; i++) {
    const input: InvoiceInput = {
      type: "I",
      series,
      folio: String(i),
      issuer: { rfc: "EKU9003173C9", name: "ESCUELA KEMPER URGATE", taxRegime: "601" },
      receptor: {
        rfc: RECEIVER.rfc,
        name: RECEIVER.name,
        taxRegime: RECEIVER.regime,
        postalCode: "54700",
        cfdiUse: "G03",
      },
      expeditionPostalCode: "42501",
      paymentForm: "03",
      paymentMethod: "PUE",
      items: [
        {
          productKey: "84111506",
          quantity: "1",
          unitKey: "E48",
          description: `Servicio ${series}-${i}`,
          unitPrice: (100 + i).toFixed(2),
          taxes: [{ tax: "IVA", factor: "Tasa", rate: "0.16" }],
        },
      ],
    };
    const { xml } = await buildCfdi(input, { csd });
    entries.push({ name: `${folder}/${series}-${String(i).padStart(4, "0")}.xml`, data: utf8(xml) });
  }
  return entries;
}

/** Turns the single stored entry of `zip` into the deflated entry it holds: a real ZIP bomb when
 * `original` is large and compresses well (the writer only stores). */
function deflatedArchive(original: Uint8Array): Uint8Array {
  const zip = writeZip([{ name: "bomba.xml", data: new Uint8Array(deflateRawSync(original)) }]);
  const view = new DataView(zip.buffer);
  const central = view.getUint32(zip.length - 22 + 16, true);
  for (const [header, methodAt] of [
    [0, 8],
    [central, 10],
  ] as const) {
    view.setUint16(header + methodAt, 8, true);
    view.setUint32(header + methodAt + 6, crc32(original), true);
    view.setUint32(header + methodAt + 14, original.length, true);
  }
  return zip;
}

/** Renames an entry in place (same byte length) in both of its headers, past the writer's checks. */
function renamed(zip: Uint8Array, from: string, to: string): Uint8Array {
  const [a, b] = [utf8(from), utf8(to)];
  const out = zip.slice();
  let found = 0;
  for (let i = 0; i + a.length <= out.length; i++) {
    if (a.every((byte, j) => out[i + j] === byte)) {
      out.set(b, i);
      found++;
    }
  }
  expect(found).toBe(2);
  return out;
}

async function uploadZip(user: TestUser, orgId: string, zip: Uint8Array, type = "invoices_upload_zip") {
  const res = await callMultipart("POST", `/v1/files?type=${type}&organization_id=${orgId}`, user.token, {
    file: new File([zip as Uint8Array<ArrayBuffer>], "facturas.zip", { type: "application/zip" }),
  });
  expect(res.status, res.text).toBe(201);
  return res.json.file as { id: string; pathname: string };
}

const startImport = (user: TestUser, query: string, body: Record<string, unknown>) =>
  call("POST", `/v1/invoices/zip-uploads?${query}`, { token: user.token, body });

const getTask = (user: TestUser, id: string, query = "") =>
  call("GET", `/v1/tasks/${id}${query}`, { token: user.token });

/** The messages the request queued for a task (the tests' producer queue has no consumer). */
function sliceMessages(taskId: string, total: number): JobMessage[] {
  const out: JobMessage[] = [];
  for (let from = 0; from < total; from += ZIP_IMPORT_BATCH_SIZE) {
    out.push({
      type: "invoices.zip_import",
      taskId,
      from,
      to: Math.min(total, from + ZIP_IMPORT_BATCH_SIZE),
    });
  }
  return out;
}

let delivery = 0;
async function deliver(bodies: JobMessage[], bindings = env, queue = "timbre-jobs") {
  const batch = createMessageBatch<JobMessage>(
    queue,
    bodies.map((body) => ({ id: `m${++delivery}`, timestamp: new Date(), attempts: 1, body })),
  );
  const exec = createExecutionContext();
  await worker.queue(batch, bindings, exec);
  return getQueueResult(batch, exec);
}

const taskInvoiceCount = async (taskId: string) =>
  (await db().select({ n: count() }).from(invoices).where(eq(invoices.taskId, taskId)))[0]!.n;

async function receiver(prefix: string) {
  const owner = await signUp(prefix);
  const org = await createOrgWithRfc(owner, RECEIVER.rfc, RECEIVER.regime);
  return { owner, org };
}

describe("a 200-document ZIP", () => {
  it("imports every document once, with progress, per-file reasons and no duplicates on redelivery", async () => {
    const { owner, org } = await receiver("zip");
    const built = await buildDocuments(200, "facturas");
    const nested = writeZip([{ name: "dentro.xml", data: built[0]!.data }]);
    const zip = writeZip([
      { name: "timbradas/real.xml", data: utf8(cfdiFixture(STAMPED)) },
      { name: "timbradas/real-copia.xml", data: utf8(cfdiFixture(STAMPED)) },
      { name: "timbradas/finkok.xml", data: utf8(cfdiFixture(STAMPED_FINKOK)) },
      { name: "rotas/no-es-xml.xml", data: utf8("esto no es XML") },
      { name: "rotas/otro-receptor.xml", data: utf8(cfdiFixture(OTHER_RECEIVER)) },
      { name: "rotas/pago.xml", data: utf8(cfdiFixture(PAYMENT)) },
      { name: "rotas/anidado.xml", data: nested },
      ...built,
      { name: "facturas/F-0001.pdf", data: PDF },
      { name: "huerfano.pdf", data: PDF },
      { name: "otros/archivo.zip", data: nested },
      { name: "leeme.txt", data: utf8("Facturas de noviembre") },
    ]);
    const file = await uploadZip(owner, org.id, zip);

    const started = await startImport(owner, `organization_id=${org.id}`, {
      invoicesUploadZipId: file.id,
      createProducts: true,
    });
    expect(started.status, started.text).toBe(202);
    expect(started.json).toEqual({
      success: true,
      message: "File uploaded successfully",
      taskId: expect.any(String),
    });
    const taskId: string = started.json.taskId;
    const TOTAL = 207;
    const queued = await getTask(owner, taskId);
    expect(queued.status).toBe(200);
    expect(queued.json).toMatchObject({
      id: taskId,
      type: "invoices_zip_import",
      status: "pending",
      total: TOTAL,
      processed: 0,
      created: 0,
      duplicates: 0,
      failed: 0,
      failures: [],
      ignored: ["huerfano.pdf", "otros/archivo.zip", "leeme.txt"],
      ignoredCount: 3,
      completedAt: null,
    });
    const [row] = await db().select().from(tasks).where(eq(tasks.id, taskId));
    expect(row!.input).toMatchObject({ createProducts: true, createOrganizationProspects: false });

    const messages = sliceMessages(taskId, TOTAL);
    expect(messages).toHaveLength(5);
    let busyMs = 0;
    const timed = async (bodies: JobMessage[], bindings = env) => {
      const t0 = performance.now();
      const result = await deliver(bodies, bindings);
      busyMs += performance.now() - t0;
      return result;
    };

    // The first slice: progress is visible, and so are its failures and its duplicate.
    const first = await timed([messages[0]!]);
    expect(first.retryMessages).toEqual([]);
    const progress = await getTask(owner, taskId);
    expect(progress.json).toMatchObject({
      status: "processing",
      total: TOTAL,
      processed: 50,
      created: 45,
      duplicates: 1,
      failed: 4,
      completedAt: null,
    });
    expect(progress.json.failures).toEqual([
      {
        name: "rotas/anidado.xml",
        code: "zip_nested_archive",
        message: expect.stringContaining("anidado.xml"),
      },
      { name: "rotas/no-es-xml.xml", code: "xml_malformed", message: expect.any(String) },
      { name: "rotas/otro-receptor.xml", code: "recipient_mismatch", message: expect.any(String) },
      { name: "rotas/pago.xml", code: "payment_complement_not_invoice", message: expect.any(String) },
    ]);
    expect(await taskInvoiceCount(taskId)).toBe(45);

    // The same slice delivered again changes nothing.
    expect((await deliver([messages[0]!])).retryMessages).toEqual([]);
    expect((await getTask(owner, taskId)).json).toMatchObject({ processed: 50, created: 45, duplicates: 1 });
    expect(await taskInvoiceCount(taskId)).toBe(45);

    // The second slice dies mid-way (R2 stops accepting writes): what was written stays, with its
    // task items; the retry finishes the slice without a second copy of anything.
    let puts = 0;
    const failingFiles = new Proxy(env.FILES, {
      get(target, key) {
        if (key === "put") {
          return (...args: Parameters<R2Bucket["put"]>) => {
            if (++puts > 30) throw new Error("R2 unavailable");
            return target.put(...args);
          };
        }
        const value = Reflect.get(target, key);
        return typeof value === "function" ? value.bind(target) : value;
      },
    });
    const killed = await timed([messages[1]!], { ...env, FILES: failingFiles });
    expect(killed.retryMessages.map((m) => m.msgId)).toHaveLength(1);
    const interrupted = (await getTask(owner, taskId)).json;
    // A slice's documents are written as one group: the failed slice left nothing half-written.
    expect(interrupted.processed).toBeGreaterThanOrEqual(50);
    expect(interrupted.processed).toBeLessThan(100);
    expect(await taskInvoiceCount(taskId)).toBe(interrupted.created);
    expect((await timed([messages[1]!])).retryMessages).toEqual([]);
    expect((await getTask(owner, taskId)).json).toMatchObject({ processed: 100, created: 95 });
    expect(await taskInvoiceCount(taskId)).toBe(95);

    // The rest in one consumer invocation.
    const rest = await timed(messages.slice(2));
    expect(rest.retryMessages).toEqual([]);
    const done = await getTask(owner, taskId);
    expect(done.json).toMatchObject({
      status: "completed",
      total: TOTAL,
      processed: TOTAL,
      created: 202,
      duplicates: 1,
      failed: 4,
      error: null,
      completedAt: expect.any(String),
    });
    console.log(
      `zip import: ${TOTAL} documents in ${busyMs.toFixed(0)} ms of consumer time = ${((TOTAL * 1000) / busyMs).toFixed(0)} docs/s`,
    );

    // Everything redelivered after completion: same counters, same invoices.
    expect((await deliver(messages)).retryMessages).toEqual([]);
    expect((await getTask(owner, taskId)).json).toMatchObject({
      processed: TOTAL,
      created: 202,
      duplicates: 1,
    });
    expect(await taskInvoiceCount(taskId)).toBe(202);

    // The invoices are the documents: one per UUID-less document, one per stamped UUID, the PDF paired.
    const rows = await db().select().from(invoices).where(eq(invoices.organizationId, org.id));
    expect(rows).toHaveLength(202);
    expect(
      rows.every((r) => r.source === "zip" && r.taskId === taskId && r.createdByUserId === owner.id),
    ).toBe(true);
    const builtRows = rows.filter((r) => r.series === "F");
    expect(new Set(builtRows.map((r) => r.folioNumber)).size).toBe(200);
    const items = await db().select().from(taskItems).where(eq(taskItems.taskId, taskId));
    const byName = new Map(items.map((i) => [i.name, i]));
    const firstBuilt = rows.find((r) => r.id === byName.get("facturas/F-0001.xml")!.invoiceId)!;
    expect(firstBuilt.pdfFileId).not.toBeNull();
    expect(firstBuilt.folioNumber).toBe("1");
    // The two copies of one stamped UUID may be received concurrently: either wins, the other points to it.
    const copies = ["timbradas/real.xml", "timbradas/real-copia.xml"].map((name) => byName.get(name)!);
    const real = copies.find((c) => c.status === "created")!;
    expect(copies.find((c) => c !== real)).toMatchObject({ status: "duplicate", invoiceId: real.invoiceId });
    const detail = await call("GET", `/v1/invoices/${real.invoiceId}`, { token: owner.token });
    expect(detail.status).toBe(200);
    expect(detail.json.recipientTaxIdentifier).toBe(RECEIVER.rfc);

    // Failures page like any list.
    const paged = await getTask(owner, taskId, "?limit=10&page=1");
    expect(paged.json.failures).toHaveLength(4);
    expect(paged.json.failuresTotalPages).toBe(1);
    expect((await getTask(owner, taskId, "?limit=7")).status).toBe(400);
  });
});

describe("refused at request time", () => {
  it("refuses hostile or unusable archives with their code and creates no task", async () => {
    const { owner, org } = await receiver("zip-refused");
    const refused = async (zip: Uint8Array) => {
      const file = await uploadZip(owner, org.id, zip);
      return startImport(owner, `organization_id=${org.id}`, { invoicesUploadZipId: file.id });
    };

    const bomb = await refused(deflatedArchive(new Uint8Array(8 * 1024 * 1024)));
    expect(bomb.status).toBe(413);
    expect(bomb.json.error).toBe("zip_bomb");

    const traversal = await refused(
      renamed(
        writeZip([{ name: "aa/evil.xml", data: utf8(cfdiFixture(STAMPED)) }]),
        "aa/evil.xml",
        "../evil.xml",
      ),
    );
    expect(traversal.status).toBe(400);
    expect(traversal.json.error).toBe("zip_unsafe_path");

    const noXml = await refused(writeZip([{ name: "leeme.txt", data: utf8("nada") }]));
    expect(noXml.status).toBe(400);
    expect(noXml.json).toMatchObject({
      error: "zip_no_xml",
      message: "The zip file must contain XML files.",
    });

    const truncated = await refused(writeZip([{ name: "a.xml", data: utf8("<a/>") }]).slice(0, 40));
    expect(truncated.status).toBe(400);
    expect(truncated.json.error).toBe("zip_invalid");

    const pdf = await callMultipart("POST", `/v1/files?type=other&organization_id=${org.id}`, owner.token, {
      file: new File([PDF], "a.pdf", { type: "application/pdf" }),
    });
    const notZip = await startImport(owner, `organization_id=${org.id}`, {
      invoicesUploadZipId: pdf.json.file.id,
    });
    expect(notZip.status).toBe(400);
    expect(notZip.json.error).toBe("invalid_file_type");

    const noSide = await startImport(owner, "", { invoicesUploadZipId: pdf.json.file.id });
    expect(noSide.status).toBe(400);
    const badBody = await startImport(owner, `organization_id=${org.id}`, { invoicesUploadZipId: "x" });
    expect(badBody.status).toBe(400);
    expect(badBody.json.error).toBe("validation_failed");

    const [n] = await db().select({ n: count() }).from(tasks).where(eq(tasks.organizationId, org.id));
    expect(n!.n).toBe(0);
  });
});

describe("tenancy", () => {
  it("hides tasks and files from other organizations and refuses roles without invoices.write", async () => {
    const { owner, org } = await receiver("zip-tenant");
    const file = await uploadZip(owner, org.id, writeZip(await buildDocuments(1, "t", "T")));
    const started = await startImport(owner, `organization_id=${org.id}`, { invoicesUploadZipId: file.id });
    expect(started.status).toBe(202);

    const outsider = await signUp("zip-outsider");
    const theirs = await createOrg(outsider);
    expect((await getTask(outsider, started.json.taskId)).status).toBe(404);
    const borrowed = await startImport(outsider, `organization_id=${theirs.id}`, {
      invoicesUploadZipId: file.id,
    });
    expect(borrowed.status).toBe(404);
    expect(
      (await startImport(outsider, `organization_id=${org.id}`, { invoicesUploadZipId: file.id })).status,
    ).toBe(404);
    expect((await getTask(outsider, crypto.randomUUID())).status).toBe(404);

    const client = await signUp("zip-client");
    await addMember(org.id, client.id, "client");
    expect(
      (await startImport(client, `organization_id=${org.id}`, { invoicesUploadZipId: file.id })).status,
    ).toBe(403);
    // A client may read invoices, so it may follow the task.
    expect((await getTask(client, started.json.taskId)).status).toBe(200);
  });
});

describe("when things go wrong in the background", () => {
  async function queuedImport(prefix: string, documents: number, series: string) {
    const { owner, org } = await receiver(prefix);
    const file = await uploadZip(owner, org.id, writeZip(await buildDocuments(documents, "x", series)));
    const started = await startImport(owner, `organization_id=${org.id}`, { invoicesUploadZipId: file.id });
    expect(started.status).toBe(202);
    return { owner, org, file, taskId: started.json.taskId as string };
  }

  it("fails every entry with the access error when the user who started it lost access", async () => {
    const { owner, org } = await receiver("zip-access");
    const accountant = await signUp("zip-accountant");
    await addMember(org.id, accountant.id, "accountant");
    const file = await uploadZip(owner, org.id, writeZip(await buildDocuments(3, "x", "A")));
    const started = await startImport(accountant, `organization_id=${org.id}`, {
      invoicesUploadZipId: file.id,
    });
    expect(started.status).toBe(202);
    await db()
      .delete(memberships)
      .where(and(eq(memberships.organizationId, org.id), eq(memberships.userId, accountant.id)));

    expect((await deliver(sliceMessages(started.json.taskId, 3))).retryMessages).toEqual([]);
    const task = (await getTask(owner, started.json.taskId)).json;
    expect(task).toMatchObject({ status: "completed", processed: 3, created: 0, failed: 3 });
    expect(task.failures.map((f: { code: string }) => f.code)).toEqual([
      "not_found",
      "not_found",
      "not_found",
    ]);
    expect(await taskInvoiceCount(started.json.taskId)).toBe(0);
  });

  it("records a dead-lettered slice's remaining entries as failed, so the task completes", async () => {
    const { owner, taskId } = await queuedImport("zip-dlq", 3, "D");
    const result = await deliver(sliceMessages(taskId, 3), env, "timbre-jobs-dlq");
    expect(result.explicitAcks).toHaveLength(1);
    const task = (await getTask(owner, taskId)).json;
    expect(task).toMatchObject({ status: "completed", processed: 3, failed: 3 });
    expect(new Set(task.failures.map((f: { code: string }) => f.code))).toEqual(new Set(["import_failed"]));
  });

  it("fails the task when the archive vanished", async () => {
    const { owner, file, taskId } = await queuedImport("zip-vanished", 2, "V");
    await env.FILES.delete(file.pathname);
    expect((await deliver(sliceMessages(taskId, 2))).retryMessages).toEqual([]);
    const task = (await getTask(owner, taskId)).json;
    expect(task).toMatchObject({ status: "failed", processed: 0, completedAt: expect.any(String) });
    expect(task.error).toContain("no longer available");
  });
});
