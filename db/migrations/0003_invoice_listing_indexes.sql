DROP INDEX `invoices_org_created_idx`;--> statement-breakpoint
DROP INDEX `invoices_org_status_idx`;--> statement-breakpoint
DROP INDEX `invoices_org_issued_idx`;--> statement-breakpoint
DROP INDEX `invoices_org_stamped_idx`;--> statement-breakpoint
DROP INDEX `invoices_org_due_idx`;--> statement-breakpoint
DROP INDEX `invoices_org_issuer_idx`;--> statement-breakpoint
DROP INDEX `invoices_org_gross_idx`;--> statement-breakpoint
DROP INDEX `invoices_provider_created_idx`;--> statement-breakpoint
DROP INDEX `invoices_provider_status_idx`;--> statement-breakpoint
DROP INDEX `invoices_provider_issued_idx`;--> statement-breakpoint
DROP INDEX `invoices_provider_recipient_idx`;--> statement-breakpoint
CREATE INDEX `invoices_org_totals_idx` ON `invoices` (`organization_id`,`status_code`,`payment_due_at`,`is_cancelled`,`is_read`,`archived_by_organization_at`,`currency_code`,`exchange_rate`,`due_micros`,`paid_micros`,`gross_price_micros`);--> statement-breakpoint
CREATE INDEX `invoices_org_converted_idx` ON `invoices` (`organization_id`,`status_code`,`payment_due_at`,`is_cancelled`,`is_read`,`archived_by_organization_at`,`currency_code`,`exchange_rate`,`due_micros`,`paid_micros`,`gross_price_micros`) WHERE "invoices"."currency_code" <> 'MXN' AND "invoices"."exchange_rate" IS NOT NULL;--> statement-breakpoint
CREATE INDEX `invoices_provider_totals_idx` ON `invoices` (`provider_id`,`status_code`,`payment_due_at`,`is_cancelled`,`is_read`,`archived_by_provider_at`,`currency_code`,`exchange_rate`,`due_micros`,`paid_micros`,`gross_price_micros`);--> statement-breakpoint
CREATE INDEX `invoices_provider_converted_idx` ON `invoices` (`provider_id`,`status_code`,`payment_due_at`,`is_cancelled`,`is_read`,`archived_by_provider_at`,`currency_code`,`exchange_rate`,`due_micros`,`paid_micros`,`gross_price_micros`) WHERE "invoices"."currency_code" <> 'MXN' AND "invoices"."exchange_rate" IS NOT NULL;--> statement-breakpoint
CREATE INDEX `invoices_org_created_idx` ON `invoices` (`organization_id`,`created_at`,`archived_by_organization_at`);--> statement-breakpoint
CREATE INDEX `invoices_org_status_idx` ON `invoices` (`organization_id`,`status_code`,`created_at`,`archived_by_organization_at`);--> statement-breakpoint
CREATE INDEX `invoices_org_issued_idx` ON `invoices` (`organization_id`,`issued_at`,`archived_by_organization_at`);--> statement-breakpoint
CREATE INDEX `invoices_org_stamped_idx` ON `invoices` (`organization_id`,`stamped_at`,`archived_by_organization_at`);--> statement-breakpoint
CREATE INDEX `invoices_org_due_idx` ON `invoices` (`organization_id`,`payment_due_at`,`archived_by_organization_at`);--> statement-breakpoint
CREATE INDEX `invoices_org_issuer_idx` ON `invoices` (`organization_id`,`issuer_tax_identifier`,`status_code`,`created_at`,`archived_by_organization_at`);--> statement-breakpoint
CREATE INDEX `invoices_org_gross_idx` ON `invoices` (`organization_id`,`gross_price_micros`,`archived_by_organization_at`);--> statement-breakpoint
CREATE INDEX `invoices_provider_created_idx` ON `invoices` (`provider_id`,`created_at`,`archived_by_provider_at`);--> statement-breakpoint
CREATE INDEX `invoices_provider_status_idx` ON `invoices` (`provider_id`,`status_code`,`created_at`,`archived_by_provider_at`);--> statement-breakpoint
CREATE INDEX `invoices_provider_issued_idx` ON `invoices` (`provider_id`,`issued_at`,`archived_by_provider_at`);--> statement-breakpoint
CREATE INDEX `invoices_provider_recipient_idx` ON `invoices` (`provider_id`,`recipient_tax_identifier`,`status_code`,`created_at`,`archived_by_provider_at`);