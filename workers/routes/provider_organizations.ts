// GET and PATCH /v1/provider-organizations: the terms of a provider ↔ client link (credit days and
// period from the client side, bank account details from the provider side).
import { z } from "@hono/zod-openapi";
import type { App } from "../app";
import { SuccessResponse } from "../openapi/errors";
import { authedRoute } from "../openapi/route";
import { jsonBody, jsonContent, QueryBoolean, Uuid } from "../openapi/schemas";
import { actorContext } from "../services/context";
import {
  getProviderOrganization,
  presentProviderOrganization,
  updateProviderOrganizations,
} from "../services/providers";

const ProviderOrganizationSchema = z
  .object({
    organizationId: Uuid,
    providerId: Uuid,
    creditDays: z.number().int(),
    creditPeriod: z.enum(["d", "m", "y"]),
    bankAccount: z.object({ id: z.string() }).nullable(),
    referenceNumber: z.string().nullable(),
    bankAccountInstructionsFile: z.object({ id: z.string() }).nullable(),
    isMain: z.boolean(),
    createdAt: z.string(),
    updatedAt: z.string(),
  })
  .openapi("ProviderOrganization");

export const getRoute = authedRoute({
  method: "get",
  path: "/v1/provider-organizations",
  tags: ["Providers"],
  summary: "Get credit days and bank account information for a provider-organization relationship.",
  description: "The caller must be a member of either side with providers.read.",
  request: {
    query: z.object({
      organization_id: Uuid.openapi({
        description: "Organization Id of the provider-organization relationship",
      }),
      provider_id: Uuid.openapi({ description: "Provider Id of the provider-organization relationship" }),
    }),
  },
  responses: { 200: jsonContent(ProviderOrganizationSchema) },
});

const Pair = z.object({ organizationId: Uuid, providerId: Uuid }).strict();

const UpdateProviderOrganization = z
  .object({
    organizationId: Uuid.optional(),
    providerId: Uuid.optional(),
    providerOrganizations: z.array(Pair).min(1).max(100).optional(),
    creditDays: z.number().int().min(1).max(365).optional(),
    creditPeriod: z.enum(["d", "m", "y"]).optional(),
    bankAccountId: Uuid.nullable()
      .optional()
      .openapi({ description: "Id of the provider's bank account to assign to this relationship" }),
    referenceNumber: z
      .string()
      .trim()
      .min(1)
      .max(100)
      .nullable()
      .optional()
      .openapi({ description: "Reference number for this client when doing payments to this provider" }),
    bankAccountInstructionsFileId: Uuid.nullable()
      .optional()
      .openapi({ description: "Bank account instructions PDF file id (a file of the provider)" }),
  })
  .strict()
  .superRefine((v, ctx) => {
    const single = v.organizationId !== undefined || v.providerId !== undefined;
    if (single === (v.providerOrganizations !== undefined)) {
      ctx.addIssue({
        code: "custom",
        path: ["providerOrganizations"],
        message: "Send organizationId and providerId, or providerOrganizations",
      });
    } else if (single && (v.organizationId === undefined || v.providerId === undefined)) {
      ctx.addIssue({
        code: "custom",
        path: [v.organizationId === undefined ? "organizationId" : "providerId"],
        message: "organizationId and providerId go together",
      });
    }
    const { organizationId: _o, providerId: _p, providerOrganizations: _list, ...changes } = v;
    if (!Object.values(changes).some((x) => x !== undefined)) {
      ctx.addIssue({ code: "custom", path: [], message: "Send at least one field to update" });
    }
  })
  .openapi("UpdateProviderOrganization");

export const patchRoute = authedRoute({
  method: "patch",
  path: "/v1/provider-organizations",
  tags: ["Providers"],
  summary: "Update provider credit days or bank account for an organization",
  description:
    "Only a member managing the organization side (providers.manage) sets creditDays/creditPeriod (else 403 " +
    "`organization_side_only`); only the provider side sets bankAccountId, referenceNumber and " +
    "bankAccountInstructionsFileId (else 403 `provider_side_only`), unless the provider has no members of its " +
    "own and is managed by the organization. All listed relationships change or none does. `update_invoices=true`: " +
    "the accepted (unpaid) invoices between each pair get their paymentDueAt recalculated from the new terms, " +
    "in the same all-or-nothing write.",
  request: {
    query: z.object({ update_invoices: QueryBoolean.default(false) }),
    body: jsonBody(UpdateProviderOrganization),
  },
  responses: { 200: jsonContent(SuccessResponse) },
});

export function register(app: App) {
  app.openapi(getRoute, async (c) => {
    const { organization_id, provider_id } = c.req.valid("query");
    const link = await getProviderOrganization(actorContext(c), organization_id, provider_id);
    return c.json(presentProviderOrganization(link), 200);
  });
  app.openapi(patchRoute, async (c) => {
    const { organizationId, providerId, providerOrganizations, ...changes } = c.req.valid("json");
    const pairs = providerOrganizations ?? [{ organizationId: organizationId!, providerId: providerId! }];
    await updateProviderOrganizations(actorContext(c), pairs, changes, {
      updateInvoices: c.req.valid("query").update_invoices,
    });
    return c.json({ success: true as const }, 200);
  });
}
