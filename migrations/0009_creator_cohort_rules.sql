ALTER TABLE `creators` ADD `founding_cohort_until` integer;--> statement-breakpoint
ALTER TABLE `creators` ADD `default_cohort` text DEFAULT 'utility' NOT NULL;--> statement-breakpoint
ALTER TABLE `creators` ADD `pop_up_cohort` text;