// The amounts a payment complement we issue takes from the invoice it pays: the taxes of the paid share
// (single rate, mixed rates, exempt and untaxed lines, withholdings, Cuota) and EquivalenciaDR.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { dec, sum } from "../../../shared/cfdi/amounts";
import {
  type ConceptTax,
  documentEquivalence,
  paidShareTaxes,
} from "../../../shared/invoices/stamp-payments";

const iva = (base: string, rate = "0.160000"): ConceptTax => ({
  code: "IVA",
  isWithholding: false,
  factor: "Tasa",
  rate,
  baseAmount: base,
});

describe("paidShareTaxes", () => {
  it("gives half the base for half of a 16 % invoice, whatever the concept split", () => {
    // 2 × 1500 + IVA 480 = 3480; paying 1740 pays a base of 1500.
    expect(paidShareTaxes([iva("1500.00"), iva("1500.00")], "3480.00", "1740.00", 2)).toEqual([
      { tax: "IVA", factor: "Tasa", rate: "0.160000", withholding: false, base: "1500.00" },
    ]);
  });

  it("matches ImpPagado / 1.16 for a single rate, to the centavo", () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 10_000_000 }), fc.integer({ min: 1, max: 100 }), (cents, pct) => {
        const base = dec(cents).div(100);
        const total = base.plus(base.times("0.16").toDecimalPlaces(2, 4));
        const paid = total.times(pct).div(100).toDecimalPlaces(2, 1);
        if (!paid.gt(0)) return;
        const [tax] = paidShareTaxes([iva(base.toFixed(2))], total.toFixed(2), paid.toFixed(2), 2);
        const simple = paid.div("1.16");
        expect(dec(tax!.base).minus(simple).abs().lte("0.01")).toBe(true);
      }),
    );
  });

  it("prorates every group of a mixed invoice: 16 %, 0 %, exempt, ISR and IVA withheld", () => {
    const taxes: ConceptTax[] = [
      iva("1000.00"),
      iva("500.00", "0.000000"),
      { code: "IVA", isWithholding: false, factor: "Exento", rate: null, baseAmount: "200.00" },
      { code: "ISR", isWithholding: true, factor: "Tasa", rate: "0.100000", baseAmount: "1000.00" },
      { code: "IVA", isWithholding: true, factor: "Tasa", rate: "0.106667", baseAmount: "1000.00" },
    ];
    // SubTotal 1700 + 160 − 100 − 106.67 = 1653.33; a quarter paid.
    const out = paidShareTaxes(taxes, "1653.33", "413.33", 2);
    expect(out).toEqual([
      { tax: "IVA", factor: "Tasa", rate: "0.160000", withholding: false, base: "250.00" },
      { tax: "IVA", factor: "Tasa", rate: "0.000000", withholding: false, base: "125.00" },
      { tax: "IVA", factor: "Exento", withholding: false, base: "50.00" },
      { tax: "ISR", factor: "Tasa", rate: "0.100000", withholding: true, base: "250.00" },
      { tax: "IVA", factor: "Tasa", rate: "0.106667", withholding: true, base: "250.00" },
    ]);
  });

  it("groups by rate value, not spelling, and leaves out a share that rounds to zero", () => {
    const out = paidShareTaxes(
      [iva("100.00", "0.16"), iva("100.00", "0.160000"), iva("0.01", "0.080000")],
      "232.01",
      "1.00",
      2,
    );
    expect(out).toEqual([{ tax: "IVA", factor: "Tasa", rate: "0.16", withholding: false, base: "0.86" }]);
  });

  it("has nothing to prorate on an invoice without taxes or without a total", () => {
    expect(paidShareTaxes([], "1000.00", "10.00", 2)).toEqual([]);
    expect(paidShareTaxes([iva("10.00")], "0", "10.00", 2)).toEqual([]);
  });

  it("adds up to the invoice's base over installments, within a centavo per installment", () => {
    const base = "12345.67";
    const total = "14320.98"; // + 1975.31
    const paid = ["1000.00", "4000.00", "9320.98"];
    const bases = paid.map((p) => paidShareTaxes([iva(base)], total, p, 2)[0]!.base);
    expect(sum(bases).minus(base).abs().lte("0.03")).toBe(true);
  });
});

describe("documentEquivalence", () => {
  it("is absent for one currency, the caller's when given, TipoCambioP for an MXN invoice", () => {
    expect(documentEquivalence("MXN", { currency: "MXN" })).toBeUndefined();
    expect(documentEquivalence("USD", { currency: "USD", exchangeRate: "17.5" })).toBeUndefined();
    expect(documentEquivalence("MXN", { currency: "USD", exchangeRate: "17.5" })).toBe("17.5");
    expect(documentEquivalence("USD", { currency: "MXN" }, "0.0571428571")).toBe("0.0571428571");
    expect(documentEquivalence("USD", { currency: "MXN" })).toBeNull();
    expect(documentEquivalence("MXN", { currency: "USD" })).toBeNull();
  });
});
