DROP INDEX `invoice_items_key_idx`;--> statement-breakpoint
CREATE INDEX `invoice_items_key_idx` ON `invoice_items` (`item_key`,`invoice_id`);--> statement-breakpoint
DROP INDEX `invoices_org_created_idx`;--> statement-breakpoint
DROP INDEX `invoices_org_status_idx`;--> statement-breakpoint
DROP INDEX `invoices_org_issued_idx`;--> statement-breakpoint
DROP INDEX `invoices_org_stamped_idx`;--> statement-breakpoint
DROP INDEX `invoices_org_due_idx`;--> statement-breakpoint
DROP INDEX `invoices_org_issuer_idx`;--> statement-breakpoint
DROP INDEX `invoices_org_gross_idx`;--> statement-breakpoint
DROP INDEX `invoices_org_totals_idx`;--> statement-breakpoint
DROP INDEX `invoices_org_converted_idx`;--> statement-breakpoint
CREATE INDEX `invoices_org_issuer_name_idx` ON `invoices` (`organization_id`,`issuer_name`,`archived_by_organization_at`,`status_code`,`created_at`,`id`,`is_cancelled`,`is_read`,`payment_due_at`,`currency_code`,`exchange_rate`,`due_micros`,`paid_micros`,`gross_price_micros`);--> statement-breakpoint
CREATE INDEX `invoices_org_created_idx` ON `invoices` (`organization_id`,`created_at`,`id`,`archived_by_organization_at`,`status_code`,`is_cancelled`,`is_read`,`payment_due_at`,`currency_code`,`exchange_rate`,`due_micros`,`paid_micros`,`gross_price_micros`);--> statement-breakpoint
CREATE INDEX `invoices_org_status_idx` ON `invoices` (`organization_id`,`status_code`,`created_at`,`id`,`archived_by_organization_at`,`is_cancelled`,`is_read`,`payment_due_at`,`currency_code`,`exchange_rate`,`due_micros`,`paid_micros`,`gross_price_micros`);--> statement-breakpoint
CREATE INDEX `invoices_org_issued_idx` ON `invoices` (`organization_id`,`issued_at`,`archived_by_organization_at`,`status_code`,`created_at`,`id`,`is_cancelled`,`is_read`,`payment_due_at`,`currency_code`,`exchange_rate`,`due_micros`,`paid_micros`,`gross_price_micros`);--> statement-breakpoint
CREATE INDEX `invoices_org_stamped_idx` ON `invoices` (`organization_id`,`stamped_at`,`archived_by_organization_at`,`status_code`,`created_at`,`id`,`is_cancelled`,`is_read`,`payment_due_at`,`currency_code`,`exchange_rate`,`due_micros`,`paid_micros`,`gross_price_micros`);--> statement-breakpoint
CREATE INDEX `invoices_org_due_idx` ON `invoices` (`organization_id`,`payment_due_at`,`archived_by_organization_at`,`status_code`,`created_at`,`id`,`is_cancelled`,`is_read`,`currency_code`,`exchange_rate`,`due_micros`,`paid_micros`,`gross_price_micros`);--> statement-breakpoint
CREATE INDEX `invoices_org_issuer_idx` ON `invoices` (`organization_id`,`issuer_tax_identifier`,`status_code`,`created_at`,`id`,`archived_by_organization_at`,`is_cancelled`,`is_read`,`payment_due_at`,`currency_code`,`exchange_rate`,`due_micros`,`paid_micros`,`gross_price_micros`);--> statement-breakpoint
CREATE INDEX `invoices_org_gross_idx` ON `invoices` (`organization_id`,`gross_price_micros`,`archived_by_organization_at`,`status_code`,`created_at`,`id`,`is_cancelled`,`is_read`,`payment_due_at`,`currency_code`,`exchange_rate`,`due_micros`,`paid_micros`);--> statement-breakpoint
CREATE INDEX `invoices_org_totals_idx` ON `invoices` (`organization_id`,`status_code`,`payment_due_at`,`created_at`,`id`,`is_cancelled`,`is_read`,`archived_by_organization_at`,`currency_code`,`exchange_rate`,`due_micros`,`paid_micros`,`gross_price_micros`,`payment_method`,`payment_form`,`cfdi_use`);--> statement-breakpoint
CREATE INDEX `invoices_org_converted_idx` ON `invoices` (`organization_id`,`status_code`,`payment_due_at`,`created_at`,`id`,`is_cancelled`,`is_read`,`archived_by_organization_at`,`currency_code`,`exchange_rate`,`due_micros`,`paid_micros`,`gross_price_micros`,`payment_method`,`payment_form`,`cfdi_use`) WHERE "invoices"."currency_code" <> 'MXN' AND "invoices"."exchange_rate" IS NOT NULL;