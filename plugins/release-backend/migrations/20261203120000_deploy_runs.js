// @ts-check

/**
 * The release engine's runs of a deploy plan and their steps, each run claimed by one backend at a
 * time under a lease that lapses at lease_expires_at.
 *
 * @param {import('knex').Knex} knex
 */
exports.up = async function up(knex) {
  await knex.schema.createTable('deploy_runs', table => {
    table.comment('One run of a deploy, abort or rollback plan of a release');
    table.string('id', 36).primary();
    table
      .string('release_id', 36)
      .notNullable()
      .references('id')
      .inTable('releases')
      .onDelete('CASCADE');
    table.string('environment', 40).notNullable();
    table.string('kind', 10).notNullable().comment('deploy, abort or rollback');
    table.text('plan').notNullable().comment('The DeployPlan as JSON');
    table.string('fingerprint', 64).notNullable();
    table
      .string('state', 10)
      .notNullable()
      .comment('running, paused, waiting, failed, done or aborted');
    table
      .string('started_by', 255)
      .notNullable()
      .comment('User entity ref of who pressed the button');
    table
      .string('active_release_id', 36)
      .unique({ indexName: 'deploy_runs_active_uq' })
      .comment('The release while the run is not over: one active run each');
    table.string('lease_owner', 120).comment('The backend working on the run');
    table.bigInteger('lease_expires_at').comment('Epoch ms');
    table
      .bigInteger('wake_at')
      .comment('Epoch ms at which a running or waiting run is due');
    table.integer('revision').notNullable();
    table.string('created_at', 30).notNullable();
    table.string('updated_at', 30).notNullable();
    table.index(['state', 'wake_at'], 'deploy_runs_due_idx');
    table.index(['release_id', 'created_at'], 'deploy_runs_release_idx');
  });

  await knex.schema.createTable('deploy_steps', table => {
    table.comment('Each step of a run: what it did, what it waits for');
    table
      .string('run_id', 36)
      .notNullable()
      .references('id')
      .inTable('deploy_runs')
      .onDelete('CASCADE');
    table.integer('index').notNullable().comment('Place in the plan, from 0');
    table.string('step_id', 120).notNullable();
    table.string('kind', 10).notNullable().comment('git, call or wait');
    table
      .string('state', 10)
      .notNullable()
      .comment('pending, running, waiting, done, failed or skipped');
    table
      .text('outputs')
      .comment(
        'What the step has done so far, as JSON; handed back on the next call',
      );
    table
      .integer('attempts')
      .notNullable()
      .defaultTo(0)
      .comment('Failed calls since the step started or was retried by hand');
    table.text('last_error');
    table.text('waiting_reason');
    table
      .text('readings')
      .comment('What the step saw at its last look, as JSON');
    table.text('skip_reason');
    table.bigInteger('wake_at').comment('Epoch ms of the next look');
    table.string('started_at', 30);
    table.string('finished_at', 30);
    table.primary(['run_id', 'index']);
  });
};

/**
 * @param {import('knex').Knex} knex
 */
exports.down = async function down(knex) {
  await knex.schema.dropTable('deploy_steps');
  await knex.schema.dropTable('deploy_runs');
};
