import type { LoggerService } from '@backstage/backend-plugin-api';
import type {
  GitlabClient,
  GitlabMergeRequest,
} from '@internal/plugin-release-node';
import { throwIfAborted, type ActionClock } from './waiting';

/** Merge statuses no amount of waiting fixes: a person has to act. */
const STUCK = new Set([
  'conflict',
  'need_rebase',
  'broken_status',
  'draft_status',
]);
const PIPELINE_FAILED = new Set(['failed', 'canceled']);

/**
 * Polls a merge request until GitLab would merge it and its pipeline (when it has one) succeeded.
 * Fails at once on a failed pipeline or a status only a person can fix, and after `timeoutMs`.
 */
export async function waitUntilMergeable(
  gitlab: GitlabClient,
  project: string,
  iid: number,
  options: {
    clock: ActionClock;
    pollMs: number;
    timeoutMs: number;
    signal?: AbortSignal;
    logger?: LoggerService;
  },
): Promise<GitlabMergeRequest> {
  const what = `GitLab: merge request !${iid} of ${project}`;
  const deadline = options.clock.now() + options.timeoutMs;
  let last = '';
  for (;;) {
    throwIfAborted(options.signal, what);
    const mr = await gitlab.mergeRequest(project, iid);
    if (mr.state === 'merged') return mr;
    if (mr.state !== 'opened') {
      throw new Error(`${what} is ${mr.state}, not open: ${mr.webUrl}`);
    }
    const pipeline = mr.pipelineStatus;
    if (pipeline && PIPELINE_FAILED.has(pipeline)) {
      throw new Error(`${what}: its pipeline ${pipeline}: ${mr.webUrl}`);
    }
    const status = mr.detailedMergeStatus ?? 'unknown';
    if (STUCK.has(status)) {
      throw new Error(`${what} cannot be merged (${status}): ${mr.webUrl}`);
    }
    if (status === 'mergeable' && (!pipeline || pipeline === 'success')) {
      return mr;
    }
    const now = `${status}, pipeline ${pipeline ?? 'none'}`;
    if (now !== last) {
      options.logger?.info(`${what}: waiting (${now})`);
      last = now;
    }
    if (options.clock.now() >= deadline) {
      throw new Error(
        `${what} was still not mergeable after ${Math.round(
          options.timeoutMs / 60_000,
        )} min (${now}): ${mr.webUrl}`,
      );
    }
    await options.clock.sleep(options.pollMs);
  }
}
