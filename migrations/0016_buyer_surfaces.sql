CREATE TABLE `checkout_links` (
	`id` text PRIMARY KEY NOT NULL,
	`creator_id` text NOT NULL,
	`offer_id` text NOT NULL,
	`drop_id` text,
	`title` text,
	`quantity` integer DEFAULT 1 NOT NULL,
	`currency` text,
	`coupon` text,
	`source` text DEFAULT 'link' NOT NULL,
	`attribution` text,
	`success_url` text,
	`status` text DEFAULT 'active' NOT NULL,
	`archived_at` integer,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL,
	FOREIGN KEY (`creator_id`) REFERENCES `creators`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`offer_id`) REFERENCES `offers`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`drop_id`) REFERENCES `drops`(`id`) ON UPDATE no action ON DELETE no action,
	CONSTRAINT "checkout_links_quantity" CHECK("checkout_links"."quantity" BETWEEN 1 AND 100)
);
--> statement-breakpoint
CREATE INDEX `checkout_links_creator_created_idx` ON `checkout_links` (`creator_id`,`created_at`,`id`);--> statement-breakpoint
CREATE TABLE `creator_origins` (
	`creator_id` text NOT NULL,
	`origin` text NOT NULL,
	`created_at` integer NOT NULL,
	PRIMARY KEY(`creator_id`, `origin`),
	FOREIGN KEY (`creator_id`) REFERENCES `creators`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE INDEX `creator_origins_origin_idx` ON `creator_origins` (`origin`);--> statement-breakpoint
CREATE TABLE `overlay_tokens` (
	`drop_id` text PRIMARY KEY NOT NULL,
	`creator_id` text NOT NULL,
	`hash` text NOT NULL,
	`link_id` text,
	`created_at` integer NOT NULL,
	`rotated_at` integer,
	FOREIGN KEY (`drop_id`) REFERENCES `drops`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`creator_id`) REFERENCES `creators`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`link_id`) REFERENCES `checkout_links`(`id`) ON UPDATE no action ON DELETE no action
);
