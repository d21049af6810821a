CREATE TABLE `invoice_events` (
	`offset` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`id` text NOT NULL,
	`type` text NOT NULL,
	`invoice_id` text NOT NULL,
	`organization_id` text,
	`provider_id` text,
	`actor_user_id` text,
	`data` text NOT NULL,
	`created_at` text NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX `invoice_events_id_uq` ON `invoice_events` (`id`);--> statement-breakpoint
CREATE INDEX `invoice_events_org_idx` ON `invoice_events` (`organization_id`,`offset`);--> statement-breakpoint
CREATE INDEX `invoice_events_provider_idx` ON `invoice_events` (`provider_id`,`offset`);--> statement-breakpoint
CREATE INDEX `invoice_events_invoice_idx` ON `invoice_events` (`invoice_id`,`offset`);--> statement-breakpoint
CREATE TABLE `invoice_item_taxes` (
	`id` text PRIMARY KEY NOT NULL,
	`invoice_id` text NOT NULL,
	`tax_id` text NOT NULL,
	`code` text NOT NULL,
	`is_withholding` integer NOT NULL,
	`factor` text NOT NULL,
	`rate` text,
	`base_amount` text,
	`value` text,
	`invoice_item_id` text NOT NULL,
	`created_at` text NOT NULL,
	`updated_at` text NOT NULL
);
--> statement-breakpoint
CREATE INDEX `invoice_item_taxes_item_idx` ON `invoice_item_taxes` (`invoice_item_id`);--> statement-breakpoint
CREATE INDEX `invoice_item_taxes_invoice_idx` ON `invoice_item_taxes` (`invoice_id`);--> statement-breakpoint
CREATE TABLE `invoice_items` (
	`id` text PRIMARY KEY NOT NULL,
	`invoice_id` text NOT NULL,
	`position` integer NOT NULL,
	`item_key` text,
	`identification` text,
	`quantity` text NOT NULL,
	`unit_key` text,
	`unit_description` text,
	`description` text NOT NULL,
	`net_unit_price_amount` text NOT NULL,
	`net_price_amount` text NOT NULL,
	`discount` text DEFAULT '0' NOT NULL,
	`gross_price_amount` text NOT NULL,
	`tax_object` text,
	`created_at` text NOT NULL,
	`updated_at` text NOT NULL
);
--> statement-breakpoint
CREATE INDEX `invoice_items_invoice_idx` ON `invoice_items` (`invoice_id`,`position`);--> statement-breakpoint
CREATE INDEX `invoice_items_key_idx` ON `invoice_items` (`item_key`);--> statement-breakpoint
CREATE TABLE `invoice_local_taxes` (
	`id` text PRIMARY KEY NOT NULL,
	`invoice_id` text NOT NULL,
	`name` text NOT NULL,
	`is_withholding` integer NOT NULL,
	`rate` text NOT NULL,
	`value` text NOT NULL,
	`created_at` text NOT NULL,
	`updated_at` text NOT NULL
);
--> statement-breakpoint
CREATE INDEX `invoice_local_taxes_invoice_idx` ON `invoice_local_taxes` (`invoice_id`);--> statement-breakpoint
CREATE TABLE `invoice_payment_documents` (
	`id` text PRIMARY KEY NOT NULL,
	`invoice_payment_id` text NOT NULL,
	`invoice_id` text NOT NULL,
	`related_uuid` text NOT NULL,
	`paid_at` text NOT NULL,
	`payment_form` text,
	`payment_currency` text,
	`document_currency` text,
	`equivalence` text,
	`installment` integer,
	`previous_balance` text,
	`amount_paid` text NOT NULL,
	`remaining_balance` text,
	`created_at` text NOT NULL
);
--> statement-breakpoint
CREATE INDEX `invoice_payment_documents_invoice_idx` ON `invoice_payment_documents` (`invoice_id`);--> statement-breakpoint
CREATE INDEX `invoice_payment_documents_payment_idx` ON `invoice_payment_documents` (`invoice_payment_id`);--> statement-breakpoint
CREATE TABLE `invoice_payments` (
	`id` text PRIMARY KEY NOT NULL,
	`organization_id` text,
	`provider_id` text,
	`uuid` text,
	`version` text NOT NULL,
	`status` text NOT NULL,
	`validation_errors` text,
	`issuer_tax_identifier` text,
	`recipient_tax_identifier` text,
	`total_amount` text NOT NULL,
	`xml_file_id` text NOT NULL,
	`pdf_file_id` text,
	`issued_at` text,
	`stamped_at` text,
	`created_by_user_id` text,
	`created_at` text NOT NULL,
	`updated_at` text NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX `invoice_payments_org_uuid_uq` ON `invoice_payments` (`organization_id`,`uuid`) WHERE "invoice_payments"."organization_id" IS NOT NULL AND "invoice_payments"."uuid" IS NOT NULL;--> statement-breakpoint
CREATE UNIQUE INDEX `invoice_payments_provider_uuid_uq` ON `invoice_payments` (`provider_id`,`uuid`) WHERE "invoice_payments"."provider_id" IS NOT NULL AND "invoice_payments"."uuid" IS NOT NULL;--> statement-breakpoint
CREATE TABLE `invoice_preferences` (
	`organization_id` text PRIMARY KEY NOT NULL,
	`payment_methods` text,
	`cfdi_uses` text,
	`payment_forms` text,
	`currency_codes` text,
	`payment_day` integer,
	`allowed_invoice_days` text,
	`month_end_invoice_days` integer,
	`is_efos_clearance_mandatory` integer,
	`is_compliance_document_mandatory` integer,
	`number_of_missing_pending_invoice_payments_allowed` integer,
	`is_banking_information_mandatory` integer,
	`is_purchase_order_mandatory` integer,
	`is_stamped_at_current_month_mandatory` integer,
	`archive_paid_invoices` integer,
	`payment_due_at_anchor` text,
	`created_at` text NOT NULL,
	`updated_at` text NOT NULL
);
--> statement-breakpoint
CREATE TABLE `invoice_taxes` (
	`id` text PRIMARY KEY NOT NULL,
	`invoice_id` text NOT NULL,
	`tax_id` text NOT NULL,
	`code` text NOT NULL,
	`is_withholding` integer NOT NULL,
	`factor` text NOT NULL,
	`rate` text,
	`base_amount` text,
	`value` text,
	`created_at` text NOT NULL,
	`updated_at` text NOT NULL
);
--> statement-breakpoint
CREATE INDEX `invoice_taxes_invoice_idx` ON `invoice_taxes` (`invoice_id`,`tax_id`,`rate`);--> statement-breakpoint
CREATE TABLE `invoices` (
	`id` text PRIMARY KEY NOT NULL,
	`organization_id` text,
	`provider_id` text,
	`status` text NOT NULL,
	`status_code` integer NOT NULL,
	`uuid` text,
	`cfdi_version` text,
	`cfdi_type` text,
	`series` text,
	`folio_number` text,
	`net_price_amount` text NOT NULL,
	`gross_price_amount` text NOT NULL,
	`discount` text DEFAULT '0' NOT NULL,
	`transferred_tax_amount` text DEFAULT '0' NOT NULL,
	`withheld_tax_amount` text DEFAULT '0' NOT NULL,
	`local_transferred_tax_amount` text DEFAULT '0' NOT NULL,
	`local_withheld_tax_amount` text DEFAULT '0' NOT NULL,
	`currency_code` text DEFAULT 'MXN' NOT NULL,
	`exchange_rate` text,
	`original_currency_code` text,
	`cfdi_use` text,
	`payment_method` text,
	`payment_form` text,
	`payment_conditions` text,
	`export_code` text,
	`issuer_name` text,
	`issuer_tax_identifier` text,
	`issuer_tax_regime` text,
	`issuer_postal_code` text,
	`issuer_country` text,
	`issuer_address_street` text,
	`issuer_address_number` text,
	`issuer_address_number_interior` text,
	`issuer_address_neighborhood` text,
	`issuer_address_city` text,
	`issuer_address_municipality` text,
	`issuer_address_state` text,
	`issuer_is_entity` integer,
	`recipient_name` text,
	`recipient_tax_identifier` text,
	`recipient_tax_regime` text,
	`recipient_postal_code` text,
	`recipient_is_entity` integer,
	`pac_tax_identifier` text,
	`xml_file_id` text,
	`pdf_file_id` text,
	`pdf_file_verified_at` text,
	`purchase_order_file_id` text,
	`issued_at` text,
	`stamped_at` text,
	`sent_at` text,
	`accepted_at` text,
	`paid_at` text,
	`completed_at` text,
	`rejected_at` text,
	`payment_due_at` text,
	`last_payment_at` text,
	`fully_paid_at` text,
	`paid_amount` text DEFAULT '0' NOT NULL,
	`due_amount` text DEFAULT '0' NOT NULL,
	`gross_price_micros` integer NOT NULL,
	`net_price_micros` integer NOT NULL,
	`discount_micros` integer DEFAULT 0 NOT NULL,
	`tax_micros` integer DEFAULT 0 NOT NULL,
	`paid_micros` integer DEFAULT 0 NOT NULL,
	`due_micros` integer DEFAULT 0 NOT NULL,
	`validation_errors` text,
	`validation_warnings` text,
	`is_cancelled` integer DEFAULT false NOT NULL,
	`cancelled_at` text,
	`is_read` integer DEFAULT false NOT NULL,
	`notes` text,
	`archived_by_organization_at` text,
	`archived_by_provider_at` text,
	`source` text NOT NULL,
	`task_id` text,
	`created_by_user_id` text,
	`created_at` text NOT NULL,
	`updated_at` text NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX `invoices_org_uuid_uq` ON `invoices` (`organization_id`,`uuid`) WHERE "invoices"."organization_id" IS NOT NULL AND "invoices"."uuid" IS NOT NULL;--> statement-breakpoint
CREATE UNIQUE INDEX `invoices_provider_uuid_uq` ON `invoices` (`provider_id`,`uuid`) WHERE "invoices"."provider_id" IS NOT NULL AND "invoices"."uuid" IS NOT NULL;--> statement-breakpoint
CREATE INDEX `invoices_org_created_idx` ON `invoices` (`organization_id`,`created_at`);--> statement-breakpoint
CREATE INDEX `invoices_org_status_idx` ON `invoices` (`organization_id`,`status_code`,`created_at`);--> statement-breakpoint
CREATE INDEX `invoices_org_issued_idx` ON `invoices` (`organization_id`,`issued_at`);--> statement-breakpoint
CREATE INDEX `invoices_org_stamped_idx` ON `invoices` (`organization_id`,`stamped_at`);--> statement-breakpoint
CREATE INDEX `invoices_org_due_idx` ON `invoices` (`organization_id`,`payment_due_at`);--> statement-breakpoint
CREATE INDEX `invoices_org_issuer_idx` ON `invoices` (`organization_id`,`issuer_tax_identifier`);--> statement-breakpoint
CREATE INDEX `invoices_org_gross_idx` ON `invoices` (`organization_id`,`gross_price_micros`);--> statement-breakpoint
CREATE INDEX `invoices_provider_created_idx` ON `invoices` (`provider_id`,`created_at`);--> statement-breakpoint
CREATE INDEX `invoices_provider_status_idx` ON `invoices` (`provider_id`,`status_code`,`created_at`);--> statement-breakpoint
CREATE INDEX `invoices_provider_issued_idx` ON `invoices` (`provider_id`,`issued_at`);--> statement-breakpoint
CREATE INDEX `invoices_provider_recipient_idx` ON `invoices` (`provider_id`,`recipient_tax_identifier`);--> statement-breakpoint
CREATE INDEX `invoices_task_idx` ON `invoices` (`task_id`);--> statement-breakpoint
CREATE TABLE `payment_invoices` (
	`payment_id` text NOT NULL,
	`invoice_id` text NOT NULL,
	`amount` text NOT NULL,
	`previous_status` text NOT NULL,
	PRIMARY KEY(`payment_id`, `invoice_id`)
);
--> statement-breakpoint
CREATE INDEX `payment_invoices_invoice_idx` ON `payment_invoices` (`invoice_id`);--> statement-breakpoint
CREATE TABLE `payments` (
	`id` text PRIMARY KEY NOT NULL,
	`organization_id` text NOT NULL,
	`provider_id` text,
	`tracking_number` text,
	`reference_number` text,
	`issuer_bank_id` text,
	`recipient_bank_identifier` text,
	`is_ordering_bank` integer,
	`payment_proof_file_id` text,
	`paid_at` text NOT NULL,
	`amount` text NOT NULL,
	`created_by_user_id` text,
	`created_at` text NOT NULL,
	`updated_at` text NOT NULL
);
--> statement-breakpoint
CREATE INDEX `payments_org_idx` ON `payments` (`organization_id`,`created_at`);--> statement-breakpoint
CREATE TABLE `task_items` (
	`task_id` text NOT NULL,
	`name` text NOT NULL,
	`status` text NOT NULL,
	`invoice_id` text,
	`error_code` text,
	`message` text,
	`created_at` text NOT NULL,
	PRIMARY KEY(`task_id`, `name`)
);
--> statement-breakpoint
CREATE TABLE `tasks` (
	`id` text PRIMARY KEY NOT NULL,
	`organization_id` text NOT NULL,
	`type` text NOT NULL,
	`status` text NOT NULL,
	`input` text NOT NULL,
	`total` integer DEFAULT 0 NOT NULL,
	`processed` integer DEFAULT 0 NOT NULL,
	`created` integer DEFAULT 0 NOT NULL,
	`duplicates` integer DEFAULT 0 NOT NULL,
	`failed` integer DEFAULT 0 NOT NULL,
	`error` text,
	`created_by_user_id` text,
	`completed_at` text,
	`created_at` text NOT NULL,
	`updated_at` text NOT NULL
);
--> statement-breakpoint
CREATE INDEX `tasks_org_idx` ON `tasks` (`organization_id`,`created_at`);