import { resolvePackagePath } from '@backstage/backend-plugin-api';
import type { Knex } from 'knex';

const migrationsDir = resolvePackagePath(
  '@internal/plugin-release-backend',
  'migrations',
);

/** Brings the release tables up to date. */
export async function migrateUp(knex: Knex): Promise<void> {
  await knex.migrate.latest({
    directory: migrationsDir,
    tableName: 'release_knex_migrations',
  });
}

/** Rolls back every release migration (used by the migration tests). */
export async function migrateDownAll(knex: Knex): Promise<void> {
  await knex.migrate.rollback(
    { directory: migrationsDir, tableName: 'release_knex_migrations' },
    true,
  );
}
