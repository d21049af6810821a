/**
 * Demo data for local runs, as idempotent SQL (INSERT OR IGNORE with fixed ids): running `npm start`
 * again never duplicates anything and never resets what a person changed.
 */
import { sha256Hex } from "../shared/auth/crypto";
import { hashPassword } from "../shared/auth/password";

export const DEMO = {
  email: "demo@timbre.dev",
  password: "Timbre-Demo-2026!",
  clientId: "timbre-demo",
  clientSecret: "timbre-demo-secret",
  userId: "0b6f3a52-6a1d-4c53-9d8e-3d2c1b0a0001",
  organization: {
    id: "0b6f3a52-6a1d-4c53-9d8e-3d2c1b0a0101",
    name: "ESCUELA KEMPER URGATE",
    taxIdentifier: "EKU9003173C9",
    taxRegime: "601",
    postalCode: "42501",
    slug: "escuela-kemper-urgate",
  },
  provider: {
    id: "0b6f3a52-6a1d-4c53-9d8e-3d2c1b0a0202",
    name: "BERENICE XIMO QUEZADA",
    taxIdentifier: "XIQB891116QE4",
    taxRegime: "612",
    postalCode: "06300",
    slug: "berenice-ximo-quezada",
  },
} as const;

const q = (v: string | number | boolean | null) =>
  v === null
    ? "NULL"
    : typeof v === "number"
      ? String(v)
      : typeof v === "boolean"
        ? v
          ? "1"
          : "0"
        : `'${v.replace(/'/g, "''")}'`;

export async function demoSql(now = new Date().toISOString()): Promise<string> {
  const passwordHash = await hashPassword(DEMO.password);
  const secretHash = await sha256Hex(DEMO.clientSecret);
  const org = (o: (typeof DEMO)["organization"] | (typeof DEMO)["provider"]) =>
    `INSERT OR IGNORE INTO organizations (id, name, tax_identifier, tax_regimes, slug, postal_code, is_entity, status, completion_stage, is_demo_mode, created_at, updated_at) VALUES (${[
      o.id,
      o.name,
      o.taxIdentifier,
      JSON.stringify([o.taxRegime]),
      o.slug,
      o.postalCode,
      o.taxIdentifier.length === 12,
      "verified",
      "none",
      true,
      now,
      now,
    ]
      .map(q)
      .join(", ")});`;
  const membership = (orgId: string) =>
    `INSERT OR IGNORE INTO memberships (user_id, organization_id, role, is_read, is_favorite, is_disabled, created_at, updated_at) VALUES (${[
      DEMO.userId,
      orgId,
      "owner",
      false,
      false,
      false,
      now,
      now,
    ]
      .map(q)
      .join(", ")});`;
  return [
    `INSERT OR IGNORE INTO oauth_clients (id, name, secret_hash, created_at) VALUES (${[DEMO.clientId, "Timbre demo client", secretHash, now].map(q).join(", ")});`,
    `INSERT OR IGNORE INTO users (id, email, first_name, last_name, password_hash, email_verified_at, is_2fa_enabled, default_organization_id, created_at, updated_at) VALUES (${[
      DEMO.userId,
      DEMO.email,
      "Demo",
      "Timbre",
      passwordHash,
      now,
      false,
      DEMO.organization.id,
      now,
      now,
    ]
      .map(q)
      .join(", ")});`,
    org(DEMO.organization),
    org(DEMO.provider),
    membership(DEMO.organization.id),
    membership(DEMO.provider.id),
    `INSERT OR IGNORE INTO provider_organizations (organization_id, provider_id, credit_days, credit_period, is_main, created_at, updated_at) VALUES (${[
      DEMO.organization.id,
      DEMO.provider.id,
      30,
      "d",
      true,
      now,
      now,
    ]
      .map(q)
      .join(", ")});`,
  ].join("\n");
}
