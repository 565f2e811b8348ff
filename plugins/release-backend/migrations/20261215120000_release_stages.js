// @ts-check

/**
 * The stages around a deploy a release records: each app's build, the payment and post-deploy
 * test runs, and the audited overrides of tests that failed.
 *
 * @param {import('knex').Knex} knex
 */
exports.up = async function up(knex) {
  await knex.schema.alterTable('releases', table => {
    table
      .text('builds')
      .notNullable()
      .defaultTo('[]')
      .comment("Each app's build (Jenkins build or GitLab pipeline), as JSON");
    table
      .text('tests')
      .notNullable()
      .defaultTo('[]')
      .comment('Payment and post-deploy test runs with their results, as JSON');
    table
      .text('test_overrides')
      .notNullable()
      .defaultTo('[]')
      .comment('Audited decisions to go on although tests failed, as JSON');
  });
};

/**
 * @param {import('knex').Knex} knex
 */
exports.down = async function down(knex) {
  await knex.schema.alterTable('releases', table => {
    table.dropColumn('test_overrides');
    table.dropColumn('tests');
    table.dropColumn('builds');
  });
};
