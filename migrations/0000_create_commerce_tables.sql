CREATE TABLE `api_keys` (
	`id` text PRIMARY KEY NOT NULL,
	`creator_id` text NOT NULL,
	`name` text NOT NULL,
	`prefix` text NOT NULL,
	`hash` text NOT NULL,
	`created_at` integer NOT NULL,
	`revoked_at` integer,
	FOREIGN KEY (`creator_id`) REFERENCES `creators`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE UNIQUE INDEX `api_keys_hash_unique` ON `api_keys` (`hash`);--> statement-breakpoint
CREATE INDEX `api_keys_creator_idx` ON `api_keys` (`creator_id`);--> statement-breakpoint
CREATE TABLE `audit_events` (
	`id` text PRIMARY KEY NOT NULL,
	`creator_id` text NOT NULL,
	`actor` text NOT NULL,
	`action` text NOT NULL,
	`subject_type` text NOT NULL,
	`subject_id` text NOT NULL,
	`data` text NOT NULL,
	`created_at` integer NOT NULL,
	FOREIGN KEY (`creator_id`) REFERENCES `creators`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE INDEX `audit_events_subject_idx` ON `audit_events` (`creator_id`,`subject_type`,`subject_id`,`created_at`);--> statement-breakpoint
CREATE TABLE `bundle_components` (
	`bundle_id` text NOT NULL,
	`component_id` text NOT NULL,
	`quantity` integer DEFAULT 1 NOT NULL,
	PRIMARY KEY(`bundle_id`, `component_id`),
	FOREIGN KEY (`bundle_id`) REFERENCES `offers`(`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`component_id`) REFERENCES `offers`(`id`) ON UPDATE no action ON DELETE no action,
	CONSTRAINT "bundle_components_quantity" CHECK("bundle_components"."quantity" >= 1)
);
--> statement-breakpoint
CREATE INDEX `bundle_components_component_idx` ON `bundle_components` (`component_id`);--> statement-breakpoint
CREATE TABLE `creators` (
	`id` text PRIMARY KEY NOT NULL,
	`name` text NOT NULL,
	`default_currency` text NOT NULL,
	`created_at` integer NOT NULL
);
--> statement-breakpoint
CREATE TABLE `drops` (
	`id` text PRIMARY KEY NOT NULL,
	`creator_id` text NOT NULL,
	`offer_id` text NOT NULL,
	`title` text NOT NULL,
	`stock` integer NOT NULL,
	`starts_at` integer NOT NULL,
	`ends_at` integer,
	`per_buyer_limit` integer,
	`hold_ttl_seconds` integer DEFAULT 300 NOT NULL,
	`state` text DEFAULT 'open' NOT NULL,
	`closed_at` integer,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL,
	FOREIGN KEY (`creator_id`) REFERENCES `creators`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`offer_id`) REFERENCES `offers`(`id`) ON UPDATE no action ON DELETE no action,
	CONSTRAINT "drops_stock" CHECK("drops"."stock" >= 0),
	CONSTRAINT "drops_window" CHECK("drops"."ends_at" IS NULL OR "drops"."ends_at" > "drops"."starts_at"),
	CONSTRAINT "drops_per_buyer_limit" CHECK("drops"."per_buyer_limit" IS NULL OR "drops"."per_buyer_limit" >= 1),
	CONSTRAINT "drops_hold_ttl" CHECK("drops"."hold_ttl_seconds" BETWEEN 30 AND 3600)
);
--> statement-breakpoint
CREATE INDEX `drops_creator_created_idx` ON `drops` (`creator_id`,`created_at`,`id`);--> statement-breakpoint
CREATE INDEX `drops_offer_idx` ON `drops` (`offer_id`);--> statement-breakpoint
CREATE TABLE `entitlements` (
	`id` text PRIMARY KEY NOT NULL,
	`creator_id` text NOT NULL,
	`member_id` text NOT NULL,
	`offer_id` text,
	`benefit_key` text NOT NULL,
	`source_type` text NOT NULL,
	`source_id` text NOT NULL,
	`granted_at` integer NOT NULL,
	`expires_at` integer,
	`revoked_at` integer,
	`revoke_reason` text,
	FOREIGN KEY (`creator_id`) REFERENCES `creators`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`member_id`) REFERENCES `members`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`offer_id`) REFERENCES `offers`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE UNIQUE INDEX `entitlements_source_unique` ON `entitlements` (`creator_id`,`source_type`,`source_id`,`benefit_key`);--> statement-breakpoint
CREATE INDEX `entitlements_member_idx` ON `entitlements` (`member_id`);--> statement-breakpoint
CREATE TABLE `idempotency_keys` (
	`creator_id` text NOT NULL,
	`key` text NOT NULL,
	`request_hash` text NOT NULL,
	`lock_token` text NOT NULL,
	`locked_until` integer,
	`response_status` integer,
	`response_body` text,
	`created_at` integer NOT NULL,
	`expires_at` integer NOT NULL,
	PRIMARY KEY(`creator_id`, `key`),
	FOREIGN KEY (`creator_id`) REFERENCES `creators`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE INDEX `idempotency_keys_expires_idx` ON `idempotency_keys` (`expires_at`);--> statement-breakpoint
CREATE TABLE `members` (
	`id` text PRIMARY KEY NOT NULL,
	`creator_id` text NOT NULL,
	`email` text NOT NULL,
	`tier_offer_id` text,
	`cohort` text NOT NULL,
	`acquisition_source` text NOT NULL,
	`status` text DEFAULT 'active' NOT NULL,
	`joined_at` integer NOT NULL,
	`updated_at` integer NOT NULL,
	FOREIGN KEY (`creator_id`) REFERENCES `creators`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`tier_offer_id`) REFERENCES `offers`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE UNIQUE INDEX `members_creator_email_unique` ON `members` (`creator_id`,`email`);--> statement-breakpoint
CREATE INDEX `members_creator_joined_idx` ON `members` (`creator_id`,`joined_at`,`id`);--> statement-breakpoint
CREATE TABLE `offer_prices` (
	`offer_id` text NOT NULL,
	`currency` text NOT NULL,
	`amount` integer NOT NULL,
	PRIMARY KEY(`offer_id`, `currency`),
	FOREIGN KEY (`offer_id`) REFERENCES `offers`(`id`) ON UPDATE no action ON DELETE cascade,
	CONSTRAINT "offer_prices_amount" CHECK("offer_prices"."amount" >= 0)
);
--> statement-breakpoint
CREATE TABLE `offers` (
	`id` text PRIMARY KEY NOT NULL,
	`creator_id` text NOT NULL,
	`kind` text NOT NULL,
	`title` text NOT NULL,
	`description` text,
	`default_currency` text NOT NULL,
	`billing_interval` text,
	`tier_rank` integer,
	`status` text DEFAULT 'active' NOT NULL,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL,
	FOREIGN KEY (`creator_id`) REFERENCES `creators`(`id`) ON UPDATE no action ON DELETE no action,
	CONSTRAINT "offers_membership_fields" CHECK(("offers"."kind" = 'membership') = ("offers"."billing_interval" IS NOT NULL AND "offers"."tier_rank" IS NOT NULL))
);
--> statement-breakpoint
CREATE INDEX `offers_creator_created_idx` ON `offers` (`creator_id`,`created_at`,`id`);--> statement-breakpoint
CREATE UNIQUE INDEX `offers_creator_tier_rank_unique` ON `offers` (`creator_id`,`tier_rank`);--> statement-breakpoint
CREATE TABLE `orders` (
	`id` text PRIMARY KEY NOT NULL,
	`creator_id` text NOT NULL,
	`member_id` text,
	`email` text NOT NULL,
	`offer_id` text NOT NULL,
	`drop_id` text,
	`quantity` integer NOT NULL,
	`currency` text NOT NULL,
	`amount_total` integer NOT NULL,
	`status` text NOT NULL,
	`source` text NOT NULL,
	`quote_id` text,
	`experiment_arm` text,
	`coupon_code` text,
	`hold_id` text,
	`provider` text,
	`provider_payment_id` text,
	`client_reference` text,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL,
	`paid_at` integer,
	FOREIGN KEY (`creator_id`) REFERENCES `creators`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`member_id`) REFERENCES `members`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`offer_id`) REFERENCES `offers`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`drop_id`) REFERENCES `drops`(`id`) ON UPDATE no action ON DELETE no action,
	CONSTRAINT "orders_quantity" CHECK("orders"."quantity" >= 1),
	CONSTRAINT "orders_amount" CHECK("orders"."amount_total" >= 0)
);
--> statement-breakpoint
CREATE INDEX `orders_creator_created_idx` ON `orders` (`creator_id`,`created_at`,`id`);--> statement-breakpoint
CREATE INDEX `orders_member_idx` ON `orders` (`member_id`);--> statement-breakpoint
CREATE UNIQUE INDEX `orders_provider_payment_unique` ON `orders` (`provider`,`provider_payment_id`);--> statement-breakpoint
CREATE UNIQUE INDEX `orders_creator_client_reference_unique` ON `orders` (`creator_id`,`client_reference`);