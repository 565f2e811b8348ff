/** What the graph walk needs of a commit. */
interface GraphCommit {
  parentShas: string[];
}

/** What it needs of a merge request. */
interface GraphMergeRequest {
  mergeCommitSha?: string;
  squashCommitSha?: string;
  sha?: string;
}

/** The commits of `bySha` reachable from `start` (itself included), stopping outside `bySha`. */
function reachable(
  bySha: ReadonlyMap<string, GraphCommit>,
  start: string,
): Set<string> {
  const seen = new Set<string>();
  const todo = [start];
  while (todo.length) {
    const sha = todo.pop()!;
    if (seen.has(sha) || !bySha.has(sha)) continue;
    seen.add(sha);
    todo.push(...bySha.get(sha)!.parentShas);
  }
  return seen;
}

/**
 * The commits of a compared range a merge request brought: the commit it landed as (merge, squash or
 * fast-forward head) and, for a merge commit, what it merged in (reachable from its second parent, not
 * from its first). Undefined when the merge request did not land in the range.
 */
export function mergeRequestCommits(
  mr: GraphMergeRequest,
  bySha: ReadonlyMap<string, GraphCommit>,
): { anchor: string; shas: Set<string> } | undefined {
  const anchor = [mr.mergeCommitSha, mr.squashCommitSha, mr.sha].find(
    (s): s is string => Boolean(s && bySha.has(s)),
  );
  if (!anchor) return undefined;
  const shas = new Set([anchor]);
  const parents = bySha.get(anchor)!.parentShas;
  if (anchor === mr.mergeCommitSha && parents.length > 1) {
    const base = reachable(bySha, parents[0]);
    for (const sha of reachable(bySha, parents[1])) {
      if (!base.has(sha)) shas.add(sha);
    }
  }
  return { anchor, shas };
}
