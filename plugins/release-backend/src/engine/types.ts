import type {
  DeployPlan,
  DeployPlanStep,
} from '@internal/plugin-release-common';

/** What a run carries out: the release's deploy, its safe revert, or a previous release's versions. */
export type DeployRunKind = 'deploy' | 'abort' | 'rollback';

/** `waiting`: a gate or a retry's backoff; `paused`: by a person or a failed step, until resumed. */
export type DeployRunState =
  | 'running'
  | 'paused'
  | 'waiting'
  | 'failed'
  | 'done'
  | 'aborted';

export type DeployStepState =
  | 'pending'
  | 'running'
  | 'waiting'
  | 'done'
  | 'failed'
  | 'skipped';

/** A run's states in which it is not over: a release has at most one such run. */
export const activeRunStates: readonly DeployRunState[] = [
  'running',
  'waiting',
  'paused',
];

/** One step of a run as stored. */
export interface DeployRunStep {
  index: number;
  stepId: string;
  kind: DeployPlanStep['kind'];
  state: DeployStepState;
  /** What the executor returned last; handed back to it on the next call. */
  outputs?: object;
  attempts: number;
  lastError?: string;
  waitingReason?: string;
  readings?: object;
  skipReason?: string;
  /** Epoch ms of the next look, while waiting. */
  wakeAt?: number;
  startedAt?: string;
  finishedAt?: string;
}

/** A run of a plan with its steps, as stored. */
export interface DeployRun {
  id: string;
  releaseId: string;
  environment: string;
  kind: DeployRunKind;
  plan: DeployPlan;
  fingerprint: string;
  state: DeployRunState;
  /** User entity ref of who pressed the button: the engine acts on their behalf. */
  startedBy: string;
  leaseOwner?: string;
  leaseExpiresAt?: number;
  wakeAt?: number;
  /** Why the run paused: a person, a failed step, the window, stop-the-line. */
  pausedReason?: string;
  revision: number;
  createdAt: string;
  updatedAt: string;
  steps: DeployRunStep[];
}

/** What a step's executor is handed on every call. */
export interface RunStepContext {
  plan: Pick<DeployPlan, 'releaseId' | 'environment' | 'iac'>;
  runId: string;
  kind: DeployRunKind;
  /** The outputs the last call returned; undefined on the first call and after a Retry by hand. */
  previousOutputs?: object;
  /** The sign-off, once given. */
  approvals?: Partial<Record<'signoff' | 'db-schema', StepApproval>>;
  /** Queues the release's announcement; `key` is the same on every call of one step. */
  announce?(text: string, options: { key: string }): Promise<void>;
  /** User entity ref of who pressed the button. */
  startedBy: string;
  clock: { now(): number };
  /** Aborted when this backend loses the run's lease: whatever the call returns is not recorded. */
  signal: AbortSignal;
}

export interface StepApproval {
  by: string;
  at: string;
}

/**
 * Where a step stands after one call, as the release-node executors answer. `waiting` says when
 * to look again (sooner when an event comes); `failed` says whether a later call may succeed.
 */
export type StepResult =
  | { status: 'done'; outputs: object; readings?: object }
  | {
      status: 'waiting';
      reason: string;
      readings?: object;
      wakeAfterMs: number;
      outputs?: object;
    }
  | {
      status: 'failed';
      error: string;
      retryable: boolean;
      readings?: object;
      outputs?: object;
    };

/**
 * Runs one step as far as the world lets it now. It must be level-triggered: called again with
 * its previous outputs, after a crash or a lost answer, it repeats no side effect.
 */
export interface StepExecutor {
  executeStep(step: DeployPlanStep, ctx: RunStepContext): Promise<StepResult>;
}
