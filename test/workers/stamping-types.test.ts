import { describe, expect, it } from "vitest";
import { complemento } from "../../shared/cfdi/model";
import { parseCfdi } from "../../shared/cfdi/parse";
import { validateCfdi } from "../../shared/cfdi/validate";
import { verifyCfdi } from "../../shared/cfdi/verify";
import { call, createOrg, signUp } from "./harness";
import { setUpIssuer } from "./issuer-fixture";
import { seedInvoice } from "./security-matrix";

const { owner, issuer, client, clientOwner, topUp } = await setUpIssuer();
await topUp(200);

const recipient = {
  name: "CLIENTE DE PRUEBA",
  taxIdentifier: client.taxIdentifier,
  taxRegime: "601",
  postalCode: "54700",
};

const invoiceBody = (over: Record<string, unknown> = {}) => ({
  recipient,
  items: [
    {
      description: "Curso de actualización",
      itemKey: "86121600",
      unitKey: "E48",
      quantity: 2,
      netUnitPriceAmount: "1500.00",
    },
  ],
  paymentForm: "99",
  cfdiUse: "G03",
  paymentMethod: "PPD",
  series: "F",
  ...over,
});

const stampInvoice = (over: Record<string, unknown> = {}) =>
  call("POST", `/v1/invoices/stamp?provider_id=${issuer.id}`, {
    token: owner.token,
    body: invoiceBody(over),
  });

// Yesterday in Mexico City: a payment date SAT accepts whenever the suite runs.
const paidOn = new Date(Date.now() - 30 * 3600_000).toISOString().slice(0, 10);

const stampPayment = (
  documents: Record<string, unknown>[],
  over: Record<string, unknown> = {},
  token = owner.token,
) =>
  call("POST", `/v1/invoice-payments/stamp?provider_id=${issuer.id}`, {
    token,
    body: {
      recipient,
      payments: [{ date: paidOn, paymentForm: "03", relatedDocuments: documents }],
      series: "P",
      ...over,
    },
  });

const balance = async () => {
  const res = await call("GET", `/v1/balance?organization_id=${issuer.id}`, { token: owner.token });
  expect(res.status, res.text).toBe(200);
  return res.json.balanceAmount as number;
};

const getInvoice = async (id: string) => {
  const res = await call("GET", `/v1/invoices/${id}`, { token: owner.token });
  expect(res.status, res.text).toBe(200);
  return res.json;
};

/**
 * The stamped XML as stored, verified (Sello, certificate, TFD) and validated by the engine. Files belong
 * to the receiving organization when it is here (the inbox's rule), so its member reads them.
 */
async function checkedXml(fileId: string) {
  const res = await call("GET", `/v1/files/${fileId}/content`, { token: clientOwner.token });
  expect(res.status).toBe(200);
  const cfdi = parseCfdi(res.text);
  const report = await verifyCfdi(cfdi);
  expect(report.checks.filter((c) => !c.ok)).toEqual([]);
  expect(report.checks.map((c) => c.check)).toEqual(
    expect.arrayContaining(["tfd_sello_cfd", "tfd_sello_sat"]),
  );
  expect(validateCfdi(cfdi).errors).toEqual([]);
  return cfdi;
}

let ppd: { id: string; uuid: string };

describe("payment complements", () => {
  it("stamps a PPD invoice that owes its whole total", async () => {
    const res = await stampInvoice();
    expect(res.status, res.text).toBe(201);
    ppd = { id: res.json.invoice.id, uuid: res.json.invoice.uuid };
    expect(res.json.invoice).toMatchObject({ paymentMethod: "PPD", grossPriceAmount: 3480 });
    expect((await getInvoice(ppd.id)).estadoPago).toMatchObject({
      estado: "NO_PAGADO",
      saldoPendiente: 3480,
    });
  });

  it("pays half: installment 1, the taxes of the paid share, and the invoice PAGO_PARCIAL", async () => {
    const before = await balance();
    const res = await stampPayment([{ invoiceId: ppd.id, amount: "1740.00" }]);
    expect(res.status, res.text).toBe(201);
    expect(res.json).toMatchObject({ success: true, isValid: true });
    expect(res.json.invoicePayment.documents).toEqual([
      expect.objectContaining({
        invoiceId: ppd.id,
        relatedUuid: ppd.uuid,
        installment: 1,
        previousBalance: 3480,
        amountPaid: 1740,
        remainingBalance: 1740,
      }),
    ]);
    expect(res.json.invoices[0].estadoPago).toMatchObject({ estado: "PAGO_PARCIAL", saldoPendiente: 1740 });
    expect(await balance()).toBe(before - 1);

    const cfdi = await checkedXml(res.json.invoicePayment.xmlFile.id);
    expect(cfdi).toMatchObject({ TipoDeComprobante: "P", Serie: "P", Folio: "1" });
    const pagos = complemento(cfdi, "Pagos20")!;
    expect(pagos.Totales).toMatchObject({
      MontoTotalPagos: "1740.00",
      TotalTrasladosBaseIVA16: "1500.00",
      TotalTrasladosImpuestoIVA16: "240.00",
    });
    expect(pagos.Pago[0]!.DoctoRelacionado).toEqual([
      expect.objectContaining({
        IdDocumento: ppd.uuid,
        Serie: "F",
        MonedaDR: "MXN",
        EquivalenciaDR: "1",
        NumParcialidad: "1",
        ImpSaldoAnt: "3480.00",
        ImpPagado: "1740.00",
        ImpSaldoInsoluto: "1740.00",
        ObjetoImpDR: "02",
        ImpuestosDR: {
          TrasladosDR: [
            expect.objectContaining({ BaseDR: "1500.00", ImpuestoDR: "002", ImporteDR: "240.00" }),
          ],
        },
      }),
    ]);

    const detail = await getInvoice(ppd.id);
    expect(detail.estadoPago).toMatchObject({
      estado: "PAGO_PARCIAL",
      totalPagado: 1740,
      saldoPendiente: 1740,
    });
    expect(detail.invoicePayments).toHaveLength(1);
  });

  it("refuses an overpayment with 422 before anything is held: no folio used, no charge", async () => {
    const before = await balance();
    const res = await stampPayment([{ invoiceId: ppd.id, amount: "1740.01" }]);
    expect(res.status, res.text).toBe(422);
    expect(res.json).toMatchObject({
      error: "amount_exceeds_related_document_balance",
      details: { path: "payments.0.relatedDocuments.0.amount", balance: "1740.00" },
    });
    // Two documents of one request that together exceed the balance are refused the same way.
    const split = await stampPayment([
      { invoiceId: ppd.id, amount: "1000.00" },
      { invoiceId: ppd.id, amount: "740.01" },
    ]);
    expect(split.status, split.text).toBe(422);
    expect(split.json.details.path).toBe("payments.0.relatedDocuments.1.amount");
    expect(await balance()).toBe(before);
    expect((await getInvoice(ppd.id)).estadoPago.estado).toBe("PAGO_PARCIAL");
  });

  it("pays the rest: installment 2 from the inbox's balance, folio 2 of the series, invoice PAGADO", async () => {
    const res = await stampPayment([{ invoiceId: ppd.id, amount: 1740 }]);
    expect(res.status, res.text).toBe(201);
    expect(res.json.invoicePayment.documents[0]).toMatchObject({
      installment: 2,
      previousBalance: 1740,
      remainingBalance: 0,
    });
    const cfdi = await checkedXml(res.json.invoicePayment.xmlFile.id);
    expect(cfdi.Folio).toBe("2");
    const detail = await getInvoice(ppd.id);
    expect(detail.estadoPago).toMatchObject({ estado: "PAGADO", saldoPendiente: 0, totalPagado: 3480 });
    expect(detail.invoicePayments).toHaveLength(2);

    const again = await stampPayment([{ invoiceId: ppd.id, amount: "0.01" }]);
    expect(again.status, again.text).toBe(422);
    expect(again.json.details.balance).toBe("0.00");
  });

  it("refuses a PUE invoice, another recipient, and bad amounts with stable codes", async () => {
    const pue = await stampInvoice({ paymentMethod: "PUE", paymentForm: "03" });
    expect(pue.status, pue.text).toBe(201);
    const notPpd = await stampPayment([{ invoiceId: pue.json.invoice.id, amount: 10 }]);
    expect(notPpd.status, notPpd.text).toBe(422);
    expect(notPpd.json.error).toBe("related_invoice_not_ppd");

    const open = await stampInvoice({
      items: [{ ...invoiceBody().items[0], quantity: 1, netUnitPriceAmount: 100 }],
    });
    expect(open.status, open.text).toBe(201);
    const other = await stampPayment([{ invoiceId: open.json.invoice.id, amount: 10 }], {
      recipient: { ...recipient, taxIdentifier: "MCI7306249Y1", taxRegime: "603" },
    });
    expect(other.status, other.text).toBe(422);
    expect(other.json.error).toBe("related_invoice_recipient_mismatch");

    const decimals = await stampPayment([{ invoiceId: open.json.invoice.id, amount: "10.001" }]);
    expect(decimals.status, decimals.text).toBe(400);
    expect(decimals.json.error).toBe("validation_failed");
    expect(decimals.json.details[0].path).toBe("payments.0.relatedDocuments.0.amount");

    const formNine = await stampPayment([{ invoiceId: open.json.invoice.id, amount: 10 }], {
      payments: [
        {
          date: paidOn,
          paymentForm: "99",
          relatedDocuments: [{ invoiceId: open.json.invoice.id, amount: 10 }],
        },
      ],
    });
    expect(formNine.status, formNine.text).toBe(400);
    expect(formNine.json.details.map((d: { path: string }) => d.path)).toContain("payments.0.paymentForm");

    // The whole 116.00 in one payment: the next folio of series P is 3, nothing was used by the refusals.
    const full = await stampPayment([{ invoiceId: open.json.invoice.id, amount: "116.00" }]);
    expect(full.status, full.text).toBe(201);
    expect(full.json.invoices[0].estadoPago.estado).toBe("PAGADO");
    expect((await checkedXml(full.json.invoicePayment.xmlFile.id)).Folio).toBe("3");
  });

  it("treats another organization's invoice, or one issued to this one, as not found (422, nothing leaked)", async () => {
    const outsider = await signUp("outsider");
    const elsewhere = await createOrg(outsider);
    const theirs = await seedInvoice(outsider.token, client.id, {
      providerId: elsewhere.id,
      cfdiType: "I",
      recipientTaxIdentifier: client.taxIdentifier,
    });
    const received = await seedInvoice(owner.token, issuer.id, {
      cfdiType: "I",
      recipientTaxIdentifier: client.taxIdentifier,
    });
    const before = await balance();
    for (const invoiceId of [theirs.invoiceId, received.invoiceId, crypto.randomUUID()]) {
      const res = await stampPayment([{ invoiceId, amount: 10 }]);
      expect(res.status, res.text).toBe(422);
      expect(res.json).toMatchObject({
        error: "related_invoice_not_found",
        details: { path: "payments.0.relatedDocuments.0.invoiceId", value: invoiceId },
      });
      expect(Object.keys(res.json.details).sort()).toEqual(["path", "value"]);
    }
    const credit = await stampInvoice({
      type: "E",
      paymentMethod: "PUE",
      paymentForm: "03",
      relatedDocuments: [{ relationship: "01", invoiceIds: [theirs.invoiceId] }],
    });
    expect(credit.status, credit.text).toBe(422);
    expect(credit.json.error).toBe("related_invoice_not_found");
    expect(await balance()).toBe(before);

    // Their own organization cannot stamp for the issuer at all.
    const foreign = await stampPayment([{ invoiceId: ppd.id, amount: 1 }], {}, outsider.token);
    expect(foreign.status).toBe(404);
  });
});

describe("credit notes (type E)", () => {
  it("stamps an egreso relating the invoice by id and by UUID, valid, with CfdiRelacionados", async () => {
    const res = await stampInvoice({
      type: "E",
      paymentMethod: "PUE",
      paymentForm: "03",
      series: "NC",
      items: [
        {
          description: "Descuento por pronto pago",
          itemKey: "84111506",
          unitKey: "ACT",
          quantity: 1,
          netUnitPriceAmount: "100.00",
        },
      ],
      relatedDocuments: [
        { relationship: "01", invoiceIds: [ppd.id] },
        { relationship: "01", uuids: [ppd.uuid.toLowerCase()] },
      ],
    });
    expect(res.status, res.text).toBe(201);
    expect(res.json.invoice).toMatchObject({
      cfdiType: "E",
      series: "NC",
      folioNumber: "1",
      grossPriceAmount: 116,
    });
    const cfdi = await checkedXml(res.json.invoice.xmlFile.id);
    expect(cfdi.TipoDeComprobante).toBe("E");
    expect(cfdi.CfdiRelacionados).toEqual([{ TipoRelacion: "01", CfdiRelacionado: [ppd.uuid] }]);
  });

  it("needs a related invoice of the same recipient (400 without one, 422 for another recipient)", async () => {
    const before = await balance();
    const none = await stampInvoice({ type: "E", paymentMethod: "PUE", paymentForm: "03" });
    expect(none.status, none.text).toBe(400);
    expect(none.json.details[0].path).toBe("relatedDocuments");
    const empty = await stampInvoice({
      type: "E",
      paymentMethod: "PUE",
      paymentForm: "03",
      relatedDocuments: [{ relationship: "01" }],
    });
    expect(empty.status, empty.text).toBe(400);
    const other = await stampInvoice({
      type: "E",
      paymentMethod: "PUE",
      paymentForm: "03",
      recipient: { ...recipient, taxIdentifier: "MCI7306249Y1", taxRegime: "603" },
      relatedDocuments: [{ relationship: "01", uuids: [ppd.uuid] }],
    });
    expect(other.status, other.text).toBe(422);
    expect(other.json.error).toBe("related_invoice_recipient_mismatch");
    expect(await balance()).toBe(before);
  });
});
