// Manual payments: POST /v1/payments pays accepted invoices for their outstanding balance and makes them
// paid; DELETE /v1/payments/{id} rolls them back. CEP data rules, tenancy, roles, and races.
import { count, eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { batchWrite } from "../../db/client";
import { invoiceEvents, invoices, paymentInvoices, payments } from "../../db/schema";
import { mexicoDate } from "../../shared/invoices/edits";
import { guardedInvoiceUpdate, isGuardFailure } from "../../workers/services/invoice-payment-state";
import {
  addMember,
  call,
  callMultipart,
  createOrg,
  createOrgWithRfc,
  db,
  signUp,
  type TestUser,
  uploadInvoice,
} from "./harness";
import {
  CARLOS,
  complementXml,
  giveUuid,
  invoiceXml,
  MUNICIPIO,
  setStatus,
  uploadComplement,
} from "./payment-fixtures";

const CEP = {
  paymentTrackingNumber: "MBAN01002403200001",
  paymentIssuerBankId: "012",
  paymentRecipientBankIdentifier: "032180000118359719",
  paymentIsOrderingBank: true,
  paidAt: "2024-03-20",
};

async function payer() {
  const owner = await signUp("payer");
  const org = await createOrgWithRfc(owner, MUNICIPIO.rfc, MUNICIPIO.taxRegime);
  return { owner, org };
}

/** An accepted PPD invoice of 5800 received by the organization. */
async function acceptedInvoice(owner: TestUser, orgId: string, unitPrice = "5000") {
  const res = await uploadInvoice(owner.token, { organizationId: orgId }, await invoiceXml({ unitPrice }));
  expect(res.status, res.text).toBe(201);
  await setStatus(res.json.invoice.id, "accepted");
  return res.json.invoice.id as string;
}

const pay = (token: string, invoiceIds: string[], body: Record<string, unknown> = CEP) =>
  call("POST", "/v1/payments", { token, body: { invoiceIds, ...body } });

async function paymentCount(orgId: string) {
  const [row] = await db().select({ n: count() }).from(payments).where(eq(payments.organizationId, orgId));
  return row!.n;
}

const read = async (token: string, id: string) => (await call("GET", `/v1/invoices/${id}`, { token })).json;

describe("POST /v1/payments", () => {
  it("pays accepted invoices for their balance and makes them paid", async () => {
    const { owner, org } = await payer();
    const a = await acceptedInvoice(owner, org.id);
    const b = await acceptedInvoice(owner, org.id, "100");
    const res = await pay(owner.token, [a, b]);
    expect(res.status, res.text).toBe(201);
    expect(res.json.payment).toMatchObject({
      organizationId: org.id,
      totalAmount: 5916,
      paidAt: "2024-03-20",
      paymentTrackingNumber: "MBAN01002403200001",
      paymentReferenceNumber: null,
      paymentIssuerBankId: "012",
      paymentRecipientBankIdentifier: "032180000118359719",
      paymentIsOrderingBank: true,
      paymentProofFile: null,
    });
    expect(res.json.invoices.map((i: { id: string; status: string }) => [i.id, i.status])).toEqual([
      [a, "paid"],
      [b, "paid"],
    ]);
    expect(res.json.invoices[0].estadoPago).toEqual({
      estado: "PAGADO",
      totalFactura: 5800,
      totalPagado: 5800,
      saldoPendiente: 0,
      porcentajePagado: 100,
      completamentePagado: true,
      tieneComplementos: false,
      tienePagosManuales: true,
    });

    const invoice = await read(owner.token, a);
    expect(invoice).toMatchObject({ status: "paid", paidAmount: 5800, dueAmount: 0 });
    expect(invoice.fullyPaidAt).toBe("2024-03-20T06:00:00.000Z"); // midnight in Mexico City
    expect(invoice.payments).toMatchObject([
      { id: res.json.payment.id, amount: 5800, totalAmount: 5916, previousStatus: "accepted" },
    ]);
    expect(invoice.pagos).toEqual([
      {
        fechaPago: "2024-03-20T06:00:00.000Z",
        formaPago: "03",
        monedaPago: "MXN",
        monto: 5800,
        complementoUUID: null,
        origen: "MANUAL",
      },
    ]);
    const events = await db().select().from(invoiceEvents).where(eq(invoiceEvents.invoiceId, a));
    expect(events.map((e) => e.type)).toEqual(["invoice.received", "invoice.paid"]);
    expect(events[1]!.data).toMatchObject({ paymentId: res.json.payment.id, from: "accepted", to: "paid" });
  });

  it("covers what a complement left unpaid, and deleting it restores the partial payment", async () => {
    const { owner, org } = await payer();
    const id = await acceptedInvoice(owner, org.id);
    const uuid = await giveUuid(id);
    const partial = await uploadComplement(
      owner.token,
      [id],
      await complementXml([{ uuid, amountPaid: "2900", previousBalance: "5800" }]),
    );
    expect(partial.json.invoices[0].status).toBe("accepted");

    const res = await pay(owner.token, [id], {
      ...CEP,
      paymentTrackingNumber: undefined,
      paymentReferenceNumber: "1234567",
    });
    expect(res.status, res.text).toBe(201);
    expect(res.json.payment.totalAmount).toBe(2900);
    const [link] = await db().select().from(paymentInvoices).where(eq(paymentInvoices.invoiceId, id));
    expect(link).toMatchObject({ amount: "2900.00", previousStatus: "accepted" });
    expect(res.json.invoices[0].estadoPago).toMatchObject({
      estado: "PAGADO",
      tieneComplementos: true,
      tienePagosManuales: true,
    });

    const deleted = await call("DELETE", `/v1/payments/${res.json.payment.id}`, { token: owner.token });
    expect(deleted.status, deleted.text).toBe(200);
    expect(deleted.json.invoices[0]).toMatchObject({
      id,
      status: "accepted",
      paidAmount: 2900,
      dueAmount: 2900,
      paidAt: null,
    });
    expect(deleted.json.invoices[0].estadoPago).toMatchObject({
      estado: "PAGO_PARCIAL",
      porcentajePagado: 50,
    });
  });

  it("accepts a payment proof file instead of the CEP data, and only a payment_proof file", async () => {
    const { owner, org } = await payer();
    const id = await acceptedInvoice(owner, org.id);
    const upload = (type: string) =>
      callMultipart("POST", `/v1/files?type=${type}&organization_id=${org.id}`, owner.token, {
        file: "%PDF-1.4\n%%EOF\n",
      });
    const other = (await upload("other")).json.file.id;
    const wrong = await pay(owner.token, [id], { paymentProofFileId: other, paidAt: "2024-03-20" });
    expect(wrong.status).toBe(400);
    expect(wrong.json.error).toBe("invalid_payment_proof_file");
    const proof = (await upload("payment_proof")).json.file.id;
    const res = await pay(owner.token, [id], { paymentProofFileId: proof, paidAt: "2024-03-20" });
    expect(res.status, res.text).toBe(201);
    expect(res.json.payment.paymentProofFile).toMatchObject({ id: proof, type: "payment_proof" });
    expect(res.json.payment.paymentTrackingNumber).toBeNull();
  });

  it("refuses incomplete or wrong CEP data, bad CLABEs and future dates with the field at fault", async () => {
    const { owner, org } = await payer();
    const id = await acceptedInvoice(owner, org.id);
    const tomorrow = mexicoDate(new Date(Date.now() + 86_400_000));
    const cases: [Record<string, unknown>, string][] = [
      [{ ...CEP, paymentRecipientBankIdentifier: "032180000118359710" }, "paymentRecipientBankIdentifier"],
      [{ ...CEP, paymentRecipientBankIdentifier: "03218000011835971" }, "paymentRecipientBankIdentifier"],
      [{ ...CEP, paidAt: tomorrow }, "paidAt"],
      [{ ...CEP, paidAt: "2024-02-30" }, "paidAt"],
      [{ ...CEP, paidAt: "20/03/2024" }, "paidAt"],
      [{ ...CEP, paymentTrackingNumber: undefined }, "paymentTrackingNumber"],
      [{ ...CEP, paymentIssuerBankId: undefined }, "paymentIssuerBankId"],
      [{ ...CEP, paymentIssuerBankId: "12" }, "paymentIssuerBankId"],
      [{ ...CEP, paymentRecipientBankIdentifier: undefined }, "paymentRecipientBankIdentifier"],
      [{ ...CEP, paymentReferenceNumber: "12345678" }, "paymentReferenceNumber"],
      [{ paidAt: "2024-03-20" }, "paymentTrackingNumber"],
    ];
    for (const [body, path] of cases) {
      const res = await pay(owner.token, [id], body);
      expect(res.status, JSON.stringify(body)).toBe(400);
      expect(res.json.error).toBe("validation_failed");
      expect(res.json.details.map((d: { path: string }) => d.path)).toContain(path);
    }
    for (const invoiceIds of [[], [id, id], ["nope"]]) {
      expect((await pay(owner.token, invoiceIds)).status).toBe(400);
    }
    // Today is not the future.
    expect((await pay(owner.token, [id], { ...CEP, paidAt: mexicoDate(new Date()) })).status).toBe(201);
  });

  it("refuses invoices that are not accepted, of different organizations or currencies, writing nothing", async () => {
    const { owner, org } = await payer();
    const accepted = await acceptedInvoice(owner, org.id);
    const sentRes = await uploadInvoice(
      owner.token,
      { organizationId: org.id },
      await invoiceXml({ unitPrice: "10" }),
    );
    const sent = sentRes.json.invoice.id;
    const notAccepted = await pay(owner.token, [accepted, sent]);
    expect(notAccepted.status).toBe(400);
    expect(notAccepted.json.error).toBe("invalid_invoice_status");
    expect(notAccepted.json.details.invoiceIds).toEqual([sent]);

    const second = await createOrgWithRfc(owner, CARLOS.rfc, CARLOS.taxRegime);
    const elsewhereRes = await uploadInvoice(
      owner.token,
      { organizationId: second.id },
      await invoiceXml({ unitPrice: "10", receptor: CARLOS, cfdiUse: "S01" }),
    );
    const elsewhere = elsewhereRes.json.invoice.id;
    await setStatus(elsewhere, "accepted");
    const mixed = await pay(owner.token, [accepted, elsewhere]);
    expect(mixed.status).toBe(400);
    expect(mixed.json.error).toBe("invoices_different_organizations");

    const usdRes = await uploadInvoice(
      owner.token,
      { organizationId: org.id },
      await invoiceXml({ unitPrice: "100", currency: "USD", exchangeRate: "17.00" }),
    );
    await setStatus(usdRes.json.invoice.id, "accepted");
    const currencies = await pay(owner.token, [accepted, usdRes.json.invoice.id]);
    expect(currencies.json.error).toBe("invoices_different_currencies");

    expect(await paymentCount(org.id)).toBe(0);
    expect((await read(owner.token, accepted)).status).toBe("accepted");
  });

  it("lets exactly one of two concurrent payments of an invoice through", async () => {
    const { owner, org } = await payer();
    const id = await acceptedInvoice(owner, org.id);
    const results = await Promise.all([
      pay(owner.token, [id]),
      pay(owner.token, [id]),
      pay(owner.token, [id]),
    ]);
    const statuses = results.map((r) => r.status).sort();
    expect(statuses, results.map((r) => r.text).join("\n")).toEqual([201, 400, 400]);
    for (const r of results.filter((r) => r.status === 400))
      expect(r.json.error).toBe("invalid_invoice_status");
    expect(await paymentCount(org.id)).toBe(1);
    const links = await db().select().from(paymentInvoices).where(eq(paymentInvoices.invoiceId, id));
    expect(links).toHaveLength(1);
    expect((await read(owner.token, id)).paidAmount).toBe(5800);
  });
});

describe("guarded writes", () => {
  it("a batch whose invoice changed after it was read writes nothing", async () => {
    const { owner, org } = await payer();
    const id = await acceptedInvoice(owner, org.id);
    const [read] = await db().select().from(invoices).where(eq(invoices.id, id));
    await setStatus(id, "rejected"); // another writer, between the read and the batch
    const now = new Date().toISOString();
    const failure = await batchWrite(db(), [
      db().insert(payments).values({
        id: crypto.randomUUID(),
        organizationId: org.id,
        referenceNumber: "1",
        paidAt: "2024-03-20",
        amount: "5800",
        createdAt: now,
        updatedAt: now,
      }),
      guardedInvoiceUpdate(db(), read!, { status: "paid" }, now),
    ]).then(
      () => null,
      (e: unknown) => e,
    );
    expect(isGuardFailure(failure)).toBe(true);
    expect(await paymentCount(org.id)).toBe(0);
    const [after] = await db().select().from(invoices).where(eq(invoices.id, id));
    expect(after!.status).toBe("rejected");
  });
});

describe("DELETE /v1/payments/{id}", () => {
  it("rolls the invoices back to accepted with estadoPago back, once", async () => {
    const { owner, org } = await payer();
    const id = await acceptedInvoice(owner, org.id);
    const created = await pay(owner.token, [id]);
    const paymentId = created.json.payment.id;
    const res = await call("DELETE", `/v1/payments/${paymentId}`, { token: owner.token });
    expect(res.status, res.text).toBe(200);
    expect(res.json.success).toBe(true);
    expect(res.json.invoices[0]).toMatchObject({
      id,
      status: "accepted",
      paidAmount: 0,
      dueAmount: 5800,
      fullyPaidAt: null,
    });
    expect(res.json.invoices[0].estadoPago).toMatchObject({ estado: "NO_PAGADO", tienePagosManuales: false });
    const invoice = await read(owner.token, id);
    expect(invoice).toMatchObject({ status: "accepted", payments: [], pagos: [] });
    expect(invoice.estadoPago.saldoPendiente).toBe(5800);
    const events = await db().select().from(invoiceEvents).where(eq(invoiceEvents.invoiceId, id));
    expect(events.map((e) => e.type)).toEqual([
      "invoice.received",
      "invoice.paid",
      "invoice.payment_removed",
    ]);
    expect(await paymentCount(org.id)).toBe(0);

    expect((await call("DELETE", `/v1/payments/${paymentId}`, { token: owner.token })).status).toBe(404);
    // Paid again after the rollback: a new payment is accepted.
    expect((await pay(owner.token, [id])).status).toBe(201);
  });

  it("refuses when an invoice is no longer paid", async () => {
    const { owner, org } = await payer();
    const id = await acceptedInvoice(owner, org.id);
    const created = await pay(owner.token, [id]);
    await setStatus(id, "completed");
    const res = await call("DELETE", `/v1/payments/${created.json.payment.id}`, { token: owner.token });
    expect(res.status).toBe(400);
    expect(res.json.error).toBe("invalid_invoice_status");
    expect(await paymentCount(org.id)).toBe(1);
    const [row] = await db().select().from(invoices).where(eq(invoices.id, id));
    expect(row!.status).toBe("completed");
  });
});

describe("tenancy", () => {
  it("another organization gets 404 on invoice ids and payment ids; a role without the permission 403", async () => {
    const { owner, org } = await payer();
    const id = await acceptedInvoice(owner, org.id);
    const outsider = await signUp("outsider");
    await createOrg(outsider);
    const foreign = await pay(outsider.token, [id]);
    expect(foreign.status).toBe(404);
    expect(foreign.json.error).toBe("not_found");

    const assistant = await signUp("assistant");
    await addMember(org.id, assistant.id, "assistant");
    expect((await pay(assistant.token, [id])).status).toBe(403);
    expect(await paymentCount(org.id)).toBe(0);

    const created = await pay(owner.token, [id]);
    const paymentId = created.json.payment.id;
    expect((await call("DELETE", `/v1/payments/${paymentId}`, { token: outsider.token })).status).toBe(404);
    expect((await call("DELETE", `/v1/payments/${paymentId}`, { token: assistant.token })).status).toBe(403);
    expect((await call("DELETE", "/v1/payments/not-a-uuid", { token: owner.token })).status).toBe(404);
    expect((await read(owner.token, id)).status).toBe("paid");
  });
});
