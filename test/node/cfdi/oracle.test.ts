// Every CFDI built here against an independent oracle: SAT's own XSLT (run by xsltproc) must produce
// our cadena byte for byte from the XML we emit, and openssl must accept our Sello over that cadena
// with the public key of the CSD's certificate. Also: the XML writer keeps SAT's cadena of every
// 4.0 fixture it rewrites.
import { execFileSync, spawnSync } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildCfdi, cfdiXml, type InvoiceInput, type SealedCfdi } from "../../../shared/cfdi/build/index";
import { type Csd, loadCsd } from "../../../shared/cfdi/csd/index";
import { parseCfdi } from "../../../shared/cfdi/parse";
import { fixturePath, goldenName, listCfdiFixtures, readFixture, readFixtureText } from "../helpers/fixtures";

const XSLT = fixturePath(
  "xslt/www.sat.gob.mx/sitio_internet/cfd/4/cadenaoriginal_4_0/cadenaoriginal_4_0.xslt",
);
const CER = fixturePath("csd/EKU9003173C9/EKU9003173C9.cer");
const EXAMPLES_DIR = new URL("../../../shared/cfdi/build/examples/", import.meta.url);
const NOW = new Date("2026-11-20T16:00:00Z");

const missingTools = ["xsltproc", "openssl"].filter(
  (tool) => spawnSync(tool, [tool === "openssl" ? "version" : "--version"]).status !== 0,
);
if (missingTools.length > 0) {
  console.warn(
    `oracle.test.ts: skipping the SAT XSLT + openssl oracle, not installed: ${missingTools.join(", ")}`,
  );
}

const ISSUER = { rfc: "EKU9003173C9", name: "ESCUELA KEMPER URGATE", taxRegime: "601" };
const RECEPTOR = {
  rfc: "KIJ0906199R1",
  name: "KIJ, S.A DE C.V.",
  taxRegime: "601",
  postalCode: "59820",
  cfdiUse: "G03",
};
const base = {
  type: "I",
  issuer: ISSUER,
  receptor: RECEPTOR,
  expeditionPostalCode: "42501",
  paymentForm: "03",
  paymentMethod: "PUE",
} as const;

/** Inputs that exercise every element and attribute the builder writes. */
const CASES: Record<string, InvoiceInput> = {
  "XML-special characters everywhere": {
    ...base,
    series: "A&B",
    folio: `<1>"2"'3'`,
    receptor: { ...RECEPTOR, name: `M&A <Servicios> "Río" O'Hara ñandú` },
    paymentConditions: "Contado & 30 días <neto>",
    items: [
      {
        productKey: "84111506",
        sku: "SKU&<>",
        quantity: "1",
        unitKey: "E48",
        unit: `Pieza "A"`,
        description: `Descripción   con   espacios & 'comillas' <tags>`,
        unitPrice: "99.99",
        taxes: [{ tax: "IVA", rate: "0.16" }],
      },
    ],
  },
  "third party, customs, property account, withholdings, IEPS cuota and exento on many lines": {
    ...base,
    items: Array.from({ length: 12 }, (_, i) => ({
      productKey: "50202306",
      sku: `L-${i}`,
      quantity: ["1", "2.5", "0.333", "12"][i % 4]!,
      unitKey: "H87",
      description: `Línea ${i}`,
      unitPrice: ["100.05", "33.333333", "0.01", "1999.9"][i % 4]!,
      discount: i % 4 === 0 ? "0.05" : undefined,
      taxes: [
        [{ tax: "IVA" as const, rate: "0.16" }],
        [
          { tax: "IEPS" as const, factor: "Cuota" as const, rate: "1.6451" },
          { tax: "IVA" as const, rate: "0.16" },
        ],
        [{ tax: "IVA" as const, factor: "Exento" as const }],
        [
          { tax: "IVA" as const, rate: "0.16" },
          { tax: "ISR" as const, rate: "0.10", withholding: true },
          { tax: "IVA" as const, rate: "0.106667", withholding: true },
        ],
      ][i % 4]!,
      thirdParty:
        i === 1
          ? { rfc: "XIQB891116QE4", name: "BERENICE XIMO QUEZADA", taxRegime: "612", postalCode: "56820" }
          : undefined,
      customsInfo: i === 2 ? ["21  47  3807  8003832", "21  47  3807  8003833"] : undefined,
      propertyTaxAccount: i === 3 ? ["1234567890", "ABC123"] : undefined,
    })),
  },
  "JPY without decimals": {
    ...base,
    currency: "JPY",
    exchangeRate: "0.1123",
    items: [
      {
        productKey: "84111506",
        quantity: "3",
        unitKey: "E48",
        description: "Servicio",
        unitPrice: "1000",
        taxes: [{ tax: "IVA", rate: "0.16" }],
      },
    ],
  },
  traslado: {
    type: "T",
    issuer: ISSUER,
    receptor: { ...ISSUER, postalCode: "42501" },
    expeditionPostalCode: "42501",
    items: [
      { productKey: "24101500", quantity: "4", unitKey: "H87", description: "Carretilla", unitPrice: "250" },
    ],
  },
  "payments in USD and MXN, withholdings, IVA 0 and exento, several documents": {
    type: "P",
    issuer: ISSUER,
    receptor: { ...RECEPTOR, cfdiUse: "CP01" },
    expeditionPostalCode: "42501",
    payments: [
      {
        date: "2026-11-18",
        paymentForm: "03",
        currency: "USD",
        exchangeRate: "17.3608",
        operationNumber: "OP & 1",
        payerBankRfc: "BMI9704113PA",
        payerAccount: "0001970000",
        payeeBankRfc: "BBA830831LJ2",
        payeeAccount: "0198005000",
        relatedDocuments: [
          {
            uuid: "17F4B4FC-89E1-5770-B8BB-00958F217486",
            series: "PACIE",
            folio: "1",
            currency: "MXN",
            equivalence: "17.36075",
            installment: 3,
            previousBalance: "2817",
            amountPaid: "694.43",
            taxes: [{ tax: "IVA", rate: "0.16", base: "598.645974" }],
          },
          {
            uuid: "6DE9442D-ED57-5320-B2BA-F73E15079FA3",
            currency: "USD",
            installment: 1,
            previousBalance: "500",
            amountPaid: "116.18",
            taxes: [
              { tax: "IVA", rate: "0.16", base: "80" },
              { tax: "IVA", rate: "0", base: "20" },
              { tax: "IVA", factor: "Exento", base: "3.38" },
            ],
          },
        ],
      },
      {
        date: "2026-11-19T09:30:00",
        paymentForm: "02",
        relatedDocuments: [
          {
            uuid: "6D7434A6-E3F2-47AD-9E4C-08849946AFA0",
            currency: "MXN",
            installment: 1,
            previousBalance: "14672.08",
            amountPaid: "14672.08",
            taxes: [
              { tax: "IVA", rate: "0.16" },
              { tax: "ISR", rate: "0.10", withholding: true },
              { tax: "IVA", rate: "0.106667", withholding: true },
            ],
          },
          {
            uuid: "AE577E8F-2047-5AB2-8513-9E7299A6DA03",
            currency: "MXN",
            installment: 2,
            previousBalance: "5234",
            amountPaid: "478",
            taxObject: "01",
          },
        ],
      },
    ],
  },
};

for (const file of readdirSync(EXAMPLES_DIR)) {
  if (file.endsWith(".json")) {
    CASES[`example ${file}`] = JSON.parse(readFileSync(new URL(file, EXAMPLES_DIR), "utf8")) as InvoiceInput;
  }
}

describe.skipIf(missingTools.length > 0)("SAT XSLT + openssl oracle", () => {
  let dir: string;
  let csd: Csd;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "timbre-oracle-"));
    execFileSync("openssl", [
      "x509",
      "-inform",
      "DER",
      "-in",
      CER,
      "-pubkey",
      "-noout",
      "-out",
      join(dir, "pubkey.pem"),
    ]);
    csd = await loadCsd(
      {
        cer: readFixture("csd/EKU9003173C9/EKU9003173C9.cer"),
        key: readFixture("csd/EKU9003173C9/EKU9003173C9.key"),
        password: "12345678a",
      },
      { now: NOW },
    );
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  /** SAT's cadena for the XML, and whether openssl verifies `sello` over that cadena. */
  function oracle(name: string, xml: string, sello: string): { cadena: string; verified: boolean } {
    const xmlFile = join(dir, `${name}.xml`);
    writeFileSync(xmlFile, xml);
    const cadena = execFileSync("xsltproc", [XSLT, xmlFile], {
      encoding: "utf8",
      stdio: ["ignore", "pipe", "ignore"],
    });
    writeFileSync(join(dir, `${name}.cadena.txt`), cadena);
    writeFileSync(join(dir, `${name}.sig`), Buffer.from(sello, "base64"));
    const verify = spawnSync(
      "openssl",
      [
        "dgst",
        "-sha256",
        "-verify",
        join(dir, "pubkey.pem"),
        "-signature",
        join(dir, `${name}.sig`),
        join(dir, `${name}.cadena.txt`),
      ],
      { encoding: "utf8" },
    );
    return { cadena, verified: verify.status === 0 && verify.stdout.includes("Verified OK") };
  }

  Object.entries(CASES).forEach(([label, input], i) => {
    it(`${label}: xsltproc's cadena equals ours and openssl verifies the Sello`, async () => {
      const built: SealedCfdi = await buildCfdi(input, { csd, now: NOW });
      const { cadena, verified } = oracle(`case-${i}`, built.xml, built.cfdi.Sello!);
      expect(cadena).toBe(built.cadena);
      expect(verified).toBe(true);
    });
  });

  it("cfdiXml rewrites every CFDI 4.0 fixture into XML whose SAT cadena is the golden one", () => {
    for (const rel of listCfdiFixtures("40")) {
      const xmlFile = join(dir, "rewritten.xml");
      writeFileSync(xmlFile, cfdiXml(parseCfdi(readFixture("cfdi", rel))));
      const cadena = execFileSync("xsltproc", [XSLT, xmlFile], {
        encoding: "utf8",
        stdio: ["ignore", "pipe", "ignore"],
      });
      expect(cadena, rel).toBe(readFixtureText("cfdi/golden", goldenName(rel)));
    }
  });

  it("fails a document altered after sealing (the oracle can say no)", async () => {
    const built = await buildCfdi(CASES["JPY without decimals"]!, { csd, now: NOW });
    const tampered = built.xml.replace('Total="3480"', 'Total="3481"');
    expect(tampered).not.toBe(built.xml);
    const { cadena, verified } = oracle("tampered", tampered, built.cfdi.Sello!);
    expect(cadena).not.toBe(built.cadena);
    expect(verified).toBe(false);
  });
});
