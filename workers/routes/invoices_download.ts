// GET /v1/invoices/{id}/download (the seed's file object with a 5-minute downloadUrl) and
// GET /v1/downloads (the bytes that link stands for, authorized by the link's token, no bearer).
import { z } from "@hono/zod-openapi";
import type { App } from "../app";
import { ErrorEnvelope } from "../openapi/errors";
import { authedRoute, publicRoute } from "../openapi/route";
import { IdParam, IsoDate, jsonContent } from "../openapi/schemas";
import { actorContext, serviceContext } from "../services/context";
import { contentDisposition } from "../services/files";
import {
  DOWNLOAD_FORMATS,
  DOWNLOAD_PATH,
  DOWNLOAD_TOKEN_TTL_SECONDS,
  invoiceDownload,
  serveDownload,
} from "../services/invoice-downloads";

const DownloadSchema = z
  .object({
    id: z.string().nullable().openapi({ description: "The stored file; null for a ZIP built on request" }),
    pathname: z.string().nullable(),
    contentType: z.string().openapi({ example: "application/zip" }),
    contentDisposition: z.string(),
    downloadUrl: z.string().openapi({
      description: `Serves the bytes without an access token for ${DOWNLOAD_TOKEN_TTL_SECONDS / 60} minutes`,
    }),
    type: z.string().openapi({ example: "invoice_xml" }),
    filename: z.string(),
    url: z.string().nullable().openapi({ description: "The stored file's content (bearer token required)" }),
    status: z.literal("ready"),
    size: z.number().int().nullable(),
    expiresAt: IsoDate,
  })
  .openapi("InvoiceDownload");

export const downloadRoute = authedRoute({
  method: "get",
  path: "/v1/invoices/{id}/download",
  tags: ["Invoices"],
  summary: "Download invoice",
  description: [
    "A link to the invoice's files: `format=xml` is the XML itself, `pdf` the PDF, `zip` both in one archive.",
    "Without a format the ZIP when the invoice has both files, else the one it has. A format whose file the",
    `invoice lacks → 404 \`file_not_found\`. The link works without an access token for ${DOWNLOAD_TOKEN_TTL_SECONDS / 60}`,
    "minutes, and only while the caller can still read the invoice.",
  ].join(" "),
  request: {
    params: IdParam,
    query: z.object({ format: z.enum(DOWNLOAD_FORMATS).optional() }),
  },
  responses: { 200: jsonContent(DownloadSchema) },
});

export const serveRoute = publicRoute({
  method: "get",
  path: DOWNLOAD_PATH,
  tags: ["Invoices"],
  summary: "Follow a download link",
  description: [
    "Serves the file a `downloadUrl` names, as an attachment. 401 `invalid_download_token` for a forged or",
    "foreign token, 401 `download_token_expired` once it has expired; 404 when its user can no longer read",
    "the invoice.",
  ].join(" "),
  request: { query: z.object({ token: z.string().min(1).max(2048) }) },
  responses: {
    200: {
      description: "The file's bytes",
      content: { "application/octet-stream": { schema: { type: "string", format: "binary" } } },
    },
    401: jsonContent(ErrorEnvelope, "`invalid_download_token` or `download_token_expired`"),
  },
});

export function register(app: App) {
  app.openapi(downloadRoute, async (c) => {
    const download = await invoiceDownload(
      actorContext(c),
      c.req.valid("param").id,
      c.req.valid("query").format,
      new URL(c.req.url).origin,
    );
    return c.json(download, 200);
  });

  app.openapi(serveRoute, async (c) => {
    const file = await serveDownload(serviceContext(c), c.req.valid("query").token);
    return c.body(file.body, 200, {
      "content-type": file.contentType,
      "content-length": String(file.size),
      "content-disposition": contentDisposition(file, "attachment"),
      // Stored bytes are untrusted: never sniffed into something else, never run as a page.
      "x-content-type-options": "nosniff",
      "content-security-policy": "default-src 'none'; sandbox",
      "cache-control": "private, no-store",
      "referrer-policy": "no-referrer",
    });
  });
}
