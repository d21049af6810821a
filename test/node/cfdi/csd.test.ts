import { execFileSync, spawnSync } from "node:child_process";
import { createPrivateKey } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseDer, sequence } from "../../../shared/cfdi/asn1";
import {
  base64ToBytes,
  bytesToBase64,
  loadCsd,
  readCertificate,
  readPrivateKey,
  signSha256,
} from "../../../shared/cfdi/csd/index";
import { findSatCertificate, satCertificateSerials } from "../../../shared/cfdi/sat-certs/index";
import { isAppError } from "../../../shared/errors";
import { fixturePath, readFixture, readFixtureText } from "../helpers/fixtures";

const PASSWORD = readFixtureText("csd/EKU9003173C9/password.txt").trim();
const ekuCer = readFixture("csd/EKU9003173C9/EKU9003173C9.cer");
const ekuKey = readFixture("csd/EKU9003173C9/EKU9003173C9.key");
const xiqbCer = readFixture("csd/XIQB891116QE4/XIQB891116QE4.cer");
const xiqbKey = readFixture("csd/XIQB891116QE4/XIQB891116QE4.key");
const IN_EKU_VALIDITY = new Date("2025-01-01T00:00:00Z");

const hasOpenssl = spawnSync("openssl", ["version"]).status === 0;

async function errorCode(promise: Promise<unknown> | (() => unknown)): Promise<string | undefined> {
  try {
    await (typeof promise === "function" ? promise() : promise);
  } catch (error) {
    return isAppError(error) ? error.code : `not an AppError: ${String(error)}`;
  }
  return undefined;
}

describe("readCertificate", () => {
  it("reads the SAT serial, RFC, name, branch and validity of a persona moral CSD", () => {
    const info = readCertificate(ekuCer);
    expect(info).toMatchObject({
      serialNumber: "30001000000500003416",
      rfc: "EKU9003173C9",
      name: "ESCUELA KEMPER URGATE SA DE CV",
      branch: "Sucursal 1",
      issuer: "AC UAT",
      notBefore: "2023-05-18T11:43:51.000Z",
      notAfter: "2027-05-18T11:43:51.000Z",
      kind: "csd",
      keyUsage: ["digitalSignature", "nonRepudiation"],
    });
    expect(info.der).toEqual(new Uint8Array(ekuCer));
  });

  it("reads a persona física CSD, whose unique identifier is a bare RFC", () => {
    expect(readCertificate(xiqbCer)).toMatchObject({
      serialNumber: "30001000000400002336",
      rfc: "XIQB891116QE4",
      name: "BERENICE XIMO QUEZADA",
      notAfter: "2023-05-29T19:52:42.000Z",
      kind: "csd",
    });
  });

  it("accepts the base64 of a CFDI Certificado attribute and PEM text", () => {
    const base64 = bytesToBase64(ekuCer);
    const pem = `-----BEGIN CERTIFICATE-----\n${base64.match(/.{1,64}/g)!.join("\n")}\n-----END CERTIFICATE-----\n`;
    expect(readCertificate(base64).serialNumber).toBe("30001000000500003416");
    expect(readCertificate(pem).spki).toEqual(readCertificate(ekuCer).spki);
  });

  it.skipIf(!hasOpenssl)("exposes the same public key and serial openssl reads", () => {
    const file = fixturePath("csd/EKU9003173C9/EKU9003173C9.cer");
    const modulus = execFileSync("openssl", ["x509", "-inform", "DER", "-noout", "-modulus", "-in", file], {
      encoding: "utf8",
    });
    const serial = execFileSync("openssl", ["x509", "-inform", "DER", "-noout", "-serial", "-in", file], {
      encoding: "utf8",
    });
    const info = readCertificate(ekuCer);
    expect(Buffer.from(info.modulus).toString("hex").toUpperCase()).toBe(
      modulus.trim().replace("Modulus=", ""),
    );
    expect(Buffer.from(info.serialNumber, "ascii").toString("hex").toUpperCase()).toBe(
      serial.trim().replace("serial=", ""),
    );
  });

  it("refuses what is not a certificate with csd_invalid_certificate", async () => {
    expect(await errorCode(() => readCertificate(new Uint8Array([1, 2, 3, 4])))).toBe(
      "csd_invalid_certificate",
    );
    expect(await errorCode(() => readCertificate(ekuCer.subarray(0, 700)))).toBe("csd_invalid_certificate");
    expect(await errorCode(() => readCertificate(ekuKey))).toBe("csd_invalid_certificate");
    expect(await errorCode(() => readCertificate("not base64 at all!"))).toBe("csd_invalid_certificate");
    expect(await errorCode(() => readCertificate(""))).toBe("csd_invalid_certificate");
  });
});

describe("signing with a CSD", () => {
  it("signs the CfdiUtils fixture text to exactly the recorded openssl signature", async () => {
    const csd = await loadCsd({ cer: ekuCer, key: ekuKey, password: PASSWORD }, { now: IN_EKU_VALIDITY });
    const signature = await signSha256(csd.privateKey, readFixtureText("csd/EKU9003173C9/data-to-sign.txt"));
    expect(signature).toBe(readFixtureText("csd/EKU9003173C9/data-sha256.txt").replace(/\s+/g, ""));
    expect(csd.certificateBase64).toBe(bytesToBase64(ekuCer));
    expect(csd.certificate.rfc).toBe("EKU9003173C9");
  });

  it("accepts the key as base64 text", async () => {
    const { privateKey } = await readPrivateKey(bytesToBase64(ekuKey), PASSWORD);
    expect(privateKey.type).toBe("private");
  });

  describe.skipIf(!hasOpenssl)("against openssl", () => {
    let dir: string;
    beforeAll(() => {
      dir = mkdtempSync(join(tmpdir(), "timbre-csd-"));
    });
    afterAll(() => rmSync(dir, { recursive: true, force: true }));

    const pemKeyOf = (keyFile: string) => {
      const pem = join(dir, "key.pem");
      execFileSync("openssl", [
        "pkcs8",
        "-inform",
        "DER",
        "-in",
        keyFile,
        "-passin",
        `pass:${PASSWORD}`,
        "-out",
        pem,
      ]);
      return pem;
    };

    it("produces the signature openssl dgst -sha256 -sign produces over a UTF-8 cadena", async () => {
      const cadena = "||4.0|A|123|2024-01-01T00:00:00|ÑANDÚ & CÍA|Año|1500.00||";
      const data = join(dir, "cadena.txt");
      writeFileSync(data, cadena, "utf8");
      const pem = pemKeyOf(fixturePath("csd/XIQB891116QE4/XIQB891116QE4.key"));
      const expected = execFileSync("openssl", ["dgst", "-sha256", "-sign", pem, data]).toString("base64");
      const { privateKey } = await readPrivateKey(xiqbKey, PASSWORD);
      expect(await signSha256(privateKey, cadena)).toBe(expected);
    });

    it.each([
      ["AES-256-CBC with hmacWithSHA256", ["-v2", "aes-256-cbc", "-v2prf", "hmacWithSHA256"]],
      ["AES-128-CBC with hmacWithSHA1", ["-v2", "aes-128-cbc", "-v2prf", "hmacWithSHA1"]],
      ["DES-EDE3-CBC with hmacWithSHA512", ["-v2", "des3", "-v2prf", "hmacWithSHA512"]],
    ])("opens a key re-encrypted with PBES2 %s", async (_, cipherArgs) => {
      const pem = pemKeyOf(fixturePath("csd/EKU9003173C9/EKU9003173C9.key"));
      const reencrypted = join(dir, "reencrypted.key");
      execFileSync("openssl", [
        "pkcs8",
        "-topk8",
        ...cipherArgs,
        "-in",
        pem,
        "-outform",
        "DER",
        "-passout",
        "pass:otra clave",
        "-out",
        reencrypted,
      ]);
      const csd = await loadCsd(
        { cer: ekuCer, key: readFileSync(reencrypted), password: "otra clave" },
        { now: IN_EKU_VALIDITY },
      );
      const text = readFixtureText("csd/EKU9003173C9/data-to-sign.txt");
      expect(await signSha256(csd.privateKey, text)).toBe(
        readFixtureText("csd/EKU9003173C9/data-sha256.txt").replace(/\s+/g, ""),
      );
      expect(await errorCode(readPrivateKey(readFileSync(reencrypted), PASSWORD))).toBe("csd_wrong_password");
    });

    it("refuses an e.firma (FIEL) certificate with csd_is_fiel, however it is paired", async () => {
      const fielKey = join(dir, "fiel.key.pem");
      const fielCer = join(dir, "fiel.cer");
      const fielKeyDer = join(dir, "fiel.key");
      execFileSync("openssl", ["genrsa", "-out", fielKey, "2048"], { stdio: "ignore" });
      // The shape of an e.firma: no organizationalUnitName, and key usage for encryption too.
      execFileSync("openssl", [
        "req",
        "-new",
        "-x509",
        "-key",
        fielKey,
        "-days",
        "30",
        "-subj",
        "/CN=PERSONA DE PRUEBA/x500UniqueIdentifier=XIQB891116QE4/serialNumber=XIQB891116MGRMZR05",
        "-addext",
        "keyUsage=digitalSignature,nonRepudiation,dataEncipherment,keyAgreement",
        "-outform",
        "DER",
        "-out",
        fielCer,
      ]);
      execFileSync("openssl", [
        "pkcs8",
        "-topk8",
        "-v2",
        "des3",
        "-in",
        fielKey,
        "-outform",
        "DER",
        "-passout",
        `pass:${PASSWORD}`,
        "-out",
        fielKeyDer,
      ]);
      const info = readCertificate(readFileSync(fielCer));
      expect(info).toMatchObject({ rfc: "XIQB891116QE4", branch: "", kind: "fiel" });
      expect(info.keyUsage).toContain("keyAgreement");
      expect(
        await errorCode(
          loadCsd({ cer: readFileSync(fielCer), key: readFileSync(fielKeyDer), password: PASSWORD }),
        ),
      ).toBe("csd_is_fiel");
    });

    it("treats a certificate with a branch but encryption key usage as FIEL too", () => {
      const key = join(dir, "k.pem");
      const cer = join(dir, "k.cer");
      execFileSync("openssl", ["genrsa", "-out", key, "2048"], { stdio: "ignore" });
      execFileSync("openssl", [
        "req",
        "-new",
        "-x509",
        "-key",
        key,
        "-subj",
        "/CN=X/OU=Sucursal/x500UniqueIdentifier=EKU9003173C9",
        "-addext",
        "keyUsage=digitalSignature,nonRepudiation,keyEncipherment",
        "-outform",
        "DER",
        "-out",
        cer,
      ]);
      expect(readCertificate(readFileSync(cer)).kind).toBe("fiel");
    });
  });
});

describe("loadCsd refuses unusable credentials with a specific code", () => {
  it("wrong password", async () => {
    expect(await errorCode(loadCsd({ cer: ekuCer, key: ekuKey, password: "12345678b" }))).toBe(
      "csd_wrong_password",
    );
    expect(await errorCode(loadCsd({ cer: ekuCer, key: ekuKey, password: "" }))).toBe("csd_wrong_password");
  });

  it("a key that belongs to another certificate", async () => {
    const code = await errorCode(
      loadCsd({ cer: ekuCer, key: xiqbKey, password: PASSWORD }, { now: IN_EKU_VALIDITY }),
    );
    expect(code).toBe("csd_key_mismatch");
  });

  it("an expired certificate, and one not valid yet", async () => {
    expect(await errorCode(loadCsd({ cer: xiqbCer, key: xiqbKey, password: PASSWORD }))).toBe("csd_expired");
    const inXiqbValidity = new Date("2021-06-01T12:00:00Z");
    const csd = await loadCsd({ cer: xiqbCer, key: xiqbKey, password: PASSWORD }, { now: inXiqbValidity });
    expect(csd.certificate.serialNumber).toBe("30001000000400002336");
    const beforeEku = new Date("2023-05-18T11:43:50Z");
    expect(
      await errorCode(loadCsd({ cer: ekuCer, key: ekuKey, password: PASSWORD }, { now: beforeEku })),
    ).toBe("csd_not_yet_valid");
  });

  it("garbage in place of the certificate or the key", async () => {
    const garbage = crypto.getRandomValues(new Uint8Array(1200));
    expect(await errorCode(loadCsd({ cer: garbage, key: ekuKey, password: PASSWORD }))).toBe(
      "csd_invalid_certificate",
    );
    expect(await errorCode(loadCsd({ cer: ekuCer, key: garbage, password: PASSWORD }))).toBe(
      "csd_invalid_key",
    );
    expect(await errorCode(loadCsd({ cer: ekuCer, key: ekuCer, password: PASSWORD }))).toBe(
      "csd_invalid_key",
    );
    expect(await errorCode(loadCsd({ cer: ekuCer, key: ekuKey.subarray(0, 600), password: PASSWORD }))).toBe(
      "csd_invalid_key",
    );
  });

  it("a damaged key that still decrypts, instead of sealing with signatures nobody can verify", async () => {
    // Damage the private exponent and a prime (CRT and non-CRT signing both break) but keep the modulus.
    const plain = createPrivateKey({
      key: ekuKey,
      format: "der",
      type: "pkcs8",
      passphrase: PASSWORD,
    }).export({
      format: "der",
      type: "pkcs8",
    });
    const rsaKey = sequence(parseDer(plain), "PrivateKeyInfo")[2]!;
    const [, , , d, p] = sequence(parseDer(rsaKey.value), "RSAPrivateKey");
    const offsetOf = (part: Uint8Array) => part.byteOffset - plain.byteOffset;
    const damaged = Buffer.from(plain);
    damaged[offsetOf(d!.value) + 40]! ^= 0x55;
    damaged[offsetOf(p!.value) + 40]! ^= 0x55;
    const reencrypted = createPrivateKey({ key: damaged, format: "der", type: "pkcs8" }).export({
      format: "der",
      type: "pkcs8",
      cipher: "des-ede3-cbc",
      passphrase: PASSWORD,
    });
    const csd = loadCsd({ cer: ekuCer, key: reencrypted, password: PASSWORD }, { now: IN_EKU_VALIDITY });
    expect(await errorCode(csd)).toBe("csd_invalid_key");
  });
});

describe("damaged input never escapes as anything but its AppError", () => {
  const mutations = (source: Uint8Array) =>
    fc.array(fc.tuple(fc.nat({ max: source.length - 1 }), fc.integer({ min: 1, max: 255 })), {
      minLength: 1,
      maxLength: 4,
    });
  const mutate = (source: Uint8Array, changes: [number, number][]) => {
    const copy = new Uint8Array(source);
    for (const [at, xor] of changes) copy[at]! ^= xor;
    return copy;
  };

  it("certificates with flipped bytes are read or refused with csd_invalid_certificate", async () => {
    await fc.assert(
      fc.asyncProperty(mutations(ekuCer), fc.nat({ max: ekuCer.length }), async (changes, cut) => {
        const damaged = mutate(ekuCer, changes).subarray(0, cut === 0 ? undefined : cut);
        const code = await errorCode(() => readCertificate(damaged));
        expect([undefined, "csd_invalid_certificate"]).toContain(code);
      }),
      { numRuns: 500 },
    );
  });

  it("a key whose decrypted parts are inconsistent, which makes signing itself fail", async () => {
    // Found by the property below: this flip garbles a block of the private exponent's CRT parts.
    const damaged = mutate(ekuKey, [[756, 1]]);
    expect(
      await errorCode(loadCsd({ cer: ekuCer, key: damaged, password: PASSWORD }, { now: IN_EKU_VALIDITY })),
    ).toBe("csd_invalid_key");
  });

  it("keys with flipped bytes open or are refused with a csd_ code", async () => {
    await fc.assert(
      fc.asyncProperty(mutations(ekuKey), async (changes) => {
        const code = await errorCode(
          loadCsd(
            { cer: ekuCer, key: mutate(ekuKey, changes), password: PASSWORD },
            { now: IN_EKU_VALIDITY },
          ),
        );
        expect([undefined, "csd_invalid_key", "csd_wrong_password", "csd_key_mismatch"]).toContain(code);
      }),
      { numRuns: 150 },
    );
  });
});

describe("SAT certificate store", () => {
  it("holds every certificate of the fixture sat-certs folder, keyed by its SAT serial", () => {
    expect(satCertificateSerials()).toEqual(["00001000000504465028", "30001000000500003456"]);
    for (const serial of satCertificateSerials()) {
      const certificate = findSatCertificate(serial)!;
      expect(certificate.serialNumber).toBe(serial);
      expect(certificate.der).toEqual(new Uint8Array(readFixture(`sat-certs/${serial}.cer`)));
    }
    expect(findSatCertificate("00001000000504465028")?.rfc).toBe("SAT970701NN3");
  });

  it("answers undefined for certificates it does not have", () => {
    expect(findSatCertificate("30001000000400002460")).toBeUndefined();
    expect(findSatCertificate("toString")).toBeUndefined();
  });
});

describe("base64", () => {
  it("round-trips bytes and refuses non-base64 text", async () => {
    const bytes = crypto.getRandomValues(new Uint8Array(60_000));
    expect(base64ToBytes(bytesToBase64(bytes))).toEqual(bytes);
    expect(await errorCode(() => base64ToBytes("ab$d"))).toBe("base64_invalid");
  });
});
