/**
 * POST /v1/invoices/{id}/cancel end to end with the sandbox PAC and the SAT test CSD of EKU9003173C9:
 * a fresh invoice is cancelled at once (RMF 2.7.1.35 IX) and leaves the balances, one stamped days ago
 * waits for the receiver (`pending`), repeats make no second request, the seed's status and payment
 * method rules, motive 01's substitution, and who may cancel (issuer only; others 404 or 400).
 */
import { env } from "cloudflare:workers";
import { and, eq } from "drizzle-orm";
import { afterEach, describe, expect, it, vi } from "vitest";
import { invoiceEvents, invoices, providerOrganizations } from "../../db/schema";
import { base64ToBytes } from "../../shared/encoding";
import { addMember, call, callMultipart, createOrg, db, passwordLogin, signUp } from "./harness";
import { seedInvoice } from "./security-matrix";

const DAY_MS = 86_400_000;
const fixture = (name: string) => base64ToBytes(env.TEST_FIXTURES[`csd/EKU9003173C9/${name}`]!);

const owner = await signUp("issuer");
const issuer = await createOrg(owner, {
  name: "ESCUELA KEMPER URGATE",
  taxIdentifier: "EKU9003173C9",
  taxRegimes: ["601"],
  postalCode: "42501",
});
const clientOwner = await signUp("client");
const client = await createOrg(clientOwner, { name: "CLIENTE DE PRUEBA", taxRegimes: ["601"] });

{
  const upload = async (type: string, bytes: Uint8Array) => {
    const res = await callMultipart(
      "POST",
      `/v1/files?type=${type}&organization_id=${issuer.id}`,
      owner.token,
      {
        file: new File([bytes], `csd.${type}`, { type: "application/octet-stream" }),
      },
    );
    expect(res.status, res.text).toBe(201);
    return res.json.file.id as string;
  };
  const csd = await call("PUT", `/v1/organizations/${issuer.id}/csd`, {
    token: owner.token,
    body: {
      csdCertFileId: await upload("csd_cert_file", fixture("EKU9003173C9.cer")),
      csdKeyFileId: await upload("csd_key_file", fixture("EKU9003173C9.key")),
      csdPassword: new TextDecoder().decode(fixture("password.txt")).trim(),
    },
  });
  expect(csd.status, csd.text).toBe(200);
  const topUp = await call("POST", `/v1/balance/top-ups?organization_id=${issuer.id}`, {
    token: owner.token,
    body: { amount: 1000 },
  });
  expect(topUp.status, topUp.text).toBe(201);
  const now = new Date().toISOString();
  await db()
    .insert(providerOrganizations)
    .values({ organizationId: client.id, providerId: issuer.id, createdAt: now, updatedAt: now });
}

/** Stamps 2 × 1,500.00 + IVA = 3,480.00 for the client (above RMF 2.7.1.35's 1,000.00). */
async function stamp(paymentMethod = "PUE") {
  const res = await call("POST", `/v1/invoices/stamp?provider_id=${issuer.id}`, {
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
          description: "Curso",
          itemKey: "86121600",
          unitKey: "E48",
          quantity: 2,
          netUnitPriceAmount: "1500.00",
        },
      ],
      paymentForm: paymentMethod === "PPD" ? "99" : "03",
      cfdiUse: "G03",
      paymentMethod,
    },
  });
  expect(res.status, res.text).toBe(201);
  return res.json.invoice as { id: string; uuid: string; stampingProvider: string };
}

const cancel = (id: string, body: unknown, token = owner.token) =>
  call("POST", `/v1/invoices/${id}/cancel`, { token, body });

const eventsOf = (invoiceId: string) =>
  db()
    .select()
    .from(invoiceEvents)
    .where(eq(invoiceEvents.invoiceId, invoiceId))
    .orderBy(invoiceEvents.offset);

const row = async (id: string) => (await db().select().from(invoices).where(eq(invoices.id, id)))[0]!;

const paidTotal = async () => {
  const res = await call("GET", `/v1/invoices/balance?provider_id=${issuer.id}`, { token: owner.token });
  expect(res.status, res.text).toBe(200);
  return res.json;
};

afterEach(() => {
  vi.useRealTimers();
});

describe("POST /v1/invoices/{id}/cancel: accepted at once", () => {
  it("cancels a fresh invoice without the receiver, with one event, and it leaves the balances", async () => {
    const before = await paidTotal();
    const invoice = await stamp();
    expect(invoice.stampingProvider).toBe("sandbox");
    const stamped = await paidTotal();
    expect(stamped).not.toEqual(before);

    const res = await cancel(invoice.id, { motive: "02" });
    expect(res.status, res.text).toBe(200);
    expect(res.json.invoice).toMatchObject({
      id: invoice.id,
      status: "sent",
      isCancelled: true,
      cancellationStatus: "accepted",
      cancellationMotive: "02",
      cancellationSubstitution: null,
    });
    expect(res.json.invoice.cancelledAt).toMatch(/Z$/);
    expect(res.json.invoice.cancellationRequestedAt).toMatch(/Z$/);
    const shown = await call("GET", `/v1/invoices/${invoice.id}`, { token: owner.token });
    expect(shown.json).toMatchObject({ isCancelled: true, cancellationStatus: "accepted" });

    const events = await eventsOf(invoice.id);
    expect(events.map((e) => e.type)).toEqual(["invoice.received", "invoice.cancelled"]);
    expect(events[1]!.data).toMatchObject({
      motive: "02",
      cancellationStatus: "accepted",
      provider: "sandbox",
    });
    expect(await paidTotal()).toEqual(before);
  });

  it("answers a repeat with the invoice and no second request; another motive → 409", async () => {
    const invoice = await stamp();
    expect((await cancel(invoice.id, { motive: "03" })).status).toBe(200);
    const again = await cancel(invoice.id, { motive: "03" });
    expect(again.status, again.text).toBe(200);
    expect(again.json.invoice.cancellationStatus).toBe("accepted");
    const other = await cancel(invoice.id, { motive: "02" });
    expect(other.status).toBe(409);
    expect(other.json.error).toBe("invoice_already_cancelled");
    expect((await eventsOf(invoice.id)).filter((e) => e.type === "invoice.cancelled")).toHaveLength(1);
  });

  it("takes motive 01 with the substituting invoice, by id or UUID, and records its UUID", async () => {
    const replaced = await stamp();
    const replacement = await stamp();
    const missing = await cancel(replaced.id, { motive: "01", substitution: crypto.randomUUID() });
    expect(missing.status).toBe(400);
    expect(missing.json.error).toBe("substitution_not_found");
    const itself = await cancel(replaced.id, { motive: "01", substitution: replaced.uuid });
    expect(itself.json.error).toBe("substitution_not_found");
    const res = await cancel(replaced.id, { motive: "01", substitution: replacement.id });
    expect(res.status, res.text).toBe(200);
    expect(res.json.invoice).toMatchObject({
      cancellationStatus: "accepted",
      cancellationMotive: "01",
      cancellationSubstitution: replacement.uuid,
    });
    // A cancelled invoice cannot substitute another.
    const third = await stamp();
    const byCancelled = await cancel(third.id, { motive: "01", substitution: replaced.uuid.toLowerCase() });
    expect(byCancelled.json.error).toBe("substitution_not_found");
  });
});

describe("POST /v1/invoices/{id}/cancel: waiting for the receiver", () => {
  /** Moves the clock past the next business day after stamping, and logs the owner in again there. */
  async function daysLater(days: number) {
    vi.useFakeTimers({ toFake: ["Date"] });
    vi.setSystemTime(Date.now() + days * DAY_MS);
    const login = await passwordLogin(owner.email);
    expect(login.status, login.text).toBe(200);
    return login.json.access_token as string;
  }

  it("is pending and tracked, the invoice still counts; a repeat sends nothing, another motive → 409", async () => {
    const invoice = await stamp("PPD");
    const token = await daysLater(4);
    const res = await cancel(invoice.id, { motive: "02" }, token);
    expect(res.status, res.text).toBe(200);
    expect(res.json.invoice).toMatchObject({
      isCancelled: false,
      cancelledAt: null,
      cancellationStatus: "pending",
    });
    const again = await cancel(invoice.id, { motive: "02" }, token);
    expect(again.status).toBe(200);
    expect(again.json.invoice.cancellationRequestedAt).toBe(res.json.invoice.cancellationRequestedAt);
    const other = await cancel(invoice.id, { motive: "03" }, token);
    expect(other.status).toBe(409);
    expect(other.json.error).toBe("cancellation_in_progress");
    const events = await eventsOf(invoice.id);
    expect(events.map((e) => e.type)).toEqual(["invoice.received", "invoice.updated"]);
    expect(events[1]!.data).toMatchObject({ cancellationStatus: "pending", providerStatus: "En proceso" });
  });

  it("with force, marks the invoice cancelled at once while SAT still waits", async () => {
    const invoice = await stamp();
    const token = await daysLater(4);
    const res = await cancel(invoice.id, { motive: "02", force: true }, token);
    expect(res.status, res.text).toBe(200);
    expect(res.json.invoice).toMatchObject({ isCancelled: true, cancellationStatus: "pending" });
    expect((await eventsOf(invoice.id)).at(-1)).toMatchObject({
      type: "invoice.cancelled",
      data: { forced: true, cancellationStatus: "pending" },
    });
  });
});

describe("POST /v1/invoices/{id}/cancel: the seed's rules and bad input", () => {
  it("needs status sent (invalid_invoice_status) and method PUE or PPD (invalid_payment_method)", async () => {
    const accepted = await stamp();
    await db().update(invoices).set({ status: "accepted" }).where(eq(invoices.id, accepted.id));
    const res = await cancel(accepted.id, { motive: "02" });
    expect(res.status).toBe(400);
    expect(res.json.error).toBe("invalid_invoice_status");
    const ext = await stamp();
    await db().update(invoices).set({ paymentMethod: "EXT" }).where(eq(invoices.id, ext.id));
    expect((await cancel(ext.id, { motive: "02" })).json.error).toBe("invalid_payment_method");
    for (const id of [accepted.id, ext.id]) {
      expect(await row(id)).toMatchObject({ isCancelled: false, cancellationStatus: null });
    }
  });

  it("refuses a malformed body with 400 and changes nothing", async () => {
    const invoice = await stamp();
    for (const body of [
      {},
      { motive: "05" },
      { motive: 2 },
      { motive: "01" },
      { motive: "02", substitution: crypto.randomUUID() },
      { motive: "02", force: "yes" },
    ]) {
      const res = await cancel(invoice.id, body);
      expect(res.status, JSON.stringify(body)).toBe(400);
      expect(res.json.error).toBe("validation_failed");
    }
    const noMotive = await cancel(invoice.id, { motive: "01" });
    expect(noMotive.json.details).toEqual([expect.objectContaining({ path: "substitution" })]);
    expect(await row(invoice.id)).toMatchObject({ isCancelled: false, cancellationStatus: null });
    expect((await cancel("not-a-uuid", { motive: "02" })).status).toBe(404);
  });
});

describe("POST /v1/invoices/{id}/cancel: who may cancel", () => {
  it("is the issuer's: another organization → 404, the receiver → 400, a role without stamping → 403", async () => {
    const invoice = await stamp();
    const outsider = await signUp("outsider");
    await createOrg(outsider);
    const foreign = await cancel(invoice.id, { motive: "02" }, outsider.token);
    expect(foreign.status).toBe(404);

    const received = await cancel(invoice.id, { motive: "02" }, clientOwner.token);
    expect(received.status).toBe(400);
    expect(received.json.error).toBe("invoice_not_issued");

    const reader = await signUp("reader");
    await addMember(issuer.id, reader.id, "readonly");
    expect((await cancel(invoice.id, { motive: "02" }, reader.token)).status).toBe(403);
    expect(await row(invoice.id)).toMatchObject({ isCancelled: false, cancellationStatus: null });
  });

  it("cancels only what Timbre stamped: an uploaded invoice of the issuer → 400 invoice_not_stamped", async () => {
    const { invoiceId } = await seedInvoice(owner.token, issuer.id, {
      organizationId: null,
      providerId: issuer.id,
      paymentMethod: "PUE",
    });
    const res = await cancel(invoiceId, { motive: "02" });
    expect(res.status).toBe(400);
    expect(res.json.error).toBe("invoice_not_stamped");
    const uploadedByClient = await seedInvoice(clientOwner.token, client.id);
    expect((await cancel(uploadedByClient.invoiceId, { motive: "02" }, clientOwner.token)).json.error).toBe(
      "invoice_not_issued",
    );
    expect(
      await db()
        .select()
        .from(invoiceEvents)
        .where(and(eq(invoiceEvents.invoiceId, invoiceId), eq(invoiceEvents.type, "invoice.cancelled"))),
    ).toHaveLength(0);
  });
});
