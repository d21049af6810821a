import Decimal from "decimal.js";
import { describe, expect, it } from "vitest";
import {
  conceptImporteBounds,
  currencyDecimals,
  dec,
  decimalPlaces,
  formatAmount,
  roundSat,
  roundUp,
  sameAmount,
  sum,
  taxImporteBounds,
  truncate,
  withinBounds,
} from "../../../shared/cfdi/amounts";
import { isAppError } from "../../../shared/errors";

const str = (d: Decimal) => d.toFixed();

describe("exact amounts", () => {
  it("adds money without binary-float drift", () => {
    expect(str(sum(Array(10).fill("0.1")))).toBe("1");
    expect(str(dec("0.1").plus("0.2"))).toBe("0.3");
  });

  it("keeps full precision on products of the largest CFDI amounts", () => {
    const max = "999999999999999999.999999";
    // (10^18 − 10^−6)² = 10^36 − 2·10^12 + 10^−12, all 48 significant digits kept.
    expect(str(dec(max).times(max))).toBe("999999999999999999999998000000000000.000000000001");
  });

  it("refuses what is not a plain decimal", () => {
    for (const bad of ["1e5", "abc", "1,000.00", "", "--1", "0x10"]) {
      let caught: unknown;
      try {
        dec(bad);
      } catch (e) {
        caught = e;
      }
      expect(isAppError(caught) && caught.code, bad).toBe("amount_invalid");
    }
    expect(() => dec(Number.NaN)).toThrow();
  });

  it("re-homes Decimals from the global constructor so they keep 64-digit precision", () => {
    const third = dec(new Decimal(1)).div(3);
    expect(third.toFixed().length).toBeGreaterThan(60);
  });

  it("counts decimals as written", () => {
    expect(decimalPlaces("1.50")).toBe(2);
    expect(decimalPlaces("10")).toBe(0);
    expect(decimalPlaces("0.000001")).toBe(6);
    expect(sameAmount("1.50", "1.5")).toBe(true);
  });
});

describe("SAT rounding", () => {
  it("rounds half-up, ties away from zero, where floats would round down", () => {
    expect(str(roundSat("0.125", 2))).toBe("0.13");
    expect(str(roundSat("-0.125", 2))).toBe("-0.13");
    expect(str(roundSat("2.675", 2))).toBe("2.68"); // (2.675).toFixed(2) === "2.67"
    expect(str(roundSat("1.005", 2))).toBe("1.01");
    expect(str(roundSat("16.0080", 2))).toBe("16.01");
    expect(str(roundSat("16.0049", 2))).toBe("16");
  });

  it("truncates and rounds up (away from zero) for the tolerance limits", () => {
    expect(str(truncate("3346.1299", 2))).toBe("3346.12");
    expect(str(roundUp("4302.2025", 2))).toBe("4302.21");
    expect(str(roundUp("4302.20", 2))).toBe("4302.2");
  });

  it("formats canonical strings with exactly the currency's decimals", () => {
    expect(formatAmount("16", 2)).toBe("16.00");
    expect(formatAmount("1234.5", 0)).toBe("1235");
    expect(formatAmount("0.0005", 3)).toBe("0.001");
    expect(formatAmount("-0.001", 2)).toBe("0.00");
    expect(formatAmount("104.3953288", 6)).toBe("104.395329");
  });
});

describe("currency decimals from c_Moneda", () => {
  it("knows the SAT decimals per currency", () => {
    expect(currencyDecimals("MXN")).toBe(2);
    expect(currencyDecimals("USD")).toBe(2);
    expect(currencyDecimals("JPY")).toBe(0);
    expect(currencyDecimals("BHD")).toBe(3);
    expect(currencyDecimals("CLF")).toBe(4);
    expect(currencyDecimals("XXX")).toBe(0);
  });

  it("rejects a currency outside the catalog", () => {
    expect(() => currencyDecimals("ZZZ")).toThrow(/c_Moneda/);
  });
});

describe("SAT tolerances", () => {
  it("bounds a concept Importe by the decimals written in Cantidad and ValorUnitario", () => {
    // 4 × 956.04 = 3824.16; Cantidad without decimals allows ±0.5 units (finkok-stamped fixture says 3824.15).
    const loose = conceptImporteBounds("4", "956.04", 2);
    expect([str(loose.lower), str(loose.upper)]).toEqual(["3346.12", "4302.21"]);
    expect(withinBounds("3824.15", loose)).toBe(true);

    // Cantidad 1.00 ± 0.005 still moves a 1250.30 price by ±6.25.
    const tight = conceptImporteBounds("1.00", "1250.30", 2);
    expect([str(tight.lower), str(tight.upper)]).toEqual(["1244.04", "1256.56"]);
    expect(withinBounds("1250.30", tight)).toBe(true);
    expect(withinBounds("1256.57", tight)).toBe(false);
    expect(withinBounds("1244.03", tight)).toBe(false);

    const exact = conceptImporteBounds("3.000000", "10.000000", 6);
    // (3 ∓ 0.0000005) × (10 ∓ 0.0000005) = 30 ∓ 0.0000065…
    expect([str(exact.lower), str(exact.upper)]).toEqual(["29.999993", "30.000007"]);
  });

  it("bounds a tax Importe by the decimals written in Base", () => {
    // 100.05 × 0.16 = 16.008: both 16.00 and 16.01 pass (the rounding fixture uses both), 16.02 does not.
    const b = taxImporteBounds("100.05", "0.160000", 2);
    expect([str(b.lower), str(b.upper)]).toEqual(["16", "16.01"]);
    expect(withinBounds("16.00", b)).toBe(true);
    expect(withinBounds("16.01", b)).toBe(true);
    expect(withinBounds("16.02", b)).toBe(false);
    expect(withinBounds("15.99", b)).toBe(false);
  });

  it("uses the Importe's own decimals for the limits", () => {
    const b = taxImporteBounds("652.470805", "0.160000", 6);
    expect(withinBounds("104.395329", b)).toBe(true);
    expect(withinBounds("104.395400", b)).toBe(false);
  });
});
