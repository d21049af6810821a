// POST /v1/organizations: create an organization; the caller becomes its owner (or accountant).
import { z } from "@hono/zod-openapi";
import type { App } from "../app";
import { authedRoute } from "../openapi/route";
import { jsonBody, jsonContent, OrganizationSchema } from "../openapi/schemas";
import { actorContext } from "../services/context";
import { createOrganization, presentOrganization } from "../services/organizations";

const optionalText = (max = 200) => z.string().trim().min(1).max(max).nullish();

export const OrganizationFields = z.object({
  name: z
    .string()
    .trim()
    .min(1)
    .max(300)
    .openapi({ description: "Razón social or full name", example: "ESCUELA KEMPER URGATE" }),
  commercialName: optionalText(),
  taxRegimes: z
    .array(z.string().regex(/^\d{3}$/, "a SAT régimen fiscal code such as 601"))
    .max(20)
    .optional(),
  cfdiUse: z
    .string()
    .regex(/^[A-Z]\d{2}$|^CN01$|^CP01$/)
    .nullish(),
  industry: optionalText(),
  postalCode: z
    .string()
    .regex(/^\d{5}$/, "5 digits")
    .nullish(),
  addressStreet: optionalText(),
  addressNumber: optionalText(50),
  addressNumberInterior: optionalText(50),
  addressNeighborhood: optionalText(),
  addressCity: optionalText(),
  addressMunicipality: optionalText(),
  addressState: optionalText(50),
  contactFirstName: optionalText(),
  contactLastName: optionalText(),
  contactEmailAddress: z.email().nullish(),
  contactPhoneNumber: z
    .string()
    .regex(/^[0-9]{10,13}$/)
    .nullish(),
  contactJobTitle: optionalText(),
  isDemoMode: z.boolean().optional(),
});

const CreateOrganization = OrganizationFields.extend({
  taxIdentifier: z.string().trim().min(12).max(13).openapi({ example: "EKU9003173C9" }),
  role: z
    .enum(["owner", "accountant"])
    .optional()
    .openapi({ description: "The creator's role (default owner)" }),
})
  .strict()
  .openapi("CreateOrganization");

export const route = authedRoute(
  {
    method: "post",
    path: "/v1/organizations",
    tags: ["Organizations"],
    summary: "Create a new organization",
    request: { body: jsonBody(CreateOrganization) },
    responses: {
      201: jsonContent(z.object({ success: z.literal(true), organization: OrganizationSchema }), "Created"),
    },
  },
  { idempotent: true },
);

export function register(app: App) {
  app.openapi(route, async (c) => {
    const org = await createOrganization(actorContext(c), c.req.valid("json"));
    return c.json({ success: true as const, organization: presentOrganization(org) }, 201);
  });
}
