// @ts-check

/**
 * What the Deploy card's controls keep: the plan an approval was given for, the acknowledgements
 * a deploy waits for, why a run paused, and the stop-the-line switch.
 *
 * @param {import('knex').Knex} knex
 */
exports.up = async function up(knex) {
  await knex.schema.alterTable('release_approvals', table => {
    table
      .string('plan_fingerprint', 64)
      .comment(
        'The deploy plan the approver saw; a deploy runs only that plan',
      );
  });
  await knex.schema.alterTable('releases', table => {
    table
      .text('acknowledgements')
      .notNullable()
      .defaultTo('[]')
      .comment(
        'Audited statements a deploy waits for, e.g. db-schema, as JSON',
      );
  });
  await knex.schema.alterTable('deploy_runs', table => {
    table
      .text('paused_reason')
      .comment(
        'Why the run paused: a person, a failed step, the window, stop-the-line',
      );
  });
  await knex.schema.createTable('deploy_announcements', table => {
    table.comment(
      'A run’s announcements by the step’s key, so a step called again posts nothing new',
    );
    table.string('key', 200).primary();
    table.string('run_id', 36).notNullable();
    table.string('channel', 100).notNullable();
    table.text('text').notNullable();
    table.string('queued_at', 30).notNullable();
    table
      .string('posted_at', 30)
      .comment('Set once Slack took it or the outbox kept it');
  });
  await knex.schema.createTable('deploy_halts', table => {
    table.comment(
      'Stop-the-line: while a row is not lifted, no release deploys',
    );
    table.string('id', 36).primary();
    table.string('raised_by', 255).notNullable();
    table.text('reason').notNullable();
    table.string('raised_at', 30).notNullable();
    table.string('lifted_by', 255);
    table.text('lift_reason');
    table.string('lifted_at', 30);
    table
      .integer('active')
      .unique({ indexName: 'deploy_halts_active_uq' })
      .comment('1 while raised, null once lifted: one raised switch at a time');
  });
};

/**
 * @param {import('knex').Knex} knex
 */
exports.down = async function down(knex) {
  await knex.schema.dropTable('deploy_halts');
  await knex.schema.dropTable('deploy_announcements');
  await knex.schema.alterTable('deploy_runs', table => {
    table.dropColumn('paused_reason');
  });
  await knex.schema.alterTable('releases', table => {
    table.dropColumn('acknowledgements');
  });
  await knex.schema.alterTable('release_approvals', table => {
    table.dropColumn('plan_fingerprint');
  });
};
