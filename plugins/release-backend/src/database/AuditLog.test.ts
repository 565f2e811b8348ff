import type { Knex } from 'knex';
import {
  createTestDatabases,
  databaseIds,
  initMigrated,
} from '../__testUtils__/databases';
import { AuditLog } from './AuditLog';

jest.setTimeout(60_000);

/** What a DBA with write access could do: the triggers have to go first. */
async function dropAppendOnlyGuard(knex: Knex) {
  if (knex.client.config.client === 'pg') {
    await knex.raw('DROP TRIGGER release_audit_no_change ON release_audit');
  } else {
    await knex.raw('DROP TRIGGER release_audit_no_update');
    await knex.raw('DROP TRIGGER release_audit_no_delete');
  }
}

describe.each(databaseIds)('AuditLog on %s', databaseId => {
  const databases = createTestDatabases();

  async function logWith(rows: number) {
    const knex = await initMigrated(databases, databaseId);
    const log = new AuditLog(knex);
    for (let i = 0; i < rows; i++) {
      await log.record({
        actor: 'user:default/kim.minjun',
        action: 'release.create',
        releaseId: '0b9c3a8e-1111-4222-8333-944455556666',
        outcome: 'success',
        after: { grade: 'B', n: i },
        requestId: `req-${i}`,
      });
    }
    return { knex, log };
  }

  it('chains every row to the one before and verifies', async () => {
    const { log } = await logWith(5);
    const rows = await log.list({ limit: 10 });
    expect(rows.map(r => r.seq)).toEqual([1, 2, 3, 4, 5]);
    expect(rows[0].prevHash).toBe('0'.repeat(64));
    for (let i = 1; i < rows.length; i++) {
      expect(rows[i].prevHash).toBe(rows[i - 1].hash);
    }
    expect(rows[2]).toMatchObject({
      actor: 'user:default/kim.minjun',
      action: 'release.create',
      outcome: 'success',
      after: { grade: 'B', n: 2 },
      requestId: 'req-2',
    });
    expect(await log.verify()).toEqual({ ok: true, rows: 5 });
  });

  it('finds an edited row', async () => {
    const { knex, log } = await logWith(5);
    await dropAppendOnlyGuard(knex);
    await knex('release_audit')
      .where({ seq: 3 })
      .update({ actor: 'user:default/mallory' });
    expect(await log.verify()).toEqual({
      ok: false,
      rows: 2,
      firstBadSeq: 3,
      problem: 'row 3 was changed after it was written',
    });
  });

  it('finds a removed row in the middle', async () => {
    const { knex, log } = await logWith(5);
    await dropAppendOnlyGuard(knex);
    await knex('release_audit').where({ seq: 2 }).delete();
    expect(await log.verify()).toMatchObject({
      ok: false,
      firstBadSeq: 2,
      problem: 'row 2 is missing',
    });
  });

  it('finds a removed tail', async () => {
    const { knex, log } = await logWith(4);
    await dropAppendOnlyGuard(knex);
    await knex('release_audit').where({ seq: 4 }).delete();
    expect(await log.verify()).toMatchObject({
      ok: false,
      rows: 3,
      problem: 'the trail ends at row 3 but 4 rows were written',
    });
  });

  it('keeps the chain linear under concurrent appends', async () => {
    const { log } = await logWith(0);
    await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        log.record({
          actor: `user:default/user${i}`,
          action: 'release.approve',
          outcome: 'success',
        }),
      ),
    );
    expect(await log.verify()).toEqual({ ok: true, rows: 20 });
  });
});
