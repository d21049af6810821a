// Response and shared request schemas of the seed's objects (User, Organization, …), named for OpenAPI.
import { z } from "@hono/zod-openapi";
import { ROLES } from "../../db/schema/organizations";

export const Uuid = z.uuid();
export const IsoDate = z.string().openapi({ format: "date-time", example: "2026-11-22T02:04:55.000Z" });
export const Nullable = <T extends z.ZodTypeAny>(t: T) => t.nullable();

export const RoleSchema = z.enum(ROLES).openapi("Role");

export const UserSchema = z
  .object({
    id: Uuid,
    firstName: z.string(),
    lastName: z.string(),
    username: z.string(),
    email: z.string(),
    emailVerifiedAt: IsoDate.nullable(),
    whatsappNumber: z.string().nullable(),
    whatsappNumberVerifiedAt: IsoDate.nullable(),
    is2faEnabled: z.boolean(),
    defaultOrganizationId: Uuid.nullable(),
    country: z.string().nullable(),
    region: z.string().nullable(),
    city: z.string().nullable(),
    lastLoginAt: IsoDate.nullable(),
    createdAt: IsoDate,
    updatedAt: IsoDate,
    organizations: z.array(
      z.object({ id: Uuid, name: z.string(), taxIdentifier: z.string(), role: RoleSchema }),
    ),
    pendingInvitations: z.boolean(),
  })
  .openapi("User");

export const OrganizationSchema = z
  .object({
    id: Uuid,
    name: z.string(),
    commercialName: z.string().nullable(),
    taxIdentifier: z.string().openapi({ example: "EKU9003173C9" }),
    taxRegimes: z.array(z.string()),
    cfdiUse: z.string().nullable(),
    slug: z.string(),
    postalCode: z.string().nullable(),
    addressStreet: z.string().nullable(),
    addressNumber: z.string().nullable(),
    addressNumberInterior: z.string().nullable(),
    addressNeighborhood: z.string().nullable(),
    addressCity: z.string().nullable(),
    addressMunicipality: z.string().nullable(),
    addressState: z.string().nullable(),
    isEntity: z.boolean(),
    status: z.enum(["pending", "verified", "not_verified"]),
    completionStage: z.string(),
    industry: z.string().nullable(),
    invoicesInbox: z.string().nullable(),
    avatarUrl: z.string().nullable(),
    isDemoMode: z.boolean(),
    contactFirstName: z.string().nullable(),
    contactLastName: z.string().nullable(),
    contactEmailAddress: z.string().nullable(),
    contactPhoneNumber: z.string().nullable(),
    contactJobTitle: z.string().nullable(),
    beneficiaryName: z.string().nullable(),
    csdUploadedAt: IsoDate.nullable(),
    csdSerialNumber: z
      .string()
      .nullable()
      .openapi({ description: "The stored CSD certificate's SAT serial" }),
    csdValidFrom: IsoDate.nullable(),
    csdValidTo: IsoDate.nullable(),
    fielUploadedAt: IsoDate.nullable(),
    deletionRequestedAt: IsoDate.nullable(),
    createdAt: IsoDate,
    updatedAt: IsoDate,
  })
  .openapi("Organization");

export const OrgIdParam = z.object({
  organizationId: z.string().openapi({ param: { name: "organizationId", in: "path" }, format: "uuid" }),
});
export const IdParam = z.object({
  id: z.string().openapi({ param: { name: "id", in: "path" }, format: "uuid" }),
});

/** Query booleans arrive as text; only the two literal spellings count (one definition, in shared/). */
export { queryBoolean as QueryBoolean } from "../../shared/invoices/filters/values";

export const jsonContent = <T extends z.ZodTypeAny>(schema: T, description = "OK") => ({
  description,
  content: { "application/json": { schema } },
});
export const jsonBody = <T extends z.ZodTypeAny>(schema: T) => ({
  content: { "application/json": { schema } },
  required: true,
});
