// @ts-check

/**
 * Slack messages that could not be sent yet (RELIABILITY 14: nothing lost), and the claim that lets
 * one backend at a time send them, in order.
 *
 * @param {import('knex').Knex} knex
 */
exports.up = async function up(knex) {
  await knex.schema.createTable('slack_outbox', table => {
    table.comment(
      'Unsent Slack messages, oldest first; a row is deleted once sent',
    );
    table.increments('seq').comment('Order the messages go out in');
    table.string('id', 36).notNullable().unique();
    table.text('message').notNullable().comment('SlackOutboxMessage as JSON');
    table.string('created_at', 30).notNullable();
    table.integer('attempts').notNullable().defaultTo(0);
    table.text('last_error');
    table.string('last_attempt_at', 30);
  });

  await knex.schema.createTable('slack_outbox_claim', table => {
    table.comment(
      'Which backend may send the outbox now; the claim lapses at expires_at',
    );
    table.string('name', 40).primary();
    table.string('holder', 80);
    table.bigInteger('expires_at').notNullable().defaultTo(0);
  });
  await knex('slack_outbox_claim').insert({
    name: 'flush',
    holder: null,
    expires_at: 0,
  });
};

/**
 * @param {import('knex').Knex} knex
 */
exports.down = async function down(knex) {
  await knex.schema.dropTable('slack_outbox_claim');
  await knex.schema.dropTable('slack_outbox');
};
