// Changing invoices: PATCH /v1/invoices/{id}, bulk PATCH /v1/invoices, PATCH /v1/invoices/status and a
// provider link's new terms. Invoices are put straight into the database in the status and shape each
// case needs (seedInvoice, seedExtInvoice): uploads only produce `sent` or `not_valid` CFDIs, and no
// route creates EXT invoices. Provider links are inserted directly too (the invitation flow that
// creates them is covered by providers.test.ts).
import { and, count, eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { batchWrite } from "../../db/client";
import {
  invoiceEvents,
  invoicePaymentDocuments,
  invoicePayments,
  invoices,
  providerOrganizations,
} from "../../db/schema";
import { parseCfdi } from "../../shared/cfdi/parse";
import { AppError } from "../../shared/errors";
import { canTransition, INVOICE_STATUSES } from "../../shared/invoices/status";
import type { ServiceContext } from "../../workers/services/context";
import { MAX_FILTER_TARGETS, writeGuarded } from "../../workers/services/invoice-changes";
import { guardedInvoiceUpdate } from "../../workers/services/invoice-payment-state";
import { invoiceEventStatement } from "../../workers/services/invoices";
import {
  addMember,
  call,
  cfdiFixture,
  createOrg,
  createOrgWithRfc,
  db,
  signUp,
  type TestUser,
  uploadInvoice,
} from "./harness";
import { seedExtInvoice, seedInvoice } from "./security-matrix";

type InvoiceInsert = Partial<typeof invoices.$inferInsert>;

async function team(prefix = "changes") {
  const owner = await signUp(prefix);
  const org = await createOrg(owner);
  return { owner, org };
}

const seed = async (orgId: string, over: InvoiceInsert = {}) =>
  (await seedInvoice("", orgId, over)).invoiceId;

async function stored(id: string) {
  const [row] = await db().select().from(invoices).where(eq(invoices.id, id));
  return row!;
}

async function events(id: string) {
  return db()
    .select()
    .from(invoiceEvents)
    .where(eq(invoiceEvents.invoiceId, id))
    .orderBy(invoiceEvents.offset);
}

const patch = (user: TestUser, path: string, body: unknown) =>
  call("PATCH", path, { token: user.token, body });

async function link(
  organizationId: string,
  providerId: string,
  creditDays = 30,
  creditPeriod: "d" | "m" | "y" = "d",
) {
  const now = new Date().toISOString();
  await db()
    .insert(providerOrganizations)
    .values({ organizationId, providerId, creditDays, creditPeriod, createdAt: now, updatedAt: now });
}

async function preferences(user: TestUser, orgId: string, body: Record<string, unknown>) {
  const res = await call("PUT", `/v1/organizations/${orgId}/invoice-preferences`, {
    token: user.token,
    body,
  });
  expect(res.status, res.text).toBe(200);
}

/** A valid payment complement applied to each invoice (the complement upload route is not under test). */
async function paymentComplement(
  orgId: string,
  invoiceIds: string[],
  status: "valid" | "not_valid" = "valid",
) {
  const now = new Date().toISOString();
  const id = crypto.randomUUID();
  await db().insert(invoicePayments).values({
    id,
    organizationId: orgId,
    uuid: crypto.randomUUID().toUpperCase(),
    version: "2.0",
    status,
    totalAmount: "116",
    xmlFileId: crypto.randomUUID(),
    createdAt: now,
    updatedAt: now,
  });
  for (const invoiceId of invoiceIds) {
    await db().insert(invoicePaymentDocuments).values({
      id: crypto.randomUUID(),
      invoicePaymentId: id,
      invoiceId,
      relatedUuid: crypto.randomUUID().toUpperCase(),
      paidAt: "2025-03-01T12:00:00",
      amountPaid: "116",
      createdAt: now,
    });
  }
  return id;
}

// Mexico City has been UTC−6 all year since 2022: its days start at 06:00 UTC.
const mexicoDate = (iso: string) => new Date(Date.parse(iso) - 6 * 3_600_000).toISOString().slice(0, 10);
const plusDays = (date: string, days: number) =>
  new Date(Date.parse(`${date}T00:00:00Z`) + days * 86_400_000).toISOString().slice(0, 10);
const dayStart = (date: string) => `${date}T06:00:00.000Z`;
const weekday = (date: string) => new Date(`${date}T00:00:00Z`).getUTCDay();

describe("PATCH /v1/invoices/{id}", () => {
  const STAMPED = "40/real-ingreso-CSM190311AH6-2022-stamped.xml";

  async function uploaded() {
    const cfdi = parseCfdi(cfdiFixture(STAMPED));
    const owner = await signUp("single");
    const org = await createOrgWithRfc(owner, cfdi.Receptor.Rfc, cfdi.Receptor.RegimenFiscalReceptor);
    const res = await uploadInvoice(owner.token, { organizationId: org.id }, cfdiFixture(STAMPED));
    expect(res.status, res.text).toBe(201);
    return { owner, org, invoice: res.json.invoice as { id: string; status: string; paymentMethod: string } };
  }

  it("changes notes and the read mark of a received CFDI, with an invoice.updated event", async () => {
    const { owner, invoice } = await uploaded();
    const res = await patch(owner, `/v1/invoices/${invoice.id}`, {
      notes: "Revisar con compras",
      isRead: true,
    });
    expect(res.status, res.text).toBe(200);
    expect(res.json).toEqual({ success: true });
    const read = await call("GET", `/v1/invoices/${invoice.id}`, { token: owner.token });
    expect(read.json.notes).toBe("Revisar con compras");
    expect(read.json.isRead).toBe(true);
    const updated = (await events(invoice.id)).filter((e) => e.type === "invoice.updated");
    expect(updated).toHaveLength(1);
    expect(updated[0]!.data).toEqual({ changes: { notes: "Revisar con compras", isRead: true } });
    expect(updated[0]!.actorUserId).toBe(owner.id);
  });

  it("refuses paymentDueAt outside accepted (invalid_status) and EXT-only fields on a CFDI (invalid_payment_method)", async () => {
    const { owner, invoice } = await uploaded();
    expect(invoice.status).toBe("sent");
    const due = await patch(owner, `/v1/invoices/${invoice.id}`, { paymentDueAt: "2025-03-03" });
    expect(due.status).toBe(400);
    expect(due.json.error).toBe("invalid_status");
    const ext = await patch(owner, `/v1/invoices/${invoice.id}`, { issuerName: "Otro", notes: "x" });
    expect(ext.status).toBe(400);
    expect(ext.json.error).toBe("invalid_payment_method");
    const row = await stored(invoice.id);
    expect(row.paymentDueAt).toBeNull();
    expect(row.notes).toBeNull();
    expect((await events(invoice.id)).map((e) => e.type)).toEqual(["invoice.received"]);
  });

  it("sets paymentDueAt on an accepted invoice as the start of that Mexico City day", async () => {
    const { owner, org } = await team();
    const id = await seed(org.id, { status: "accepted" });
    expect((await patch(owner, `/v1/invoices/${id}`, { paymentDueAt: "2025-03-03" })).status).toBe(200);
    expect((await stored(id)).paymentDueAt).toBe("2025-03-03T06:00:00.000Z");
  });

  it("changes grossPriceAmount only on accepted USD EXT invoices, recalculating what is due", async () => {
    const { owner, org } = await team();
    const { invoiceId } = await seedExtInvoice("", org.id);
    const res = await patch(owner, `/v1/invoices/${invoiceId}`, { grossPriceAmount: "1500.50" });
    expect(res.status, res.text).toBe(200);
    const row = await stored(invoiceId);
    expect(row.grossPriceAmount).toBe("1500.50");
    expect(row.grossPriceMicros).toBe(1_500_500_000);
    // Nothing was paid on this EXT invoice: the whole new total is due.
    expect(row.dueAmount).toBe("1500.50");
    expect(row.dueMicros).toBe(1_500_500_000);
    expect(row.paidAmount).toBe("0.00");

    const mxn = await seedExtInvoice("", org.id, { currencyCode: "MXN", originalCurrencyCode: null });
    const notUsd = await patch(owner, `/v1/invoices/${mxn.invoiceId}`, { grossPriceAmount: 10 });
    expect(notUsd.json.error).toBe("invalid_currency");
    const sent = await seedExtInvoice("", org.id, { status: "sent", statusCode: 10 });
    const notAccepted = await patch(owner, `/v1/invoices/${sent.invoiceId}`, { grossPriceAmount: 10 });
    expect(notAccepted.json.error).toBe("invalid_status");
    const cfdi = await seed(org.id, { status: "accepted" });
    const notExt = await patch(owner, `/v1/invoices/${cfdi}`, { grossPriceAmount: 10 });
    expect(notExt.json.error).toBe("invalid_payment_method");
    for (const id of [mxn.invoiceId, sent.invoiceId])
      expect((await stored(id)).grossPriceAmount).toBe("1266.00");
  });

  it("validates EXT fields against the catalogs", async () => {
    const { owner, org } = await team();
    const { invoiceId } = await seedExtInvoice("", org.id);
    const ok = await patch(owner, `/v1/invoices/${invoiceId}`, {
      issuerCountry: "usa",
      issuerAddressState: "tx",
      cfdiUse: "G03",
    });
    expect(ok.status, ok.text).toBe(200);
    const row = await stored(invoiceId);
    expect([row.issuerCountry, row.issuerAddressState, row.cfdiUse]).toEqual(["USA", "TX", "G03"]);
    const bad = await patch(owner, `/v1/invoices/${invoiceId}`, { cfdiUse: "Z99" });
    expect(bad.status).toBe(400);
    expect(bad.json.error).toBe("validation_failed");
    expect(bad.json.details[0].path).toBe("cfdiUse");
  });

  it("answers 404 for another organization's invoice and 403 for a role without invoices.write", async () => {
    const { owner, org } = await team();
    const id = await seed(org.id);
    const outsider = await team("outsider");
    const other = await patch(outsider.owner, `/v1/invoices/${id}`, { isRead: true });
    expect(other.status).toBe(404);
    const client = await signUp("client");
    await addMember(org.id, client.id, "client");
    expect((await patch(client, `/v1/invoices/${id}`, { isRead: true })).status).toBe(403);
    expect((await stored(id)).isRead).toBe(false);
    expect((await patch(owner, `/v1/invoices/${id}`, {})).json.error).toBe("validation_failed");
  });
});

describe("PATCH /v1/invoices/status: every transition of the lifecycle", () => {
  const pairs = INVOICE_STATUSES.flatMap((from) => INVOICE_STATUSES.map((to) => [from, to] as const));
  let shared: Promise<{ owner: TestUser; org: { id: string } }> | undefined;

  it.each(pairs)("%s → %s", async (from, to) => {
    shared ??= team("lifecycle");
    const { owner, org } = await shared;
    const id = await seed(org.id, { status: from });
    const invoicePaymentId = to === "completed" ? await paymentComplement(org.id, [id]) : undefined;
    const res = await patch(owner, "/v1/invoices/status", { invoiceIds: [id], status: to, invoicePaymentId });
    const row = await stored(id);
    const changes = (await events(id)).filter((e) => e.type === "invoice.status_changed");
    if (from === to) {
      expect(res.status, res.text).toBe(200);
      expect(changes).toHaveLength(0);
    } else if (canTransition(from, to)) {
      expect(res.status, res.text).toBe(200);
      expect(res.json).toEqual({ status: [{ id, status: to }] });
      expect(row.status).toBe(to);
      expect(changes.map((e) => e.data)).toEqual([
        { from, to, ...(to === "completed" ? { invoicePaymentId } : {}) },
      ]);
    } else {
      expect(res.status).toBe(400);
      expect(res.json.error).toBe("invalid_status_transition");
      expect(res.json.details.invoices).toEqual([{ id, from, to }]);
      expect(row.status).toBe(from);
      expect(changes).toHaveLength(0);
    }
  });
});

describe("PATCH /v1/invoices/status rules", () => {
  it("needs invoicePaymentId for completed, and a valid complement applied to each invoice", async () => {
    const { owner, org } = await team();
    const a = await seed(org.id, { status: "paid" });
    const b = await seed(org.id, { status: "paid" });
    const missing = await patch(owner, "/v1/invoices/status", { invoiceIds: [a], status: "completed" });
    expect(missing.status).toBe(400);
    expect(missing.json.error).toBe("validation_failed");
    const onlyA = await paymentComplement(org.id, [a]);
    const partial = await patch(owner, "/v1/invoices/status", {
      invoiceIds: [a, b],
      status: "completed",
      invoicePaymentId: onlyA,
    });
    expect(partial.status).toBe(400);
    expect(partial.json.error).toBe("invoice_payment_not_linked");
    expect(partial.json.details.invoiceIds).toEqual([b]);
    const unknown = await patch(owner, "/v1/invoices/status", {
      invoiceIds: [a],
      status: "completed",
      invoicePaymentId: crypto.randomUUID(),
    });
    expect(unknown.json.error).toBe("invoice_payment_not_linked");
    const invalid = await paymentComplement(org.id, [a], "not_valid");
    const notValid = await patch(owner, "/v1/invoices/status", {
      invoiceIds: [a],
      status: "completed",
      invoicePaymentId: invalid,
    });
    expect(notValid.json.error).toBe("invoice_payment_not_valid");
    expect([(await stored(a)).status, (await stored(b)).status]).toEqual(["paid", "paid"]);
  });

  it("changes all the invoices or none: one illegal move refuses the request", async () => {
    const { owner, org } = await team();
    const sent = await seed(org.id, { status: "sent" });
    const completed = await seed(org.id, { status: "completed" });
    const res = await patch(owner, "/v1/invoices/status", {
      invoiceIds: [sent, completed],
      status: "accepted",
    });
    expect(res.status).toBe(400);
    expect(res.json.error).toBe("invalid_status_transition");
    expect(res.json.details.invoices).toEqual([{ id: completed, from: "completed", to: "accepted" }]);
    expect((await stored(sent)).status).toBe("sent");
    expect(await events(sent)).toHaveLength(0);
  });

  it("answers 404 when an id belongs to another organization, changing nothing", async () => {
    const { owner, org } = await team();
    const mine = await seed(org.id);
    const outsider = await team("outsider");
    const theirs = await seed(outsider.org.id);
    const res = await patch(owner, "/v1/invoices/status", { invoiceIds: [mine, theirs], status: "accepted" });
    expect(res.status).toBe(404);
    expect((await stored(mine)).status).toBe("sent");
    expect((await stored(theirs)).status).toBe("sent");
  });

  it("answers 403 to a role without invoices.status (an assistant may still mark invoices read)", async () => {
    const { org } = await team();
    const id = await seed(org.id);
    const assistant = await signUp("assistant");
    await addMember(org.id, assistant.id, "assistant");
    const res = await patch(assistant, "/v1/invoices/status", { invoiceIds: [id], status: "accepted" });
    expect(res.status).toBe(403);
    expect((await stored(id)).status).toBe("sent");
    expect((await patch(assistant, "/v1/invoices", { invoiceIds: [id], isRead: true })).status).toBe(200);
  });

  it("needs the provider and the organization of an invoice to be linked when both are here", async () => {
    const client = await team("client");
    const provider = await team("provider");
    const id = await seed(client.org.id, { providerId: provider.org.id });
    const unlinked = await patch(client.owner, "/v1/invoices/status", {
      invoiceIds: [id],
      status: "accepted",
    });
    expect(unlinked.status).toBe(403);
    expect(unlinked.json.error).toBe("not_associated");
    expect((await stored(id)).status).toBe("sent");
    await link(client.org.id, provider.org.id);
    const linked = await patch(client.owner, "/v1/invoices/status", { invoiceIds: [id], status: "accepted" });
    expect(linked.status, linked.text).toBe(200);
    // An invoice whose provider has no organization here needs no link.
    const solo = await seed(client.org.id);
    expect(
      (await patch(client.owner, "/v1/invoices/status", { invoiceIds: [solo], status: "accepted" })).status,
    ).toBe(200);
  });

  it("derives paymentDueAt on acceptance from the link's credit terms and the preferences", async () => {
    const client = await team("client");
    const provider = await team("provider");
    await link(client.org.id, provider.org.id, 1, "m");
    await preferences(client.owner, client.org.id, { paymentDueAtAnchor: "createdAt", paymentDay: 1 });
    // Created 2025-01-31 12:00 in Mexico City; + 1 month = 2025-02-28 (clamped), a Friday; the next
    // Monday (paymentDay 1) is 2025-03-03, whose day starts at 06:00 UTC.
    const id = await seed(client.org.id, {
      providerId: provider.org.id,
      createdAt: "2025-01-31T18:00:00.000Z",
    });
    const res = await patch(client.owner, "/v1/invoices/status", { invoiceIds: [id], status: "accepted" });
    expect(res.status, res.text).toBe(200);
    const row = await stored(id);
    expect(row.paymentDueAt).toBe("2025-03-03T06:00:00.000Z");
    const [event] = (await events(id)).filter((e) => e.type === "invoice.status_changed");
    expect(event!.data).toEqual({ from: "sent", to: "accepted", paymentDueAt: "2025-03-03T06:00:00.000Z" });
  });

  it("counts credit days from the acceptance by default", async () => {
    const client = await team("client");
    const provider = await team("provider");
    await link(client.org.id, provider.org.id, 10, "d");
    const id = await seed(client.org.id, { providerId: provider.org.id });
    expect(
      (await patch(client.owner, "/v1/invoices/status", { invoiceIds: [id], status: "accepted" })).status,
    ).toBe(200);
    const row = await stored(id);
    expect(row.acceptedAt).not.toBeNull();
    expect(row.paymentDueAt).toBe(dayStart(plusDays(mexicoDate(row.acceptedAt!), 10)));
    // Without a link there are no terms: no date is made up.
    const solo = await seed(client.org.id, { status: "sent" });
    await patch(client.owner, "/v1/invoices/status", { invoiceIds: [solo], status: "accepted" });
    expect((await stored(solo)).paymentDueAt).toBeNull();
  });

  it("selects by the listing filters for the named side when no ids are given", async () => {
    const { owner, org } = await team();
    const sent = [await seed(org.id), await seed(org.id)];
    const rejected = await seed(org.id, { status: "rejected" });
    const outsider = await team("outsider");
    const theirs = await seed(outsider.org.id);
    const res = await patch(owner, `/v1/invoices/status?organization_id=${org.id}&statuses=sent`, {
      status: "accepted",
    });
    expect(res.status, res.text).toBe(200);
    expect(res.json.status.map((s: { id: string }) => s.id).sort()).toEqual([...sent].sort());
    for (const id of sent) expect((await stored(id)).status).toBe("accepted");
    expect((await stored(rejected)).status).toBe("rejected");
    expect((await stored(theirs)).status).toBe("sent");
    const noSide = await patch(owner, "/v1/invoices/status", { status: "accepted" });
    expect(noSide.status).toBe(400);
    expect(noSide.json.error).toBe("side_required");
    const foreign = await patch(owner, `/v1/invoices/status?organization_id=${outsider.org.id}`, {
      status: "accepted",
    });
    expect(foreign.status).toBe(404);
  });
});

describe("bulk PATCH /v1/invoices", () => {
  it("archives for the caller's side only", async () => {
    const client = await team("client");
    const provider = await team("provider");
    const id = await seed(client.org.id, { providerId: provider.org.id, status: "completed" });
    const res = await patch(provider.owner, "/v1/invoices", { invoiceIds: [id], archive: true });
    expect(res.status, res.text).toBe(200);
    let row = await stored(id);
    expect(row.archivedByProviderAt).not.toBeNull();
    expect(row.archivedByOrganizationAt).toBeNull();
    const seenByClient = await call("GET", `/v1/invoices/${id}`, { token: client.owner.token });
    expect(seenByClient.json.archivedByOrganizationAt).toBeNull();
    await patch(client.owner, "/v1/invoices", { invoiceIds: [id], archive: true });
    row = await stored(id);
    expect(row.archivedByOrganizationAt).not.toBeNull();
    // Unarchiving needs no status and touches only the caller's side.
    await patch(provider.owner, "/v1/invoices", { invoiceIds: [id], archive: false });
    row = await stored(id);
    expect(row.archivedByProviderAt).toBeNull();
    expect(row.archivedByOrganizationAt).not.toBeNull();
    expect((await events(id)).filter((e) => e.type === "invoice.updated")).toHaveLength(3);
  });

  it("refuses to archive unless every invoice is rejected or completed, changing none", async () => {
    const { owner, org } = await team();
    const completed = await seed(org.id, { status: "completed" });
    const accepted = await seed(org.id, { status: "accepted" });
    const res = await patch(owner, "/v1/invoices", { invoiceIds: [completed, accepted], archive: true });
    expect(res.status).toBe(400);
    expect(res.json.error).toBe("invalid_invoice_status");
    expect(res.json.details.invoiceIds).toEqual([accepted]);
    expect((await stored(completed)).archivedByOrganizationAt).toBeNull();
    expect(await events(completed)).toHaveLength(0);
  });

  it("answers 404 for ids of another organization, changing nothing", async () => {
    const { owner, org } = await team();
    const mine = await seed(org.id);
    const outsider = await team("outsider");
    const theirs = await seed(outsider.org.id);
    const res = await patch(owner, "/v1/invoices", { invoiceIds: [mine, theirs], isRead: true });
    expect(res.status).toBe(404);
    expect((await stored(mine)).isRead).toBe(false);
    expect((await stored(theirs)).isRead).toBe(false);
  });

  it("sets paymentDueAt on accepted invoices only", async () => {
    const { owner, org } = await team();
    const a = await seed(org.id, { status: "accepted" });
    const b = await seed(org.id, { status: "accepted" });
    // An id sent twice is one invoice changed once.
    const ok = await patch(owner, "/v1/invoices", { invoiceIds: [a, b, a], paymentDueAt: "2025-04-30" });
    expect(ok.status, ok.text).toBe(200);
    for (const id of [a, b]) expect((await stored(id)).paymentDueAt).toBe("2025-04-30T06:00:00.000Z");
    expect(await events(a)).toHaveLength(1);
    const sent = await seed(org.id);
    const refused = await patch(owner, "/v1/invoices", { invoiceIds: [a, sent], paymentDueAt: "2025-05-30" });
    expect(refused.json.error).toBe("invalid_invoice_status");
    expect((await stored(a)).paymentDueAt).toBe("2025-04-30T06:00:00.000Z");
  });

  it("moves paymentDueAt to the organization's payment weekday (paymentDay) with the seed's four errors", async () => {
    const client = await team("client");
    const accepted = await seed(client.org.id, { status: "accepted" });
    const noPreferences = await patch(client.owner, "/v1/invoices", {
      invoiceIds: [accepted],
      paymentDay: 1,
    });
    expect(noPreferences.status).toBe(400);
    expect(noPreferences.json.error).toBe("invoice_preferences_not_found");
    await preferences(client.owner, client.org.id, { cfdiUses: ["G03"] });
    const noDay = await patch(client.owner, "/v1/invoices", { invoiceIds: [accepted], paymentDay: 1 });
    expect(noDay.json.error).toBe("payment_day_not_set");
    await preferences(client.owner, client.org.id, { paymentDay: 5 });
    const sent = await seed(client.org.id);
    const notAccepted = await patch(client.owner, "/v1/invoices", {
      invoiceIds: [accepted, sent],
      paymentDay: 1,
    });
    expect(notAccepted.json.error).toBe("invalid_invoice_status");
    expect((await stored(accepted)).paymentDueAt).toBeNull();

    const second = await patch(client.owner, "/v1/invoices", { invoiceIds: [accepted], paymentDay: 2 });
    expect(second.status, second.text).toBe(200);
    // The second Friday after today (Mexico City).
    const tomorrow = plusDays(mexicoDate(new Date().toISOString()), 1);
    const firstFriday = plusDays(tomorrow, (5 - weekday(tomorrow) + 7) % 7);
    expect((await stored(accepted)).paymentDueAt).toBe(dayStart(plusDays(firstFriday, 7)));

    // An invoice the provider issued to a client that has no organization here.
    const provider = await team("provider");
    const orphan = await seed(provider.org.id, {
      organizationId: null,
      providerId: provider.org.id,
      status: "accepted",
    });
    const noOrganization = await patch(provider.owner, "/v1/invoices", {
      invoiceIds: [orphan],
      paymentDay: 1,
    });
    expect(noOrganization.json.error).toBe("invoice_doesnt_belong_to_an_organization");
    const badDay = await patch(client.owner, "/v1/invoices", { invoiceIds: [accepted], paymentDay: 4 });
    expect(badDay.json.error).toBe("validation_failed");
  });

  it("selects by the listing filters: only the caller's side and unarchived invoices by default", async () => {
    const { owner, org } = await team();
    const completed = [
      await seed(org.id, { status: "completed" }),
      await seed(org.id, { status: "rejected" }),
    ];
    const open = await seed(org.id, { status: "accepted" });
    const outsider = await team("outsider");
    const theirs = await seed(outsider.org.id, { status: "completed" });
    const res = await patch(owner, `/v1/invoices?organization_id=${org.id}&statuses=completed,rejected`, {
      archive: true,
    });
    expect(res.status, res.text).toBe(200);
    for (const id of completed) expect((await stored(id)).archivedByOrganizationAt).not.toBeNull();
    expect((await stored(open)).archivedByOrganizationAt).toBeNull();
    expect((await stored(theirs)).archivedByOrganizationAt).toBeNull();
    // archived=true selects the archived ones, e.g. to bring them back.
    const back = await patch(owner, `/v1/invoices?organization_id=${org.id}&archived=true`, {
      archive: false,
    });
    expect(back.status).toBe(200);
    for (const id of completed) expect((await stored(id)).archivedByOrganizationAt).toBeNull();
    const bad = await patch(owner, `/v1/invoices?organization_id=${org.id}&created_at_period=2025-13`, {
      isRead: true,
    });
    expect(bad.status).toBe(400);
  });

  it(`refuses filters that select more than ${MAX_FILTER_TARGETS} invoices`, async () => {
    const { owner, org } = await team();
    const now = new Date().toISOString();
    const rows = Array.from({ length: MAX_FILTER_TARGETS + 1 }, () => ({
      id: crypto.randomUUID(),
      organizationId: org.id,
      status: "sent" as const,
      statusCode: 10,
      netPriceAmount: "1",
      grossPriceAmount: "1",
      netPriceMicros: 1_000_000,
      grossPriceMicros: 1_000_000,
      source: "upload" as const,
      createdAt: now,
      updatedAt: now,
    }));
    // Drizzle binds every column default too (25 per row): 3 rows stay under D1's 100 parameters.
    const inserts = Array.from({ length: Math.ceil(rows.length / 3) }, (_, k) =>
      db()
        .insert(invoices)
        .values(rows.slice(k * 3, k * 3 + 3)),
    );
    await batchWrite(db(), inserts);
    const res = await patch(owner, `/v1/invoices?organization_id=${org.id}`, { isRead: true });
    expect(res.status).toBe(400);
    expect(res.json.error).toBe("too_many_invoices");
    const [read] = await db()
      .select({ n: count() })
      .from(invoices)
      .where(and(eq(invoices.organizationId, org.id), eq(invoices.isRead, true)));
    expect(read!.n).toBe(0);
  });
});

describe("PATCH /v1/provider-organizations?update_invoices=true", () => {
  it("recalculates the due date of the pair's accepted invoices from the new terms", async () => {
    const client = await team("client");
    const provider = await team("provider");
    await link(client.org.id, provider.org.id, 30, "d");
    await preferences(client.owner, client.org.id, { paymentDueAtAnchor: "createdAt" });
    const base = { providerId: provider.org.id, createdAt: "2025-01-31T18:00:00.000Z" };
    const accepted = await seed(client.org.id, {
      ...base,
      status: "accepted",
      paymentDueAt: "2025-03-02T06:00:00.000Z",
    });
    const paid = await seed(client.org.id, {
      ...base,
      status: "paid",
      paymentDueAt: "2025-03-02T06:00:00.000Z",
    });
    const sent = await seed(client.org.id, base);
    const pair = { organizationId: client.org.id, providerId: provider.org.id };

    const without = await patch(client.owner, "/v1/provider-organizations", { ...pair, creditDays: 20 });
    expect(without.status).toBe(200);
    expect((await stored(accepted)).paymentDueAt).toBe("2025-03-02T06:00:00.000Z");

    const res = await patch(client.owner, "/v1/provider-organizations?update_invoices=true", {
      ...pair,
      creditDays: 15,
    });
    expect(res.status, res.text).toBe(200);
    // 2025-01-31 (Mexico City) + 15 days = 2025-02-15.
    expect((await stored(accepted)).paymentDueAt).toBe("2025-02-15T06:00:00.000Z");
    expect((await stored(paid)).paymentDueAt).toBe("2025-03-02T06:00:00.000Z");
    expect((await stored(sent)).paymentDueAt).toBeNull();
    const [event] = await events(accepted);
    expect(event!.data).toEqual({
      changes: { paymentDueAt: "2025-02-15T06:00:00.000Z" },
      reason: "provider_terms_changed",
    });
  });
});

describe("race guard", () => {
  it("refuses a write based on a read the invoice no longer matches, writing nothing and no event", async () => {
    const { org } = await team();
    const id = await seed(org.id, { status: "accepted" });
    const invoice = await stored(id);
    const now = new Date().toISOString();
    for (const stale of [
      { ...invoice, status: "sent" as const },
      { ...invoice, updatedAt: "2000-01-01T00:00:00.000Z" },
    ]) {
      // A refused write announces nothing: the context has no way to, and is never asked.
      const ctx = { db: db() } as unknown as ServiceContext;
      const attempt = writeGuarded(
        ctx,
        [
          guardedInvoiceUpdate(db(), stale, { notes: "stale" }, now),
          invoiceEventStatement(ctx, invoice, "invoice.updated", { changes: { notes: "stale" } }),
        ],
        [invoice],
      );
      await expect(attempt).rejects.toBeInstanceOf(AppError);
      await expect(attempt).rejects.toMatchObject({ status: 409, code: "concurrent_update" });
    }
    expect((await stored(id)).notes).toBeNull();
    expect(await events(id)).toHaveLength(0);
  });
});
