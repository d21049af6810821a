CREATE TABLE `organization_stamping_providers` (
	`organization_id` text PRIMARY KEY NOT NULL,
	`provider` text NOT NULL,
	`encrypted_api_key` text,
	`iv` text,
	`api_key_last4` text,
	`created_at` text NOT NULL,
	`updated_at` text NOT NULL
);
