/**
 * An issuing organization ready to stamp, for the items and consumables suites: the SAT test CSD of
 * EKU9003173C9 uploaded through the API, a client organization linked to it, and a stamp body.
 */
import { env } from "cloudflare:workers";
import { expect } from "vitest";
import { providerOrganizations } from "../../db/schema";
import { base64ToBytes } from "../../shared/encoding";
import { call, callMultipart, createOrg, db, signUp, type TestUser } from "./harness";

/** A file of SAT's test CSD for EKU9003173C9, as bytes. */
export const csdFile = (name: string) => base64ToBytes(env.TEST_FIXTURES[`csd/EKU9003173C9/${name}`]!);

/** Uploads the EKU9003173C9 test CSD to an organization the way a user does. */
export async function uploadCsd(user: TestUser, orgId: string) {
  const upload = async (type: string, bytes: Uint8Array) => {
    const res = await callMultipart("POST", `/v1/files?type=${type}&organization_id=${orgId}`, user.token, {
      file: new File([bytes], `csd.${type}`, { type: "application/octet-stream" }),
    });
    expect(res.status, res.text).toBe(201);
    return res.json.file.id as string;
  };
  const res = await call("PUT", `/v1/organizations/${orgId}/csd`, {
    token: user.token,
    body: {
      csdCertFileId: await upload("csd_cert_file", csdFile("EKU9003173C9.cer")),
      csdKeyFileId: await upload("csd_key_file", csdFile("EKU9003173C9.key")),
      csdPassword: new TextDecoder().decode(csdFile("password.txt")).trim(),
    },
  });
  expect(res.status, res.text).toBe(200);
}

export async function setUpIssuer() {
  const owner = await signUp("issuer");
  const issuer = await createOrg(owner, {
    name: "ESCUELA KEMPER URGATE",
    taxIdentifier: "EKU9003173C9",
    taxRegimes: ["601"],
    postalCode: "42501",
  });
  const clientOwner = await signUp("client");
  const client = await createOrg(clientOwner, { name: "CLIENTE DE PRUEBA", taxRegimes: ["601"] });
  await uploadCsd(owner, issuer.id);
  const now = new Date().toISOString();
  await db()
    .insert(providerOrganizations)
    .values({ organizationId: client.id, providerId: issuer.id, createdAt: now, updatedAt: now });

  const body = (over: Record<string, unknown> = {}) => ({
    recipient: {
      name: "CLIENTE DE PRUEBA",
      taxIdentifier: client.taxIdentifier,
      taxRegime: "601",
      postalCode: "54700",
    },
    items: [
      {
        description: "Curso de actualización",
        itemKey: "86121600",
        unitKey: "E48",
        quantity: 1,
        netUnitPriceAmount: "1500.00",
      },
    ],
    paymentForm: "03",
    cfdiUse: "G03",
    paymentMethod: "PUE",
    ...over,
  });

  const stamp = (over: Record<string, unknown> = {}, options: { token?: string; key?: string } = {}) =>
    call("POST", `/v1/invoices/stamp?provider_id=${issuer.id}`, {
      token: options.token ?? owner.token,
      body: body(over),
      headers: options.key ? { "idempotency-key": options.key } : {},
    });

  const balance = async () => {
    const res = await call("GET", `/v1/balance?organization_id=${issuer.id}`, { token: owner.token });
    expect(res.status, res.text).toBe(200);
    return res.json.balanceAmount as number;
  };

  const topUp = async (amount: number) => {
    const res = await call("POST", `/v1/balance/top-ups?organization_id=${issuer.id}`, {
      token: owner.token,
      body: { amount },
    });
    expect(res.status, res.text).toBe(201);
  };

  return { owner, issuer, client, clientOwner, body, stamp, balance, topUp };
}
