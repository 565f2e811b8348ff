import { ConflictError } from '@backstage/errors';
import type { StepProgress } from '@internal/plugin-release-node';
import {
  createTestDatabases,
  databaseIds,
  initMigrated,
} from '../__testUtils__/databases';
import {
  approvedRelease,
  dev,
  engineOver,
  fakePlan,
  fakeStep,
  FakeWorld,
  lead,
  releaseService,
  tickUntil,
} from './__testUtils__/engineWorld';
import {
  isGateFailure,
  type DeployEngine,
  type DeployNews,
  type GateFailure,
} from './DeployEngine';
import type { DeployRun } from './types';

jest.setTimeout(60_000);

type Failed = Extract<StepProgress, { status: 'failed' }>;

/** A failed step as the release-node executor reports it. */
const failed = (result: Omit<Failed, 'status' | 'outputs'>): Failed => ({
  status: 'failed',
  outputs: {},
  ...result,
});

const notJoined = {
  checks: [
    { name: 'pods-ready', ok: true, detail: 'pods 3/3 ready' },
    { name: 'cluster-status', ok: false, detail: 'JGroups view 2/3' },
  ],
};

/** The gate failures the executor reports: a hybris gate, an app never Healthy, the watch's breach. */
const gateFailures: Array<[string, Failed]> = [
  [
    'the hybris gate not passing within its limit',
    failed({
      error:
        'the gate of hybris green in prod did not pass within 4 s: waiting for cluster-status: JGroups view 2/3',
      retryable: false,
      readings: notJoined,
    }),
  ],
  [
    'an app never turning Healthy',
    failed({
      error:
        'hybris-green turning Healthy did not pass within 30 min: waiting for hybris-green: Degraded, Synced',
      retryable: false,
      readings: {
        checks: [
          { name: 'hybris-green', ok: false, detail: 'Degraded, Synced' },
        ],
      },
    }),
  ],
  [
    'a breach in the watch after the switch',
    failed({
      error:
        'the watch of hybris green in prod after the switch: error-rate: 0.8 is above the max 0.5',
      retryable: false,
      breach: true,
      readings: {
        checks: [
          {
            name: 'error-rate',
            ok: false,
            value: 0.8,
            max: 0.5,
            detail: '0.8 is above the max 0.5',
          },
        ],
      },
    }),
  ],
];

/** Failures that are not the gate's: a system's error, a conflict, a step the engine cannot run. */
const otherFailures: Array<[string, Failed]> = [
  [
    'GitLab answering 5xx on every try',
    failed({
      error: 'GitLab: commit to kop/kop-deploy-prod failed (HTTP 502)',
      retryable: true,
      system: 'GitLab',
    }),
  ],
  [
    'a conflict with a commit that landed meanwhile',
    failed({
      error:
        'IaC kop/kop-deploy-prod: hybris/values-green.yaml changed since the plan; nothing was committed, approve the plan again',
      retryable: false,
      system: 'GitLab',
      conflict: true,
    }),
  ],
  [
    'Prometheus down while the gate reads',
    failed({
      error: 'Prometheus: read the gate of hybris green in prod failed (503)',
      retryable: true,
      system: 'Prometheus',
      readings: notJoined,
    }),
  ],
  [
    'a gate the engine was given no systems for',
    failed({
      error:
        'the gate of hybris green in prod needs Prometheus and hybris, and the engine was given neither',
      retryable: false,
    }),
  ],
];

describe('isGateFailure', () => {
  it.each(gateFailures)('is true of %s', (_what, result) => {
    expect(isGateFailure(result)).toBe(true);
  });

  it.each(otherFailures)('is false of %s', (_what, result) => {
    expect(isGateFailure(result)).toBe(false);
  });
});

describe.each(databaseIds)(
  'DeployEngine with onStepFailure abort on %s',
  databaseId => {
    const databases = createTestDatabases();
    const engines: DeployEngine[] = [];

    afterEach(async () => {
      await Promise.all(engines.splice(0).map(e => e.stop()));
    });

    /** An engine whose prod aborts on a failed gate, recording what it asked to abort and told. */
    async function setUp(
      abortRun: (
        run: DeployRun,
        failure: GateFailure,
      ) => Promise<unknown> = async () => undefined,
    ) {
      const knex = await initMigrated(databases, databaseId);
      const releases = releaseService(knex);
      const world = new FakeWorld();
      const asked: Array<{ runId: string; failure: GateFailure }> = [];
      const told: DeployNews[] = [];
      const engine = engineOver(knex, world, {
        releases,
        maxAttempts: 2,
        backoffMs: 1,
        onStepFailure: environment =>
          environment === 'prod' ? 'abort' : 'pause',
        abortRun: async (run, failure) => {
          asked.push({ runId: run.id, failure });
          return abortRun(run, failure);
        },
        tell: async (_run, news) => {
          told.push(news);
        },
      });
      engines.push(engine);
      return { releases, world, engine, asked, told };
    }

    const twoSteps = (releaseId: string) =>
      fakePlan(releaseId, [
        fakeStep('hybris.image'),
        fakeStep('hybris.scale-up.3'),
        fakeStep('hybris.scale-up.6'),
      ]);

    /** Ticks the run until it stops, retries' waits included. */
    async function runToStop(engine: DeployEngine, runId: string) {
      const stopped = async () =>
        !['running', 'waiting'].includes((await engine.get(runId))!.state);
      await tickUntil([engine], stopped);
      return (await engine.get(runId))!;
    }

    it.each(gateFailures)(
      'a deploy stopped by %s is paused, then the abort is asked for once and the team told once that it aborts',
      async (_what, result) => {
        let stateWhenAsked: string | undefined;
        const { releases, world, engine, asked, told } = await setUp(
          async run => {
            stateWhenAsked = (await engine.get(run.id))?.state;
          },
        );
        const r = await approvedRelease(releases);
        world.on('hybris.scale-up.3', async () => result);
        const run = await engine.start({ plan: twoSteps(r.id), by: dev });
        const stopped = await runToStop(engine, run.id);

        expect(stopped.steps.map(s => s.state)).toEqual([
          'done',
          'failed',
          'pending',
        ]);
        expect(stateWhenAsked).toBe('paused');
        const failure = {
          step: 1,
          stepId: 'hybris.scale-up.3',
          error: result.error,
        };
        expect(asked).toEqual([{ runId: run.id, failure }]);
        expect(told).toEqual([
          { event: 'aborting', stepId: failure.stepId, message: result.error },
        ]);
        expect(world.callsOf(run.id, 'hybris.scale-up.3')).toBe(1);
        const rows = (
          await releases.audit.list({ releaseId: r.id, limit: 500 })
        ).filter(row => row.action === 'deploy.step.fail');
        expect(rows.map(row => row.meta)).toEqual([
          expect.objectContaining({
            stepId: 'hybris.scale-up.3',
            run: 'paused',
            then: 'abort',
          }),
        ]);
      },
    );

    it.each(otherFailures)(
      'a deploy stopped by %s pauses: no abort, the team told once',
      async (_what, result) => {
        const { releases, world, engine, asked, told } = await setUp();
        const r = await approvedRelease(releases);
        world.on('hybris.scale-up.3', async () => result);
        const run = await engine.start({ plan: twoSteps(r.id), by: dev });
        const stopped = await runToStop(engine, run.id);

        expect(stopped.state).toBe('paused');
        expect(stopped.steps[1]).toMatchObject({
          state: 'failed',
          lastError: result.error,
        });
        expect((await releases.get(r.id)).state).toBe('paused');
        expect(asked).toEqual([]);
        expect(told).toEqual([
          {
            event: 'paused',
            stepId: 'hybris.scale-up.3',
            message: result.error,
          },
        ]);
        const rows = (
          await releases.audit.list({ releaseId: r.id, limit: 500 })
        ).filter(row => row.action === 'deploy.step.fail');
        expect(rows.map(row => row.meta?.then)).not.toContain('abort');
      },
    );

    it('a gate failing in an abort run pauses it: the engine never aborts an abort', async () => {
      const { releases, world, engine, asked, told } = await setUp();
      const r = await approvedRelease(releases);
      world.on('hybris.image', async () => otherFailures[1][1]);
      const deploy = await engine.start({ plan: twoSteps(r.id), by: dev });
      await runToStop(engine, deploy.id);
      world.on('abort.hybris.scale-down.new.0', async () => gateFailures[0][1]);
      const abort = await engine.start({
        plan: fakePlan(r.id, [fakeStep('abort.hybris.scale-down.new.0')]),
        kind: 'abort',
        by: lead,
      });
      const stopped = await runToStop(engine, abort.id);

      expect(stopped.state).toBe('paused');
      expect(stopped.steps[0].state).toBe('failed');
      expect(asked).toEqual([]);
      expect(told.map(news => [news.event, news.stepId])).toEqual([
        ['paused', 'hybris.image'],
        ['paused', 'abort.hybris.scale-down.new.0'],
      ]);
    });

    it('an abort that cannot start leaves the deploy paused, and the team is told once why', async () => {
      const { releases, world, engine, asked, told } = await setUp(async () => {
        throw new ConflictError(
          'hybris: the live colour could not be read from IaC',
        );
      });
      const r = await approvedRelease(releases);
      const [, result] = gateFailures[0];
      world.on('hybris.scale-up.3', async () => result);
      const run = await engine.start({ plan: twoSteps(r.id), by: dev });
      const stopped = await runToStop(engine, run.id);

      expect(stopped.state).toBe('paused');
      expect((await releases.get(r.id)).state).toBe('paused');
      expect(asked).toHaveLength(1);
      expect(told).toEqual([
        {
          event: 'paused',
          stepId: 'hybris.scale-up.3',
          message: `${result.error}; the abort could not start: hybris: the live colour could not be read from IaC`,
        },
      ]);
    });
  },
);
