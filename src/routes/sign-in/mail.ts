import type { Context } from "hono";
import { allowsLocalStandIns } from "../../config";
import type { AppEnv } from "../../http/context";
import { mailerFor } from "../../mail";
import type { SignInContext } from "../../sign-in/verbs";

/**
 * The request-code verb's context. In production the whole issuance (the member lookup, the code's
 * write and the mail) runs after the response, through waitUntil: the answer then takes as long for a
 * member as for a stranger, and a failure (logged) cannot turn into an answer that tells them apart.
 * Elsewhere it is awaited, so a test or a developer reads the code the moment the request returns.
 */
export function signInContext(c: Context<AppEnv>): SignInContext {
  const [config, db, clock] = [c.get("config"), c.get("db"), c.get("clock")];
  const mailer = mailerFor(config, db, { now: () => clock.now() });
  return {
    db,
    now: clock.now(),
    deliver: (message) => mailer.send(message),
    issue: async (work) => {
      if (allowsLocalStandIns(config)) return work();
      const requestId = c.get("requestId");
      c.executionCtx.waitUntil(
        work().catch((error: unknown) => {
          console.error(
            JSON.stringify({ request_id: requestId, sign_in: "issue_code", error: String(error) }),
          );
        }),
      );
    },
  };
}
