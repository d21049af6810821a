import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it } from "vitest";
import { fixturePath, goldenName, listCfdiFixtures, readFixture, readFixtureText } from "../helpers/fixtures";

const TIMBRE = resolve(fileURLToPath(new URL("../../../scripts/timbre.mjs", import.meta.url)));
const CSD_DIR = fixturePath("csd/EKU9003173C9");
const PASSWORD = readFixtureText("csd/EKU9003173C9/password.txt").trim();
// The test CSD expires in 2027: builds run at a fixed time inside its validity.
const IN_EKU_VALIDITY = ["--now", "2026-12-01T18:00:00Z"];

function timbre(args: string[], stdin?: Uint8Array | string) {
  const result = spawnSync(process.execPath, [TIMBRE, ...args], {
    input: stdin,
    encoding: "utf8",
    env: { ...process.env, TIMBRE_CSD_PASSWORD: undefined },
  });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

const attribute = (xml: string, name: string) => new RegExp(`\\s${name}="([^"]*)"`).exec(xml)?.[1];

const work = mkdtempSync(join(tmpdir(), "timbre-cli-"));
afterAll(() => rmSync(work, { recursive: true, force: true }));

const cfdiFixtures = listCfdiFixtures().filter((f) => !f.startsWith("retenciones/"));
const recorded = JSON.parse(readFixtureText("cfdi/golden/verification.json")) as Array<{
  file: string;
  sello_valid?: boolean;
}>;

describe("timbre cfdi cadena", () => {
  const withGolden = cfdiFixtures.filter((f) => existsSync(fixturePath("cfdi/golden", goldenName(f))));

  it.each(withGolden)("prints SAT's cadena for %s byte for byte", (file) => {
    const run = timbre(["cfdi", "cadena", fixturePath("cfdi", file)]);
    expect(run.stderr).toBe("");
    expect(run.status).toBe(0);
    expect(run.stdout).toBe(readFixtureText("cfdi/golden", goldenName(file)));
  });

  it("reads the document from standard input with -", () => {
    const file = "40/real-ingreso-CSM190311AH6-2022-stamped.xml";
    const run = timbre(["cfdi", "cadena", "-"], readFixture("cfdi", file));
    expect(run.stdout).toBe(readFixtureText("cfdi/golden", goldenName(file)));
  });
});

describe("timbre cfdi inspect", () => {
  it.each(cfdiFixtures)("summarizes %s", (file) => {
    const xml = readFixtureText("cfdi", file);
    const run = timbre(["cfdi", "inspect", fixturePath("cfdi", file)]);
    expect(run.status).toBe(0);
    const summary = JSON.parse(run.stdout);
    expect(summary.version).toBe(attribute(xml, "Version"));
    expect(summary.total).toBe(attribute(xml, "Total"));
    expect(summary.subtotal).toBe(attribute(xml, "SubTotal"));
    expect(summary.type).toBe(attribute(xml, "TipoDeComprobante"));
    const stampUuid = /<tfd:TimbreFiscalDigital\s[^>]*UUID="([^"]*)"/.exec(xml)?.[1];
    expect(summary.uuid).toBe(stampUuid ?? null);
    expect(summary.concepts.length).toBe(xml.match(/<cfdi:Concepto\s/g)?.length);
    const emisor = /<cfdi:Emisor\s[^>]*Rfc="([^"]*)"/.exec(xml)?.[1];
    expect(summary.issuer.rfc).toBe(emisor?.replaceAll("&amp;", "&"));
    if (/<pago(10|20):Pagos\s/.test(xml)) {
      expect(summary.payments.payments.length).toBe(xml.match(/<pago(10|20):Pago\s/g)?.length);
    } else {
      expect(summary.payments).toBeUndefined();
    }
  });

  it("shows the taxes, concepts and payment amounts as the document writes them", () => {
    const pago = JSON.parse(
      timbre(["cfdi", "inspect", fixturePath("cfdi/40/pagos/test-pago20-calc-usd-008.xml")]).stdout,
    );
    const xml = readFixtureText("cfdi/40/pagos/test-pago20-calc-usd-008.xml");
    expect(pago.payments.totalAmount).toBe(attribute(xml, "MontoTotalPagos"));
    expect(pago.payments.payments[0].amount).toBe(attribute(xml, "Monto"));
    expect(pago.payments.payments[0].documents[0].paid).toBe(attribute(xml, "ImpPagado"));
    const signedPago = readFixtureText("cfdi/40/pagos/test-pago20-signed.xml");
    const signed = JSON.parse(
      timbre(["cfdi", "inspect", fixturePath("cfdi/40/pagos/test-pago20-signed.xml")]).stdout,
    );
    expect(signed.payments.payments[0].documents[0].uuid).toBe(attribute(signedPago, "IdDocumento"));

    const file = "40/test-ingreso-retenciones-isr-iva-stamped-finkok-demo.xml";
    const invoice = JSON.parse(timbre(["cfdi", "inspect", fixturePath("cfdi", file)]).stdout);
    const withTaxes = readFixtureText("cfdi", file);
    expect(invoice.taxes.totalWithheld).toBe(attribute(withTaxes, "TotalImpuestosRetenidos"));
    expect(invoice.taxes.totalTransferred).toBe(attribute(withTaxes, "TotalImpuestosTrasladados"));
    expect(invoice.taxes.withheld.map((t: { tax: string }) => t.tax).sort()).toEqual(["ISR", "IVA"]);
  });
});

describe("timbre cfdi verify", () => {
  it.each(recorded.map((r) => [r.file, r] as const))("reports %s and exits 0 only when valid", (file, r) => {
    const run = timbre(["cfdi", "verify", fixturePath("cfdi", file)]);
    const report = JSON.parse(run.stdout);
    expect(report.valid).toBe(report.verification.valid && report.validation.valid);
    expect(run.status).toBe(report.valid ? 0 : 1);
    const sello = report.verification.checks.find((c: { check: string }) => c.check === "sello");
    if (r.sello_valid !== undefined) expect(sello.code).toBe(r.sello_valid ? "sello_valid" : "sello_invalid");
    else expect(report.valid).toBe(false);
  });

  it("fails the tampered fixture with sello_invalid", () => {
    const run = timbre([
      "cfdi",
      "verify",
      fixturePath("cfdi/40/NEGATIVE-test-ingreso-tampered-sello-invalid.xml"),
    ]);
    expect(run.status).toBe(1);
    const report = JSON.parse(run.stdout);
    expect(report.valid).toBe(false);
    const failed = report.verification.checks.filter((c: { ok: boolean }) => !c.ok);
    expect(failed.map((c: { code: string }) => c.code)).toContain("sello_invalid");
  });

  it("passes the real production invoice", () => {
    const run = timbre(["cfdi", "verify", fixturePath("cfdi/40/real-ingreso-CSM190311AH6-2022-stamped.xml")]);
    expect(JSON.parse(run.stdout).valid).toBe(true);
    expect(run.status).toBe(0);
  });

  it("passes --now to validation, which warns about a document dated after it", () => {
    const file = fixturePath("cfdi/40/test-ingreso-EKU-descuento-stamped-finkok-demo.xml");
    const now = timbre(["cfdi", "verify", file]);
    const past = timbre(["cfdi", "verify", "--now", "2024-01-01T00:00:00Z", file]);
    const warnings = (run: { stdout: string }) =>
      JSON.parse(run.stdout).validation.warnings.map((w: { code: string }) => w.code);
    expect(warnings(now)).not.toContain("fecha_in_future");
    expect(warnings(past)).toContain("fecha_in_future");
    expect(past.status).toBe(0);
  });

  it("refuses what is not a CFDI with the parser's code on stderr and exit 1", () => {
    const retenciones = timbre(["cfdi", "verify", fixturePath("cfdi/retenciones/retenciones20-signed.xml")]);
    expect(retenciones.status).toBe(1);
    expect(retenciones.stderr).toMatch(/^timbre: cfdi_not_comprobante: /);
    const doctype = timbre(["cfdi", "inspect", "-"], '<!DOCTYPE x [<!ENTITY a "b">]><x>&a;</x>');
    expect(doctype.status).toBe(1);
    expect(doctype.stderr).toMatch(/^timbre: xml_doctype_forbidden: /);
    expect(doctype.stdout).toBe("");
  });
});

describe("timbre cfdi build", () => {
  const invoice = {
    type: "I",
    series: "CLI",
    folio: "1",
    date: "2025-03-01T10:00:00",
    issuer: { rfc: "EKU9003173C9", name: "ESCUELA KEMPER URGATE", taxRegime: "601" },
    receptor: {
      rfc: "XIQB891116QE4",
      name: "BERENICE XIMO QUEZADA",
      taxRegime: "612",
      postalCode: "20000",
      cfdiUse: "G03",
    },
    expeditionPostalCode: "42501",
    paymentForm: "03",
    paymentMethod: "PUE",
    items: [
      {
        productKey: "84111506",
        quantity: "3",
        unitKey: "E48",
        description: "Servicio de facturación & timbrado",
        unitPrice: "100.05",
        objetoImp: "02",
        taxes: [{ tax: "IVA", rate: "0.160000" }],
      },
    ],
  };
  const invoiceFile = join(work, "invoice.json");
  writeFileSync(invoiceFile, JSON.stringify(invoice));

  it("seals an invoice that verify then accepts, with the CSD given as a folder", () => {
    const run = timbre([
      "cfdi",
      "build",
      ...IN_EKU_VALIDITY,
      "--csd",
      CSD_DIR,
      "--password",
      PASSWORD,
      invoiceFile,
    ]);
    expect(run.stderr).toBe("");
    expect(run.status).toBe(0);
    expect(attribute(run.stdout, "NoCertificado")).toBe("30001000000500003416");
    expect(attribute(run.stdout, "Total")).toBe("348.17");
    expect(run.stdout).toContain("facturación &amp; timbrado");

    const verify = timbre(["cfdi", "verify", "-"], run.stdout);
    const report = JSON.parse(verify.stdout);
    expect(report.verification.checks.filter((c: { ok: boolean }) => !c.ok)).toEqual([]);
  });

  const examples = resolve(fileURLToPath(new URL("../../../shared/cfdi/build/examples", import.meta.url)));
  it.each(readdirSync(examples).filter((f) => f.endsWith(".json")))(
    "builds the documented example %s into a document verify accepts",
    (example) => {
      const run = timbre([
        "cfdi",
        "build",
        ...IN_EKU_VALIDITY,
        "--csd",
        CSD_DIR,
        "--password",
        PASSWORD,
        join(examples, example),
      ]);
      expect(run.stderr).toBe("");
      expect(run.status).toBe(0);
      const verify = timbre(["cfdi", "verify", "-"], run.stdout);
      expect(JSON.parse(verify.stdout).valid).toBe(true);
      expect(verify.status).toBe(0);
    },
  );

  it("accepts the .cer and .key as files and the password from a file", () => {
    const passwordFile = join(work, "password.txt");
    writeFileSync(passwordFile, `${PASSWORD}\n`);
    const files = `${join(CSD_DIR, "EKU9003173C9.cer")},${join(CSD_DIR, "EKU9003173C9.key")}`;
    const run = timbre([
      "cfdi",
      "build",
      ...IN_EKU_VALIDITY,
      "--csd",
      files,
      "--password-file",
      passwordFile,
      invoiceFile,
    ]);
    expect(run.status).toBe(0);
    expect(run.stdout).toMatch(/^<\?xml/);
  });

  it("reports CSD problems with their code and exit 1", () => {
    const wrong = timbre([
      "cfdi",
      "build",
      ...IN_EKU_VALIDITY,
      "--csd",
      CSD_DIR,
      "--password",
      "nope",
      invoiceFile,
    ]);
    expect(wrong.status).toBe(1);
    expect(wrong.stderr).toMatch(/^timbre: csd_wrong_password: /);
    expect(wrong.stdout).toBe("");
    const expired = timbre([
      "cfdi",
      "build",
      ...IN_EKU_VALIDITY,
      "--csd",
      fixturePath("csd/XIQB891116QE4"),
      "--password",
      PASSWORD,
      invoiceFile,
    ]);
    expect(expired.status).toBe(1);
    expect(expired.stderr).toMatch(/^timbre: csd_expired: /);
  });

  it("lists every problem of an invalid invoice input", () => {
    const bad = join(work, "bad.json");
    writeFileSync(bad, JSON.stringify({ ...invoice, items: [{ ...invoice.items[0], unitPrice: "abc" }] }));
    const run = timbre(["cfdi", "build", ...IN_EKU_VALIDITY, "--csd", CSD_DIR, "--password", PASSWORD, bad]);
    expect(run.status).toBe(1);
    expect(run.stderr).toMatch(/^timbre: invalid_invoice_input: /);
    expect(run.stderr).toContain("items.0.unitPrice");
  });
});

describe("usage errors exit 2", () => {
  it.each([
    [[], "Usage: timbre cfdi"],
    [["cfdi"], "usage"],
    [["cfdi", "frobnicate", "x.xml"], "usage"],
    [["invoice", "inspect", "x.xml"], "usage"],
    [["cfdi", "inspect"], "usage"],
    [["cfdi", "inspect", "a.xml", "b.xml"], "usage"],
    [["cfdi", "inspect", "/nonexistent/file.xml"], "file_unreadable"],
    [["cfdi", "inspect", "--bogus", "x.xml"], "usage"],
    [["cfdi", "verify", "--now", "yesterday", "x.xml"], "usage"],
    [["cfdi", "build", "x.json"], "usage"],
  ])("timbre %j", (args, expected) => {
    const run = timbre(args);
    expect(run.status).toBe(2);
    expect(run.stderr).toContain(expected);
    expect(run.stdout).toBe("");
  });

  it("prints the help on stdout with --help and exits 0", () => {
    const run = timbre(["--help"]);
    expect(run.status).toBe(0);
    expect(run.stdout).toContain("timbre cfdi <command>");
  });
});
