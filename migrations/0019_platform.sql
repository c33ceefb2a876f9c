CREATE TABLE `connect_transfers` (
	`id` text PRIMARY KEY NOT NULL,
	`creator_id` text NOT NULL,
	`order_id` text,
	`payment_id` text NOT NULL,
	`account_id` text NOT NULL,
	`kind` text NOT NULL,
	`reason` text NOT NULL,
	`source_id` text NOT NULL,
	`amount` integer NOT NULL,
	`fee_refunded` integer DEFAULT 0 NOT NULL,
	`currency` text NOT NULL,
	`provider_id` text,
	`created_at` integer NOT NULL,
	FOREIGN KEY (`creator_id`) REFERENCES `creators`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE UNIQUE INDEX `connect_transfers_source_unique` ON `connect_transfers` (`kind`,`reason`,`source_id`);--> statement-breakpoint
CREATE INDEX `connect_transfers_creator_idx` ON `connect_transfers` (`creator_id`,`created_at`);--> statement-breakpoint
CREATE TABLE `connected_accounts` (
	`creator_id` text PRIMARY KEY NOT NULL,
	`account_id` text NOT NULL,
	`type` text NOT NULL,
	`charges_enabled` integer DEFAULT false NOT NULL,
	`payouts_enabled` integer DEFAULT false NOT NULL,
	`details_submitted` integer DEFAULT false NOT NULL,
	`requirements_due` text DEFAULT '[]' NOT NULL,
	`disabled_reason` text,
	`provider` text NOT NULL,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL,
	FOREIGN KEY (`creator_id`) REFERENCES `creators`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE UNIQUE INDEX `connected_accounts_account_unique` ON `connected_accounts` (`account_id`);--> statement-breakpoint
CREATE TABLE `sandbox_accounts` (
	`id` text PRIMARY KEY NOT NULL,
	`idempotency_key` text NOT NULL,
	`type` text NOT NULL,
	`email` text,
	`country` text,
	`details_submitted` integer DEFAULT false NOT NULL,
	`charges_enabled` integer DEFAULT false NOT NULL,
	`payouts_enabled` integer DEFAULT false NOT NULL,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX `sandbox_accounts_idempotency_key_unique` ON `sandbox_accounts` (`idempotency_key`);--> statement-breakpoint
CREATE TABLE `sandbox_transfers` (
	`id` text PRIMARY KEY NOT NULL,
	`idempotency_key` text NOT NULL,
	`payment_id` text NOT NULL,
	`account` text NOT NULL,
	`kind` text NOT NULL,
	`amount` integer NOT NULL,
	`currency` text NOT NULL,
	`created_at` integer NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX `sandbox_transfers_idempotency_unique` ON `sandbox_transfers` (`idempotency_key`);--> statement-breakpoint
ALTER TABLE `api_keys` ADD `kind` text DEFAULT 'secret' NOT NULL;--> statement-breakpoint
ALTER TABLE `api_keys` ADD `scopes` text DEFAULT '["*"]' NOT NULL;--> statement-breakpoint
ALTER TABLE `api_keys` ADD `expires_at` integer;--> statement-breakpoint
ALTER TABLE `api_keys` ADD `replaced_by` text;--> statement-breakpoint
ALTER TABLE `api_keys` ADD `last_used_at` integer;--> statement-breakpoint
ALTER TABLE `creators` ADD `status` text DEFAULT 'active' NOT NULL;--> statement-breakpoint
ALTER TABLE `creators` ADD `suspended_at` integer;--> statement-breakpoint
ALTER TABLE `creators` ADD `suspension_reason` text;--> statement-breakpoint
ALTER TABLE `creators` ADD `platform_fee_bps` integer;--> statement-breakpoint
ALTER TABLE `orders` ADD `destination_account` text;--> statement-breakpoint
ALTER TABLE `orders` ADD `platform_fee_amount` integer;--> statement-breakpoint
ALTER TABLE `sandbox_payments` ADD `transfer_destination` text;--> statement-breakpoint
ALTER TABLE `sandbox_payments` ADD `application_fee_amount` integer;--> statement-breakpoint
ALTER TABLE `sandbox_payments` ADD `transfer_reversed` integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE `sandbox_payments` ADD `application_fee_refunded` integer DEFAULT 0 NOT NULL;