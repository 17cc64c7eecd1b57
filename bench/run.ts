import { benchFilterEngine } from "./filter-engine.js";

// `npm run bench`: every benchmark, each printing Rampart beside its peers. RAMPART_BENCH=name
// runs one of them.
const only = process.env.RAMPART_BENCH;
const benches: Record<string, () => Promise<void>> = {
  "filter-engine": () => benchFilterEngine(Number(process.env.RAMPART_BENCH_LINES ?? 200_000)),
};
for (const [name, run] of Object.entries(benches)) {
  if (only && only !== name) continue;
  await run();
}
