/**
 * Which stamping provider each organization issues through. No row means the embedded sandbox.
 * Facturapi's secret key is kept encrypted (AES-256-GCM under a purpose key, the organization id as
 * AAD: workers/services/stamping-providers.ts); only its last four characters are shown back.
 */
import { sqliteTable, text } from "drizzle-orm/sqlite-core";
import { timestamps } from "./columns";

export const STAMPING_PROVIDERS = ["sandbox", "facturapi"] as const;
export type StampingProviderId = (typeof STAMPING_PROVIDERS)[number];

export const organizationStampingProviders = sqliteTable("organization_stamping_providers", {
  organizationId: text("organization_id").primaryKey(),
  provider: text("provider", { enum: STAMPING_PROVIDERS }).notNull(),
  /** The provider's API key sealed (base64), with its IV; null for the sandbox. */
  encryptedApiKey: text("encrypted_api_key"),
  iv: text("iv"),
  apiKeyLast4: text("api_key_last4"),
  ...timestamps,
});
