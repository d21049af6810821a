// The embedded sandbox PAC: documents built and sealed with SAT's test CSD (EKU9003173C9) come back
// stamped and verifying end to end (engine, SAT's XSLT, openssl); every refusal carries its PAC code;
// retries never stamp twice.
import { execFileSync, spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  buildCfdi,
  cfdiXml,
  type InvoiceInput,
  mexicoCityDateTime,
  sealCfdi,
} from "../../../shared/cfdi/build/index";
import { cadenaOriginal, tfdCadena } from "../../../shared/cfdi/cadena";
import { type Csd, loadCsd, readCertificate, signSha256 } from "../../../shared/cfdi/csd/index";
import { type Cfdi, timbre } from "../../../shared/cfdi/model";
import { parseCfdi } from "../../../shared/cfdi/parse";
import { findSatCertificate, sandboxCertificateSerials } from "../../../shared/cfdi/sat-certs/index";
import { verifyCfdi } from "../../../shared/cfdi/verify";
import {
  isStampRefusal,
  SANDBOX_CERTIFICATE_SERIAL,
  SANDBOX_PAC_RFC,
  SandboxPac,
  type StampResult,
} from "../../../shared/pac/index";
import { SANDBOX_PRIVATE_KEY_PKCS8 } from "../../../shared/pac/sandbox-certificate/credential.generated";
import { fixturePath, readFixture } from "../helpers/fixtures";

const NOW = new Date("2026-11-20T16:00:00Z");
const HOUR = 3_600_000;
const clock = () => new Date(NOW.getTime() + 60_000);
const CERTIFICATE_DIR = new URL("../../../shared/pac/sandbox-certificate/", import.meta.url);
const XSLT_DIR = fixturePath("xslt/www.sat.gob.mx/sitio_internet/cfd");
const CFDI_XSLT = join(XSLT_DIR, "4/cadenaoriginal_4_0/cadenaoriginal_4_0.xslt");
const TFD_XSLT = join(XSLT_DIR, "TimbreFiscalDigital/cadenaoriginal_TFD_1_1.xslt");

const missingTools = ["xsltproc", "openssl"].filter(
  (tool) => spawnSync(tool, [tool === "openssl" ? "version" : "--version"]).status !== 0,
);
if (missingTools.length > 0) {
  console.warn(
    `pac/sandbox.test.ts: skipping the xsltproc/openssl checks, not installed: ${missingTools.join(", ")}`,
  );
}

const ISSUER = { rfc: "EKU9003173C9", name: "ESCUELA KEMPER URGATE", taxRegime: "601" };
const RECEPTOR = {
  rfc: "MCI7306249Y1",
  name: "MUNICIPIO DE CUAUTITLAN IZCALLI",
  taxRegime: "603",
  postalCode: "54700",
  cfdiUse: "G03",
};
const invoice = (fields: Partial<InvoiceInput> = {}): InvoiceInput => ({
  type: "I",
  issuer: ISSUER,
  receptor: RECEPTOR,
  expeditionPostalCode: "42501",
  paymentForm: "03",
  paymentMethod: "PUE",
  items: [
    {
      productKey: "84111506",
      quantity: "2",
      unitKey: "E48",
      description: 'Servicio & <mantenimiento> "anual"',
      unitPrice: "1250.50",
      taxes: [{ tax: "IVA", factor: "Tasa", rate: "0.16" }],
    },
  ],
  ...fields,
});

let csd: Csd;
const sealed = async (fields: Partial<InvoiceInput> = {}) =>
  (await buildCfdi(invoice(fields), { csd, now: NOW })).xml;

/** Seals `cfdi` with the CSD's key, skipping the checks sealCfdi makes, to get documents a PAC must refuse. */
async function sealByHand(cfdi: Cfdi): Promise<string> {
  const unsealed = {
    ...cfdi,
    NoCertificado: csd.certificate.serialNumber,
    Certificado: csd.certificateBase64,
  };
  return cfdiXml({ ...unsealed, Sello: await signSha256(csd.privateKey, cadenaOriginal(unsealed)) });
}

let keyCounter = 0;
const key = () => `key-${++keyCounter}`;

/** The refusal `promise` rejects with (fails the test if it resolves or throws something else). */
async function refusal(promise: Promise<unknown>) {
  try {
    await promise;
  } catch (error) {
    expect(isStampRefusal(error)).toBe(true);
    return error as { code: string; message: string; status: number; details: Record<string, unknown> };
  }
  throw new Error("expected a refusal");
}

/** Every check of verifyCfdi on the stamped XML, by check name. */
async function verification(xml: string) {
  const report = await verifyCfdi(parseCfdi(xml));
  return { valid: report.valid, checks: Object.fromEntries(report.checks.map((c) => [c.check, c])) };
}

beforeAll(async () => {
  csd = await loadCsd(
    {
      cer: readFixture("csd/EKU9003173C9/EKU9003173C9.cer"),
      key: readFixture("csd/EKU9003173C9/EKU9003173C9.key"),
      password: readFixture("csd/EKU9003173C9/password.txt").toString("utf8").trim(),
    },
    { now: NOW },
  );
});

describe("sandbox certificate", () => {
  it("is in the certificate store as a sandbox certificate, and the PEM files are the generated modules", () => {
    expect(sandboxCertificateSerials()).toEqual([SANDBOX_CERTIFICATE_SERIAL]);
    const stored = findSatCertificate(SANDBOX_CERTIFICATE_SERIAL)!;
    expect(stored).toMatchObject({ sandbox: true, rfc: SANDBOX_PAC_RFC, kind: "csd" });
    expect(stored.name).toContain("NOT VALID FOR SAT");
    expect(findSatCertificate("30001000000500003456")?.sandbox).toBe(false);

    const pem = readFileSync(new URL("sandbox-pac.cer.pem", CERTIFICATE_DIR), "utf8");
    expect(readCertificate(pem).der).toEqual(stored.der);
    const keyPem = readFileSync(new URL("sandbox-pac.key.pem", CERTIFICATE_DIR), "utf8");
    expect(keyPem.replace(/-----[A-Z ]+-----|\s/g, "")).toBe(SANDBOX_PRIVATE_KEY_PKCS8);
  });
});

describe("stamping", () => {
  it("adds a TFD 1.1 that verifyCfdi accepts in every check, changing no other byte", async () => {
    const xml = await sealed();
    const pac = new SandboxPac({ clock });
    const result = await pac.stamp({ xml, idempotencyKey: key() });

    expect(result.uuid).toMatch(/^[0-9A-F]{8}-[0-9A-F]{4}-4[0-9A-F]{3}-[89AB][0-9A-F]{3}-[0-9A-F]{12}$/);
    expect(result).toMatchObject({
      stampedAt: "2026-11-20T16:01:00.000Z",
      pacRfc: SANDBOX_PAC_RFC,
      noCertificadoSat: SANDBOX_CERTIFICATE_SERIAL,
    });
    const tfdStart = result.xml.indexOf("<tfd:TimbreFiscalDigital");
    const tfdEnd = result.xml.indexOf("/>", tfdStart) + 2;
    expect(result.xml.slice(0, tfdStart) + result.xml.slice(tfdEnd)).toBe(
      xml.replace("</cfdi:Comprobante>", "<cfdi:Complemento></cfdi:Complemento></cfdi:Comprobante>"),
    );

    const cfdi = parseCfdi(result.xml);
    expect(timbre(cfdi)).toMatchObject({
      Version: "1.1",
      UUID: result.uuid,
      FechaTimbrado: "2026-11-20T10:01:00",
      RfcProvCertif: SANDBOX_PAC_RFC,
      SelloCFD: cfdi.Sello,
      NoCertificadoSAT: SANDBOX_CERTIFICATE_SERIAL,
    });
    const { valid, checks } = await verification(result.xml);
    expect(Object.keys(checks).sort()).toEqual(
      [
        "certificate_kind",
        "certificate_rfc",
        "certificate_serial",
        "certificate_validity",
        "sello",
        "tfd_sello_cfd",
        "tfd_sello_sat",
      ].sort(),
    );
    expect(Object.values(checks).every((c) => c.status === "passed")).toBe(true);
    expect(valid).toBe(true);
    expect(checks.tfd_sello_sat!.code).toBe("tfd_sello_sat_valid_sandbox");
  });

  it("appends to an existing Complemento (Pagos 2.0), keeping the Pagos cadena intact", async () => {
    const xml = await sealed({
      type: "P",
      receptor: { rfc: "COSC8001137NA", name: "CARLOS CORTES SOTO", taxRegime: "605", postalCode: "52000" },
      paymentForm: undefined,
      paymentMethod: undefined,
      items: undefined,
      payments: [
        {
          date: "2026-11-18T17:18:19",
          paymentForm: "03",
          currency: "MXN",
          relatedDocuments: [
            {
              uuid: "BFD6E5D4-6B3E-4B1C-9B58-8D2B3E2C7A11",
              currency: "MXN",
              installment: 1,
              previousBalance: "1160.00",
              amountPaid: "1160.00",
              taxObject: "02",
              taxes: [{ tax: "IVA", factor: "Tasa", rate: "0.16" }],
            },
          ],
        },
      ],
    } as Partial<InvoiceInput>);
    const result = await new SandboxPac({ clock }).stamp({ xml, idempotencyKey: key() });
    expect(result.xml).toMatch(/<\/pago20:Pagos><tfd:TimbreFiscalDigital [^>]+\/><\/cfdi:Complemento>/);
    const { valid, checks } = await verification(result.xml);
    expect(valid).toBe(true);
    expect(checks.sello!.status).toBe("passed");
    expect(checks.tfd_sello_sat!.status).toBe("passed");
  });

  it("places a new Complemento before the Addenda, whatever the CFDI prefix", async () => {
    const xml = (await sealed())
      .replaceAll("cfdi:", "c:")
      .replace("xmlns:cfdi=", "xmlns:c=")
      .replace(
        "</c:Comprobante>",
        '<c:Addenda><x:Nota xmlns:x="urn:x">&lt;/c:Comprobante&gt;</x:Nota></c:Addenda></c:Comprobante>',
      );
    const result = await new SandboxPac({ clock }).stamp({ xml, idempotencyKey: key() });
    expect(result.xml).toMatch(
      /<c:Complemento><tfd:TimbreFiscalDigital [^>]+\/><\/c:Complemento><c:Addenda>/,
    );
    expect((await verification(result.xml)).valid).toBe(true);
  });

  it("accepts a Fecha 71 hours old", async () => {
    const xml = await sealed({ date: mexicoCityDateTime(new Date(clock().getTime() - 71 * HOUR)) });
    const result = await new SandboxPac({ clock }).stamp({ xml, idempotencyKey: key() });
    expect((await verification(result.xml)).valid).toBe(true);
  });
});

describe.skipIf(missingTools.length > 0)("SAT XSLT + openssl agree with the stamp", () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), "timbre-pac-"));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  const xslt = (stylesheet: string, file: string) =>
    execFileSync("xsltproc", [stylesheet, file], { encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] });
  const opensslVerifies = (publicKeyPem: string, signatureBase64: string, text: string) => {
    writeFileSync(join(dir, "key.pem"), publicKeyPem);
    writeFileSync(join(dir, "sig"), Buffer.from(signatureBase64, "base64"));
    writeFileSync(join(dir, "text"), text);
    const run = spawnSync(
      "openssl",
      ["dgst", "-sha256", "-verify", join(dir, "key.pem"), "-signature", join(dir, "sig"), join(dir, "text")],
      { encoding: "utf8" },
    );
    return run.status === 0 && run.stdout.includes("Verified OK");
  };
  const publicKeyOf = (certificateFile: string, inform: "DER" | "PEM") =>
    execFileSync("openssl", ["x509", "-inform", inform, "-in", certificateFile, "-pubkey", "-noout"], {
      encoding: "utf8",
    });

  it("xsltproc computes our TFD cadena, and openssl verifies the SelloSAT and the document's Sello", async () => {
    const xml = await sealed();
    const result = await new SandboxPac({ clock }).stamp({ xml, idempotencyKey: key() });
    const stampedFile = join(dir, "stamped.xml");
    writeFileSync(stampedFile, result.xml);
    const tfdFile = join(dir, "tfd.xml");
    writeFileSync(tfdFile, /<tfd:TimbreFiscalDigital [^>]+\/>/.exec(result.xml)![0]);

    const tfd = timbre(parseCfdi(result.xml))!;
    const satTfdCadena = xslt(TFD_XSLT, tfdFile);
    expect(satTfdCadena).toBe(tfdCadena(tfd));
    const sandboxKey = publicKeyOf(fileURLToPath(new URL("sandbox-pac.cer.pem", CERTIFICATE_DIR)), "PEM");
    expect(opensslVerifies(sandboxKey, tfd.SelloSAT, satTfdCadena)).toBe(true);
    expect(opensslVerifies(sandboxKey, tfd.SelloSAT, `${satTfdCadena}x`)).toBe(false);

    const issuerKey = publicKeyOf(fixturePath("csd/EKU9003173C9/EKU9003173C9.cer"), "DER");
    const satCadena = xslt(CFDI_XSLT, stampedFile);
    expect(opensslVerifies(issuerKey, parseCfdi(result.xml).Sello!, satCadena)).toBe(true);
  });

  it("refuses a document sealed with an e.firma (FIEL) with 306", async () => {
    const fielKey = join(dir, "fiel.key.pem");
    const fielCer = join(dir, "fiel.cer");
    execFileSync("openssl", ["genrsa", "-out", fielKey, "2048"], { stdio: "ignore" });
    // The shape of an e.firma (no organizationalUnitName, key usage for encryption too), valid from
    // 2024 so the test's fixed clock falls inside it: openssl ca, unlike req -x509, can backdate.
    writeFileSync(join(dir, "index.txt"), "");
    writeFileSync(join(dir, "serial"), "01\n");
    writeFileSync(
      join(dir, "ca.cnf"),
      `[ca]\ndefault_ca = fiel\n[fiel]\ndatabase = ${dir}/index.txt\nnew_certs_dir = ${dir}\nserial = ${dir}/serial\ndefault_md = sha256\npolicy = any\nx509_extensions = ext\n[any]\ncommonName = supplied\n[ext]\nkeyUsage = digitalSignature,nonRepudiation,dataEncipherment,keyAgreement\n`,
    );
    execFileSync("openssl", [
      "req",
      "-new",
      "-key",
      fielKey,
      "-subj",
      "/CN=ESCUELA KEMPER URGATE/x500UniqueIdentifier=EKU9003173C9",
      "-out",
      join(dir, "fiel.csr"),
    ]);
    execFileSync(
      "openssl",
      [
        "ca",
        "-batch",
        "-selfsign",
        "-preserveDN",
        "-notext",
        "-config",
        join(dir, "ca.cnf"),
        "-keyfile",
        fielKey,
        "-startdate",
        "20240101000000Z",
        "-enddate",
        "20400101000000Z",
        "-in",
        join(dir, "fiel.csr"),
        "-out",
        join(dir, "fiel.pem"),
      ],
      { stdio: "ignore" },
    );
    execFileSync("openssl", ["x509", "-in", join(dir, "fiel.pem"), "-outform", "DER", "-out", fielCer]);
    const pkcs8 = execFileSync("openssl", ["pkcs8", "-topk8", "-nocrypt", "-in", fielKey, "-outform", "DER"]);
    const certificate = readCertificate(readFileSync(fielCer));
    expect(certificate.kind).toBe("fiel");
    const fiel: Csd = {
      certificate,
      certificateBase64: readFileSync(fielCer).toString("base64"),
      privateKey: await crypto.subtle.importKey(
        "pkcs8",
        pkcs8,
        { name: "RSASSA-PKCS1-v1_5", hash: "SHA-256" },
        false,
        ["sign"],
      ),
    };
    const built = await buildCfdi(invoice({ date: mexicoCityDateTime(clock()) }), { csd: fiel, now: NOW });
    const error = await refusal(new SandboxPac({ clock }).stamp({ xml: built.xml, idempotencyKey: key() }));
    expect(error.code).toBe("306");
  });
});

describe("refusals", () => {
  const pac = new SandboxPac({ clock });

  it("301 for XML that is not well-formed or not a CFDI", async () => {
    expect((await refusal(pac.stamp({ xml: "<cfdi:Comprobante", idempotencyKey: key() }))).code).toBe("301");
    const notCfdi = await refusal(pac.stamp({ xml: "<a/>", idempotencyKey: key() }));
    expect(notCfdi).toMatchObject({ code: "301", status: 422, details: { provider: "sandbox" } });
  });

  it("302 for a tampered Sello or a document altered after sealing", async () => {
    const xml = await sealed();
    const sello = /Sello="([^"]+)"/.exec(xml)![1]!;
    const flipped = sello.slice(0, 10) + (sello[10] === "A" ? "B" : "A") + sello.slice(11);
    expect((await refusal(pac.stamp({ xml: xml.replace(sello, flipped), idempotencyKey: key() }))).code).toBe(
      "302",
    );
    const altered = xml.replace('Total="2901.16"', 'Total="2901.17"');
    expect(altered).not.toBe(xml);
    const error = await refusal(pac.stamp({ xml: altered, idempotencyKey: key() }));
    expect(error.code).toBe("302");
    expect(error.message).toMatch(/^302 - Sello mal formado o inválido: /);
  });

  it("303 when the certificate is not the issuer's", async () => {
    const { cfdi } = await buildCfdi(invoice(), { csd, now: NOW });
    const xml = await sealByHand({ ...cfdi, Emisor: { ...cfdi.Emisor, Rfc: "XIQB891116QE4" } });
    const error = await refusal(pac.stamp({ xml, idempotencyKey: key() }));
    expect(error.code).toBe("303");
    expect(error.details.checks).toEqual([expect.objectContaining({ code: "certificate_rfc_mismatch" })]);
  });

  it("401 for a Fecha 73 hours before stamping, or later than stamping", async () => {
    const old = await sealed({ date: mexicoCityDateTime(new Date(clock().getTime() - 73 * HOUR)) });
    const error = await refusal(pac.stamp({ xml: old, idempotencyKey: key() }));
    expect(error.code).toBe("401");
    expect(error.message).toContain("72 hours");
    const future = await sealed({ date: mexicoCityDateTime(new Date(clock().getTime() + 3 * HOUR)) });
    expect((await refusal(pac.stamp({ xml: future, idempotencyKey: key() }))).code).toBe("401");
  });

  it("304 when the CSD has expired by stamping time, 305 when Fecha is outside its validity", async () => {
    const notAfter = Date.parse(csd.certificate.notAfter);
    const late = new SandboxPac({ clock: () => new Date(notAfter + HOUR) });
    const lastDay = await buildCfdi(invoice({ date: mexicoCityDateTime(new Date(notAfter - HOUR)) }), {
      csd,
      now: NOW,
    });
    expect((await refusal(late.stamp({ xml: lastDay.xml, idempotencyKey: key() }))).code).toBe("304");

    // A Fecha before the CSD existed: sealed by hand, since sealCfdi refuses to.
    const { cfdi } = await buildCfdi(invoice(), { csd, now: NOW });
    const backdated = await sealByHand({ ...cfdi, Fecha: "2023-01-02T10:00:00" });
    expect((await refusal(pac.stamp({ xml: backdated, idempotencyKey: key() }))).code).toBe("305");
  });

  it("307 for a document that already carries a stamp", async () => {
    const stamped = await pac.stamp({ xml: await sealed(), idempotencyKey: key() });
    const error = await refusal(pac.stamp({ xml: stamped.xml, idempotencyKey: key() }));
    expect(error.code).toBe("307");
    expect(error.message).toContain(stamped.uuid);
  });

  it("SAT's CFDI40xxx code for a sealed document that breaks a SAT rule", async () => {
    const built = await buildCfdi(invoice({ date: mexicoCityDateTime(clock()) }), { csd, now: NOW });
    const broken = await sealCfdi({ ...built.cfdi, TipoCambio: "2" }, csd);
    const error = await refusal(pac.stamp({ xml: broken.xml, idempotencyKey: key() }));
    expect(error.code).toBe("CFDI40114");
    expect(error.details.errors).toContainEqual(expect.objectContaining({ code: "CFDI40114" }));
  });
});

describe("idempotency", () => {
  it("returns the first stamp for a retried key or the same document, and 409 for a reused key", async () => {
    const pac = new SandboxPac({ clock });
    const xml = await sealed();
    const first = await pac.stamp({ xml, idempotencyKey: "order-1" });
    const retried = await pac.stamp({ xml, idempotencyKey: "order-1" });
    const sameDocument = await pac.stamp({ xml, idempotencyKey: "order-1-again" });
    expect(retried).toEqual(first);
    expect(sameDocument).toEqual(first);

    const concurrent = await Promise.all(
      Array.from({ length: 5 }, () => pac.stamp({ xml: xml, idempotencyKey: key() })),
    );
    expect(new Set(concurrent.map((r: StampResult) => r.uuid))).toEqual(new Set([first.uuid]));

    const other = await sealed({ folio: "2" });
    await expect(pac.stamp({ xml: other, idempotencyKey: "order-1" })).rejects.toMatchObject({
      status: 409,
      code: "idempotency_key_reused",
    });
    expect((await pac.stamp({ xml: other, idempotencyKey: "order-2" })).uuid).not.toBe(first.uuid);
  });

  it("does not remember a refusal: the corrected document stamps under the same key", async () => {
    let now = clock().getTime() + 80 * HOUR;
    const pac = new SandboxPac({ clock: () => new Date(now) });
    const xml = await sealed();
    expect((await refusal(pac.stamp({ xml, idempotencyKey: "retry" }))).code).toBe("401");
    now = clock().getTime();
    expect((await pac.stamp({ xml, idempotencyKey: "retry" })).uuid).toBeTruthy();
  });
});

describe("speed", () => {
  it("stamps in well under the 5 ms budget (median of 300)", async () => {
    const pac = new SandboxPac({ clock, memory: 10 });
    const documents = await Promise.all(Array.from({ length: 300 }, (_, i) => sealed({ folio: String(i) })));
    await pac.stamp({ xml: documents[0]!, idempotencyKey: key() });
    const times: number[] = [];
    for (const xml of documents.slice(1)) {
      const start = performance.now();
      await pac.stamp({ xml, idempotencyKey: key() });
      times.push(performance.now() - start);
    }
    times.sort((a, b) => a - b);
    const median = times[Math.floor(times.length / 2)]!;
    console.log(
      `sandbox stamp: median ${median.toFixed(3)} ms, p90 ${times[Math.floor(times.length * 0.9)]!.toFixed(3)} ms over ${times.length} stamps`,
    );
    expect(median).toBeLessThan(5);
  });
});
