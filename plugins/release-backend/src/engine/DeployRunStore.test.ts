import { randomUUID } from 'node:crypto';
import {
  createTestDatabases,
  databaseIds,
  initMigrated,
} from '../__testUtils__/databases';
import {
  approvedRelease,
  fakePlan,
  fakeStep,
  releaseService,
  secondPool,
} from './__testUtils__/engineWorld';
import { DeployRunStore, LeaseLost } from './DeployRunStore';
import type { DeployRun } from './types';

jest.setTimeout(60_000);

function newRun(releaseId: string, state: DeployRun['state'] = 'running') {
  const plan = fakePlan(releaseId, [fakeStep('web.version')]);
  const at = '2026-11-25T02:00:00.000Z';
  const run: DeployRun = {
    id: randomUUID(),
    releaseId,
    environment: 'prod',
    kind: 'deploy',
    plan,
    fingerprint: plan.fingerprint,
    state,
    startedBy: 'user:default/kim.minjun',
    wakeAt: 1000,
    revision: 1,
    createdAt: at,
    updatedAt: at,
    steps: [
      {
        index: 0,
        stepId: 'web.version',
        kind: 'git',
        state: 'pending',
        attempts: 0,
      },
    ],
  };
  return run;
}

describe.each(databaseIds)('DeployRunStore on %s', databaseId => {
  const databases = createTestDatabases();

  async function setUp() {
    const knex = await initMigrated(databases, databaseId);
    const release = await approvedRelease(releaseService(knex));
    return { knex, store: new DeployRunStore(knex), release };
  }

  it('gives a run to one backend at a time, and to another once the lease has expired', async () => {
    const { knex, store, release } = await setUp();
    const run = newRun(release.id);
    await knex.transaction(tx => store.insert(tx, run));

    expect(await store.claim(run.id, 'a', 1000, 500)).toBe(true);
    expect(await store.claim(run.id, 'b', 1200, 500)).toBe(false);
    expect(await store.due('b', 1200, 10)).toEqual([]);
    expect(await store.due('a', 1200, 10)).toEqual([run.id]);
    // Renewed at 1400, a's lease runs to 1900: b still waits at 1600.
    expect(await store.renew(run.id, 'a', 1400, 500)).toBe(true);
    expect(await store.claim(run.id, 'b', 1600, 500)).toBe(false);

    expect(await store.claim(run.id, 'b', 1901, 500)).toBe(true);
    expect(await store.renew(run.id, 'a', 1950, 500)).toBe(false);
    expect(await store.get(run.id)).toMatchObject({
      leaseOwner: 'b',
      leaseExpiresAt: 2401,
    });

    await store.release(run.id, 'a');
    expect((await store.get(run.id))?.leaseOwner).toBe('b');
    await store.release(run.id, 'b');
    expect(await store.claim(run.id, 'c', 1960, 500)).toBe(true);
  });

  it('gives a run claimed by two backends at the same moment to exactly one of them', async () => {
    const { knex, store, release } = await setUp();
    const other = databaseId === 'POSTGRES_15' ? secondPool(knex) : knex;
    const otherStore = new DeployRunStore(other);
    try {
      const run = newRun(release.id);
      await knex.transaction(tx => store.insert(tx, run));
      for (let round = 0; round < 25; round++) {
        const at = 10_000 + round * 1000;
        const won = await Promise.all([
          store.claim(run.id, 'a', at, 500),
          otherStore.claim(run.id, 'b', at, 500),
        ]);
        expect(won.filter(Boolean)).toHaveLength(1);
        const holder = won[0] ? 'a' : 'b';
        expect((await store.get(run.id))?.leaseOwner).toBe(holder);
        await store.release(run.id, holder);
      }
    } finally {
      if (other !== knex) await other.destroy();
    }
  });

  it('claims only a due run when asked to, and never a paused or finished one', async () => {
    const { knex, store, release } = await setUp();
    const run = newRun(release.id);
    await knex.transaction(tx => store.insert(tx, run));
    expect(await store.claim(run.id, 'a', 900, 500, 900)).toBe(false);
    expect(await store.claim(run.id, 'a', 1000, 500, 1000)).toBe(true);
    await store.release(run.id, 'a');

    await knex('deploy_runs').where({ id: run.id }).update({ state: 'paused' });
    expect(await store.claim(run.id, 'a', 2000, 500)).toBe(false);
    expect(await store.due('a', 2000, 10)).toEqual([]);
  });

  it('refuses the step result of a backend whose lease another has taken, and writes nothing of it', async () => {
    const { knex, store, release } = await setUp();
    const run = newRun(release.id);
    await knex.transaction(tx => store.insert(tx, run));
    await store.claim(run.id, 'a', 1000, 500);
    await store.claim(run.id, 'b', 1600, 500);

    const late = knex.transaction(tx =>
      store.recordUnderLease(
        tx,
        { runId: run.id, owner: 'a', now: 1700, leaseMs: 500 },
        { state: 'running', wakeAt: 1700 },
        { index: 0, change: { state: 'done', outputs: { sha: 'a1' } } },
      ),
    );
    await expect(late).rejects.toThrow(LeaseLost);
    const stored = await store.get(run.id);
    expect(stored?.steps[0]).toMatchObject({ state: 'pending' });
    expect(stored?.steps[0].outputs).toBeUndefined();
    expect(stored?.revision).toBe(1);

    await knex.transaction(tx =>
      store.recordUnderLease(
        tx,
        { runId: run.id, owner: 'b', now: 1700, leaseMs: 500 },
        { state: 'running', wakeAt: 1700 },
        { index: 0, change: { state: 'done', outputs: { sha: 'b1' } } },
      ),
    );
    expect(await store.get(run.id)).toMatchObject({
      revision: 2,
      leaseExpiresAt: 2200,
      steps: [{ state: 'done', outputs: { sha: 'b1' } }],
    });
  });

  it('keeps one active run per release, and any number that are over', async () => {
    const { knex, store, release } = await setUp();
    const first = newRun(release.id);
    await knex.transaction(tx => store.insert(tx, first));
    // Matched by message: better-sqlite3 makes its errors in the realm of the first test file that loaded it.
    await expect(
      knex.transaction(tx => store.insert(tx, newRun(release.id, 'paused'))),
    ).rejects.toMatchObject({
      message: expect.stringMatching(/unique|duplicate key/i),
    });

    await knex.transaction(tx =>
      store.update(tx, first.id, 1, { state: 'done' }),
    );
    expect(await store.active(release.id)).toBeUndefined();
    await knex.transaction(tx =>
      store.insert(tx, newRun(release.id, 'aborted')),
    );
    const second = newRun(release.id);
    await knex.transaction(tx => store.insert(tx, second));
    expect((await store.active(release.id))?.id).toBe(second.id);
    expect(await store.listFor(release.id)).toHaveLength(3);
  });

  it('refuses a person’s change made on a revision that is no longer the stored one', async () => {
    const { knex, store, release } = await setUp();
    const run = newRun(release.id);
    await knex.transaction(tx => store.insert(tx, run));
    expect(
      await knex.transaction(tx =>
        store.update(tx, run.id, 1, { state: 'paused' }),
      ),
    ).toBe(true);
    expect(
      await knex.transaction(tx =>
        store.update(tx, run.id, 1, { state: 'running' }),
      ),
    ).toBe(false);
    expect(await store.get(run.id)).toMatchObject({
      state: 'paused',
      revision: 2,
    });
  });
});
