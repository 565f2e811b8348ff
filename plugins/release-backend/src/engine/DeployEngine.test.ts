import { mockServices } from '@backstage/backend-test-utils';
import { ConflictError, InputError } from '@backstage/errors';
import type { Knex } from 'knex';
import {
  createTestDatabases,
  databaseIds,
  initMigrated,
} from '../__testUtils__/databases';
import type { ReleaseService } from '../service/ReleaseService';
import {
  approvedRelease,
  deferred,
  dev,
  eventually,
  director,
  engineOver,
  fakePlan,
  fakeStep,
  FakeWorld,
  lead,
  phasedPlan,
  releaseService,
  secondPool,
  severable,
  signOffWhenAsked,
  signoffStep,
  tickUntil,
  waitForSignoff,
} from './__testUtils__/engineWorld';
import type { DeployEngine } from './DeployEngine';
import type { StepExecutor } from './types';

jest.setTimeout(60_000);

const ENGINE = 'plugin:release/engine';

describe.each(databaseIds)('DeployEngine on %s', databaseId => {
  const databases = createTestDatabases();
  const engines: DeployEngine[] = [];
  const pools: Knex[] = [];

  afterEach(async () => {
    await Promise.all(engines.splice(0).map(e => e.stop()));
    await Promise.all(pools.splice(0).map(p => p.destroy()));
  });

  async function setUp(options: Parameters<typeof engineOver>[2] = {}) {
    const knex = await initMigrated(databases, databaseId);
    const releases = releaseService(knex);
    const world = new FakeWorld();
    const engine = engineOver(knex, world, { releases, ...options });
    engines.push(engine);
    return { knex, releases, world, engine };
  }

  const engineRows = async (releases: ReleaseService, releaseId: string) =>
    (await releases.audit.list({ releaseId, limit: 500 })).filter(
      row => row.actor === ENGINE,
    );

  it('runs a plan to done in order, the release following each step’s phase', async () => {
    const { knex, releases, world } = await setUp();
    const r = await approvedRelease(releases);
    world.on('signoff', waitForSignoff);
    const seen: Array<[string, string]> = [];
    const watching: StepExecutor = {
      async executeStep(step, ctx) {
        seen.push([step.id, (await releases.get(r.id)).state]);
        return world.executeStep(step, ctx);
      },
    };
    const watched = engineOver(knex, watching, { releases });
    engines.push(watched);

    const run = await watched.start({
      plan: phasedPlan(r.id),
      by: dev,
      requestId: 'press-deploy-1',
    });
    await watched.idle();
    expect(await watched.get(run.id)).toMatchObject({
      state: 'waiting',
      startedBy: dev.ref,
      steps: [
        { state: 'done' },
        { state: 'done' },
        { state: 'waiting', waitingReason: 'Waiting for the sign-off' },
        { state: 'pending' },
        { state: 'pending' },
        { state: 'pending' },
      ],
    });
    expect((await releases.get(r.id)).state).toBe('awaiting_signoff');

    await releases.decide(
      director,
      r.id,
      { decision: 'approve', stage: 'signoff' },
      { requestId: 'signoff-1' },
    );
    await watched.wake(run.id);
    await watched.idle();

    expect(seen).toEqual([
      ['hybris.image', 'deploying'],
      ['hybris.scale-up.3', 'deploying'],
      ['signoff', 'awaiting_signoff'],
      ['signoff', 'switching'],
      ['hybris.switch', 'switching'],
      ['announce', 'announced'],
      ['hybris.scale-down.0', 'scaling_down'],
    ]);
    expect(world.log[3].approvals).toEqual({
      signoff: { by: director.ref, at: expect.any(String) },
    });
    const done = await watched.get(run.id);
    expect(done?.state).toBe('done');
    expect(done?.steps.map(s => s.state)).toEqual(Array(6).fill('done'));
    expect(await watched.activeRunOf(r.id)).toBeUndefined();
    expect((await releases.get(r.id)).state).toBe('done');
    expect([...world.effects.entries()].filter(([, n]) => n !== 1)).toEqual([]);

    const rows = await engineRows(releases, r.id);
    expect(rows.every(row => row.meta?.onBehalfOf === dev.ref)).toBe(true);
    const moves = rows
      .filter(row => row.action === 'release.engine-move')
      .map(row => [
        (row.before as { state: string }).state,
        (row.after as { state: string }).state,
      ]);
    expect(moves).toEqual([
      ['approved', 'deploying'],
      ['deploying', 'awaiting_signoff'],
      ['switching', 'announced'],
      ['announced', 'scaling_down'],
      ['scaling_down', 'done'],
    ]);
    expect(
      rows
        .filter(row => row.action === 'deploy.step.done')
        .map(row => row.meta?.stepId),
    ).toEqual(phasedPlan(r.id).steps.map(s => s.id));
    expect(rows.find(row => row.action === 'deploy.start')).toMatchObject({
      requestId: 'press-deploy-1',
      meta: { runId: run.id, kind: 'deploy', steps: 6 },
    });
    expect(await releases.audit.verify()).toMatchObject({ ok: true });
  });

  it('calls a step that threw after its side effect again with its last recorded outputs', async () => {
    const { releases, world, engine } = await setUp({ backoffMs: 5 });
    const r = await approvedRelease(releases);
    world.on('web.version', async (step, ctx, w) => {
      const out = ctx.previousOutputs as { sha?: string } | undefined;
      if (!out?.sha) {
        w.apply(ctx, step, 'commit');
        return {
          status: 'waiting',
          reason: 'web syncs',
          wakeAfterMs: 0,
          outputs: { sha: 'c0ffee1' },
        };
      }
      if (w.apply(ctx, step, 'sync')) throw new Error('socket hang up');
      return { status: 'done', outputs: { ...out, synced: true } };
    });
    world.on('signoff', waitForSignoff);
    const run = await engine.start({
      plan: fakePlan(r.id, [fakeStep('web.version'), signoffStep()]),
      by: dev,
    });
    await tickUntil([engine], async () => {
      if (await signOffWhenAsked(releases, r.id)) await engine.wake(run.id);
      return (await engine.get(run.id))?.state === 'done';
    });

    expect(
      world.log
        .filter(l => l.key === `${run.id}:web.version`)
        .map(l => l.previousOutputs),
    ).toEqual([undefined, { sha: 'c0ffee1' }, { sha: 'c0ffee1' }]);
    expect(world.effects.get(`${run.id}:web.version:commit`)).toBe(1);
    expect(world.effects.get(`${run.id}:web.version:sync`)).toBe(1);
    expect((await engine.get(run.id))?.steps[0]).toMatchObject({
      state: 'done',
      attempts: 1,
      lastError: 'socket hang up',
      outputs: { sha: 'c0ffee1', synced: true },
    });
    const failed = (await engineRows(releases, r.id)).filter(
      row => row.action === 'deploy.step.fail',
    );
    expect(failed).toMatchObject([
      {
        outcome: 'failure',
        meta: { stepId: 'web.version', retryable: true, attempt: 1 },
      },
    ]);
  });

  it('lets another backend finish a run whose backend died mid-step, once its lease expires, every side effect once', async () => {
    const knex = await initMigrated(databases, databaseId);
    const poolA = databaseId === 'POSTGRES_15' ? secondPool(knex) : knex;
    if (poolA !== knex) pools.push(poolA);
    const a = severable(poolA);
    const releasesA = releaseService(a.knex);
    const releasesB = releaseService(knex);
    const r = await approvedRelease(releasesB);
    const world = new FakeWorld();
    const synced = deferred();
    const aMayAnswer = deferred();
    let signalOfA: AbortSignal | undefined;
    world.on('hybris.scale-up.6', async (step, ctx, w) => {
      const out = ctx.previousOutputs as { sha?: string } | undefined;
      if (!out?.sha) {
        w.apply(ctx, step, 'commit');
        return {
          status: 'waiting',
          reason: 'hybris-green syncs',
          wakeAfterMs: 0,
          outputs: { sha: 'beef001' },
        };
      }
      if (w.apply(ctx, step, 'sync')) {
        // The first backend dies here: the sync is made, its answer never recorded.
        signalOfA = ctx.signal;
        synced.resolve();
        await aMayAnswer.promise;
        return { status: 'done', outputs: { ...out, recordedBy: 'a' } };
      }
      return { status: 'done', outputs: { ...out, recordedBy: 'b' } };
    });
    const lease = { leaseMs: 800, renewEveryMs: 100 };
    const loggerA = mockServices.logger.mock();
    const engineA = engineOver(a.knex, world, {
      releases: releasesA,
      logger: loggerA,
      owner: 'replica-a',
      ...lease,
    });
    const engineB = engineOver(knex, world, {
      releases: releasesB,
      owner: 'replica-b',
      ...lease,
    });
    engines.push(engineA, engineB);
    const steps = ['hybris.image', 'hybris.scale-up.3', 'hybris.scale-up.6'];
    world.on('signoff', waitForSignoff);
    const plan = fakePlan(r.id, [
      ...steps.map(id => fakeStep(id)),
      fakeStep('hybris.scale-up.9'),
      signoffStep(),
    ]);
    const run = await engineA.start({ plan, by: dev });
    await synced.promise;
    a.cut();
    try {
      // While the dead backend's lease lasts, nobody else touches the run.
      await engineB.tick();
      await engineB.idle();
      expect(world.callsOf(run.id, 'hybris.scale-up.9')).toBe(0);
      expect((await engineB.get(run.id))?.leaseOwner).toBe('replica-a');

      await tickUntil([engineB], async () => {
        if (await signOffWhenAsked(releasesB, r.id)) await engineB.wake(run.id);
        return (await engineB.get(run.id))?.state === 'done';
      });
      // Cut off past its lease, the first backend aborts its call's signal.
      await eventually(() => signalOfA?.aborted === true);
    } finally {
      // The first backend comes back and its call answers: nothing of it is recorded.
      a.heal();
      aMayAnswer.resolve();
    }
    await engineA.idle();
    expect(loggerA.warn).toHaveBeenCalledWith(
      `The lease on deploy run ${run.id} was taken by another backend`,
    );

    const done = await engineB.get(run.id);
    expect(done?.steps.map(s => s.state)).toEqual(Array(5).fill('done'));
    expect(done?.steps[2].outputs).toEqual({
      sha: 'beef001',
      recordedBy: 'b',
    });
    expect(
      world.log
        .filter(l => l.key === `${run.id}:hybris.scale-up.6`)
        .map(l => l.previousOutputs),
    ).toEqual([undefined, { sha: 'beef001' }, { sha: 'beef001' }]);
    expect(Object.fromEntries(world.effects)).toEqual({
      [`${run.id}:hybris.image:change`]: 1,
      [`${run.id}:hybris.scale-up.3:change`]: 1,
      [`${run.id}:hybris.scale-up.6:commit`]: 1,
      [`${run.id}:hybris.scale-up.6:sync`]: 1,
      [`${run.id}:hybris.scale-up.9:change`]: 1,
    });
    const rows = await engineRows(releasesB, r.id);
    expect(
      rows
        .filter(row => row.action === 'deploy.step.done')
        .map(row => row.meta?.stepId),
    ).toEqual(plan.steps.map(s => s.id));
    expect((await releasesB.get(r.id)).state).toBe('done');
    expect(await releasesB.audit.verify()).toMatchObject({ ok: true });
  });

  it('pauses a waiting gate at once, and after the running step otherwise', async () => {
    const { releases, world, engine } = await setUp();
    const r = await approvedRelease(releases);
    const inFlight = deferred();
    const answer = deferred();
    world.on('hybris.scale-up.3', async () => {
      inFlight.resolve();
      await answer.promise;
      return { status: 'done', outputs: {} };
    });
    world.on('hybris.scale-up.6', async () => ({
      status: 'waiting',
      reason: 'JGroups view 4/6',
      readings: { checks: [{ name: 'cluster-status', ok: false }] },
      wakeAfterMs: 60_000,
      outputs: {},
    }));
    const plan = fakePlan(r.id, [
      fakeStep('hybris.scale-up.3'),
      fakeStep('hybris.scale-up.6'),
    ]);
    const run = await engine.start({ plan, by: dev });
    await inFlight.promise;

    const paused = await engine.pause(run.id, { person: lead.ref });
    expect(paused).toMatchObject({
      state: 'paused',
      steps: [{ state: 'running' }, { state: 'pending' }],
    });
    answer.resolve();
    await engine.idle();
    expect(await engine.get(run.id)).toMatchObject({
      state: 'paused',
      steps: [{ state: 'done' }, { state: 'pending' }],
    });
    expect(world.callsOf(run.id, 'hybris.scale-up.6')).toBe(0);
    expect((await releases.get(r.id)).state).toBe('paused');

    await engine.resume(run.id, { person: dev.ref });
    await engine.idle();
    expect(await engine.get(run.id)).toMatchObject({
      state: 'waiting',
      steps: [
        { state: 'done' },
        {
          state: 'waiting',
          waitingReason: 'JGroups view 4/6',
          readings: { checks: [{ name: 'cluster-status', ok: false }] },
        },
      ],
    });
    expect(await engine.pause(run.id, { person: lead.ref })).toMatchObject({
      state: 'paused',
    });
    await expect(engine.pause(run.id, { person: lead.ref })).rejects.toThrow(
      ConflictError,
    );
    await engine.tick();
    await engine.wake(run.id);
    expect(world.callsOf(run.id, 'hybris.scale-up.6')).toBe(1);
  });

  it('audits pause, resume, retry and skip with the person who pressed them', async () => {
    const { releases, world, engine } = await setUp();
    const r = await approvedRelease(releases);
    let ready = false;
    let conflicts = 1;
    world
      .on('hybris.scale-up.3', async () =>
        ready
          ? { status: 'done', outputs: { gate: 'passed' } }
          : {
              status: 'waiting',
              reason: 'pods 1/3 ready',
              wakeAfterMs: 60_000,
              outputs: { gate: 'watching' },
            },
      )
      .on('hybris.scale-up.6', async () =>
        conflicts-- > 0
          ? {
              status: 'failed',
              error: 'someone else changed hybris/values-green.yaml',
              retryable: false,
              outputs: { sync: 2 },
            }
          : { status: 'done', outputs: {} },
      )
      .on('hybris.scale-up.9', async () => ({
        status: 'waiting',
        reason: 'error-rate 0.8 is above the max 0.5',
        wakeAfterMs: 60_000,
        outputs: {},
      }))
      .on('signoff', waitForSignoff);
    const plan = fakePlan(r.id, [
      fakeStep('hybris.image'),
      fakeStep('hybris.scale-up.3'),
      fakeStep('hybris.scale-up.6'),
      fakeStep('hybris.scale-up.9'),
      signoffStep(),
    ]);
    const run = await engine.start({ plan, by: dev });
    await engine.idle();
    expect((await engine.get(run.id))?.state).toBe('waiting');

    await engine.pause(run.id, { person: lead.ref, requestId: 'pause-1' });
    expect((await releases.get(r.id)).state).toBe('paused');
    ready = true;
    await engine.resume(run.id, { person: dev.ref, requestId: 'resume-1' });
    await engine.idle();

    // A step that fails for good pauses its run, and with it the release.
    expect(await engine.get(run.id)).toMatchObject({
      state: 'paused',
      steps: [
        { state: 'done' },
        { state: 'done' },
        {
          state: 'failed',
          attempts: 1,
          lastError: 'someone else changed hybris/values-green.yaml',
        },
        { state: 'pending' },
        { state: 'pending' },
      ],
    });
    expect((await releases.get(r.id)).state).toBe('paused');
    await expect(engine.resume(run.id, { person: dev.ref })).rejects.toThrow(
      'steps[2]: hybris.scale-up.6 failed; retry or skip it',
    );
    await expect(engine.retry(run.id, 1, { person: lead.ref })).rejects.toThrow(
      ConflictError,
    );

    await engine.retry(run.id, 2, { person: lead.ref, requestId: 'retry-1' });
    await engine.idle();
    const retried = world.log.filter(
      l => l.key === `${run.id}:hybris.scale-up.6`,
    );
    expect(retried.map(l => l.previousOutputs)).toEqual([undefined, undefined]);
    expect(await engine.get(run.id)).toMatchObject({
      state: 'waiting',
      steps: [
        { state: 'done' },
        { state: 'done' },
        { state: 'done', attempts: 0 },
        { state: 'waiting' },
        { state: 'pending' },
      ],
    });

    await expect(
      engine.skip(run.id, 3, 'stuck', { person: lead.ref }),
    ).rejects.toThrow(InputError);
    const reason = 'error-rate reads a known Prometheus glitch (INC-2291)';
    await expect(
      engine.skip(run.id, 3, reason, { person: lead.ref }),
    ).rejects.toThrow('pause it before skipping a step');
    await engine.pause(run.id, { person: lead.ref, requestId: 'pause-2' });
    await expect(
      engine.skip(run.id, 4, reason, { person: lead.ref }),
    ).rejects.toThrow('which nobody can skip');
    await engine.skip(run.id, 3, reason, {
      person: lead.ref,
      requestId: 'skip-1',
    });
    await engine.resume(run.id, { person: dev.ref, requestId: 'resume-2' });
    await engine.idle();
    expect(await engine.get(run.id)).toMatchObject({
      state: 'waiting',
      steps: [
        { state: 'done' },
        { state: 'done' },
        { state: 'done' },
        { state: 'skipped', skipReason: reason },
        { state: 'waiting' },
      ],
    });
    expect((await releases.get(r.id)).state).toBe('awaiting_signoff');

    const controls = (await engineRows(releases, r.id))
      .filter(row =>
        [
          'deploy.pause',
          'deploy.resume',
          'deploy.retry',
          'deploy.skip',
        ].includes(row.action),
      )
      .map(row => [row.action, row.meta?.onBehalfOf, row.requestId]);
    expect(controls).toEqual([
      ['deploy.pause', lead.ref, 'pause-1'],
      ['deploy.resume', dev.ref, 'resume-1'],
      ['deploy.retry', lead.ref, 'retry-1'],
      ['deploy.pause', lead.ref, 'pause-2'],
      ['deploy.skip', lead.ref, 'skip-1'],
      ['deploy.resume', dev.ref, 'resume-2'],
    ]);
    const rows = await engineRows(releases, r.id);
    expect(rows.find(row => row.action === 'deploy.skip')?.meta).toMatchObject({
      runId: run.id,
      step: 3,
      stepId: 'hybris.scale-up.9',
      reason,
    });
    expect(rows.find(row => row.action === 'deploy.retry')?.meta).toMatchObject(
      {
        step: 2,
        lastError: 'someone else changed hybris/values-green.yaml',
        previousOutputs: { sync: 2 },
      },
    );
    expect(
      rows
        .filter(
          row =>
            row.action === 'release.engine-move' && row.requestId === 'pause-1',
        )
        .map(row => (row.after as { state: string }).state),
    ).toEqual(['paused']);
    expect(await releases.audit.verify()).toMatchObject({ ok: true });
  });

  it('retries a retryable failure with backoff, then fails the step after the bound and pauses', async () => {
    const { releases, world, engine } = await setUp({
      maxAttempts: 3,
      backoffMs: 5,
    });
    const r = await approvedRelease(releases);
    world.on('web.version', async () => ({
      status: 'failed',
      error: 'Argo CD answered 503',
      retryable: true,
    }));
    const run = await engine.start({
      plan: fakePlan(r.id, [fakeStep('web.version')]),
      by: dev,
    });
    await tickUntil(
      [engine],
      async () => (await engine.get(run.id))?.state === 'paused',
    );
    expect(world.callsOf(run.id, 'web.version')).toBe(3);
    expect((await engine.get(run.id))?.steps[0]).toMatchObject({
      state: 'failed',
      attempts: 3,
      lastError: 'Argo CD answered 503',
    });
    expect((await releases.get(r.id)).state).toBe('paused');
    const failures = (await engineRows(releases, r.id)).filter(
      row => row.action === 'deploy.step.fail',
    );
    expect(failures.map(row => row.meta?.attempt)).toEqual([1, 2, 3]);
    expect(failures.map(row => row.meta?.retryAt !== undefined)).toEqual([
      true,
      true,
      false,
    ]);
    expect(failures[2].meta).toMatchObject({ run: 'paused' });
  });

  it('fails the run and the release when the environment says a failed step fails', async () => {
    const { releases, world, engine } = await setUp({
      onStepFailure: environment => (environment === 'prod' ? 'fail' : 'pause'),
    });
    const r = await approvedRelease(releases);
    world.on('hybris.scale-up.6', async () => ({
      status: 'failed',
      error: 'JGroups view 4/6 after 20 min',
      retryable: false,
    }));
    const run = await engine.start({
      plan: fakePlan(r.id, [
        fakeStep('hybris.scale-up.3'),
        fakeStep('hybris.scale-up.6'),
      ]),
      by: dev,
    });
    await engine.idle();
    expect((await engine.get(run.id))?.state).toBe('failed');
    expect((await releases.get(r.id)).state).toBe('failed');
    await expect(engine.retry(run.id, 1, { person: lead.ref })).rejects.toThrow(
      'a failed step is retried while its run is paused',
    );
    expect(await engine.activeRunOf(r.id)).toBeUndefined();
  });

  it('refuses a second run of a release, and a deploy of a release not approved', async () => {
    const { releases, engine, world } = await setUp();
    const r = await approvedRelease(releases);
    world.on('web.version', waitForSignoff);
    const plan = fakePlan(r.id, [fakeStep('web.version')]);
    const presses = await Promise.allSettled([
      engine.start({ plan, by: dev }),
      engine.start({ plan, by: dev }),
    ]);
    expect(presses.map(p => p.status).sort()).toEqual([
      'fulfilled',
      'rejected',
    ]);
    const refused = presses.find(
      p => p.status === 'rejected',
    ) as PromiseRejectedResult;
    expect(refused.reason).toBeInstanceOf(ConflictError);
    await expect(engine.start({ plan, by: dev })).rejects.toThrow(
      ConflictError,
    );
    expect(await engine.runsOf(r.id)).toHaveLength(1);

    const draft = await releases.create(
      dev,
      {
        grade: 'B',
        dbUpdate: false,
        apps: [{ app: 'web', version: '1.4.0' }],
        items: [
          {
            title: '[WEB] 배너 교체',
            app: 'web',
            source: { type: 'mr', project: 'kop/web', iid: 77 },
          },
        ],
      },
      { requestId: 'test' },
    );
    await expect(
      engine.start({
        plan: fakePlan(draft.id, [fakeStep('web.version')]),
        by: dev,
      }),
    ).rejects.toThrow('grade B must be approved before deploying');
    expect(await engine.runsOf(draft.id)).toEqual([]);
    await expect(
      engine.start({ plan: fakePlan(r.id, []), by: dev }),
    ).rejects.toThrow(InputError);
  });

  it('deploys grade E before approval and leaves it pending its retro approval at the end', async () => {
    const { releases, engine, world } = await setUp();
    world.on('signoff', waitForSignoff);
    const r = await approvedRelease(releases, 'E');
    expect(r.state).toBe('prepared');
    const run = await engine.start({
      plan: fakePlan(r.id, [
        fakeStep('web.version'),
        signoffStep(),
        fakeStep('announce', 'announced'),
      ]),
      by: dev,
    });
    await engine.idle();
    expect(await releases.get(r.id)).toMatchObject({
      state: 'awaiting_signoff',
      retroApprovalPending: true,
    });
    await releases.decide(
      director,
      r.id,
      { decision: 'approve', stage: 'signoff' },
      { requestId: 'signoff' },
    );
    await engine.wake(run.id);
    expect((await engine.get(run.id))?.state).toBe('done');
    expect(await releases.get(r.id)).toMatchObject({
      state: 'pending_retro_approval',
      retroApprovalPending: true,
    });
  });

  it('never moves a release past its sign-off without it, whatever the plan says', async () => {
    const { releases, engine, world } = await setUp();
    const r = await approvedRelease(releases);
    const run = await engine.start({
      plan: fakePlan(r.id, [
        fakeStep('web.version'),
        fakeStep('announce', 'announced'),
      ]),
      by: dev,
    });
    await engine.idle();
    expect(await engine.get(run.id)).toMatchObject({
      state: 'paused',
      steps: [
        { state: 'done' },
        {
          state: 'failed',
          lastError: expect.stringContaining('waits for its sign-off'),
        },
      ],
    });
    expect(world.callsOf(run.id, 'announce')).toBe(0);
    expect((await releases.get(r.id)).state).toBe('paused');
  });

  it('stops a run when a person ends its release: the superior rejects it at the sign-off', async () => {
    const { releases, world, engine } = await setUp();
    const r = await approvedRelease(releases);
    world.on('signoff', waitForSignoff);
    const run = await engine.start({
      plan: fakePlan(r.id, [
        fakeStep('hybris.scale-up.3'),
        signoffStep(),
        fakeStep('announce', 'announced'),
      ]),
      by: dev,
    });
    await engine.idle();
    expect((await releases.get(r.id)).state).toBe('awaiting_signoff');
    // Closing by hand is refused while it deploys: only Abort ends it, reverting what it did.
    await expect(
      releases.transition(dev, r.id, { to: 'aborted' }, { requestId: 'close' }),
    ).rejects.toThrow('abort it with Abort');
    await engine.wake(run.id);
    expect((await engine.get(run.id))?.state).toBe('waiting');

    await releases.decide(
      director,
      r.id,
      { decision: 'reject', stage: 'signoff', comment: '결제 테스트 실패' },
      { requestId: 'reject' },
    );
    await engine.wake(run.id);
    expect(await engine.get(run.id)).toMatchObject({
      state: 'aborted',
      steps: [{ state: 'done' }, { state: 'waiting' }, { state: 'pending' }],
    });
    expect(world.callsOf(run.id, 'signoff')).toBe(2);
    expect(world.callsOf(run.id, 'announce')).toBe(0);
    expect((await releases.get(r.id)).state).toBe('rejected');
    expect(
      (await engineRows(releases, r.id)).find(
        row => row.action === 'deploy.halt',
      )?.meta,
    ).toMatchObject({ reason: 'the release is rejected' });
  });

  it('takes the release back to deploying when its paused run resumes', async () => {
    const { releases, world, engine } = await setUp();
    const r = await approvedRelease(releases);
    world.on('hybris.scale-up.3', async () => ({
      status: 'waiting',
      reason: 'pods 2/3 ready',
      wakeAfterMs: 60_000,
    }));
    const run = await engine.start({
      plan: fakePlan(r.id, [fakeStep('hybris.scale-up.3'), signoffStep()]),
      by: dev,
    });
    await engine.idle();
    await engine.pause(run.id, { person: lead.ref });
    expect((await releases.get(r.id)).state).toBe('paused');
    await engine.resume(run.id, { person: lead.ref });
    await engine.idle();
    expect((await engine.get(run.id))?.state).toBe('waiting');
    expect((await releases.get(r.id)).state).toBe('deploying');
  });

  it('ends the release aborted by an abort plan of no steps, which changes nothing', async () => {
    const { releases, world, engine } = await setUp();
    const r = await approvedRelease(releases);
    world.on('hybris.image', async () => ({
      status: 'failed',
      error: 'GitLab answered 403',
      retryable: false,
    }));
    const deploy = await engine.start({
      plan: fakePlan(r.id, [fakeStep('hybris.image')]),
      by: dev,
    });
    await engine.idle();
    expect((await engine.get(deploy.id))?.state).toBe('paused');
    const abort = await engine.start({
      plan: fakePlan(r.id, []),
      kind: 'abort',
      by: lead,
    });
    await engine.idle();
    expect(await engine.get(abort.id)).toMatchObject({
      state: 'done',
      steps: [],
    });
    expect((await engine.get(deploy.id))?.state).toBe('aborted');
    expect((await releases.get(r.id)).state).toBe('aborted');
    expect(world.effects.size).toBe(0);
  });

  it('ends the paused deploy run when an abort run starts, and the abort run closes the release', async () => {
    const { releases, world, engine } = await setUp();
    const r = await approvedRelease(releases);
    world.on('hybris.scale-up.6', async () => ({
      status: 'waiting',
      reason: 'JGroups view 4/6',
      wakeAfterMs: 60_000,
    }));
    const deploy = await engine.start({
      plan: fakePlan(r.id, [
        fakeStep('hybris.scale-up.3'),
        fakeStep('hybris.scale-up.6'),
      ]),
      by: dev,
    });
    await engine.idle();
    const abortPlan = fakePlan(r.id, [fakeStep('hybris.abort.scale-down.0')]);
    await expect(
      engine.start({ plan: abortPlan, kind: 'abort', by: lead }),
    ).rejects.toThrow('pause it before aborting');
    await engine.pause(deploy.id, { person: lead.ref });
    const abort = await engine.start({
      plan: abortPlan,
      kind: 'abort',
      by: lead,
    });
    await engine.idle();
    expect((await engine.get(deploy.id))?.state).toBe('aborted');
    expect((await engine.get(abort.id))?.state).toBe('done');
    expect((await releases.get(r.id)).state).toBe('aborted');
    expect(
      world.effects.get(`${abort.id}:hybris.abort.scale-down.0:change`),
    ).toBe(1);
  });
});
