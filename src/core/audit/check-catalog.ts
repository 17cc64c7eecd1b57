import { accountChecks } from "./account-checks.js";
import { firewallChecks } from "./firewall-checks.js";
import type { CheckDefinition } from "./host-facts.js";
import { ipsChecks } from "./ips-checks.js";
import { serviceChecks } from "./service-checks.js";
import { sshChecks } from "./ssh-checks.js";
import { updateChecks } from "./update-checks.js";

/** Every check, in report order. Ids are stable: waivers, --skip and JSON consumers rely on them. */
export const CHECKS: readonly CheckDefinition[] = [
  ...sshChecks,
  ...accountChecks,
  ...updateChecks,
  ...firewallChecks,
  ...ipsChecks,
  ...serviceChecks,
];
