CREATE TABLE `organization_csds` (
	`organization_id` text PRIMARY KEY NOT NULL,
	`certificate` text NOT NULL,
	`serial_number` text NOT NULL,
	`not_before` text NOT NULL,
	`not_after` text NOT NULL,
	`rfc` text NOT NULL,
	`encrypted_key` text NOT NULL,
	`iv` text NOT NULL,
	`created_at` text NOT NULL,
	`updated_at` text NOT NULL
);
--> statement-breakpoint
ALTER TABLE `organizations` ADD `csd_uploaded_at` text;--> statement-breakpoint
ALTER TABLE `organizations` ADD `csd_serial_number` text;--> statement-breakpoint
ALTER TABLE `organizations` ADD `csd_valid_from` text;--> statement-breakpoint
ALTER TABLE `organizations` ADD `csd_valid_to` text;