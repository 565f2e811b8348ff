import { ReleaseBranchError } from '../gitlab/releaseBranch';
import { SystemError } from '../http/SystemError';
import type {
  StepContext,
  StepOutputs,
  StepProgress,
  StepReadings,
} from './types';

/** A thrown error as a failed step: a system's own failure says which system and whether to retry. */
export function failedFrom(
  error: unknown,
  outputs: StepOutputs,
  readings?: StepReadings,
): Extract<StepProgress, { status: 'failed' }> {
  const extra = readings ? { readings } : {};
  if (error instanceof SystemError) {
    return {
      status: 'failed',
      error: error.message,
      retryable: error.retryable,
      system: error.system,
      outputs,
      ...extra,
    };
  }
  if (error instanceof ReleaseBranchError) {
    return {
      status: 'failed',
      error: `GitLab: ${error.message}`,
      retryable: false,
      system: 'GitLab',
      outputs,
      ...extra,
    };
  }
  return {
    status: 'failed',
    error: error instanceof Error ? error.message : String(error),
    retryable: false,
    outputs,
    ...extra,
  };
}

/** A step that is not done yet, or did not go through: its phase returns it and the step stops. */
export type Unfinished = Exclude<StepProgress, { status: 'done' }>;

/** Failed before a side effect because the runner no longer holds the step (its lease was lost). */
export function leaseLost(
  ctx: Pick<StepContext, 'signal'>,
  outputs: StepOutputs,
): Unfinished | undefined {
  if (!ctx.signal?.aborted) return undefined;
  return {
    status: 'failed',
    error: 'stopped before acting: this runner no longer holds the step',
    retryable: true,
    outputs,
  };
}
