// POST /v1/invoices/zip-uploads: import the CFDIs of an uploaded ZIP in the background, as a task.
import { z } from "@hono/zod-openapi";
import { ZIP_LIMITS } from "../../shared/zip";
import type { App } from "../app";
import { ErrorEnvelope } from "../openapi/errors";
import { authedRoute } from "../openapi/route";
import { jsonBody, jsonContent, Uuid } from "../openapi/schemas";
import { actorContext } from "../services/context";
import { startZipImport, ZIP_IMPORT_BATCH_SIZE } from "../services/zip-imports";

const Query = z.object({
  organization_id: z.string().min(1).optional().openapi({
    format: "uuid",
    description: "The receiver: your organization, when you received the invoices",
  }),
  provider_id: z.string().min(1).optional().openapi({
    format: "uuid",
    description:
      "The issuer: your organization when you submit invoices to clients; with organization_id, one of its linked providers",
  }),
});

const Body = z
  .object({
    invoicesUploadZipId: Uuid.openapi({
      description:
        "A file of your organization uploaded with POST /v1/files?type=invoices_upload_zip (or an upload token)",
    }),
    createOrganizationProspects: z.boolean().default(false).openapi({
      description: "Accepted and kept on the task; no effect yet: this API has no organization prospects",
    }),
    createProducts: z.boolean().default(false).openapi({
      description: "Accepted and kept on the task; no effect yet: this API has no product catalog",
    }),
  })
  .strict()
  .openapi("InvoicesZipUpload");

const mib = (bytes: number) => `${bytes / (1024 * 1024)} MiB`;

export const route = authedRoute(
  {
    method: "post",
    path: "/v1/invoices/zip-uploads",
    tags: ["Invoices"],
    summary: "Upload invoices zip",
    description: [
      "Imports every `.xml` entry of the ZIP as POST /v1/invoices would receive it (same checks, same `not_valid`",
      "rule, same preferences), with the `.pdf` of the same name (same folder, extension aside) as its PDF. Other",
      "entries are not imported and are listed in the task's `ignored`. The archive is checked now: over",
      `${mib(ZIP_LIMITS.archiveBytes)}, more than ${ZIP_LIMITS.entries} entries, more than ${mib(ZIP_LIMITS.totalBytes)}`,
      `uncompressed, an entry expanding more than ${ZIP_LIMITS.ratio}:1 (a ZIP bomb), unsafe names (absolute, \`..\`,`,
      "backslashes, control characters) or duplicates, ZIP64 and malformed archives are refused with their",
      "`zip_*` code (400/413); an archive without XML files is 400 `zip_no_xml`. Per-file problems (encrypted or",
      "corrupt entries, archives inside the archive, invalid CFDIs, UUIDs already in the inbox) do not stop the",
      `others: the documents are processed by a background job in slices of ${ZIP_IMPORT_BATCH_SIZE}, and GET /v1/tasks/{id}`,
      "shows the progress, the counts and each failed file's reason. A document is never imported twice, however",
      "often its slice is retried. `createOrganizationProspects` and `createProducts` are accepted as the seed",
      "defines them and kept on the task, but have no effect yet.",
    ].join(" "),
    request: { query: Query, body: jsonBody(Body) },
    responses: {
      202: jsonContent(
        z.object({
          success: z.literal(true),
          message: z.string().openapi({ example: "File uploaded successfully" }),
          taskId: Uuid,
        }),
        "Accepted: the import runs in the background; follow it at GET /v1/tasks/{taskId}",
      ),
      413: jsonContent(
        ErrorEnvelope,
        "`zip_too_large`, `zip_too_many_entries`, `zip_bomb` or `zip_uncompressed_too_large`",
      ),
    },
  },
  { idempotent: true },
);

export function register(app: App) {
  app.openapi(route, async (c) => {
    const query = c.req.valid("query");
    const body = c.req.valid("json");
    const task = await startZipImport(actorContext(c), {
      organizationId: query.organization_id,
      providerId: query.provider_id,
      fileId: body.invoicesUploadZipId,
      createOrganizationProspects: body.createOrganizationProspects,
      createProducts: body.createProducts,
    });
    return c.json({ success: true as const, message: "File uploaded successfully", taskId: task.id }, 202);
  });
}
