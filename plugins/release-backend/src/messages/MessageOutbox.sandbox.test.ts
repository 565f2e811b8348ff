import { rmSync } from 'node:fs';
import type { Knex } from 'knex';
import type { CallClock } from '@internal/plugin-release-node';
import {
  asanaSandboxDefaults,
  createAsanaService,
  createSlackService,
  startSandbox,
  type RunningSandbox,
} from 'sandbox';
import {
  createTestDatabases,
  databaseIds,
  initMigrated,
} from '../__testUtils__/databases';
import { secondPool } from '../engine/__testUtils__/engineWorld';
import {
  fakeClock,
  sandboxMessageClients,
} from '../__testUtils__/messageClients';
import { planFault } from '../__testUtils__/sandboxFaults';
import { channelTexts as readChannel } from '../__testUtils__/slackHistory';
import { MessageOutbox } from './MessageOutbox';
import { createMessageSender } from './senders';
import type { OutgoingMessage } from './types';

jest.setTimeout(120_000);

const TEAM = '#kop-release';
const QA = '#kop-qa';

const post = (key: string, channel: string, text: string): OutgoingMessage => ({
  key,
  releaseId: 'r-1',
  audience: channel === QA ? 'qa' : 'team',
  payload: { kind: 'slack.post', channel, text },
});

describe.each(databaseIds)('MessageOutbox on %s', databaseId => {
  const databases = createTestDatabases();
  let sandbox: RunningSandbox;
  let knex: Knex;
  const cleanups: Array<() => Promise<unknown>> = [];

  beforeAll(async () => {
    sandbox = await startSandbox({
      services: [createSlackService(), createAsanaService()],
    });
  });
  afterAll(async () => {
    await sandbox.close();
    rmSync(sandbox.context.dataDir, { recursive: true, force: true });
  });
  beforeEach(async () => {
    knex = await initMigrated(databases, databaseId);
    await fetch(`${sandbox.url}/_sandbox/faults`, { method: 'DELETE' });
  });
  afterEach(async () => {
    while (cleanups.length) await cleanups.pop()!();
  });

  const slack = (clock: CallClock) =>
    sandboxMessageClients(sandbox.url, clock).slack;
  const asana = (clock: CallClock) =>
    sandboxMessageClients(sandbox.url, clock).asana;

  function outbox(
    time: ReturnType<typeof fakeClock>,
    options: { knex?: Knex; holder?: string; backoffMs?: number } = {},
  ) {
    const slackClient = slack(time.clock);
    const asanaClient = asana(time.clock);
    return new MessageOutbox({
      knex: options.knex ?? knex,
      now: time.now,
      holder: options.holder,
      backoffMs: options.backoffMs,
      send: createMessageSender({
        slack: () => slackClient,
        asana: () => asanaClient,
        people: {
          emailOf: async ref =>
            ref === 'user:default/han.jisoo'
              ? 'han.jisoo@kop.example'
              : undefined,
        },
      }),
    });
  }

  const channelTexts = (channel: string) => readChannel(sandbox.url, channel);

  const fault = (planned: object) => planFault(sandbox.url, planned);

  const run = () => Math.random().toString(36).slice(2, 8);

  it('queues a key once, sends in order and keeps what it sent for the release page', async () => {
    const time = fakeClock();
    const box = outbox(time);
    const id = run();
    await box.enqueue([
      post(`${id}/1`, TEAM, `${id} first`),
      post(`${id}/2`, TEAM, `${id} second`),
    ]);
    await box.enqueue([post(`${id}/1`, TEAM, `${id} first again`)]);
    expect((await box.listFor('r-1')).map(m => [m.summary, m.state])).toEqual([
      [`${id} first`, 'queued'],
      [`${id} second`, 'queued'],
    ]);

    expect(await box.flush()).toEqual({ sent: 2, waiting: 0 });
    expect((await channelTexts(TEAM)).filter(t => t.startsWith(id))).toEqual([
      `${id} first`,
      `${id} second`,
    ]);
    const kept = await box.listFor('r-1');
    expect(kept.map(m => [m.state, m.attempts, m.sentAt])).toEqual([
      ['sent', 1, '2026-01-07T01:00:00.000Z'],
      ['sent', 1, '2026-01-07T01:00:00.000Z'],
    ]);
    expect(await box.flush()).toEqual({ sent: 0, waiting: 0 });
  });

  it('two backends flushing at once send every message once, each channel in order', async () => {
    const time = fakeClock();
    const other = databaseId === 'POSTGRES_15' ? secondPool(knex) : knex;
    if (other !== knex) cleanups.push(() => other.destroy());
    const a = outbox(time, { holder: 'backend-a' });
    const b = outbox(time, { knex: other, holder: 'backend-b' });
    const id = run();
    const texts = Array.from({ length: 12 }, (_, i) => `${id} message ${i}`);
    await a.enqueue(
      texts.map((t, i) => post(`${id}/${i}`, i % 3 ? TEAM : QA, t)),
    );

    const results = await Promise.all([
      a.flush(),
      b.flush(),
      a.flush(),
      b.flush(),
    ]);
    expect(results.reduce((n, r) => n + r.sent, 0)).toBe(12);

    const seen = [...(await channelTexts(TEAM)), ...(await channelTexts(QA))];
    expect(seen.filter(t => t.startsWith(id)).sort()).toEqual(
      [...texts].sort(),
    );
    expect((await channelTexts(TEAM)).filter(t => t.startsWith(id))).toEqual(
      texts.filter((_, i) => i % 3),
    );
    expect((await channelTexts(QA)).filter(t => t.startsWith(id))).toEqual(
      texts.filter((_, i) => !(i % 3)),
    );
  });

  it('a backend stopping mid-flush finishes the send in hand and leaves the rest unclaimed for another', async () => {
    const time = fakeClock();
    const id = run();
    const texts = Array.from({ length: 5 }, (_, i) => `${id} stop ${i}`);
    const queue = outbox(time);
    const inner = createMessageSender({
      slack: () => slack(time.clock),
      asana: () => asana(time.clock),
      people: { emailOf: async () => undefined },
    });
    // The first send of backend A is when its shutdown begins.
    let stopped: Promise<void> | undefined;
    const a = new MessageOutbox({
      knex,
      now: time.now,
      holder: 'backend-a',
      send: async payload => {
        stopped ??= a.stop();
        await inner(payload);
      },
    });
    await queue.enqueue(texts.map((t, i) => post(`${id}/${i}`, TEAM, t)));

    expect((await a.flush()).sent).toBe(1);
    await stopped;
    const b = outbox(time, { holder: 'backend-b' });
    expect(await b.flush()).toEqual({ sent: 4, waiting: 0 });
    expect((await channelTexts(TEAM)).filter(t => t.startsWith(id))).toEqual(
      texts,
    );
  });

  it('a 429 with Retry-After: 7 is not tried again before 7 s, then sent once', async () => {
    const time = fakeClock();
    const box = outbox(time, { backoffMs: 1_000 });
    const id = run();
    await fault({
      path: '/slack/api/chat.postMessage',
      count: 1,
      status: 429,
      headers: { 'Retry-After': '7' },
      body: { ok: false, error: 'ratelimited' },
    });
    await box.enqueue([
      post(`${id}/1`, TEAM, `${id} rate limited`),
      post(`${id}/2`, QA, `${id} other channel`),
    ]);

    expect(await box.flush()).toEqual({ sent: 0, waiting: 2 });
    const [waiting, behind] = await box.listFor('r-1');
    expect(waiting).toMatchObject({ state: 'retrying', attempts: 1 });
    expect(waiting.lastError).toMatch(/429|rate limited/);
    expect(Date.parse(waiting.nextAttemptAt!)).toBeGreaterThanOrEqual(
      time.now() + 7_000,
    );
    // Slack asked for a pause: the other channel's message waits for it too, untried.
    expect(behind).toMatchObject({ state: 'queued', attempts: 0 });

    time.advance(6_999);
    expect(await box.flush()).toEqual({ sent: 0, waiting: 2 });
    expect((await box.listFor('r-1'))[0].attempts).toBe(1);

    time.advance(1);
    expect(await box.flush()).toEqual({ sent: 2, waiting: 0 });
    expect((await channelTexts(TEAM)).filter(t => t.startsWith(id))).toEqual([
      `${id} rate limited`,
    ]);
    expect((await box.listFor('r-1')).map(m => [m.state, m.attempts])).toEqual([
      ['sent', 2],
      ['sent', 1],
    ]);
  });

  it('a minute of Slack outage loses nothing and delivers each message once, in order', async () => {
    const time = fakeClock();
    const box = outbox(time);
    const id = run();
    const start = time.now();
    await fault({ path: '/slack/api/', count: 10_000, status: 503 });
    await box.enqueue([
      post(`${id}/1`, TEAM, `${id} one`),
      post(`${id}/2`, TEAM, `${id} two`),
      post(`${id}/3`, QA, `${id} three`),
    ]);
    while (time.now() - start < 60_000) {
      expect((await box.flush()).sent).toBe(0);
      time.advance(5_000);
    }
    const during = await box.listFor('r-1');
    expect(during.map(m => m.state)).toEqual([
      'retrying',
      'queued',
      'retrying',
    ]);
    expect(during[0].lastError).toMatch(/503/);
    expect(during[0].attempts).toBeGreaterThan(1);

    // Slack is back.
    await fetch(`${sandbox.url}/_sandbox/faults`, { method: 'DELETE' });
    let sent = 0;
    for (let round = 0; round < 20 && sent < 3; round++) {
      sent += (await box.flush()).sent;
      time.advance(30_000);
    }
    expect(sent).toBe(3);
    expect((await channelTexts(TEAM)).filter(t => t.startsWith(id))).toEqual([
      `${id} one`,
      `${id} two`,
    ]);
    expect((await channelTexts(QA)).filter(t => t.startsWith(id))).toEqual([
      `${id} three`,
    ]);
    expect((await box.listFor('r-1')).every(m => m.state === 'sent')).toBe(
      true,
    );
  });

  it('a message Slack refuses is kept as failed with why, and holds nothing behind it', async () => {
    const time = fakeClock();
    const box = outbox(time);
    const id = run();
    await box.enqueue([
      post(`${id}/1`, '#no-such-room', `${id} nowhere`),
      {
        key: `${id}/2`,
        releaseId: 'r-1',
        audience: 'on-call',
        urgent: true,
        payload: {
          kind: 'slack.direct',
          to: 'user:default/nobody',
          text: `${id} page`,
        },
      },
      {
        key: `${id}/3`,
        releaseId: 'r-1',
        audience: 'on-call',
        urgent: true,
        payload: {
          kind: 'slack.direct',
          to: 'user:default/han.jisoo',
          text: `${id} page`,
        },
      },
      post(`${id}/4`, TEAM, `${id} here`),
    ]);
    expect(await box.flush()).toEqual({ sent: 2, waiting: 0 });
    const kept = await box.listFor('r-1');
    expect(kept.map(m => [m.destination, m.state, m.urgent])).toEqual([
      ['#no-such-room', 'failed', false],
      ['user:default/nobody', 'failed', true],
      ['user:default/han.jisoo', 'sent', true],
      [TEAM, 'sent', false],
    ]);
    expect(kept[0].lastError).toMatch(/channel_not_found/);
    expect(kept[1].lastError).toMatch(
      /no e-mail address for user:default\/nobody/,
    );
    expect(kept[0].nextAttemptAt).toBeUndefined();
  });

  it('keeps the Asana task current: fields, a comment per stage, completed at done', async () => {
    const time = fakeClock();
    const box = outbox(time);
    const task = await asana(time.clock).createReleaseTask({
      name: '2026.01.08 hybris',
      grade: 'B',
      dbUpdate: false,
    });
    const to = (
      key: string,
      payload: OutgoingMessage['payload'],
    ): OutgoingMessage => ({
      key: `${task.gid}/${key}`,
      releaseId: 'r-1',
      audience: 'asana',
      payload,
    });
    await box.enqueue([
      to('build', {
        kind: 'asana.fields',
        taskGid: task.gid,
        values: { buildNumber: '118' },
      }),
      to('approved', {
        kind: 'asana.comment',
        taskGid: task.gid,
        text: '승인 완료 (approved): choi.yuna',
      }),
      to('state', {
        kind: 'asana.fields',
        taskGid: task.gid,
        values: { grade: 'C', dbUpdate: true, state: 'approved' },
      }),
    ]);
    expect(await box.flush()).toEqual({ sent: 3, waiting: 0 });
    expect(await asana(time.clock).getTask(task.gid)).toMatchObject({
      grade: 'C',
      dbUpdate: true,
      buildNumber: '118',
      state: 'approved',
      completed: false,
    });

    await fault({
      path: `/asana/api/1.0/tasks/${task.gid}`,
      count: 1,
      status: 503,
    });
    await box.enqueue([
      to('done', {
        kind: 'asana.comment',
        taskGid: task.gid,
        text: '배포 완료 (done)',
      }),
      to('complete', { kind: 'asana.complete', taskGid: task.gid }),
    ]);
    // The comment's call fails once; the completion waits behind it, in order.
    expect(await box.flush()).toEqual({ sent: 0, waiting: 2 });
    time.advance(30_000);
    expect(await box.flush()).toEqual({ sent: 2, waiting: 0 });
    expect((await asana(time.clock).getTask(task.gid)).completed).toBe(true);
    const stories = await fetch(
      `${sandbox.url}/asana/api/1.0/tasks/${task.gid}/stories`,
      { headers: { authorization: `Bearer ${asanaSandboxDefaults.token}` } },
    ).then(r => r.json() as Promise<{ data: Array<{ text: string }> }>);
    expect(stories.data.map(s => s.text)).toEqual([
      '승인 완료 (approved): choi.yuna',
      '배포 완료 (done)',
    ]);
  });
});
