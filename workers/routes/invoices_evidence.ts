// GET /v1/invoices/{id}/evidence: every stamping-provider request and answer about an invoice (seed 003's Get Document Evidence).
import { z } from "@hono/zod-openapi";
import type { App } from "../app";
import { authedRoute } from "../openapi/route";
import { IdParam, jsonContent } from "../openapi/schemas";
import { actorContext } from "../services/context";
import { listInvoiceEvidence } from "../services/provider-evidence";

const Evidence = z
  .object({
    id: z.string(),
    provider: z.string().openapi({ example: "facturapi" }),
    operation: z.string().openapi({
      description:
        "stamp, reconcile (a stamp asked again for a processing invoice), cancel, download_xml, download_pdf, retrieve, refresh_status",
      example: "stamp",
    }),
    request: z.string().openapi({ description: "Method and path sent (the sandbox: the operation)" }),
    requestPayload: z.unknown().openapi({ description: "The request body as sent; never a credential" }),
    responseStatus: z
      .number()
      .int()
      .nullable()
      .openapi({ description: "The HTTP status, or the provider error's; null when no answer came" }),
    responseBody: z.unknown().openapi({ description: "The answer; a PDF is summarised by size and SHA-256" }),
    durationMs: z.number().int(),
    requestedAt: z.string(),
    storedAt: z.string(),
  })
  .openapi("ProviderEvidence");

export const route = authedRoute({
  method: "get",
  path: "/v1/invoices/{id}/evidence",
  tags: ["Invoices"],
  summary: "Get an invoice's provider evidence",
  description:
    "Every request Timbre made to the stamping provider about an invoice it issued, and the answer, oldest first: the stamp, its reconciles, downloads, cancellations. Only the issuing organization's members with `invoices.stamp` see it; the receiver gets 404.",
  request: { params: IdParam },
  responses: { 200: jsonContent(z.object({ items: z.array(Evidence) })) },
});

export function register(app: App) {
  app.openapi(route, async (c) => {
    const items = await listInvoiceEvidence(actorContext(c), c.req.valid("param").id);
    return c.json({ items }, 200);
  });
}
