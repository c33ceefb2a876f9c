CREATE TABLE `checkouts` (
	`id` text PRIMARY KEY NOT NULL,
	`creator_id` text NOT NULL,
	`order_id` text NOT NULL,
	`status` text NOT NULL,
	`secret_hash` text NOT NULL,
	`buyer_key` text NOT NULL,
	`email` text NOT NULL,
	`member_id` text,
	`provider` text NOT NULL,
	`payment_id` text,
	`client_secret` text,
	`next_action` text,
	`drop_id` text,
	`hold_id` text,
	`hold_expires_at` integer,
	`hold_extended` integer DEFAULT false NOT NULL,
	`lines` text NOT NULL,
	`attribution` text,
	`failure_code` text,
	`decline_code` text,
	`failure_message` text,
	`auto_refund_reason` text,
	`payment_succeeded_at` integer,
	`entitlement_issued_at` integer,
	`completed_by` text,
	`provider_latency_ms` integer DEFAULT 0 NOT NULL,
	`provider_attempts` integer DEFAULT 0 NOT NULL,
	`provider_retries` integer DEFAULT 0 NOT NULL,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL,
	FOREIGN KEY (`creator_id`) REFERENCES `creators`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`order_id`) REFERENCES `orders`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`member_id`) REFERENCES `members`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`drop_id`) REFERENCES `drops`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE UNIQUE INDEX `checkouts_order_unique` ON `checkouts` (`order_id`);--> statement-breakpoint
CREATE UNIQUE INDEX `checkouts_provider_payment_unique` ON `checkouts` (`provider`,`payment_id`);--> statement-breakpoint
CREATE INDEX `checkouts_status_hold_idx` ON `checkouts` (`status`,`hold_expires_at`);--> statement-breakpoint
CREATE TABLE `payment_events` (
	`provider` text NOT NULL,
	`event_id` text NOT NULL,
	`type` text NOT NULL,
	`payment_id` text,
	`payload` text NOT NULL,
	`received_at` integer NOT NULL,
	`processed_at` integer,
	`attempts` integer DEFAULT 0 NOT NULL,
	`last_error` text,
	PRIMARY KEY(`provider`, `event_id`)
);
--> statement-breakpoint
CREATE INDEX `payment_events_unprocessed_idx` ON `payment_events` (`processed_at`,`received_at`);