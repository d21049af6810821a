CREATE INDEX `invoices_xml_file_idx` ON `invoices` (`xml_file_id`);--> statement-breakpoint
CREATE INDEX `files_sha256_idx` ON `files` (`sha256`);