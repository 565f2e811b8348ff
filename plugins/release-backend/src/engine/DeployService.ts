import { randomUUID } from 'node:crypto';
import type { Knex } from 'knex';
import type { LoggerService } from '@backstage/backend-plugin-api';
import { ConflictError, InputError } from '@backstage/errors';
import {
  isOpenReleaseState,
  rolesOf,
  type DeployControl,
  type DeployControlName,
  type DeployPlan,
  type DeployPlanStep,
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
  type ArgoCdClient,
  type DeployPlanSettings,
  type GitlabClient,
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
import type { DeployEngine } from './DeployEngine';
import { activeRunStates, type DeployRun } from './types';

/** The controls' permissions as the door found them for the person asking. */
export type DeployPermissions = Record<
  'deploy' | 'control' | 'abort' | 'stopTheLine',
  boolean
>;

export interface DeployServiceOptions {
  knex: Knex;
  releases: ReleaseService;
  engine: DeployEngine;
  layout: ReleaseLayout;
  policy: GradePolicy;
  planSettings: DeployPlanSettings;
  gitlab(): Pick<GitlabClient, 'branch' | 'readFile' | 'projectUrl'>;
  argocdFor(
    environment: string,
  ): Pick<ArgoCdClient, 'instance' | 'getApplicationState' | 'applicationUrl'>;
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

  /** The plan a deploy of the release to the environment would run now. */
  async plan(releaseId: string, environment: string): Promise<DeployPlan> {
    const { layout, policy, planSettings } = this.options;
    const release = await this.options.releases.get(releaseId);
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
    return {
      runs: runs.map(r => this.runView(r)),
      controls: this.controlsFor(actor, release, active, halt, allowed),
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

  /** Resumes; outside the windows a lead lets it run on with a reason first. */
  async resume(
    actor: Actor,
    releaseId: string,
    runId: string,
    input: { reason?: string },
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
    return this.runView(
      await this.options.engine.resume(runId, this.pressed(actor, ctx)),
    );
  }

  async retry(
    actor: Actor,
    releaseId: string,
    runId: string,
    step: number | undefined,
    ctx: RequestContext,
  ) {
    const run = await this.runOf(releaseId, runId);
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
    if (!deployingStates.includes(release.state)) {
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
    let active = await this.options.engine.activeRunOf(releaseId);
    if (active && active.state !== 'paused') {
      active = await this.options.engine.pause(
        active.id,
        this.pressed(actor, ctx),
      );
    }
    const plan = await this.abortPlanFor(release, active);
    this.options.onRun?.();
    const run = await this.options.engine.start({
      plan,
      kind: 'abort',
      by: actor,
      reason: input.reason,
      requestId: ctx.requestId,
    });
    return this.runView(run);
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
      plan: run.plan,
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
  ): Record<DeployControlName, DeployControl> {
    const lacks = (name: string) => off(`You lack the ${name} permission`);
    const failed = active?.steps.find(s => s.state === 'failed');
    const current = active?.steps.find(
      s => s.state !== 'done' && s.state !== 'skipped',
    );
    const windowShut = !this.options.releases.windowOpenFor(release);
    const earlyE =
      release.grade === 'E' && ['prepared', 'beta'].includes(release.state);

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
      if (failed) return off(`${failed.stepId} failed: retry or skip it`);
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
      return on();
    };
    const skip = (): DeployControl => {
      if (!allowed.control) return lacks('release.deploy.control');
      if (!active || active.state !== 'paused' || !current) {
        return off('Pause the run first, then skip a step');
      }
      const roles = this.options.policy.windowOverride;
      if (!rolesOf(this.options.policy, actor).some(r => roles.includes(r))) {
        return off(`Only ${roles.join(', ')} may skip a step`);
      }
      return on(true);
    };
    const abort = (): DeployControl => {
      if (!allowed.abort) return lacks('release.abort');
      if (!deployingStates.includes(release.state)) {
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
    return {
      deploy: deploy(),
      pause: pause(),
      resume: resume(),
      retry: retry(),
      skip: skip(),
      abort: abort(),
      acknowledge: acknowledge(),
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
    const hybris = deployRun.plan.steps.some(s => s.app === 'hybris');
    const world = await readDeployPlanWorld({
      layout,
      environment,
      apps: hybris ? ['hybris'] : [],
      files: abortPlanFiles(layout, deployRun.plan),
      gitlab: this.options.gitlab(),
      argocd: this.argocdOrUndefined(environment),
    });
    try {
      return computeAbortPlan({
        release,
        plan: deployRun.plan,
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
