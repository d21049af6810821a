/**
 * /v1/catalogs/* end to end: every catalog answers with the seed's shape without a token, q= search
 * needs 3 characters, ETags are strong and follow the query, If-None-Match → 304 with no body, the
 * Workers Cache API answers repeats, and postal codes resolve to their state and municipality.
 */
import { describe, expect, it } from "vitest";
import { CATALOGS_RELEASE } from "../../shared/catalogs";
import { shippedEfosList } from "../../shared/catalogs/efos";
import { call } from "./harness";

const get = (path: string, headers: Record<string, string> = {}) => call("GET", path, { headers });

describe("whole-list catalogs", () => {
  it.each([
    ["tax-regimes", { code: "601", appliesToCompanies: true, appliesToIndividuals: false }],
    ["cfdi-uses", { code: "G03", description: "Gastos en general." }],
    ["payment-forms", { code: "03", banked: true }],
    ["payment-methods", { code: "PUE" }],
    ["states", { code: "JAL", name: "Jalisco", country: "MEX" }],
    ["countries", { code: "USA" }],
    ["banks", { code: "012", name: "BBVA México" }],
    ["currencies", { code: "MXN", decimals: 2 }],
    ["taxes", { id: "002", code: "IVA", transferred: true, withheld: true }],
  ])("GET /v1/catalogs/%s is a public bare array with a strong ETag", async (slug, sample) => {
    const res = await get(`/v1/catalogs/${slug}`);
    expect(res.status, res.text).toBe(200);
    expect(Array.isArray(res.json)).toBe(true);
    expect(res.json).toContainEqual(expect.objectContaining(sample));
    expect(res.headers.get("etag")).toMatch(/^"[^"]+"$/);
    expect(res.headers.get("etag")).toContain(CATALOGS_RELEASE);
    expect(res.headers.get("cache-control")).toMatch(/^public, max-age=\d+, stale-while-revalidate=\d+$/);
  });

  it("lists only Mexican states and the IVA rates SAT allows", async () => {
    const states = (await get("/v1/catalogs/states")).json as Array<{ country: string }>;
    expect(states).toHaveLength(32);
    const taxes = (await get("/v1/catalogs/taxes")).json as Array<{ id: string; rates: any[] }>;
    const iva = taxes.find((t) => t.id === "002")!;
    expect(iva.rates).toContainEqual(
      expect.objectContaining({ factor: "Tasa", kind: "fixed", value: "0.160000", transferred: true }),
    );
  });

  it("industries and job titles are arrays of strings", async () => {
    expect((await get("/v1/catalogs/industries")).json).toContain("Manufactura y Maquila");
    expect((await get("/v1/catalogs/job-titles")).json).toContain("Dueño del negocio");
  });
});

describe("conditional requests and the Cache API", () => {
  it("a second request with If-None-Match gets 304 and no body", async () => {
    const first = await get("/v1/catalogs/currencies");
    const etag = first.headers.get("etag")!;
    const second = await get("/v1/catalogs/currencies", { "if-none-match": etag });
    expect(second.status).toBe(304);
    expect(second.text).toBe("");
    expect(second.headers.get("etag")).toBe(etag);
    expect(second.headers.get("cache-control")).toBe(first.headers.get("cache-control"));
    // A list of tags, or the weak form of ours, matches too (RFC 9110 weak comparison).
    expect((await get("/v1/catalogs/currencies", { "if-none-match": `"old", W/${etag}` })).status).toBe(304);
    expect((await get("/v1/catalogs/currencies", { "if-none-match": '"stale"' })).status).toBe(200);
  });

  it("the ETag changes with the query and not with parameter order or unknown parameters", async () => {
    const a = await get("/v1/catalogs/unit-keys?q=pieza");
    const b = await get("/v1/catalogs/unit-keys?q=metro");
    const c = await get("/v1/catalogs/unit-keys?limit=30&q=pieza&utm=x");
    expect(a.headers.get("etag")).not.toBe(b.headers.get("etag"));
    expect(c.headers.get("etag")).toBe(a.headers.get("etag"));
    const d = await get("/v1/catalogs/unit-keys?q=pieza&limit=10");
    expect(d.headers.get("etag")).not.toBe(a.headers.get("etag"));
    expect(
      (await get("/v1/catalogs/unit-keys?q=metro", { "if-none-match": a.headers.get("etag")! })).status,
    ).toBe(200);
  });

  it("a repeated request is answered from caches.default", async () => {
    const path = "/v1/catalogs/product-keys?q=tornillo&limit=10";
    const first = await get(path);
    expect(first.headers.get("x-cache")).toBe("miss");
    // The put runs after the response (waitUntil): wait until the entry is there.
    let again = await get(path);
    for (let i = 0; i < 20 && again.headers.get("x-cache") !== "hit"; i++) {
      await new Promise((r) => setTimeout(r, 25));
      again = await get(path);
    }
    expect(again.headers.get("x-cache")).toBe("hit");
    expect(again.json).toEqual(first.json);
    expect(again.headers.get("etag")).toBe(first.headers.get("etag"));
  });
});

describe("product and unit key search", () => {
  it("finds product keys by words, accents optional, and by key prefix", async () => {
    const res = await get("/v1/catalogs/product-keys?q=facturacion");
    expect(res.status, res.text).toBe(200);
    expect(res.json[0]).toEqual({
      code: "84111506",
      description: "Servicios de facturación",
      similarWords: null,
      complement: null,
      ivaTransferred: false,
      iepsTransferred: false,
      borderZoneStimulus: true,
      validFrom: "2019-01-07",
      validTo: null,
    });
    const byKey = (await get("/v1/catalogs/product-keys?q=8411")).json as Array<{ code: string }>;
    expect(byKey.length).toBeGreaterThan(0);
    expect(byKey.every((k) => k.code.startsWith("8411"))).toBe(true);
  });

  it("finds unit keys by name, key and pages through results", async () => {
    const res = await get("/v1/catalogs/unit-keys?q=pieza");
    expect(res.json[0]).toMatchObject({ code: "H87", description: "Pieza" });
    expect((await get("/v1/catalogs/unit-keys?q=E48")).json[0]).toMatchObject({ code: "E48" });
    const page1 = (await get("/v1/catalogs/unit-keys?q=metro&limit=10")).json as Array<{ code: string }>;
    const page2 = (await get("/v1/catalogs/unit-keys?q=metro&limit=10&page=2")).json as Array<{
      code: string;
    }>;
    expect(page1).toHaveLength(10);
    expect(page2.length).toBeGreaterThan(0);
    expect(page2.map((k) => k.code)).not.toContain(page1[0]!.code);
  });

  it.each([
    "/v1/catalogs/product-keys",
    "/v1/catalogs/product-keys?q=ab",
    "/v1/catalogs/product-keys?q=%20%20ab%20",
    "/v1/catalogs/unit-keys?q=kg",
    "/v1/catalogs/unit-keys?q=pieza&limit=7",
  ])("%s → 400 validation_failed", async (path) => {
    const res = await get(path);
    expect(res.status).toBe(400);
    expect(res.json.error).toBe("validation_failed");
  });

  it("a search without matches is an empty array", async () => {
    const res = await get("/v1/catalogs/product-keys?q=zzzqqxw");
    expect(res.status).toBe(200);
    expect(res.json).toEqual([]);
  });
});

describe("geo by postal code", () => {
  it("06600 is in Cuauhtémoc, Ciudad de México", async () => {
    const res = await get("/v1/catalogs/geo?postal_code=06600");
    expect(res.status, res.text).toBe(200);
    expect(res.json).toEqual({
      success: true,
      data: [
        {
          postalCode: "06600",
          state: { code: "CMX", name: "Ciudad de México" },
          municipality: { code: "015", name: "Cuauhtémoc" },
          locality: { code: "06", name: "Ciudad de México" },
          borderZoneStimulus: 0,
          timeZone: "Tiempo del Centro",
          validFrom: "2022-01-01",
          validTo: null,
        },
      ],
    });
  });

  it("a border code carries its stimulus; a code without municipality says so", async () => {
    const tijuana = await get("/v1/catalogs/geo?postal_code=22000");
    expect(tijuana.json.data[0]).toMatchObject({ state: { code: "BCN" }, borderZoneStimulus: 1 });
    const bare = await get("/v1/catalogs/geo?postal_code=01001");
    expect(bare.json.data[0]).toMatchObject({ state: { code: "CMX" }, municipality: null, locality: null });
  });

  it("an unknown code → 404 postal_code_not_found; a malformed one → 400", async () => {
    const unknown = await get("/v1/catalogs/geo?postal_code=00000");
    expect(unknown.status).toBe(404);
    expect(unknown.json.error).toBe("postal_code_not_found");
    expect(unknown.headers.get("etag")).toBeNull();
    for (const bad of ["", "?postal_code=6600", "?postal_code=abcde"]) {
      const res = await get(`/v1/catalogs/geo${bad}`);
      expect(res.status, bad).toBe(400);
      expect(res.json.error).toBe("validation_failed");
    }
  });
});

describe("EFOS check", () => {
  // SAT test RFCs: never on the list, whichever list is imported.
  it("answers each RFC in order, normalized, with the list date", async () => {
    const res = await get(
      `/v1/catalogs/efos?tax_identifier=eku9003173c9,%20XAXX010101000&organization_id=${crypto.randomUUID()}`,
    );
    expect(res.status, res.text).toBe(200);
    expect(res.json).toEqual({
      success: true,
      listAsOf: shippedEfosList.asOf,
      data: [
        { taxIdentifier: "EKU9003173C9", listed: false, name: null, situation: null },
        { taxIdentifier: "XAXX010101000", listed: false, name: null, situation: null },
      ],
    });
  });

  it.each([
    "",
    "?tax_identifier=",
    "?tax_identifier=NOT-AN-RFC",
    `?tax_identifier=${Array.from({ length: 101 }, () => "XAXX010101000").join(",")}`,
    "?tax_identifier=XAXX010101000&organization_id=nope",
  ])("bad input %s → 400 validation_failed", async (query) => {
    const res = await get(`/v1/catalogs/efos${query}`);
    expect(res.status).toBe(400);
    expect(res.json.error).toBe("validation_failed");
  });
});
