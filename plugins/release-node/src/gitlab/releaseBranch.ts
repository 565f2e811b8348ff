import type { LoggerService } from '@backstage/backend-plugin-api';
import type { CallClock } from '../http/retryingCaller';
import type {
  GitlabBranch,
  GitlabClient,
  GitlabComparison,
  GitlabMergeRequest,
} from './GitlabClient';

/**
 * A release branch or merge request asked for what cannot be: a ref that is not there, a branch
 * that already points elsewhere, a ref off the branch releases are cut from. Nothing was written.
 *
 * @public
 */
export class ReleaseBranchError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ReleaseBranchError';
  }
}

const short = (sha: string) => sha.slice(0, 8);

/** Merge statuses no amount of waiting fixes: a person has to act. */
const STUCK = new Set([
  'conflict',
  'need_rebase',
  'broken_status',
  'draft_status',
]);
const PIPELINE_FAILED = new Set(['failed', 'canceled']);

/**
 * Where a merge request stands for a merge, judged from one read of it (with its head pipeline).
 *
 * @public
 */
export type MergeRequestReadiness =
  | { state: 'merged'; mergeRequest: GitlabMergeRequest }
  | { state: 'mergeable'; mergeRequest: GitlabMergeRequest }
  /** `status` in words, e.g. "ci_still_running, pipeline running". */
  | { state: 'waiting'; mergeRequest: GitlabMergeRequest; status: string }
  /** Only a person can fix it: closed, a failed pipeline, a conflict. */
  | { state: 'failed'; mergeRequest: GitlabMergeRequest; reason: string };

function mergeRequestName(project: string, iid: number): string {
  return `GitLab: merge request !${iid} of ${project}`;
}

/**
 * Whether GitLab would merge this merge request now: merged already, mergeable with its pipeline (if
 * any) passed, still waiting, or stuck in a way waiting does not fix.
 *
 * @public
 */
export function mergeRequestReadiness(
  project: string,
  mr: GitlabMergeRequest,
): MergeRequestReadiness {
  const what = mergeRequestName(project, mr.iid);
  if (mr.state === 'merged') return { state: 'merged', mergeRequest: mr };
  if (mr.state !== 'opened') {
    return {
      state: 'failed',
      mergeRequest: mr,
      reason: `${what} is ${mr.state}, not open: ${mr.webUrl}`,
    };
  }
  const pipeline = mr.pipelineStatus;
  if (pipeline && PIPELINE_FAILED.has(pipeline)) {
    return {
      state: 'failed',
      mergeRequest: mr,
      reason: `${what}: its pipeline ${pipeline}: ${mr.webUrl}`,
    };
  }
  const status = mr.detailedMergeStatus ?? 'unknown';
  if (STUCK.has(status)) {
    return {
      state: 'failed',
      mergeRequest: mr,
      reason: `${what} cannot be merged (${status}): ${mr.webUrl}`,
    };
  }
  if (status === 'mergeable' && (!pipeline || pipeline === 'success')) {
    return { state: 'mergeable', mergeRequest: mr };
  }
  return {
    state: 'waiting',
    mergeRequest: mr,
    status: `${status}, pipeline ${pipeline ?? 'none'}`,
  };
}

/**
 * Where a merge request's pipeline stands: passed (or the merge request is merged), still to come
 * or running, or failed (a failed or cancelled pipeline, a closed merge request).
 *
 * @public
 */
export function mergeRequestPipeline(
  project: string,
  mr: GitlabMergeRequest,
): { state: 'passed' | 'waiting' | 'failed'; detail: string } {
  const what = mergeRequestName(project, mr.iid);
  if (mr.state === 'merged') {
    return { state: 'passed', detail: `${what} is merged: ${mr.webUrl}` };
  }
  if (mr.state !== 'opened') {
    return {
      state: 'failed',
      detail: `${what} is ${mr.state}, not open: ${mr.webUrl}`,
    };
  }
  const pipeline = mr.pipelineStatus;
  if (pipeline === 'success') {
    return { state: 'passed', detail: `${what}: its pipeline passed` };
  }
  if (pipeline && PIPELINE_FAILED.has(pipeline)) {
    return {
      state: 'failed',
      detail: `${what}: its pipeline ${pipeline}: ${mr.webUrl}`,
    };
  }
  return {
    state: 'waiting',
    detail: `${what}: pipeline ${pipeline ?? 'not started yet'}`,
  };
}

/**
 * Polls a merge request until GitLab would merge it and its pipeline (when it has one) succeeded.
 * Fails at once on a failed pipeline or a status only a person can fix, and after `timeoutMs`.
 *
 * @public
 */
export async function waitUntilMergeable(
  gitlab: Pick<GitlabClient, 'mergeRequest'>,
  project: string,
  iid: number,
  options: {
    clock: Pick<CallClock, 'now' | 'sleep'>;
    pollMs: number;
    timeoutMs: number;
    signal?: AbortSignal;
    logger?: Pick<LoggerService, 'info'>;
  },
): Promise<GitlabMergeRequest> {
  const what = mergeRequestName(project, iid);
  const deadline = options.clock.now() + options.timeoutMs;
  let last = '';
  for (;;) {
    if (options.signal?.aborted) {
      throw new Error(`${what}: stopped because the wait was cancelled`);
    }
    const readiness = mergeRequestReadiness(
      project,
      await gitlab.mergeRequest(project, iid),
    );
    if (readiness.state === 'merged' || readiness.state === 'mergeable') {
      return readiness.mergeRequest;
    }
    if (readiness.state === 'failed') throw new Error(readiness.reason);
    if (readiness.status !== last) {
      options.logger?.info(`${what}: waiting (${readiness.status})`);
      last = readiness.status;
    }
    if (options.clock.now() >= deadline) {
      throw new Error(
        `${what} was still not mergeable after ${Math.round(
          options.timeoutMs / 60_000,
        )} min (${readiness.status}): ${readiness.mergeRequest.webUrl}`,
      );
    }
    await options.clock.sleep(options.pollMs);
  }
}

/** The commit a ref points at, or a {@link ReleaseBranchError} naming it. @public */
export async function resolveReleaseRef(
  gitlab: Pick<GitlabClient, 'resolveRef'>,
  project: string,
  ref: string,
): Promise<string> {
  const sha = await gitlab.resolveRef(project, ref);
  if (!sha) throw new ReleaseBranchError(`ref '${ref}' is not in ${project}`);
  return sha;
}

/**
 * The merge request from `sourceBranch` (into `targetBranch`, when given) that a release made: the
 * open one, or else the newest merged one whose source is gone or still at what it merged (a source
 * branch that moved on since is a new merge, not that one). Read whole, with its head pipeline.
 *
 * @public
 */
export async function findReleaseMergeRequest(
  gitlab: Pick<GitlabClient, 'listMergeRequests' | 'mergeRequest' | 'branch'>,
  project: string,
  branches: { sourceBranch: string; targetBranch?: string },
): Promise<GitlabMergeRequest | undefined> {
  const [open] = await gitlab.listMergeRequests(project, {
    ...branches,
    state: 'opened',
    limit: 1,
  });
  if (open) return gitlab.mergeRequest(project, open.iid);
  const [merged] = await gitlab.listMergeRequests(project, {
    ...branches,
    state: 'merged',
    limit: 1,
  });
  if (!merged) return undefined;
  const source = await gitlab.branch(project, branches.sourceBranch);
  return !source || source.sha === merged.sha
    ? gitlab.mergeRequest(project, merged.iid)
    : undefined;
}

/**
 * The branch `name` at `sha`: created when absent, left as it is when already there. A branch of
 * that name at another commit is a {@link ReleaseBranchError}: it is never moved.
 *
 * @public
 */
export async function cutReleaseBranch(
  gitlab: Pick<GitlabClient, 'branch' | 'createBranch'>,
  project: string,
  name: string,
  sha: string,
): Promise<{ branch: GitlabBranch; created: boolean }> {
  const existing = await gitlab.branch(project, name);
  if (existing) {
    if (existing.sha !== sha) {
      throw new ReleaseBranchError(
        `branch ${name} already exists in ${project} at ${short(
          existing.sha,
        )}, not at ${short(sha)}`,
      );
    }
    return { branch: existing, created: false };
  }
  return {
    branch: await gitlab.createBranch(project, name, sha),
    created: true,
  };
}

/**
 * The merge request a release asks for: the one already open (or merged) for these branches, or a
 * new one. A source branch that is not there is a {@link ReleaseBranchError}.
 *
 * @public
 */
export async function openReleaseMergeRequest(
  gitlab: Pick<
    GitlabClient,
    'listMergeRequests' | 'mergeRequest' | 'branch' | 'createMergeRequest'
  >,
  project: string,
  options: {
    sourceBranch: string;
    targetBranch: string;
    title: string;
    description?: string;
    removeSourceBranch?: boolean;
  },
): Promise<{ mergeRequest: GitlabMergeRequest; opened: boolean }> {
  const existing = await findReleaseMergeRequest(gitlab, project, options);
  if (existing) return { mergeRequest: existing, opened: false };
  if (!(await gitlab.branch(project, options.sourceBranch))) {
    throw new ReleaseBranchError(
      `branch ${options.sourceBranch} is not in ${project}: cut it before opening a merge request`,
    );
  }
  const created = await gitlab.createMergeRequest(project, options);
  return { mergeRequest: created, opened: true };
}

/**
 * One look at a release's merge request, merging it when GitLab would: merged (now or before, with
 * the merge commit), still waiting (its status in words), or failed (what a person must fix).
 * The merge names the source commit it checked, so a push in between makes GitLab refuse.
 *
 * @public
 */
export async function mergeReleaseMergeRequest(
  gitlab: Pick<
    GitlabClient,
    'listMergeRequests' | 'mergeRequest' | 'branch' | 'mergeMergeRequest'
  >,
  project: string,
  options: {
    sourceBranch: string;
    targetBranch: string;
    message?: string;
    removeSourceBranch?: boolean;
  },
): Promise<
  | {
      state: 'merged';
      mergeRequest: GitlabMergeRequest;
      mergeSha: string;
      /** False when it was merged before this call. */
      mergedNow: boolean;
    }
  | { state: 'waiting'; mergeRequest: GitlabMergeRequest; status: string }
  | { state: 'failed'; reason: string }
> {
  const mr = await findReleaseMergeRequest(gitlab, project, options);
  if (!mr) {
    return {
      state: 'failed',
      reason: `GitLab: no merge request ${options.sourceBranch} → ${options.targetBranch} in ${project} to merge`,
    };
  }
  const readiness = mergeRequestReadiness(project, mr);
  if (readiness.state === 'failed') return readiness;
  if (readiness.state === 'waiting') return readiness;
  if (readiness.state === 'merged') {
    return {
      state: 'merged',
      mergeRequest: mr,
      mergeSha: mergedSha(mr),
      mergedNow: false,
    };
  }
  const merged = await gitlab.mergeMergeRequest(project, mr.iid, {
    sha: mr.sha,
    message: options.message,
    removeSourceBranch: options.removeSourceBranch,
  });
  return {
    state: 'merged',
    mergeRequest: merged,
    mergeSha: mergedSha(merged),
    mergedNow: true,
  };
}

/** The commit a merged merge request landed as. @public */
export function mergedSha(mr: GitlabMergeRequest): string {
  return mr.mergeCommitSha ?? mr.squashCommitSha ?? mr.sha;
}

/**
 * The commit a cms release cuts its branch at: `ref` resolved, on the from-branch, with something
 * the into-branch lacks, and no branch `branch` elsewhere. A {@link ReleaseBranchError} names what
 * is wrong.
 *
 * @public
 */
export async function checkCmsRelease(
  gitlab: Pick<GitlabClient, 'resolveRef' | 'compare' | 'branch'>,
  options: {
    project: string;
    ref: string;
    /** The branch releases are cut from (pre-release). */
    from: string;
    /** The branch they merge into (master). */
    into: string;
    branch: string;
  },
): Promise<{ sha: string; ships: GitlabComparison }> {
  const { project, ref, from, into, branch } = options;
  const sha = await resolveReleaseRef(gitlab, project, ref);
  if (ref !== from) {
    const beyond = await gitlab.compare(project, from, sha);
    if (beyond.commits.length > 0) {
      throw new ReleaseBranchError(
        `ref '${ref}' is not on ${from} of ${project}; only ${from} is released`,
      );
    }
  }
  const existing = await gitlab.branch(project, branch);
  if (existing && existing.sha !== sha) {
    throw new ReleaseBranchError(
      `branch ${branch} already exists in ${project} at ${short(
        existing.sha,
      )}, not at ${short(sha)}; pick another branch name or date`,
    );
  }
  const ships = await gitlab.compare(project, into, sha);
  if (ships.commits.length === 0) {
    throw new ReleaseBranchError(
      `${ref} (${short(sha)}) holds nothing that ${into} of ${project} lacks`,
    );
  }
  return { sha, ships };
}

/**
 * What a hybris cut starts from: `ref` resolved, `mergeFrom` (when given) a branch there and `ref`
 * a branch to merge it into, and no branch `branch` at another commit. A {@link ReleaseBranchError}
 * names what is wrong.
 *
 * @public
 */
export async function checkHybrisCut(
  gitlab: Pick<GitlabClient, 'resolveRef' | 'branch'>,
  options: { project: string; branch: string; ref: string; mergeFrom?: string },
): Promise<{ sha: string }> {
  const { project, branch, ref, mergeFrom } = options;
  const [sha, existing] = await Promise.all([
    resolveReleaseRef(gitlab, project, ref),
    gitlab.branch(project, branch),
  ]);
  if (mergeFrom) {
    if (!(await gitlab.branch(project, ref))) {
      throw new ReleaseBranchError(
        `ref '${ref}' must be a branch of ${project} to merge ${mergeFrom} into`,
      );
    }
    await resolveReleaseRef(gitlab, project, mergeFrom);
  }
  if (existing && existing.sha !== sha) {
    throw new ReleaseBranchError(
      `branch ${branch} already exists in ${project} at ${short(
        existing.sha,
      )}, not at ${ref} (${short(sha)}); pick another branch name or date`,
    );
  }
  return { sha };
}

/**
 * The release branch a deploy plan's call asks for, level-triggered: `branch` at `ref` (which must
 * be on `from`), created only when it is neither there nor already merged through its merge request
 * (a merged branch is deleted with its merge).
 *
 * @public
 */
export async function ensureReleaseBranch(
  gitlab: Pick<
    GitlabClient,
    'resolveRef' | 'compare' | 'branch' | 'createBranch' | 'listMergeRequests'
  >,
  options: { project: string; branch: string; ref: string; from: string },
): Promise<
  | { state: 'exists' | 'created'; sha: string; branch: GitlabBranch }
  | { state: 'merged'; sha: string; mergeRequest: GitlabMergeRequest }
> {
  const { project, branch, ref, from } = options;
  const sha = await resolveReleaseRef(gitlab, project, ref);
  const existing = await gitlab.branch(project, branch);
  if (existing) {
    if (existing.sha !== sha) {
      throw new ReleaseBranchError(
        `branch ${branch} already exists in ${project} at ${short(
          existing.sha,
        )}, not at ${ref} (${short(sha)})`,
      );
    }
    return { state: 'exists', sha, branch: existing };
  }
  // A merged release branch is deleted with its merge: the merge request says it was there.
  const landed = (
    await gitlab.listMergeRequests(project, {
      sourceBranch: branch,
      state: 'merged',
    })
  ).find(m => m.sha === sha);
  if (landed) return { state: 'merged', sha, mergeRequest: landed };
  if (ref !== from) {
    const beyond = await gitlab.compare(project, from, sha);
    if (beyond.commits.length > 0) {
      throw new ReleaseBranchError(
        `ref '${ref}' (${short(
          sha,
        )}) is not on ${from} of ${project}; only ${from} is released`,
      );
    }
  }
  const created = await gitlab.createBranch(project, branch, sha);
  return { state: 'created', sha, branch: created };
}
