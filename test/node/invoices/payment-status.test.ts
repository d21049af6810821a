// Payment status (seed 002's estadoPago and pagos[]) and payment-complement applications: the seed's
// examples, the Pagos fixtures, currency conversion through EquivalenciaDR, exactness and tolerance,
// the documents that owe nothing, and a property that paid + due = total whenever nothing is overpaid.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { dec } from "../../../shared/cfdi/amounts";
import { parseCfdi } from "../../../shared/cfdi/parse";
import { AppError } from "../../../shared/errors";
import { checkReferencedInvoices, paymentComplement } from "../../../shared/invoices/complements";
import {
  type AppliedComplementDocument,
  type AppliedManualPayment,
  amountInInvoiceCurrency,
  estadoPago,
  instantOf,
  type PayableInvoice,
  paymentState,
} from "../../../shared/invoices/payment-status";
import { readFixtureText } from "../helpers/fixtures";

const invoice = (over: Partial<PayableInvoice> = {}): PayableInvoice => ({
  grossPriceAmount: "5800.00",
  currencyCode: "MXN",
  paymentMethod: "PPD",
  cfdiType: "I",
  status: "accepted",
  isCancelled: false,
  issuedAt: "2024-03-10T08:20:00",
  stampedAt: "2024-03-10T08:21:00",
  ...over,
});

const complementDoc = (over: Partial<AppliedComplementDocument> = {}): AppliedComplementDocument => ({
  complementUuid: "11111111-1111-1111-1111-111111111111",
  paidAt: "2024-03-20T00:00:00.000Z",
  paymentForm: "03",
  paymentCurrency: "MXN",
  documentCurrency: "MXN",
  equivalence: "1",
  amountPaid: "2900.00",
  ...over,
});

const manual = (amount: string, paidAt = "2024-03-20"): AppliedManualPayment => ({ amount, paidAt });

function appError(fn: () => unknown): AppError {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(AppError);
    return e as AppError;
  }
  throw new Error("expected an AppError, nothing was thrown");
}

describe("seed 002 examples", () => {
  it("a PUE invoice without payments is paid at issuance", () => {
    const state = paymentState(
      invoice({ paymentMethod: "PUE", grossPriceAmount: "11600.00", issuedAt: "2024-03-15T10:30:00" }),
      [],
      [],
    );
    expect(state.estadoPago).toEqual({
      estado: "PAGADO",
      totalFactura: 11600,
      totalPagado: 11600,
      saldoPendiente: 0,
      porcentajePagado: 100,
      completamentePagado: true,
      tieneComplementos: false,
      tienePagosManuales: false,
    });
    expect(state.pagos).toEqual([]);
    // Mexico City is UTC−6 since October 2022.
    expect(state.fields).toEqual({
      paidAmount: "11600.00",
      dueAmount: "0.00",
      paidMicros: 11_600_000_000,
      dueMicros: 0,
      lastPaymentAt: "2024-03-15T16:30:00.000Z",
      fullyPaidAt: "2024-03-15T16:30:00.000Z",
    });
  });

  it("a PPD invoice of 5800 with one complement of 2900 is half paid", () => {
    const state = paymentState(invoice(), [complementDoc()], []);
    expect(state.estadoPago).toEqual({
      estado: "PAGO_PARCIAL",
      totalFactura: 5800,
      totalPagado: 2900,
      saldoPendiente: 2900,
      porcentajePagado: 50,
      completamentePagado: false,
      tieneComplementos: true,
      tienePagosManuales: false,
    });
    expect(state.pagos).toEqual([
      {
        fechaPago: "2024-03-20T00:00:00.000Z",
        formaPago: "03",
        monedaPago: "MXN",
        monto: 2900,
        complementoUUID: "11111111-1111-1111-1111-111111111111",
        origen: "COMPLEMENTO",
      },
    ]);
    expect(state.fields).toMatchObject({
      paidAmount: "2900.00",
      dueAmount: "2900.00",
      lastPaymentAt: "2024-03-20T00:00:00.000Z",
      fullyPaidAt: null,
    });
  });

  it("a PPD invoice without payments is unpaid", () => {
    const state = paymentState(invoice(), [], []);
    expect(state.estadoPago).toMatchObject({
      estado: "NO_PAGADO",
      totalPagado: 0,
      saldoPendiente: 5800,
      porcentajePagado: 0,
    });
    expect(state.fields).toMatchObject({ paidAmount: "0.00", dueAmount: "5800.00", lastPaymentAt: null });
  });
});

describe("complements and manual payments together", () => {
  it("adds both, orders pagos by date and dates the payment that completed it", () => {
    const state = paymentState(
      invoice(),
      [complementDoc({ paidAt: "2024-03-20T10:00:00" })],
      [manual("2900.00", "2024-03-01")],
    );
    expect(state.estadoPago).toMatchObject({
      estado: "PAGADO",
      totalPagado: 5800,
      saldoPendiente: 0,
      porcentajePagado: 100,
      tieneComplementos: true,
      tienePagosManuales: true,
    });
    expect(state.pagos.map((p) => [p.origen, p.fechaPago, p.formaPago, p.complementoUUID])).toEqual([
      ["MANUAL", "2024-03-01T06:00:00.000Z", "03", null],
      ["COMPLEMENTO", "2024-03-20T16:00:00.000Z", "03", "11111111-1111-1111-1111-111111111111"],
    ]);
    expect(state.fields.fullyPaidAt).toBe("2024-03-20T16:00:00.000Z");
    expect(state.fields.lastPaymentAt).toBe("2024-03-20T16:00:00.000Z");
  });

  it("reports an overpayment as paid, clamped to 100 % and nothing due", () => {
    const state = paymentState(invoice({ grossPriceAmount: "100.00" }), [], [manual("60"), manual("90")]);
    expect(state.estadoPago).toMatchObject({
      estado: "PAGADO",
      totalPagado: 150,
      saldoPendiente: 0,
      porcentajePagado: 100,
    });
    expect(state.fields).toMatchObject({ paidAmount: "150.00", dueAmount: "0.00" });
  });

  it("gives the same estadoPago from the stored fields", () => {
    const inv = invoice();
    const state = paymentState(inv, [complementDoc()], [manual("100.10")]);
    expect(
      estadoPago(inv, { paidAmount: state.fields.paidAmount, hasComplements: true, hasManualPayments: true }),
    ).toEqual(state.estadoPago);
  });
});

describe("exactness and tolerance", () => {
  it("adds 0.1 and 0.2 to exactly 0.3", () => {
    const state = paymentState(invoice({ grossPriceAmount: "0.30" }), [], [manual("0.1"), manual("0.2")]);
    expect(state.estadoPago).toMatchObject({ estado: "PAGADO", totalPagado: 0.3, saldoPendiente: 0 });
    expect(state.fields).toMatchObject({ paidAmount: "0.30", dueAmount: "0.00", paidMicros: 300_000 });
  });

  it("sums 6-decimal amounts exactly before rounding once", () => {
    const docs = ["33.333333", "33.333333", "33.333334"].map((amountPaid) => complementDoc({ amountPaid }));
    const state = paymentState(invoice({ grossPriceAmount: "100.00" }), docs, []);
    expect(state.fields).toMatchObject({ paidAmount: "100.00", dueAmount: "0.00" });
    const short = paymentState(
      invoice({ grossPriceAmount: "100.00" }),
      docs.slice(0, 2).map((d) => ({ ...d, amountPaid: "33.335555" })),
      [],
    );
    // 66.67111 → 66.67; 100.00 − 66.67 = 33.33, exactly.
    expect(short.fields).toMatchObject({ paidAmount: "66.67", dueAmount: "33.33" });
    expect(short.estadoPago.porcentajePagado).toBe(66.67);
  });

  it("calls a balance of 0.01 paid, and 0.02 partial", () => {
    const inv = invoice({ grossPriceAmount: "100.00" });
    const within = paymentState(inv, [], [manual("99.99")]);
    expect(within.estadoPago).toMatchObject({
      estado: "PAGADO",
      saldoPendiente: 0.01,
      porcentajePagado: 99.99,
    });
    expect(within.fields.fullyPaidAt).toBe("2024-03-20T06:00:00.000Z");
    const outside = paymentState(inv, [], [manual("99.98")]);
    expect(outside.estadoPago).toMatchObject({ estado: "PAGO_PARCIAL", saldoPendiente: 0.02 });
    expect(outside.fields.fullyPaidAt).toBeNull();
  });

  it("rounds at the currency's decimals (JPY has none)", () => {
    const state = paymentState(
      invoice({ currencyCode: "JPY", grossPriceAmount: "1000" }),
      [],
      [manual("333")],
    );
    expect(state.fields).toMatchObject({ paidAmount: "333", dueAmount: "667" });
    expect(state.estadoPago.porcentajePagado).toBe(33.3);
  });
});

describe("currencies", () => {
  it("converts a document in another currency through EquivalenciaDR when paid in the invoice's", () => {
    // An EXT invoice kept in MXN for a USD original; the complement pays 2016 USD with 39312 MXN.
    const doc = complementDoc({
      paymentCurrency: "MXN",
      documentCurrency: "USD",
      equivalence: "0.0512820513",
      amountPaid: "2016.00",
    });
    const state = paymentState(invoice({ grossPriceAmount: "39312.00" }), [doc], []);
    expect(state.estadoPago).toMatchObject({ estado: "PAGADO", totalPagado: 39312, saldoPendiente: 0 });
    expect(state.pagos[0]).toMatchObject({ monedaPago: "MXN", monto: 39312 });
  });

  it("shows a foreign payment in its own currency while counting the document's amount", () => {
    const doc = complementDoc({
      paymentCurrency: "USD",
      documentCurrency: "MXN",
      equivalence: "17.36075",
      amountPaid: "694.43",
    });
    const state = paymentState(invoice({ grossPriceAmount: "2817.00" }), [doc], []);
    expect(state.fields).toMatchObject({ paidAmount: "694.43", dueAmount: "2122.57" });
    expect(state.pagos[0]).toMatchObject({ monedaPago: "USD", monto: 40 });
  });

  it("refuses what cannot be converted", () => {
    const mismatch = complementDoc({ paymentCurrency: "USD", documentCurrency: "EUR", equivalence: "0.9" });
    expect(appError(() => amountInInvoiceCurrency("MXN", mismatch)).code).toBe("payment_currency_mismatch");
    const noRate = complementDoc({ paymentCurrency: "MXN", documentCurrency: "USD", equivalence: null });
    expect(appError(() => amountInInvoiceCurrency("MXN", noRate)).code).toBe("payment_equivalence_invalid");
    const zero = { ...noRate, equivalence: "0" };
    expect(appError(() => amountInInvoiceCurrency("MXN", zero)).status).toBe(400);
  });
});

describe("documents that owe nothing", () => {
  it("a cancelled PUE invoice is not paid at issuance and owes nothing", () => {
    const state = paymentState(invoice({ paymentMethod: "PUE", isCancelled: true }), [], []);
    expect(state.estadoPago).toMatchObject({ estado: "NO_PAGADO", totalPagado: 0, saldoPendiente: 0 });
    expect(state.fields).toMatchObject({ paidAmount: "0.00", dueAmount: "0.00", fullyPaidAt: null });
  });

  it("a not_valid invoice reports what was received and owes nothing", () => {
    const state = paymentState(invoice({ status: "not_valid" }), [complementDoc()], []);
    expect(state.estadoPago).toMatchObject({ estado: "PAGO_PARCIAL", totalPagado: 2900, saldoPendiente: 0 });
    expect(state.fields.dueAmount).toBe("0.00");
  });

  it("a payment complement or a transfer is settled by nature", () => {
    for (const cfdiType of ["P", "T"]) {
      const state = paymentState(invoice({ cfdiType, grossPriceAmount: "0", paymentMethod: null }), [], []);
      expect(state.estadoPago).toEqual({
        estado: "PAGADO",
        totalFactura: 0,
        totalPagado: 0,
        saldoPendiente: 0,
        porcentajePagado: 100,
        completamentePagado: true,
        tieneComplementos: false,
        tienePagosManuales: false,
      });
      expect(state.fields).toMatchObject({ dueAmount: "0.00", fullyPaidAt: null, lastPaymentAt: null });
    }
  });
});

describe("dates", () => {
  it("reads dates, Mexico City wall-clock times and instants", () => {
    expect(instantOf("2024-03-20")).toBe("2024-03-20T06:00:00.000Z");
    expect(instantOf("2024-03-20T10:00:00")).toBe("2024-03-20T16:00:00.000Z");
    // Daylight saving time (until October 2022): UTC−5.
    expect(instantOf("2017-07-14T16:01:39")).toBe("2017-07-14T21:01:39.000Z");
    expect(instantOf("2024-03-20T10:00:00+02:00")).toBe("2024-03-20T08:00:00.000Z");
    for (const bad of [
      "yesterday",
      "2024-02-31",
      "2024-13-01T00:00:00",
      "2024-03-20T25:00:00",
      "2024-03-20 10:00",
    ]) {
      expect(appError(() => instantOf(bad)).code).toBe("date_invalid");
    }
  });
});

describe("payment complement applications", () => {
  const parse = (path: string) => parseCfdi(readFixtureText("cfdi", path));

  it("reads every DoctoRelacionado of a Pagos 2.0 complement", () => {
    const complement = paymentComplement(parse("40/pagos/test-pago20-signed.xml"));
    expect(complement.version).toBe("2.0");
    expect(complement.totalAmount).toBe("15000.00");
    expect(complement.relatedUuids).toEqual([
      "00000000-1111-2222-3333-00000000000A",
      "00000000-1111-2222-3333-00000000000B",
    ]);
    expect(complement.applications).toEqual([
      {
        relatedUuid: "00000000-1111-2222-3333-00000000000A",
        paidAt: "2023-06-12T23:18:19.000Z",
        paymentForm: "03",
        paymentCurrency: "MXN",
        documentCurrency: "MXN",
        equivalence: "1",
        installment: 2,
        previousBalance: "12000.00",
        amountPaid: "12000.00",
        remainingBalance: "0",
      },
      {
        relatedUuid: "00000000-1111-2222-3333-00000000000B",
        paidAt: "2023-06-12T23:18:19.000Z",
        paymentForm: "03",
        paymentCurrency: "MXN",
        documentCurrency: "MXN",
        equivalence: "1",
        installment: 1,
        previousBalance: "10000.00",
        amountPaid: "3000.00",
        remainingBalance: "7000.00",
      },
    ]);
  });

  it("moves the invoices it pays to the balances the complement states", () => {
    const complement = paymentComplement(parse("40/pagos/test-pago20-calc-mixed-iva16-0-exento.xml"));
    expect(complement.applications).toHaveLength(5);
    expect(complement.totalAmount).toBe("2534.43");
    for (const app of complement.applications) {
      const inv = invoice({ grossPriceAmount: app.previousBalance!, currencyCode: app.documentCurrency });
      const state = paymentState(inv, [{ ...app, complementUuid: null }], []);
      expect(dec(state.fields.dueAmount).equals(app.remainingBalance!)).toBe(true);
    }
    const usd = complement.applications[4]!;
    expect(usd).toMatchObject({ paymentCurrency: "USD", documentCurrency: "MXN", equivalence: "17.36075" });
    expect(
      paymentState(invoice({ grossPriceAmount: "2817" }), [{ ...usd, complementUuid: null }], []).pagos[0],
    ).toMatchObject({ monedaPago: "USD", monto: 40 });
  });

  it("reads the other Pagos 2.0 fixtures", () => {
    const withholdings = paymentComplement(parse("40/pagos/test-pago20-retenciones-isr-iva-signed.xml"));
    expect(withholdings.applications).toEqual([
      expect.objectContaining({
        relatedUuid: "6D7434A6-E3F2-47AD-9E4C-08849946AFA0",
        amountPaid: "14672.08",
        remainingBalance: "0.00",
      }),
    ]);
    const ieps = paymentComplement(parse("40/pagos/test-pago20-calc-isr-iva-ret-ieps53.xml"));
    expect(ieps.relatedUuids).toEqual(["984C0AB9-1611-58AE-8874-910FEB94C2E0"]);
    expect(ieps.totalAmount).toBe("372.00");
  });

  it("refuses a complement whose documents carry no UUID", () => {
    const error = appError(() => paymentComplement(parse("40/pagos/test-pago20-calc-usd-008.xml")));
    expect(error.code).toBe("invoice_payment_invalid_document_id");
    expect(error.details).toMatchObject({ path: "Pagos/Pago[1]/DoctoRelacionado[1]/@IdDocumento" });
  });

  it("reads a Pagos 1.0 complement with TipoCambioDR", () => {
    const complement = paymentComplement(parse("33/test-pago10-usd.xml"));
    expect(complement.version).toBe("1.0");
    expect(complement.totalAmount).toBe("2000.00");
    expect(complement.applications).toEqual([
      {
        relatedUuid: "D72829D8-ADCD-4457-935F-B7168A488850",
        paidAt: "2017-07-14T21:01:39.000Z",
        paymentForm: "28",
        paymentCurrency: "MXN",
        documentCurrency: "USD",
        equivalence: "0.05",
        installment: 4,
        previousBalance: "8208.00",
        amountPaid: "100",
        remainingBalance: "8108.00",
      },
    ]);
    const state = paymentState(
      invoice({ grossPriceAmount: "8208.00", currencyCode: "USD" }),
      [{ ...complement.applications[0]!, complementUuid: "X" }],
      [],
    );
    expect(state.fields).toMatchObject({ paidAmount: "100.00", dueAmount: "8108.00" });
    expect(state.pagos[0]).toMatchObject({ monedaPago: "MXN", monto: 2000 });
  });

  it("infers a Pagos 1.0 ImpPagado only where SAT lets it be omitted", () => {
    const xml = readFixtureText("cfdi", "33/test-pago10-usd.xml");
    const sameCurrency = xml
      .replace(' TipoCambioDR="0.05"', "")
      .replace('MonedaDR="USD"', 'MonedaDR="MXN"')
      .replace(' ImpPagado="100"', "");
    expect(paymentComplement(parseCfdi(sameCurrency)).applications[0]).toMatchObject({
      amountPaid: "2000",
      equivalence: null,
    });
    const converted = xml.replace(' ImpPagado="100"', "");
    expect(appError(() => paymentComplement(parseCfdi(converted))).code).toBe(
      "invoice_payment_amount_missing",
    );
    const badRate = xml.replace('TipoCambioDR="0.05"', 'TipoCambioDR="0"');
    expect(appError(() => paymentComplement(parseCfdi(badRate))).code).toBe(
      "invoice_payment_invalid_equivalence",
    );
  });

  it("refuses a CFDI that is not a payment complement", () => {
    const error = appError(() =>
      paymentComplement(parse("40/test-ingreso-EKU-descuento-stamped-finkok-demo.xml")),
    );
    expect(error.code).toBe("invoice_payment_not_a_payment_complement");
  });

  it("names the referenced invoices the request did not list", () => {
    const complement = paymentComplement(parse("40/pagos/test-pago20-signed.xml"));
    expect(
      checkReferencedInvoices(complement, [
        "00000000-1111-2222-3333-00000000000a",
        "00000000-1111-2222-3333-00000000000B",
      ]),
    ).toBeNull();
    const error = checkReferencedInvoices(complement, ["00000000-1111-2222-3333-00000000000A", null]);
    expect(error).toBeInstanceOf(AppError);
    expect(error).toMatchObject({
      status: 400,
      code: "invoices_not_specified",
      message: "Some invoices referenced in the invoice payment were not specified in the request",
      details: { invoices: ["00000000-1111-2222-3333-00000000000B"] },
    });
  });
});

describe("properties", () => {
  const cents = (n: number) => dec(n).div(100).toFixed(2);

  it("paid + due = total whenever nothing is overpaid, and stored fields give the same estadoPago", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 10_000_000_000 }),
        fc.array(fc.integer({ min: 1, max: 1_000_000_000 }), { maxLength: 6 }),
        fc.array(fc.integer({ min: 1, max: 1_000_000_000 }), { maxLength: 3 }),
        (total, complementCents, manualCents) => {
          const paid = [...complementCents, ...manualCents].reduce((a, b) => a + b, 0);
          fc.pre(paid <= total);
          const inv = invoice({ grossPriceAmount: cents(total) });
          const state = paymentState(
            inv,
            complementCents.map((c) => complementDoc({ amountPaid: cents(c) })),
            manualCents.map((c) => manual(cents(c))),
          );
          const e = state.estadoPago;
          expect(dec(state.fields.paidAmount).plus(state.fields.dueAmount).equals(cents(total))).toBe(true);
          expect(
            dec(String(e.totalPagado)).plus(String(e.saldoPendiente)).equals(String(e.totalFactura)),
          ).toBe(true);
          expect(e.porcentajePagado).toBeGreaterThanOrEqual(0);
          expect(e.porcentajePagado).toBeLessThanOrEqual(100);
          expect(e.estado).toBe(paid === 0 ? "NO_PAGADO" : total - paid <= 1 ? "PAGADO" : "PAGO_PARCIAL");
          expect(
            estadoPago(inv, {
              paidAmount: state.fields.paidAmount,
              hasComplements: complementCents.length > 0,
              hasManualPayments: manualCents.length > 0,
            }),
          ).toEqual(e);
        },
      ),
      { numRuns: 300 },
    );
  });
});

describe("tiny invoices", () => {
  it("an unpaid invoice of one cent is NO_PAGADO, not PAGADO by the 0.01 tolerance", () => {
    const state = paymentState(invoice({ grossPriceAmount: "0.01" }), [], []);
    expect(state.estadoPago.estado).toBe("NO_PAGADO");
    expect(state.fields.dueAmount).toBe("0.01");
  });
});
