// Upload tokens and the direct upload they authorize: issuance needs files.write, the upload needs no
// bearer token, and every bad token (missing, forged, expired, an access token, a removed member) is
// refused with nothing stored.
import { env, exports } from "cloudflare:workers";
import { and, eq } from "drizzle-orm";
import { decodeJwt, decodeProtectedHeader, SignJWT } from "jose";
import { describe, expect, it } from "vitest";
import { files, memberships } from "../../db/schema";
import { listEntries, readEntry } from "../../shared/zip";
import { addMember, BASE, call, createOrg, db, signUp, type TestUser } from "./harness";

const text = (s: string) => new TextEncoder().encode(s);
const PDF = text("%PDF-1.7\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n");
const PNG = new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13]);
// A real archive (Python's zipfile): one deflated entry "Factura Ñ.xml" with a UTF-8 name.
const ZIP = Uint8Array.from(
  atob(
    "UEsDBBQAAAgIAAAAIQBf0DtrEAAAAAEBAAAOAAAARmFjdHVyYSDDkS54bWyzSbTLyM9JVBiRhI1+oh0AUEsBAhQDFAAACAgAAAAhAF/QO2sQAAAAAQEAAA4AAAAAAAAAAAAAAIABAAAAAEZhY3R1cmEgw5EueG1sUEsFBgAAAAABAAEAPAAAADwAAAAAAA==",
  ),
  (ch) => ch.charCodeAt(0),
);
const MiB = 1024 * 1024;

async function ownerWithOrg() {
  const owner = await signUp("uploads");
  const org = await createOrg(owner);
  return { owner, org };
}

const issue = (user: TestUser, organizationId: string, type = "invoice_pdf") =>
  call("POST", `/v1/files/upload-tokens?type=${type}&organization_id=${organizationId}`, {
    token: user.token,
  });

async function tokenFor(user: TestUser, organizationId: string, type = "invoice_pdf") {
  const res = await issue(user, organizationId, type);
  expect(res.status).toBe(200);
  return res.json.uploadToken as string;
}

interface DirectOptions {
  authorization?: string;
  body?: BodyInit;
  contentType?: string;
  headers?: Record<string, string>;
  query?: string;
}

async function direct(options: DirectOptions) {
  const headers: Record<string, string> = { ...options.headers };
  if (options.authorization !== undefined) headers.authorization = options.authorization;
  if (options.contentType !== undefined) headers["content-type"] = options.contentType;
  const res = await exports.default.fetch(
    new Request(`${BASE}/v1/files/uploads${options.query ?? ""}`, {
      method: "POST",
      headers,
      body: options.body ?? PDF,
    }),
  );
  return { status: res.status, json: (await res.json()) as any };
}

const upload = (token: string, options: DirectOptions = {}) =>
  direct({ authorization: `Upload ${token}`, contentType: "application/pdf", ...options });

/** What the organization has stored: R2 objects under its prefix and file rows. */
async function stored(organizationId: string) {
  const objects = await env.FILES.list({ prefix: `org/${organizationId}/` });
  const rows = await db().select().from(files).where(eq(files.organizationId, organizationId));
  return { objects: objects.objects.length, rows: rows.length };
}

/** Signs upload-token claims with the given key, as the service does, for tokens it would never issue. */
function signUploadToken(
  claims: { sub: string; org: string; type: string },
  options: { key?: string; expiresAt?: number; audience?: string; typ?: string } = {},
) {
  const exp = options.expiresAt ?? Math.floor(Date.now() / 1000) + 600;
  return new SignJWT({ org: claims.org, type: claims.type })
    .setProtectedHeader({ alg: "HS256", typ: options.typ ?? "timbre-upload+jwt" })
    .setSubject(claims.sub)
    .setIssuer("timbre")
    .setAudience(options.audience ?? "timbre-upload")
    .setIssuedAt(exp - 600)
    .setExpirationTime(exp)
    .sign(new TextEncoder().encode(options.key ?? env.TOKEN_SIGNING_KEY));
}

describe("POST /v1/files/upload-tokens", () => {
  it("issues a 10-minute token naming the user, organization and type", async () => {
    const { owner, org } = await ownerWithOrg();
    const before = Date.now();
    const res = await issue(owner, org.id, "invoices_upload_zip");
    expect(res.status).toBe(200);
    expect(Object.keys(res.json).sort()).toEqual(["expiresAt", "uploadToken", "uploadUrl"]);
    expect(res.json.uploadUrl).toBe(`${BASE}/v1/files/uploads`);
    const expiresAt = Date.parse(res.json.expiresAt);
    expect(new Date(expiresAt).toISOString()).toBe(res.json.expiresAt);
    expect(expiresAt).toBeGreaterThanOrEqual(before + 599_000);
    expect(expiresAt).toBeLessThanOrEqual(Date.now() + 600_000);

    const claims = decodeJwt(res.json.uploadToken);
    expect(claims).toMatchObject({
      sub: owner.id,
      org: org.id,
      type: "invoices_upload_zip",
      aud: "timbre-upload",
    });
    expect(claims.exp).toBe(expiresAt / 1000);
    expect(decodeProtectedHeader(res.json.uploadToken)).toMatchObject({
      alg: "HS256",
      typ: "timbre-upload+jwt",
    });
  });

  it("needs files.write in the organization: 403 for a client, 404 for another organization", async () => {
    const { owner, org } = await ownerWithOrg();
    const client = await signUp("client");
    await addMember(org.id, client.id, "client");
    const denied = await issue(client, org.id);
    expect(denied.status).toBe(403);
    expect(denied.json.error).toBe("forbidden");

    const outsider = await signUp("outsider");
    await createOrg(outsider);
    const hidden = await issue(outsider, org.id);
    expect(hidden.status).toBe(404);
    expect(hidden.json.error).toBe("not_found");

    const assistant = await signUp("assistant");
    await addMember(org.id, assistant.id, "assistant");
    expect((await issue(assistant, org.id)).status).toBe(200);
    expect((await issue(owner, org.id)).status).toBe(200);
  });

  it("answers 400 for an unknown type or a missing organization, 401 without a bearer token", async () => {
    const { owner, org } = await ownerWithOrg();
    const unknown = await issue(owner, org.id, "selfie");
    expect(unknown.status).toBe(400);
    expect(unknown.json.error).toBe("validation_failed");
    expect(unknown.json.details[0].path).toBe("type");
    const noOrg = await call("POST", "/v1/files/upload-tokens?type=invoice_pdf", { token: owner.token });
    expect(noOrg.status).toBe(400);
    expect(noOrg.json.details[0].path).toBe("organization_id");
    const anonymous = await call(
      "POST",
      `/v1/files/upload-tokens?type=invoice_pdf&organization_id=${org.id}`,
    );
    expect(anonymous.status).toBe(401);
  });
});

describe("POST /v1/files/uploads", () => {
  it("stores the raw body without a bearer token; GET /v1/files/{id} returns it", async () => {
    const { owner, org } = await ownerWithOrg();
    const token = await tokenFor(owner, org.id);
    const res = await upload(token, { headers: { "x-filename": encodeURIComponent("Factura Ñ 1.pdf") } });
    expect(res.status).toBe(201);
    expect(res.json).toMatchObject({ success: true, message: "File uploaded successfully" });
    const file = res.json.file;
    expect(file).toMatchObject({
      type: "invoice_pdf",
      filename: "Factura Ñ 1.pdf",
      contentType: "application/pdf",
      size: PDF.length,
      status: "ready",
      pathname: expect.stringMatching(new RegExp(`^org/${org.id}/[0-9a-f]{64}$`)),
    });

    const details = await call("GET", `/v1/files/${file.id}`, { token: owner.token });
    expect(details.status).toBe(200);
    expect(details.json.file).toEqual(file);
    const content = await exports.default.fetch(
      new Request(file.downloadUrl, { headers: { authorization: `Bearer ${owner.token}` } }),
    );
    expect(new Uint8Array(await content.arrayBuffer())).toEqual(PDF);

    // The token is a capability for its organization and type: query parameters change neither.
    const other = await createOrg(owner);
    const named = await upload(token, {
      query: `?filename=${encodeURIComponent("Orden de compra.pdf")}&organization_id=${other.id}&type=other`,
    });
    expect(named.status).toBe(201);
    expect(named.json.file).toMatchObject({ filename: "Orden de compra.pdf", type: "invoice_pdf" });
    expect(named.json.file.pathname.startsWith(`org/${org.id}/`)).toBe(true);
    expect(await stored(other.id)).toEqual({ objects: 0, rows: 0 });
  });

  it("accepts invoices_upload_zip archives up to 25 MiB", async () => {
    const { owner, org } = await ownerWithOrg();
    const token = await tokenFor(owner, org.id, "invoices_upload_zip");
    const res = await upload(token, {
      body: ZIP,
      contentType: "application/zip",
      query: "?filename=lote.zip",
    });
    expect(res.status).toBe(201);
    expect(res.json.file).toMatchObject({ type: "invoices_upload_zip", contentType: "application/zip" });
    // What the ZIP import will do with it, here in workerd: list and inflate the stored archive.
    const object = await env.FILES.get(res.json.file.pathname);
    const archive = new Uint8Array(await object!.arrayBuffer());
    const [entry, ...rest] = listEntries(archive);
    expect([entry!.name, rest.length]).toEqual(["Factura Ñ.xml", 0]);
    expect(new TextDecoder().decode(await readEntry(archive, entry!))).toBe(`<a>${"hola ".repeat(50)}</a>`);

    const tooBig = new Uint8Array(25 * MiB + 1);
    tooBig.set(ZIP);
    const refused = await upload(token, { body: tooBig, contentType: "application/zip" });
    expect(refused.status).toBe(413);
    expect(refused.json).toMatchObject({ error: "file_too_large", details: { maxBytes: 25 * MiB } });
    expect(await stored(org.id)).toEqual({ objects: 1, rows: 1 });
  });

  it("refuses a missing, malformed, forged or tampered token with 401 and stores nothing", async () => {
    const { owner, org } = await ownerWithOrg();
    const token = await tokenFor(owner, org.id);
    const [header, payload, signature] = token.split(".") as [string, string, string];
    const otherOrg = await createOrg(owner);
    const tampered = `${header}.${btoa(JSON.stringify({ ...decodeJwt(token), org: otherOrg.id }))
      .replace(/=+$/, "")
      .replace(/\+/g, "-")
      .replace(/\//g, "_")}.${signature}`;
    const forged = await signUploadToken(
      { sub: owner.id, org: org.id, type: "invoice_pdf" },
      { key: "another-key-0123456789abcdef0123456789" },
    );
    for (const authorization of [
      undefined,
      "",
      "Upload",
      `Bearer ${token}`,
      `Upload ${token}x`,
      `Upload ${header}.${payload}`,
      `Upload ${tampered}`,
      `Upload ${forged}`,
    ]) {
      const res = await direct({ authorization, contentType: "application/pdf" });
      expect(res.status, String(authorization)).toBe(401);
      expect(res.json.error, String(authorization)).toBe("invalid_upload_token");
    }
    expect(await stored(org.id)).toEqual({ objects: 0, rows: 0 });
    expect(await stored(otherOrg.id)).toEqual({ objects: 0, rows: 0 });
  });

  it("refuses an expired token with 401 upload_token_expired", async () => {
    const { owner, org } = await ownerWithOrg();
    const expired = await signUploadToken(
      { sub: owner.id, org: org.id, type: "invoice_pdf" },
      { expiresAt: Math.floor(Date.now() / 1000) - 5 },
    );
    const res = await upload(expired);
    expect(res.status).toBe(401);
    expect(res.json.error).toBe("upload_token_expired");
    expect(await stored(org.id)).toEqual({ objects: 0, rows: 0 });
  });

  it("keeps access tokens and upload tokens apart", async () => {
    const { owner, org } = await ownerWithOrg();
    const asUpload = await upload(owner.token);
    expect(asUpload.status).toBe(401);
    expect(asUpload.json.error).toBe("invalid_upload_token");

    const token = await tokenFor(owner, org.id);
    const asBearer = await call("GET", "/v1/users/me", { token });
    expect(asBearer.status).toBe(401);
    expect(asBearer.json.error).toBe("invalid_token");
    const form = new FormData();
    form.set("file", new Blob([PDF], { type: "application/pdf" }), "x.pdf");
    const bearerUpload = await exports.default.fetch(
      new Request(`${BASE}/v1/files?type=invoice_pdf&organization_id=${org.id}`, {
        method: "POST",
        headers: { authorization: `Bearer ${token}` },
        body: form,
      }),
    );
    expect(bearerUpload.status).toBe(401);
    await bearerUpload.arrayBuffer();

    // Same key and claims but the access tokens' audience or no upload `typ`: still not an upload token.
    const claims = { sub: owner.id, org: org.id, type: "invoice_pdf" };
    for (const options of [{ audience: "timbre-api" }, { typ: "JWT" }]) {
      const res = await upload(await signUploadToken(claims, options));
      expect(res.json.error).toBe("invalid_upload_token");
    }
    expect(await stored(org.id)).toEqual({ objects: 0, rows: 0 });
  });

  it("checks the user's membership again when the bytes arrive: 404 once removed, 403 once a client", async () => {
    const { owner, org } = await ownerWithOrg();
    const member = await signUp("member");
    await addMember(org.id, member.id, "assistant");
    const token = await tokenFor(member, org.id);
    const where = and(eq(memberships.userId, member.id), eq(memberships.organizationId, org.id));

    await db().update(memberships).set({ role: "client" }).where(where);
    const downgraded = await upload(token);
    expect(downgraded.status).toBe(403);
    expect(downgraded.json.error).toBe("forbidden");

    await db().delete(memberships).where(where);
    const removed = await upload(token);
    expect(removed.status).toBe(404);
    expect(removed.json.error).toBe("not_found");
    expect(await stored(org.id)).toEqual({ objects: 0, rows: 0 });

    // A token naming a user who never belonged to the organization is no better.
    const foreign = await signUploadToken({
      sub: owner.id,
      org: (await ownerWithOrg()).org.id,
      type: "other",
    });
    expect((await upload(foreign)).status).toBe(404);
  });

  it("applies the type's formats and limits, with nothing stored on refusal", async () => {
    const { owner, org } = await ownerWithOrg();
    const pdfToken = await tokenFor(owner, org.id);
    const png = await upload(pdfToken, { body: PNG, contentType: "image/png" });
    expect(png.status).toBe(400);
    expect(png.json.error).toBe("invalid_file_type");
    const mislabelled = await upload(pdfToken, { contentType: "text/html" });
    expect(mislabelled.status).toBe(400);
    expect(mislabelled.json.error).toBe("invalid_file_type");
    const empty = await upload(pdfToken, { body: new Uint8Array() });
    expect(empty.status).toBe(400);
    expect(empty.json.error).toBe("empty_file");

    const xmlToken = await tokenFor(owner, org.id, "invoice_xml");
    const bigXml = new Uint8Array(5 * MiB + 1).fill(0x20);
    bigXml.set(text("<a>"));
    const declared = await upload(xmlToken, { body: bigXml, contentType: "application/xml" });
    expect(declared.status).toBe(413);
    expect(declared.json.error).toBe("file_too_large");
    // Streamed without a Content-Length: reading stops one byte past the limit.
    const streamed = await upload(xmlToken, {
      body: new Blob([bigXml]).stream(),
      contentType: "application/xml",
    });
    expect(streamed.status).toBe(413);
    expect(streamed.json.error).toBe("file_too_large");
    expect(await stored(org.id)).toEqual({ objects: 0, rows: 0 });

    // Without a Content-Type the bytes decide.
    const generic = await direct({ authorization: `Upload ${pdfToken}`, body: PDF });
    expect(generic.status).toBe(201);
    expect(generic.json.file.contentType).toBe("application/pdf");
  });

  it("is documented as authorized by the upload token, not a bearer", async () => {
    const doc = (await call("GET", "/v1/openapi.json")).json;
    const op = doc.paths["/v1/files/uploads"].post;
    expect(op.security).toEqual([]);
    expect(op.description).toContain("Authorization: Upload <uploadToken>");
    expect(Object.keys(op.responses)).toEqual(
      expect.arrayContaining(["201", "400", "401", "403", "404", "413"]),
    );
    expect(doc.paths["/v1/files/upload-tokens"].post.security).toEqual([{ bearerAuth: [] }]);
  });
});
