import { compileLineFilter } from "../filter/load-line-filter.js";
import { buildScanPlan } from "./build-scan-plan.js";

// Developer tool: prints the native scanner's plan for a filter.
// Usage: node dist/src/adapters/native/scan-plan-cli.js FILTER [--filter-dir DIR]
const [spec, flag, dir] = process.argv.slice(2);
if (spec === undefined) {
  process.stderr.write("usage: scan-plan-cli FILTER [--filter-dir DIR]\n");
  process.exit(2);
}
const compiled = compileLineFilter(spec, { filterDir: flag === "--filter-dir" ? dir : undefined });
if (!compiled.ok) {
  for (const p of compiled.problems) process.stderr.write(`${p.message}\n`);
  process.exit(2);
}
const plan = buildScanPlan(compiled.value);
if (!plan.ok) {
  process.stderr.write(`unsupported: ${plan.reason}\n`);
  process.exit(3);
}
process.stdout.write(plan.text);
