import { execFileSync, spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { bytesToBase64 } from "../../../shared/cfdi/csd/index";
import { type Cfdi, timbre } from "../../../shared/cfdi/model";
import { parseCfdi } from "../../../shared/cfdi/parse";
import { type VerificationReport, verifyCfdi, verifySello } from "../../../shared/cfdi/verify";
import { goldenName, readFixture, readFixtureText } from "../helpers/fixtures";

interface Recorded {
  file: string;
  version: string;
  cert_serial_matches_NoCertificado?: boolean;
  sello_valid?: boolean;
  tfd_sellocfd_equals_sello?: boolean;
  NoCertificadoSAT?: string;
  sellosat_valid?: boolean;
}

const recorded = JSON.parse(readFixtureText("cfdi/golden/verification.json")) as Recorded[];
const SAT_STORE = new Set(["00001000000504465028", "30001000000500003456"]);
const NEGATIVE = "40/NEGATIVE-test-ingreso-tampered-sello-invalid.xml";
const REAL = "40/real-ingreso-CSM190311AH6-2022-stamped.xml";
const FINKOK = "40/test-ingreso-EKU-descuento-stamped-finkok-demo.xml";

const load = (file: string): Cfdi => parseCfdi(readFixture("cfdi", file));
const byCheck = (report: VerificationReport, check: string) => report.checks.find((c) => c.check === check);
const failedCodes = (report: VerificationReport) => report.checks.filter((c) => !c.ok).map((c) => c.code);

describe("verifyCfdi agrees with every recorded result of verification.json", () => {
  it.each(recorded.map((r) => [r.file, r] as const))("%s", async (file, r) => {
    const cfdi = load(file);
    const report = await verifyCfdi(cfdi);

    if (r.sello_valid === undefined) {
      // Recorded without a verdict: unsealed, or a Certificado that is not a DER certificate.
      expect(report.valid).toBe(false);
      expect(
        failedCodes(report).some((code) => code === "sello_missing" || code === "certificate_invalid"),
      ).toBe(true);
      return;
    }
    expect(byCheck(report, "sello")?.code).toBe(r.sello_valid ? "sello_valid" : "sello_invalid");
    // The fast path, fed SAT's own cadena (the XSLT golden file), must say the same.
    const golden = readFixtureText("cfdi/golden", goldenName(file));
    expect(await verifySello(cfdi, golden)).toBe(r.sello_valid);

    if (r.cert_serial_matches_NoCertificado !== undefined) {
      expect(byCheck(report, "certificate_serial")?.ok).toBe(r.cert_serial_matches_NoCertificado);
    }
    if (r.tfd_sellocfd_equals_sello !== undefined) {
      expect(byCheck(report, "tfd_sello_cfd")?.code).toBe(
        r.tfd_sellocfd_equals_sello ? "tfd_sello_cfd_match" : "tfd_sello_cfd_mismatch",
      );
    } else {
      expect(byCheck(report, "tfd_sello_cfd")).toBeUndefined();
    }
    if (r.NoCertificadoSAT !== undefined) {
      const selloSat = byCheck(report, "tfd_sello_sat")!;
      if (r.sellosat_valid !== undefined) expect(selloSat.code).toBe("tfd_sello_sat_valid");
      else if (!SAT_STORE.has(r.NoCertificadoSAT)) {
        expect(selloSat).toMatchObject({
          code: "tfd_sat_certificate_unknown",
          status: "unknown_certificate",
          ok: true,
        });
      }
    }
    if (r.sello_valid) {
      expect(report.certificate?.serialNumber).toBe(cfdi.NoCertificado);
    }
  });

  it("fails the tampered fixture with sello_invalid", async () => {
    const report = await verifyCfdi(load(NEGATIVE));
    expect(report.valid).toBe(false);
    // Its certificate (30001000000400002460) is one of SAT's test e.firma certificates: no branch,
    // key usage for encryption. A PAC would have refused it for sealing, so that is reported too.
    expect(failedCodes(report)).toEqual(["sello_invalid", "certificate_not_csd"]);
    expect(report.certificate).toMatchObject({ serialNumber: "30001000000400002460", kind: "fiel" });
  });

  it("verifies the real production invoice completely, SelloSAT included", async () => {
    const report = await verifyCfdi(load(REAL));
    expect(report.valid).toBe(true);
    expect(report.checks.map((c) => c.code)).toEqual([
      "sello_valid",
      "certificate_serial_match",
      "certificate_rfc_match",
      "fecha_within_certificate_validity",
      "certificate_is_csd",
      "tfd_sello_cfd_match",
      "tfd_sello_sat_valid",
    ]);
    expect(report.certificate?.rfc).toBe(load(REAL).Emisor.Rfc);
  });
});

describe("each alteration fails with its own code", () => {
  it("an amount changed after sealing", async () => {
    const cfdi = load(FINKOK);
    const report = await verifyCfdi({ ...cfdi, Total: `${cfdi.Total}1` });
    expect(failedCodes(report)).toEqual(["sello_invalid"]);
  });

  it("a NoCertificado that is not the certificate's serial", async () => {
    const cfdi = load(FINKOK);
    // NoCertificado is part of the cadena, so the Sello breaks too.
    const report = await verifyCfdi({ ...cfdi, NoCertificado: "30001000000500003417" });
    expect(failedCodes(report)).toEqual(["sello_invalid", "certificate_serial_mismatch"]);
  });

  it("an issuer RFC that is not the certificate's", async () => {
    const cfdi = load(FINKOK);
    const report = await verifyCfdi({ ...cfdi, Emisor: { ...cfdi.Emisor, Rfc: "XIQB891116QE4" } });
    expect(failedCodes(report)).toEqual(["sello_invalid", "certificate_rfc_mismatch"]);
  });

  it("a Fecha outside the certificate's validity, judged in Mexican local time", async () => {
    const cfdi = load(FINKOK);
    // EKU's test CSD is valid from 2023-05-18T11:43:51Z: 05:43 in UTC-6 is the first local minute.
    const before = await verifyCfdi({ ...cfdi, Fecha: "2023-05-18T03:00:00" });
    expect(byCheck(before, "certificate_validity")?.code).toBe("fecha_outside_certificate_validity");
    const justInside = await verifyCfdi({ ...cfdi, Fecha: "2023-05-18T05:44:00" });
    expect(byCheck(justInside, "certificate_validity")?.code).toBe("fecha_within_certificate_validity");
    const after = await verifyCfdi({ ...cfdi, Fecha: "2027-05-18T12:00:00" });
    expect(byCheck(after, "certificate_validity")?.code).toBe("fecha_outside_certificate_validity");
    const garbled = await verifyCfdi({ ...cfdi, Fecha: "18/05/2024" });
    expect(byCheck(garbled, "certificate_validity")?.code).toBe("fecha_invalid");
  });

  it("a stamp that belongs to another document", async () => {
    const cfdi = load(FINKOK);
    const other = timbre(load("40/test-ingreso-retenciones-isr-iva-stamped-finkok-demo.xml"))!;
    const withOtherStamp: Cfdi = {
      ...cfdi,
      Complemento: cfdi.Complemento.map((c) =>
        c.kind === "TimbreFiscalDigital" ? { ...c, data: other } : c,
      ),
    };
    // The foreign stamp is genuinely SAT-signed, but not over this document's Sello.
    const report = await verifyCfdi(withOtherStamp);
    expect(failedCodes(report)).toEqual(["tfd_sello_cfd_mismatch"]);
    expect(byCheck(report, "tfd_sello_sat")?.code).toBe("tfd_sello_sat_valid");
  });

  it("a stamp whose fields were altered after SAT signed it", async () => {
    const cfdi = load(REAL);
    const tfd = timbre(cfdi)!;
    const altered: Cfdi = {
      ...cfdi,
      Complemento: cfdi.Complemento.map((c) =>
        c.kind === "TimbreFiscalDigital"
          ? { ...c, data: { ...tfd, FechaTimbrado: "2022-01-12T12:39:35" } }
          : c,
      ),
    };
    expect(failedCodes(await verifyCfdi(altered))).toEqual(["tfd_sello_sat_invalid"]);
  });

  it("a Certificado that is not a certificate is reported, not thrown", async () => {
    const cfdi = load(FINKOK);
    const report = await verifyCfdi({ ...cfdi, Certificado: "bm90IGEgY2VydGlmaWNhdGU=" });
    expect(report.valid).toBe(false);
    expect(failedCodes(report)).toEqual(["certificate_invalid"]);
    expect(report.certificate).toBeUndefined();
    expect(await verifySello({ ...cfdi, Certificado: "bm90IGEgY2VydGlmaWNhdGU=" }, "x")).toBe(false);
    expect(
      await verifySello({ ...cfdi, Sello: "%%%" }, readFixtureText("cfdi/golden", goldenName(FINKOK))),
    ).toBe(false);
  });

  it("a complement the cadena does not know leaves the Sello unverified, not silently valid", async () => {
    const cfdi = load(FINKOK);
    const unknown: Cfdi = {
      ...cfdi,
      Complemento: [
        ...cfdi.Complemento,
        {
          kind: "other",
          node: {
            name: "Otro",
            prefix: "x",
            namespace: "urn:example:otro",
            attributes: { A: "1" },
            children: [],
            text: "",
          },
        },
      ],
    };
    const report = await verifyCfdi(unknown);
    expect(report.valid).toBe(false);
    expect(byCheck(report, "sello")).toMatchObject({
      code: "cadena_unsupported_complement",
      status: "unsupported",
      ok: false,
    });
    expect(byCheck(report, "certificate_serial")?.ok).toBe(true);
  });

  it("a Sello made with another certificate than the one embedded", async () => {
    const cfdi = load(FINKOK);
    const other = load("40/test-ingreso-XIQB-persona-fisica-iva16-retenciones-stamped.xml");
    const report = await verifyCfdi({ ...cfdi, Certificado: other.Certificado });
    expect(failedCodes(report)).toEqual(
      expect.arrayContaining(["sello_invalid", "certificate_serial_mismatch", "certificate_rfc_mismatch"]),
    );
  });
});

const hasOpenssl = spawnSync("openssl", ["version"]).status === 0;

describe.skipIf(!hasOpenssl)("certificate kind", () => {
  it("a document sealed with an e.firma (FIEL) fails certificate_not_csd", async () => {
    const dir = mkdtempSync(join(tmpdir(), "timbre-verify-"));
    try {
      const key = join(dir, "fiel.pem");
      const cer = join(dir, "fiel.cer");
      execFileSync("openssl", ["genrsa", "-out", key, "2048"], { stdio: "ignore" });
      execFileSync("openssl", [
        "req",
        "-new",
        "-x509",
        "-key",
        key,
        "-subj",
        "/CN=ESCUELA KEMPER URGATE SA DE CV/x500UniqueIdentifier=EKU9003173C9",
        "-addext",
        "keyUsage=digitalSignature,nonRepudiation,dataEncipherment,keyAgreement",
        "-outform",
        "DER",
        "-out",
        cer,
      ]);
      const cfdi = load(FINKOK);
      const report = await verifyCfdi({ ...cfdi, Certificado: bytesToBase64(readFileSync(cer)) });
      expect(byCheck(report, "certificate_kind")?.code).toBe("certificate_not_csd");
      expect(byCheck(report, "certificate_rfc")?.code).toBe("certificate_rfc_match");
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
