import { rmSync } from 'node:fs';
import { mockServices } from '@backstage/backend-test-utils';
import {
  createAsanaService,
  createSlackService,
  slackSandboxDefaults,
  startSandbox,
  type RunningSandbox,
} from 'sandbox';
import {
  createTestDatabases,
  databaseIds,
  initMigrated,
} from '../__testUtils__/databases';
import {
  inWindow,
  pl,
  releaseCore,
  releaseToTheEnd,
  relaySettings,
  superior,
} from '../__testUtils__/releaseFlow';
import {
  fakeClock,
  sandboxMessageClients,
} from '../__testUtils__/messageClients';
import { planFault } from '../__testUtils__/sandboxFaults';
import { channelTexts } from '../__testUtils__/slackHistory';
import { ReleaseMessages } from './ReleaseMessages';
import { createMessageSender } from './senders';

jest.setTimeout(120_000);

const TEAM = '#kop-release';

describe.each(databaseIds)('ReleaseMessages on %s', databaseId => {
  const databases = createTestDatabases();
  let sandbox: RunningSandbox;

  beforeAll(async () => {
    sandbox = await startSandbox({
      services: [createSlackService(), createAsanaService()],
    });
  });
  afterAll(async () => {
    await sandbox.close();
    rmSync(sandbox.context.dataDir, { recursive: true, force: true });
  });

  /** What a person's direct conversation with the bot shows, oldest first. */
  async function directTexts(name: string): Promise<string[]> {
    const call = async (method: string, params: Record<string, string>) =>
      (await (
        await fetch(`${sandbox.url}/slack/api/${method}`, {
          method: 'POST',
          headers: { 'content-type': 'application/x-www-form-urlencoded' },
          body: new URLSearchParams({
            token: slackSandboxDefaults.botToken,
            ...params,
          }),
        })
      ).json()) as Record<string, any>;
    const { user } = await call('users.lookupByEmail', {
      email: `${name}@kop.example`,
    });
    const { channel } = await call('conversations.open', { users: user.id });
    return channelTexts(sandbox.url, channel.id);
  }

  it('a minute of Slack outage during a release holds nothing up and loses no message: each arrives once, in order, when Slack is back', async () => {
    const knex = await initMigrated(databases, databaseId);
    const time = fakeClock(inWindow.getTime());
    const { slack, asana } = sandboxMessageClients(sandbox.url, time.clock);
    const task = await asana.createReleaseTask({ name: '2026.11.25 hybris' });
    let messages: ReleaseMessages | undefined = undefined;
    const releases = releaseCore(knex, { nudge: () => messages?.nudge() });
    messages = new ReleaseMessages({
      knex,
      logger: mockServices.logger.mock(),
      send: createMessageSender({
        slack: () => slack,
        asana: () => asana,
        people: {
          emailOf: async ref =>
            `${ref.replace(/^user:(default\/)?/, '')}@kop.example`,
        },
      }),
      outbox: { now: time.now },
      relay: {
        audit: releases.audit,
        releases,
        people: {
          approversOf: async (_release, stage) =>
            stage === 'approval' ? [pl.ref] : [superior.ref],
        },
        settings: relaySettings({ team: TEAM }),
      },
    });

    // Slack answers 503 to everything from the release's first write on.
    await planFault(sandbox.url, {
      path: '/slack/api/',
      count: 100_000,
      status: 503,
    });
    const start = time.now();
    const id = await releaseToTheEnd(releases, {
      task: task.gid,
      // The release's writes spread over the outage; the scheduled catch-up runs meanwhile.
      between: async () => {
        await messages!.settled();
        time.advance(8_000);
        await messages!.cycle();
      },
    });
    while (time.now() - start < 60_000) {
      await messages.cycle();
      time.advance(5_000);
    }

    // The release went on to done; Slack's messages wait, none given up; Asana's went through.
    expect((await releases.get(id)).state).toBe('done');
    const during = await messages.outbox.listFor(id);
    const slackDuring = during.filter(m => m.kind.startsWith('slack.'));
    expect(slackDuring.length).toBeGreaterThan(0);
    expect(slackDuring.map(m => m.state).filter(s => s === 'sent')).toEqual([]);
    expect(slackDuring.some(m => m.state === 'failed')).toBe(false);
    expect(slackDuring.find(m => m.state === 'retrying')?.lastError).toMatch(
      /503/,
    );
    expect(
      during.filter(m => m.kind.startsWith('asana.')).map(m => m.state),
    ).toEqual(
      during.filter(m => m.kind.startsWith('asana.')).map(() => 'sent'),
    );

    // Slack is back: the catch-up delivers everything, once.
    const back = await fetch(`${sandbox.url}/_sandbox/faults`, {
      method: 'DELETE',
    });
    expect(back.status).toBe(204);
    for (let round = 0; round < 20; round++) {
      const { waiting } = await messages.cycle();
      if (waiting === 0) break;
      time.advance(30_000);
    }
    const after = await messages.outbox.listFor(id);
    expect(after.map(m => m.state)).toEqual(after.map(() => 'sent'));
    const posted = (await channelTexts(sandbox.url, TEAM))
      .filter(t => t.includes(id))
      .map(t => t.split('\n')[0]);
    expect(posted).toEqual([
      '[kop] 배포 준비 (release prepared): 2026.11.25 hybris',
      '[kop] 승인 요청 (approval requested): 2026.11.25 hybris — B(낮음), by kim.minjun',
      '[kop] 승인 (approved) by choi.yuna: 2026.11.25 hybris — 승인 완료, 배포할 수 있습니다 (all approvals given: ready to deploy)',
      '[kop] [prod] 배포 시작 (deploy started) by kim.minjun: 2026.11.25 hybris',
      '[kop] 결과 확인 (signed off) by seo.yeongho: 2026.11.25 hybris',
      '[kop] 배포 완료 (done): 2026.11.25 hybris',
    ]);
    expect(
      (await directTexts('choi.yuna')).filter(t => t.includes(id)),
    ).toHaveLength(1);
    expect(
      (await directTexts('seo.yeongho')).filter(t => t.includes(id)),
    ).toHaveLength(1);
    expect(after.filter(m => m.kind.startsWith('slack.'))).toHaveLength(
      posted.length + 2,
    );
  });
});
