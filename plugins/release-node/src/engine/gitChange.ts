import type {
  DeployGitChange,
  DeployPlanStep,
  DeployValue,
} from '@internal/plugin-release-common';
import type { GitlabFiles } from '../gitlab/GitlabClient';
import { EditConflictError } from '../gitlab/yamlEdit';
import { readYamlValues } from '../gitlab/yamlRead';
import { SystemError } from '../http/SystemError';
import { gitBlobId } from '../iac/gitBlob';
import { leaseLost, type Unfinished } from './failures';
import type { StepContext, StepOutputs } from './types';

const shown = (value: DeployValue | undefined) =>
  value === undefined ? 'missing' : JSON.stringify(value);

/**
 * What a git step still has to write over the files as they are now: nothing when every key holds
 * its new value already; else exactly the plan's files for those not yet written, each of which
 * must still be the file the plan was made from. Anything else is an {@link EditConflictError}
 * naming the file someone else changed.
 *
 * @public
 */
export function gitChangeEdit(
  change: DeployGitChange,
  files: GitlabFiles,
): Record<string, string> {
  const conflict = (file: string, detail: string): never => {
    throw new EditConflictError(
      `someone else changed ${file} since the plan was approved: ${detail}`,
    );
  };
  const values = new Map<string, Record<string, DeployValue>>();
  const valuesOf = (file: string) => {
    let found = values.get(file);
    if (!found) {
      const text = files[file];
      if (text === undefined) conflict(file, 'it is not on the branch');
      try {
        found = readYamlValues(
          text!,
          change.changes.filter(c => c.file === file).map(c => c.key),
          { file },
        );
      } catch (e) {
        return conflict(file, (e as Error).message);
      }
      values.set(file, found);
    }
    return found;
  };
  const now = (c: DeployGitChange['changes'][number]) =>
    valuesOf(c.file)[c.key] as DeployValue | undefined;

  if (change.changes.every(c => now(c) === c.to)) return {};
  for (const c of change.changes) {
    const value = now(c);
    if (value !== c.from && value !== c.to) {
      conflict(
        c.file,
        `${c.key} is ${shown(value)}, and the plan changes it from ${shown(
          c.from,
        )} to ${shown(c.to)}`,
      );
    }
  }
  const edits: Record<string, string> = {};
  for (const [path, next] of Object.entries(change.files)) {
    const current = files[path];
    if (current === next) continue;
    if (current === undefined) conflict(path, 'it is not on the branch');
    const expected = change.before[path];
    const blob = gitBlobId(current!);
    if (blob !== expected) {
      conflict(
        path,
        `it is blob ${blob.slice(0, 8)}, the plan was made from ${
          expected ? expected.slice(0, 8) : 'no known blob'
        }`,
      );
    }
    edits[path] = next;
  }
  return edits;
}

/**
 * The git part of a step: commits the plan's files on top of what it read (GitLab checks each
 * file's last commit, and a branch that moved is read again, a bounded number of times), or
 * nothing when the branch head already holds the values. Someone else's change to a file the
 * step writes fails it without a commit, asking for the plan to be approved again.
 */
export async function runGitChange(
  step: DeployPlanStep,
  ctx: StepContext,
  outputs: StepOutputs,
): Promise<Unfinished | undefined> {
  if (outputs.git || !step.git) return undefined;
  const change = step.git;
  const { project, branch } = ctx.plan.iac;
  let conflict: string | undefined;
  const lost = leaseLost(ctx, outputs);
  if (lost) return lost;
  try {
    const result = await ctx.gitlab.commitEdits({
      project,
      branch,
      message: change.message,
      paths: Object.keys(change.files),
      ...(ctx.author ? { author: ctx.author } : {}),
      edit: files => {
        // Checked again right before the commit is sent: the reads may have taken a while.
        if (ctx.signal?.aborted) throw new Error('the lease was lost');
        try {
          return gitChangeEdit(change, files);
        } catch (e) {
          if (e instanceof EditConflictError) conflict = e.message;
          throw e;
        }
      },
    });
    outputs.git = {
      sha: result.sha,
      committed: result.committed,
      attempts: result.attempts,
      ...(result.webUrl ? { webUrl: result.webUrl } : {}),
      ...(result.parents ? { parents: result.parents } : {}),
    };
    ctx.logger?.info(
      result.committed
        ? `${step.id}: committed ${result.sha.slice(
            0,
            8,
          )} to ${branch} of ${project}`
        : `${
            step.id
          }: ${branch} of ${project} already holds the values at ${result.sha.slice(
            0,
            8,
          )}; nothing committed`,
    );
    return undefined;
  } catch (e) {
    const stopped = leaseLost(ctx, outputs);
    if (stopped) return stopped;
    if (conflict !== undefined && e instanceof SystemError) {
      return {
        status: 'failed',
        error: `IaC ${project}: ${conflict}; nothing was committed, approve the plan again`,
        retryable: false,
        system: 'GitLab',
        conflict: true,
        outputs,
      };
    }
    throw e;
  }
}
