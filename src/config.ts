import { z } from "zod";

/** Variables and secrets the worker reads, checked once per isolate; a missing one is named in the error. */
const ConfigSchema = z.object({
  ENVIRONMENT: z.enum(["development", "test", "production"]),
});
export type Config = z.infer<typeof ConfigSchema>;

const checked = new WeakMap<object, Config>();

export function readConfig(env: Env): Config {
  const cached = checked.get(env);
  if (cached) return cached;
  const parsed = ConfigSchema.safeParse(env);
  if (!parsed.success) {
    const names = parsed.error.issues.map((i) => i.path.join(".")).join(", ");
    throw new Error(`Worker configuration is invalid: check ${names} in wrangler.toml or the secrets.`);
  }
  checked.set(env, parsed.data);
  return parsed.data;
}
