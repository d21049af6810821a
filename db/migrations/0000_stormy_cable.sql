CREATE TABLE `login_attempts` (
	`id` text PRIMARY KEY NOT NULL,
	`subject` text NOT NULL,
	`succeeded` integer NOT NULL,
	`created_at` text NOT NULL
);
--> statement-breakpoint
CREATE INDEX `login_attempts_subject_idx` ON `login_attempts` (`subject`,`created_at`);--> statement-breakpoint
CREATE TABLE `oauth_clients` (
	`id` text PRIMARY KEY NOT NULL,
	`name` text NOT NULL,
	`secret_hash` text NOT NULL,
	`created_at` text NOT NULL
);
--> statement-breakpoint
CREATE TABLE `outbox_messages` (
	`id` text PRIMARY KEY NOT NULL,
	`channel` text NOT NULL,
	`recipient` text NOT NULL,
	`template` text NOT NULL,
	`subject` text,
	`body` text NOT NULL,
	`status` text DEFAULT 'pending' NOT NULL,
	`attempts` integer DEFAULT 0 NOT NULL,
	`last_error` text,
	`sent_at` text,
	`created_at` text NOT NULL
);
--> statement-breakpoint
CREATE INDEX `outbox_status_idx` ON `outbox_messages` (`status`,`created_at`);--> statement-breakpoint
CREATE TABLE `refresh_tokens` (
	`token_hash` text PRIMARY KEY NOT NULL,
	`session_id` text NOT NULL,
	`rotated_at` text,
	`created_at` text NOT NULL
);
--> statement-breakpoint
CREATE INDEX `refresh_tokens_session_idx` ON `refresh_tokens` (`session_id`);--> statement-breakpoint
CREATE TABLE `sessions` (
	`id` text PRIMARY KEY NOT NULL,
	`user_id` text NOT NULL,
	`client_id` text NOT NULL,
	`device_id` text,
	`current_refresh_hash` text NOT NULL,
	`refresh_expires_at` text NOT NULL,
	`revoked_at` text,
	`revoked_reason` text,
	`created_at` text NOT NULL,
	`updated_at` text NOT NULL
);
--> statement-breakpoint
CREATE INDEX `sessions_user_idx` ON `sessions` (`user_id`);--> statement-breakpoint
CREATE TABLE `trusted_devices` (
	`id` text PRIMARY KEY NOT NULL,
	`user_id` text NOT NULL,
	`created_at` text NOT NULL,
	`last_used_at` text
);
--> statement-breakpoint
CREATE INDEX `trusted_devices_user_idx` ON `trusted_devices` (`user_id`);--> statement-breakpoint
CREATE TABLE `two_factor_challenges` (
	`token_hash` text PRIMARY KEY NOT NULL,
	`user_id` text NOT NULL,
	`client_id` text NOT NULL,
	`device_id` text,
	`code_hash` text NOT NULL,
	`attempts` integer DEFAULT 0 NOT NULL,
	`expires_at` text NOT NULL,
	`consumed_at` text,
	`created_at` text NOT NULL
);
--> statement-breakpoint
CREATE TABLE `users` (
	`id` text PRIMARY KEY NOT NULL,
	`email` text NOT NULL,
	`first_name` text NOT NULL,
	`last_name` text NOT NULL,
	`password_hash` text NOT NULL,
	`email_verified_at` text,
	`whatsapp_number` text,
	`whatsapp_number_verified_at` text,
	`is_2fa_enabled` integer DEFAULT false NOT NULL,
	`default_organization_id` text,
	`country` text,
	`region` text,
	`city` text,
	`last_login_at` text,
	`deleted_at` text,
	`created_at` text NOT NULL,
	`updated_at` text NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX `users_email_uq` ON `users` (`email`);--> statement-breakpoint
CREATE TABLE `verification_codes` (
	`id` text PRIMARY KEY NOT NULL,
	`user_id` text NOT NULL,
	`purpose` text NOT NULL,
	`code_hash` text NOT NULL,
	`target` text NOT NULL,
	`attempts` integer DEFAULT 0 NOT NULL,
	`expires_at` text NOT NULL,
	`consumed_at` text,
	`created_at` text NOT NULL
);
--> statement-breakpoint
CREATE INDEX `verification_codes_user_idx` ON `verification_codes` (`user_id`,`purpose`);--> statement-breakpoint
CREATE UNIQUE INDEX `verification_codes_hash_uq` ON `verification_codes` (`code_hash`);--> statement-breakpoint
CREATE TABLE `link_invitations` (
	`code` text PRIMARY KEY NOT NULL,
	`direction` text NOT NULL,
	`inviter_organization_id` text NOT NULL,
	`email_address` text,
	`whatsapp_number` text,
	`invite_path` text NOT NULL,
	`linked_organization_id` text,
	`linked_at` text,
	`is_reusable` integer DEFAULT false NOT NULL,
	`created_by_user_id` text NOT NULL,
	`created_at` text NOT NULL,
	`updated_at` text NOT NULL
);
--> statement-breakpoint
CREATE INDEX `link_invitations_inviter_idx` ON `link_invitations` (`inviter_organization_id`,`direction`);--> statement-breakpoint
CREATE TABLE `memberships` (
	`user_id` text NOT NULL,
	`organization_id` text NOT NULL,
	`role` text NOT NULL,
	`is_read` integer DEFAULT false NOT NULL,
	`is_favorite` integer DEFAULT false NOT NULL,
	`is_disabled` integer DEFAULT false NOT NULL,
	`created_at` text NOT NULL,
	`updated_at` text NOT NULL,
	PRIMARY KEY(`user_id`, `organization_id`)
);
--> statement-breakpoint
CREATE INDEX `memberships_org_idx` ON `memberships` (`organization_id`);--> statement-breakpoint
CREATE TABLE `organizations` (
	`id` text PRIMARY KEY NOT NULL,
	`name` text NOT NULL,
	`commercial_name` text,
	`tax_identifier` text NOT NULL,
	`tax_regimes` text NOT NULL,
	`cfdi_use` text,
	`slug` text NOT NULL,
	`postal_code` text,
	`address_street` text,
	`address_number` text,
	`address_number_interior` text,
	`address_neighborhood` text,
	`address_city` text,
	`address_municipality` text,
	`address_state` text,
	`is_entity` integer NOT NULL,
	`status` text DEFAULT 'pending' NOT NULL,
	`completion_stage` text DEFAULT 'none' NOT NULL,
	`industry` text,
	`invoices_inbox` text,
	`avatar_url` text,
	`is_demo_mode` integer DEFAULT false NOT NULL,
	`contact_first_name` text,
	`contact_last_name` text,
	`contact_email_address` text,
	`contact_phone_number` text,
	`contact_job_title` text,
	`beneficiary_name` text,
	`bank_identifier` text,
	`deletion_requested_at` text,
	`deleted_at` text,
	`created_at` text NOT NULL,
	`updated_at` text NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX `organizations_slug_uq` ON `organizations` (`slug`);--> statement-breakpoint
CREATE INDEX `organizations_rfc_idx` ON `organizations` (`tax_identifier`);--> statement-breakpoint
CREATE TABLE `provider_organizations` (
	`organization_id` text NOT NULL,
	`provider_id` text NOT NULL,
	`credit_days` integer DEFAULT 30 NOT NULL,
	`credit_period` text DEFAULT 'd' NOT NULL,
	`bank_account_id` text,
	`reference_number` text,
	`bank_account_instructions_file_id` text,
	`is_main` integer DEFAULT false NOT NULL,
	`created_at` text NOT NULL,
	`updated_at` text NOT NULL,
	PRIMARY KEY(`organization_id`, `provider_id`)
);
--> statement-breakpoint
CREATE INDEX `provider_organizations_provider_idx` ON `provider_organizations` (`provider_id`);--> statement-breakpoint
CREATE TABLE `user_invitations` (
	`id` text PRIMARY KEY NOT NULL,
	`code` text NOT NULL,
	`organization_ids` text NOT NULL,
	`role` text NOT NULL,
	`email_address` text,
	`whatsapp_number` text,
	`invited_by_user_id` text NOT NULL,
	`accepted_by_user_id` text,
	`accepted_at` text,
	`expires_at` text NOT NULL,
	`created_at` text NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX `user_invitations_code_uq` ON `user_invitations` (`code`);--> statement-breakpoint
CREATE TABLE `files` (
	`id` text PRIMARY KEY NOT NULL,
	`organization_id` text NOT NULL,
	`uploaded_by_user_id` text,
	`type` text NOT NULL,
	`filename` text NOT NULL,
	`content_type` text NOT NULL,
	`size` integer NOT NULL,
	`sha256` text NOT NULL,
	`storage_key` text NOT NULL,
	`status` text DEFAULT 'ready' NOT NULL,
	`created_at` text NOT NULL,
	`updated_at` text NOT NULL
);
--> statement-breakpoint
CREATE INDEX `files_org_idx` ON `files` (`organization_id`,`created_at`);--> statement-breakpoint
CREATE TABLE `idempotency_keys` (
	`scope` text NOT NULL,
	`key` text NOT NULL,
	`request_hash` text NOT NULL,
	`state` text NOT NULL,
	`response_status` integer,
	`response_body` text,
	`created_at` text NOT NULL,
	`expires_at` text NOT NULL,
	PRIMARY KEY(`scope`, `key`)
);
--> statement-breakpoint
CREATE INDEX `idempotency_expires_idx` ON `idempotency_keys` (`expires_at`);