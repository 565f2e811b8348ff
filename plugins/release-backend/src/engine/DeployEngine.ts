import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import type { Knex } from 'knex';
import type { LoggerService } from '@backstage/backend-plugin-api';
import { ConflictError, InputError, NotFoundError } from '@backstage/errors';
import {
  canTransition,
  isStageComplete,
  type DeployPlan,
  type DeployPlanStep,
  type ReleaseState,
} from '@internal/plugin-release-common';
import {
  builtImageRefusal,
  type StepProgress,
} from '@internal/plugin-release-node';
import type { StoredRelease } from '../database/ReleaseStore';
import type {
  Actor,
  EngineStage,
  ReleaseService,
  RequestContext,
} from '../service/ReleaseService';
import { messageOf } from '../status/format';
import { stageOf, writtenPlanOf } from './stages';
import {
  DeployRunStore,
  LeaseLost,
  type RunChange,
  type StepChange,
} from './DeployRunStore';
import {
  type DeployRun,
  type DeployRunKind,
  type DeployRunState,
  type RunStepContext,
  type StepExecutor,
  type StepResult,
} from './types';

/** What the engine asks of the release core: read a release, and write through engineMove. */
export type EngineReleases = Pick<
  ReleaseService,
  'get' | 'requirementsFor' | 'engineMove'
>;

/** What a step's failure that no retry mends does to its run, per environment. */
export type StepFailurePolicy = 'pause' | 'fail' | 'abort';

/** A deploy step whose gate failed its checks: what an abort the engine starts answers. */
export interface GateFailure {
  step: number;
  stepId: string;
  error: string;
}

export interface DeployEngineOptions {
  knex: Knex;
  releases: EngineReleases;
  executor: StepExecutor;
  logger: LoggerService;
  /** Names this backend in the leases; unique per process by default. */
  owner?: string;
  /** How long a claim lasts unless renewed (default 60 s). */
  leaseMs?: number;
  /** How often a backend at work on a run renews its claim (default a third of leaseMs). */
  renewEveryMs?: number;
  /** Calls of a step that may fail with a retryable error before it fails (default 5). */
  maxAttempts?: number;
  /** The first retry's wait, doubled each time up to maxBackoffMs (defaults 5 s and 5 min). */
  backoffMs?: number;
  maxBackoffMs?: number;
  /**
   * Default pause: people fix and retry; fail ends the run and fails the release; abort has a
   * deploy whose gate failed reverted by abortRun, and pauses on any other failure.
   */
  onStepFailure?: (environment: string) => StepFailurePolicy;
  /** Starts the release's abort run, as the Abort button does (DeployService), for the engine. */
  abortRun?(run: DeployRun, failure: GateFailure): Promise<unknown>;
  /** Queues a run's announcement (the Slack outbox); the key is the same for every call of a step. */
  announce?(
    run: Pick<DeployRun, 'id' | 'releaseId' | 'environment'>,
    text: string,
    options: { key: string },
  ): Promise<void>;
  /**
   * Asked before a step that changes a system starts: a reason holds the run there (paused), e.g.
   * outside the release windows or while the line is stopped. Abort runs are not asked: a safe
   * revert must not be left half done.
   */
  beforeStep?(
    run: DeployRun,
    step: DeployPlanStep,
    release: StoredRelease,
  ): Promise<string | undefined>;
  /** Tells people (the team channel, through the outbox) once when a run stops by itself. */
  tell?(run: DeployRun, news: DeployNews): Promise<void>;
  /**
   * The environment a release is tried on before production (beta): its deploy run takes the
   * release from prepared to beta and moves it no further; an abort there leaves it in beta.
   */
  betaEnvironment?: string;
  /** Runs one tick advances at most (default 20). */
  batch?: number;
  /** Epoch ms. */
  now?: () => number;
}

/** A run stopped by itself: a step failed (paused, failed or aborting as configured) or it was held. */
export interface DeployNews {
  event: 'paused' | 'failed' | 'aborting' | 'held';
  stepId: string;
  message: string;
}

/** Who pressed a control: the audit row names them as the one the engine acts for. */
export interface PressedBy {
  /** User entity ref. */
  person: string;
  /** The request's id, to tie the rows it writes together. */
  requestId?: string;
}

export interface StartDeployRun {
  plan: DeployPlan;
  kind?: DeployRunKind;
  /** Who pressed the button: the window and grade E rules are checked for them. */
  by: Actor;
  /** Why a deploy outside the release windows goes ahead. */
  reason?: string;
  requestId?: string;
  /** The failed gate an abort the engine starts by itself answers: its audit row names it. */
  gateFailed?: GateFailure;
}

/** A claim this backend holds on a run while it works on it. */
interface Lease {
  runId: string;
  lost: boolean;
  readonly controller: AbortController;
  stop(): void;
}

type Decision = {
  run: RunChange;
  step?: { index: number; change: StepChange };
  to?: ReleaseState;
  meta?: Record<string, unknown>;
  stage?: EngineStage;
};

const REASON_MIN = 10;
const moving: readonly DeployRunState[] = ['running', 'waiting'];
const finished = (s: { state: string }) =>
  s.state === 'done' || s.state === 'skipped';
/** Release states in which a deploy run may go on; anywhere else a person has ended the release. */
const deployStates: readonly ReleaseState[] = [
  'deploying',
  'paused',
  'verifying',
  'awaiting_signoff',
  'switching',
  'announced',
  'scaling_down',
];
const endStateOf: Record<DeployRunKind, ReleaseState> = {
  deploy: 'done',
  abort: 'aborted',
  rollback: 'rolled_back',
};

/**
 * The persistent runner of deploy plans: "press Deploy, then only watch", exactly once across
 * backends. Every backend ticks (and wakes runs on events); a run is advanced only by the backend
 * that claimed it under a lease in the database, which renews the lease while it works, records
 * each step's result only while it still holds the lease, and lets go when the run waits. A
 * backend that dies loses its runs to another when their leases expire; that one calls the
 * interrupted step again with the outputs last recorded, and the level-triggered executor repeats
 * no side effect. Each change of a run is written with its audit row, and the release's state
 * with it, through ReleaseService.engineMove.
 */
export class DeployEngine {
  readonly owner: string;
  private readonly store: DeployRunStore;
  private readonly now: () => number;
  private readonly leaseMs: number;
  private readonly renewEveryMs: number;
  private readonly maxAttempts: number;
  private readonly backoffMs: number;
  private readonly maxBackoffMs: number;
  private readonly working = new Map<string, Promise<void>>();
  private readonly again = new Map<string, 'due' | 'wake'>();
  private readonly timers = new Map<string, ReturnType<typeof setTimeout>>();
  private stopped = false;

  constructor(private readonly options: DeployEngineOptions) {
    this.store = new DeployRunStore(options.knex);
    this.owner =
      options.owner ??
      `${hostname().slice(0, 60)}/${process.pid}/${randomUUID().slice(0, 8)}`;
    this.now = options.now ?? (() => Date.now());
    this.leaseMs = options.leaseMs ?? 60_000;
    this.renewEveryMs = options.renewEveryMs ?? Math.floor(this.leaseMs / 3);
    this.maxAttempts = options.maxAttempts ?? 5;
    this.backoffMs = options.backoffMs ?? 5_000;
    this.maxBackoffMs = options.maxBackoffMs ?? 5 * 60_000;
  }

  get(runId: string): Promise<DeployRun | undefined> {
    return this.store.get(runId);
  }

  /** The release's runs, newest first. */
  runsOf(releaseId: string): Promise<DeployRun[]> {
    return this.store.listFor(releaseId);
  }

  /** Whether any run is not over, on any backend. */
  async hasActiveRuns(): Promise<boolean> {
    return Boolean(
      await this.options
        .knex('deploy_runs')
        .whereNotNull('active_release_id')
        .first('id'),
    );
  }

  /** The release's run that is not over, if any. */
  activeRunOf(releaseId: string): Promise<DeployRun | undefined> {
    return this.store.active(releaseId);
  }

  /**
   * Stores a run of the plan and moves the release to deploying (for a deploy), with its audit
   * row, in one transaction; then starts it here at once. Refuses a second run of a release that
   * has one not over; an abort ends the release's paused deploy run instead.
   */
  async start(input: StartDeployRun): Promise<DeployRun> {
    const { plan, by } = input;
    const kind = input.kind ?? 'deploy';
    this.checkPlan(plan, kind);
    const at = this.now();
    const iso = new Date(at).toISOString();
    const run: DeployRun = {
      id: randomUUID(),
      releaseId: plan.releaseId,
      environment: plan.environment,
      kind,
      plan,
      fingerprint: plan.fingerprint,
      state: 'running',
      startedBy: by.ref,
      wakeAt: at,
      revision: 1,
      createdAt: iso,
      updatedAt: iso,
      steps: plan.steps.map((s, index) => ({
        index,
        stepId: s.id,
        kind: s.kind,
        state: 'pending',
        attempts: 0,
      })),
    };
    try {
      await this.options.releases.engineMove(
        plan.releaseId,
        this.contextOf({ person: by.ref, requestId: input.requestId }),
        {
          action: 'deploy.start',
          person: by,
          reason: input.reason,
          record: async (tx, release) => {
            this.checkStartable(kind, release, run.environment);
            const active = await this.store.active(release.id, tx);
            if (active) await this.supersede(tx, kind, active);
            await this.store.insert(tx, run);
            const startTo = this.onBeta(run) ? 'beta' : 'deploying';
            return {
              to: kind === 'deploy' ? startTo : undefined,
              meta: {
                runId: run.id,
                kind,
                environment: run.environment,
                fingerprint: run.fingerprint,
                steps: run.steps.length,
                ...(active?.kind === 'deploy' && kind === 'abort'
                  ? { aborts: active.id }
                  : {}),
                ...(input.gateFailed ? { gateFailed: input.gateFailed } : {}),
              },
            };
          },
        },
      );
    } catch (e) {
      // Two presses at once: the one-active-run index lets only one run in.
      if (/unique|duplicate key/i.test(messageOf(e))) {
        throw new ConflictError(
          'release: another run of this release has just started',
        );
      }
      throw e;
    }
    this.kick(run.id);
    return (await this.store.get(run.id))!;
  }

  /** Stops the run after the step that is running now; a waiting gate stops at once. */
  pause(runId: string, by: PressedBy): Promise<DeployRun> {
    return this.control(runId, by, 'deploy.pause', run => {
      if (!moving.includes(run.state)) {
        throw new ConflictError(
          `state: the run is ${run.state}; only a running or waiting run pauses`,
        );
      }
      return {
        run: {
          state: 'paused',
          wakeAt: null,
          pausedReason: `Paused by ${by.person}`,
        },
        to: run.kind === 'deploy' ? 'paused' : undefined,
      };
    });
  }

  /** Goes on from where the run paused. */
  async resume(runId: string, by: PressedBy): Promise<DeployRun> {
    const resumed = await this.control(runId, by, 'deploy.resume', run => {
      if (run.state !== 'paused') {
        throw new ConflictError(
          `state: the run is ${run.state}; only a paused run resumes`,
        );
      }
      const current = run.steps.find(s => !finished(s));
      if (current?.state === 'failed') {
        throw new ConflictError(
          `steps[${current.index}]: ${current.stepId} failed; retry or skip it`,
        );
      }
      return {
        run: { state: 'running', wakeAt: this.now(), pausedReason: null },
        to: run.kind === 'deploy' ? 'deploying' : undefined,
      };
    });
    this.kick(runId);
    return resumed;
  }

  /**
   * Resumes a deploy run paused on someone else's change with its plan rebased onto that change:
   * the run's plan becomes `plan` (its steps the same, those from `from` on made again), the step
   * that failed on the change runs afresh, and the release enters deploying as at Deploy, for
   * `person`. Refused when the run moved or its plan is no longer the one `replaces` names.
   */
  async resumeRebased(
    runId: string,
    input: {
      plan: DeployPlan;
      from: number;
      /** The fingerprint of the run's plan the rebase was made from. */
      replaces: string;
      person: Actor;
      reason?: string;
    },
    by: PressedBy,
  ): Promise<DeployRun> {
    const { plan, from } = input;
    this.checkPlan(plan, 'deploy');
    const resumed = await this.control(
      runId,
      by,
      'deploy.rebase',
      run => {
        const current = run.steps.find(s => !finished(s));
        if (run.state !== 'paused' || run.kind !== 'deploy') {
          throw new ConflictError(
            `state: the run is a ${run.kind} run ${run.state}; only a paused deploy run resumes with a new plan`,
          );
        }
        if (
          run.fingerprint !== input.replaces ||
          current?.index !== from ||
          plan.steps.map(s => s.id).join() !==
            run.steps.map(s => s.stepId).join()
        ) {
          throw new ConflictError(
            'fingerprint: the run changed since its new plan was made; look at the plan again',
          );
        }
        return {
          run: {
            plan,
            fingerprint: plan.fingerprint,
            state: 'running',
            wakeAt: this.now(),
            pausedReason: null,
          },
          // Nothing of the failed step reached the branch: it starts over from the new plan.
          step: {
            index: from,
            change: {
              state: 'pending',
              outputs: null,
              attempts: 0,
              lastError: null,
              waitingReason: null,
              readings: null,
              wakeAt: null,
              startedAt: null,
              finishedAt: null,
            },
          },
          to: 'deploying',
          meta: {
            step: from,
            stepId: current.stepId,
            fingerprint: plan.fingerprint,
            replaces: run.fingerprint,
            baseSha: plan.iac.baseSha,
          },
        };
      },
      { person: input.person, reason: input.reason },
    );
    this.kick(runId);
    return resumed;
  }

  /** Runs a failed step again from what the world holds now, and the run with it. */
  async retry(
    runId: string,
    stepIndex: number,
    by: PressedBy,
  ): Promise<DeployRun> {
    const retried = await this.control(runId, by, 'deploy.retry', run => {
      const step = this.stepOf(run, stepIndex);
      if (step.state !== 'failed') {
        throw new ConflictError(
          `steps[${stepIndex}]: ${step.stepId} is ${step.state}, not failed`,
        );
      }
      if (run.state !== 'paused') {
        throw new ConflictError(
          `state: the run is ${run.state}; a failed step is retried while its run is paused`,
        );
      }
      return {
        run: { state: 'running', wakeAt: this.now(), pausedReason: null },
        // Without the last outputs the executor reads the world afresh, with fresh bounds.
        step: {
          index: stepIndex,
          change: {
            state: 'pending',
            outputs: null,
            attempts: 0,
            waitingReason: null,
            wakeAt: null,
            finishedAt: null,
          },
        },
        to: run.kind === 'deploy' ? 'deploying' : undefined,
        meta: {
          step: stepIndex,
          stepId: step.stepId,
          lastError: step.lastError,
          previousOutputs: step.outputs,
        },
      };
    });
    this.kick(runId);
    return retried;
  }

  /** Marks a step of a paused run as not to be run, with the reason; Resume goes on past it. */
  async skip(
    runId: string,
    stepIndex: number,
    reason: string,
    by: PressedBy,
  ): Promise<DeployRun> {
    if (!reason || reason.trim().length < REASON_MIN) {
      throw new InputError(
        `reason: say why the step is skipped, in at least ${REASON_MIN} characters`,
      );
    }
    return this.control(runId, by, 'deploy.skip', run => {
      const step = this.stepOf(run, stepIndex);
      if (run.state !== 'paused') {
        throw new ConflictError(
          `state: the run is ${run.state}; pause it before skipping a step`,
        );
      }
      if (finished(step)) {
        throw new ConflictError(
          `steps[${stepIndex}]: ${step.stepId} is already ${step.state}`,
        );
      }
      const gate = run.plan.steps[stepIndex].gate.type;
      if (gate === 'approval' || gate === 'acknowledgement') {
        throw new ConflictError(
          `steps[${stepIndex}]: ${step.stepId} waits for a person's decision, which nobody can skip`,
        );
      }
      if (
        step.state === 'running' &&
        run.leaseOwner &&
        (run.leaseExpiresAt ?? 0) >= this.now()
      ) {
        throw new ConflictError(
          `steps[${stepIndex}]: ${step.stepId} is still running; skip it once it has answered`,
        );
      }
      return {
        run: {},
        step: {
          index: stepIndex,
          change: {
            state: 'skipped',
            skipReason: reason.trim(),
            waitingReason: null,
            wakeAt: null,
            finishedAt: new Date(this.now()).toISOString(),
          },
        },
        meta: { step: stepIndex, stepId: step.stepId, reason: reason.trim() },
      };
    });
  }

  /** Advances every run that is due and that no other backend holds. */
  async tick(): Promise<void> {
    if (this.stopped) return;
    const due = await this.store.due(
      this.owner,
      this.now(),
      this.options.batch ?? 20,
    );
    await Promise.all(due.map(id => this.advance(id, 'due')));
  }

  /**
   * Looks at the run now instead of when its wait ends: for the events that may have opened its
   * gate. Runs another backend holds are that backend's to look at.
   */
  wake(runId: string): Promise<void> {
    return this.advance(runId, 'wake');
  }

  /** Wakes every waiting run (of one environment when given). */
  async wakeWaiting(environment?: string): Promise<void> {
    if (this.stopped) return;
    const ids = await this.store.waiting(environment);
    await Promise.all(ids.map(id => this.wake(id)));
  }

  /** Waits until this backend has no run in hand. */
  async idle(): Promise<void> {
    while (this.working.size > 0) {
      await Promise.allSettled([...this.working.values()]);
    }
  }

  /** Takes no new work and waits for the work in hand to reach a step's end; leases are let go. */
  async stop(): Promise<void> {
    this.stopped = true;
    for (const timer of this.timers.values()) clearTimeout(timer);
    this.timers.clear();
    await this.idle();
  }

  private advance(runId: string, mode: 'due' | 'wake'): Promise<void> {
    const job = this.working.get(runId);
    if (job) {
      // What this backend saw while at work may be stale by now: look once more after it.
      if (mode === 'wake' || !this.again.has(runId))
        this.again.set(runId, mode);
      return job;
    }
    if (this.stopped) return Promise.resolve();
    const started = this.advanceHeld(runId, mode)
      .catch(e =>
        this.options.logger.error(
          `Deploy run ${runId} stopped with an error: ${messageOf(e)}`,
        ),
      )
      .finally(() => this.working.delete(runId));
    this.working.set(runId, started);
    return started;
  }

  private async advanceHeld(runId: string, first: 'due' | 'wake') {
    let mode: 'due' | 'wake' | undefined = first;
    while (mode && !this.stopped) {
      this.again.delete(runId);
      const at = this.now();
      const claimed = await this.store.claim(
        runId,
        this.owner,
        at,
        this.leaseMs,
        mode === 'due' ? at : undefined,
      );
      if (claimed) {
        const lease = this.hold(runId);
        try {
          await this.work(lease, mode === 'wake');
        } catch (e) {
          if (!(e instanceof LeaseLost)) throw e;
          lease.lost = true;
          this.options.logger.warn(messageOf(e));
        } finally {
          lease.stop();
          if (!lease.lost) await this.store.release(runId, this.owner);
        }
      }
      mode = this.again.get(runId);
    }
  }

  /** Renews the claim while this backend works; a claim taken by another aborts the work's signal. */
  private hold(runId: string): Lease {
    const controller = new AbortController();
    let expiresAt = this.now() + this.leaseMs;
    const lease: Lease = { runId, lost: false, controller, stop: () => {} };
    const timer = setInterval(() => {
      const at = this.now();
      const lose = () => {
        lease.lost = true;
        lease.stop();
        controller.abort(new LeaseLost(runId));
      };
      this.store.renew(runId, this.owner, at, this.leaseMs).then(
        renewed => {
          if (renewed) expiresAt = at + this.leaseMs;
          else lose();
        },
        e => {
          this.options.logger.warn(
            `Could not renew the lease on deploy run ${runId}: ${messageOf(e)}`,
          );
          if (this.now() >= expiresAt) lose();
        },
      );
    }, this.renewEveryMs);
    timer.unref?.();
    lease.stop = () => clearInterval(timer);
    return lease;
  }

  /** Advances a claimed run step by step until it waits, pauses or ends. */
  private async work(lease: Lease, woken: boolean) {
    let force = woken;
    while (!lease.lost && !this.stopped) {
      const run = await this.store.get(lease.runId);
      if (!run || !moving.includes(run.state)) return;
      if (!force && (run.wakeAt ?? 0) > this.now()) {
        this.timeFor(run);
        return;
      }
      force = false;
      const release = await this.options.releases.get(run.releaseId);
      const goesOn = this.onBeta(run)
        ? release.state === 'beta'
        : deployStates.includes(release.state);
      if (run.kind === 'deploy' && !goesOn) {
        await this.halt(run, release.state);
        return;
      }
      const index = run.steps.findIndex(s => !finished(s));
      if (index < 0) {
        await this.refusable(
          () => this.finish(run),
          error =>
            this.persist(
              run,
              'deploy.end',
              locked =>
                moving.includes(locked.state) && {
                  run: { state: 'paused', wakeAt: null, pausedReason: error },
                  to: run.kind === 'deploy' ? 'paused' : undefined,
                  meta: {
                    error,
                    kind: run.kind,
                    environment: run.environment,
                  },
                },
              'failure',
            ),
        );
        return;
      }
      const step = run.steps[index];
      if (step.state === 'failed') {
        this.options.logger.warn(
          `Deploy run ${run.id} is ${run.state} with ${step.stepId} failed; it waits for a person`,
        );
        return;
      }
      if (
        step.state === 'pending' &&
        run.kind !== 'abort' &&
        run.steps[index].kind !== 'wait' &&
        this.options.beforeStep
      ) {
        const held = await this.options.beforeStep(
          run,
          run.plan.steps[index],
          release,
        );
        if (held) {
          const holding = await this.persist(run, 'deploy.hold', locked =>
            moving.includes(locked.state) &&
            locked.steps[index].state === 'pending'
              ? {
                  run: { state: 'paused', wakeAt: null, pausedReason: held },
                  to: run.kind === 'deploy' ? 'paused' : undefined,
                  meta: { step: index, stepId: step.stepId, reason: held },
                }
              : false,
          );
          if (holding) {
            await this.tell(run, {
              event: 'held',
              stepId: step.stepId,
              message: held,
            });
          }
          return;
        }
      }
      if (step.state === 'pending') {
        const begun = await this.refusable(
          () => this.begin(run, index),
          error => this.refuse(run, index, error),
        );
        if (begun === undefined) return;
        if (!begun) continue;
      }
      const result = await this.call(run, index, release, lease);
      if (!(await this.record(run, index, result))) return;
    }
  }

  /** Marks the step running, the release entering the step's phase, with the audit row. */
  private begin(run: DeployRun, index: number) {
    const step = run.plan.steps[index];
    return this.persist(
      run,
      'deploy.step.start',
      locked => {
        if (locked.steps[index].state !== 'pending') return false;
        return {
          run: { state: 'running' },
          step: {
            index,
            change: {
              state: 'running',
              attempts: 0,
              startedAt: new Date(this.now()).toISOString(),
            },
          },
          to: run.kind === 'deploy' ? step.phase : undefined,
          meta: { step: index, stepId: step.id },
        };
      },
      'success',
    );
  }

  private async call(
    run: DeployRun,
    index: number,
    release: StoredRelease,
    lease: Lease,
  ): Promise<StepResult> {
    const { announce } = this.options;
    const ctx: RunStepContext = {
      plan: {
        releaseId: run.plan.releaseId,
        environment: run.plan.environment,
        iac: run.plan.iac,
      },
      runId: run.id,
      kind: run.kind,
      previousOutputs: run.steps[index].outputs,
      approvals: this.approvalsOf(release),
      ...(announce
        ? { announce: (text, options) => announce(run, text, options) }
        : {}),
      startedBy: run.startedBy,
      clock: { now: this.now },
      signal: lease.controller.signal,
    };
    try {
      // A step writing a build's image tag runs with the tag that build pushed, never without it.
      const plan = writtenPlanOf(run);
      const refusal = builtImageRefusal(plan, index);
      if (refusal) {
        return { status: 'failed', error: refusal, retryable: false };
      }
      return await this.options.executor.executeStep(plan.steps[index], ctx);
    } catch (e) {
      // An executor that throws did not say what it did: its next call reads the world again.
      return { status: 'failed', error: messageOf(e), retryable: true };
    }
  }

  /** Records one call's result; true when the run goes on to its next step at once. */
  private async record(
    run: DeployRun,
    index: number,
    result: StepResult,
  ): Promise<boolean> {
    const before = run.steps[index];
    const stepId = before.stepId;
    const now = this.now();
    const iso = new Date(now).toISOString();
    let goOn = false;
    // A step whose state a person changed meanwhile (retried, skipped) keeps their change.
    const stillOurs = (locked: DeployRun) =>
      ['running', 'waiting'].includes(locked.steps[index].state);
    if (result.status === 'done') {
      await this.persist(run, 'deploy.step.done', locked => {
        if (!stillOurs(locked)) return false;
        goOn = moving.includes(locked.state);
        return {
          run: goOn ? { state: 'running', wakeAt: now } : {},
          step: {
            index,
            change: {
              state: 'done',
              outputs: result.outputs,
              readings: result.readings ?? null,
              waitingReason: null,
              wakeAt: null,
              finishedAt: iso,
            },
          },
          meta: { step: index, stepId },
          stage: stageOf(run, index, result.outputs, iso),
        };
      });
      return goOn;
    }
    if (result.status === 'waiting') {
      const wakeAt = now + Math.max(0, result.wakeAfterMs);
      await this.persist(
        run,
        // The first wait is news; each later look only refreshes what the page shows.
        before.state === 'waiting' ? undefined : 'deploy.step.wait',
        locked => {
          if (!stillOurs(locked)) return false;
          return {
            run: moving.includes(locked.state)
              ? { state: 'waiting', wakeAt }
              : {},
            step: {
              index,
              change: {
                state: 'waiting',
                ...(result.outputs ? { outputs: result.outputs } : {}),
                waitingReason: result.reason,
                readings: result.readings ?? null,
                wakeAt,
              },
            },
            meta: { step: index, stepId, reason: result.reason },
          };
        },
      );
      this.timeFor({ id: run.id, state: 'waiting', wakeAt });
      return false;
    }
    const attempts = before.attempts + 1;
    const again = result.retryable && attempts < this.maxAttempts;
    const policy = this.options.onStepFailure?.(run.environment) ?? 'pause';
    // Only a deploy's own gate is reverted by the engine; an abort or a rollback waits for people.
    const abortable =
      !again &&
      policy === 'abort' &&
      run.kind === 'deploy' &&
      !!this.options.abortRun &&
      isGateFailure(result);
    let aborting = false;
    const written = await this.persist(
      run,
      'deploy.step.fail',
      locked => {
        if (!stillOurs(locked)) return false;
        const going = moving.includes(locked.state);
        const common = {
          ...(result.outputs ? { outputs: result.outputs } : {}),
          attempts,
          lastError: result.error,
          readings: result.readings ?? null,
        };
        const meta = {
          step: index,
          stepId,
          error: result.error,
          retryable: result.retryable,
          attempt: attempts,
        };
        if (again) {
          const wakeAt = now + this.backoffAfter(attempts);
          return {
            run: going ? { state: 'waiting', wakeAt } : {},
            step: {
              index,
              change: {
                ...common,
                state: 'waiting',
                waitingReason: `Trying again at ${new Date(
                  wakeAt,
                ).toISOString()} after: ${result.error}`,
                wakeAt,
              },
            },
            meta: { ...meta, retryAt: new Date(wakeAt).toISOString() },
          };
        }
        const runState: DeployRunState =
          policy === 'fail' ? 'failed' : 'paused';
        // A run a person paused meanwhile stays theirs to decide on.
        aborting = abortable && going;
        return {
          run: going
            ? {
                state: runState,
                wakeAt: null,
                pausedReason: `${stepId} failed: ${result.error}`,
              }
            : {},
          step: {
            index,
            change: {
              ...common,
              state: 'failed',
              waitingReason: null,
              wakeAt: null,
              finishedAt: iso,
            },
          },
          to: going && run.kind === 'deploy' ? runState : undefined,
          meta: {
            ...meta,
            run: going ? runState : locked.state,
            ...(aborting ? { then: 'abort' } : {}),
          },
          stage: stageOf(run, index, result.outputs, iso),
        };
      },
      'failure',
    );
    // Told once: only the call that recorded the failure tells, not its retries' waits.
    if (written && !again) {
      const failure = { step: index, stepId, error: result.error };
      await this.tell(
        run,
        aborting
          ? await this.abortAfter(run, failure)
          : {
              event: policy === 'fail' ? 'failed' : 'paused',
              stepId,
              message: result.error,
            },
      );
    }
    return false;
  }

  /** Starts the release's abort after its gate failed; the news says whether it started. */
  private async abortAfter(
    run: DeployRun,
    failure: GateFailure,
  ): Promise<DeployNews> {
    const { stepId, error } = failure;
    try {
      await this.options.abortRun!(run, failure);
      return { event: 'aborting', stepId, message: error };
    } catch (e) {
      this.options.logger.error(
        `Could not start the abort of release ${
          run.releaseId
        } after ${stepId} failed: ${messageOf(e)}`,
      );
      return {
        event: 'paused',
        stepId,
        message: `${error}; the abort could not start: ${messageOf(e)}`,
      };
    }
  }

  private async tell(run: DeployRun, news: DeployNews) {
    try {
      await this.options.tell?.(run, news);
    } catch (e) {
      this.options.logger.warn(
        `Could not tell of deploy run ${run.id}: ${messageOf(e)}`,
      );
    }
  }

  /** Every step done or skipped: the run is done and the release reaches its end. */
  private finish(run: DeployRun) {
    return this.persist(run, 'deploy.end', locked => {
      if (!moving.includes(locked.state)) return false;
      if (locked.steps.some(s => !finished(s))) return false;
      return {
        run: { state: 'done', wakeAt: null },
        to: endStateOf[run.kind],
        meta: { state: 'done', kind: run.kind, environment: run.environment },
      };
    });
  }

  /**
   * Runs a write that moves the release; when the release core refuses the move (a `state:`
   * conflict such as a sign-off not given), records that instead and answers undefined.
   */
  private async refusable<T>(
    write: () => Promise<T>,
    refused: (error: string) => Promise<unknown>,
  ): Promise<T | undefined> {
    try {
      return await write();
    } catch (e) {
      if (!(e instanceof ConflictError && e.message.startsWith('state:'))) {
        throw e;
      }
      await refused(e.message);
      return undefined;
    }
  }

  /** The release core refused the step's phase (a sign-off not given): the run waits for people. */
  private refuse(run: DeployRun, index: number, error: string) {
    return this.persist(
      run,
      'deploy.step.fail',
      locked => {
        if (locked.steps[index].state !== 'pending') return false;
        const going = moving.includes(locked.state);
        return {
          run: going
            ? {
                state: 'paused',
                wakeAt: null,
                pausedReason: `${locked.steps[index].stepId} failed: ${error}`,
              }
            : {},
          step: {
            index,
            change: {
              state: 'failed',
              lastError: error,
              finishedAt: new Date(this.now()).toISOString(),
            },
          },
          to: going && run.kind === 'deploy' ? 'paused' : undefined,
          meta: { step: index, stepId: locked.steps[index].stepId, error },
        };
      },
      'failure',
    );
  }

  /** A person closed or rejected the release: the run stops where it is. */
  private halt(run: DeployRun, releaseState: ReleaseState) {
    return this.persist(run, 'deploy.halt', locked => {
      if (!moving.includes(locked.state)) return false;
      return {
        run: { state: 'aborted', wakeAt: null },
        meta: { reason: `the release is ${releaseState}` },
      };
    });
  }

  /**
   * Writes a decision taken on the run as locked now, as the lease holder; with an audit row and
   * the release's move through engineMove when `action` is given. False when nothing was written.
   */
  private async persist(
    run: DeployRun,
    action: string | undefined,
    decide: (locked: DeployRun) => Decision | false,
    outcome: 'success' | 'failure' = 'success',
  ): Promise<boolean> {
    const at = this.now();
    const write = async (tx: Knex.Transaction) => {
      const locked = await this.store.lock(tx, run.id);
      if (!locked || locked.leaseOwner !== this.owner) {
        throw new LeaseLost(run.id);
      }
      const decision = decide(locked);
      if (decision === false) return false;
      if (this.onBeta(run)) delete decision.to;
      await this.store.recordUnderLease(
        tx,
        { runId: run.id, owner: this.owner, now: at, leaseMs: this.leaseMs },
        { ...decision.run, updatedAt: new Date(at).toISOString() },
        decision.step,
      );
      return decision;
    };
    if (!action) {
      return this.options.knex.transaction(
        async tx => (await write(tx)) !== false,
      );
    }
    let written = false;
    await this.options.releases.engineMove(
      run.releaseId,
      this.contextOf({ person: run.startedBy, requestId: run.id }),
      {
        action,
        outcome,
        record: async tx => {
          const decision = await write(tx);
          written = decision !== false;
          if (decision === false) return false;
          return {
            to: decision.to,
            meta: { runId: run.id, ...decision.meta },
            ...(decision.stage ? { stage: decision.stage } : {}),
          };
        },
      },
    );
    return written;
  }

  /** A person's control: decided on the run as locked now, written with its audit row. */
  private async control(
    runId: string,
    by: PressedBy,
    action: string,
    decide: (locked: DeployRun) => Decision,
    /** Who enters deploying from approved, as at Deploy, and why outside the windows. */
    deploys?: { person: Actor; reason?: string },
  ): Promise<DeployRun> {
    const run = await this.store.get(runId);
    if (!run) throw new NotFoundError(`No deploy run with id ${runId}`);
    await this.options.releases.engineMove(run.releaseId, this.contextOf(by), {
      action,
      ...deploys,
      record: async tx => {
        const locked = await this.store.lock(tx, runId);
        if (!locked) throw new NotFoundError(`No deploy run with id ${runId}`);
        const decision = decide(locked);
        if (this.onBeta(locked)) delete decision.to;
        const at = new Date(this.now()).toISOString();
        const updated = await this.store.update(
          tx,
          runId,
          locked.revision,
          { ...decision.run, updatedAt: at },
          decision.step,
        );
        if (!updated) {
          throw new ConflictError(
            'The run changed meanwhile; reload and try again',
          );
        }
        return {
          to: decision.to,
          meta: { runId, ...decision.meta },
        };
      },
    });
    return (await this.store.get(runId))!;
  }

  /** Starts a run here at once, without waiting for the next tick. */
  private kick(runId: string) {
    if (this.stopped) return;
    void this.wake(runId);
  }

  /** Looks at a waiting run here when its wait ends; the tick is the fallback. */
  private timeFor(run: Pick<DeployRun, 'id' | 'state' | 'wakeAt'>) {
    if (this.stopped || run.state !== 'waiting' || run.wakeAt === undefined) {
      return;
    }
    clearTimeout(this.timers.get(run.id));
    const timer = setTimeout(() => {
      this.timers.delete(run.id);
      void this.advance(run.id, 'due');
    }, Math.max(0, run.wakeAt - this.now()));
    timer.unref?.();
    this.timers.set(run.id, timer);
  }

  private backoffAfter(attempts: number) {
    return Math.min(this.backoffMs * 2 ** (attempts - 1), this.maxBackoffMs);
  }

  /** The sign-off (once every approver it needs has given it) and the acknowledgements a wait step looks for. */
  private approvalsOf(release: StoredRelease): RunStepContext['approvals'] {
    const given = release.approvals.filter(
      a => a.stage === 'signoff' && a.decision === 'approve',
    );
    const needed = this.options.releases.requirementsFor(release, 'signoff');
    const complete = isStageComplete(
      needed,
      given.map(a => ({ requirement: a.requirement, approver: a.approver })),
    );
    const last = given[given.length - 1];
    const ack = release.acknowledgements?.find(a => a.subject === 'db-schema');
    return {
      ...(complete && last
        ? { signoff: { by: last.approver, at: last.createdAt } }
        : {}),
      ...(ack ? { 'db-schema': { by: ack.by, at: ack.at } } : {}),
    };
  }

  private contextOf(by: PressedBy): RequestContext {
    return {
      requestId: by.requestId ?? randomUUID(),
      onBehalfOf: by.person,
    };
  }

  private stepOf(run: DeployRun, index: number) {
    const step = run.steps[index];
    if (!Number.isInteger(index) || !step) {
      throw new InputError(
        `step: the run has steps 0 to ${run.steps.length - 1}`,
      );
    }
    return step;
  }

  private checkPlan(plan: DeployPlan, kind: DeployRunKind) {
    // An abort with nothing in flight has no step: it ends the release and changes nothing.
    if (!plan.steps.length && kind !== 'abort')
      throw new InputError('plan.steps: the plan is empty');
    const ids = new Set<string>();
    plan.steps.forEach((s, i) => {
      if (ids.has(s.id)) {
        throw new InputError(`plan.steps[${i}].id: ${s.id} appears twice`);
      }
      ids.add(s.id);
    });
    if (!plan.fingerprint) {
      throw new InputError('plan.fingerprint: the plan has no fingerprint');
    }
  }

  /** Whether the run tries the release on beta, where the release stays in beta throughout. */
  private onBeta(run: Pick<DeployRun, 'environment'>): boolean {
    return (
      this.options.betaEnvironment !== undefined &&
      run.environment === this.options.betaEnvironment
    );
  }

  private checkStartable(
    kind: DeployRunKind,
    release: StoredRelease,
    environment: string,
  ) {
    const from = this.onBeta({ environment })
      ? ['prepared', 'beta']
      : ['approved', 'prepared', 'beta'];
    const ok =
      kind === 'deploy'
        ? from.includes(release.state)
        : canTransition(release.state, endStateOf[kind]);
    if (!ok) {
      throw new ConflictError(
        `state: the release is ${release.state}; a ${kind} cannot start from there`,
      );
    }
  }

  /** An abort ends the release's paused deploy run; any other active run refuses a new one. */
  private async supersede(
    tx: Knex.Transaction,
    kind: DeployRunKind,
    active: DeployRun,
  ) {
    if (
      kind === 'abort' &&
      active.kind === 'deploy' &&
      active.state === 'paused'
    ) {
      const ended = await this.store.update(tx, active.id, active.revision, {
        state: 'aborted',
        wakeAt: null,
        updatedAt: new Date(this.now()).toISOString(),
      });
      if (ended) return;
    }
    throw new ConflictError(
      `release: run ${active.id} (${active.kind}) is ${active.state}; ${
        kind === 'abort' ? 'pause it before aborting' : 'it must end first'
      }`,
    );
  }
}

/**
 * Whether the executor reports the step's gate failing its checks (a metric breached, pods or an
 * app never ready within the gate's limit, the watch after the switch), not a system failing to
 * answer, a plan conflict or a step the engine cannot run.
 */
export function isGateFailure(
  result: Extract<StepResult, { status: 'failed' }>,
): boolean {
  const reported = result as Partial<
    Pick<
      Extract<StepProgress, { status: 'failed' }>,
      'system' | 'conflict' | 'breach' | 'readings'
    >
  > &
    typeof result;
  if (reported.retryable || reported.system || reported.conflict) return false;
  return (
    !!reported.breach || !!reported.readings?.checks?.some(check => !check.ok)
  );
}
