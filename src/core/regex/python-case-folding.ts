import { PYTHON_CASE_CLASSES } from "./python-case-classes.js";

let table: Map<number, readonly number[]> | undefined;

function caseTable(): Map<number, readonly number[]> {
  if (table === undefined) {
    table = new Map();
    for (const members of PYTHON_CASE_CLASSES) for (const cp of members) table.set(cp, members);
  }
  return table;
}

function isAsciiLetter(cp: number): boolean {
  return (cp >= 0x41 && cp <= 0x5a) || (cp >= 0x61 && cp <= 0x7a);
}

/**
 * Every code point Python's `re` matches for `cp` under IGNORECASE (with `ascii`: the ASCII flag,
 * where only A–Z/a–z fold). Always contains `cp` itself.
 */
export function caseVariants(cp: number, ascii: boolean): readonly number[] {
  if (ascii) return isAsciiLetter(cp) ? [cp & ~0x20, cp | 0x20] : [cp];
  return caseTable().get(cp) ?? [cp];
}

/** All case classes (each with ≥ 2 members), for expanding character ranges. */
export function allCaseClasses(ascii: boolean): readonly (readonly number[])[] {
  if (!ascii) return PYTHON_CASE_CLASSES;
  const out: number[][] = [];
  for (let cp = 0x41; cp <= 0x5a; cp++) out.push([cp, cp + 0x20]);
  return out;
}
