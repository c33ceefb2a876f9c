CREATE TABLE `mrr_movements` (
	`id` text PRIMARY KEY NOT NULL,
	`creator_id` text NOT NULL,
	`subscription_id` text NOT NULL,
	`kind` text NOT NULL,
	`amount` integer NOT NULL,
	`currency` text NOT NULL,
	`at` integer NOT NULL,
	`created_at` integer NOT NULL,
	FOREIGN KEY (`creator_id`) REFERENCES `creators`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`subscription_id`) REFERENCES `subscriptions`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE INDEX `mrr_movements_creator_at_idx` ON `mrr_movements` (`creator_id`,`at`);--> statement-breakpoint
CREATE TABLE `subscription_invoices` (
	`id` text PRIMARY KEY NOT NULL,
	`creator_id` text NOT NULL,
	`subscription_id` text NOT NULL,
	`period_index` integer NOT NULL,
	`period_start` integer NOT NULL,
	`period_end` integer NOT NULL,
	`amount` integer NOT NULL,
	`currency` text NOT NULL,
	`status` text NOT NULL,
	`attempts` integer DEFAULT 0 NOT NULL,
	`payment_id` text,
	`last_error` text,
	`paid_at` integer,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL,
	FOREIGN KEY (`creator_id`) REFERENCES `creators`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`subscription_id`) REFERENCES `subscriptions`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE UNIQUE INDEX `subscription_invoices_period_unique` ON `subscription_invoices` (`subscription_id`,`period_start`);--> statement-breakpoint
CREATE INDEX `subscription_invoices_creator_idx` ON `subscription_invoices` (`creator_id`,`created_at`);--> statement-breakpoint
ALTER TABLE `creators` ADD `subscription_grace_ms` integer;--> statement-breakpoint
ALTER TABLE `creators` ADD `subscription_leeway_ms` integer;--> statement-breakpoint
ALTER TABLE `creators` ADD `subscription_downgrade_offer_id` text;--> statement-breakpoint
ALTER TABLE `creators` ADD `dunning_outcome` text DEFAULT 'unpaid' NOT NULL;--> statement-breakpoint
ALTER TABLE `subscriptions` ADD `order_id` text;--> statement-breakpoint
ALTER TABLE `subscriptions` ADD `payment_method` text;--> statement-breakpoint
ALTER TABLE `subscriptions` ADD `clock_offset_ms` integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE `subscriptions` ADD `due_at` integer;--> statement-breakpoint
ALTER TABLE `subscriptions` ADD `dunning_attempts` integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE `subscriptions` ADD `dunning_since` integer;--> statement-breakpoint
ALTER TABLE `subscriptions` ADD `last_change_id` text;--> statement-breakpoint
CREATE INDEX `subscriptions_due_idx` ON `subscriptions` (`due_at`);--> statement-breakpoint
CREATE UNIQUE INDEX `subscriptions_order_unique` ON `subscriptions` (`order_id`);