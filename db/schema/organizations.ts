// Tenancy: organizations, memberships with roles, invitations of users, and provider↔client links with
// the invitations that create them.
import { sql } from "drizzle-orm";
import { index, integer, primaryKey, sqliteTable, text, uniqueIndex } from "drizzle-orm/sqlite-core";
import { id, timestamps } from "./columns";

export const organizations = sqliteTable(
  "organizations",
  {
    id: id(),
    name: text("name").notNull(),
    commercialName: text("commercial_name"),
    taxIdentifier: text("tax_identifier").notNull(),
    taxRegimes: text("tax_regimes", { mode: "json" }).$type<string[]>().notNull(),
    cfdiUse: text("cfdi_use"),
    slug: text("slug").notNull(),
    postalCode: text("postal_code"),
    addressStreet: text("address_street"),
    addressNumber: text("address_number"),
    addressNumberInterior: text("address_number_interior"),
    addressNeighborhood: text("address_neighborhood"),
    addressCity: text("address_city"),
    addressMunicipality: text("address_municipality"),
    addressState: text("address_state"),
    isEntity: integer("is_entity", { mode: "boolean" }).notNull(),
    status: text("status", { enum: ["pending", "verified", "not_verified"] })
      .notNull()
      .default("pending"),
    completionStage: text("completion_stage").notNull().default("none"),
    industry: text("industry"),
    invoicesInbox: text("invoices_inbox"),
    avatarUrl: text("avatar_url"),
    isDemoMode: integer("is_demo_mode", { mode: "boolean" }).notNull().default(false),
    contactFirstName: text("contact_first_name"),
    contactLastName: text("contact_last_name"),
    contactEmailAddress: text("contact_email_address"),
    contactPhoneNumber: text("contact_phone_number"),
    contactJobTitle: text("contact_job_title"),
    beneficiaryName: text("beneficiary_name"),
    bankIdentifier: text("bank_identifier"),
    deletionRequestedAt: text("deletion_requested_at"),
    deletedAt: text("deleted_at"),
    // What the API shows of the CSD in organization_csds, written in the same batch as that row.
    csdUploadedAt: text("csd_uploaded_at"),
    csdSerialNumber: text("csd_serial_number"),
    csdValidFrom: text("csd_valid_from"),
    csdValidTo: text("csd_valid_to"),
    ...timestamps,
  },
  (t) => [
    uniqueIndex("organizations_slug_uq").on(t.slug),
    index("organizations_rfc_idx").on(t.taxIdentifier),
  ],
);

/**
 * An organization's CSD (sealing credential), one per organization. The certificate is public (DER,
 * base64). `encryptedKey` is AES-256-GCM (shared/crypto/envelope.ts, IV in `iv`, the organization
 * id as AAD) over the SAT .key as uploaded and its password: see workers/services/csd.ts for why.
 */
export const organizationCsds = sqliteTable("organization_csds", {
  organizationId: text("organization_id").primaryKey(),
  certificate: text("certificate").notNull(),
  serialNumber: text("serial_number").notNull(),
  notBefore: text("not_before").notNull(),
  notAfter: text("not_after").notNull(),
  rfc: text("rfc").notNull(),
  encryptedKey: text("encrypted_key").notNull(),
  iv: text("iv").notNull(),
  ...timestamps,
});

export const ROLES = ["owner", "accountant", "collaborator", "assistant", "client", "readonly"] as const;
export type Role = (typeof ROLES)[number];

export const memberships = sqliteTable(
  "memberships",
  {
    userId: text("user_id").notNull(),
    organizationId: text("organization_id").notNull(),
    role: text("role", { enum: ROLES }).notNull(),
    isRead: integer("is_read", { mode: "boolean" }).notNull().default(false),
    isFavorite: integer("is_favorite", { mode: "boolean" }).notNull().default(false),
    isDisabled: integer("is_disabled", { mode: "boolean" }).notNull().default(false),
    ...timestamps,
  },
  (t) => [
    primaryKey({ columns: [t.userId, t.organizationId] }),
    index("memberships_org_idx").on(t.organizationId),
  ],
);

/**
 * An invitation of people (by email or WhatsApp) to join one or more organizations with a role. `code`
 * holds the SHA-256 of the code that was sent: whoever reads the table cannot join with it.
 */
export const userInvitations = sqliteTable(
  "user_invitations",
  {
    id: id(),
    code: text("code").notNull(),
    organizationIds: text("organization_ids", { mode: "json" }).$type<string[]>().notNull(),
    role: text("role", { enum: ["accountant", "collaborator", "client"] }).notNull(),
    emailAddress: text("email_address"),
    whatsappNumber: text("whatsapp_number"),
    invitedByUserId: text("invited_by_user_id").notNull(),
    acceptedByUserId: text("accepted_by_user_id"),
    acceptedAt: text("accepted_at"),
    expiresAt: text("expires_at").notNull(),
    createdAt: text("created_at").notNull(),
  },
  (t) => [uniqueIndex("user_invitations_code_uq").on(t.code)],
);

/** The client ↔ provider relationship: `organizationId` buys from (receives invoices of) `providerId`. */
export const providerOrganizations = sqliteTable(
  "provider_organizations",
  {
    organizationId: text("organization_id").notNull(),
    providerId: text("provider_id").notNull(),
    creditDays: integer("credit_days").notNull().default(30),
    creditPeriod: text("credit_period", { enum: ["d", "m", "y"] })
      .notNull()
      .default("d"),
    bankAccountId: text("bank_account_id"),
    referenceNumber: text("reference_number"),
    bankAccountInstructionsFileId: text("bank_account_instructions_file_id"),
    isMain: integer("is_main", { mode: "boolean" }).notNull().default(false),
    ...timestamps,
  },
  (t) => [
    primaryKey({ columns: [t.organizationId, t.providerId] }),
    index("provider_organizations_provider_idx").on(t.providerId),
  ],
);

/**
 * Invitations that create a provider link. `direction` says who invited whom:
 * `provider` = an organization invites a provider (the invitee links as provider_id);
 * `organization` = a provider invites a client organization (the invitee links as organization_id).
 */
export const linkInvitations = sqliteTable(
  "link_invitations",
  {
    code: text("code").primaryKey(),
    direction: text("direction", { enum: ["provider", "organization"] }).notNull(),
    inviterOrganizationId: text("inviter_organization_id").notNull(),
    emailAddress: text("email_address"),
    whatsappNumber: text("whatsapp_number"),
    invitePath: text("invite_path"), // null on reusable codes: the inviter shares those itself
    linkedOrganizationId: text("linked_organization_id"),
    linkedAt: text("linked_at"),
    isReusable: integer("is_reusable", { mode: "boolean" }).notNull().default(false),
    createdByUserId: text("created_by_user_id").notNull(),
    ...timestamps,
  },
  (t) => [
    index("link_invitations_inviter_idx").on(t.inviterOrganizationId, t.direction),
    // One reusable code per organization and direction, even when two requests ask for it at once.
    uniqueIndex("link_invitations_reusable_uq")
      .on(t.inviterOrganizationId, t.direction)
      .where(sql`${t.isReusable} = 1`),
  ],
);
