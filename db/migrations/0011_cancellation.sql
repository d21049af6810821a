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
ALTER TABLE `invoices` ADD `cancellation_status` text;--> statement-breakpoint
ALTER TABLE `invoices` ADD `cancellation_motive` text;--> statement-breakpoint
ALTER TABLE `invoices` ADD `cancellation_substitution` text;--> statement-breakpoint
ALTER TABLE `invoices` ADD `cancellation_requested_at` text;--> statement-breakpoint
ALTER TABLE `invoices` ADD `stamping_provider` text;--> statement-breakpoint
ALTER TABLE `invoices` ADD `provider_reference` text;--> statement-breakpoint
CREATE INDEX `invoices_provider_reference_idx` ON `invoices` (`provider_reference`) WHERE "invoices"."provider_reference" IS NOT NULL;