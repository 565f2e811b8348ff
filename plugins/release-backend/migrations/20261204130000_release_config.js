// @ts-check

/**
 * A config release's on-screen IaC edit: the keys it sets and the commit and blobs its diff was
 * shown from.
 *
 * @param {import('knex').Knex} knex
 */
exports.up = async function up(knex) {
  await knex.schema.alterTable('releases', table => {
    table
      .text('config')
      .comment(
        'ReleaseConfig as JSON on a config release (grade A); null on any other',
      );
  });
};

/**
 * @param {import('knex').Knex} knex
 */
exports.down = async function down(knex) {
  await knex.schema.alterTable('releases', table => {
    table.dropColumn('config');
  });
};
