import { mockServices } from '@backstage/backend-test-utils';
import {
  coreServices,
  createServiceFactory,
} from '@backstage/backend-plugin-api';
import {
  SlackClient,
  SlackNotifier,
  type SlackOutboxMessage,
} from '@internal/plugin-release-node';
import type { Knex } from 'knex';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  createSlackService,
  slackSandboxDefaults,
  startSandbox,
  type RunningSandbox,
} from 'sandbox';
import request from 'supertest';
import { alwaysOpen, startReleaseBackend } from '../__testUtils__/backend';
import {
  createTestDatabases,
  databaseIds,
  initMigrated,
} from '../__testUtils__/databases';
import { DatabaseOutboxStore } from '../database/DatabaseOutboxStore';
import { DEPLOY_ENGINE_TASK_ID } from '../engine/scheduleDeployEngine';
import { SLACK_OUTBOX_TASK_ID } from './slackOutbox';

jest.setTimeout(60_000);

const messages: SlackOutboxMessage[] = [
  { kind: 'post', channel: '#kop-release', text: '[kop] 배포 시작 (1/3)' },
  { kind: 'post', channel: '#kop-release', text: '[kop] step 2 (2/3)' },
  { kind: 'post', channel: '#kop-release', text: '[kop] 배포 완료 (3/3)' },
];

/** The tasks the plugin schedules besides the engine's tick, which every backend runs. */
const tasksBesidesTheEngine = async (
  scheduler: Pick<
    ReturnType<typeof mockServices.scheduler>,
    'getScheduledTasks'
  >,
) =>
  (await scheduler.getScheduledTasks()).filter(
    task => task.id !== DEPLOY_ENGINE_TASK_ID,
  );

describe.each(databaseIds)('the Slack outbox flush on %s', databaseId => {
  const databases = createTestDatabases();
  let sandbox: RunningSandbox;
  let dataDir: string;
  let knex: Knex;

  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'kop-slack-outbox-'));
    sandbox = await startSandbox({
      dataDir,
      timeScale: 0,
      services: [createSlackService()],
    });
  });

  afterAll(async () => {
    await sandbox?.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  beforeEach(async () => {
    knex = await initMigrated(databases, databaseId);
  });

  const apiUrl = () => `${sandbox.url}/slack/api/`;

  /** The plugin with a scheduler the test runs by hand. */
  async function startPlugin(config: object) {
    const scheduler = mockServices.scheduler();
    await startReleaseBackend({
      knex,
      config,
      features: [
        createServiceFactory({
          service: coreServices.scheduler,
          deps: {},
          factory: () => scheduler,
        }),
      ],
    });
    return scheduler;
  }

  /** What #kop-release shows, oldest first. */
  async function channelTexts(): Promise<string[]> {
    const res = await request(sandbox.url)
      .post('/slack/api/conversations.history')
      .type('form')
      .send({ token: slackSandboxDefaults.botToken, channel: 'C0KOP00001' });
    return res.body.messages.map((m: { text: string }) => m.text).reverse();
  }

  it('delivers what was kept while Slack answered 503, in order, once the scheduled flush runs after Slack is back', async () => {
    const scheduler = await startPlugin({
      ...alwaysOpen,
      slack: { apiUrl: apiUrl(), botToken: slackSandboxDefaults.botToken },
    });
    expect(await tasksBesidesTheEngine(scheduler)).toEqual([
      expect.objectContaining({ id: SLACK_OUTBOX_TASK_ID, scope: 'global' }),
    ]);
    const before = await channelTexts();

    await request(sandbox.url)
      .post('/_sandbox/faults')
      .send({ path: '/slack/api/chat.postMessage', count: 100, status: 503 })
      .expect(201);
    // Another backend instance posts while Slack is down: every message is kept.
    const elsewhere = new SlackNotifier({
      client: new SlackClient({
        botToken: slackSandboxDefaults.botToken,
        apiUrl: apiUrl(),
        retry: { attempts: 1, baseDelayMs: 1, maxDelayMs: 1 },
      }),
      outbox: new DatabaseOutboxStore(knex, { holder: 'backend-2' }),
    });
    for (const m of messages) {
      expect(await elsewhere.send(m)).toMatchObject({ status: 'queued' });
    }

    // The scheduled flush while Slack still fails: nothing lost, nothing sent.
    await scheduler.triggerTask(SLACK_OUTBOX_TASK_ID);
    const kept = await knex('slack_outbox').orderBy('seq');
    expect(kept.map(r => JSON.parse(r.message).text)).toEqual(
      messages.map(m => (m as { text: string }).text),
    );
    expect(Number(kept[0].attempts)).toBe(4);
    expect(kept[0].last_error).toBe(
      'Slack: chat.postMessage failed (HTTP 503): unexpected answer after 1 try',
    );
    expect(await channelTexts()).toEqual(before);

    await request(sandbox.url).delete('/_sandbox/faults').expect(204);
    await scheduler.triggerTask(SLACK_OUTBOX_TASK_ID);

    expect(await channelTexts()).toEqual([
      ...before,
      ...messages.map(m => (m as { text: string }).text),
    ]);
    expect(await knex('slack_outbox').select('id')).toEqual([]);
  });

  it('schedules no flush when Slack is not configured', async () => {
    const scheduler = await startPlugin(alwaysOpen);
    expect(await tasksBesidesTheEngine(scheduler)).toEqual([]);
  });
});
