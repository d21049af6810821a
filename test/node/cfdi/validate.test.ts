import { describe, expect, it } from "vitest";
import type { CatalogLookups } from "../../../shared/catalogs";
import type { Cfdi, Pagos20 } from "../../../shared/cfdi/model";
import { complemento } from "../../../shared/cfdi/model";
import { parseCfdi } from "../../../shared/cfdi/parse";
import { validateCfdi } from "../../../shared/cfdi/validate";
import { listCfdiFixtures, readFixture } from "../helpers/fixtures";

const NOW = new Date("2026-11-22T12:00:00Z");
const cache = new Map<string, Cfdi>();
const load = (rel: string): Cfdi => {
  let cfdi = cache.get(rel);
  if (!cfdi) {
    cfdi = parseCfdi(readFixture("cfdi", rel));
    cache.set(rel, cfdi);
  }
  return structuredClone(cfdi);
};
const report = (cfdi: Cfdi, lookups?: CatalogLookups) => validateCfdi(cfdi, { now: NOW, lookups });
type Mutation = (c: Cfdi) => unknown;
/** Mutations applied one after the other. */
const then =
  (...steps: Mutation[]) =>
  (c: Cfdi) => {
    for (const step of steps) step(c);
  };
/** Sorted error codes after applying `mutate` to a fresh copy of the fixture. */
const codes = (rel: string, mutate: Mutation = () => {}, lookups?: CatalogLookups) => {
  const cfdi = load(rel);
  mutate(cfdi);
  return report(cfdi, lookups)
    .errors.map((e) => e.code)
    .sort();
};
const pagos = (c: Cfdi): Pagos20 => {
  const p = complemento(c, "Pagos20");
  if (!p) throw new Error("fixture without Pagos 2.0");
  return p;
};
const first = <T>(list: T[] | undefined): T => {
  const item = list?.[0];
  if (item === undefined) throw new Error("fixture lacks the node under test");
  return item;
};

const REAL = "40/real-ingreso-CSM190311AH6-2022-stamped.xml";
const ING = "40/test-ingreso-retenciones-isr-iva-stamped-finkok-demo.xml";
const USD = "40/test-ingreso-USD-descuentos-signed.xml";
const GLOBAL = "40/generated/generated-factura-global-publico-en-general-signed.xml";
const EGRESO = "40/generated/generated-egreso-nota-credito-relacion01-signed.xml";
const PAGO = "40/pagos/test-pago20-signed.xml";
const MIXED = "40/pagos/test-pago20-calc-mixed-iva16-0-exento.xml";
const ISR = "40/pagos/test-pago20-calc-isr-iva-ret-ieps53.xml";

/**
 * What each fixture's origin implies (fixtures SOURCES.md). Real, generated and calculator fixtures
 * are clean. The python-satcfdi test fixtures seal persona-física RFCs (XIQB891116QE4) with régimen
 * 601, which applies only to personas morales (and the tampered one a moral with 606), and the
 * nómina receptor is a persona moral with UsoCFDI CN01: SAT would reject those, so do we. The
 * calculator fixture 008 blanks both RFCs and the IdDocumento of its documents and leaves empty
 * bank accounts; its Totales are right.
 */
const EXPECTED: Record<string, string[]> = {
  "33/real-ingreso-2019-stamped.xml": [],
  "33/test-ingreso-USD-descuentos-signed.xml": [],
  "33/test-ingreso-persona-fisica-retenciones-stamped.xml": ["CFDI40141"],
  "33/test-pago10-usd.xml": [],
  "40/NEGATIVE-test-ingreso-tampered-sello-invalid.xml": ["CFDI40141"],
  [EGRESO]: [],
  [GLOBAL]: [],
  [ISR]: [],
  [MIXED]: [],
  "40/pagos/test-pago20-calc-usd-008.xml": [
    "CRP20225",
    "CRP20226",
    "attribute_required",
    "attribute_required",
    "attribute_required",
    "attribute_required",
    "rfc_invalid",
    "rfc_invalid",
  ],
  "40/pagos/test-pago20-retenciones-isr-iva-signed.xml": ["CFDI40141"],
  [PAGO]: [],
  [REAL]: [],
  "40/test-ingreso-EKU-descuento-stamped-finkok-demo.xml": [],
  [USD]: [],
  "40/test-ingreso-XIQB-persona-fisica-iva16-retenciones-stamped.xml": ["CFDI40141"],
  [ING]: [],
  "40/test-ingreso-rounding-iva-lines-100.05.xml": ["CFDI40141"],
  "40/test-nomina12-signed.xml": ["CFDI40141", "CFDI40161"],
};

describe("fixtures validate as their origin says", () => {
  const all = listCfdiFixtures().filter((rel) => !rel.startsWith("retenciones/"));

  it("covers every CFDI fixture", () => {
    expect(all.filter((rel) => !rel.includes("example-all-nodes")).sort()).toEqual(
      Object.keys(EXPECTED).sort(),
    );
  });

  for (const [rel, expected] of Object.entries(EXPECTED)) {
    it(rel, () => {
      const r = report(load(rel));
      expect(r.errors.map((e) => e.code).sort()).toEqual(expected);
      expect(r.valid).toBe(expected.length === 0);
    });
  }

  it("finds the nonsense values of the all-nodes example", () => {
    const r = report(load("40/example-all-nodes-nonsense-values-signed.xml"));
    expect(r.valid).toBe(false);
    expect(r.errors.map((e) => e.code)).toEqual(
      expect.arrayContaining([
        "CFDI40137",
        "CFDI40140",
        "CFDI40157",
        "CFDI40151",
        "CFDI40154",
        "CRP20104",
        "pagos_missing",
      ]),
    );
  });

  it("announces the reduced rule set for CFDI 3.3", () => {
    const r = report(load("33/real-ingreso-2019-stamped.xml"));
    expect(r.warnings.map((w) => w.code)).toContain("cfdi33_subset");
    expect(report(load(REAL)).warnings.map((w) => w.code)).not.toContain("cfdi33_subset");
  });

  it("points each issue at the attribute, 1-based like parse errors", () => {
    const r = report(load("40/test-nomina12-signed.xml"));
    expect(r.errors.find((e) => e.code === "CFDI40161")).toMatchObject({
      path: "Comprobante/Receptor/@UsoCFDI",
      message: expect.stringMatching(/persona moral/),
    });
  });
});

describe("Comprobante attributes", () => {
  it("Fecha pattern and calendar (CFDI40101)", () => {
    expect(codes(REAL, (c) => (c.Fecha = "2022-13-01T12:00:00"))).toEqual(["CFDI40101"]);
    expect(codes(REAL, (c) => (c.Fecha = "2022-02-30T12:00:00"))).toEqual(["CFDI40101"]);
    expect(codes(REAL, (c) => (c.Fecha = "2022-01-12 12:39:08"))).toEqual(["CFDI40101"]);
  });

  it("warns about a future Fecha and about 4.0 documents older than 4.0", () => {
    const future = load(REAL);
    future.Fecha = "2026-12-01T00:00:00";
    expect(report(future).warnings.map((w) => w.code)).toContain("fecha_in_future");
    const old = report(load("40/test-ingreso-rounding-iva-lines-100.05.xml"));
    expect(old.warnings.map((w) => w.code)).toContain("fecha_before_cfdi40");
  });

  it("FormaPago and MetodoPago (CFDI40104, CFDI40105, CFDI40124)", () => {
    expect(codes(REAL, (c) => (c.FormaPago = "98"))).toEqual(["CFDI40104"]);
    expect(codes(ING, (c) => (c.FormaPago = "03"))).toEqual(["CFDI40105"]);
    expect(codes(REAL, (c) => (c.MetodoPago = "PIP"))).toEqual(["CFDI40124"]);
  });

  it("Moneda and TipoCambio (CFDI40113–CFDI40117)", () => {
    expect(codes(REAL, (c) => (c.Moneda = "ABC"))).toEqual(["CFDI40113"]);
    expect(codes(REAL, (c) => (c.TipoCambio = "1"))).toEqual([]);
    expect(codes(REAL, (c) => (c.TipoCambio = "18.5"))).toEqual(["CFDI40114"]);
    expect(codes(USD, (c) => delete c.TipoCambio)).toEqual(["CFDI40115"]);
    expect(codes(USD, (c) => (c.TipoCambio = "18.90081234"))).toEqual(["CFDI40117"]);
  });

  it("Exportacion (CFDI40122, CFDI40123) and LugarExpedicion (CFDI40126)", () => {
    expect(codes(REAL, (c) => (c.Exportacion = "05"))).toEqual(["CFDI40123"]);
    expect(codes(REAL, (c) => (c.Exportacion = "02"))).toEqual(["CFDI40122"]);
    expect(codes(REAL, (c) => (c.LugarExpedicion = "5468"))).toEqual(["CFDI40126"]);
    const known = new Set(["54700"]);
    expect(codes(REAL, () => {}, { postalCodeExists: (cp) => known.has(cp) })).toEqual(["CFDI40126"]);
    known.add("54680");
    expect(codes(REAL, () => {}, { postalCodeExists: (cp) => known.has(cp) })).toEqual([]);
  });

  it("Confirmacion only when a limit is exceeded (CFDI40127)", () => {
    expect(codes(REAL, (c) => (c.Confirmacion = "ABC12"))).toEqual(["CFDI40127"]);
  });

  it("SubTotal, Descuento and Total (CFDI40107, CFDI40108, CFDI40112, CFDI40119)", () => {
    expect(codes(REAL, (c) => (c.SubTotal = "396.000"))).toEqual(["CFDI40107"]);
    expect(
      codes(REAL, (c) => {
        c.SubTotal = "396.01";
        c.Total = "459.37";
      }),
    ).toEqual(["CFDI40108"]);
    expect(codes(REAL, (c) => (c.Total = "459.35"))).toEqual(["CFDI40119"]);
    expect(codes(USD, (c) => (c.Descuento = "500.000"))).toEqual(["CFDI40112"]);
    expect(
      codes(USD, (c) => {
        c.Descuento = "400.00";
        c.Total = "3348.00";
      }),
    ).toEqual(["descuento_mismatch"]);
    expect(codes(REAL, (c) => (c.SubTotal = "39 6"))).toEqual(["amount_invalid"]);
  });

  it("includes impuestos locales in Total and checks their own sums", () => {
    expect(
      codes("33/real-ingreso-2019-stamped.xml", (c) => {
        const local = c.Complemento.find((x) => x.kind === "ImpuestosLocales");
        if (local?.kind === "ImpuestosLocales") local.data.TotaldeTraslados = "27.44";
      }),
    ).toEqual(["CFDI40119", "implocal_total_mismatch"]);
  });

  it("CFDI 3.3 gets the shared arithmetic", () => {
    expect(codes("33/test-ingreso-USD-descuentos-signed.xml", (c) => (c.Total = "1.00"))).toEqual([
      "CFDI40119",
    ]);
  });
});

describe("Traslado documents (tipo T)", () => {
  const traslado = (c: Cfdi) => {
    c.TipoDeComprobante = "T";
    delete c.FormaPago;
    delete c.MetodoPago;
    delete c.Impuestos;
    const concepto = first(c.Conceptos);
    delete concepto.Impuestos;
    concepto.ObjetoImp = "01";
    c.SubTotal = "0";
    c.Total = "0";
  };

  it("is clean with zero amounts and no payment data", () => {
    expect(codes(REAL, traslado)).toEqual([]);
  });

  it("refuses payment data and amounts (CFDI40103, CFDI40109, CFDI40119, CFDI40120, CFDI40125)", () => {
    expect(
      codes(
        REAL,
        then(traslado, (c) => (c.FormaPago = "01")),
      ),
    ).toEqual(["CFDI40103"]);
    expect(
      codes(
        REAL,
        then(traslado, (c) => (c.MetodoPago = "PUE")),
      ),
    ).toEqual(["CFDI40125"]);
    expect(
      codes(
        REAL,
        then(traslado, (c) => (c.SubTotal = "396.00")),
      ),
    ).toEqual(["CFDI40109"]);
    expect(
      codes(
        REAL,
        then(traslado, (c) => (c.Total = "1")),
      ),
    ).toEqual(["CFDI40119", "CFDI40120"]);
  });

  it("refuses document Impuestos (CFDI40201)", () => {
    const withTaxes = load(REAL);
    expect(
      codes(REAL, (c) => {
        traslado(c);
        c.Impuestos = withTaxes.Impuestos;
      }),
    ).toContain("CFDI40201");
  });
});

describe("Emisor and Receptor", () => {
  it("RFC shape and régimen vs persona (rfc_invalid, CFDI40140, CFDI40141)", () => {
    expect(codes(REAL, (c) => (c.Emisor.Rfc = "CSM190311AH"))).toEqual(["rfc_invalid"]);
    expect(codes(REAL, (c) => (c.Emisor.Rfc = "XAXX010101000"))).toEqual(["emisor_rfc_generic"]);
    expect(codes(REAL, (c) => (c.Emisor.RegimenFiscal = "999"))).toEqual(["CFDI40140"]);
    expect(codes(REAL, (c) => (c.Emisor.RegimenFiscal = "605"))).toEqual(["CFDI40141"]);
  });

  it("receptor régimen and UsoCFDI (CFDI40157, CFDI40158, CFDI40160, CFDI40161)", () => {
    expect(codes(REAL, (c) => (c.Receptor.RegimenFiscalReceptor = "999"))).toEqual(["CFDI40157"]);
    expect(codes(REAL, (c) => (c.Receptor.RegimenFiscalReceptor = "605"))).toEqual([
      "CFDI40158",
      "CFDI40161",
    ]);
    expect(codes(REAL, (c) => (c.Receptor.UsoCFDI = "Z99"))).toEqual(["CFDI40160"]);
    expect(codes(REAL, (c) => (c.Receptor.UsoCFDI = "D01"))).toEqual(["CFDI40161"]);
    // A persona física under 605 (salaries) cannot deduct G01 purchases.
    expect(codes(USD, (c) => (c.Receptor.RegimenFiscalReceptor = "605"))).toEqual(["CFDI40161"]);
  });

  describe("generic RFC XAXX010101000", () => {
    const generico = (c: Cfdi) => {
      c.Receptor.Rfc = "XAXX010101000";
      c.Receptor.Nombre = "JUAN PEREZ";
      c.Receptor.RegimenFiscalReceptor = "616";
      c.Receptor.UsoCFDI = "S01";
      c.Receptor.DomicilioFiscalReceptor = c.LugarExpedicion;
    };

    it("is accepted with régimen 616, S01 and the issuer's postal code", () => {
      const cfdi = load(REAL);
      generico(cfdi);
      const r = report(cfdi);
      expect(r.errors).toEqual([]);
      expect(r.warnings.map((w) => w.code)).toEqual(["receptor_publico_en_general_nombre"]);
    });

    it("enforces each of those (CFDI40149, CFDI40158, CFDI40161, receptor_generico_regimen)", () => {
      expect(
        codes(
          REAL,
          then(generico, (c) => (c.Receptor.DomicilioFiscalReceptor = "54700")),
        ),
      ).toEqual(["CFDI40149"]);
      expect(
        codes(
          REAL,
          then(generico, (c) => (c.Receptor.UsoCFDI = "G03")),
        ),
      ).toEqual(["CFDI40161"]);
      expect(
        codes(
          REAL,
          then(generico, (c) => (c.Receptor.RegimenFiscalReceptor = "601")),
        ),
      ).toEqual(["CFDI40158"]);
      expect(
        codes(
          REAL,
          then(generico, (c) => (c.Receptor.RegimenFiscalReceptor = "605")),
        ),
      ).toEqual(["receptor_generico_regimen"]);
    });

    it('requires InformacionGlobal for "PUBLICO EN GENERAL" (CFDI40130)', () => {
      expect(
        codes(
          REAL,
          then(generico, (c) => (c.Receptor.Nombre = "PUBLICO EN GENERAL")),
        ),
      ).toEqual(["CFDI40130"]);
      expect(codes(GLOBAL, (c) => delete c.InformacionGlobal)).toEqual(["CFDI40130"]);
    });
  });

  describe("InformacionGlobal", () => {
    const global = (c: Cfdi) => {
      if (!c.InformacionGlobal) throw new Error("not a global invoice");
      return c.InformacionGlobal;
    };
    it("checks periodicity, months and year (CFDI40131–CFDI40136)", () => {
      expect(codes(GLOBAL, (c) => (global(c).Periodicidad = "09"))).toEqual(["CFDI40131"]);
      expect(codes(GLOBAL, (c) => (global(c).Periodicidad = "05"))).toEqual(["CFDI40132", "CFDI40135"]);
      expect(codes(GLOBAL, (c) => (global(c).Meses = "19"))).toEqual(["CFDI40133"]);
      expect(codes(GLOBAL, (c) => (global(c).Meses = "13"))).toEqual(["CFDI40134"]);
      expect(codes(GLOBAL, (c) => (global(c).Año = "2025"))).toEqual([]);
      expect(codes(GLOBAL, (c) => (global(c).Año = "2024"))).toEqual(["CFDI40136"]);
    });
    it("belongs to the público en general only", () => {
      expect(codes(GLOBAL, (c) => (c.Receptor.Nombre = "JUAN PEREZ"))).toEqual([
        "informacion_global_receptor",
      ]);
    });
  });

  describe("foreign receptor XEXX010101000", () => {
    const extranjero = (c: Cfdi) => {
      c.Receptor.Rfc = "XEXX010101000";
      c.Receptor.Nombre = "ACME INC";
      c.Receptor.RegimenFiscalReceptor = "616";
      c.Receptor.UsoCFDI = "S01";
      c.Receptor.DomicilioFiscalReceptor = c.LugarExpedicion;
      c.Receptor.ResidenciaFiscal = "USA";
    };
    const withComercioExterior = (c: Cfdi) => {
      c.Complemento.push({
        kind: "other",
        node: {
          name: "ComercioExterior",
          prefix: "cce20",
          namespace: "http://www.sat.gob.mx/ComercioExterior20",
          attributes: {},
          children: [],
          text: "",
        },
      });
    };

    it("checks ResidenciaFiscal and NumRegIdTrib (CFDI40150–CFDI40156)", () => {
      expect(codes(REAL, extranjero)).toEqual([]);
      expect(
        codes(
          REAL,
          then(extranjero, (c) => (c.Receptor.ResidenciaFiscal = "ABC")),
        ),
      ).toEqual(["CFDI40150"]);
      expect(
        codes(
          REAL,
          then(extranjero, (c) => (c.Receptor.ResidenciaFiscal = "MEX")),
        ),
      ).toEqual(["CFDI40152"]);
      expect(codes(REAL, (c) => (c.Receptor.ResidenciaFiscal = "USA"))).toEqual(["CFDI40151"]);
      expect(codes(REAL, (c) => (c.Receptor.NumRegIdTrib = "123456789"))).toEqual(["CFDI40154"]);
      expect(
        codes(REAL, (c) => {
          extranjero(c);
          delete c.Receptor.ResidenciaFiscal;
          c.Receptor.NumRegIdTrib = "123456789";
        }),
      ).toEqual(["CFDI40153"]);
      expect(
        codes(
          REAL,
          then(extranjero, (c) => (c.Receptor.NumRegIdTrib = "123456789")),
        ),
      ).toEqual(["CFDI40155"]);
      expect(
        codes(
          REAL,
          then(extranjero, withComercioExterior, (c) => (c.Receptor.NumRegIdTrib = "123456789")),
        ),
      ).toEqual([]);
      expect(
        codes(
          REAL,
          then(extranjero, withComercioExterior, (c) => (c.Receptor.NumRegIdTrib = "12AB")),
        ),
      ).toEqual(["CFDI40156"]);
    });

    it("warns when a foreign receptor omits ResidenciaFiscal", () => {
      const cfdi = load(REAL);
      extranjero(cfdi);
      delete cfdi.Receptor.ResidenciaFiscal;
      expect(report(cfdi).warnings.map((w) => w.code)).toContain("residencia_fiscal_missing");
    });
  });

  it("CfdiRelacionados (CFDI40137, uuid_invalid)", () => {
    expect(codes(EGRESO, (c) => (first(c.CfdiRelacionados).TipoRelacion = "99"))).toEqual(["CFDI40137"]);
    expect(codes(EGRESO, (c) => (first(c.CfdiRelacionados).CfdiRelacionado = ["not-a-uuid"]))).toEqual([
      "uuid_invalid",
    ]);
  });
});

describe("Conceptos", () => {
  it("product and unit keys (CFDI40162, CFDI40165)", () => {
    expect(codes(ING, (c) => (first(c.Conceptos).ClaveProdServ = "8411150"))).toEqual(["CFDI40162"]);
    expect(codes(ING, () => {}, { productKeyExists: () => false })).toEqual(["CFDI40162"]);
    expect(codes(ING, () => {}, { productKeyExists: (k) => k === "84111506" })).toEqual([]);
    expect(codes(ING, (c) => (first(c.Conceptos).ClaveUnidad = "ZZZ"))).toEqual(["CFDI40165"]);
  });

  it("ValorUnitario and the Importe tolerance (CFDI40166, CFDI40167)", () => {
    expect(codes(ING, (c) => (first(c.Conceptos).ValorUnitario = "0"))).toContain("CFDI40166");
    expect(codes(REAL, (c) => (first(c.Conceptos).Cantidad = "2.00"))).toEqual(["CFDI40167"]);
    // 1200.00 × 0.33 = 396; the tolerance of written decimals admits 396.01 but not 402.02.
    expect(codes(REAL, (c) => (first(c.Conceptos).Cantidad = "1200"))).toEqual([]);
  });

  it("concept Descuento (CFDI40168, CFDI40169)", () => {
    expect(codes(USD, (c) => (first(c.Conceptos).Descuento = "500.0"))).toEqual(["CFDI40168"]);
    expect(codes(USD, (c) => (first(c.Conceptos).Descuento = "2500"))).toContain("CFDI40169");
  });

  it("ObjetoImp and the concept's Impuestos (CFDI40170–CFDI40173)", () => {
    const sinImpuestos = (c: Cfdi) => {
      delete first(c.Conceptos).Impuestos;
      delete c.Impuestos;
      c.Total = c.SubTotal;
    };
    expect(codes(REAL, (c) => (first(c.Conceptos).ObjetoImp = "09"))).toEqual(["CFDI40170"]);
    expect(codes(REAL, (c) => (first(c.Conceptos).ObjetoImp = "01"))).toEqual(["CFDI40172"]);
    expect(codes(REAL, sinImpuestos)).toEqual(["CFDI40171"]);
    expect(
      codes(
        REAL,
        then(sinImpuestos, (c) => (first(c.Conceptos).ObjetoImp = "01")),
      ),
    ).toEqual([]);
    expect(codes(REAL, (c) => (first(c.Conceptos).Impuestos = { Traslados: [] }))).toContain("CFDI40173");
  });

  it("honours the validity of catalog keys at the document date", () => {
    const objeto04 = (c: Cfdi) => {
      delete first(c.Conceptos).Impuestos;
      delete c.Impuestos;
      c.Total = c.SubTotal;
      first(c.Conceptos).ObjetoImp = "04";
    };
    // c_ObjetoImp 04 is in force from 2022-10-07; the document is of 2022-01-12.
    expect(codes(REAL, objeto04)).toEqual(["CFDI40170"]);
    expect(
      codes(
        REAL,
        then(objeto04, (c) => (c.Fecha = "2023-01-12T12:39:08")),
      ),
    ).toEqual([]);
  });

  it("traslado rules (CFDI40175, CFDI40177, CFDI40179, CFDI40180)", () => {
    const traslado = (c: Cfdi) => first(first(c.Conceptos).Impuestos?.Traslados);
    expect(codes(ING, (c) => (traslado(c).Impuesto = "001"))).toContain("CFDI40175");
    expect(codes(ING, (c) => (traslado(c).TipoFactor = "Exento"))).toContain("CFDI40177");
    expect(codes(ING, (c) => (traslado(c).TasaOCuota = "0.150000"))).toContain("CFDI40179");
    expect(
      codes(ING, (c) => {
        // Base 1250.30 × 0.16 = 200.048: 200.04–200.05 pass, 200.07 does not.
        traslado(c).Importe = "200.07";
        first(c.Impuestos?.Traslados).Importe = "200.07";
        if (c.Impuestos) c.Impuestos.TotalImpuestosTrasladados = "200.07";
        c.Total = "1191.97";
      }),
    ).toEqual(["CFDI40180"]);
    expect(
      codes(ING, (c) => {
        traslado(c).Importe = "200.04";
        first(c.Impuestos?.Traslados).Importe = "200.04";
        if (c.Impuestos) c.Impuestos.TotalImpuestosTrasladados = "200.04";
        c.Total = "1191.94";
      }),
    ).toEqual([]);
  });

  it("retención rules (CFDI40184, CFDI40185, CFDI40186)", () => {
    const isr = (c: Cfdi) => first(first(c.Conceptos).Impuestos?.Retenciones);
    expect(codes(ING, (c) => (isr(c).TipoFactor = "Exento"))).toContain("CFDI40184");
    expect(codes(ING, (c) => (isr(c).TasaOCuota = "0.400000"))).toContain("CFDI40185");
    expect(
      codes(ING, (c) => {
        isr(c).Importe = "125.10";
        first(c.Impuestos?.Retenciones).Importe = "125.10";
        if (c.Impuestos) c.Impuestos.TotalImpuestosRetenidos = "258.47";
        c.Total = "1191.88";
      }),
    ).toEqual(["CFDI40186"]);
  });

  it("pedimento numbers (CFDI40194)", () => {
    expect(
      codes(REAL, (c) =>
        first(c.Conceptos).InformacionAduanera.push({ NumeroPedimento: "15 48 4567 6001234" }),
      ),
    ).toEqual(["CFDI40194"]);
    expect(
      codes(REAL, (c) =>
        first(c.Conceptos).InformacionAduanera.push({ NumeroPedimento: "15  48  4567  6001234" }),
      ),
    ).toEqual([]);
  });
});

describe("document Impuestos", () => {
  const imp = (c: Cfdi) => {
    if (!c.Impuestos) throw new Error("fixture without Impuestos");
    return c.Impuestos;
  };

  it("grouped traslado equals the rounded sum of the concepts (CFDI40215, CFDI40221)", () => {
    expect(
      codes(ING, (c) => {
        first(imp(c).Traslados).Importe = "200.06";
        imp(c).TotalImpuestosTrasladados = "200.06";
        c.Total = "1191.96";
      }),
    ).toEqual(["CFDI40221"]);
    expect(codes(ING, (c) => (first(imp(c).Traslados).Base = "1250.31"))).toEqual(["CFDI40215"]);
    expect(codes(ING, (c) => (first(imp(c).Traslados).Importe = "200.050"))).toEqual(["CFDI40220"]);
    expect(codes(ING, (c) => delete first(imp(c).Traslados).Importe)).toContain("CFDI40221");
  });

  it("one group per Impuesto/TipoFactor/TasaOCuota, none missing (CFDI40218, CFDI40211)", () => {
    expect(codes(ING, (c) => imp(c).Traslados?.push({ ...first(imp(c).Traslados) }))).toContain("CFDI40218");
    expect(codes(ING, (c) => imp(c).Retenciones?.pop())).toContain("CFDI40211");
  });

  it("totals equal the sums of the groups (CFDI40203, CFDI40205, CFDI40212)", () => {
    expect(
      codes(ING, (c) => {
        imp(c).TotalImpuestosTrasladados = "200.06";
        c.Total = "1191.96";
      }),
    ).toEqual(["CFDI40205"]);
    expect(
      codes(ING, (c) => {
        imp(c).TotalImpuestosRetenidos = "258.41";
        c.Total = "1191.94";
      }),
    ).toEqual(["CFDI40203"]);
    expect(codes(ING, (c) => delete imp(c).TotalImpuestosTrasladados)).toEqual(["CFDI40119", "CFDI40212"]);
  });
});

describe("CFDI de pago and Pagos 2.0", () => {
  it("fixes the Comprobante and Concepto of a payment receipt (CRP201xx)", () => {
    expect(codes(PAGO, (c) => (c.FormaPago = "03"))).toEqual(["CRP20105"]);
    expect(codes(PAGO, (c) => (c.Moneda = "MXN"))).toEqual(["CRP20104"]);
    expect(codes(PAGO, (c) => (c.SubTotal = "1"))).toEqual(["CRP20103"]);
    expect(codes(PAGO, (c) => (c.Total = "1"))).toEqual(["CRP20110"]);
    expect(codes(PAGO, (c) => (c.TipoCambio = "1"))).toEqual(["CRP20109"]);
    expect(codes(PAGO, (c) => (c.Exportacion = "02"))).toEqual(["CRP20102"]);
    expect(codes(PAGO, (c) => (first(c.Conceptos).ClaveProdServ = "01010101"))).toEqual(["CRP20113"]);
    expect(codes(PAGO, (c) => (first(c.Conceptos).Cantidad = "2"))).toEqual(["CRP20115"]);
    expect(codes(PAGO, (c) => (first(c.Conceptos).Descripcion = "pago"))).toEqual(["CRP20118"]);
    expect(codes(PAGO, (c) => (first(c.Conceptos).ObjetoImp = "02"))).toEqual(["CRP20122"]);
    expect(codes(PAGO, (c) => (c.Receptor.UsoCFDI = "G03"))).toEqual(["CFDI40161"]);
    expect(codes(PAGO, (c) => (c.TipoDeComprobante = "I"))).toContain("CRP20101");
  });

  it("Totales are the payments' amounts in MXN, rounded (CRP20201–CRP20211)", () => {
    expect(codes(PAGO, (c) => (pagos(c).Totales.MontoTotalPagos = "15000.01"))).toEqual(["CRP20211"]);
    expect(codes(PAGO, (c) => (pagos(c).Totales.TotalTrasladosBaseIVA16 = "12931.05"))).toEqual(["CRP20204"]);
    expect(codes(PAGO, (c) => delete pagos(c).Totales.TotalTrasladosImpuestoIVA16)).toEqual(["CRP20205"]);
    expect(codes(PAGO, (c) => (pagos(c).Totales.TotalRetencionesISR = "1.00"))).toEqual(["CRP20202"]);
    // Mixed fixture: MXN and USD payments (TipoCambioP 17.3608); 2066.578207… rounds to 2066.58.
    expect(codes(MIXED, (c) => (pagos(c).Totales.TotalTrasladosBaseIVA16 = "2066.57"))).toEqual(["CRP20204"]);
    expect(codes(ISR, (c) => (pagos(c).Totales.TotalRetencionesIVA = "2.84"))).toEqual(["CRP20201"]);
  });

  it("per payment: forma, moneda, tipo de cambio, Monto (CRP20212–CRP20219)", () => {
    const pago = (c: Cfdi) => first(pagos(c).Pago);
    expect(codes(PAGO, (c) => (pago(c).FormaDePagoP = "99"))).toEqual(["CRP20212"]);
    expect(codes(PAGO, (c) => (pago(c).MonedaP = "XXX"))).toContain("CRP20213");
    expect(codes(PAGO, (c) => (pago(c).TipoCambioP = "2"))).toContain("CRP20215");
    expect(codes(MIXED, (c) => delete pagos(c).Pago[1]?.TipoCambioP)).toEqual(["CRP20214"]);
    expect(
      codes(PAGO, (c) => {
        pago(c).Monto = "14999.99";
        pagos(c).Totales.MontoTotalPagos = "14999.99";
      }),
    ).toEqual(["CRP20217"]);
    expect(codes(PAGO, (c) => (pago(c).Monto = "0"))).toContain("CRP20218");
    expect(
      codes(PAGO, (c) => {
        pago(c).Monto = "15000.001";
        pagos(c).Totales.MontoTotalPagos = "15000.00";
      }),
    ).toEqual(["CRP20219"]);
  });

  it("bank accounts follow c_FormaPago (CRP20225, CRP20226)", () => {
    const pago = (c: Cfdi) => first(pagos(c).Pago);
    expect(codes(PAGO, (c) => (pago(c).CtaOrdenante = "123"))).toEqual(["CRP20225"]);
    expect(codes(PAGO, (c) => (pago(c).CtaBeneficiario = "12"))).toEqual(["CRP20226"]);
    expect(codes(PAGO, (c) => (pago(c).FormaDePagoP = "01"))).toEqual(["CRP20224", "CRP20227", "CRP20228"]);
  });

  it("per document: balances and EquivalenciaDR (CRP20237, CRP20238, CRP20244)", () => {
    const docto = (c: Cfdi) => first(first(pagos(c).Pago).DoctoRelacionado);
    expect(codes(PAGO, (c) => (docto(c).ImpSaldoInsoluto = "1"))).toEqual(["CRP20244"]);
    expect(codes(PAGO, (c) => (docto(c).EquivalenciaDR = "2"))).toContain("CRP20238");
    expect(
      codes(PAGO, (c) => {
        docto(c).MonedaDR = "USD";
        delete docto(c).EquivalenciaDR;
      }),
    ).toContain("CRP20237");
  });

  it("per document taxes (CRP20246, CRP20247, CRP20261)", () => {
    const docto = (c: Cfdi) => first(first(pagos(c).Pago).DoctoRelacionado);
    expect(codes(PAGO, (c) => (docto(c).ObjetoImpDR = "01"))).toContain("CRP20247");
    expect(codes(PAGO, (c) => delete docto(c).ImpuestosDR)).toContain("CRP20246");
    // BaseDR 10344.83 × 0.16 = 1655.1728: ImporteDR 1655.20 is out of tolerance.
    expect(codes(PAGO, (c) => (first(docto(c).ImpuestosDR?.TrasladosDR).ImporteDR = "1655.20"))).toContain(
      "CRP20261",
    );
  });

  it("ImpuestosP are the documents' taxes in MonedaP (CRP20265, CRP20268, CRP20274)", () => {
    const trasladoP = (c: Cfdi) => first(first(pagos(c).Pago).ImpuestosP?.TrasladosP);
    expect(codes(PAGO, (c) => (trasladoP(c).BaseP = "12931.05"))).toEqual(["CRP20204", "CRP20268"]);
    expect(codes(PAGO, (c) => (trasladoP(c).ImporteP = "2068.97"))).toEqual(["CRP20205", "CRP20274"]);
    expect(
      codes(ISR, (c) => (first(first(pagos(c).Pago).ImpuestosP?.RetencionesP).ImporteP = "2.9000")),
    ).toEqual(["CRP20201", "CRP20265"]);
    // USD payment of MXN documents: 598.645974 / 17.36075 = 34.482725…
    expect(
      codes(MIXED, (c) => (first(pagos(c).Pago[1]?.ImpuestosP?.TrasladosP).BaseP = "34.482800")),
    ).toEqual(["CRP20268"]);
  });

  it("Pagos 1.0 balances and Monto", () => {
    const docto = (c: Cfdi) => {
      const p = complemento(c, "Pagos10");
      return first(first(p?.Pago).DoctoRelacionado);
    };
    expect(codes("33/test-pago10-usd.xml", (c) => (docto(c).ImpSaldoInsoluto = "8107.00"))).toEqual([
      "saldo_insoluto_mismatch",
    ]);
    expect(
      codes("33/test-pago10-usd.xml", (c) => {
        docto(c).ImpPagado = "101";
        docto(c).ImpSaldoInsoluto = "8107.00";
      }),
    ).toEqual(["monto_insuficiente"]);
  });
});
