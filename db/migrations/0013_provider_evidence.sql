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
CREATE INDEX `provider_evidence_uuid_idx` ON `provider_evidence` (`organization_id`,`document_uuid`);