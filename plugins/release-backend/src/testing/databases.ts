import { TestDatabases } from '@backstage/backend-test-utils';

/**
 * Every store test runs on both engines. PostgreSQL is not optional: when it is not configured the
 * tests fail instead of being skipped (./kop test names the local server).
 */
export const databaseIds = ['SQLITE_3', 'POSTGRES_15'] as const;

export function createTestDatabases() {
  return TestDatabases.create({ ids: [...databaseIds] });
}
