import { fileURLToPath } from "node:url";

/** test/fixtures/audit in the source tree (tests run from dist/, fixtures are not compiled). */
export const AUDIT_FIXTURES = fileURLToPath(new URL("../../../../test/fixtures/audit/", import.meta.url));
