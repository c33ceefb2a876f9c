CREATE TABLE `checkout_sweeps` (
	`checkout_id` text PRIMARY KEY NOT NULL,
	`attempts` integer NOT NULL,
	`next_attempt_at` integer NOT NULL,
	`last_error` text,
	`flagged_at` integer,
	`updated_at` integer NOT NULL,
	FOREIGN KEY (`checkout_id`) REFERENCES `checkouts`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE INDEX `checkout_sweeps_due_idx` ON `checkout_sweeps` (`flagged_at`,`next_attempt_at`);--> statement-breakpoint
ALTER TABLE `orders` ADD `dispute_id` text;--> statement-breakpoint
ALTER TABLE `orders` ADD `dispute_status` text;--> statement-breakpoint
ALTER TABLE `orders` ADD `disputed_at` integer;--> statement-breakpoint
ALTER TABLE `sandbox_payments` ADD `dispute_id` text;--> statement-breakpoint
ALTER TABLE `sandbox_payments` ADD `dispute_status` text;--> statement-breakpoint
ALTER TABLE `sandbox_payments` ADD `dispute_reason` text;--> statement-breakpoint
ALTER TABLE `sandbox_payments` ADD `dispute_created_at` integer;