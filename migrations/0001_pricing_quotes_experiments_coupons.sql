CREATE TABLE `coupon_redemptions` (
	`coupon_id` text NOT NULL,
	`order_id` text NOT NULL,
	`buyer_key` text NOT NULL,
	`redeemed_at` integer NOT NULL,
	PRIMARY KEY(`coupon_id`, `order_id`),
	FOREIGN KEY (`coupon_id`) REFERENCES `coupons`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE INDEX `coupon_redemptions_buyer_idx` ON `coupon_redemptions` (`coupon_id`,`buyer_key`);--> statement-breakpoint
CREATE TABLE `coupons` (
	`id` text PRIMARY KEY NOT NULL,
	`creator_id` text NOT NULL,
	`code` text NOT NULL,
	`percent_off_bps` integer,
	`amount_off` integer,
	`currency` text,
	`offer_ids` text,
	`expires_at` integer,
	`max_redemptions` integer,
	`max_per_buyer` integer,
	`redeemed_count` integer DEFAULT 0 NOT NULL,
	`status` text DEFAULT 'active' NOT NULL,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL,
	FOREIGN KEY (`creator_id`) REFERENCES `creators`(`id`) ON UPDATE no action ON DELETE no action,
	CONSTRAINT "coupons_one_discount" CHECK(("coupons"."percent_off_bps" IS NULL) <> ("coupons"."amount_off" IS NULL) AND ("coupons"."amount_off" IS NULL) = ("coupons"."currency" IS NULL)),
	CONSTRAINT "coupons_percent" CHECK("coupons"."percent_off_bps" IS NULL OR "coupons"."percent_off_bps" BETWEEN 1 AND 10000),
	CONSTRAINT "coupons_amount" CHECK("coupons"."amount_off" IS NULL OR "coupons"."amount_off" >= 1),
	CONSTRAINT "coupons_redemptions" CHECK("coupons"."max_redemptions" IS NULL OR "coupons"."redeemed_count" <= "coupons"."max_redemptions")
);
--> statement-breakpoint
CREATE UNIQUE INDEX `coupons_creator_code_unique` ON `coupons` (`creator_id`,`code`);--> statement-breakpoint
CREATE INDEX `coupons_creator_created_idx` ON `coupons` (`creator_id`,`created_at`,`id`);--> statement-breakpoint
CREATE TABLE `experiment_arms` (
	`experiment_id` text NOT NULL,
	`key` text NOT NULL,
	`weight` integer NOT NULL,
	`adjustment_kind` text NOT NULL,
	`percent_bps` integer,
	`amounts` text,
	`position` integer NOT NULL,
	PRIMARY KEY(`experiment_id`, `key`),
	FOREIGN KEY (`experiment_id`) REFERENCES `experiments`(`id`) ON UPDATE no action ON DELETE cascade,
	CONSTRAINT "experiment_arms_weight" CHECK("experiment_arms"."weight" >= 1)
);
--> statement-breakpoint
CREATE TABLE `experiments` (
	`id` text PRIMARY KEY NOT NULL,
	`creator_id` text NOT NULL,
	`offer_id` text NOT NULL,
	`name` text NOT NULL,
	`status` text NOT NULL,
	`started_at` integer,
	`stopped_at` integer,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL,
	FOREIGN KEY (`creator_id`) REFERENCES `creators`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`offer_id`) REFERENCES `offers`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE INDEX `experiments_creator_created_idx` ON `experiments` (`creator_id`,`created_at`,`id`);--> statement-breakpoint
CREATE INDEX `experiments_offer_status_idx` ON `experiments` (`offer_id`,`status`);--> statement-breakpoint
CREATE TABLE `offer_country_prices` (
	`offer_id` text NOT NULL,
	`country` text NOT NULL,
	`currency` text NOT NULL,
	`amount` integer NOT NULL,
	PRIMARY KEY(`offer_id`, `country`),
	FOREIGN KEY (`offer_id`) REFERENCES `offers`(`id`) ON UPDATE no action ON DELETE cascade,
	CONSTRAINT "offer_country_prices_amount" CHECK("offer_country_prices"."amount" >= 0)
);
--> statement-breakpoint
CREATE TABLE `offer_member_discounts` (
	`offer_id` text NOT NULL,
	`tier_offer_id` text NOT NULL,
	`percent_off_bps` integer NOT NULL,
	PRIMARY KEY(`offer_id`, `tier_offer_id`),
	FOREIGN KEY (`offer_id`) REFERENCES `offers`(`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`tier_offer_id`) REFERENCES `offers`(`id`) ON UPDATE no action ON DELETE no action,
	CONSTRAINT "offer_member_discounts_bps" CHECK("offer_member_discounts"."percent_off_bps" BETWEEN 1 AND 10000)
);
--> statement-breakpoint
ALTER TABLE `offer_prices` ADD `floor` integer;--> statement-breakpoint
ALTER TABLE `orders` ADD `buyer_key` text;--> statement-breakpoint
ALTER TABLE `orders` ADD `experiment_id` text;--> statement-breakpoint
CREATE INDEX `orders_experiment_idx` ON `orders` (`experiment_id`,`experiment_arm`);