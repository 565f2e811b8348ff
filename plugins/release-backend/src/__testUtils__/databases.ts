import { TestDatabases } from '@backstage/backend-test-utils';
import type { Knex } from 'knex';
import { migrateDownAll, migrateUp } from '../database/migrate';

/**
 * Every store test runs on both engines. PostgreSQL is not optional: when it is not configured the
 * tests fail instead of being skipped (./kop test names the local server).
 */
export const databaseIds = ['SQLITE_3', 'POSTGRES_15'] as const;

export function createTestDatabases() {
  return TestDatabases.create({ ids: [...databaseIds] });
}

/**
 * A database with the release schema freshly made: an in-memory SQLite may be handed to more than
 * one test file, and some tests remove the append-only triggers on purpose.
 */
export async function initMigrated(
  databases: TestDatabases,
  id: (typeof databaseIds)[number],
): Promise<Knex> {
  const knex = await databases.init(id);
  await migrateDownAll(knex);
  await migrateUp(knex);
  return knex;
}
