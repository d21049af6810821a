// GET /v1/organizations?provider_id=: the client organizations linked to a provider, with their terms.
import { z } from "@hono/zod-openapi";
import { pageEnvelope, pageQuery } from "../../shared/pagination";
import type { App } from "../app";
import { authedRoute } from "../openapi/route";
import { jsonContent, OrganizationSchema, Uuid } from "../openapi/schemas";
import { actorContext } from "../services/context";
import { CLIENT_SORTS, listProviderClients } from "../services/providers";

const STATUSES = ["pending", "verified", "not_verified"] as const;

const Query = pageQuery()
  .extend({
    provider_id: Uuid.openapi({ description: "ID of the provider to fetch organizations for" }),
    name: z.string().max(300).optional().openapi({ description: "Case-insensitive partial match" }),
    statuses: z
      .string()
      .transform((s) => s.split(",").map((x) => x.trim()))
      .pipe(z.array(z.enum(STATUSES)))
      .optional()
      .openapi({ type: "string", example: "pending,verified,not_verified" }),
    bank_account_id: Uuid.optional().openapi({ description: "Bank account assigned by the provider" }),
    sort: z.enum(Object.keys(CLIENT_SORTS) as [keyof typeof CLIENT_SORTS]).default("name"),
    order: z.enum(["asc", "desc"]).default("desc"),
  })
  .strict();

/** What a provider needs of its client to invoice it: fiscal identity and address, not its settings. */
const LinkedOrganization = OrganizationSchema.pick({
  id: true,
  name: true,
  commercialName: true,
  taxIdentifier: true,
  taxRegimes: true,
  cfdiUse: true,
  postalCode: true,
  addressStreet: true,
  addressNumber: true,
  addressNumberInterior: true,
  addressNeighborhood: true,
  addressCity: true,
  addressMunicipality: true,
  addressState: true,
  isEntity: true,
  status: true,
  avatarUrl: true,
})
  .extend({
    providerOrganization: z.object({
      creditDays: z.number().int(),
      creditPeriod: z.enum(["d", "m", "y"]),
      bankAccountId: z.string().nullable(),
      referenceNumber: z.string().nullable(),
      isMain: z.boolean(),
      createdAt: z.string(),
    }),
  })
  .openapi("ProviderClientOrganization");

export const route = authedRoute({
  method: "get",
  path: "/v1/organizations",
  tags: ["Organizations"],
  summary: "Get organizations list",
  description: "The client organizations of `provider_id` (providers.read there).",
  request: { query: Query },
  responses: {
    200: jsonContent(
      z.object({
        data: z.array(LinkedOrganization),
        totalPages: z.number().int(),
        totalCount: z.number().int(),
      }),
    ),
  },
});

export function register(app: App) {
  app.openapi(route, async (c) => {
    const q = c.req.valid("query");
    const page = { page: q.page, limit: q.limit };
    const { rows, totalCount } = await listProviderClients(actorContext(c), q.provider_id, {
      name: q.name,
      statuses: q.statuses,
      bankAccountId: q.bank_account_id,
      sort: q.sort,
      order: q.order,
      ...page,
    });
    const data = rows.map(({ organization: o, link }) => ({
      id: o.id,
      name: o.name,
      commercialName: o.commercialName,
      taxIdentifier: o.taxIdentifier,
      taxRegimes: o.taxRegimes,
      cfdiUse: o.cfdiUse,
      postalCode: o.postalCode,
      addressStreet: o.addressStreet,
      addressNumber: o.addressNumber,
      addressNumberInterior: o.addressNumberInterior,
      addressNeighborhood: o.addressNeighborhood,
      addressCity: o.addressCity,
      addressMunicipality: o.addressMunicipality,
      addressState: o.addressState,
      isEntity: o.isEntity,
      status: o.status,
      avatarUrl: o.avatarUrl,
      providerOrganization: {
        creditDays: link.creditDays,
        creditPeriod: link.creditPeriod,
        bankAccountId: link.bankAccountId,
        referenceNumber: link.referenceNumber,
        isMain: link.isMain,
        createdAt: link.createdAt,
      },
    }));
    return c.json(pageEnvelope(data, totalCount, page), 200);
  });
}
