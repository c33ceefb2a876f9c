CREATE TABLE `refresh_credentials` (
	`id` text PRIMARY KEY NOT NULL,
	`creator_id` text NOT NULL,
	`member_id` text NOT NULL,
	`family_id` text NOT NULL,
	`secret_hash` text NOT NULL,
	`audience` text NOT NULL,
	`created_at` integer NOT NULL,
	`expires_at` integer NOT NULL,
	`rotated_at` integer,
	`successor_id` text,
	`rotation_key_hash` text,
	`revoked_at` integer,
	`revoke_reason` text,
	FOREIGN KEY (`creator_id`) REFERENCES `creators`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`member_id`) REFERENCES `members`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE UNIQUE INDEX `refresh_credentials_secret_unique` ON `refresh_credentials` (`secret_hash`);--> statement-breakpoint
CREATE INDEX `refresh_credentials_family_idx` ON `refresh_credentials` (`family_id`);--> statement-breakpoint
ALTER TABLE `members` ADD `token_version` integer DEFAULT 0 NOT NULL;