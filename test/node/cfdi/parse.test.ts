// parseCfdi and parseXml: every fixture maps to the values in its XML, prefixes don't matter,
// and hostile or broken input is refused with the documented code.
import { describe, expect, it } from "vitest";
import { complemento, timbre } from "../../../shared/cfdi/model";
import { parseCfdi } from "../../../shared/cfdi/parse";
import { parseXml, XML_LIMITS } from "../../../shared/cfdi/xml";
import { AppError } from "../../../shared/errors";
import { listCfdiFixtures, readFixture, readFixtureText } from "../helpers/fixtures";

/** The AppError `fn` throws (fails the test when it returns or throws something else). */
function appError(fn: () => unknown): AppError {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(AppError);
    return e as AppError;
  }
  throw new Error("expected an AppError, nothing was thrown");
}

const codeOf = (fn: () => unknown) => appError(fn).code;

// Values read off the fixture files by hand (UUID of the stamp, Total, conceptos, pagos, documents).
const EXPECTED: Record<
  string,
  {
    version: "3.3" | "4.0";
    tipo: string;
    total: string;
    conceptos: number;
    uuid?: string;
    pagos?: number;
    doctos?: number;
  }
> = {
  "33/real-ingreso-2019-stamped.xml": {
    version: "3.3",
    tipo: "I",
    total: "2010.01",
    conceptos: 2,
    uuid: "CEE4BE01-ADFA-4DEB-8421-ADD60F0BEDAC",
  },
  "33/test-ingreso-USD-descuentos-signed.xml": { version: "3.3", tipo: "I", total: "3248.00", conceptos: 3 },
  "33/test-ingreso-persona-fisica-retenciones-stamped.xml": {
    version: "3.3",
    tipo: "I",
    total: "14672.08",
    conceptos: 1,
    uuid: "6d7434a6-e3f2-47ad-9e4c-08849946afa0",
  },
  "33/test-pago10-usd.xml": { version: "3.3", tipo: "P", total: "0", conceptos: 1, pagos: 1, doctos: 1 },
  "40/NEGATIVE-test-ingreso-tampered-sello-invalid.xml": {
    version: "4.0",
    tipo: "I",
    total: "17852.75",
    conceptos: 1,
    uuid: "6e546729-960a-4505-8e81-2d2952145bd9",
  },
  "40/example-all-nodes-nonsense-values-signed.xml": {
    version: "4.0",
    tipo: "P",
    total: "1500",
    conceptos: 3,
    uuid: "499e9a70-36ac-448a-bbd9-f3f52102e4be",
  },
  "40/generated/generated-egreso-nota-credito-relacion01-signed.xml": {
    version: "4.0",
    tipo: "E",
    total: "580.00",
    conceptos: 1,
  },
  "40/generated/generated-factura-global-publico-en-general-signed.xml": {
    version: "4.0",
    tipo: "I",
    total: "174.00",
    conceptos: 2,
  },
  "40/pagos/test-pago20-calc-isr-iva-ret-ieps53.xml": {
    version: "4.0",
    tipo: "P",
    total: "0",
    conceptos: 1,
    pagos: 1,
    doctos: 1,
  },
  "40/pagos/test-pago20-calc-mixed-iva16-0-exento.xml": {
    version: "4.0",
    tipo: "P",
    total: "0",
    conceptos: 1,
    pagos: 2,
    doctos: 5,
  },
  "40/pagos/test-pago20-calc-usd-008.xml": {
    version: "4.0",
    tipo: "P",
    total: "0",
    conceptos: 1,
    pagos: 1,
    doctos: 4,
  },
  "40/pagos/test-pago20-retenciones-isr-iva-signed.xml": {
    version: "4.0",
    tipo: "P",
    total: "0",
    conceptos: 1,
    pagos: 1,
    doctos: 1,
  },
  "40/pagos/test-pago20-signed.xml": {
    version: "4.0",
    tipo: "P",
    total: "0",
    conceptos: 1,
    pagos: 1,
    doctos: 2,
  },
  "40/real-ingreso-CSM190311AH6-2022-stamped.xml": {
    version: "4.0",
    tipo: "I",
    total: "459.36",
    conceptos: 1,
    uuid: "04BF2854-FE7D-4377-9196-71248F060ABB",
  },
  "40/test-ingreso-EKU-descuento-stamped-finkok-demo.xml": {
    version: "4.0",
    tipo: "I",
    total: "3327.01",
    conceptos: 1,
    uuid: "6F35D3B5-3651-5370-BC2C-14CDBE384CD7",
  },
  "40/test-ingreso-USD-descuentos-signed.xml": { version: "4.0", tipo: "I", total: "3248.00", conceptos: 3 },
  "40/test-ingreso-XIQB-persona-fisica-iva16-retenciones-stamped.xml": {
    version: "4.0",
    tipo: "I",
    total: "14672.08",
    conceptos: 1,
    uuid: "6d7434a6-e3f2-47ad-9e4c-08849946afa0",
  },
  "40/test-ingreso-retenciones-isr-iva-stamped-finkok-demo.xml": {
    version: "4.0",
    tipo: "I",
    total: "1191.95",
    conceptos: 1,
    uuid: "1E5A6E1B-9C1B-5319-BFED-123BD143A310",
  },
  "40/test-ingreso-rounding-iva-lines-100.05.xml": {
    version: "4.0",
    tipo: "I",
    total: "696.35",
    conceptos: 6,
  },
  "40/test-nomina12-signed.xml": { version: "4.0", tipo: "N", total: "300.17", conceptos: 1 },
};

describe("parseCfdi on the fixture corpus", () => {
  const cfdiFixtures = listCfdiFixtures().filter((f) => !f.startsWith("retenciones/"));

  it("has an expectation for every CFDI fixture", () => {
    expect(cfdiFixtures.sort()).toEqual(Object.keys(EXPECTED).sort());
  });

  it.each(cfdiFixtures)("%s", (rel) => {
    const expected = EXPECTED[rel]!;
    const cfdi = parseCfdi(readFixture("cfdi", rel));
    expect(cfdi.Version).toBe(expected.version);
    expect(cfdi.TipoDeComprobante).toBe(expected.tipo);
    expect(cfdi.Total).toBe(expected.total);
    expect(cfdi.Conceptos).toHaveLength(expected.conceptos);
    expect(timbre(cfdi)?.UUID).toBe(expected.uuid);
    const pagos = complemento(cfdi, "Pagos20") ?? complemento(cfdi, "Pagos10");
    expect(pagos?.Pago.length).toBe(expected.pagos);
    if (expected.doctos !== undefined) {
      expect(pagos!.Pago.reduce((n, p) => n + p.DoctoRelacionado.length, 0)).toBe(expected.doctos);
    }
    // Text and bytes give the same model.
    expect(parseCfdi(readFixtureText("cfdi", rel))).toEqual(cfdi);
  });

  it("maps every node of the 'all nodes' 4.0 example", () => {
    const cfdi = parseCfdi(readFixture("cfdi", "40/example-all-nodes-nonsense-values-signed.xml"));
    expect(cfdi).toMatchObject({
      Serie: "A",
      Folio: "123ABC",
      Exportacion: "03",
      Confirmacion: "A1234",
      TipoCambio: "1.0",
      NoCertificado: "30001000000300023708",
      InformacionGlobal: { Periodicidad: "05", Meses: "18", Año: "2021" },
      CfdiRelacionados: [{ TipoRelacion: "09", CfdiRelacionado: ["ED1752FE-E865-4FF2-BFE1-0F552E770DC9"] }],
      Emisor: {
        Rfc: "AAA010101AAA",
        Nombre: "Esta es una demostración",
        RegimenFiscal: "630",
        FacAtrAdquirente: "0123456789",
      },
      Receptor: {
        Rfc: "BASJ600902KL9",
        ResidenciaFiscal: "MEX",
        NumRegIdTrib: "0000000000000",
        UsoCFDI: "S01",
      },
      Impuestos: {
        TotalImpuestosRetenidos: "247500",
        TotalImpuestosTrasladados: "360000",
        Retenciones: [
          { Impuesto: "001", Importe: "247000" },
          { Impuesto: "003", Importe: "500" },
        ],
        Traslados: [
          { Base: "1.00", Impuesto: "002", TipoFactor: "Tasa", TasaOCuota: "1.600000", Importe: "360000" },
        ],
      },
    });
    const [first, second, third] = cfdi.Conceptos;
    expect(first!.Impuestos!.Traslados![0]).toEqual({
      Base: "2250000",
      Impuesto: "002",
      TipoFactor: "Tasa",
      TasaOCuota: "1.600000",
      Importe: "360000",
    });
    expect(first!.Impuestos!.Retenciones![0]!.TasaOCuota).toBe("0.300000");
    expect(first!.CuentaPredial).toEqual([{ Numero: "51888" }]);
    expect(second!.ACuentaTerceros).toEqual({
      RfcACuentaTerceros: "AAA010101AAA",
      NombreACuentaTerceros: "NombreACuentaTerceros",
      RegimenFiscalACuentaTerceros: "630",
      DomicilioFiscalACuentaTerceros: "99999",
    });
    // Inner spaces of the pedimento number are kept: only the cadena normalizes them.
    expect(second!.InformacionAduanera).toEqual([{ NumeroPedimento: "15  48  4567  6001234" }]);
    expect(third!.Descuento).toBe("0");
    expect(third!.Parte).toEqual([
      {
        ClaveProdServ: "25201513",
        NoIdentificacion: "055155",
        Cantidad: "1.0",
        Unidad: "UNIDAD",
        Descripcion: "PARTE EJEMPLO",
        ValorUnitario: "1.00",
        Importe: "1.00",
        InformacionAduanera: [{ NumeroPedimento: "15  48  4567  6001235" }],
      },
    ]);
    expect(timbre(cfdi)).toMatchObject({
      Version: "1.1",
      RfcProvCertif: "PUT211201AX4",
      NoCertificadoSAT: "30001000000300023699",
    });
    expect(cfdi.missingAttributes).toEqual([]);
  });

  it("types Pagos 2.0 down to the taxes of each related document", () => {
    const cfdi = parseCfdi(readFixture("cfdi", "40/pagos/test-pago20-calc-mixed-iva16-0-exento.xml"));
    const pagos = complemento(cfdi, "Pagos20")!;
    expect(pagos.Version).toBe("2.0");
    expect(pagos.Totales.MontoTotalPagos).toBeTruthy();
    const traslados = pagos.Pago.flatMap((p) =>
      p.DoctoRelacionado.flatMap((d) => d.ImpuestosDR?.TrasladosDR ?? []),
    );
    expect(new Set(traslados.map((t) => t.TipoFactorDR))).toEqual(new Set(["Tasa", "Exento"]));
    // Exento carries neither rate nor amount.
    expect(traslados.find((t) => t.TipoFactorDR === "Exento")).toMatchObject({
      TasaOCuotaDR: undefined,
      ImporteDR: undefined,
    });
    expect(pagos.Pago.every((p) => (p.ImpuestosP?.TrasladosP?.length ?? 0) > 0)).toBe(true);
  });

  it("types Pagos 1.0 and implocal in 3.3 documents", () => {
    const pago10 = complemento(parseCfdi(readFixture("cfdi", "33/test-pago10-usd.xml")), "Pagos10")!;
    expect(pago10.Version).toBe("1.0");
    expect(pago10.Pago[0]).toMatchObject({
      MonedaP: "MXN",
      Monto: "2000",
      CtaBeneficiario: "123456789012345678",
    });
    expect(pago10.Pago[0]!.DoctoRelacionado).toEqual([
      {
        IdDocumento: "D72829D8-ADCD-4457-935F-B7168A488850",
        Serie: "A",
        Folio: "23245",
        MonedaDR: "USD",
        TipoCambioDR: "0.05",
        MetodoDePagoDR: "PPD",
        NumParcialidad: "4",
        ImpSaldoAnt: "8208.00",
        ImpPagado: "100",
        ImpSaldoInsoluto: "8108.00",
      },
    ]);

    const real = parseCfdi(readFixture("cfdi", "33/real-ingreso-2019-stamped.xml"));
    expect(complemento(real, "ImpuestosLocales")).toEqual({
      version: "1.0",
      TotaldeRetenciones: "0.00",
      TotaldeTraslados: "27.43",
      RetencionesLocales: [],
      TrasladosLocales: [{ ImpLocTrasladado: "IH", TasadeTraslado: "2.50", Importe: "27.43" }],
    });
    // Document order of the complements is kept.
    expect(real.Complemento.map((c) => c.kind)).toEqual(["ImpuestosLocales", "TimbreFiscalDigital"]);
  });

  it("keeps unknown complements as raw nodes in document order", () => {
    const cfdi = parseCfdi(readFixture("cfdi", "40/test-nomina12-signed.xml"));
    const [nomina] = cfdi.Complemento;
    expect(nomina!.kind).toBe("other");
    expect(nomina!.node).toMatchObject({
      name: "Nomina",
      prefix: "nomina12",
      namespace: "http://www.sat.gob.mx/nomina12",
      attributes: { Version: "1.2" },
    });
    expect(nomina!.node.children.map((c) => c.name)).toEqual([
      "Emisor",
      "Receptor",
      "Percepciones",
      "Deducciones",
      "OtrosPagos",
      "Incapacidades",
    ]);
    expect(nomina!.node.attributes).not.toHaveProperty("xmlns:nomina12");
  });

  it("decodes entity references in attribute values", () => {
    const negative = parseCfdi(readFixture("cfdi", "40/NEGATIVE-test-ingreso-tampered-sello-invalid.xml"));
    expect(negative.Emisor.Rfc).toBe("H&E951128469");
    expect(negative.Emisor.Nombre).toBe("HERRERIA & ELECTRICOS S DE CV");
    const usd = parseCfdi(readFixture("cfdi", "40/test-ingreso-USD-descuentos-signed.xml"));
    expect(usd.Conceptos[1]!.Descripcion).toBe('Pantalla led 3x4" con entrada HDMI');
  });

  it("lists required attributes that are absent instead of refusing the document", () => {
    // This unsigned calculator fixture has DoctoRelacionado without IdDocumento and no Sello.
    const cfdi = parseCfdi(readFixture("cfdi", "40/pagos/test-pago20-calc-usd-008.xml"));
    expect(cfdi.Sello).toBeUndefined();
    expect(cfdi.Certificado).toBeUndefined();
    expect(cfdi.missingAttributes).toContain(
      "Comprobante/Complemento/Pagos/Pago[1]/DoctoRelacionado[1]/@IdDocumento",
    );
    expect(complemento(cfdi, "Pagos20")!.Pago[0]!.DoctoRelacionado[0]!.IdDocumento).toBe("");
  });
});

describe("parseCfdi namespace handling", () => {
  const xml = readFixtureText("cfdi", "40/real-ingreso-CSM190311AH6-2022-stamped.xml");
  const reference = parseCfdi(xml);

  it("matches on namespace URI, whatever the prefixes", () => {
    const renamed = xml
      .replaceAll("cfdi:", "c4:")
      .replaceAll("xmlns:cfdi=", "xmlns:c4=")
      .replaceAll("tfd:", "t:")
      .replaceAll("xmlns:tfd=", "xmlns:t=");
    expect(renamed).not.toContain("cfdi:");
    const cfdi = parseCfdi(renamed);
    expect(cfdi.Total).toBe(reference.Total);
    expect(timbre(cfdi)?.UUID).toBe("04BF2854-FE7D-4377-9196-71248F060ABB");
    expect(cfdi.Conceptos).toEqual(reference.Conceptos);
  });

  it("accepts the CFDI namespace as the default namespace", () => {
    const unprefixed = xml.replaceAll("cfdi:", "").replace("xmlns:cfdi=", "xmlns=");
    const cfdi = parseCfdi(unprefixed);
    expect(cfdi.Emisor).toEqual(reference.Emisor);
    expect(cfdi.Conceptos).toEqual(reference.Conceptos);
  });

  it("ignores elements whose prefix is bound to another namespace", () => {
    const foreign = xml
      .replace("<cfdi:Comprobante ", '<cfdi:Comprobante xmlns:x="urn:example" ')
      .replace("<cfdi:Emisor ", '<x:Emisor Rfc="XXX010101XXX" Nombre="X" RegimenFiscal="601"/><cfdi:Emisor ');
    expect(parseCfdi(foreign).Emisor).toEqual(reference.Emisor);
  });
});

describe("parseCfdi refusals", () => {
  const xml = readFixtureText("cfdi", "40/real-ingreso-CSM190311AH6-2022-stamped.xml");

  it("refuses XML that is not a Comprobante", () => {
    expect(codeOf(() => parseCfdi(readFixture("cfdi", "retenciones/retenciones20-signed.xml")))).toBe(
      "cfdi_not_comprobante",
    );
    expect(codeOf(() => parseCfdi("<Comprobante Version='4.0'/>"))).toBe("cfdi_not_comprobante");
  });

  it("refuses other CFDI versions", () => {
    const v32 = '<cfdi:Comprobante xmlns:cfdi="http://www.sat.gob.mx/cfd/3" version="3.2"/>';
    const error = appError(() => parseCfdi(v32));
    expect(error.code).toBe("cfdi_unsupported_version");
    expect(error.status).toBe(422);
    expect(error.message).toContain("3.2");
    // A 4.0 namespace with a 3.3 Version attribute is inconsistent, not silently read as either.
    expect(codeOf(() => parseCfdi(xml.replace('Version="4.0"', 'Version="3.3"')))).toBe(
      "cfdi_unsupported_version",
    );
  });

  it("refuses a document without a required element, naming its path", () => {
    const noEmisor = xml.replace(/<cfdi:Emisor [^>]*\/>/, "");
    const error = appError(() => parseCfdi(noEmisor));
    expect(error.code).toBe("cfdi_malformed");
    expect(error.details).toEqual({ path: "Comprobante/Emisor" });

    const noConceptos = xml.replace(/<cfdi:Conceptos>[\s\S]*<\/cfdi:Conceptos>/, "");
    expect(appError(() => parseCfdi(noConceptos)).details).toEqual({
      path: "Comprobante/Conceptos/Concepto",
    });
  });

  it("refuses a repeated single element (two Emisor would be ambiguous)", () => {
    const twoEmisor = xml.replace(/(<cfdi:Emisor [^>]*\/>)/, "$1$1");
    expect(appError(() => parseCfdi(twoEmisor)).details).toEqual({ path: "Comprobante/Emisor" });
  });
});

describe("parseXml on hostile input", () => {
  const stamped = readFixtureText("cfdi", "40/real-ingreso-CSM190311AH6-2022-stamped.xml");

  it("refuses billion laughs without expanding anything", () => {
    const laughs = `<?xml version="1.0"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol2 "&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
]>
<lolz>&lol3;</lolz>`;
    expect(codeOf(() => parseCfdi(laughs))).toBe("xml_doctype_forbidden");
  });

  it("refuses external entities", () => {
    const xxe = `<?xml version="1.0"?><!DOCTYPE r [<!ENTITY x SYSTEM "file:///etc/passwd">]><r>&x;</r>`;
    expect(codeOf(() => parseCfdi(xxe))).toBe("xml_doctype_forbidden");
    // Without the declaration the reference is simply undefined.
    expect(codeOf(() => parseCfdi("<r>&x;</r>"))).toBe("xml_malformed");
  });

  it("refuses an element with 100,000 attributes", () => {
    const attrs = Array.from({ length: 100_000 }, (_, i) => `a${i}="1"`).join(" ");
    const error = appError(() => parseCfdi(`<r ${attrs}/>`));
    expect(error.code).toBe("xml_too_many_attributes");
    expect(error.details).toEqual({ limit: XML_LIMITS.maxAttributes });
  });

  it("refuses nesting 10,000 levels deep", () => {
    const deep = "<a>".repeat(10_000) + "</a>".repeat(10_000);
    expect(codeOf(() => parseCfdi(deep))).toBe("xml_too_deep");
    // At the limit it is fine (and then not a CFDI).
    const limit = "<a>".repeat(XML_LIMITS.maxDepth) + "</a>".repeat(XML_LIMITS.maxDepth);
    expect(codeOf(() => parseCfdi(limit))).toBe("cfdi_not_comprobante");
  });

  it("refuses input over the size limit before looking at it", () => {
    const big = new Uint8Array(XML_LIMITS.maxBytes + 1).fill(0x20);
    expect(codeOf(() => parseCfdi(big))).toBe("xml_too_large");
  });

  it("refuses binary garbage, invalid UTF-8 and empty input", () => {
    const garbage = Uint8Array.from({ length: 4096 }, (_, i) => (i * 7919 + 13) % 256);
    expect(codeOf(() => parseCfdi(garbage))).toBe("xml_malformed");
    expect(codeOf(() => parseCfdi(Uint8Array.of(0x3c, 0x61, 0xff, 0x2f, 0x3e)))).toBe("xml_malformed");
    expect(codeOf(() => parseCfdi(""))).toBe("xml_malformed");
    expect(codeOf(() => parseCfdi(new Uint8Array(0)))).toBe("xml_malformed");
    expect(codeOf(() => parseCfdi("   \n "))).toBe("xml_malformed");
    expect(codeOf(() => parseCfdi("%PDF-1.7 not xml"))).toBe("xml_malformed");
  });

  it("refuses a truncated document wherever it is cut", () => {
    for (const cut of [1, 40, 200, 1000, 3000, stamped.length - 30, stamped.length - 2]) {
      expect(codeOf(() => parseCfdi(stamped.slice(0, cut)))).toBe("xml_malformed");
    }
  });

  it("refuses mismatched tags, duplicate attributes and markup in values that a lenient parser would accept", () => {
    expect(codeOf(() => parseXml("<a><b></a></b>"))).toBe("xml_malformed");
    expect(codeOf(() => parseXml('<a x="1" x="2"/>'))).toBe("xml_malformed");
    expect(codeOf(() => parseXml('<a x="<b/>"/>'))).toBe("xml_malformed");
    expect(codeOf(() => parseXml("<a x=1/>"))).toBe("xml_malformed");
    expect(codeOf(() => parseXml("<a/><b/>"))).toBe("xml_malformed");
    expect(codeOf(() => parseXml("<a>\u0001</a>"))).toBe("xml_malformed");
    expect(codeOf(() => parseXml("<p:a/>"))).toBe("xml_malformed");
    expect(codeOf(() => parseXml('<?xml version="1.0" encoding="ISO-8859-1"?><a/>'))).toBe(
      "xml_unsupported_encoding",
    );
    // The duplicated Total of a signature-wrapping attempt is caught on the real document too.
    expect(codeOf(() => parseCfdi(stamped.replace('Total="459.36"', 'Total="459.36" Total="1.00"')))).toBe(
      "xml_malformed",
    );
  });

  it("reports where a document is broken", () => {
    const error = appError(() => parseXml("<a>\n  <b>\n</a>"));
    expect(error.details).toEqual({ line: 3, column: 1 });
    expect(error.message).toContain("line 3");
  });
});

describe("parseXml values", () => {
  it("strips a BOM, normalizes attribute whitespace and decodes references as XML requires", () => {
    const node = parseXml(
      '\uFEFF<a b="x\ty&#10;z" c="&#x41;&lt;&amp;&apos;&quot;">t&amp;<![CDATA[&amp;<]]></a>',
    );
    expect(node.attributes).toEqual({ b: "x y\nz", c: "A<&'\"" });
    expect(node.text).toBe("t&&amp;<");
  });

  it("keeps attribute values exactly, including leading and trailing spaces", () => {
    expect(parseXml('<a v="  1.50  "/>').attributes.v).toBe("  1.50  ");
  });

  it("refuses references to characters XML forbids", () => {
    expect(codeOf(() => parseXml('<a v="&#0;"/>'))).toBe("xml_malformed");
    expect(codeOf(() => parseXml('<a v="&#xD800;"/>'))).toBe("xml_malformed");
    expect(codeOf(() => parseXml('<a v="a & b"/>'))).toBe("xml_malformed");
  });
});
