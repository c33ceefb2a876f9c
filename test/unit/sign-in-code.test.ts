import { describe, expect, it } from "vitest";
import {
  CODE_LENGTH,
  codeHash,
  formatCode,
  newCode,
  normalizeCode,
  signInMessage,
} from "../../src/sign-in/code";

describe("sign-in codes", () => {
  it("are 8 Crockford base32 characters, mailed as two upper-case halves", () => {
    const code = newCode();
    expect(code).toMatch(new RegExp(`^[0-9abcdefghjkmnpqrstvwxyz]{${CODE_LENGTH}}$`));
    expect(formatCode("7k3q9mzd")).toBe("7K3Q-9MZD");
  });

  it.each([
    ["7K3Q-9MZD", "7k3q9mzd"],
    ["7k3q 9mzd", "7k3q9mzd"],
    ["OIL0-0000", "0110" + "0000"],
  ])("reads %s as typed back to the generated %s", (typed, generated) => {
    expect(normalizeCode(typed)).toBe(generated);
  });

  it("hash differently for another creator or another email", async () => {
    const same = await codeHash("cre_a", "fan@example.test", "7k3q9mzd");
    expect(await codeHash("cre_b", "fan@example.test", "7k3q9mzd")).not.toBe(same);
    expect(await codeHash("cre_a", "other@example.test", "7k3q9mzd")).not.toBe(same);
    expect(same).not.toContain("7k3q9mzd");
  });

  it("keep the code out of the subject, and a creator's control characters out of the mail", () => {
    const mail = signInMessage({
      to: "fan@example.test",
      code: "7k3q9mzd",
      creatorName: "Night\r\nBcc: x\u202e",
    });
    expect(mail.subject).toBe("Your sign-in code for Night Bcc: x");
    expect(mail.subject).not.toContain("7K3Q");
    expect(mail.text).toContain("7K3Q-9MZD");
    expect(mail.text).not.toMatch(/\r|\u202e/);
  });
});
