ALTER TABLE `drops` ADD `shards` integer DEFAULT 1 NOT NULL;--> statement-breakpoint
ALTER TABLE `drops` ADD `queue_enabled` integer DEFAULT false NOT NULL;--> statement-breakpoint
ALTER TABLE `drops` ADD `queue_admit_per_second` integer;--> statement-breakpoint
ALTER TABLE `drops` ADD `buyer_proof` text DEFAULT 'none' NOT NULL;--> statement-breakpoint
ALTER TABLE `drops` ADD `pow_difficulty` integer;