// GET /v1/user-organizations: the caller's organizations with the caller's membership in each.
import { z } from "@hono/zod-openapi";
import { pageQuery } from "../../shared/pagination";
import type { App } from "../app";
import { authedRoute } from "../openapi/route";
import { jsonContent, OrganizationSchema, QueryBoolean, RoleSchema } from "../openapi/schemas";
import { actorContext } from "../services/context";
import { listUserOrganizations, presentOrganization } from "../services/organizations";

const Query = pageQuery()
  .extend({
    name: z.string().optional(),
    commercial_name: z.string().optional(),
    tax_identifier: z.string().optional(),
    is_entity: QueryBoolean.optional(),
    sort: z.enum(["name", "commercialName", "taxIdentifier", "isEntity"]).default("name"),
    order: z.enum(["asc", "desc"]).default("asc"),
  })
  .strict();

const UserOrganization = z
  .object({
    id: z.uuid(),
    name: z.string(),
    commercialName: z.string().nullable(),
    taxIdentifier: z.string(),
    isEntity: z.boolean(),
    role: RoleSchema,
    isRead: z.boolean(),
    isFavorite: z.boolean(),
    isDisabled: z.boolean(),
    organization: OrganizationSchema,
  })
  .openapi("UserOrganization");

export const route = authedRoute({
  method: "get",
  path: "/v1/user-organizations",
  tags: ["UserOnOrganizations"],
  summary: "Get the caller's organizations",
  description: "A bare array, as in the seed; page/limit select the slice.",
  request: { query: Query },
  responses: { 200: jsonContent(z.array(UserOrganization)) },
});

export function register(app: App) {
  app.openapi(route, async (c) => {
    const q = c.req.valid("query");
    const rows = await listUserOrganizations(actorContext(c), {
      name: q.name,
      commercialName: q.commercial_name,
      taxIdentifier: q.tax_identifier,
      isEntity: q.is_entity,
      sort: q.sort,
      order: q.order,
      page: q.page,
      limit: q.limit,
    });
    return c.json(
      rows.map(({ organization, membership }) => ({
        id: organization.id,
        name: organization.name,
        commercialName: organization.commercialName,
        taxIdentifier: organization.taxIdentifier,
        isEntity: organization.isEntity,
        role: membership.role,
        isRead: membership.isRead,
        isFavorite: membership.isFavorite,
        isDisabled: membership.isDisabled,
        organization: presentOrganization(organization),
      })),
      200,
    );
  });
}
