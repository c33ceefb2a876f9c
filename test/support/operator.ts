/** The platform operator's key in tests: test/vitest.config.ts configures its SHA-256 as OPERATOR_KEY_SHA256. */
export const OPERATOR_KEY = "cc_op_testoperatorkey0000000000000000000000000";
