// PUT and DELETE /v1/organizations/{organizationId}/csd: upload or remove the CSD (seed #32, #33).
import { z } from "@hono/zod-openapi";
import type { App } from "../app";
import { ErrorEnvelope } from "../openapi/errors";
import { authedRoute } from "../openapi/route";
import { IsoDate, jsonBody, jsonContent, OrgIdParam, Uuid } from "../openapi/schemas";
import { actorContext } from "../services/context";
import { removeCsd, uploadCsd } from "../services/csd";

const UploadCsdBody = z
  .object({
    csdCertFileId: Uuid.openapi({ description: "A file uploaded with type csd_cert_file (.cer)" }),
    csdKeyFileId: Uuid.openapi({ description: "A file uploaded with type csd_key_file (.key)" }),
    csdPassword: z.string().max(256).openapi({ description: "The password of the .key" }),
  })
  .openapi("UploadCsd");

const CsdSummary = z
  .object({
    serialNumber: z.string().openapi({ example: "30001000000500003416" }),
    validFrom: IsoDate,
    validTo: IsoDate,
    rfc: z.string().openapi({ example: "EKU9003173C9" }),
  })
  .openapi("CsdSummary");

export const putRoute = authedRoute({
  method: "put",
  path: "/v1/organizations/{organizationId}/csd",
  tags: ["Organizations"],
  summary: "Upload CSD files and password",
  description: [
    "Upload the .cer and .key first with POST /v1/files (types csd_cert_file and csd_key_file), then send their ids",
    "and the key's password. The pair must be a CSD (not an e.firma) whose key matches the certificate, valid now,",
    "issued to the organization's RFC. Replaces any previous CSD. The private key is stored encrypted and never",
    "returned; the uploaded .key file is deleted once stored. Errors: 400 `csd_invalid_certificate`,",
    "`csd_invalid_key`, `csd_wrong_password`, `invalid_file_type`; 404 for a file id of another organization;",
    "422 `csd_is_fiel`, `csd_key_mismatch`, `csd_expired`, `csd_not_yet_valid`, `csd_rfc_mismatch`.",
  ].join(" "),
  request: { params: OrgIdParam, body: jsonBody(UploadCsdBody) },
  responses: {
    200: jsonContent(
      z.object({ success: z.literal(true), message: z.literal("csd_files_uploaded"), csd: CsdSummary }),
    ),
  },
});

export const deleteRoute = authedRoute({
  method: "delete",
  path: "/v1/organizations/{organizationId}/csd",
  tags: ["Organizations"],
  summary: "Remove CSD files and password",
  request: { params: OrgIdParam },
  responses: {
    200: jsonContent(z.object({ success: z.literal(true), message: z.literal("csd_files_removed") })),
    404: jsonContent(
      ErrorEnvelope,
      "`csd_not_found` when no CSD is stored, or the organization is not visible",
    ),
  },
});

export function register(app: App) {
  app.openapi(putRoute, async (c) => {
    const csd = await uploadCsd(actorContext(c), c.req.valid("param").organizationId, c.req.valid("json"));
    return c.json({ success: true as const, message: "csd_files_uploaded" as const, csd }, 200);
  });
  app.openapi(deleteRoute, async (c) => {
    await removeCsd(actorContext(c), c.req.valid("param").organizationId);
    return c.json({ success: true as const, message: "csd_files_removed" as const }, 200);
  });
}
