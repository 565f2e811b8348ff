/**
 * A unified diff of two texts in git's own form (`git diff` with 3 lines of context): hunk headers
 * that omit a count of 1, the nearest preceding line that starts with a letter, `_` or `$` after the
 * header (git's default function context), `\ No newline at end of file` where a text ends without one.
 */

const CONTEXT = 3;
/** git keeps at most this many bytes of the function context line. */
const FUNC_BYTES = 80;
/** Beyond this many differing lines the middle is shown as one replacement instead of a minimal diff. */
const MAX_MATRIX = 4_000_000;

type Op = { type: ' ' | '-' | '+'; line: string };

/** Lines with their line ends, so a last line without one differs from the same line with one. */
function splitLines(text: string): string[] {
  if (!text) return [];
  const lines = text.split(/(?<=\n)/);
  return lines;
}

/** The edit script between a and b: longest common subsequence, deletions before insertions. */
function diffLines(a: string[], b: string[]): Op[] {
  let start = 0;
  while (start < a.length && start < b.length && a[start] === b[start]) {
    start++;
  }
  let endA = a.length;
  let endB = b.length;
  while (endA > start && endB > start && a[endA - 1] === b[endB - 1]) {
    endA--;
    endB--;
  }
  const head: Op[] = a.slice(0, start).map(line => ({ type: ' ', line }));
  const tail: Op[] = a.slice(endA).map(line => ({ type: ' ', line }));
  const midA = a.slice(start, endA);
  const midB = b.slice(start, endB);
  const n = midA.length;
  const m = midB.length;
  const middle: Op[] = [];
  if (n === 0 || m === 0 || (n + 1) * (m + 1) > MAX_MATRIX) {
    midA.forEach(line => middle.push({ type: '-', line }));
    midB.forEach(line => middle.push({ type: '+', line }));
    return [...head, ...middle, ...tail];
  }
  // lcs[i][j] = length of the longest common subsequence of midA[i..] and midB[j..].
  const width = m + 1;
  const lcs = new Uint32Array((n + 1) * width);
  for (let i = n - 1; i >= 0; i--) {
    for (let j = m - 1; j >= 0; j--) {
      lcs[i * width + j] =
        midA[i] === midB[j]
          ? lcs[(i + 1) * width + j + 1] + 1
          : Math.max(lcs[(i + 1) * width + j], lcs[i * width + j + 1]);
    }
  }
  let i = 0;
  let j = 0;
  const removed: string[] = [];
  const added: string[] = [];
  const flush = () => {
    removed.forEach(line => middle.push({ type: '-', line }));
    added.forEach(line => middle.push({ type: '+', line }));
    removed.length = 0;
    added.length = 0;
  };
  while (i < n || j < m) {
    if (i < n && j < m && midA[i] === midB[j]) {
      flush();
      middle.push({ type: ' ', line: midA[i] });
      i++;
      j++;
    } else if (
      j >= m ||
      (i < n && lcs[(i + 1) * width + j] >= lcs[i * width + j + 1])
    ) {
      removed.push(midA[i++]);
    } else {
      added.push(midB[j++]);
    }
  }
  flush();
  return [...head, ...middle, ...tail];
}

function range(start: number, count: number): string {
  return count === 1 ? `${start}` : `${start},${count}`;
}

/** git's default function context: the line if it starts like an identifier, trailing space cut. */
function funcName(line: string): string | undefined {
  if (!/^[A-Za-z_$]/.test(line)) return undefined;
  const bytes = Buffer.from(line.replace(/\r?\n$/, ''), 'utf8');
  return bytes.subarray(0, FUNC_BYTES).toString('utf8').replace(/\s+$/, '');
}

function show(op: Op): string {
  const body = op.line.endsWith('\n') ? op.line.slice(0, -1) : op.line;
  const missingEol = !op.line.endsWith('\n');
  return `${op.type}${body}${
    missingEol ? '\n\\ No newline at end of file' : ''
  }`;
}

/**
 * The hunks of a diff (from the first `@@` line on), exactly as `git diff` prints them; empty when
 * the texts are equal.
 *
 * @public
 */
export function diffHunks(before: string, after: string): string {
  const a = splitLines(before);
  const ops = diffLines(a, splitLines(after));
  const changed = ops.flatMap((op, index) => (op.type === ' ' ? [] : [index]));
  if (changed.length === 0) return '';
  const groups: Array<[number, number]> = [];
  for (const index of changed) {
    const last = groups[groups.length - 1];
    if (last && index - last[1] - 1 <= 2 * CONTEXT) last[1] = index;
    else groups.push([index, index]);
  }
  const out: string[] = [];
  for (const [first, last] of groups) {
    const from = Math.max(0, first - CONTEXT);
    const to = Math.min(ops.length - 1, last + CONTEXT);
    const before_ = ops.slice(0, from);
    const oldBefore = before_.filter(op => op.type !== '+').length;
    const newBefore = before_.filter(op => op.type !== '-').length;
    const hunk = ops.slice(from, to + 1);
    const oldCount = hunk.filter(op => op.type !== '+').length;
    const newCount = hunk.filter(op => op.type !== '-').length;
    let func: string | undefined;
    for (let k = oldBefore - 1; k >= 0 && func === undefined; k--) {
      func = funcName(a[k]);
    }
    const header = `@@ -${range(
      oldCount ? oldBefore + 1 : oldBefore,
      oldCount,
    )} +${range(newCount ? newBefore + 1 : newBefore, newCount)} @@${
      func ? ` ${func}` : ''
    }`;
    out.push(header, ...hunk.map(show));
  }
  return `${out.join('\n')}\n`;
}

/**
 * A file's unified diff with `diff --git`, `---` and `+++` headers (what `git apply` takes); empty
 * when nothing changed.
 *
 * @public
 */
export function unifiedDiff(
  path: string,
  before: string,
  after: string,
): string {
  const hunks = diffHunks(before, after);
  if (!hunks) return '';
  return `diff --git a/${path} b/${path}\n--- a/${path}\n+++ b/${path}\n${hunks}`;
}
