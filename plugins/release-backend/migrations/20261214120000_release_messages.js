// @ts-check

const { randomUUID } = require('node:crypto');

/**
 * One outbox for every Slack and Asana write of a release (RELIABILITY 14: nothing lost, each sent
 * once), with the relay's place in the audit trail the messages are derived from. The Slack outbox
 * and the engine's announcement keys move into it.
 *
 * @param {import('knex').Knex} knex
 */
exports.up = async function up(knex) {
  await knex.schema.createTable('release_messages', table => {
    table.comment(
      'Slack posts and direct messages, Asana comments and fields: queued, sent (kept for the release page) or failed',
    );
    table.increments('seq').comment('Order the messages go out in');
    table.string('id', 36).notNullable().unique();
    table
      .string('key', 255)
      .notNullable()
      .unique()
      .comment('Idempotency key: the audit row and the message role');
    table.string('release_id', 36).index();
    table
      .string('kind', 20)
      .notNullable()
      .comment('slack.post, asana.comment…');
    table.string('audience', 40).notNullable();
    table
      .string('destination', 255)
      .notNullable()
      .comment(
        'Channel, person or Asana task; messages to one go out in order',
      );
    table.string('summary', 300).notNullable();
    table.text('payload').notNullable().comment('The message as JSON');
    table.boolean('urgent').notNullable().defaultTo(false);
    table.string('state', 10).notNullable().defaultTo('queued');
    table.integer('attempts').notNullable().defaultTo(0);
    table.text('last_error');
    table
      .bigInteger('next_attempt_at')
      .notNullable()
      .defaultTo(0)
      .comment('Epoch ms before which it is not tried');
    table.string('claimed_by', 80);
    table.bigInteger('claim_expires_at').notNullable().defaultTo(0);
    table.string('created_at', 30).notNullable();
    table.string('sent_at', 30);
    table.index(['state', 'next_attempt_at'], 'release_messages_due_idx');
    table.index(['destination', 'seq'], 'release_messages_destination_idx');
  });

  await knex.schema.createTable('release_message_relay', table => {
    table.comment('The last audit row the messages were derived from');
    table.string('name', 40).primary();
    table.bigInteger('seq').notNullable();
  });
  // History already written tells nobody again: the relay starts at the trail's head.
  const head = await knex('release_audit_head').where({ id: 1 }).first();
  await knex('release_message_relay').insert({
    name: 'audit',
    seq: Number(head?.seq ?? 0),
  });

  const now = new Date().toISOString();
  const waiting = await knex('slack_outbox').orderBy('seq');
  for (const row of waiting) {
    const message = JSON.parse(row.message);
    const direct = message.kind === 'direct';
    await knex('release_messages').insert({
      id: row.id,
      key: `slack-outbox/${row.id}`,
      release_id: null,
      kind: direct ? 'slack.direct' : 'slack.post',
      audience: direct ? 'person' : 'channel',
      destination: direct
        ? message.email ?? message.userId ?? ''
        : message.channel,
      summary: String(message.text ?? '')
        .split('\n')[0]
        .slice(0, 300),
      payload: JSON.stringify(
        direct
          ? { to: message.email ?? message.userId, text: message.text }
          : { channel: message.channel, text: message.text },
      ),
      urgent: false,
      state: Number(row.attempts) > 0 ? 'retrying' : 'queued',
      attempts: Number(row.attempts),
      last_error: row.last_error,
      next_attempt_at: 0,
      created_at: row.created_at,
    });
  }
  const announced = await knex('deploy_announcements')
    .leftJoin('deploy_runs', 'deploy_runs.id', 'deploy_announcements.run_id')
    .select('deploy_announcements.*', 'deploy_runs.release_id')
    .orderBy('queued_at');
  for (const row of announced) {
    await knex('release_messages').insert({
      id: randomUUID(),
      key: `announce/${row.key}`.slice(0, 255),
      release_id: row.release_id ?? null,
      kind: 'slack.post',
      audience: 'release-room',
      destination: row.channel,
      summary: String(row.text).split('\n')[0].slice(0, 300),
      payload: JSON.stringify({ channel: row.channel, text: row.text }),
      urgent: false,
      state: row.posted_at ? 'sent' : 'queued',
      attempts: 0,
      next_attempt_at: 0,
      created_at: row.queued_at ?? now,
      sent_at: row.posted_at ?? null,
    });
  }
  await knex.schema.dropTable('deploy_announcements');
  await knex.schema.dropTable('slack_outbox_claim');
  await knex.schema.dropTable('slack_outbox');
};

/**
 * The old tables come back; unsent Slack messages go back to the Slack outbox.
 *
 * @param {import('knex').Knex} knex
 */
exports.down = async function down(knex) {
  await knex.schema.createTable('slack_outbox', table => {
    table.increments('seq');
    table.string('id', 36).notNullable().unique();
    table.text('message').notNullable();
    table.string('created_at', 30).notNullable();
    table.integer('attempts').notNullable().defaultTo(0);
    table.text('last_error');
    table.string('last_attempt_at', 30);
  });
  await knex.schema.createTable('slack_outbox_claim', table => {
    table.string('name', 40).primary();
    table.string('holder', 80);
    table.bigInteger('expires_at').notNullable().defaultTo(0);
  });
  await knex('slack_outbox_claim').insert({
    name: 'flush',
    holder: null,
    expires_at: 0,
  });
  await knex.schema.createTable('deploy_announcements', table => {
    table.string('key', 200).primary();
    table.string('run_id', 36).notNullable();
    table.string('channel', 100).notNullable();
    table.text('text').notNullable();
    table.string('queued_at', 30).notNullable();
    table.string('posted_at', 30);
  });
  const unsent = await knex('release_messages')
    .whereIn('kind', ['slack.post', 'slack.direct'])
    .whereNot('state', 'sent')
    .orderBy('seq');
  for (const row of unsent) {
    const payload = JSON.parse(row.payload);
    const message =
      row.kind === 'slack.direct'
        ? {
            kind: 'direct',
            ...(String(payload.to).includes('@')
              ? { email: payload.to }
              : { userId: payload.to }),
            text: payload.text,
          }
        : { kind: 'post', channel: payload.channel, text: payload.text };
    await knex('slack_outbox').insert({
      id: row.id,
      message: JSON.stringify(message),
      created_at: row.created_at,
      attempts: row.attempts,
      last_error: row.last_error,
    });
  }
  await knex.schema.dropTable('release_message_relay');
  await knex.schema.dropTable('release_messages');
};
