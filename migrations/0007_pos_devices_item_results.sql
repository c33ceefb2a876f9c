CREATE TABLE `pos_devices` (
	`id` text PRIMARY KEY NOT NULL,
	`creator_id` text NOT NULL,
	`name` text NOT NULL,
	`public_jwk` text NOT NULL,
	`max_units_per_transaction` integer NOT NULL,
	`max_offline_units` integer NOT NULL,
	`offline_window_hours` integer NOT NULL,
	`revoked_at` integer,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL,
	FOREIGN KEY (`creator_id`) REFERENCES `creators`(`id`) ON UPDATE no action ON DELETE no action,
	CONSTRAINT "pos_devices_window" CHECK("pos_devices"."offline_window_hours" BETWEEN 1 AND 72)
);
--> statement-breakpoint
CREATE INDEX `pos_devices_creator_created_idx` ON `pos_devices` (`creator_id`,`created_at`,`id`);--> statement-breakpoint
CREATE TABLE `pos_item_results` (
	`creator_id` text NOT NULL,
	`client_id` text NOT NULL,
	`device_id` text NOT NULL,
	`batch_id` text NOT NULL,
	`units` integer NOT NULL,
	`captured_at` integer NOT NULL,
	`result` text NOT NULL,
	`created_at` integer NOT NULL,
	PRIMARY KEY(`creator_id`, `client_id`),
	FOREIGN KEY (`creator_id`) REFERENCES `creators`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE INDEX `pos_item_results_device_idx` ON `pos_item_results` (`device_id`,`captured_at`);