import type { LoggerService } from '@backstage/backend-plugin-api';
import type { DeployPlan } from '@internal/plugin-release-common';
import type { ArgoCdClient } from '../argocd/ArgoCdClient';
import type { GitlabClient } from '../gitlab/GitlabClient';
import type { HybrisClusterClient } from '../hybris/HybrisClusterClient';
import type { JenkinsClient, JenkinsResult } from '../jenkins/JenkinsClient';
import type { ReleaseLayout } from '../layout';
import type { PrometheusClient } from '../prometheus/PrometheusClient';

/**
 * One reading a waiting step shows: a gate check (`pods-ready`, `cluster-status`, a metric) or an
 * Argo CD app, with the bounds it must keep.
 *
 * @public
 */
export interface StepReading {
  name: string;
  ok: boolean;
  value?: number;
  min?: number;
  max?: number;
  /** In words, e.g. "pods 6/9 ready", "JGroups view 6/9", "0.8 is above the max 0.5". */
  detail: string;
}

/** What a step saw at its last look, for the release page. @public */
export interface StepReadings {
  checks: StepReading[];
  /** The time a gate counts: the soak before the next step, or the watch after the switch. */
  hold?: {
    kind: 'soak' | 'watch';
    requiredMs: number;
    heldMs: number;
    leftMs: number;
  };
  /** Before the wait gives up, when it has a limit. */
  timeoutLeftMs?: number;
}

/**
 * What a step has done so far, persisted by the runner and handed back as
 * {@link StepContext.previousOutputs}: plain JSON, and the only memory a step has between calls.
 *
 * @public
 */
export interface StepOutputs {
  /** The step's IaC commit, or the branch head that already held its values. */
  git?: {
    sha: string;
    committed: boolean;
    /** Commit requests sent, re-tries after GitLab's race answer included. */
    attempts: number;
    webUrl?: string;
    /** The commit's parents, when it was written by the step. */
    parents?: string[];
  };
  /** Per Argo CD app of `step.sync`. */
  sync?: Record<string, StepSyncOutput>;
  call?: StepCallOutput;
  gate?: StepGateOutput;
  /** The build of a build step: the Jenkins build it follows, or the version's pipeline. */
  build?: StepBuildOutput;
  /** The tests of a tests step, each as far as it got. */
  tests?: StepTestsOutput;
}

/** @public */
export interface StepBuildOutput {
  system: 'jenkins' | 'gitlab';
  /** The Jenkins job, or the GitLab project. */
  job: string;
  app: string;
  version: string;
  /** False when a build of the version already existed and the step only followed it. */
  triggered: boolean;
  queueId?: number;
  /** The Jenkins build number, or the GitLab pipeline id. */
  number?: number;
  url?: string;
  consoleUrl?: string;
  result?: JenkinsResult | 'success' | 'failed';
  imageTag?: string;
  /** The commit the build built, as Jenkins' git data says (hybris). */
  commit?: string;
  durationMs?: number;
}

/** @public */
export interface StepTestsOutput {
  kind: 'payment' | 'post-deploy';
  environment: string;
  results: StepTestOutput[];
}

/** One test of a tests step: queued, running, or finished with its result. @public */
export interface StepTestOutput {
  name: string;
  brand?: string;
  kind: 'jenkins' | 'http';
  /** The Jenkins job, or the URL an HTTP check asks. */
  job: string;
  queueId?: number;
  number?: number;
  url?: string;
  result?: 'passed' | 'failed';
  durationMs?: number;
  detail?: string;
}

/** @public */
export interface StepSyncOutput {
  /** Syncs the portal started for this step (their operation keys end in `#<n>`). */
  attempts: number;
  /** The first look at the app in this step (ms of the context's clock), for the wait's limit. */
  since?: number;
  /** Set once the app runs a revision that holds the step's commit. */
  syncedRevision?: string;
}

/** @public */
export interface StepCallOutput {
  operation:
    | 'create-branch'
    | 'open-merge-request'
    | 'merge'
    | 'announce'
    | 'build'
    | 'payment-tests'
    | 'post-deploy-tests';
  /** False when the system already held what the call asks for. */
  acted: boolean;
  branch?: string;
  sha?: string;
  mergeRequest?: { iid: number; webUrl: string };
  mergeSha?: string;
  /** The branch had been merged already, so nothing was cut. */
  alreadyMerged?: boolean;
}

/** @public */
export interface StepGateOutput {
  /** When the gate was first looked at (ms of the context's clock). */
  startedAt: number;
  /** Since when every check has held, continuously; cleared by any failure. */
  holdingSince?: number;
  /** The last look, so a gap in watching restarts the soak. */
  lastCheckedAt?: number;
  /** The checks that failed at the last look, so the soak's start can be placed by the data. */
  failing?: string[];
  passedAt?: number;
  /** approval, acknowledgement: who gave it. */
  givenBy?: string;
}

/**
 * Where a step stands after one call. `waiting` says why, with what was read, and when to look
 * again (sooner when an event comes); `failed` says whether a later call may succeed by itself.
 *
 * @public
 */
export type StepProgress =
  | { status: 'done'; outputs: StepOutputs }
  | {
      status: 'waiting';
      reason: string;
      readings: StepReadings;
      wakeAfterMs: number;
      outputs: StepOutputs;
    }
  | {
      status: 'failed';
      error: string;
      /** A timeout, 5xx or 429 of a read: calling again later may succeed. */
      retryable: boolean;
      /** The system that failed, e.g. GitLab, Argo CD, Prometheus. */
      system?: string;
      /** Someone else changed what the step writes: the plan must be approved again. */
      conflict?: boolean;
      /** A watch gate saw a metric out of bounds: switch back. */
      breach?: boolean;
      readings?: StepReadings;
      outputs: StepOutputs;
    };

/** Who has given a wait step's approval or acknowledgement. @public */
export interface StepApproval {
  by: string;
  at: string;
}

/** How long steps wait and how often they look; the defaults suit production. @public */
export interface StepSettings {
  /** Between two looks at a sync or a gate when no event comes (default 5 s). */
  pollMs: number;
  /** Between two looks at a pipeline (default 15 s). */
  pipelinePollMs: number;
  /** Syncs of one app per step before it fails (default 3). */
  syncAttempts: number;
  /** Longest wait for an app's sync, someone else's operation included (default 30 min). */
  syncTimeoutMs: number;
  /** Longest wait for a merge request's pipeline (default 60 min). */
  pipelineTimeoutMs: number;
  /** Between two looks at a Jenkins build or test (default 10 s). */
  jenkinsPollMs: number;
  /** Longest an HTTP check of the post-deploy tests waits for its answer (default 15 s). */
  httpCheckTimeoutMs: number;
  /** Longest wait for a hybris or healthy gate; none by default (the release pauses by hand). */
  gateTimeoutMs?: number;
  /** A soak not looked at for longer than this starts again: it must hold continuously. */
  maxUnwatchedMs: number;
}

/** @public */
export const defaultStepSettings: StepSettings = {
  pollMs: 5_000,
  pipelinePollMs: 15_000,
  syncAttempts: 3,
  syncTimeoutMs: 30 * 60_000,
  pipelineTimeoutMs: 60 * 60_000,
  jenkinsPollMs: 10_000,
  httpCheckTimeoutMs: 15_000,
  maxUnwatchedMs: 30_000,
};

/**
 * Everything a step reads and acts through, given by the runner on every call.
 *
 * @public
 */
export interface StepContext {
  /** The plan the step belongs to. */
  plan: Pick<DeployPlan, 'releaseId' | 'environment' | 'iac'>;
  /** The run the step belongs to. */
  runId?: string;
  layout: ReleaseLayout;
  gitlab: GitlabClient;
  /** The Argo CD instance of the plan's environment. */
  argocd: ArgoCdClient;
  /** What a hybris or watch gate reads. */
  gate?: {
    /** With `queryRange`, the soak starts when the samples turned good, not at the next look. */
    prometheus: Pick<PrometheusClient, 'query'> &
      Partial<Pick<PrometheusClient, 'queryRange'>>;
    hybris: Pick<HybrisClusterClient, 'clusterStatus'>;
  };
  /** Builds and runs the tests of build and tests steps. */
  jenkins?: Pick<
    JenkinsClient,
    | 'triggerBuild'
    | 'getQueueItem'
    | 'getBuild'
    | 'searchBuilds'
    | 'readImageTag'
    | 'links'
  >;
  /** What the HTTP checks of the post-deploy tests are asked with (default the global fetch). */
  fetch?: typeof fetch;
  /**
   * Queues the release's announcement (the Slack outbox). `key` is the same for every call of one
   * step, so a repeated call queues nothing new.
   */
  announce?(text: string, options: { key: string }): Promise<void>;
  /** The sign-off and the db-schema acknowledgement, once given. */
  approvals?: Partial<Record<'signoff' | 'db-schema', StepApproval>>;
  /** The outputs the last call returned; undefined on the first. */
  previousOutputs?: StepOutputs;
  /** Who the IaC commits name as author (the person who pressed Deploy). */
  author?: { name: string; email: string };
  settings?: Partial<StepSettings>;
  clock?: { now(): number };
  /** Aborted when the runner lost the step's lease: no side effect is started after that. */
  signal?: AbortSignal;
  logger?: Pick<LoggerService, 'info' | 'warn'>;
}

/** What a runner hands on each call; the rest of {@link StepContext} is fixed once. @public */
export type StepCall = Pick<
  StepContext,
  | 'plan'
  | 'runId'
  | 'previousOutputs'
  | 'approvals'
  | 'announce'
  | 'author'
  | 'clock'
  | 'signal'
>;

/** The clients and settings every call of a runner shares. @public */
export interface StepExecutorOptions
  extends Pick<
    StepContext,
    'layout' | 'gitlab' | 'gate' | 'jenkins' | 'fetch' | 'settings' | 'logger'
  > {
  /** The Argo CD instance serving an environment. */
  argocdFor(environment: string): ArgoCdClient;
}
