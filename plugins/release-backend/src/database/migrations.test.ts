import {
  createTestDatabases,
  databaseIds,
  initMigrated,
} from '../__testUtils__/databases';
import { migrateDownAll, migrateUp } from './migrate';

jest.setTimeout(60_000);

describe.each(databaseIds)('release migrations on %s', databaseId => {
  const databases = createTestDatabases();

  it('run up, down and up again', async () => {
    const knex = await databases.init(databaseId);
    await migrateUp(knex);
    expect(await knex.schema.hasTable('releases')).toBe(true);
    expect(await knex.schema.hasTable('release_audit')).toBe(true);
    expect(await knex.schema.hasTable('deploy_runs')).toBe(true);
    expect(await knex.schema.hasTable('deploy_steps')).toBe(true);

    await migrateDownAll(knex);
    for (const table of [
      'releases',
      'release_apps',
      'release_approvals',
      'release_audit',
      'release_audit_head',
      'deploy_runs',
      'deploy_steps',
    ]) {
      expect([table, await knex.schema.hasTable(table)]).toEqual([
        table,
        false,
      ]);
    }

    await migrateUp(knex);
    expect(await knex.schema.hasTable('release_audit')).toBe(true);
    const [head] = await knex('release_audit_head').select();
    expect(Number(head.seq)).toBe(0);
    for (const [table, columns] of [
      [
        'deploy_runs',
        ['id', 'release_id', 'environment', 'kind', 'plan', 'fingerprint']
          .concat(['state', 'started_by', 'lease_owner', 'lease_expires_at'])
          .concat(['wake_at', 'revision', 'created_at', 'updated_at']),
      ],
      [
        'deploy_steps',
        ['run_id', 'index', 'step_id', 'kind', 'state', 'outputs', 'attempts']
          .concat(['last_error', 'waiting_reason', 'readings', 'wake_at'])
          .concat(['started_at', 'finished_at']),
      ],
      ['releases', ['config', 'builds', 'tests', 'test_overrides']],
    ] as const) {
      const info = await knex(table).columnInfo();
      expect([table, columns.filter(c => !(c in info))]).toEqual([table, []]);
    }
  });

  it('make the database itself refuse to change or remove audit rows', async () => {
    const knex = await initMigrated(databases, databaseId);
    await knex('release_audit').insert({
      seq: 1,
      id: '6f1c1f7e-0000-4000-8000-000000000001',
      at: '2026-11-25T00:00:00.000Z',
      actor: 'user:default/kim.minjun',
      action: 'release.create',
      outcome: 'success',
      prev_hash: '0'.repeat(64),
      hash: 'a'.repeat(64),
    });
    const outcome = (query: Promise<unknown>) =>
      query.then(
        () => 'changed',
        (e: unknown) => String(e),
      );
    expect(
      await outcome(
        knex('release_audit')
          .where({ seq: 1 })
          .update({ actor: 'user:default/mallory' })
          .then(),
      ),
    ).toMatch(/append-only/);
    expect(
      await outcome(knex('release_audit').where({ seq: 1 }).delete().then()),
    ).toMatch(/append-only/);
    const rows = await knex('release_audit').select('actor');
    expect(rows).toEqual([{ actor: 'user:default/kim.minjun' }]);
  });
});
