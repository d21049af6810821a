// POST /v1/files (multipart upload), GET /v1/files/{id} (metadata) and GET /v1/files/{id}/content (bytes).
import { z } from "@hono/zod-openapi";
import type { App } from "../app";
import { multipartBody, multipartFiles } from "../http/multipart";
import { ErrorEnvelope } from "../openapi/errors";
import { authedRoute } from "../openapi/route";
import { IdParam, IsoDate, jsonContent, Uuid } from "../openapi/schemas";
import { actorContext } from "../services/context";
import {
  contentDisposition,
  FILE_TYPES,
  getFile,
  presentFile,
  readFileContent,
  SIZE_LIMITS,
  uploadFile,
} from "../services/files";

export const FileSchema = z
  .object({
    id: Uuid,
    pathname: z.string().openapi({ description: "Storage key: org/<organizationId>/<sha256>" }),
    contentType: z.string().openapi({ example: "application/pdf" }),
    contentDisposition: z.string(),
    downloadUrl: z
      .string()
      .openapi({ description: "Serves the bytes as an attachment (bearer token required)" }),
    type: z.string().openapi({ description: "An upload type, or the kind of a generated file" }),
    filename: z.string(),
    url: z.string().openapi({ description: "Serves the bytes inline (bearer token required)" }),
    status: z.enum(["processing", "ready"]),
    size: z.number().int().openapi({ description: "Bytes" }),
    createdAt: IsoDate,
  })
  .openapi("File");

export const UploadQuery = z.object({
  type: z
    .enum(FILE_TYPES)
    .openapi({ description: "What the file is; decides the formats and size accepted" }),
  organization_id: z
    .string()
    .min(1)
    .openapi({ format: "uuid", description: "The organization that owns the file" }),
});

const mib = (bytes: number) => `${bytes / (1024 * 1024)} MiB`;

export const uploadRoute = authedRoute(
  {
    method: "post",
    path: "/v1/files",
    tags: ["Files"],
    summary: "Upload a file",
    description: [
      "Multipart form with the field `file`. The format is recognised from the bytes, not only the declared type:",
      "PDF for invoice_pdf, deductible_pdf, tax_identification_document, purchase_order_pdf, good_standing_document and other;",
      "PNG, JPEG or PDF for payment_proof, payment_proof_deductible, sales_receipt and bank_account_instructions_pdf;",
      "UTF-8 XML for invoice_xml and deductible_xml; ZIP for deductibles_upload_zip, expenses_upload_zip and invoices_upload_zip;",
      "a DER or PEM certificate for fiel_cert_file and csd_cert_file, a DER or PEM private key for fiel_key_file and csd_key_file.",
      `Limits: documents ${mib(SIZE_LIMITS.document)}, XML ${mib(SIZE_LIMITS.xml)}, ZIP ${mib(SIZE_LIMITS.zip)},`,
      `certificates and keys ${SIZE_LIMITS.credential / 1024} KiB (413 \`file_too_large\`). A format that does not fit the type is`,
      "400 `invalid_file_type`. Identical bytes of one organization are stored once.",
    ].join(" "),
    request: {
      query: UploadQuery,
      body: multipartBody({ file: { required: true } }),
    },
    responses: {
      201: jsonContent(
        z.object({ success: z.literal(true), message: z.string(), file: FileSchema }),
        "Stored",
      ),
      413: jsonContent(ErrorEnvelope, "`file_too_large`: over the limit of the type"),
    },
  },
  { idempotent: true },
);

export const getRoute = authedRoute({
  method: "get",
  path: "/v1/files/{id}",
  tags: ["Files"],
  summary: "Get file details",
  request: { params: IdParam },
  responses: { 200: jsonContent(z.object({ file: FileSchema })) },
});

export const contentRoute = authedRoute({
  method: "get",
  path: "/v1/files/{id}/content",
  tags: ["Files"],
  summary: "Download a file's bytes",
  request: {
    params: IdParam,
    query: z.object({
      download: z.enum(["1", "true"]).optional().openapi({ description: "Serve as an attachment" }),
    }),
  },
  responses: {
    200: {
      description: "The stored bytes, with the file's Content-Type",
      content: { "application/octet-stream": { schema: { type: "string", format: "binary" } } },
    },
  },
});

export function register(app: App) {
  app.openapi(uploadRoute, async (c) => {
    const { type, organization_id } = c.req.valid("query");
    const length = c.req.header("content-length");
    const file = await uploadFile(actorContext(c), {
      organizationId: organization_id,
      type,
      requestSize: length ? Number(length) : undefined,
      readFile: async () => (await multipartFiles(c.req.raw, ["file"])).file,
    });
    const origin = new URL(c.req.url).origin;
    return c.json(
      { success: true as const, message: "File uploaded successfully", file: presentFile(file, origin) },
      201,
    );
  });

  app.openapi(getRoute, async (c) => {
    const file = await getFile(actorContext(c), c.req.valid("param").id);
    return c.json({ file: presentFile(file, new URL(c.req.url).origin) }, 200);
  });

  app.openapi(contentRoute, async (c) => {
    const { file, body } = await readFileContent(actorContext(c), c.req.valid("param").id);
    const disposition = c.req.valid("query").download ? "attachment" : "inline";
    return c.body(body, 200, {
      "content-type": file.contentType,
      "content-length": String(file.size),
      "content-disposition": contentDisposition(file, disposition),
      // Uploaded bytes are untrusted: never sniffed into something else, never run as a page.
      "x-content-type-options": "nosniff",
      "content-security-policy": "default-src 'none'; sandbox",
      "cache-control": "private, no-store",
    });
  });
}
