CREATE TABLE `billing_accounts` (
	`organization_id` text PRIMARY KEY NOT NULL,
	`stripe_customer_id` text,
	`name` text,
	`commercial_name` text,
	`tax_identifier` text,
	`tax_regime` text,
	`postal_code` text,
	`cfdi_use` text,
	`created_at` text NOT NULL,
	`updated_at` text NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX `billing_accounts_customer_idx` ON `billing_accounts` (`stripe_customer_id`);--> statement-breakpoint
CREATE TABLE `billing_checkout_sessions` (
	`id` text PRIMARY KEY NOT NULL,
	`organization_id` text NOT NULL,
	`purpose` text NOT NULL,
	`amount_cents` integer,
	`created_by_user_id` text,
	`created_at` text NOT NULL
);
--> statement-breakpoint
CREATE INDEX `billing_checkout_sessions_org_idx` ON `billing_checkout_sessions` (`organization_id`,`created_at`);--> statement-breakpoint
CREATE TABLE `billing_payment_methods` (
	`id` text PRIMARY KEY NOT NULL,
	`organization_id` text NOT NULL,
	`stripe_payment_method_id` text NOT NULL,
	`type` text NOT NULL,
	`brand` text,
	`last4` text,
	`exp_month` integer,
	`exp_year` integer,
	`is_default` integer DEFAULT false NOT NULL,
	`created_at` text NOT NULL,
	`updated_at` text NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX `billing_payment_methods_stripe_idx` ON `billing_payment_methods` (`stripe_payment_method_id`);--> statement-breakpoint
CREATE INDEX `billing_payment_methods_org_idx` ON `billing_payment_methods` (`organization_id`);--> statement-breakpoint
CREATE TABLE `billing_subscriptions` (
	`id` text PRIMARY KEY NOT NULL,
	`organization_id` text NOT NULL,
	`status` text NOT NULL,
	`price_id` text,
	`plan` text,
	`included_stamps` integer DEFAULT 0 NOT NULL,
	`stamp_unit_price` text NOT NULL,
	`cancel_at_period_end` integer DEFAULT false NOT NULL,
	`current_period_end` text,
	`trial_end` text,
	`stripe_updated_at` integer NOT NULL,
	`created_at` text NOT NULL,
	`updated_at` text NOT NULL
);
--> statement-breakpoint
CREATE INDEX `billing_subscriptions_org_idx` ON `billing_subscriptions` (`organization_id`,`created_at`);--> statement-breakpoint
CREATE TABLE `invoice_item_rollups` (
	`tenant_id` text NOT NULL,
	`side` text NOT NULL,
	`item_key` text NOT NULL,
	`archived` integer NOT NULL,
	`status_code` integer NOT NULL,
	`is_cancelled` integer NOT NULL,
	`payment_method` text NOT NULL,
	`currency_code` text NOT NULL,
	`exchange_rate` text NOT NULL,
	`due_at` text NOT NULL,
	`invoices` integer NOT NULL,
	`unread` integer NOT NULL,
	`due_units` integer NOT NULL,
	`due_rest` integer NOT NULL,
	`paid_units` integer NOT NULL,
	`paid_rest` integer NOT NULL,
	`gross_units` integer NOT NULL,
	`gross_rest` integer NOT NULL,
	PRIMARY KEY(`tenant_id`, `side`, `item_key`, `archived`, `status_code`, `is_cancelled`, `payment_method`, `currency_code`, `exchange_rate`, `due_at`)
);
--> statement-breakpoint
CREATE TABLE `invoice_rollups` (
	`tenant_id` text NOT NULL,
	`side` text NOT NULL,
	`archived` integer NOT NULL,
	`status_code` integer NOT NULL,
	`is_cancelled` integer NOT NULL,
	`payment_method` text NOT NULL,
	`currency_code` text NOT NULL,
	`exchange_rate` text NOT NULL,
	`due_at` text NOT NULL,
	`invoices` integer NOT NULL,
	`unread` integer NOT NULL,
	`due_units` integer NOT NULL,
	`due_rest` integer NOT NULL,
	`paid_units` integer NOT NULL,
	`paid_rest` integer NOT NULL,
	`gross_units` integer NOT NULL,
	`gross_rest` integer NOT NULL,
	PRIMARY KEY(`tenant_id`, `side`, `archived`, `status_code`, `is_cancelled`, `payment_method`, `currency_code`, `exchange_rate`, `due_at`)
);
--> statement-breakpoint
CREATE TABLE `consumptions` (
	`id` text PRIMARY KEY NOT NULL,
	`organization_id` text NOT NULL,
	`consumable_key` text NOT NULL,
	`period` text NOT NULL,
	`count` integer NOT NULL,
	`included_units` integer NOT NULL,
	`unit_price_cents` integer NOT NULL,
	`amount_cents` integer NOT NULL,
	`invoice_id` text,
	`ledger_entry_id` text NOT NULL,
	`created_at` text NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX `consumptions_ledger_entry_uq` ON `consumptions` (`ledger_entry_id`);--> statement-breakpoint
CREATE INDEX `consumptions_org_created_idx` ON `consumptions` (`organization_id`,`created_at`);--> statement-breakpoint
CREATE TABLE `items` (
	`id` text PRIMARY KEY NOT NULL,
	`organization_id` text NOT NULL,
	`description` text NOT NULL,
	`description_key` text NOT NULL,
	`item_key` text NOT NULL,
	`unit_key` text NOT NULL,
	`net_unit_price_amount` text NOT NULL,
	`net_unit_price_micros` integer NOT NULL,
	`taxes` text,
	`created_at` text NOT NULL,
	`updated_at` text NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX `items_org_description_uq` ON `items` (`organization_id`,`description_key`);--> statement-breakpoint
CREATE INDEX `items_org_created_idx` ON `items` (`organization_id`,`created_at`);--> statement-breakpoint
CREATE TABLE `provider_evidence` (
	`id` text PRIMARY KEY NOT NULL,
	`organization_id` text NOT NULL,
	`invoice_id` text,
	`provider` text NOT NULL,
	`operation` text NOT NULL,
	`request_key` text,
	`provider_reference` text,
	`document_uuid` text,
	`request` text NOT NULL,
	`request_body` text,
	`request_body_key` text,
	`response_status` integer,
	`response_body` text,
	`response_body_key` text,
	`duration_ms` integer NOT NULL,
	`requested_at` text NOT NULL,
	`stored_at` text NOT NULL
);
--> statement-breakpoint
CREATE INDEX `provider_evidence_invoice_idx` ON `provider_evidence` (`organization_id`,`invoice_id`);--> statement-breakpoint
CREATE INDEX `provider_evidence_key_idx` ON `provider_evidence` (`organization_id`,`request_key`);--> statement-breakpoint
CREATE INDEX `provider_evidence_reference_idx` ON `provider_evidence` (`organization_id`,`provider_reference`);--> statement-breakpoint
CREATE INDEX `provider_evidence_uuid_idx` ON `provider_evidence` (`organization_id`,`document_uuid`);--> statement-breakpoint
CREATE TABLE `provider_webhook_events` (
	`provider` text NOT NULL,
	`event_id` text NOT NULL,
	`type` text NOT NULL,
	`data` text NOT NULL,
	`livemode` integer,
	`received_at` text NOT NULL,
	`enqueued_at` text,
	`processed_at` text,
	`outcome` text,
	PRIMARY KEY(`provider`, `event_id`)
);
--> statement-breakpoint
CREATE TABLE `organization_stamping_providers` (
	`organization_id` text PRIMARY KEY NOT NULL,
	`provider` text NOT NULL,
	`encrypted_api_key` text,
	`iv` text,
	`api_key_last4` text,
	`created_at` text NOT NULL,
	`updated_at` text NOT NULL
);
--> statement-breakpoint
CREATE TABLE `webhook_deliveries` (
	`id` text PRIMARY KEY NOT NULL,
	`subscription_id` text NOT NULL,
	`organization_id` text NOT NULL,
	`event_id` text NOT NULL,
	`event_type` text NOT NULL,
	`event_offset` integer NOT NULL,
	`payload` text NOT NULL,
	`status` text DEFAULT 'pending' NOT NULL,
	`attempts` integer DEFAULT 0 NOT NULL,
	`last_status_code` integer,
	`last_error` text,
	`last_attempt_at` text,
	`next_attempt_at` text NOT NULL,
	`delivered_at` text,
	`parked_at` text,
	`created_at` text NOT NULL,
	`updated_at` text NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX `webhook_deliveries_event_uq` ON `webhook_deliveries` (`subscription_id`,`event_id`);--> statement-breakpoint
CREATE INDEX `webhook_deliveries_subscription_idx` ON `webhook_deliveries` (`subscription_id`,`created_at`);--> statement-breakpoint
CREATE INDEX `webhook_deliveries_due_idx` ON `webhook_deliveries` (`status`,`next_attempt_at`);--> statement-breakpoint
CREATE TABLE `webhook_subscriptions` (
	`id` text PRIMARY KEY NOT NULL,
	`organization_id` text NOT NULL,
	`name` text NOT NULL,
	`url` text NOT NULL,
	`event_types` text NOT NULL,
	`active` integer DEFAULT true NOT NULL,
	`last_published_offset` integer DEFAULT 0 NOT NULL,
	`secret_iv` text NOT NULL,
	`secret_ciphertext` text NOT NULL,
	`created_by_user_id` text,
	`created_at` text NOT NULL,
	`updated_at` text NOT NULL
);
--> statement-breakpoint
CREATE INDEX `webhook_subscriptions_org_idx` ON `webhook_subscriptions` (`organization_id`,`created_at`);--> statement-breakpoint
CREATE INDEX `webhook_subscriptions_active_idx` ON `webhook_subscriptions` (`active`,`organization_id`);--> statement-breakpoint
ALTER TABLE `invoices` ADD `cancellation_status` text;--> statement-breakpoint
ALTER TABLE `invoices` ADD `cancellation_motive` text;--> statement-breakpoint
ALTER TABLE `invoices` ADD `cancellation_substitution` text;--> statement-breakpoint
ALTER TABLE `invoices` ADD `cancellation_requested_at` text;--> statement-breakpoint
ALTER TABLE `invoices` ADD `stamping_provider` text;--> statement-breakpoint
ALTER TABLE `invoices` ADD `provider_reference` text;--> statement-breakpoint
CREATE INDEX `invoices_provider_reference_idx` ON `invoices` (`provider_reference`) WHERE "invoices"."provider_reference" IS NOT NULL;--> statement-breakpoint
CREATE INDEX `invoices_pdf_file_idx` ON `invoices` (`pdf_file_id`) WHERE "invoices"."pdf_file_id" IS NOT NULL;--> statement-breakpoint
CREATE INDEX `invoices_purchase_order_file_idx` ON `invoices` (`purchase_order_file_id`) WHERE "invoices"."purchase_order_file_id" IS NOT NULL;