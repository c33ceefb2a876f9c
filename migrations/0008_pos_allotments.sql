CREATE TABLE `pos_allotments` (
	`id` text PRIMARY KEY NOT NULL,
	`creator_id` text NOT NULL,
	`device_id` text NOT NULL,
	`drop_id` text NOT NULL,
	`claim_id` text NOT NULL,
	`quantity` integer NOT NULL,
	`expires_at` integer NOT NULL,
	`released_at` integer,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL,
	FOREIGN KEY (`creator_id`) REFERENCES `creators`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`device_id`) REFERENCES `pos_devices`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`drop_id`) REFERENCES `drops`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE UNIQUE INDEX `pos_allotments_device_claim_unique` ON `pos_allotments` (`device_id`,`claim_id`);--> statement-breakpoint
CREATE INDEX `pos_allotments_creator_created_idx` ON `pos_allotments` (`creator_id`,`created_at`,`id`);