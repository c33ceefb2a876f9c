import type { Context } from "hono";
import type { AppEnv } from "../../http/context";
import { mailerFor } from "../../mail";
import type { SignInContext } from "../../sign-in/verbs";

/**
 * The request-code verb's context. In production the mail API is called after the response, through
 * waitUntil: the answer then takes as long for a member as for a stranger, and a provider failure
 * (logged) cannot turn into an answer that tells them apart. Elsewhere the outbox write is awaited, so
 * a test or a developer reads the code the moment the request returns.
 */
export function signInContext(c: Context<AppEnv>): SignInContext {
  const [config, db, clock] = [c.get("config"), c.get("db"), c.get("clock")];
  const mailer = mailerFor(config, db, { now: () => clock.now() });
  return {
    db,
    now: clock.now(),
    deliver: async (message) => {
      if (config.ENVIRONMENT !== "production") return mailer.send(message);
      const requestId = c.get("requestId");
      c.executionCtx.waitUntil(
        mailer.send(message).catch((error: unknown) => {
          console.error(
            JSON.stringify({ request_id: requestId, mail: "sign_in_code", error: String(error) }),
          );
        }),
      );
    },
  };
}
