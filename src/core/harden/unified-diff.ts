/**
 * A unified diff (diff -u, 3 lines of context) of two texts, for showing a plan's file edits.
 * Line-based LCS: config files are small (sshd_config is ~130 lines), so O(n·m) is fine.
 */
export function unifiedDiff(path: string, before: string | undefined, after: string | undefined): string {
  const a = splitLines(before ?? "");
  const b = splitLines(after ?? "");
  const ops = diffLines(a, b);
  const header = `--- ${before === undefined ? "/dev/null" : `a${path}`}\n+++ ${after === undefined ? "/dev/null" : `b${path}`}\n`;
  const hunks: string[] = [];
  const context = 3;
  let i = 0;
  while (i < ops.length) {
    if ((ops[i] as Op).kind === "same") {
      i++;
      continue;
    }
    let start = Math.max(0, i - context);
    let end = i;
    // Extend over changes separated by at most 2*context unchanged lines.
    while (end < ops.length) {
      if ((ops[end] as Op).kind !== "same") {
        end++;
        continue;
      }
      let run = end;
      while (run < ops.length && (ops[run] as Op).kind === "same") run++;
      if (run < ops.length && run - end <= 2 * context) {
        end = run;
        continue;
      }
      end = Math.min(ops.length, end + context);
      break;
    }
    if (start < 0) start = 0;
    const slice = ops.slice(start, end);
    const aStart = slice.find((o) => o.kind !== "add")?.aLine ?? ops[start]?.aLine ?? 0;
    const bStart = slice.find((o) => o.kind !== "del")?.bLine ?? ops[start]?.bLine ?? 0;
    const aCount = slice.filter((o) => o.kind !== "add").length;
    const bCount = slice.filter((o) => o.kind !== "del").length;
    const lines = slice.map((o) => `${o.kind === "same" ? " " : o.kind === "add" ? "+" : "-"}${o.text}`);
    hunks.push(
      `@@ -${aCount === 0 ? aStart : aStart + 1},${aCount} +${bCount === 0 ? bStart : bStart + 1},${bCount} @@\n${lines.join("\n")}\n`,
    );
    i = end;
  }
  return hunks.length === 0 ? "" : header + hunks.join("");
}

interface Op {
  readonly kind: "same" | "add" | "del";
  readonly text: string;
  /** 0-based line index in a (for same/del) or the position before which an add goes. */
  readonly aLine: number;
  readonly bLine: number;
}

function splitLines(text: string): string[] {
  if (text === "") return [];
  const lines = text.split("\n");
  if (lines[lines.length - 1] === "") lines.pop();
  return lines;
}

function diffLines(a: readonly string[], b: readonly string[]): Op[] {
  const n = a.length;
  const m = b.length;
  const lcs: number[][] = Array.from({ length: n + 1 }, () => new Array<number>(m + 1).fill(0));
  for (let i = n - 1; i >= 0; i--) {
    const row = lcs[i] as number[];
    const below = lcs[i + 1] as number[];
    for (let j = m - 1; j >= 0; j--) {
      row[j] =
        a[i] === b[j] ? (below[j + 1] as number) + 1 : Math.max(below[j] as number, row[j + 1] as number);
    }
  }
  const ops: Op[] = [];
  let i = 0;
  let j = 0;
  while (i < n || j < m) {
    if (i < n && j < m && a[i] === b[j]) {
      ops.push({ kind: "same", text: a[i] as string, aLine: i, bLine: j });
      i++;
      j++;
    } else if (i < n && (j >= m || (lcs[i + 1] as number[])[j]! >= (lcs[i] as number[])[j + 1]!)) {
      // Deletions before additions, as diff -u prints a replaced line.
      ops.push({ kind: "del", text: a[i] as string, aLine: i, bLine: j });
      i++;
    } else {
      ops.push({ kind: "add", text: b[j] as string, aLine: i, bLine: j });
      j++;
    }
  }
  return ops;
}
