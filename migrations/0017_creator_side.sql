CREATE TABLE `dashboard_sessions` (
	`hash` text PRIMARY KEY NOT NULL,
	`creator_id` text NOT NULL,
	`api_key_id` text NOT NULL,
	`created_at` integer NOT NULL,
	`expires_at` integer NOT NULL,
	FOREIGN KEY (`creator_id`) REFERENCES `creators`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`api_key_id`) REFERENCES `api_keys`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE INDEX `dashboard_sessions_expires_idx` ON `dashboard_sessions` (`expires_at`);--> statement-breakpoint
CREATE TABLE `fulfilment_hubs` (
	`id` text PRIMARY KEY NOT NULL,
	`creator_id` text NOT NULL,
	`name` text NOT NULL,
	`kind` text NOT NULL,
	`country` text,
	`batch_window` text,
	`status` text DEFAULT 'active' NOT NULL,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL,
	FOREIGN KEY (`creator_id`) REFERENCES `creators`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE INDEX `fulfilment_hubs_creator_idx` ON `fulfilment_hubs` (`creator_id`,`created_at`,`id`);--> statement-breakpoint
CREATE TABLE `fulfilment_rules` (
	`creator_id` text PRIMARY KEY NOT NULL,
	`rules` text NOT NULL,
	`updated_at` integer NOT NULL,
	FOREIGN KEY (`creator_id`) REFERENCES `creators`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE TABLE `exposure_counts` (
	`creator_id` text NOT NULL,
	`day` text NOT NULL,
	`kind` text NOT NULL,
	`offer_id` text DEFAULT '' NOT NULL,
	`drop_id` text DEFAULT '' NOT NULL,
	`source` text DEFAULT '' NOT NULL,
	`experiment_id` text DEFAULT '' NOT NULL,
	`experiment_arm` text DEFAULT '' NOT NULL,
	`count` integer NOT NULL,
	PRIMARY KEY(`creator_id`, `day`, `kind`, `offer_id`, `drop_id`, `source`, `experiment_id`, `experiment_arm`),
	FOREIGN KEY (`creator_id`) REFERENCES `creators`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE TABLE `webhook_cursor` (
	`id` integer PRIMARY KEY NOT NULL,
	`last_rowid` integer DEFAULT 0 NOT NULL,
	`updated_at` integer NOT NULL
);
--> statement-breakpoint
CREATE TABLE `webhook_deliveries` (
	`id` text PRIMARY KEY NOT NULL,
	`creator_id` text NOT NULL,
	`endpoint_id` text NOT NULL,
	`event_id` text NOT NULL,
	`status` text DEFAULT 'pending' NOT NULL,
	`attempts` integer DEFAULT 0 NOT NULL,
	`next_attempt_at` integer,
	`last_attempt_at` integer,
	`last_status_code` integer,
	`last_error` text,
	`delivered_at` integer,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL,
	FOREIGN KEY (`creator_id`) REFERENCES `creators`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`endpoint_id`) REFERENCES `webhook_endpoints`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`event_id`) REFERENCES `webhook_events`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE UNIQUE INDEX `webhook_deliveries_endpoint_event_unique` ON `webhook_deliveries` (`endpoint_id`,`event_id`);--> statement-breakpoint
CREATE INDEX `webhook_deliveries_due_idx` ON `webhook_deliveries` (`status`,`next_attempt_at`);--> statement-breakpoint
CREATE INDEX `webhook_deliveries_endpoint_idx` ON `webhook_deliveries` (`creator_id`,`endpoint_id`,`created_at`,`id`);--> statement-breakpoint
CREATE TABLE `webhook_endpoints` (
	`id` text PRIMARY KEY NOT NULL,
	`creator_id` text NOT NULL,
	`url` text NOT NULL,
	`description` text,
	`event_types` text,
	`status` text DEFAULT 'enabled' NOT NULL,
	`disabled_reason` text,
	`secret` text NOT NULL,
	`previous_secret` text,
	`previous_secret_expires_at` integer,
	`failing_since` integer,
	`last_success_at` integer,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL,
	FOREIGN KEY (`creator_id`) REFERENCES `creators`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE INDEX `webhook_endpoints_creator_idx` ON `webhook_endpoints` (`creator_id`,`created_at`,`id`);--> statement-breakpoint
CREATE TABLE `webhook_events` (
	`id` text PRIMARY KEY NOT NULL,
	`creator_id` text NOT NULL,
	`audit_id` text NOT NULL,
	`type` text NOT NULL,
	`subject_type` text NOT NULL,
	`subject_id` text NOT NULL,
	`seq` integer NOT NULL,
	`payload` text NOT NULL,
	`created_at` integer NOT NULL,
	FOREIGN KEY (`creator_id`) REFERENCES `creators`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE UNIQUE INDEX `webhook_events_audit_unique` ON `webhook_events` (`audit_id`);--> statement-breakpoint
CREATE UNIQUE INDEX `webhook_events_subject_seq_unique` ON `webhook_events` (`creator_id`,`subject_id`,`seq`);--> statement-breakpoint
CREATE INDEX `webhook_events_creator_created_idx` ON `webhook_events` (`creator_id`,`created_at`,`id`);--> statement-breakpoint
ALTER TABLE `offers` ADD `requires_shipping` integer DEFAULT false NOT NULL;--> statement-breakpoint
ALTER TABLE `orders` ADD `shipping_address` text;--> statement-breakpoint
ALTER TABLE `orders` ADD `fulfilment_status` text;--> statement-breakpoint
ALTER TABLE `orders` ADD `fulfilment_path` text;--> statement-breakpoint
ALTER TABLE `orders` ADD `fulfilment_hub_id` text;--> statement-breakpoint
ALTER TABLE `orders` ADD `fulfilment_batch_at` integer;--> statement-breakpoint
ALTER TABLE `orders` ADD `carrier` text;--> statement-breakpoint
ALTER TABLE `orders` ADD `tracking_number` text;--> statement-breakpoint
ALTER TABLE `orders` ADD `fulfilment_updated_at` integer;--> statement-breakpoint
CREATE INDEX `orders_creator_paid_idx` ON `orders` (`creator_id`,`paid_at`);--> statement-breakpoint
CREATE INDEX `orders_creator_fulfilment_idx` ON `orders` (`creator_id`,`fulfilment_status`,`fulfilment_batch_at`);--> statement-breakpoint
CREATE INDEX `checkouts_creator_created_idx` ON `checkouts` (`creator_id`,`created_at`,`id`);--> statement-breakpoint
CREATE INDEX `subscriptions_creator_created_idx` ON `subscriptions` (`creator_id`,`created_at`,`id`);