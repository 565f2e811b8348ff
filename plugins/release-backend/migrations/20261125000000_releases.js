// @ts-check

/**
 * Releases, their apps and approvals, and the append-only, hash-chained audit trail.
 *
 * @param {import('knex').Knex} knex
 */
exports.up = async function up(knex) {
  await knex.schema.createTable('releases', table => {
    table.comment('Every kop release');
    table.string('id', 36).primary();
    table.string('product', 40).notNullable();
    table.string('title', 200).notNullable();
    table.string('state', 40).notNullable();
    table.string('grade', 1).notNullable();
    table.text('grade_reason');
    table.string('minimum_grade', 1).notNullable();
    table.text('change_classes').notNullable();
    table.boolean('db_update').notNullable();
    table.text('apps').notNullable();
    table.text('items').notNullable();
    table.text('links').notNullable();
    table.string('author', 255).notNullable();
    table
      .text('author_groups')
      .notNullable()
      .comment('Author groups when created: the policy decides on these');
    table
      .text('service_teams')
      .notNullable()
      .comment('Owner teams of the apps when created');
    table.text('window_override');
    table.boolean('retro_approval_pending').notNullable().defaultTo(false);
    table.string('created_at', 30).notNullable();
    table.string('updated_at', 30).notNullable();
    table.integer('revision').notNullable();
    table.index(['created_at', 'id'], 'releases_created_idx');
    table.index(['state'], 'releases_state_idx');
    table.index(['author'], 'releases_author_idx');
  });

  await knex.schema.createTable('release_apps', table => {
    table.comment('Which apps each release ships, for filtering');
    table
      .string('release_id', 36)
      .notNullable()
      .references('id')
      .inTable('releases')
      .onDelete('CASCADE');
    table.string('app', 40).notNullable();
    table.string('created_at', 30).notNullable();
    table.primary(['release_id', 'app']);
    table.index(['app', 'created_at'], 'release_apps_app_idx');
  });

  await knex.schema.createTable('release_approvals', table => {
    table.comment('Approvals and rejections; one approval per requirement');
    table.string('id', 36).primary();
    table
      .string('release_id', 36)
      .notNullable()
      .references('id')
      .inTable('releases')
      .onDelete('CASCADE');
    table.string('stage', 20).notNullable();
    table.string('requirement', 80).notNullable();
    table.string('role', 80).notNullable();
    table.string('approver', 255).notNullable();
    table.string('decision', 10).notNullable();
    table.text('comment');
    table.string('created_at', 30).notNullable();
    table.unique(['release_id', 'requirement'], {
      indexName: 'release_approvals_requirement_uq',
    });
  });

  await knex.schema.createTable('release_audit', table => {
    table.comment(
      'Append-only audit trail; each row carries the hash of the one before',
    );
    table.bigInteger('seq').primary();
    table.string('id', 36).notNullable().unique();
    table.string('at', 30).notNullable();
    table.string('actor', 255).notNullable();
    table.string('action', 80).notNullable();
    table.string('release_id', 36);
    table.string('outcome', 10).notNullable();
    table.text('before');
    table.text('after');
    table.string('request_id', 80);
    table.text('meta');
    table.string('prev_hash', 64).notNullable();
    table.string('hash', 64).notNullable();
    table.index(['release_id', 'seq'], 'release_audit_release_idx');
  });

  await knex.schema.createTable('release_audit_head', table => {
    table.comment(
      'The last audit row: serialises appends and shows a removed tail',
    );
    table.integer('id').primary();
    table.bigInteger('seq').notNullable();
    table.string('hash', 64).notNullable();
  });
  await knex('release_audit_head').insert({
    id: 1,
    seq: 0,
    hash: '0'.repeat(64),
  });

  // The database itself refuses to change or remove audit rows, whatever code runs.
  if (knex.client.config.client === 'pg') {
    await knex.raw(`
      CREATE FUNCTION release_audit_append_only() RETURNS trigger AS $$
      BEGIN
        RAISE EXCEPTION 'release_audit is append-only';
      END;
      $$ LANGUAGE plpgsql`);
    await knex.raw(`
      CREATE TRIGGER release_audit_no_change BEFORE UPDATE OR DELETE ON release_audit
      FOR EACH ROW EXECUTE FUNCTION release_audit_append_only()`);
  } else {
    await knex.raw(`
      CREATE TRIGGER release_audit_no_update BEFORE UPDATE ON release_audit
      BEGIN SELECT RAISE(ABORT, 'release_audit is append-only'); END`);
    await knex.raw(`
      CREATE TRIGGER release_audit_no_delete BEFORE DELETE ON release_audit
      BEGIN SELECT RAISE(ABORT, 'release_audit is append-only'); END`);
  }
};

/**
 * @param {import('knex').Knex} knex
 */
exports.down = async function down(knex) {
  if (knex.client.config.client === 'pg') {
    await knex.raw(
      'DROP TRIGGER IF EXISTS release_audit_no_change ON release_audit',
    );
    await knex.raw('DROP FUNCTION IF EXISTS release_audit_append_only()');
  }
  await knex.schema.dropTable('release_audit_head');
  await knex.schema.dropTable('release_audit');
  await knex.schema.dropTable('release_approvals');
  await knex.schema.dropTable('release_apps');
  await knex.schema.dropTable('releases');
};
