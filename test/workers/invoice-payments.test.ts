// Payment complements: POST /v1/invoice-payments links each DoctoRelacionado to the listed invoice with
// its UUID and moves estadoPago (seed 002) as the seed's examples say; refused complements leave
// nothing behind. Also the invoice detail's payments and GET /v1/invoices/{id}/download.
import { env, exports } from "cloudflare:workers";
import { count, eq } from "drizzle-orm";
import { SignJWT } from "jose";
import { describe, expect, it } from "vitest";
import { invoiceEvents, invoicePayments, invoices, memberships } from "../../db/schema";
import { estadoPago } from "../../shared/invoices/payment-status";
import { listEntries, readEntry } from "../../shared/zip";
import { paymentFlagColumns } from "../../workers/services/invoice-payment-state";
import {
  addMember,
  BASE,
  call,
  cfdiFixture,
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

const PDF = "%PDF-1.4\n%%EOF\n";

async function receiver(rfc = MUNICIPIO.rfc, regime = MUNICIPIO.taxRegime) {
  const owner = await signUp("payer");
  const org = await createOrgWithRfc(owner, rfc, regime);
  return { owner, org };
}

/** Uploads an invoice as the receiver and returns its id. */
async function received(owner: TestUser, orgId: string, xml: string, extra: Record<string, string> = {}) {
  const res = await uploadInvoice(owner.token, { organizationId: orgId }, xml, extra);
  expect(res.status, res.text).toBe(201);
  return res.json.invoice as { id: string; uuid: string | null; status: string };
}

const detail = async (token: string, id: string) => {
  const res = await call("GET", `/v1/invoices/${id}`, { token });
  expect(res.status, res.text).toBe(200);
  return res.json;
};

async function complementCount(orgId: string) {
  const [row] = await db()
    .select({ n: count() })
    .from(invoicePayments)
    .where(eq(invoicePayments.organizationId, orgId));
  return row!.n;
}

describe("the seed's examples", () => {
  it("a PPD invoice of 5800 paid 2900 then 2900: NO_PAGADO → PAGO_PARCIAL 50 % → PAGADO, accepted → paid", async () => {
    const { owner, org } = await receiver();
    const invoice = await received(owner, org.id, await invoiceXml({ unitPrice: "5000" }));
    const uuid = await giveUuid(invoice.id);
    await setStatus(invoice.id, "accepted");
    expect((await detail(owner.token, invoice.id)).estadoPago).toEqual({
      estado: "NO_PAGADO",
      totalFactura: 5800,
      totalPagado: 0,
      saldoPendiente: 5800,
      porcentajePagado: 0,
      completamentePagado: false,
      tieneComplementos: false,
      tienePagosManuales: false,
    });

    const first = await uploadComplement(
      owner.token,
      [invoice.id],
      await complementXml([{ uuid, amountPaid: "2900", previousBalance: "5800" }], {
        date: "2026-11-10T10:00:00",
      }),
    );
    expect(first.status, first.text).toBe(201);
    expect(first.json.isValid).toBe(true);
    expect(first.json.invoicePayment.documents).toMatchObject([
      {
        invoiceId: invoice.id,
        relatedUuid: uuid,
        amountPaid: 2900,
        previousBalance: 5800,
        remainingBalance: 2900,
      },
    ]);
    expect(first.json.invoices).toHaveLength(1);
    expect(first.json.invoices[0]).toMatchObject({
      id: invoice.id,
      status: "accepted",
      paidAmount: 2900,
      dueAmount: 2900,
    });
    expect(first.json.invoices[0].estadoPago).toEqual({
      estado: "PAGO_PARCIAL",
      totalFactura: 5800,
      totalPagado: 2900,
      saldoPendiente: 2900,
      porcentajePagado: 50,
      completamentePagado: false,
      tieneComplementos: true,
      tienePagosManuales: false,
    });

    const second = await uploadComplement(
      owner.token,
      [invoice.id],
      await complementXml([{ uuid, amountPaid: "2900", previousBalance: "2900", installment: 2 }], {
        date: "2026-11-15T10:00:00",
      }),
    );
    expect(second.status, second.text).toBe(201);
    expect(second.json.invoices[0]).toMatchObject({ status: "paid", paidAmount: 5800, dueAmount: 0 });

    const read = await detail(owner.token, invoice.id);
    expect(read.status).toBe("paid");
    expect(read.paidAt).not.toBeNull();
    expect(read.fullyPaidAt).toBe("2026-11-15T16:00:00.000Z"); // 10:00 in Mexico City
    expect(read.estadoPago).toMatchObject({
      estado: "PAGADO",
      totalPagado: 5800,
      saldoPendiente: 0,
      porcentajePagado: 100,
    });
    expect(read.pagos).toEqual([
      {
        fechaPago: "2026-11-10T16:00:00.000Z",
        formaPago: "03",
        monedaPago: "MXN",
        monto: 2900,
        complementoUUID: null,
        origen: "COMPLEMENTO",
      },
      {
        fechaPago: "2026-11-15T16:00:00.000Z",
        formaPago: "03",
        monedaPago: "MXN",
        monto: 2900,
        complementoUUID: null,
        origen: "COMPLEMENTO",
      },
    ]);
    expect(read.invoicePayments).toHaveLength(2);
    expect(read.invoicePayments[0].xmlFile.contentType).toBe("application/xml");
    expect(read.payments).toEqual([]);

    const events = await db().select().from(invoiceEvents).where(eq(invoiceEvents.invoiceId, invoice.id));
    expect(events.map((e) => e.type)).toEqual(["invoice.received", "invoice.updated", "invoice.paid"]);
    expect(events[2]!.data).toMatchObject({ from: "accepted", to: "paid", estado: "PAGADO" });
  });

  it("a PUE invoice is PAGADO as soon as it is received", async () => {
    const { owner, org } = await receiver();
    const res = await uploadInvoice(
      owner.token,
      { organizationId: org.id },
      cfdiFixture("40/test-ingreso-EKU-descuento-stamped-finkok-demo.xml"),
    );
    expect(res.status).toBe(201);
    expect(res.json.invoice.estadoPago).toEqual({
      estado: "PAGADO",
      totalFactura: 3327.01,
      totalPagado: 3327.01,
      saldoPendiente: 0,
      porcentajePagado: 100,
      completamentePagado: true,
      tieneComplementos: false,
      tienePagosManuales: false,
    });
    expect(res.json.invoice.pagos).toEqual([]);
  });
});

describe("complements from the corpus", () => {
  it("test-pago20-signed pays its two documents: one in full, one 30 %", async () => {
    const { owner, org } = await receiver(CARLOS.rfc, CARLOS.taxRegime);
    const a = await received(
      owner,
      org.id,
      await invoiceXml({ unitPrice: "10344.83", receptor: CARLOS, cfdiUse: "S01" }),
    );
    const b = await received(
      owner,
      org.id,
      await invoiceXml({ unitPrice: "8620.69", receptor: CARLOS, cfdiUse: "D01" }),
    );
    await giveUuid(a.id, "00000000-1111-2222-3333-00000000000A");
    await giveUuid(b.id, "00000000-1111-2222-3333-00000000000B");
    await setStatus(a.id, "accepted");
    const xml = cfdiFixture("40/pagos/test-pago20-signed.xml");

    // Listing only one of them is the seed's error, and stores nothing.
    const partial = await uploadComplement(owner.token, [a.id], xml);
    expect(partial.status).toBe(400);
    expect(partial.json.error).toBe("invoices_not_specified");
    expect(partial.json.message).toBe(
      "Some invoices referenced in the invoice payment were not specified in the request",
    );
    expect(partial.json.details.invoices).toEqual(["00000000-1111-2222-3333-00000000000B"]);
    expect(await complementCount(org.id)).toBe(0);

    const res = await uploadComplement(owner.token, [a.id, b.id], xml, { invoicePaymentPdf: PDF });
    expect(res.status, res.text).toBe(201);
    expect(res.json.invoicePayment).toMatchObject({
      version: "2.0",
      status: "valid",
      totalAmount: 15000,
      uuid: null,
    });
    expect(res.json.invoicePayment.pdfFile.contentType).toBe("application/pdf");
    const [paidA, paidB] = res.json.invoices;
    expect(paidA).toMatchObject({ id: a.id, status: "paid", dueAmount: 0 });
    expect(paidA.estadoPago).toMatchObject({ estado: "PAGADO", totalPagado: 12000 });
    // Not accepted yet: the payment is recorded, the status waits for the receiver's review.
    expect(paidB).toMatchObject({ id: b.id, status: "sent", paidAmount: 3000, dueAmount: 7000 });
    expect(paidB.estadoPago).toMatchObject({
      estado: "PAGO_PARCIAL",
      porcentajePagado: 30,
      saldoPendiente: 7000,
    });

    // The same complement again: the unstamped copy is recognised by its bytes.
    const again = await uploadComplement(owner.token, [a.id, b.id], xml);
    expect(again.status).toBe(409);
    expect(again.json.error).toBe("duplicate_invoice_payment");
    expect(again.json.details.existingId).toBe(res.json.invoicePayment.id);
    expect((await detail(owner.token, b.id)).estadoPago.totalPagado).toBe(3000);
  });

  it("the corpus's XIQB invoice and its complement are both not_valid: the complement is kept, nothing moves", async () => {
    const { owner, org } = await receiver("KIJ0906199R1", "601");
    const invoice = await received(
      owner,
      org.id,
      cfdiFixture("40/test-ingreso-XIQB-persona-fisica-iva16-retenciones-stamped.xml"),
    );
    expect(invoice.status).toBe("not_valid");
    const res = await uploadComplement(
      owner.token,
      [invoice.id],
      cfdiFixture("40/pagos/test-pago20-retenciones-isr-iva-signed.xml"),
    );
    expect(res.status, res.text).toBe(201);
    expect(res.json.isValid).toBe(false);
    expect(res.json.invoicePayment.status).toBe("not_valid");
    expect(res.json.invoicePayment.validationErrors.map((e: { code: string }) => e.code)).toContain(
      "certificate_not_csd",
    );
    expect(res.json.invoicePayment.documents).toEqual([]);
    expect(res.json.invoices).toEqual([]);
    const read = await detail(owner.token, invoice.id);
    expect(read.status).toBe("not_valid");
    expect(read.paidAmount).toBe(0);
    expect(read.invoicePayments).toEqual([]);
  });
});

describe("complements of real and built invoices", () => {
  it("a stamped PPD invoice from the corpus is paid by its UUID in two parts", async () => {
    const { owner, org } = await receiver("ICV060329BY0", "601");
    const invoice = await received(
      owner,
      org.id,
      cfdiFixture("40/test-ingreso-retenciones-isr-iva-stamped-finkok-demo.xml"),
    );
    expect(invoice.uuid).toBe("1E5A6E1B-9C1B-5319-BFED-123BD143A310");
    await setStatus(invoice.id, "accepted");
    const receptor = { rfc: "ICV060329BY0", name: "INMOBILIARIA CVA", taxRegime: "601", postalCode: "33826" };
    const pay = async (amountPaid: string, previousBalance: string, installment: number) =>
      uploadComplement(
        owner.token,
        [invoice.id],
        await complementXml(
          [{ uuid: invoice.uuid!.toLowerCase(), amountPaid, previousBalance, installment }],
          {
            receptor,
          },
        ),
      );
    const first = await pay("600.00", "1191.95", 1);
    expect(first.status, first.text).toBe(201);
    expect(first.json.invoices[0].estadoPago).toMatchObject({
      estado: "PAGO_PARCIAL",
      porcentajePagado: 50.34,
    });
    const second = await pay("591.95", "591.95", 2);
    expect(second.json.invoices[0]).toMatchObject({ status: "paid", dueAmount: 0 });
    expect(second.json.invoices[0].estadoPago.estado).toBe("PAGADO");
  });

  it("a USD invoice paid in MXN counts through EquivalenciaDR", async () => {
    const { owner, org } = await receiver();
    const invoice = await received(
      owner,
      org.id,
      await invoiceXml({ unitPrice: "100", currency: "USD", exchangeRate: "17.00" }),
    );
    const uuid = await giveUuid(invoice.id);
    await setStatus(invoice.id, "accepted");
    const res = await uploadComplement(
      owner.token,
      [invoice.id],
      await complementXml([
        { uuid, currency: "USD", equivalence: "0.05", amountPaid: "116", previousBalance: "116" },
      ]),
    );
    expect(res.status, res.text).toBe(201);
    expect(res.json.invoices[0]).toMatchObject({ currencyCode: "USD", status: "paid", paidAmount: 116 });
    const read = await detail(owner.token, invoice.id);
    expect(read.estadoPago).toMatchObject({ estado: "PAGADO", totalFactura: 116, totalPagado: 116 });
    expect(read.pagos).toMatchObject([{ monedaPago: "MXN", monto: 2320, origen: "COMPLEMENTO" }]);
    expect(read.invoicePayments[0].documents[0]).toMatchObject({
      documentCurrency: "USD",
      paymentCurrency: "MXN",
      equivalence: 0.05,
    });
  });

  it("a tampered complement is stored not_valid and pays nothing", async () => {
    const { owner, org } = await receiver();
    const invoice = await received(owner, org.id, await invoiceXml({ unitPrice: "5000" }));
    const uuid = await giveUuid(invoice.id);
    await setStatus(invoice.id, "accepted");
    const xml = (await complementXml([{ uuid, amountPaid: "2900", previousBalance: "5800" }])).replace(
      'ImpPagado="2900.00"',
      'ImpPagado="5800.00"',
    );
    const res = await uploadComplement(owner.token, [invoice.id], xml);
    expect(res.status, res.text).toBe(201);
    expect(res.json.isValid).toBe(false);
    expect(res.json.invoicePayment.validationErrors.map((e: { code: string }) => e.code)).toContain(
      "sello_invalid",
    );
    const read = await detail(owner.token, invoice.id);
    expect(read).toMatchObject({ status: "accepted", paidAmount: 0, dueAmount: 5800 });
    expect(read.estadoPago.estado).toBe("NO_PAGADO");
  });

  it("refuses complements between other parties, documents that are not complements, and bad requests", async () => {
    const { owner, org } = await receiver();
    const invoice = await received(owner, org.id, await invoiceXml({ unitPrice: "5000" }));
    const uuid = await giveUuid(invoice.id);
    const strangers = await uploadComplement(
      owner.token,
      [invoice.id],
      await complementXml([{ uuid, amountPaid: "100", previousBalance: "5800" }], { receptor: CARLOS }),
    );
    expect(strangers.status).toBe(400);
    expect(strangers.json.error).toBe("invoice_payment_party_mismatch");

    const notComplement = await uploadComplement(
      owner.token,
      [invoice.id],
      await invoiceXml({ unitPrice: "10" }),
    );
    expect(notComplement.status).toBe(400);
    expect(notComplement.json.error).toBe("invoice_payment_not_a_payment_complement");

    const malformed = await uploadComplement(owner.token, [invoice.id], "<cfdi:Comprobante");
    expect(malformed.json.error).toBe("xml_malformed");

    const badIds = await uploadComplement(owner.token, ["nope"], "<x/>");
    expect(badIds.status).toBe(400);
    expect(badIds.json.error).toBe("validation_failed");
    expect(badIds.json.details[0].path).toMatch(/^invoice_ids/);

    const noFile = await call("POST", `/v1/invoice-payments?invoice_ids=${invoice.id}`, {
      token: owner.token,
      body: {},
    });
    expect(noFile.status).toBe(400);
    expect(await complementCount(org.id)).toBe(0);
    expect((await detail(owner.token, invoice.id)).paidAmount).toBe(0);
  });
});

describe("tenancy", () => {
  it("another organization's invoice ids are 404 and a role that cannot write invoices is 403", async () => {
    const { owner, org } = await receiver();
    const invoice = await received(owner, org.id, await invoiceXml({ unitPrice: "5000" }));
    const uuid = await giveUuid(invoice.id);
    const xml = await complementXml([{ uuid, amountPaid: "2900", previousBalance: "5800" }]);

    const outsider = await signUp("outsider");
    await createOrgWithRfc(outsider, MUNICIPIO.rfc, MUNICIPIO.taxRegime);
    const foreign = await uploadComplement(outsider.token, [invoice.id], xml);
    expect(foreign.status).toBe(404);
    expect(foreign.text).not.toContain(uuid);

    const client = await signUp("client");
    await addMember(org.id, client.id, "client");
    expect((await uploadComplement(client.token, [invoice.id], xml)).status).toBe(403);
    expect(await complementCount(org.id)).toBe(0);
  });
});

describe("GET /v1/invoices/{id}/download", () => {
  async function withFiles() {
    const { owner, org } = await receiver();
    const xml = await invoiceXml({ unitPrice: "5000" });
    const invoice = await received(owner, org.id, xml, { invoicePdf: PDF });
    return { owner, org, invoice, xml };
  }
  const follow = (url: string) => exports.default.fetch(new Request(url));

  it("gives a ZIP of the XML and the PDF by default, served by the link without a bearer", async () => {
    const { owner, invoice, xml } = await withFiles();
    const res = await call("GET", `/v1/invoices/${invoice.id}/download`, { token: owner.token });
    expect(res.status, res.text).toBe(200);
    expect(res.json).toMatchObject({
      id: null,
      contentType: "application/zip",
      type: "invoice_zip",
      status: "ready",
    });
    expect(res.json.filename).toBe(`${invoice.id}.zip`);
    expect(Date.parse(res.json.expiresAt) - Date.now()).toBeLessThanOrEqual(300_000);
    expect(res.json.downloadUrl.startsWith(`${BASE}/v1/downloads?token=`)).toBe(true);

    const zip = await follow(res.json.downloadUrl);
    expect(zip.status).toBe(200);
    expect(zip.headers.get("content-type")).toBe("application/zip");
    expect(zip.headers.get("content-disposition")).toContain(`${invoice.id}.zip`);
    const bytes = new Uint8Array(await zip.arrayBuffer());
    const entries = listEntries(bytes);
    expect(entries.map((e) => e.name)).toEqual([`${invoice.id}.xml`, `${invoice.id}.pdf`]);
    expect(new TextDecoder().decode(await readEntry(bytes, entries[0]!))).toBe(xml);
    expect(new TextDecoder().decode(await readEntry(bytes, entries[1]!))).toBe(PDF);
  });

  it("format=xml is the XML itself; a missing PDF is 404", async () => {
    const { owner, org } = await receiver();
    const xml = await invoiceXml({ unitPrice: "5000" });
    const invoice = await received(owner, org.id, xml);
    const res = await call("GET", `/v1/invoices/${invoice.id}/download?format=xml`, { token: owner.token });
    expect(res.json).toMatchObject({ contentType: "application/xml", type: "invoice_xml" });
    expect(res.json.id).toEqual(expect.any(String));
    const file = await follow(res.json.downloadUrl);
    expect(file.headers.get("content-type")).toBe("application/xml");
    expect(await file.text()).toBe(xml);
    // With only the XML there is nothing to bundle: the default is the XML.
    const byDefault = await call("GET", `/v1/invoices/${invoice.id}/download`, { token: owner.token });
    expect(byDefault.json.type).toBe("invoice_xml");
    const pdf = await call("GET", `/v1/invoices/${invoice.id}/download?format=pdf`, { token: owner.token });
    expect(pdf.status).toBe(404);
    expect(pdf.json.error).toBe("file_not_found");
    const bad = await call("GET", `/v1/invoices/${invoice.id}/download?format=docx`, { token: owner.token });
    expect(bad.status).toBe(400);
  });

  it("refuses forged, foreign and expired links, and links of a user who lost access", async () => {
    const { owner, org, invoice } = await withFiles();
    const res = await call("GET", `/v1/invoices/${invoice.id}/download?format=pdf`, { token: owner.token });
    const url = new URL(res.json.downloadUrl);
    const token = url.searchParams.get("token")!;

    const forged = await follow(`${BASE}/v1/downloads?token=${token.slice(0, -4)}AAAA`);
    expect(forged.status).toBe(401);
    expect(((await forged.json()) as { error: string }).error).toBe("invalid_download_token");
    // An access token is not a download token.
    const access = await follow(`${BASE}/v1/downloads?token=${owner.token}`);
    expect(access.status).toBe(401);
    const expiredToken = await new SignJWT({ inv: invoice.id, fmt: "pdf" })
      .setProtectedHeader({ alg: "HS256", typ: "timbre-download+jwt" })
      .setSubject(owner.id)
      .setIssuer("timbre")
      .setAudience("timbre-download")
      .setExpirationTime(Math.floor(Date.now() / 1000) - 10)
      .sign(new TextEncoder().encode(env.TOKEN_SIGNING_KEY));
    const expired = await follow(`${BASE}/v1/downloads?token=${expiredToken}`);
    expect(expired.status).toBe(401);
    expect(((await expired.json()) as { error: string }).error).toBe("download_token_expired");

    // Another organization cannot ask for a link, and a member removed after getting one cannot use it.
    const outsider = await signUp("outsider");
    await createOrg(outsider);
    expect((await call("GET", `/v1/invoices/${invoice.id}/download`, { token: outsider.token })).status).toBe(
      404,
    );
    const member = await signUp("member");
    await addMember(org.id, member.id, "readonly");
    const link = await call("GET", `/v1/invoices/${invoice.id}/download`, { token: member.token });
    expect((await follow(link.json.downloadUrl)).status).toBe(200);
    await db().delete(memberships).where(eq(memberships.userId, member.id));
    expect((await follow(link.json.downloadUrl)).status).toBe(404);
  });
});

describe("listings", () => {
  it("compute from the stored fields and flags the same estadoPago as the detail", async () => {
    const { owner, org } = await receiver();
    const invoice = await received(owner, org.id, await invoiceXml({ unitPrice: "5000" }));
    const uuid = await giveUuid(invoice.id);
    await uploadComplement(
      owner.token,
      [invoice.id],
      await complementXml([{ uuid, amountPaid: "1450", previousBalance: "5800" }]),
    );
    const [row] = await db()
      .select({ invoice: invoices, ...paymentFlagColumns })
      .from(invoices)
      .where(eq(invoices.id, invoice.id));
    expect(row!.invoice).toMatchObject({
      paidAmount: "1450.00",
      dueAmount: "4350.00",
      paidMicros: 1_450_000_000,
      dueMicros: 4_350_000_000,
    });
    expect(row!.hasComplements).toBe(true);
    expect(row!.hasManualPayments).toBe(false);
    const fromRow = estadoPago(row!.invoice, { paidAmount: row!.invoice.paidAmount, ...row! });
    expect(fromRow).toEqual((await detail(owner.token, invoice.id)).estadoPago);
    expect(fromRow.porcentajePagado).toBe(25);
  });
});
