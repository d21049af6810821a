// Amounts in Spanish words as invoices print them: apocopes, "cien/ciento", "mil" alone, millions
// with "de", cents rounding, the 18-digit range.
import { describe, expect, it } from "vitest";
import { amountInWords, cardinalWords } from "../../../shared/pdf/words";

describe("cardinalWords", () => {
  it.each([
    [0n, "CERO"],
    [1n, "UNO"],
    [15n, "QUINCE"],
    [16n, "DIECISÉIS"],
    [21n, "VEINTIUNO"],
    [22n, "VEINTIDÓS"],
    [30n, "TREINTA"],
    [31n, "TREINTA Y UNO"],
    [99n, "NOVENTA Y NUEVE"],
    [100n, "CIEN"],
    [101n, "CIENTO UNO"],
    [115n, "CIENTO QUINCE"],
    [200n, "DOSCIENTOS"],
    [555n, "QUINIENTOS CINCUENTA Y CINCO"],
    [777n, "SETECIENTOS SETENTA Y SIETE"],
    [999n, "NOVECIENTOS NOVENTA Y NUEVE"],
    [1000n, "MIL"],
    [1001n, "MIL UNO"],
    [2000n, "DOS MIL"],
    [21000n, "VEINTIÚN MIL"],
    [31000n, "TREINTA Y UN MIL"],
    [100000n, "CIEN MIL"],
    [101000n, "CIENTO UN MIL"],
    [999999n, "NOVECIENTOS NOVENTA Y NUEVE MIL NOVECIENTOS NOVENTA Y NUEVE"],
    [1000000n, "UN MILLÓN"],
    [1000001n, "UN MILLÓN UNO"],
    [2500000n, "DOS MILLONES QUINIENTOS MIL"],
    [21000000n, "VEINTIÚN MILLONES"],
    [1000000000n, "MIL MILLONES"],
    [1001000000n, "MIL UN MILLONES"],
    [1000000000000n, "UN BILLÓN"],
    [
      999999999999999999n,
      "NOVECIENTOS NOVENTA Y NUEVE MIL NOVECIENTOS NOVENTA Y NUEVE BILLONES " +
        "NOVECIENTOS NOVENTA Y NUEVE MIL NOVECIENTOS NOVENTA Y NUEVE MILLONES " +
        "NOVECIENTOS NOVENTA Y NUEVE MIL NOVECIENTOS NOVENTA Y NUEVE",
    ],
  ])("%s", (n, words) => {
    expect(cardinalWords(n)).toBe(words);
  });

  it("uses the apocope before a noun", () => {
    expect(cardinalWords(1n, { apocope: true })).toBe("UN");
    expect(cardinalWords(21n, { apocope: true })).toBe("VEINTIÚN");
    expect(cardinalWords(1031n, { apocope: true })).toBe("MIL TREINTA Y UN");
  });

  it("refuses what is out of range", () => {
    expect(() => cardinalWords(-1n)).toThrow(RangeError);
    expect(() => cardinalWords(10n ** 18n)).toThrow(RangeError);
  });
});

describe("amountInWords", () => {
  it.each([
    ["3480.00", "TRES MIL CUATROCIENTOS OCHENTA PESOS 00/100 M.N."],
    ["3327.01", "TRES MIL TRESCIENTOS VEINTISIETE PESOS 01/100 M.N."],
    ["1.00", "UN PESO 00/100 M.N."],
    ["0.50", "CERO PESOS 50/100 M.N."],
    ["21.99", "VEINTIÚN PESOS 99/100 M.N."],
    ["100", "CIEN PESOS 00/100 M.N."],
    ["1000000.00", "UN MILLÓN DE PESOS 00/100 M.N."],
    ["3000000.10", "TRES MILLONES DE PESOS 10/100 M.N."],
    ["1500000.00", "UN MILLÓN QUINIENTOS MIL PESOS 00/100 M.N."],
    ["10.995", "ONCE PESOS 00/100 M.N."],
    ["10.994", "DIEZ PESOS 99/100 M.N."],
  ])("%s MXN", (amount, words) => {
    expect(amountInWords(amount, "MXN")).toBe(words);
  });

  it("names other currencies by their code", () => {
    expect(amountInWords("1250.5", "USD")).toBe("MIL DOSCIENTOS CINCUENTA 50/100 USD");
  });
});
