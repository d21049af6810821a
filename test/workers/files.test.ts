// Files: multipart upload to R2 with format sniffing and size limits, metadata, download, tenancy and roles.
import { env, exports } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { addMember, BASE, call, createOrg, signUp, type TestUser } from "./harness";

const text = (s: string) => new TextEncoder().encode(s);
const PDF = text("%PDF-1.7\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n");
const PNG = new Uint8Array([
  0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13, 0x49, 0x48, 0x44, 0x52,
]);
const XML = text('\uFEFF<?xml version="1.0" encoding="UTF-8"?>\n<cfdi:Comprobante Version="4.0"/>');
// A DER SEQUENCE whose length covers the whole file, as SAT's .cer files are.
const DER = new Uint8Array([0x30, 0x82, 0x00, 0x04, 0x02, 0x01, 0x01, 0x05]);

interface UploadOptions {
  type?: string;
  organizationId?: string;
  bytes?: Uint8Array;
  contentType?: string;
  filename?: string;
  field?: string;
  headers?: Record<string, string>;
}

async function upload(user: TestUser, options: UploadOptions = {}) {
  const query = new URLSearchParams();
  if (options.type !== undefined) query.set("type", options.type);
  if (options.organizationId !== undefined) query.set("organization_id", options.organizationId);
  const form = new FormData();
  const blob = new Blob([options.bytes ?? PDF], { type: options.contentType ?? "application/pdf" });
  form.set(options.field ?? "file", blob, options.filename ?? "factura.pdf");
  const res = await exports.default.fetch(
    new Request(`${BASE}/v1/files?${query}`, {
      method: "POST",
      headers: { authorization: `Bearer ${user.token}`, ...options.headers },
      body: form,
    }),
  );
  return { status: res.status, json: (await res.json()) as any };
}

async function ownerWithOrg() {
  const owner = await signUp("files");
  const org = await createOrg(owner);
  return { owner, org };
}

describe("POST /v1/files", () => {
  it("stores a PDF and serves it back byte for byte", async () => {
    const { owner, org } = await ownerWithOrg();
    const res = await upload(owner, {
      type: "invoice_pdf",
      organizationId: org.id,
      filename: "Factura Ñ.pdf",
    });
    expect(res.status).toBe(201);
    expect(res.json.success).toBe(true);
    expect(res.json.message).toBe("File uploaded successfully");
    const file = res.json.file;
    expect(file).toMatchObject({
      type: "invoice_pdf",
      filename: "Factura Ñ.pdf",
      contentType: "application/pdf",
      status: "ready",
      size: PDF.length,
      pathname: expect.stringMatching(new RegExp(`^org/${org.id}/[0-9a-f]{64}$`)),
      url: `${BASE}/v1/files/${file.id}/content`,
      downloadUrl: `${BASE}/v1/files/${file.id}/content?download=1`,
    });
    expect(file.contentDisposition).toContain("attachment;");
    expect(file.contentDisposition).toContain("filename*=UTF-8''Factura%20%C3%91.pdf");
    expect(new Date(file.createdAt).toISOString()).toBe(file.createdAt);

    const details = await call("GET", `/v1/files/${file.id}`, { token: owner.token });
    expect(details.status).toBe(200);
    expect(details.json.file).toEqual(file);

    const content = await exports.default.fetch(
      new Request(file.downloadUrl, { headers: { authorization: `Bearer ${owner.token}` } }),
    );
    expect(content.status).toBe(200);
    expect(content.headers.get("content-type")).toBe("application/pdf");
    expect(content.headers.get("content-disposition")).toBe(file.contentDisposition);
    expect(content.headers.get("x-content-type-options")).toBe("nosniff");
    expect(new Uint8Array(await content.arrayBuffer())).toEqual(PDF);

    const inline = await exports.default.fetch(
      new Request(file.url, { headers: { authorization: `Bearer ${owner.token}` } }),
    );
    expect(inline.headers.get("content-disposition")).toMatch(/^inline;/);
    await inline.arrayBuffer();
  });

  it("accepts each format its type allows, recognised by the bytes", async () => {
    const { owner, org } = await ownerWithOrg();
    const cases: Array<[string, Uint8Array, string, string]> = [
      ["payment_proof", PNG, "image/png", "image/png"],
      ["invoice_xml", XML, "text/xml", "application/xml"],
      ["fiel_cert_file", DER, "application/octet-stream", "application/pkix-cert"],
      ["csd_key_file", DER, "application/x-iwork-keynote-sffkey", "application/pkcs8"],
      [
        "expenses_upload_zip",
        new Uint8Array([0x50, 0x4b, 0x03, 0x04, 20, 0, 0, 0]),
        "application/zip",
        "application/zip",
      ],
    ];
    for (const [type, bytes, declared, stored] of cases) {
      const res = await upload(owner, {
        type,
        organizationId: org.id,
        bytes,
        contentType: declared,
        filename: "x",
      });
      expect(res.status, type).toBe(201);
      expect(res.json.file.contentType, type).toBe(stored);
    }
  });

  it("refuses bytes that are not what the type allows, whatever the declared type says", async () => {
    const { owner, org } = await ownerWithOrg();
    // PNG bytes declared as a PDF for a PDF-only type.
    const disguised = await upload(owner, { type: "invoice_pdf", organizationId: org.id, bytes: PNG });
    expect(disguised.status).toBe(400);
    expect(disguised.json.error).toBe("invalid_file_type");
    expect(disguised.json.details).toMatchObject({ allowed: ["application/pdf"], detected: null });
    // Real PDF bytes declared as something else entirely.
    const mislabelled = await upload(owner, {
      type: "invoice_pdf",
      organizationId: org.id,
      contentType: "text/html",
    });
    expect(mislabelled.status).toBe(400);
    expect(mislabelled.json.error).toBe("invalid_file_type");
    // XML must start with markup.
    const notXml = await upload(owner, {
      type: "invoice_xml",
      organizationId: org.id,
      bytes: text("hello"),
      contentType: "text/xml",
    });
    expect(notXml.json.error).toBe("invalid_file_type");
    // A certificate must be one DER structure spanning the file (or PEM).
    const truncated = await upload(owner, {
      type: "fiel_cert_file",
      organizationId: org.id,
      bytes: DER.slice(0, 6),
    });
    expect(truncated.json.error).toBe("invalid_file_type");
  });

  it("refuses files over the type's limit with 413 file_too_large", async () => {
    const { owner, org } = await ownerWithOrg();
    const bigCert = new Uint8Array(64 * 1024 + 1);
    bigCert.set(DER);
    const cert = await upload(owner, { type: "fiel_cert_file", organizationId: org.id, bytes: bigCert });
    expect(cert.status).toBe(413);
    expect(cert.json.error).toBe("file_too_large");
    expect(cert.json.details).toEqual({ maxBytes: 64 * 1024 });

    const bigPdf = new Uint8Array(10 * 1024 * 1024 + 1);
    bigPdf.set(PDF);
    const pdf = await upload(owner, { type: "invoice_pdf", organizationId: org.id, bytes: bigPdf });
    expect(pdf.status).toBe(413);
    expect(pdf.json.error).toBe("file_too_large");
  });

  it("answers 400 for an unknown type, a missing organization_id, a missing or empty file, or no multipart", async () => {
    const { owner, org } = await ownerWithOrg();
    const unknown = await upload(owner, { type: "selfie", organizationId: org.id });
    expect(unknown.status).toBe(400);
    expect(unknown.json.error).toBe("validation_failed");
    expect(unknown.json.details[0].path).toBe("type");

    const noOrg = await upload(owner, { type: "invoice_pdf" });
    expect(noOrg.status).toBe(400);
    expect(noOrg.json.details[0].path).toBe("organization_id");

    const wrongField = await upload(owner, {
      type: "invoice_pdf",
      organizationId: org.id,
      field: "document",
    });
    expect(wrongField.status).toBe(400);
    expect(wrongField.json.details[0].path).toBe("file");

    const empty = await upload(owner, {
      type: "invoice_pdf",
      organizationId: org.id,
      bytes: new Uint8Array(),
    });
    expect(empty.status).toBe(400);
    expect(empty.json.error).toBe("empty_file");

    const json = await call("POST", `/v1/files?type=invoice_pdf&organization_id=${org.id}`, {
      token: owner.token,
      body: { file: "JVBERi0=" },
    });
    expect(json.status).toBe(400);
    expect(json.json.error).toBe("invalid_request_body");
  });

  it("keeps organizations apart: uploads and reads of another organization's files are 404", async () => {
    const { owner, org } = await ownerWithOrg();
    const stranger = await signUp("stranger");
    await createOrg(stranger);
    const stored = await upload(owner, { type: "invoice_pdf", organizationId: org.id });

    const intoOther = await upload(stranger, { type: "invoice_pdf", organizationId: org.id });
    expect(intoOther.status).toBe(404);
    expect((await call("GET", `/v1/files/${stored.json.file.id}`, { token: stranger.token })).status).toBe(
      404,
    );
    const bytes = await call("GET", `/v1/files/${stored.json.file.id}/content`, { token: stranger.token });
    expect(bytes.status).toBe(404);
    expect(bytes.json.error).toBe("not_found");
    expect((await call("GET", `/v1/files/${crypto.randomUUID()}`, { token: owner.token })).status).toBe(404);
    expect((await call("GET", `/v1/files/${stored.json.file.id}`)).status).toBe(401);
  });

  it("lets a client read files but not upload them (403)", async () => {
    const { owner, org } = await ownerWithOrg();
    const client = await signUp("client");
    await addMember(org.id, client.id, "client");
    const denied = await upload(client, { type: "invoice_pdf", organizationId: org.id });
    expect(denied.status).toBe(403);
    expect(denied.json.error).toBe("forbidden");

    const stored = await upload(owner, { type: "invoice_pdf", organizationId: org.id });
    expect((await call("GET", `/v1/files/${stored.json.file.id}`, { token: client.token })).status).toBe(200);

    const assistant = await signUp("assistant");
    await addMember(org.id, assistant.id, "assistant");
    expect((await upload(assistant, { type: "invoice_pdf", organizationId: org.id })).status).toBe(201);
  });

  it("stores identical bytes once per organization, with one record per upload", async () => {
    const { owner, org } = await ownerWithOrg();
    const first = await upload(owner, { type: "invoice_pdf", organizationId: org.id, filename: "a.pdf" });
    const second = await upload(owner, { type: "other", organizationId: org.id, filename: "b.pdf" });
    expect(second.json.file.id).not.toBe(first.json.file.id);
    expect(second.json.file.pathname).toBe(first.json.file.pathname);
    const listed = await env.FILES.list({ prefix: `org/${org.id}/` });
    expect(listed.objects.map((o) => o.key)).toEqual([first.json.file.pathname]);
    expect(listed.objects[0]!.size).toBe(PDF.length);

    // Another organization uploading the same bytes gets its own object under its own prefix.
    const other = await createOrg(owner);
    const third = await upload(owner, { type: "invoice_pdf", organizationId: other.id });
    expect(third.json.file.pathname.startsWith(`org/${other.id}/`)).toBe(true);
  });

  it("replays an upload retried with the same Idempotency-Key", async () => {
    const { owner, org } = await ownerWithOrg();
    const form = new FormData();
    form.set("file", new Blob([PDF], { type: "application/pdf" }), "retry.pdf");
    // The same serialized body, as a client retrying a request sends it.
    const encoded = new Response(form);
    const body = await encoded.arrayBuffer();
    const send = () =>
      exports.default.fetch(
        new Request(`${BASE}/v1/files?type=invoice_pdf&organization_id=${org.id}`, {
          method: "POST",
          headers: {
            authorization: `Bearer ${owner.token}`,
            "content-type": encoded.headers.get("content-type")!,
            "idempotency-key": "upload-retry-1",
          },
          body,
        }),
      );
    const first = await send();
    const retry = await send();
    expect(first.status).toBe(201);
    expect(retry.status).toBe(201);
    expect(retry.headers.get("idempotent-replayed")).toBe("true");
    expect(((await retry.json()) as any).file.id).toBe(((await first.json()) as any).file.id);
  });
});

describe("OpenAPI", () => {
  it("documents the upload as multipart with the type enum, and both reads", async () => {
    const doc = (await call("GET", "/v1/openapi.json")).json;
    const post = doc.paths["/v1/files"].post;
    expect(post.requestBody.content["multipart/form-data"].schema.required).toEqual(["file"]);
    const type = post.parameters.find((p: { name: string }) => p.name === "type");
    expect(type.schema.enum).toContain("csd_key_file");
    expect(post.responses["413"]).toBeDefined();
    expect(doc.paths["/v1/files/{id}"].get.security).toEqual([{ bearerAuth: [] }]);
    expect(doc.paths["/v1/files/{id}/content"].get).toBeDefined();
  });
});
