import type { DeployPlanStep } from '@internal/plugin-release-common';
import {
  ensureReleaseBranch,
  mergeReleaseMergeRequest,
  openReleaseMergeRequest,
} from '../gitlab/releaseBranch';
import { leaseLost, type Unfinished } from './failures';
import { runBuild, runTests } from './stages';
import type { StepContext, StepOutputs, StepSettings } from './types';

/** A target field the plan must hold, or a failure naming it. */
function field(step: DeployPlanStep, name: string): string {
  const value = step.call?.target[name];
  if (typeof value !== 'string' || !value) {
    throw new Error(`${step.id}: the call's target has no ${name}`);
  }
  return value;
}

/** A merge request's title (the message's first line) and description (the rest). */
function titleAndDescription(message: string | undefined, fallback: string) {
  const [title, ...rest] = (message ?? '').split('\n');
  return {
    title: title.trim() || fallback,
    description: rest.join('\n').trim(),
  };
}

/**
 * The call part of a step, each checking the system first: a branch already at its commit (or
 * already merged) is not cut again, an open merge request for the branch is reused, a merged one
 * is reported with what it merged, and the announcement is queued under the step's own key.
 */
export async function runCall(
  step: DeployPlanStep,
  ctx: StepContext,
  outputs: StepOutputs,
  settings: StepSettings,
): Promise<Unfinished | undefined> {
  const call = step.call;
  if (!call || outputs.call) return undefined;
  const lost = leaseLost(ctx, outputs);
  if (lost) return lost;
  const { gitlab } = ctx;
  switch (call.operation) {
    case 'create-branch': {
      const branch = field(step, 'branch');
      const result = await ensureReleaseBranch(gitlab, {
        project: field(step, 'project'),
        branch,
        ref: field(step, 'ref'),
        from: field(step, 'from'),
      });
      outputs.call = {
        operation: call.operation,
        acted: result.state === 'created',
        branch,
        sha: result.sha,
        ...(result.state === 'merged'
          ? {
              alreadyMerged: true,
              mergeRequest: {
                iid: result.mergeRequest.iid,
                webUrl: result.mergeRequest.webUrl,
              },
            }
          : {}),
      };
      return undefined;
    }
    case 'open-merge-request': {
      const sourceBranch = field(step, 'sourceBranch');
      const { mergeRequest, opened } = await openReleaseMergeRequest(
        gitlab,
        field(step, 'project'),
        {
          sourceBranch,
          targetBranch: field(step, 'targetBranch'),
          ...titleAndDescription(call.message, step.title),
        },
      );
      outputs.call = {
        operation: call.operation,
        acted: opened,
        branch: sourceBranch,
        sha: mergeRequest.sha,
        mergeRequest: { iid: mergeRequest.iid, webUrl: mergeRequest.webUrl },
        ...(mergeRequest.state === 'merged'
          ? { alreadyMerged: true, mergeSha: mergeRequest.mergeCommitSha }
          : {}),
      };
      return undefined;
    }
    case 'merge': {
      const sourceBranch = field(step, 'sourceBranch');
      const result = await mergeReleaseMergeRequest(
        gitlab,
        field(step, 'project'),
        { sourceBranch, targetBranch: field(step, 'targetBranch') },
      );
      if (result.state === 'failed') {
        return {
          status: 'failed',
          error: result.reason,
          retryable: false,
          system: 'GitLab',
          outputs,
        };
      }
      if (result.state === 'waiting') {
        return {
          status: 'waiting',
          reason: `GitLab: merge request !${result.mergeRequest.iid} is not mergeable yet (${result.status})`,
          readings: {
            checks: [
              {
                name: 'merge-request',
                ok: false,
                detail: result.status,
              },
            ],
          },
          wakeAfterMs: settings.pipelinePollMs,
          outputs,
        };
      }
      outputs.call = {
        operation: call.operation,
        acted: result.mergedNow,
        branch: sourceBranch,
        mergeRequest: {
          iid: result.mergeRequest.iid,
          webUrl: result.mergeRequest.webUrl,
        },
        mergeSha: result.mergeSha,
        ...(result.mergedNow ? {} : { alreadyMerged: true }),
      };
      return undefined;
    }
    case 'build':
    case 'payment-tests':
    case 'post-deploy-tests': {
      const clock = ctx.clock ?? Date;
      const run = { step, ctx, outputs, settings, now: () => clock.now() };
      const unfinished =
        call.operation === 'build' ? await runBuild(run) : await runTests(run);
      if (unfinished) return unfinished;
      outputs.call = {
        operation: call.operation,
        acted: call.operation !== 'build' || Boolean(outputs.build?.triggered),
      };
      return undefined;
    }
    case 'announce': {
      if (!ctx.announce) {
        return {
          status: 'failed',
          error: `${step.id}: the engine was given no way to announce`,
          retryable: false,
          outputs,
        };
      }
      await ctx.announce(call.message ?? step.title, {
        key: `release/${ctx.plan.releaseId}/${step.id}`,
      });
      outputs.call = { operation: call.operation, acted: true };
      return undefined;
    }
    default:
      return {
        status: 'failed',
        error: `${step.id}: the engine does not know the call ${JSON.stringify(
          call.operation,
        )}`,
        retryable: false,
        outputs,
      };
  }
}
