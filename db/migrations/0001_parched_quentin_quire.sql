PRAGMA foreign_keys=OFF;--> statement-breakpoint
CREATE TABLE `__new_link_invitations` (
	`code` text PRIMARY KEY NOT NULL,
	`direction` text NOT NULL,
	`inviter_organization_id` text NOT NULL,
	`email_address` text,
	`whatsapp_number` text,
	`invite_path` text,
	`linked_organization_id` text,
	`linked_at` text,
	`is_reusable` integer DEFAULT false NOT NULL,
	`created_by_user_id` text NOT NULL,
	`created_at` text NOT NULL,
	`updated_at` text NOT NULL
);
--> statement-breakpoint
INSERT INTO `__new_link_invitations`("code", "direction", "inviter_organization_id", "email_address", "whatsapp_number", "invite_path", "linked_organization_id", "linked_at", "is_reusable", "created_by_user_id", "created_at", "updated_at") SELECT "code", "direction", "inviter_organization_id", "email_address", "whatsapp_number", "invite_path", "linked_organization_id", "linked_at", "is_reusable", "created_by_user_id", "created_at", "updated_at" FROM `link_invitations`;--> statement-breakpoint
DROP TABLE `link_invitations`;--> statement-breakpoint
ALTER TABLE `__new_link_invitations` RENAME TO `link_invitations`;--> statement-breakpoint
PRAGMA foreign_keys=ON;--> statement-breakpoint
CREATE INDEX `link_invitations_inviter_idx` ON `link_invitations` (`inviter_organization_id`,`direction`);--> statement-breakpoint
CREATE UNIQUE INDEX `link_invitations_reusable_uq` ON `link_invitations` (`inviter_organization_id`,`direction`) WHERE "link_invitations"."is_reusable" = 1;