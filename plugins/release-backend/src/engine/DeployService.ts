import { randomUUID } from 'node:crypto';
import type { Knex } from 'knex';
import type { LoggerService } from '@backstage/backend-plugin-api';
import { ConflictError, InputError, NotAllowedError } from '@backstage/errors';
import {
  isOpenReleaseState,
  rolesOf,
  type DeployControl,
  type DeployControlName,
  type DeployPlan,
  type DeployOtherCommit,
  type DeployPlanStep,
  type DeployRebase,
  type DeployRunStepView,
  type DeployRunView,
  type DeployStepLink,
  type DeployView,
  type GradePolicy,
  type LineHalt,
  type ReleaseState,
} from '@internal/plugin-release-common';
import {
  abortPlanFiles,
  computeAbortPlan,
  computeDeployPlan,
  DeployPlanConflictError,
  DeployPlanInputError,
  readDeployPlanWorld,
  rebaseDeployPlan,
  rebasePlanFiles,
  type ArgoCdClient,
  type DeployPlanSettings,
  type GitlabClient,
  type JenkinsClient,
  type ReleaseLayout,
  type StepOutputs,
} from '@internal/plugin-release-node';
import { AuditLog } from '../database/AuditLog';
import type { StoredRelease } from '../database/ReleaseStore';
import type {
  Actor,
  ReleaseService,
  RequestContext,
} from '../service/ReleaseService';
import { messageOf } from '../status/format';
import { releaseEngineActor } from './actor';
import type { DeployEngine, GateFailure, StartDeployRun } from './DeployEngine';
import { writtenPlanOf } from './stages';
import { activeRunStates, type DeployRun } from './types';

/** The controls' permissions as the door found them for the person asking. */
export type DeployPermissions = Record<
  'deploy' | 'control' | 'abort' | 'stopTheLine' | 'request',
  boolean
>;

export interface DeployServiceOptions {
  knex: Knex;
  releases: ReleaseService;
  engine: DeployEngine;
  layout: ReleaseLayout;
  policy: GradePolicy;
  planSettings: DeployPlanSettings;
  gitlab(): Pick<
    GitlabClient,
    'branch' | 'readFile' | 'projectUrl' | 'listCommits'
  >;
  argocdFor(
    environment: string,
  ): Pick<ArgoCdClient, 'instance' | 'getApplicationState' | 'applicationUrl'>;
  /** Where a plan that builds first finds a build of the hybris version made before the release. */
  jenkins?(): Pick<JenkinsClient, 'searchBuilds' | 'readImageTag'>;
  /** Where a release is tried before production (release.beta); none when not configured. */
  betaEnvironment?: string;
  /** Environments whose steps wait for a release window (default: all but beta). */
  windowed?(environment: string): boolean;
  logger: LoggerService;
  /** Called when a run starts or resumes (the status cache starts, so gates hear events). */
  onRun?: () => void;
  now?: () => Date;
}

type HaltRow = {
  id: string;
  raised_by: string;
  reason: string;
  raised_at: string;
  lifted_by: string | null;
  lift_reason: string | null;
  lifted_at: string | null;
  active: number | null;
};

/** Release states in which a deploy is under way: Abort reverts from here. */
const deployingStates: readonly ReleaseState[] = [
  'deploying',
  'paused',
  'verifying',
  'awaiting_signoff',
  'switching',
  'announced',
  'scaling_down',
];

const off = (reason: string): DeployControl => ({ enabled: false, reason });
const on = (needsReason = false): DeployControl => ({
  enabled: true,
  ...(needsReason ? { needsReason } : {}),
});

/**
 * The Deploy card's door onto the engine: computes the plan a person sees and approves, starts
 * a run of exactly that plan, carries out the controls (each checked and audited), keeps the
 * stop-the-line switch, and holds a run before any step that would change production outside a
 * window or while the line is stopped.
 */
export class DeployService {
  private readonly trail: AuditLog;
  private readonly now: () => Date;

  constructor(private readonly options: DeployServiceOptions) {
    this.trail = new AuditLog(options.knex);
    this.now = options.now ?? (() => new Date());
  }

  /**
   * The plan a deploy of the release to the environment would run now; for a run stopped on
   * someone else's change, its plan rebased onto that change, which approvers approve.
   */
  async plan(releaseId: string, environment: string): Promise<DeployPlan> {
    const { layout, policy, planSettings } = this.options;
    const release = await this.options.releases.get(releaseId);
    const active = await this.options.engine.activeRunOf(releaseId);
    if (active?.environment === environment) {
      const rebase = await this.rebaseOf(active);
      if (rebase?.refusal) throw new ConflictError(rebase.refusal);
      if (rebase?.plan) return rebase.plan;
    }
    if (!layout.iac.repos[environment]) {
      throw new InputError(
        `environment: '${environment}' is not one of ${Object.keys(
          layout.iac.repos,
        ).join(', ')}`,
      );
    }
    const argocd = this.argocdOrUndefined(environment);
    const world = await readDeployPlanWorld({
      layout,
      environment,
      apps: release.apps.map(a => a.app),
      gitlab: this.options.gitlab(),
      argocd,
      ...this.hybrisBuildToRead(release),
    });
    try {
      return computeDeployPlan({
        release,
        policy,
        layout,
        settings: planSettings,
        environment,
        world,
      });
    } catch (e) {
      if (e instanceof DeployPlanInputError) throw new InputError(e.message);
      if (e instanceof DeployPlanConflictError) {
        throw new ConflictError(e.message);
      }
      throw e;
    }
  }

  /** Everything the Deploy card shows to this person. */
  async view(
    actor: Actor,
    releaseId: string,
    allowed: DeployPermissions,
  ): Promise<DeployView> {
    const release = await this.options.releases.get(releaseId);
    const runs = await this.options.engine.runsOf(releaseId);
    const halt = await this.currentHalt();
    const active = runs.find(r => activeRunStates.includes(r.state));
    const rebase = await this.rebaseOf(active).catch(e => {
      this.options.logger.warn(
        `Could not rebase the plan of run ${active?.id}: ${messageOf(e)}`,
      );
      return undefined;
    });
    return {
      runs: runs.map(r => this.runView(r)),
      controls: this.controlsFor(actor, release, active, halt, allowed, rebase),
      ...(rebase ? { rebase } : {}),
      ...(halt ? { halt } : {}),
      acknowledgements: release.acknowledgements ?? [],
      ...(approvedFingerprintOf(release)
        ? { approvedFingerprint: approvedFingerprintOf(release) }
        : {}),
      twoVersionsLive: twoVersionsLive(runs),
    };
  }

  /**
   * Starts a run of the plan the person saw. The plan is computed afresh: it must be the one
   * they saw and, unless grade E goes first, the one every approval was given for.
   */
  async deploy(
    actor: Actor,
    releaseId: string,
    input: { environment: string; fingerprint: string; reason?: string },
    ctx: RequestContext,
  ): Promise<DeployRunView> {
    const halt = await this.currentHalt();
    if (halt) {
      throw new ConflictError(
        `state: the line is stopped by ${halt.by} (${halt.reason}); no release deploys until it is lifted`,
      );
    }
    const release = await this.options.releases.get(releaseId);
    const plan = await this.plan(releaseId, input.environment);
    if (plan.fingerprint !== input.fingerprint) {
      throw new ConflictError(
        `fingerprint: the plan changed since it was shown (now ${plan.fingerprint.slice(
          0,
          12,
        )}); look at the new plan and press Deploy again`,
      );
    }
    if (release.state === 'approved') {
      const refusal = approvalRefusal(release, plan.fingerprint);
      if (refusal) throw new ConflictError(`fingerprint: ${refusal}`);
    }
    this.options.onRun?.();
    const run = await this.options.engine.start({
      plan,
      by: actor,
      reason: input.reason,
      requestId: ctx.requestId,
    });
    return this.runView(run);
  }

  async pause(
    actor: Actor,
    releaseId: string,
    runId: string,
    ctx: RequestContext,
  ) {
    await this.runOf(releaseId, runId);
    return this.runView(
      await this.options.engine.pause(runId, this.pressed(actor, ctx)),
    );
  }

  /**
   * Resumes; outside the windows a lead lets it run on with a reason first. A run stopped on
   * someone else's change resumes only with its rebased plan, shown and approved by fingerprint.
   */
  async resume(
    actor: Actor,
    releaseId: string,
    runId: string,
    input: { reason?: string; fingerprint?: string },
    ctx: RequestContext,
  ) {
    const run = await this.runOf(releaseId, runId);
    const release = await this.options.releases.get(releaseId);
    const halt = await this.currentHalt();
    if (halt && run.kind !== 'abort') {
      throw new ConflictError(
        `state: the line is stopped by ${halt.by} (${halt.reason}); lift it first`,
      );
    }
    const rebase = await this.rebaseOf(run);
    const refused =
      rebase &&
      (rebasedResumeRefusal(release, rebase) ??
        shownRefusal(rebase.plan!, input.fingerprint));
    if (refused) throw new ConflictError(`fingerprint: ${refused}`);
    if (
      run.kind !== 'abort' &&
      this.windowed(run.environment) &&
      !this.options.releases.windowOpenFor(release)
    ) {
      await this.options.releases.overrideWindow(
        actor,
        releaseId,
        input.reason,
        ctx,
      );
    }
    this.options.onRun?.();
    if (rebase?.plan) {
      const resumed = await this.options.engine.resumeRebased(
        runId,
        {
          plan: rebase.plan,
          from: rebase.fromStep,
          replaces: run.fingerprint,
          person: actor,
          reason: input.reason,
        },
        this.pressed(actor, ctx),
      );
      return this.runView(resumed);
    }
    return this.runView(
      await this.options.engine.resume(runId, this.pressed(actor, ctx)),
    );
  }

  /**
   * The author asks the approvers for the plan of a run stopped on someone else's change, rebased
   * onto it, as they saw it: the approvals given so far are superseded and the release awaits
   * approval again, its run paused until Resume.
   */
  async requestRebasedApproval(
    actor: Actor,
    releaseId: string,
    runId: string,
    input: { fingerprint: string },
    ctx: RequestContext,
  ): Promise<void> {
    const rebase = await this.rebaseOf(await this.runOf(releaseId, runId));
    if (!rebase) {
      throw new ConflictError(
        `state: run ${runId} did not stop on someone else's change; there is no new plan to approve`,
      );
    }
    if (!rebase.plan) throw new ConflictError(`fingerprint: ${rebase.refusal}`);
    if (rebase.plan.fingerprint !== input.fingerprint) {
      throw new ConflictError(
        `fingerprint: the plan changed since it was shown (now ${rebase.plan.fingerprint.slice(
          0,
          12,
        )}); look at the new plan and ask again`,
      );
    }
    await this.options.releases.requestApproval(actor, releaseId, ctx, {
      rebased: true,
    });
  }

  async retry(
    actor: Actor,
    releaseId: string,
    runId: string,
    step: number | undefined,
    ctx: RequestContext,
  ) {
    const run = await this.runOf(releaseId, runId);
    await this.notApprovingAgain(releaseId);
    const index = step ?? run.steps.findIndex(s => s.state === 'failed');
    return this.runView(
      await this.options.engine.retry(runId, index, this.pressed(actor, ctx)),
    );
  }

  /** Skipping a step is a lead's decision, with a reason. */
  async skip(
    actor: Actor,
    releaseId: string,
    runId: string,
    input: { step?: number; reason?: string },
    ctx: RequestContext,
  ) {
    await this.runOf(releaseId, runId);
    await this.notApprovingAgain(releaseId);
    this.options.releases.checkLeadDecision(actor, input.reason, 'skip a step');
    if (input.step === undefined) {
      throw new InputError('step: name the step to skip');
    }
    return this.runView(
      await this.options.engine.skip(
        runId,
        input.step,
        input.reason!,
        this.pressed(actor, ctx),
      ),
    );
  }

  /**
   * Aborts a release under way: its deploy run stops (paused first if it moves), and the release
   * ends aborted. The revert of what the run changed runs as an abort run.
   */
  async abort(
    actor: Actor,
    releaseId: string,
    input: { reason: string },
    ctx: RequestContext,
  ): Promise<DeployRunView | undefined> {
    const release = await this.options.releases.get(releaseId);
    let active = await this.options.engine.activeRunOf(releaseId);
    // A run paused while its new plan is approved again is under way as well.
    if (!deployingStates.includes(release.state) && active?.kind !== 'deploy') {
      throw new ConflictError(
        `state: the release is ${release.state}; ${
          isOpenReleaseState(release.state)
            ? 'close it with the transition to aborted'
            : 'it is already closed'
        }`,
      );
    }
    if (release.retroApprovalPending) {
      this.options.releases.checkLeadDecision(
        actor,
        input.reason,
        'abort a grade E release before its retro approval',
      );
    }
    if (active && active.state !== 'paused') {
      active = await this.options.engine.pause(
        active.id,
        this.pressed(actor, ctx),
      );
    }
    return this.startAbort(release, active, {
      by: actor,
      reason: input.reason,
      requestId: ctx.requestId,
    });
  }

  /**
   * The abort the engine starts by itself when a deploy's gate failed where onStepFailure is
   * abort: the Abort button's revert, with the engine as the one who pressed it.
   */
  async abortOnGateFailure(
    run: DeployRun,
    failure: GateFailure,
  ): Promise<DeployRunView> {
    const release = await this.options.releases.get(run.releaseId);
    const active = await this.options.engine.activeRunOf(run.releaseId);
    if (active?.id !== run.id || active.state !== 'paused') {
      throw new ConflictError(
        `release: run ${run.id} is no longer the paused run of the release`,
      );
    }
    return this.startAbort(release, active, {
      by: releaseEngineActor,
      requestId: run.id,
      gateFailed: failure,
    });
  }

  async acknowledge(
    actor: Actor,
    releaseId: string,
    input: { subject: 'db-schema'; comment: string },
    ctx: RequestContext,
  ) {
    await this.options.releases.acknowledge(actor, releaseId, input, ctx);
    // The acknowledgement step may be waiting for exactly this.
    const active = await this.options.engine.activeRunOf(releaseId);
    if (active) await this.options.engine.wake(active.id);
  }

  /** The stop-the-line switch, when raised. */
  async currentHalt(): Promise<LineHalt | undefined> {
    const row = await this.options
      .knex<HaltRow>('deploy_halts')
      .where({ active: 1 })
      .first();
    return row
      ? { by: row.raised_by, reason: row.reason, at: row.raised_at }
      : undefined;
  }

  /** Raises stop-the-line: every run holds before its next step, and no deploy starts. */
  /** Whether this person may raise or lift the stop-the-line switch (a lead, with the permission). */
  haltToggle(actor: Actor, permitted: boolean): DeployControl {
    if (!permitted) {
      return off('you do not have the permission to stop the line');
    }
    try {
      this.options.releases.checkLeadDecision(
        actor,
        'asked before pressing',
        'stop the line',
      );
    } catch (e) {
      if (e instanceof NotAllowedError) return off(e.message);
      throw e;
    }
    return on(true);
  }

  async raiseHalt(
    actor: Actor,
    input: { reason: string },
    ctx: RequestContext,
  ): Promise<LineHalt> {
    this.options.releases.checkLeadDecision(
      actor,
      input.reason,
      'stop the line',
    );
    const at = this.now().toISOString();
    try {
      await this.options.knex.transaction(async tx => {
        await tx<HaltRow>('deploy_halts').insert({
          id: randomUUID(),
          raised_by: actor.ref,
          reason: input.reason,
          raised_at: at,
          lifted_by: null,
          lift_reason: null,
          lifted_at: null,
          active: 1,
        });
        await this.trail.append(tx, {
          actor: actor.ref,
          action: 'deploy.stop-the-line',
          outcome: 'success',
          requestId: ctx.requestId,
          meta: { reason: input.reason },
        });
      });
    } catch (e) {
      if (/unique|duplicate key/i.test(messageOf(e))) {
        throw new ConflictError('state: the line is already stopped');
      }
      throw e;
    }
    return { by: actor.ref, reason: input.reason, at };
  }

  /** Lifts stop-the-line; the runs it held stay paused until a person resumes them. */
  async liftHalt(
    actor: Actor,
    input: { reason: string },
    ctx: RequestContext,
  ): Promise<void> {
    this.options.releases.checkLeadDecision(
      actor,
      input.reason,
      'lift the stop-the-line switch',
    );
    await this.options.knex.transaction(async tx => {
      const lifted = await tx<HaltRow>('deploy_halts')
        .where({ active: 1 })
        .update({
          active: null,
          lifted_by: actor.ref,
          lift_reason: input.reason,
          lifted_at: this.now().toISOString(),
        });
      if (!lifted) throw new ConflictError('state: the line is not stopped');
      await this.trail.append(tx, {
        actor: actor.ref,
        action: 'deploy.lift-stop-the-line',
        outcome: 'success',
        requestId: ctx.requestId,
        meta: { reason: input.reason },
      });
    });
  }

  /**
   * The engine's question before a step that changes a system: a reason holds the run there.
   * The window is asked again at every step, not only at Deploy.
   */
  beforeStep = async (
    run: DeployRun,
    _step: DeployPlanStep,
    release: StoredRelease,
  ): Promise<string | undefined> => {
    const halt = await this.currentHalt();
    if (halt) {
      return `Stop-the-line by ${halt.by}: ${halt.reason}`;
    }
    if (
      this.windowed(run.environment) &&
      !this.options.releases.windowOpenFor(release)
    ) {
      return `Outside the release windows; ${this.options.releases.describeNextWindow()}. A team lead may resume with a reason.`;
    }
    return undefined;
  };

  /** The run as the page shows it: no lease, each step with its links. */
  runView(run: DeployRun): DeployRunView {
    return {
      id: run.id,
      releaseId: run.releaseId,
      environment: run.environment,
      kind: run.kind,
      state: run.state,
      plan: writtenPlanOf(run),
      startedBy: run.startedBy,
      ...(run.pausedReason ? { pausedReason: run.pausedReason } : {}),
      createdAt: run.createdAt,
      updatedAt: run.updatedAt,
      steps: run.steps.map(s => {
        const outputs = (s.outputs ?? {}) as StepOutputs;
        const view: DeployRunStepView = {
          index: s.index,
          stepId: s.stepId,
          kind: s.kind,
          state: s.state,
          attempts: s.attempts,
          links: this.linksOf(run, run.plan.steps[s.index], outputs),
          ...(s.lastError ? { lastError: s.lastError } : {}),
          ...(s.waitingReason ? { waitingReason: s.waitingReason } : {}),
          ...(s.readings
            ? { readings: s.readings as DeployRunStepView['readings'] }
            : {}),
          ...(s.skipReason ? { skipReason: s.skipReason } : {}),
          ...(s.startedAt ? { startedAt: s.startedAt } : {}),
          ...(s.finishedAt ? { finishedAt: s.finishedAt } : {}),
          ...(outputs.git
            ? {
                commit: {
                  sha: outputs.git.sha,
                  committed: outputs.git.committed,
                },
              }
            : {}),
        };
        return view;
      }),
    };
  }

  private linksOf(
    run: DeployRun,
    step: DeployPlanStep | undefined,
    outputs: StepOutputs,
  ): DeployStepLink[] {
    const links: DeployStepLink[] = [];
    if (outputs.git?.webUrl) {
      links.push({
        kind: 'commit',
        title: outputs.git.sha.slice(0, 8),
        url: outputs.git.webUrl,
      });
    } else if (outputs.git?.sha) {
      try {
        links.push({
          kind: 'commit',
          title: outputs.git.sha.slice(0, 8),
          url: this.options
            .gitlab()
            .projectUrl(run.plan.iac.project, `-/commit/${outputs.git.sha}`),
        });
      } catch {
        // GitLab not configured: the sha still shows.
      }
    }
    if (outputs.call?.mergeRequest) {
      links.push({
        kind: 'merge-request',
        title: `!${outputs.call.mergeRequest.iid}`,
        url: outputs.call.mergeRequest.webUrl,
      });
    }
    for (const app of step?.sync ?? []) {
      try {
        links.push({
          kind: 'argocd',
          title: app,
          url: this.options.argocdFor(run.environment).applicationUrl(app),
        });
      } catch {
        // Argo CD not configured for the environment: no link.
      }
    }
    return links;
  }

  private controlsFor(
    actor: Actor,
    release: StoredRelease,
    active: DeployRun | undefined,
    halt: LineHalt | undefined,
    allowed: DeployPermissions,
    rebase?: DeployRebase,
  ): Record<DeployControlName, DeployControl> {
    const lacks = (name: string) => off(`You lack the ${name} permission`);
    const failed = active?.steps.find(s => s.state === 'failed');
    const current = active?.steps.find(
      s => s.state !== 'done' && s.state !== 'skipped',
    );
    const windowShut = !this.options.releases.windowOpenFor(release);
    const earlyE =
      release.grade === 'E' && ['prepared', 'beta'].includes(release.state);

    const beta = this.options.betaEnvironment;
    const deployBeta = (): DeployControl => {
      if (!beta) return off('No beta environment is configured (release.beta)');
      if (!allowed.deploy) return lacks('release.deploy');
      if (halt) return off(`The line is stopped by ${halt.by}: ${halt.reason}`);
      if (active) return off(`A ${active.kind} run is ${active.state}`);
      if (!['prepared', 'beta'].includes(release.state)) {
        return off(
          `The release is ${release.state}; it is tried on ${beta} while prepared`,
        );
      }
      return on();
    };
    const deploy = (): DeployControl => {
      if (!allowed.deploy) return lacks('release.deploy');
      if (halt) return off(`The line is stopped by ${halt.by}: ${halt.reason}`);
      if (active) return off(`A ${active.kind} run is ${active.state}`);
      if (release.state !== 'approved' && !earlyE) {
        return off(`The release is ${release.state}; it deploys once approved`);
      }
      return on(windowShut);
    };
    const pause = (): DeployControl => {
      if (!allowed.control) return lacks('release.deploy.control');
      if (!active || !['running', 'waiting'].includes(active.state)) {
        return off('No run is moving');
      }
      return on();
    };
    const resume = (): DeployControl => {
      if (!allowed.control) return lacks('release.deploy.control');
      if (!active || active.state !== 'paused') return off('No run is paused');
      const waits = rebase && rebasedResumeRefusal(release, rebase);
      if (waits) return off(waits);
      if (failed && !rebase) {
        return off(`${failed.stepId} failed: retry or skip it`);
      }
      if (halt && active.kind !== 'abort') {
        return off(`The line is stopped by ${halt.by}: ${halt.reason}`);
      }
      return on(active.kind !== 'abort' && windowShut);
    };
    const retry = (): DeployControl => {
      if (!allowed.control) return lacks('release.deploy.control');
      if (!failed || active?.state !== 'paused') {
        return off('No step has failed');
      }
      if (rebase) {
        return off(
          `${failed.stepId} would write over someone else's change: its new plan is approved, then Resume runs it`,
        );
      }
      return on();
    };
    const skip = (): DeployControl => {
      if (!allowed.control) return lacks('release.deploy.control');
      if (!active || active.state !== 'paused' || !current) {
        return off('Pause the run first, then skip a step');
      }
      if (!deployingStates.includes(release.state)) {
        return off('The new plan is being approved: resume with it, or abort');
      }
      const roles = this.options.policy.windowOverride;
      if (!rolesOf(this.options.policy, actor).some(r => roles.includes(r))) {
        return off(`Only ${roles.join(', ')} may skip a step`);
      }
      return on(true);
    };
    const abort = (): DeployControl => {
      if (!allowed.abort) return lacks('release.abort');
      if (
        !deployingStates.includes(release.state) &&
        active?.kind !== 'deploy'
      ) {
        return off(
          `The release is ${release.state}; nothing is being deployed`,
        );
      }
      if (active?.kind === 'abort') return off('An abort is already running');
      return on(true);
    };
    const acknowledge = (): DeployControl => {
      if (!release.dbUpdate)
        return off('This release changes no database schema');
      if (release.acknowledgements?.some(a => a.subject === 'db-schema')) {
        return off('Acknowledged');
      }
      if (!allowed.deploy) return lacks('release.deploy');
      return on(true);
    };
    const requestApproval = (): DeployControl => {
      if (!allowed.request) return lacks('release.create');
      if (!rebase) return off("No run stopped on someone else's change");
      if (!rebase.plan) {
        return off(
          "Someone else's change makes the rest of the plan unsafe: abort the release",
        );
      }
      if (actor.ref !== release.author && !actor.isAdmin) {
        return off(`Only the author, ${release.author}, asks for approval`);
      }
      if (release.retroApprovalPending) {
        return off('Grade E is approved afterwards: resume with the new plan');
      }
      if (release.state === 'awaiting_approval') {
        return off('The approvers have been asked');
      }
      if (approvedFingerprintOf(release) === rebase.plan.fingerprint) {
        return off('The new plan is approved: resume the run');
      }
      return on();
    };
    return {
      deploy: deploy(),
      deployBeta: deployBeta(),
      pause: pause(),
      resume: resume(),
      retry: retry(),
      skip: skip(),
      abort: abort(),
      acknowledge: acknowledge(),
      requestApproval: requestApproval(),
    };
  }

  /**
   * The revert of what the release's last deploy run changed, as a plan computed from the world
   * now; nothing in flight gives a plan of no steps, which ends the release and changes nothing.
   */
  private async abortPlanFor(
    release: StoredRelease,
    active: DeployRun | undefined,
  ): Promise<DeployPlan> {
    const runs = await this.options.engine.runsOf(release.id);
    const deployRun =
      active?.kind === 'deploy' ? active : runs.find(r => r.kind === 'deploy');
    if (!deployRun) return nothingToAbort(release);
    const { layout, planSettings } = this.options;
    const environment = deployRun.environment;
    const files = abortPlanFiles(layout, deployRun.plan);
    // Any step touching hybris, a config step naming no app too, brings in the switch values.
    const hybris = files.includes(layout.apps.hybris.switch.values);
    const world = await readDeployPlanWorld({
      layout,
      environment,
      apps: hybris ? ['hybris'] : [],
      files,
      gitlab: this.options.gitlab(),
      argocd: this.argocdOrUndefined(environment),
    });
    try {
      return computeAbortPlan({
        release,
        plan: writtenPlanOf(deployRun),
        steps: deployRun.steps.map(s => ({
          index: s.index,
          state: s.state,
          outputs: s.outputs as StepOutputs | undefined,
        })),
        layout,
        settings: planSettings,
        world,
      });
    } catch (e) {
      if (e instanceof DeployPlanInputError) throw new InputError(e.message);
      if (e instanceof DeployPlanConflictError) {
        throw new ConflictError(e.message);
      }
      throw e;
    }
  }

  /** Starts the revert of what the release's deploy run changed, pressed by `start.by`. */
  private async startAbort(
    release: StoredRelease,
    active: DeployRun | undefined,
    start: Omit<StartDeployRun, 'plan' | 'kind'>,
  ): Promise<DeployRunView> {
    const plan = await this.abortPlanFor(release, active);
    this.options.onRun?.();
    return this.runView(
      await this.options.engine.start({ ...start, plan, kind: 'abort' }),
    );
  }

  /**
   * The plan of a deploy run paused on a git step that failed before its commit, rebased onto the
   * IaC branch as it is now, when someone else's change is what stopped it; a rebase that would be
   * unsafe comes back with its refusal and no plan.
   */
  private async rebaseOf(
    run: DeployRun | undefined,
  ): Promise<DeployRebase | undefined> {
    if (run?.kind !== 'deploy' || run.state !== 'paused') return undefined;
    const current = run.steps.find(s => !['done', 'skipped'].includes(s.state));
    const outputs = current?.outputs as StepOutputs | undefined;
    if (current?.state !== 'failed' || current.kind !== 'git' || outputs?.git) {
      return undefined;
    }
    const { layout } = this.options;
    const gitlab = this.options.gitlab();
    const { project, baseSha } = run.plan.iac;
    const plan = writtenPlanOf(run);
    const files = rebasePlanFiles(layout, plan);
    const planned: Record<string, string> = {};
    const [world] = await Promise.all([
      readDeployPlanWorld({
        layout,
        environment: run.environment,
        apps: [],
        files,
        gitlab,
      }),
      ...files.map(async path => {
        const file = await gitlab.readFile(project, baseSha, path);
        if (file) planned[path] = file.content;
      }),
    ]);
    const found = { runId: run.id, fromStep: current.index };
    try {
      const rebased = rebaseDeployPlan({
        plan,
        steps: run.steps,
        layout,
        world,
        planned,
      });
      if (!rebased.changes.length) return undefined;
      return {
        ...found,
        fromStep: rebased.from,
        changes: rebased.changes,
        commits: await this.otherCommits(run),
        plan: rebased.plan,
      };
    } catch (e) {
      if (!(e instanceof DeployPlanConflictError)) throw e;
      return {
        ...found,
        changes: [],
        commits: await this.otherCommits(run),
        refusal: e.message,
      };
    }
  }

  /** The commits on the IaC branch since the run's plan that are not the release's own, newest first. */
  private async otherCommits(run: DeployRun): Promise<DeployOtherCommit[]> {
    const { project, branch, baseSha } = run.plan.iac;
    try {
      const commits = await this.options
        .gitlab()
        .listCommits(project, { ref: branch, limit: 50 });
      const since = commits.findIndex(c => c.sha === baseSha);
      // Beyond the commits read, where the plan starts is not known: better none than wrong ones.
      if (since < 0) return [];
      return commits
        .slice(0, since)
        .filter(c => !c.message.includes(`Release-Id: ${run.releaseId}`))
        .map(c => ({
          sha: c.sha,
          title: c.title,
          author: c.authorName,
          ...(c.webUrl ? { webUrl: c.webUrl } : {}),
        }));
    } catch (e) {
      this.options.logger.warn(
        `Could not list the commits on ${branch} of ${project}: ${messageOf(
          e,
        )}`,
      );
      return [];
    }
  }

  /** Refuses a control of the run while the release waits for its new plan's approval. */
  private async notApprovingAgain(releaseId: string) {
    const { state } = await this.options.releases.get(releaseId);
    if (!deployingStates.includes(state)) {
      throw new ConflictError(
        `state: the release is ${state} while its run's new plan is approved; resume with the approved plan, or abort`,
      );
    }
  }

  private async runOf(releaseId: string, runId: string): Promise<DeployRun> {
    const run = await this.options.engine.get(runId);
    if (!run || run.releaseId !== releaseId) {
      throw new InputError(`runId: release ${releaseId} has no run ${runId}`);
    }
    return run;
  }

  private pressed(actor: Actor, ctx: RequestContext) {
    return { person: actor.ref, requestId: ctx.requestId };
  }

  private windowed(environment: string): boolean {
    return this.options.windowed
      ? this.options.windowed(environment)
      : environment !== 'beta';
  }

  /**
   * When the plan builds first and the release recorded no successful build of its hybris version,
   * the build Jenkins may already have of it: its tag is what the plan writes.
   */
  private hybrisBuildToRead(release: StoredRelease) {
    const hybris = release.apps.find(a => a.app === 'hybris');
    const { jenkins, planSettings } = this.options;
    if (!hybris || !jenkins || !planSettings.stages?.build) return {};
    const recorded = release.builds?.some(
      b =>
        b.app === 'hybris' &&
        b.version === hybris.version &&
        b.result === 'success' &&
        b.imageTag !== undefined,
    );
    return recorded
      ? {}
      : { hybrisBuild: { version: hybris.version, jenkins: jenkins() } };
  }

  private argocdOrUndefined(environment: string) {
    try {
      return this.options.argocdFor(environment);
    } catch (e) {
      this.options.logger.warn(
        `Planning without Argo CD for ${environment}: ${messageOf(e)}`,
      );
      return undefined;
    }
  }
}

/** The fingerprint every approval of the release was given for, when they all agree on one. */
export function approvedFingerprintOf(
  release: StoredRelease,
): string | undefined {
  const prints = new Set(givenApprovals(release).map(a => a.planFingerprint));
  if (prints.size !== 1) return undefined;
  return [...prints][0];
}

/** Why the approvals do not cover the plan about to run, if they do not. */
function approvalRefusal(
  release: StoredRelease,
  fingerprint: string,
): string | undefined {
  const approved = approvedFingerprintOf(release);
  const now = fingerprint.slice(0, 12);
  if (approved === fingerprint) return undefined;
  if (approved) {
    return `the plan is not the one approved (approved ${approved.slice(
      0,
      12,
    )}, now ${now}); ask for approval of the new plan`;
  }
  if (unboundApprovals(release)) {
    return 'the approvals were given without a plan; ask for approval again so approvers see what runs';
  }
  return `the approvals were given for different plans (now ${now}); ask for approval again so approvers see what runs`;
}

/**
 * Why a run stopped on someone else's change does not resume with its rebased plan: the plan is
 * unsafe, not the one shown, or (unless grade E is approved afterwards) not the one approved.
 */
function rebasedResumeRefusal(
  release: StoredRelease,
  rebase: DeployRebase,
): string | undefined {
  if (!rebase.plan) return rebase.refusal;
  const now = rebase.plan.fingerprint;
  // Grade E deploys first and is approved afterwards: the person resuming decides, as at Deploy.
  if (release.retroApprovalPending) return undefined;
  if (release.state !== 'approved') {
    return `someone else's change stopped the run; its new plan ${now.slice(
      0,
      12,
    )} must be approved first (the release is ${release.state})`;
  }
  return approvalRefusal(release, now);
}

/** Why a resume does not name the rebased plan shown, if it does not. */
function shownRefusal(
  plan: DeployPlan,
  fingerprint: string | undefined,
): string | undefined {
  const now = plan.fingerprint.slice(0, 12);
  if (fingerprint === plan.fingerprint) return undefined;
  return fingerprint
    ? `the plan changed since it was shown (now ${now}); look at the new plan`
    : `resume with the fingerprint of the new plan shown (now ${now})`;
}

/** Whether no approval of the release names the plan it was given for. */
function unboundApprovals(release: StoredRelease): boolean {
  return givenApprovals(release).every(a => !a.planFingerprint);
}

/** The approvals before deploying that count: given, and not superseded by a later request. */
function givenApprovals(release: StoredRelease) {
  return release.approvals.filter(
    a =>
      a.stage === 'approval' &&
      a.decision === 'approve' &&
      !a.requirement.includes(':superseded:'),
  );
}

/** Both hybris colours serve: the new one has pods and the old one is not down to 0 yet. */
export function twoVersionsLive(runs: DeployRun[]): boolean {
  const last = runs.find(r => r.kind === 'deploy');
  if (!last || ['aborted'].includes(last.state)) return false;
  const stepOf = (role: string) =>
    last.plan.steps
      .map((s, i) => ({ s, state: last.steps[i].state }))
      .filter(x => x.s.hybris?.role === role);
  const newUp = stepOf('new').some(x => x.state === 'done');
  const oldSteps = stepOf('old');
  const oldDown =
    oldSteps.length > 0 && oldSteps.every(x => x.state === 'done');
  return newUp && !oldDown;
}

/** The abort of a release no run has touched: no step, nothing changes. */
function nothingToAbort(release: StoredRelease): DeployPlan {
  return {
    releaseId: release.id,
    environment: 'prod',
    iac: { project: '', branch: '', baseSha: '' },
    steps: [],
    expectedMs: 0,
    fingerprint: 'nothing-to-abort',
    notes: ['Nothing was deployed: the abort changes nothing'],
  };
}
