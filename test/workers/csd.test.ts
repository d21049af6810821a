// PUT and DELETE /v1/organizations/{organizationId}/csd with SAT's test CSDs: what a user sees, what
// the stamping path gets (a key that seals a CFDI that verifies), and that the key never leaks.
import { env } from "cloudflare:workers";
import { eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { organizationCsds } from "../../db/schema";
import { buildCfdi } from "../../shared/cfdi/build";
import ingreso from "../../shared/cfdi/build/examples/ingreso.json";
import { parseCfdi } from "../../shared/cfdi/parse";
import { verifyCfdi } from "../../shared/cfdi/verify";
import { base64ToBytes, bytesToBase64 } from "../../shared/encoding";
import { isAppError } from "../../shared/errors";
import type { AppBindings } from "../../workers/env";
import type { ServiceContext } from "../../workers/services/context";
import { loadOrganizationCsd } from "../../workers/services/csd";
import {
  addMember,
  call,
  callMultipart,
  createOrg,
  createOrgWithRfc,
  db,
  signUp,
  type TestUser,
} from "./harness";

const fixture = (path: string) => {
  const value = env.TEST_FIXTURES[`csd/${path}`];
  if (value === undefined) throw new Error(`no fixture csd/${path}`);
  return base64ToBytes(value);
};
const EKU = {
  rfc: "EKU9003173C9",
  cer: fixture("EKU9003173C9/EKU9003173C9.cer"),
  key: fixture("EKU9003173C9/EKU9003173C9.key"),
  password: new TextDecoder().decode(fixture("EKU9003173C9/password.txt")).trim(),
};
const XIQB = {
  rfc: "XIQB891116QE4",
  cer: fixture("XIQB891116QE4/XIQB891116QE4.cer"),
  key: fixture("XIQB891116QE4/XIQB891116QE4.key"),
  password: new TextDecoder().decode(fixture("XIQB891116QE4/password.txt")).trim(),
};

// Every response body of this file, checked at the end for key material and passwords.
const seen: string[] = [];
const record = <T extends { text: string }>(res: T) => {
  seen.push(res.text);
  return res;
};

const serviceCtx = (): ServiceContext => ({
  db: db(),
  env: env as unknown as AppBindings,
  log: () => {},
  defer: () => {},
});

async function upload(token: string, orgId: string, type: string, bytes: Uint8Array, name: string) {
  const res = record(
    await callMultipart("POST", `/v1/files?type=${type}&organization_id=${orgId}`, token, {
      file: new File([bytes], name, { type: "application/octet-stream" }),
    }),
  );
  expect(res.status, res.text).toBe(201);
  return res.json.file.id as string;
}

async function uploadPair(user: TestUser, orgId: string, pair: { cer: Uint8Array; key: Uint8Array }) {
  return {
    csdCertFileId: await upload(user.token, orgId, "csd_cert_file", pair.cer, "csd.cer"),
    csdKeyFileId: await upload(user.token, orgId, "csd_key_file", pair.key, "csd.key"),
  };
}

const putCsd = async (token: string, orgId: string, body: unknown) =>
  record(await call("PUT", `/v1/organizations/${orgId}/csd`, { token, body }));
const deleteCsd = async (token: string, orgId: string) =>
  record(await call("DELETE", `/v1/organizations/${orgId}/csd`, { token }));
const getOrg = async (token: string, orgId: string) =>
  record(await call("GET", `/v1/organizations/${orgId}`, { token }));

async function storedRow(orgId: string) {
  const [row] = await db().select().from(organizationCsds).where(eq(organizationCsds.organizationId, orgId));
  return row;
}

async function errorCode(promise: Promise<unknown>): Promise<string | undefined> {
  try {
    await promise;
  } catch (error) {
    return isAppError(error) ? error.code : `not an AppError: ${String(error)}`;
  }
  return undefined;
}

async function expectNothingStored(token: string, orgId: string) {
  expect(await storedRow(orgId)).toBeUndefined();
  const org = await getOrg(token, orgId);
  expect(org.json).toMatchObject({ csdUploadedAt: null, csdSerialNumber: null, csdValidTo: null });
}

describe("PUT /v1/organizations/{organizationId}/csd", () => {
  it("stores the SAT test CSD, shows it on the organization and consumes the .key file", async () => {
    const owner = await signUp("csd");
    const org = await createOrgWithRfc(owner, EKU.rfc);
    const ids = await uploadPair(owner, org.id, EKU);

    const res = await putCsd(owner.token, org.id, { ...ids, csdPassword: EKU.password });
    expect(res.status, res.text).toBe(200);
    expect(res.json).toEqual({
      success: true,
      message: "csd_files_uploaded",
      csd: {
        serialNumber: "30001000000500003416",
        validFrom: "2023-05-18T11:43:51.000Z",
        validTo: "2027-05-18T11:43:51.000Z",
        rfc: EKU.rfc,
      },
    });

    const shown = await getOrg(owner.token, org.id);
    expect(shown.json.csdUploadedAt).toMatch(/^\d{4}-\d\d-\d\dT/);
    expect(shown.json).toMatchObject({
      csdSerialNumber: "30001000000500003416",
      csdValidFrom: "2023-05-18T11:43:51.000Z",
      csdValidTo: "2027-05-18T11:43:51.000Z",
    });
    // The .key is no longer downloadable as a file, nor left in storage; the public certificate stays.
    expect(record(await call("GET", `/v1/files/${ids.csdKeyFileId}`, { token: owner.token })).status).toBe(
      404,
    );
    expect(await env.FILES.list({ prefix: `org/${org.id}/` })).toMatchObject({ objects: [{}] });
    expect(record(await call("GET", `/v1/files/${ids.csdCertFileId}`, { token: owner.token })).status).toBe(
      200,
    );
  });

  it("gives the stamping path a key that seals a CFDI that verifies, bound to its organization", async () => {
    const owner = await signUp("csd");
    const org = await createOrgWithRfc(owner, EKU.rfc);
    const ids = await uploadPair(owner, org.id, EKU);
    expect((await putCsd(owner.token, org.id, { ...ids, csdPassword: EKU.password })).status).toBe(200);

    const csd = await loadOrganizationCsd(serviceCtx(), org.id);
    expect(csd.privateKey.extractable).toBe(false);
    expect(csd.certificateBase64).toBe(bytesToBase64(EKU.cer));
    const sealed = await buildCfdi(ingreso, { csd });
    const report = await verifyCfdi(parseCfdi(sealed.xml));
    expect(report.checks.find((c) => c.check === "sello")).toMatchObject({ ok: true });
    expect(report.valid, JSON.stringify(report.checks)).toBe(true);

    // The ciphertext copied to another organization does not decrypt there.
    const other = await createOrg(owner);
    const row = (await storedRow(org.id))!;
    await db()
      .insert(organizationCsds)
      .values({ ...row, organizationId: other.id });
    expect(await errorCode(loadOrganizationCsd(serviceCtx(), other.id))).toBe("secret_unreadable");
  });

  it("replaces a stored CSD with a new upload", async () => {
    const owner = await signUp("csd");
    const org = await createOrgWithRfc(owner, EKU.rfc);
    const first = await uploadPair(owner, org.id, EKU);
    expect((await putCsd(owner.token, org.id, { ...first, csdPassword: EKU.password })).status).toBe(200);
    const before = (await storedRow(org.id))!;
    const second = await uploadPair(owner, org.id, EKU);
    expect((await putCsd(owner.token, org.id, { ...second, csdPassword: EKU.password })).status).toBe(200);
    const after = (await storedRow(org.id))!;
    expect(after.iv).not.toBe(before.iv);
    expect(after.createdAt).toBe(before.createdAt);
    await loadOrganizationCsd(serviceCtx(), org.id);
  });

  it("refuses a wrong password with csd_wrong_password and stores nothing", async () => {
    const owner = await signUp("csd");
    const org = await createOrgWithRfc(owner, EKU.rfc);
    const ids = await uploadPair(owner, org.id, EKU);
    const res = await putCsd(owner.token, org.id, { ...ids, csdPassword: "12345678b" });
    expect(res.status).toBe(400);
    expect(res.json.error).toBe("csd_wrong_password");
    await expectNothingStored(owner.token, org.id);
    // The .key stays, so the user can retry with the right password.
    expect(record(await call("GET", `/v1/files/${ids.csdKeyFileId}`, { token: owner.token })).status).toBe(
      200,
    );
  });

  it("refuses a certificate of another RFC with csd_rfc_mismatch", async () => {
    const owner = await signUp("csd");
    const org = await createOrg(owner);
    const ids = await uploadPair(owner, org.id, EKU);
    const res = await putCsd(owner.token, org.id, { ...ids, csdPassword: EKU.password });
    expect(res.status).toBe(422);
    expect(res.json).toMatchObject({
      error: "csd_rfc_mismatch",
      details: { csdRfc: EKU.rfc, taxIdentifier: org.taxIdentifier },
    });
    await expectNothingStored(owner.token, org.id);
  });

  it("refuses an expired CSD and a key of another certificate, each with its code", async () => {
    const owner = await signUp("csd");
    const xiqb = await createOrgWithRfc(owner, XIQB.rfc);
    const expired = await putCsd(owner.token, xiqb.id, {
      ...(await uploadPair(owner, xiqb.id, XIQB)),
      csdPassword: XIQB.password,
    });
    expect(expired.status).toBe(422);
    expect(expired.json.error).toBe("csd_expired");
    await expectNothingStored(owner.token, xiqb.id);

    const eku = await createOrgWithRfc(owner, EKU.rfc);
    const mismatch = await putCsd(owner.token, eku.id, {
      ...(await uploadPair(owner, eku.id, { cer: EKU.cer, key: XIQB.key })),
      csdPassword: EKU.password,
    });
    expect(mismatch.status).toBe(422);
    expect(mismatch.json.error).toBe("csd_key_mismatch");
    await expectNothingStored(owner.token, eku.id);
  });

  it("accepts only this organization's files of the right types", async () => {
    const owner = await signUp("csd");
    const org = await createOrgWithRfc(owner, EKU.rfc);
    const elsewhere = await createOrg(owner);
    const foreign = await uploadPair(owner, elsewhere.id, EKU);
    const own = await uploadPair(owner, org.id, EKU);

    for (const body of [
      { ...own, csdCertFileId: foreign.csdCertFileId },
      { ...own, csdKeyFileId: foreign.csdKeyFileId },
      { ...own, csdKeyFileId: crypto.randomUUID() },
    ]) {
      const res = await putCsd(owner.token, org.id, { ...body, csdPassword: EKU.password });
      expect(res.status, res.text).toBe(404);
    }
    const swapped = await putCsd(owner.token, org.id, {
      csdCertFileId: own.csdKeyFileId,
      csdKeyFileId: own.csdCertFileId,
      csdPassword: EKU.password,
    });
    expect(swapped.status).toBe(400);
    expect(swapped.json).toMatchObject({ error: "invalid_file_type", details: { field: "csdCertFileId" } });
    const missing = await putCsd(owner.token, org.id, { csdCertFileId: own.csdCertFileId });
    expect(missing.status).toBe(400);
    expect(missing.json.error).toBe("validation_failed");
    await expectNothingStored(owner.token, org.id);
  });

  it("is for roles with organization.credentials, and hides other organizations", async () => {
    const owner = await signUp("csd");
    const org = await createOrgWithRfc(owner, EKU.rfc);
    const ids = await uploadPair(owner, org.id, EKU);
    const body = { ...ids, csdPassword: EKU.password };

    const collaborator = await signUp("collab");
    await addMember(org.id, collaborator.id, "collaborator");
    const denied = await putCsd(collaborator.token, org.id, body);
    expect(denied.status).toBe(403);
    expect(denied.json.error).toBe("forbidden");

    const outsider = await signUp("outsider");
    await createOrg(outsider);
    expect((await putCsd(outsider.token, org.id, body)).status).toBe(404);
    await expectNothingStored(owner.token, org.id);

    const accountant = await signUp("accountant");
    await addMember(org.id, accountant.id, "accountant");
    expect((await putCsd(accountant.token, org.id, body)).status).toBe(200);
    expect((await deleteCsd(collaborator.token, org.id)).status).toBe(403);
    expect((await deleteCsd(outsider.token, org.id)).status).toBe(404);
    expect(await storedRow(org.id)).toBeDefined();
  });
});

describe("DELETE /v1/organizations/{organizationId}/csd", () => {
  it("removes the CSD: the organization no longer shows it and stamping cannot load it", async () => {
    const owner = await signUp("csd");
    const org = await createOrgWithRfc(owner, EKU.rfc);
    const ids = await uploadPair(owner, org.id, EKU);
    expect((await putCsd(owner.token, org.id, { ...ids, csdPassword: EKU.password })).status).toBe(200);

    const res = await deleteCsd(owner.token, org.id);
    expect(res.status).toBe(200);
    expect(res.json).toEqual({ success: true, message: "csd_files_removed" });
    await expectNothingStored(owner.token, org.id);
    expect(await errorCode(loadOrganizationCsd(serviceCtx(), org.id))).toBe("csd_not_uploaded");

    const again = await deleteCsd(owner.token, org.id);
    expect(again.status).toBe(404);
    expect(again.json.error).toBe("csd_not_found");
  });
});

describe("secrecy", () => {
  it("keeps the key and password out of the stored row", async () => {
    const owner = await signUp("csd");
    const org = await createOrgWithRfc(owner, EKU.rfc);
    const ids = await uploadPair(owner, org.id, EKU);
    expect((await putCsd(owner.token, org.id, { ...ids, csdPassword: EKU.password })).status).toBe(200);
    const row = JSON.stringify(await storedRow(org.id));
    for (const secret of secrets()) expect(row).not.toContain(secret);
  });

  // Last in the file: every response above has been recorded by then.
  it("never returns the key or the password in any response of this file", () => {
    expect(seen.length).toBeGreaterThan(20);
    for (const text of seen) for (const secret of secrets()) expect(text).not.toContain(secret);
  });
});

/** The password and recognisable pieces of both .key files, as base64 (DER) and as PEM lines. */
function secrets(): string[] {
  const pieces = [EKU.password, XIQB.password];
  for (const key of [EKU.key, XIQB.key]) {
    const base64 = bytesToBase64(key);
    // PEM wraps at 64 columns; any 64-character window of the base64 is a distinctive sample.
    for (let at = 0; at + 64 <= base64.length; at += 256) pieces.push(base64.slice(at, at + 64));
    pieces.push(bytesToBase64(key.subarray(100, 160)));
  }
  return pieces;
}
