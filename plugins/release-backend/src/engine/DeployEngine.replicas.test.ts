import type { Knex } from 'knex';
import { createTestDatabases, initMigrated } from '../__testUtils__/databases';
import {
  approvedRelease,
  dev,
  engineOver,
  fakePlan,
  fakeStep,
  releaseService,
  secondPool,
  signOffWhenAsked,
  signoffStep,
} from './__testUtils__/engineWorld';
import type { DeployEngine } from './DeployEngine';
import type { StepExecutor } from './types';

jest.setTimeout(120_000);

const RUNS = 12;
const STEPS = [
  'hybris.image',
  'hybris.scale-up.3',
  'hybris.scale-up.6',
  'hybris.scale-up.9',
  'hybris.switch',
];

/**
 * Steps that are not level-triggered at all: every first call changes the world again. Only a
 * runner that never calls a step's first part twice, on any replica, keeps each count at 1.
 */
function careless() {
  const count = (map: Map<string, number>, key: string) =>
    map.set(key, (map.get(key) ?? 0) + 1);
  const acted = new Map<string, number>();
  const finished = new Map<string, number>();
  const callsBy = new Map<string, number>();
  const executorOf = (replica: string): StepExecutor => ({
    async executeStep(step, ctx) {
      count(callsBy, replica);
      const key = `${ctx.runId}:${step.id}`;
      // A few ms of work, as a call to a system takes, so that the replicas' calls overlap.
      await new Promise(r => setTimeout(r, 5 + Math.floor(Math.random() * 10)));
      if (step.id === 'signoff') {
        return ctx.approvals?.signoff
          ? { status: 'done', outputs: {} }
          : { status: 'waiting', reason: 'sign-off', wakeAfterMs: 20 };
      }
      if (!(ctx.previousOutputs as { acted?: boolean } | undefined)?.acted) {
        count(acted, key);
        return {
          status: 'waiting',
          reason: 'syncing',
          wakeAfterMs: Math.floor(Math.random() * 10),
          outputs: { acted: true },
        };
      }
      count(finished, key);
      return { status: 'done', outputs: { acted: true } };
    },
  });
  return { acted, finished, callsBy, executorOf };
}

describe('DeployEngine on two backend replicas sharing one PostgreSQL', () => {
  const databases = createTestDatabases();
  const engines: DeployEngine[] = [];
  const pools: Knex[] = [];

  afterEach(async () => {
    await Promise.all(engines.splice(0).map(e => e.stop()));
    await Promise.all(pools.splice(0).map(p => p.destroy()));
  });

  it('runs every step of every run exactly once while both tick at once', async () => {
    const knexA = await initMigrated(databases, 'POSTGRES_15');
    const knexB = secondPool(knexA);
    pools.push(knexB);
    const releasesA = releaseService(knexA);
    const releasesB = releaseService(knexB);
    const world = careless();
    const a = engineOver(knexA, world.executorOf('a'), {
      releases: releasesA,
      owner: 'replica-a',
    });
    const b = engineOver(knexB, world.executorOf('b'), {
      releases: releasesB,
      owner: 'replica-b',
    });
    engines.push(a, b);

    const releaseIds: string[] = [];
    const runIds: string[] = [];
    for (let i = 0; i < RUNS; i++) {
      const r = await approvedRelease(releasesA);
      releaseIds.push(r.id);
      const plan = fakePlan(r.id, [
        ...STEPS.map(id => fakeStep(id)),
        signoffStep(),
        fakeStep('announce', 'announced'),
      ]);
      // Pressed on either replica, each starting its run at once as well.
      const run = await (i % 2 ? b : a).start({ plan, by: dev });
      runIds.push(run.id);
    }

    // Each replica ticks as fast as it can, as a busy cluster would, until every run is done.
    let over = false;
    const spin = async (engine: DeployEngine) => {
      while (!over) {
        await engine.tick();
        await new Promise(r => setImmediate(r));
      }
    };
    const watch = async () => {
      const deadline = Date.now() + 60_000;
      try {
        while (Date.now() < deadline) {
          await Promise.all(
            releaseIds.map(id => signOffWhenAsked(releasesA, id)),
          );
          const runs = await Promise.all(runIds.map(id => a.get(id)));
          if (runs.every(run => run?.state === 'done')) return;
          await new Promise(r => setTimeout(r, 20));
        }
        throw new Error('The runs did not finish within a minute');
      } finally {
        over = true;
      }
    };
    // Several loops per replica, so one waiting on its runs' steps does not stop the others.
    await Promise.all([watch(), ...[a, b, a, b, a, b].map(spin)]);
    await Promise.all([a.idle(), b.idle()]);

    const expected = new Map(
      runIds.flatMap(runId =>
        [...STEPS, 'announce'].map(step => [`${runId}:${step}`, 1]),
      ),
    );
    expect(new Map([...world.acted].sort())).toEqual(
      new Map([...expected].sort()),
    );
    expect(new Map([...world.finished].sort())).toEqual(
      new Map([...expected].sort()),
    );
    expect(world.callsBy.get('a')).toBeGreaterThan(0);
    expect(world.callsBy.get('b')).toBeGreaterThan(0);

    for (const id of releaseIds) {
      expect((await releasesA.get(id)).state).toBe('done');
      const done = (await releasesA.audit.list({ releaseId: id, limit: 500 }))
        .filter(row => row.action === 'deploy.step.done')
        .map(row => row.meta?.stepId);
      expect(done).toEqual([...STEPS, 'signoff', 'announce']);
    }
    expect(await releasesA.audit.verify()).toMatchObject({ ok: true });
  });
});
