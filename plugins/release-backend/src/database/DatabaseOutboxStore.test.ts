import {
  InMemoryOutboxStore,
  SlackNotifier,
  SystemError,
  type OutboxStore,
  type SlackMessenger,
  type SlackOutboxMessage,
} from '@internal/plugin-release-node';
import type { Knex } from 'knex';
import {
  createTestDatabases,
  databaseIds,
  initMigrated,
} from '../__testUtils__/databases';
import { DatabaseOutboxStore } from './DatabaseOutboxStore';
import { migrateDownAll, migrateUp } from './migrate';

jest.setTimeout(60_000);

const at = (minute: number) =>
  new Date(Date.UTC(2026, 10, 25, 1, minute)).toISOString();

const messages: SlackOutboxMessage[] = [
  {
    kind: 'post',
    channel: '#kop-release',
    text: '[kop] 배포 시작합니다. hybris deploy-2026-11-25',
    blocks: [{ type: 'section', text: { type: 'mrkdwn', text: '*grade B*' } }],
  },
  {
    kind: 'post',
    channel: '#kop-release',
    text: 'step 1/3: 3 pods',
    threadTs: '1764000000.000100',
  },
  {
    kind: 'update',
    channel: 'C0KOP00001',
    ts: '1764000000.000100',
    text: '[kop] 배포 완료',
  },
  { kind: 'direct', email: 'kim.minjun@kop.example', text: 'approve, please' },
];

/** A Slack that records what it was given, each send finishing on a later turn of the loop. */
function recordingSlack(failing: () => boolean = () => false) {
  const sent: string[] = [];
  const deliver = async (text: string) => {
    await new Promise(r => setImmediate(r));
    if (failing()) {
      throw new SystemError({
        system: 'Slack',
        action: 'chat.postMessage',
        status: 503,
        retryable: true,
      });
    }
    sent.push(text);
    return { channel: 'C0KOP00001', ts: `1764000000.${sent.length}` };
  };
  const client: SlackMessenger = {
    postMessage: m => deliver(m.text),
    updateMessage: m => deliver(m.text),
    sendDirectMessage: m => deliver(m.text),
  };
  return { client, sent };
}

/** What a store keeps after the same story: two kept, one failed again, one sent. */
async function story(store: OutboxStore) {
  const kept = [];
  kept.push(await store.add(messages[0], { at: at(0), error: 'HTTP 503' }));
  kept.push(await store.add(messages[1], { at: at(1) }));
  kept.push(await store.add(messages[2], { at: at(2) }));
  await store.markFailed(kept[0].id, { at: at(3), error: 'HTTP 502' });
  await store.markSent(kept[1].id);
  return { kept, pending: await store.pending() };
}

describe.each(databaseIds)('DatabaseOutboxStore on %s', databaseId => {
  const databases = createTestDatabases();
  let knex: Knex;

  beforeEach(async () => {
    knex = await initMigrated(databases, databaseId);
  });

  it('has its tables made and removed by the migrations', async () => {
    await migrateDownAll(knex);
    expect(await knex.schema.hasTable('slack_outbox')).toBe(false);
    expect(await knex.schema.hasTable('slack_outbox_claim')).toBe(false);
    await migrateUp(knex);
    expect(await knex.schema.hasTable('slack_outbox')).toBe(true);
    expect(await knex('slack_outbox_claim').select('name')).toEqual([
      { name: 'flush' },
    ]);
  });

  it('keeps messages oldest first with their tries, exactly as the in-memory outbox does', async () => {
    const inDatabase = await story(new DatabaseOutboxStore(knex));
    const inMemory = await story(new InMemoryOutboxStore());
    const withoutIds = (r: typeof inMemory) =>
      r.pending.map(({ id, ...rest }) => rest);
    expect(withoutIds(inDatabase)).toEqual(withoutIds(inMemory));
    expect(inDatabase.pending).toEqual([
      {
        id: inDatabase.kept[0].id,
        message: messages[0],
        createdAt: at(0),
        attempts: 2,
        lastError: 'HTTP 502',
        lastAttemptAt: at(3),
      },
      {
        id: inDatabase.kept[2].id,
        message: messages[2],
        createdAt: at(2),
        attempts: 0,
      },
    ]);
  });

  it('keeps the order messages were added in, even added in the same millisecond', async () => {
    const store = new DatabaseOutboxStore(knex);
    for (let i = 0; i < 12; i++) {
      await store.add(
        { kind: 'post', channel: '#kop-qa', text: `m${i}` },
        { at: at(0) },
      );
    }
    const texts = (await store.pending()).map(
      e => (e.message as { text: string }).text,
    );
    expect(texts).toEqual(Array.from({ length: 12 }, (_, i) => `m${i}`));
  });

  it('hands the waiting messages to exactly one of several senders asking at once', async () => {
    const first = new DatabaseOutboxStore(knex);
    for (const m of messages) await first.add(m, { at: at(0) });
    const stores = Array.from(
      { length: 6 },
      (_, i) => new DatabaseOutboxStore(knex, { holder: `backend-${i}` }),
    );
    const handed = await Promise.all(stores.map(s => s.pending()));
    expect(handed.map(h => h.length).sort()).toEqual([0, 0, 0, 0, 0, 4]);
  });

  it('sends each message once, in order, when two backends flush at the same time', async () => {
    const { client, sent } = recordingSlack();
    const seed = new DatabaseOutboxStore(knex, { holder: 'seed' });
    for (const m of messages) await seed.add(m, { at: at(0) });
    const a = new SlackNotifier({
      client,
      outbox: new DatabaseOutboxStore(knex, { holder: 'backend-a' }),
    });
    const b = new SlackNotifier({
      client,
      outbox: new DatabaseOutboxStore(knex, { holder: 'backend-b' }),
    });
    const results = await Promise.all([a.flush(), b.flush(), a.flush()]);
    expect(sent).toEqual(messages.map(m => m.text));
    expect(results.reduce((n, r) => n + r.sent, 0)).toBe(messages.length);
    expect(await knex('slack_outbox').select('id')).toEqual([]);
    // Done and idle: the next backend may flush at once.
    expect(
      await knex('slack_outbox_claim').first('holder', 'expires_at'),
    ).toEqual({ holder: null, expires_at: expect.anything() });
  });

  it('lets go of the outbox when a flush stops at a Slack failure, so another backend can go on', async () => {
    let down = true;
    const { client, sent } = recordingSlack(() => down);
    const a = new SlackNotifier({
      client,
      outbox: new DatabaseOutboxStore(knex, { holder: 'backend-a' }),
    });
    expect(await a.send(messages[0])).toMatchObject({ status: 'queued' });
    expect(
      await a.post({ channel: '#kop-release', text: 'second' }),
    ).toMatchObject({ status: 'queued' });
    expect(await a.flush()).toEqual({ sent: 0, pending: 2 });
    const b = new SlackNotifier({
      client,
      outbox: new DatabaseOutboxStore(knex, { holder: 'backend-b' }),
    });
    down = false;
    expect(await b.flush()).toEqual({ sent: 2, pending: 0 });
    expect(sent).toEqual([messages[0].text, 'second']);
  });

  it('gives the outbox to another sender once a silent holder lets its claim expire', async () => {
    let now = Date.UTC(2026, 10, 25, 1, 0);
    const clock = () => now;
    const dead = new DatabaseOutboxStore(knex, {
      holder: 'backend-dead',
      claimMs: 60_000,
      now: clock,
    });
    const alive = new DatabaseOutboxStore(knex, {
      holder: 'backend-alive',
      claimMs: 60_000,
      now: clock,
    });
    await dead.add(messages[0], { at: at(0), error: 'HTTP 503' });
    expect(await dead.pending()).toHaveLength(1);
    now += 59_999;
    expect(await alive.pending()).toEqual([]);
    now += 1;
    expect(await alive.pending()).toHaveLength(1);
    expect(await dead.pending()).toEqual([]);
  });

  it('keeps the claim of a holder that is still sending', async () => {
    let now = Date.UTC(2026, 10, 25, 1, 0);
    const clock = () => now;
    const busy = new DatabaseOutboxStore(knex, {
      holder: 'backend-busy',
      claimMs: 60_000,
      now: clock,
    });
    const other = new DatabaseOutboxStore(knex, {
      holder: 'backend-other',
      claimMs: 60_000,
      now: clock,
    });
    for (const m of messages) await busy.add(m, { at: at(0) });
    const [first, second] = await busy.pending();
    now += 50_000;
    await busy.markFailed(first.id, { at: at(1), error: 'HTTP 503' });
    now += 50_000;
    await busy.markSent(second.id);
    now += 50_000;
    expect(await other.pending()).toEqual([]);
  });
});
