// Identity: users, OAuth clients, sessions (refresh-token families), 2FA challenges, trusted devices,
// one-time codes, login attempts and the outbound message outbox.
import { index, integer, sqliteTable, text, uniqueIndex } from "drizzle-orm/sqlite-core";
import { id, timestamps } from "./columns";

export const users = sqliteTable(
  "users",
  {
    id: id(),
    email: text("email").notNull(),
    firstName: text("first_name").notNull(),
    lastName: text("last_name").notNull(),
    passwordHash: text("password_hash").notNull(),
    emailVerifiedAt: text("email_verified_at"),
    whatsappNumber: text("whatsapp_number"),
    whatsappNumberVerifiedAt: text("whatsapp_number_verified_at"),
    is2faEnabled: integer("is_2fa_enabled", { mode: "boolean" }).notNull().default(false),
    defaultOrganizationId: text("default_organization_id"),
    country: text("country"),
    region: text("region"),
    city: text("city"),
    lastLoginAt: text("last_login_at"),
    deletedAt: text("deleted_at"),
    ...timestamps,
  },
  (t) => [uniqueIndex("users_email_uq").on(t.email)],
);

export const oauthClients = sqliteTable("oauth_clients", {
  id: text("id").primaryKey(), // the public client_id
  name: text("name").notNull(),
  secretHash: text("secret_hash").notNull(),
  createdAt: text("created_at").notNull(),
});

/** One row per login: the refresh-token family. Access tokens carry its id, so revoking it ends both. */
export const sessions = sqliteTable(
  "sessions",
  {
    id: id(),
    userId: text("user_id").notNull(),
    clientId: text("client_id").notNull(),
    deviceId: text("device_id"),
    currentRefreshHash: text("current_refresh_hash").notNull(),
    refreshExpiresAt: text("refresh_expires_at").notNull(),
    revokedAt: text("revoked_at"),
    revokedReason: text("revoked_reason"),
    ...timestamps,
  },
  (t) => [index("sessions_user_idx").on(t.userId)],
);

/** Every refresh token ever issued, so a rotated one presented again is recognised as reuse. */
export const refreshTokens = sqliteTable(
  "refresh_tokens",
  {
    tokenHash: text("token_hash").primaryKey(),
    sessionId: text("session_id").notNull(),
    rotatedAt: text("rotated_at"),
    createdAt: text("created_at").notNull(),
  },
  (t) => [index("refresh_tokens_session_idx").on(t.sessionId)],
);

/** A pending second factor: the temporary token handed out by the password grant plus the code sent. */
export const twoFactorChallenges = sqliteTable("two_factor_challenges", {
  tokenHash: text("token_hash").primaryKey(),
  userId: text("user_id").notNull(),
  clientId: text("client_id").notNull(),
  deviceId: text("device_id"),
  codeHash: text("code_hash").notNull(),
  attempts: integer("attempts").notNull().default(0),
  expiresAt: text("expires_at").notNull(),
  consumedAt: text("consumed_at"),
  createdAt: text("created_at").notNull(),
});

export const trustedDevices = sqliteTable(
  "trusted_devices",
  {
    id: id(),
    userId: text("user_id").notNull(),
    createdAt: text("created_at").notNull(),
    lastUsedAt: text("last_used_at"),
  },
  (t) => [index("trusted_devices_user_idx").on(t.userId)],
);

/** Single-use codes: email and WhatsApp verification, password reset. */
export const verificationCodes = sqliteTable(
  "verification_codes",
  {
    id: id(),
    userId: text("user_id").notNull(),
    purpose: text("purpose", {
      enum: ["email_verification", "whatsapp_verification", "password_reset"],
    }).notNull(),
    codeHash: text("code_hash").notNull(),
    target: text("target").notNull(),
    attempts: integer("attempts").notNull().default(0),
    expiresAt: text("expires_at").notNull(),
    consumedAt: text("consumed_at"),
    createdAt: text("created_at").notNull(),
  },
  (t) => [
    index("verification_codes_user_idx").on(t.userId, t.purpose),
    uniqueIndex("verification_codes_hash_uq").on(t.codeHash),
  ],
);

export const loginAttempts = sqliteTable(
  "login_attempts",
  {
    id: id(),
    subject: text("subject").notNull(), // "user:<email>" or "ip:<address>"
    succeeded: integer("succeeded", { mode: "boolean" }).notNull(),
    createdAt: text("created_at").notNull(),
  },
  (t) => [index("login_attempts_subject_idx").on(t.subject, t.createdAt)],
);

export const outboxMessages = sqliteTable(
  "outbox_messages",
  {
    id: id(),
    channel: text("channel", { enum: ["email", "whatsapp"] }).notNull(),
    recipient: text("recipient").notNull(),
    template: text("template").notNull(),
    subject: text("subject"),
    body: text("body").notNull(),
    status: text("status", { enum: ["pending", "sent", "failed"] })
      .notNull()
      .default("pending"),
    attempts: integer("attempts").notNull().default(0),
    lastError: text("last_error"),
    sentAt: text("sent_at"),
    createdAt: text("created_at").notNull(),
  },
  (t) => [index("outbox_status_idx").on(t.status, t.createdAt)],
);
