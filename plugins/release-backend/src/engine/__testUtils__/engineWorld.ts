import { mockServices } from '@backstage/backend-test-utils';
import {
  defaultGradePolicy,
  type CreateReleaseRequest,
  type DeployPlan,
  type DeployPlanStep,
  type ReleaseApp,
  type ReleaseGrade,
} from '@internal/plugin-release-common';
import knexFactory, { type Knex } from 'knex';
import { groupsOf, HYBRIS_TEAM, user } from '../../__testUtils__/org';
import { ReleaseService, type Actor } from '../../service/ReleaseService';
import { DeployEngine, type DeployEngineOptions } from '../DeployEngine';
import type { RunStepContext, StepExecutor, StepResult } from '../types';

export const person = (name: string): Actor => ({
  ref: user(name),
  groups: groupsOf(user(name)),
  isAdmin: false,
});
/** The author, the PL who approves grade B, the director who signs off, a team lead. */
export const dev = person('kim.minjun');
export const pl = person('choi.yuna');
export const director = person('seo.yeongho');
export const lead = person('han.jisoo');

/** Wednesday 2026-11-25 11:00 in Seoul: inside the default release window. */
export const inWindow = new Date('2026-11-25T02:00:00Z');

/** The release core over one connection pool, at a fixed time inside the window. */
export function releaseService(
  knex: Knex,
  now = () => inWindow,
  /** Nudged after each write, as the backend nudges its release messages. */
  messages?: { nudge(): void },
) {
  return new ReleaseService({
    knex,
    logger: mockServices.logger.mock(),
    policy: defaultGradePolicy,
    product: 'kop',
    strategies: {
      hybris: 'blue-green-steps',
      cms: 'branch-merge-sync',
      web: 'sync',
    },
    defaultSteps: [3, 6, 9],
    versions: async () => undefined,
    serviceTeamsOf: async (_apps: ReleaseApp[]) => [HYBRIS_TEAM],
    now,
    ...(messages ? { messages } : {}),
  });
}

/** A hybris deploy-2026-11-25 release of `grade` with its one MR, as the Prepare form sends it. */
export function hybrisRelease(grade: ReleaseGrade = 'B'): CreateReleaseRequest {
  return {
    grade,
    dbUpdate: false,
    apps: [{ app: 'hybris', version: 'deploy-2026-11-25' }],
    items: [
      {
        title: '[HYBRIS] 푸터 대표이사 성명 변경',
        app: 'hybris',
        source: { type: 'mr', project: 'kop/hybris', iid: 412 },
      },
    ],
  };
}

/** A hybris release of `grade`, approved by its PL unless it is grade E (deployed first). */
export async function approvedRelease(
  releases: ReleaseService,
  grade: ReleaseGrade = 'B',
) {
  const ctx = { requestId: 'test' };
  const r = await releases.create(dev, hybrisRelease(grade), ctx);
  if (grade === 'E') return r;
  await releases.requestApproval(dev, r.id, ctx);
  return releases.decide(
    grade === 'B' ? pl : lead,
    r.id,
    { decision: 'approve', stage: 'approval' },
    ctx,
  );
}

/** A plan step that changes nothing real: only its id, phase and gate matter to the runner. */
export function fakeStep(
  id: string,
  phase: DeployPlanStep['phase'] = 'deploying',
  gate: DeployPlanStep['gate'] = { type: 'none' },
): DeployPlanStep {
  return {
    id,
    kind: gate.type === 'approval' ? 'wait' : 'git',
    phase,
    title: `Fake step ${id}`,
    sync: [],
    gate,
  };
}

export function fakePlan(
  releaseId: string,
  steps: DeployPlanStep[],
): DeployPlan {
  return {
    releaseId,
    environment: 'prod',
    iac: {
      project: 'kop/kop-deploy-prod',
      branch: 'main',
      baseSha: 'a'.repeat(40),
    },
    steps,
    expectedMs: 0,
    fingerprint: 'f'.repeat(64),
    notes: [],
  };
}

/** The sign-off every plan ends its deploy with, before the switch or the announcement. */
export const signoffStep = () =>
  fakeStep('signoff', 'awaiting_signoff', {
    type: 'approval',
    stage: 'signoff',
    roles: ['superior'],
  });

/** A superior signs off as soon as the release asks for it; false until then. */
export async function signOffWhenAsked(
  releases: ReleaseService,
  releaseId: string,
): Promise<boolean> {
  const release = await releases.get(releaseId);
  if (release.state !== 'awaiting_signoff') return false;
  await releases.decide(
    director,
    releaseId,
    { decision: 'approve', stage: 'signoff' },
    { requestId: 'signoff' },
  );
  return true;
}

/** The phases of a blue/green release, one fake step each, the sign-off waiting for its approver. */
export function phasedPlan(releaseId: string) {
  return fakePlan(releaseId, [
    fakeStep('hybris.image'),
    fakeStep('hybris.scale-up.3'),
    signoffStep(),
    fakeStep('hybris.switch', 'switching'),
    fakeStep('announce', 'announced'),
    fakeStep('hybris.scale-down.0', 'scaling_down'),
  ]);
}

type Behaviour = (
  step: DeployPlanStep,
  ctx: RunStepContext,
  world: FakeWorld,
) => Promise<StepResult>;

/**
 * Steps against a fake world that counts what really happened. The default step is
 * level-triggered: it applies its change only when the world does not hold it yet.
 */
export class FakeWorld implements StepExecutor {
  /** run:step → calls of the executor. */
  readonly calls = new Map<string, number>();
  /** run:step:effect → times the world was really changed. */
  readonly effects = new Map<string, number>();
  /** Every call in order, with what it was handed. */
  readonly log: Array<{
    key: string;
    previousOutputs?: object;
    approvals?: RunStepContext['approvals'];
  }> = [];
  private readonly behaviours = new Map<string, Behaviour>();

  on(stepId: string, behaviour: Behaviour): this {
    this.behaviours.set(stepId, behaviour);
    return this;
  }

  /** Changes the world once, whoever asks how often. */
  apply(ctx: RunStepContext, step: DeployPlanStep, effect: string) {
    const key = `${ctx.runId}:${step.id}:${effect}`;
    if (this.effects.has(key)) return false;
    this.effects.set(key, 1);
    return true;
  }

  /** Changes the world every time it is asked: only a runner that never repeats a call keeps it at 1. */
  act(ctx: RunStepContext, step: DeployPlanStep, effect: string) {
    const key = `${ctx.runId}:${step.id}:${effect}`;
    this.effects.set(key, (this.effects.get(key) ?? 0) + 1);
  }

  callsOf(runId: string, stepId: string) {
    return this.calls.get(`${runId}:${stepId}`) ?? 0;
  }

  async executeStep(
    step: DeployPlanStep,
    ctx: RunStepContext,
  ): Promise<StepResult> {
    const key = `${ctx.runId}:${step.id}`;
    this.calls.set(key, (this.calls.get(key) ?? 0) + 1);
    this.log.push({
      key,
      previousOutputs: ctx.previousOutputs,
      approvals: ctx.approvals,
    });
    const behaviour = this.behaviours.get(step.id);
    if (behaviour) return behaviour(step, ctx, this);
    this.apply(ctx, step, 'change');
    return { status: 'done', outputs: { changed: true } };
  }
}

/** A sign-off step that waits until the release's sign-off is given. */
export const waitForSignoff: Behaviour = async (_step, ctx) =>
  ctx.approvals?.signoff
    ? { status: 'done', outputs: { givenBy: ctx.approvals.signoff.by } }
    : {
        status: 'waiting',
        reason: 'Waiting for the sign-off',
        wakeAfterMs: 60_000,
        outputs: {},
      };

export function engineOver(
  knex: Knex,
  executor: StepExecutor,
  options: Partial<DeployEngineOptions> = {},
) {
  return new DeployEngine({
    knex,
    releases: options.releases ?? releaseService(knex),
    executor,
    logger: mockServices.logger.mock(),
    ...options,
  });
}

/** Ticks until `done` holds, or fails after `rounds`. */
export async function tickUntil(
  engines: DeployEngine[],
  done: () => Promise<boolean>,
  rounds = 200,
) {
  for (let i = 0; i < rounds; i++) {
    await Promise.all(engines.map(e => e.tick()));
    await Promise.all(engines.map(e => e.idle()));
    if (await done()) return;
    await new Promise(r => setTimeout(r, 5));
  }
  throw new Error(`Not done after ${rounds} ticks`);
}

/** Waits until `check` holds, or fails after `ms`. */
export async function eventually(check: () => boolean, ms = 5_000) {
  const until = Date.now() + ms;
  while (!check()) {
    if (Date.now() > until) throw new Error(`Still not so after ${ms} ms`);
    await new Promise(r => setTimeout(r, 10));
  }
}

/** A second connection pool to the same PostgreSQL database: another backend replica. */
export function secondPool(knex: Knex): Knex {
  return knexFactory({
    client: 'pg',
    connection: knex.client.config.connection,
    pool: { min: 0, max: 5 },
  });
}

/**
 * A connection that can be cut and healed, as a backend cut off from its database (or killed)
 * sees it: every query and transaction started while cut fails.
 */
export function severable(knex: Knex) {
  let cut = false;
  const lost = () => new Error('Connection terminated unexpectedly');
  const connection = new Proxy(knex, {
    apply(target, thisArg, args) {
      if (cut) throw lost();
      return Reflect.apply(target, thisArg, args);
    },
    get(target, property, receiver) {
      if (property === 'transaction') {
        return (...args: unknown[]) =>
          cut
            ? Promise.reject(lost())
            : (target.transaction as (...a: unknown[]) => unknown)(...args);
      }
      return Reflect.get(target, property, receiver);
    },
  });
  return {
    knex: connection,
    cut: () => {
      cut = true;
    },
    heal: () => {
      cut = false;
    },
  };
}

/** A promise and the function that settles it. */
export function deferred<T = void>() {
  let resolve!: (value: T) => void;
  const promise = new Promise<T>(r => {
    resolve = r;
  });
  return { promise, resolve };
}
