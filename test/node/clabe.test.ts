// CLABE check digits: published account numbers pass, every single-digit change is caught, and the
// shape is enforced.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { clabeCheckDigit, isValidClabe } from "../../shared/clabe";

// Examples banks and Banxico publish in their SPEI documentation.
const PUBLISHED = ["032180000118359719", "002010077777777771", "646180157000000004", "014027000005555558"];

describe("CLABE", () => {
  it.each(PUBLISHED)("accepts %s", (clabe) => expect(isValidClabe(clabe)).toBe(true));

  it("computes the weighted modulus 10 check digit", () => {
    // Σ (d × 3,7,1,…) mod 10 per digit = 51 → (10 − 1) mod 10 = 9.
    expect(clabeCheckDigit("01218000123456789")).toBe(9);
    expect(clabeCheckDigit("00000000000000000")).toBe(0);
  });

  it("refuses the seed's sample, whose last digit is not its check digit", () => {
    expect(isValidClabe("012180001234567890")).toBe(false);
    expect(isValidClabe("012180001234567899")).toBe(true);
  });

  it("refuses anything but 18 digits", () => {
    for (const value of [
      "",
      "03218000011835971",
      "0321800001183597190",
      "03218000011835971X",
      " 032180000118359719",
    ]) {
      expect(isValidClabe(value)).toBe(false);
    }
    expect(() => clabeCheckDigit("123")).toThrow();
  });

  it("catches every change of one digit", () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 0, max: 9 }), { minLength: 17, maxLength: 17 }),
        fc.integer({ min: 0, max: 17 }),
        fc.integer({ min: 1, max: 9 }),
        (digits, position, delta) => {
          const body = digits.join("");
          const clabe = `${body}${clabeCheckDigit(body)}`;
          expect(isValidClabe(clabe)).toBe(true);
          const changed = `${clabe.slice(0, position)}${(Number(clabe[position]) + delta) % 10}${clabe.slice(position + 1)}`;
          expect(isValidClabe(changed)).toBe(false);
        },
      ),
    );
  });
});
