// Item and item-tax edits on EXT invoices: the seed's gate (EXT + accepted), the exact recalculation of
// the item, its taxes, the grouped document taxes and the totals, and a property that the totals are
// always the sum of their rounded parts.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { dec, formatAmount, sum } from "../../../shared/cfdi/amounts";
import { AppError } from "../../../shared/errors";
import {
  createItemTax,
  deleteItemTax,
  editInvoiceItem,
  type InvoiceSnapshot,
  type RecalcItemTax,
  type Recalculation,
  updateItemTax,
} from "../../../shared/invoices/recalculate";

function ids() {
  let n = 0;
  return () => `new-${++n}`;
}

function ok<T>(result: T | AppError): T {
  if (result instanceof AppError)
    throw new Error(`unexpected ${result.code}: ${JSON.stringify(result.details)}`);
  return result;
}

const tax = (over: Partial<RecalcItemTax> & Pick<RecalcItemTax, "id" | "invoiceItemId">): RecalcItemTax => ({
  invoiceId: "inv",
  taxId: "002",
  code: "IVA",
  isWithholding: false,
  factor: "Tasa",
  rate: "0.160000",
  baseAmount: null,
  value: null,
  ...over,
});

/** 1000.00 with IVA 16 %, and 3 × 33.333333 = 100.00 with IVA 16 % and ISR 10 % withheld. */
function snapshot(over: Partial<InvoiceSnapshot["invoice"]> = {}): InvoiceSnapshot {
  return {
    invoice: {
      id: "inv",
      status: "accepted",
      paymentMethod: "EXT",
      currencyCode: "MXN",
      localTransferredTaxAmount: "0",
      localWithheldTaxAmount: "0",
      ...over,
    },
    items: [
      {
        id: "i1",
        quantity: "1",
        description: "Licencia",
        netUnitPriceAmount: "1000.00",
        netPriceAmount: "1000.00",
        discount: "0",
        grossPriceAmount: "1160.00",
      },
      {
        id: "i2",
        quantity: "3",
        description: "Soporte",
        netUnitPriceAmount: "33.333333",
        netPriceAmount: "100.00",
        discount: "0",
        grossPriceAmount: "106.00",
      },
    ],
    itemTaxes: [
      tax({ id: "t1", invoiceItemId: "i1", baseAmount: "1000.00", value: "160.00" }),
      tax({ id: "t2", invoiceItemId: "i2", baseAmount: "100.00", value: "16.00" }),
      tax({
        id: "t3",
        invoiceItemId: "i2",
        taxId: "001",
        code: "ISR",
        isWithholding: true,
        rate: "0.100000",
        baseAmount: "100.00",
        value: "10.00",
      }),
    ],
    invoiceTaxes: [
      {
        id: "g-iva",
        invoiceId: "inv",
        taxId: "002",
        code: "IVA",
        isWithholding: false,
        factor: "Tasa",
        rate: "0.160000",
        baseAmount: "1100.00",
        value: "176.00",
      },
      {
        id: "g-isr",
        invoiceId: "inv",
        taxId: "001",
        code: "ISR",
        isWithholding: true,
        factor: "Tasa",
        rate: null,
        baseAmount: null,
        value: "10.00",
      },
    ],
  };
}

const taxOf = (r: Recalculation, id: string) => r.itemTaxes.find((t) => t.id === id)!;
const itemOf = (r: Recalculation, id: string) => r.items.find((i) => i.id === id)!;

describe("the gate", () => {
  it("allows changes only on accepted EXT invoices", () => {
    for (const [over, code] of [
      [{ paymentMethod: "PPD" }, "invalid_payment_method"],
      [{ paymentMethod: null }, "invalid_payment_method"],
      [{ status: "paid" as const }, "invalid_status"],
    ] as const) {
      const s = snapshot(over);
      for (const result of [
        editInvoiceItem(s, "i1", { description: "x" }, ids()),
        createItemTax(s, { id: "t9", invoiceItemId: "i1", taxId: "002", rate: "0.16" }, ids()),
        updateItemTax(s, "t1", { rate: "0.08" }, ids()),
        deleteItemTax(s, "t1", ids()),
      ]) {
        expect(result).toMatchObject({ status: 400, code });
      }
    }
  });

  it("answers 404 for items and taxes the invoice does not have", () => {
    expect(editInvoiceItem(snapshot(), "nope", { quantity: 2 }, ids())).toMatchObject({ status: 404 });
    expect(updateItemTax(snapshot(), "nope", { rate: "0" }, ids())).toMatchObject({ status: 404 });
    expect(deleteItemTax(snapshot(), "nope", ids())).toMatchObject({ status: 404 });
    expect(
      createItemTax(snapshot(), { id: "x", invoiceItemId: "nope", taxId: "002", rate: 0 }, ids()),
    ).toMatchObject({ status: 404 });
  });
});

describe("item edits", () => {
  it("recalculates unit price, taxes, gross, groups and totals after a new amount", () => {
    const { item, recalculation } = ok(
      editInvoiceItem(snapshot(), "i2", { netPriceAmount: "100.05" }, ids()),
    );
    const r = recalculation!;
    expect(item).toEqual({
      id: "i2",
      quantity: "3",
      description: "Soporte",
      netUnitPriceAmount: "33.35",
      netPriceAmount: "100.05",
      discount: "0",
      // 100.05 + 16.008 − 10.005
      grossPriceAmount: "106.053",
    });
    expect(taxOf(r, "t2")).toMatchObject({ baseAmount: "100.05", value: "16.008" });
    expect(taxOf(r, "t3")).toMatchObject({ baseAmount: "100.05", value: "10.005" });
    expect(taxOf(r, "t1")).toMatchObject({ baseAmount: "1000.00", value: "160.00" });
    expect(r.invoiceTaxes).toEqual([
      {
        id: "g-iva",
        invoiceId: "inv",
        taxId: "002",
        code: "IVA",
        isWithholding: false,
        factor: "Tasa",
        rate: "0.160000",
        baseAmount: "1100.05",
        value: "176.01",
      },
      {
        id: "g-isr",
        invoiceId: "inv",
        taxId: "001",
        code: "ISR",
        isWithholding: true,
        factor: "Tasa",
        rate: null,
        baseAmount: null,
        value: "10.01",
      },
    ]);
    expect(r.invoice).toEqual({
      netPriceAmount: "1100.05",
      discount: "0.00",
      transferredTaxAmount: "176.01",
      withheldTaxAmount: "10.01",
      grossPriceAmount: "1266.05",
      netPriceMicros: 1_100_050_000,
      discountMicros: 0,
      taxMicros: 166_000_000,
      grossPriceMicros: 1_266_050_000,
    });
  });

  it("recalculates the unit price after a new quantity, keeping the amounts", () => {
    const { item, recalculation } = ok(editInvoiceItem(snapshot(), "i1", { quantity: 7 }, ids()));
    expect(item).toMatchObject({
      quantity: "7",
      netPriceAmount: "1000.00",
      netUnitPriceAmount: "142.857143",
    });
    expect(recalculation!.invoice.grossPriceAmount).toBe("1266.00");
  });

  it("changes a description without recalculating", () => {
    expect(ok(editInvoiceItem(snapshot(), "i1", { description: " Licencia anual " }, ids()))).toEqual({
      item: expect.objectContaining({ description: "Licencia anual", netPriceAmount: "1000.00" }),
      recalculation: null,
    });
  });

  it("refuses bad values with the field's path", () => {
    const s = snapshot();
    for (const [patch, path] of [
      [{ quantity: 0 }, "quantity"],
      [{ quantity: 1.5 }, "quantity"],
      [{ netPriceAmount: "0" }, "netPriceAmount"],
      [{ netPriceAmount: -3 }, "netPriceAmount"],
      [{ netPriceAmount: "1.1234567" }, "netPriceAmount"],
      [{ netPriceAmount: "abc" }, "netPriceAmount"],
      [{ description: " " }, "description"],
    ] as const) {
      expect(editInvoiceItem(s, "i1", patch, ids())).toMatchObject({
        code: "validation_failed",
        details: [{ path }],
      });
    }
    const discounted = { ...s, items: s.items.map((i) => (i.id === "i1" ? { ...i, discount: "50.00" } : i)) };
    expect(editInvoiceItem(discounted, "i1", { netPriceAmount: "40" }, ids())).toMatchObject({
      code: "validation_failed",
    });
  });

  it("adds 0.1 and 0.2 exactly and rounds each document part once", () => {
    const s = snapshot();
    s.items = s.items.map((i) => ({ ...i, quantity: "1" }));
    s.itemTaxes = s.itemTaxes.filter((t) => t.id !== "t3");
    const first = ok(editInvoiceItem(s, "i1", { netPriceAmount: "0.1" }, ids())).recalculation!;
    const both = ok(
      editInvoiceItem(
        { ...s, items: first.items, itemTaxes: first.itemTaxes },
        "i2",
        { netPriceAmount: 0.2 },
        ids(),
      ),
    ).recalculation!;
    expect(both.itemTaxes.map((t) => t.value)).toEqual(["0.016", "0.032"]);
    expect(both.invoice).toMatchObject({
      netPriceAmount: "0.30",
      transferredTaxAmount: "0.05",
      withheldTaxAmount: "0.00",
      grossPriceAmount: "0.35",
    });
  });

  it("writes document amounts at the currency's decimals", () => {
    const r = ok(editInvoiceItem(snapshot({ currencyCode: "JPY" }), "i2", { netPriceAmount: "101" }, ids()))
      .recalculation!;
    expect(taxOf(r, "t2").value).toBe("16.16");
    expect(r.invoice).toMatchObject({
      netPriceAmount: "1101",
      transferredTaxAmount: "176",
      grossPriceAmount: "1267",
    });
  });
});

describe("item-tax changes", () => {
  it("creates a tax from c_Impuesto and its rate, in a new group", () => {
    const r = ok(
      createItemTax(snapshot(), { id: "t9", invoiceItemId: "i1", taxId: "003", rate: 0.08 }, ids()),
    );
    expect(r.created).toEqual({
      id: "t9",
      invoiceId: "inv",
      invoiceItemId: "i1",
      taxId: "003",
      code: "IEPS",
      isWithholding: false,
      factor: "Tasa",
      rate: "0.080000",
      baseAmount: "1000.00",
      value: "80.00",
    });
    expect(itemOf(r, "i1").grossPriceAmount).toBe("1240.00");
    expect(r.invoiceTaxes.map((t) => [t.id, t.code, t.rate, t.value])).toEqual([
      ["g-iva", "IVA", "0.160000", "176.00"],
      ["new-1", "IEPS", "0.080000", "80.00"],
      ["g-isr", "ISR", null, "10.00"],
    ]);
    expect(r.invoice).toMatchObject({ transferredTaxAmount: "256.00", grossPriceAmount: "1346.00" });
  });

  it("maps taxId to code and isWithholding: ISR is withheld, IVA withheld on request", () => {
    const isr = ok(
      createItemTax(snapshot(), { id: "t9", invoiceItemId: "i1", taxId: "001", rate: "0.1" }, ids()),
    );
    expect(isr.created).toMatchObject({ code: "ISR", isWithholding: true, value: "100.00" });
    expect(isr.invoiceTaxes.find((t) => t.id === "g-isr")!.value).toBe("110.00");
    const ivaRet = ok(
      createItemTax(
        snapshot(),
        { id: "t9", invoiceItemId: "i1", taxId: "002", rate: "0.106667", isWithholding: true },
        ids(),
      ),
    );
    expect(ivaRet.created).toMatchObject({ code: "IVA", isWithholding: true, value: "106.667" });
    expect(ivaRet.invoice).toMatchObject({ withheldTaxAmount: "116.67", grossPriceAmount: "1159.33" });
  });

  it("refuses unknown taxes, impossible withholdings and bad rates", () => {
    const s = snapshot();
    const create = (taxId: string, rate: string | number, isWithholding?: boolean) =>
      createItemTax(s, { id: "t9", invoiceItemId: "i1", taxId, rate, isWithholding }, ids());
    expect(create("004", "0.16")).toMatchObject({ code: "validation_failed", details: [{ path: "taxId" }] });
    expect(create("001", "0.1", false)).toMatchObject({
      code: "validation_failed",
      details: [{ path: "isWithholding" }],
    });
    expect(create("002", "-0.16")).toMatchObject({ code: "validation_failed", details: [{ path: "rate" }] });
    expect(create("002", "0.1600001")).toMatchObject({
      code: "validation_failed",
      details: [{ path: "rate" }],
    });
  });

  it("recalculates base and value after a new rate, splitting the group", () => {
    const r = ok(updateItemTax(snapshot(), "t1", { rate: "0.08" }, ids()));
    expect(taxOf(r, "t1")).toMatchObject({ rate: "0.080000", baseAmount: "1000.00", value: "80.00" });
    expect(r.invoiceTaxes.map((t) => [t.id, t.rate, t.baseAmount, t.value])).toEqual([
      ["new-1", "0.080000", "1000.00", "80.00"],
      ["g-iva", "0.160000", "100.00", "16.00"],
      ["g-isr", null, null, "10.00"],
    ]);
    expect(r.invoice.grossPriceAmount).toBe("1186.00");
  });

  it("repopulates code and isWithholding after a new taxId", () => {
    const r = ok(updateItemTax(snapshot(), "t3", { taxId: "003" }, ids()));
    expect(taxOf(r, "t3")).toMatchObject({
      taxId: "003",
      code: "IEPS",
      isWithholding: false,
      value: "10.00",
    });
    expect(r.invoice).toMatchObject({ transferredTaxAmount: "186.00", withheldTaxAmount: "0.00" });
    expect(r.invoiceTaxes.some((t) => t.id === "g-isr")).toBe(false);
  });

  it("deletes a tax and drops its empty group", () => {
    const r = ok(deleteItemTax(snapshot(), "t3", ids()));
    expect(r.itemTaxes.map((t) => t.id)).toEqual(["t1", "t2"]);
    expect(itemOf(r, "i2").grossPriceAmount).toBe("116.00");
    expect(r.invoiceTaxes.map((t) => t.id)).toEqual(["g-iva"]);
    expect(r.invoice).toMatchObject({ withheldTaxAmount: "0.00", grossPriceAmount: "1276.00" });
  });

  it("keeps exempt taxes without rate or value", () => {
    const r = ok(
      createItemTax(snapshot(), { id: "t9", invoiceItemId: "i1", taxId: "002", rate: "0" }, ids()),
    );
    const exempt = ok(
      updateItemTax(
        {
          ...snapshot(),
          itemTaxes: r.itemTaxes.map((t) => (t.id === "t9" ? { ...t, factor: "Exento" as const } : t)),
        },
        "t1",
        { rate: "0.16" },
        ids(),
      ),
    );
    expect(taxOf(exempt, "t9")).toMatchObject({
      factor: "Exento",
      rate: null,
      value: null,
      baseAmount: "1000.00",
    });
    expect(exempt.invoiceTaxes.find((t) => t.factor === "Exento")).toMatchObject({
      value: null,
      baseAmount: "1000.00",
    });
  });
});

describe("properties", () => {
  const amount = fc
    .tuple(fc.integer({ min: 1, max: 10_000_000 }), fc.integer({ min: 0, max: 6 }))
    .map(([n, places]) =>
      dec(n)
        .div(10 ** places)
        .toFixed(),
    );
  const rate = fc.constantFrom("0", "0.08", "0.16", "0.265", "0.5");
  const withheldRate = fc.constantFrom("0.04", "0.1", "0.106667", "0.0125");

  it("totals always equal the sum of their rounded parts", () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(amount, fc.integer({ min: 1, max: 50 }), rate, fc.option(withheldRate)), {
          minLength: 1,
          maxLength: 6,
        }),
        fc.constantFrom("MXN", "JPY", "CLF"),
        amount,
        (lines, currencyCode, newAmount) => {
          const newId = ids();
          const s: InvoiceSnapshot = {
            invoice: {
              id: "inv",
              status: "accepted",
              paymentMethod: "EXT",
              currencyCode,
              localTransferredTaxAmount: "0",
              localWithheldTaxAmount: "0",
            },
            items: lines.map(([net, quantity], n) => ({
              id: `i${n}`,
              quantity: String(quantity),
              description: "x",
              netUnitPriceAmount: "0",
              netPriceAmount: net,
              discount: "0",
              grossPriceAmount: "0",
            })),
            itemTaxes: [],
            invoiceTaxes: [],
          };
          // Add the taxes through the operations, as a user would.
          let r: Recalculation | undefined;
          for (const [n, [, , transferred, withheld]] of lines.entries()) {
            const taxes = [
              { taxId: "002", rate: transferred },
              ...(withheld ? [{ taxId: "001", rate: withheld }] : []),
            ];
            for (const [k, t] of taxes.entries()) {
              const created = ok(createItemTax(s, { id: `t${n}-${k}`, invoiceItemId: `i${n}`, ...t }, newId));
              Object.assign(s, {
                items: created.items,
                itemTaxes: created.itemTaxes,
                invoiceTaxes: created.invoiceTaxes,
              });
              r = created;
            }
          }
          const edited = ok(editInvoiceItem(s, "i0", { netPriceAmount: newAmount }, newId)).recalculation!;
          for (const result of [r!, edited]) {
            const places = { MXN: 2, JPY: 0, CLF: 4 }[currencyCode]!;
            const inv = result.invoice;
            for (const value of [
              inv.netPriceAmount,
              inv.transferredTaxAmount,
              inv.withheldTaxAmount,
              inv.grossPriceAmount,
            ]) {
              expect(value).toBe(formatAmount(value, places));
            }
            const groupSum = (w: boolean) =>
              sum(result.invoiceTaxes.filter((t) => t.isWithholding === w).map((t) => t.value ?? "0"));
            expect(groupSum(false).equals(inv.transferredTaxAmount)).toBe(true);
            expect(groupSum(true).equals(inv.withheldTaxAmount)).toBe(true);
            expect(
              dec(inv.netPriceAmount)
                .minus(inv.discount)
                .plus(inv.transferredTaxAmount)
                .minus(inv.withheldTaxAmount)
                .equals(inv.grossPriceAmount),
            ).toBe(true);
            for (const group of result.invoiceTaxes) {
              const members = result.itemTaxes.filter((t) =>
                group.isWithholding
                  ? t.isWithholding && t.taxId === group.taxId
                  : !t.isWithholding && t.taxId === group.taxId && dec(t.rate!).equals(group.rate!),
              );
              expect(group.value).toBe(formatAmount(sum(members.map((t) => t.value!)), places));
            }
            for (const item of result.items) {
              const own = result.itemTaxes.filter((t) => t.invoiceItemId === item.id);
              const net = (w: boolean) => sum(own.filter((t) => t.isWithholding === w).map((t) => t.value!));
              expect(
                dec(item.netPriceAmount).plus(net(false)).minus(net(true)).equals(item.grossPriceAmount),
              ).toBe(true);
            }
          }
        },
      ),
      { numRuns: 150 },
    );
  });
});
