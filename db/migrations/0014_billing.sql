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
CREATE INDEX `billing_subscriptions_org_idx` ON `billing_subscriptions` (`organization_id`,`created_at`);