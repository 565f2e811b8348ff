import { mockServices } from '@backstage/backend-test-utils';
import type { Knex } from 'knex';
import {
  createTestDatabases,
  databaseIds,
  initMigrated,
} from '../__testUtils__/databases';
import {
  dev,
  inWindow,
  pl,
  RELEASE_TASK as TASK,
  releaseCore,
  releaseRequest,
  relaySettings,
  releaseToTheEnd,
  superior,
} from '../__testUtils__/releaseFlow';
import { MessageOutbox } from './MessageOutbox';
import { MessageRelay } from './MessageRelay';
import { ReleaseMessages } from './ReleaseMessages';

jest.setTimeout(60_000);

const ctx = { requestId: 'req-1' };

describe.each(databaseIds)('MessageRelay on %s', databaseId => {
  const databases = createTestDatabases();
  let knex: Knex;

  async function world() {
    knex = await initMigrated(databases, databaseId);
    const releases = releaseCore(knex);
    const outbox = new MessageOutbox({
      knex,
      send: async () => undefined,
      now: () => inWindow.getTime(),
    });
    const relay = () =>
      new MessageRelay({
        knex,
        outbox,
        audit: releases.audit,
        releases,
        people: {
          approversOf: async (_release, stage) =>
            stage === 'approval' ? [pl.ref] : [superior.ref],
        },
        settings: {
          ...relaySettings({ team: '#kop-release', qa: '#kop-qa' }),
          onCall: { hybris: ['user:default/han.jisoo'] },
          paymentBrands: ['ks', 'tc', 'g4'],
        },
        batch: 3,
      });
    return { releases, outbox, relay };
  }

  const lines = async (outbox: MessageOutbox, id: string) =>
    (await outbox.listFor(id)).map(
      m => `${m.kind} ${m.audience} ${m.destination}: ${m.summary}`,
    );

  it('derives the messages of a release from its audit rows, once however often it runs', async () => {
    const { releases, outbox, relay } = await world();
    const id = await releaseToTheEnd(releases);

    const queued = await relay().run();
    const messages = await lines(outbox, id);
    expect(messages).toEqual([
      'slack.post team #kop-release: [kop] 배포 준비 (release prepared): 2026.11.25 hybris',
      `asana.fields asana asana task ${TASK}: state: prepared`,
      `asana.fields asana asana task ${TASK}: grade: B, dbUpdate: N, state: prepared`,
      'slack.post team #kop-release: [kop] 승인 요청 (approval requested): 2026.11.25 hybris — B(낮음), by kim.minjun',
      'slack.direct approver user:default/choi.yuna: [kop] 승인 요청드립니다 (your approval is asked): 2026.11.25 hybris — B(낮음), by kim.minjun',
      `asana.fields asana asana task ${TASK}: state: awaiting_approval`,
      'slack.post team #kop-release: [kop] 승인 (approved) by choi.yuna: 2026.11.25 hybris — 승인 완료, 배포할 수 있습니다 (all approvals given: ready to deploy)',
      `asana.comment asana asana task ${TASK}: 승인 완료 (approved): choi.yuna`,
      `asana.fields asana asana task ${TASK}: state: approved`,
      'slack.post team #kop-release: [kop] [prod] 배포 시작 (deploy started) by kim.minjun: 2026.11.25 hybris',
      `asana.fields asana asana task ${TASK}: state: deploying`,
      `asana.fields asana asana task ${TASK}: state: awaiting_signoff`,
      `asana.comment asana asana task ${TASK}: 배포 완료, 결과 확인 대기 (deployed; waiting for the sign-off)`,
      'slack.direct approver user:default/seo.yeongho: [kop] 배포 결과 확인 부탁드립니다 (your sign-off of the test results is asked): 2026.11.25 hybris',
      'slack.post team #kop-release: [kop] 결과 확인 (signed off) by seo.yeongho: 2026.11.25 hybris',
      `asana.fields asana asana task ${TASK}: state: switching`,
      `asana.fields asana asana task ${TASK}: state: done`,
      'slack.post team #kop-release: [kop] 배포 완료 (done): 2026.11.25 hybris',
      `asana.comment asana asana task ${TASK}: 배포 완료 (done)`,
      `asana.complete asana asana task ${TASK}: complete the task`,
    ]);
    expect(queued).toBe(messages.length);

    expect(await relay().run()).toBe(0);
    expect(await lines(outbox, id)).toEqual(messages);
  });

  it('two relays at once queue each message once', async () => {
    const { releases, outbox, relay } = await world();
    const id = await releaseToTheEnd(releases);
    await Promise.all([relay().run(), relay().run(), relay().run()]);
    const messages = await outbox.listFor(id);
    expect(messages).toHaveLength(20);
    expect(new Set(messages.map(m => m.id)).size).toBe(20);
  });

  it('a nudge after each write relays and sends without holding the release up', async () => {
    knex = await initMigrated(databases, databaseId);
    const sent: string[] = [];
    let messages: ReleaseMessages | undefined = undefined;
    const releases = releaseCore(knex, {
      nudge: () => messages?.nudge(),
    });
    messages = new ReleaseMessages({
      knex,
      logger: mockServices.logger.mock(),
      send: async payload => {
        if (payload.kind === 'slack.post')
          sent.push(payload.text.split('\n')[0]);
      },
      relay: {
        audit: releases.audit,
        releases,
        people: { approversOf: async () => [] },
        settings: relaySettings(
          { team: '#kop-release' },
          { slack: true, asana: false },
        ),
      },
    });
    const r = await releases.create(dev, releaseRequest, ctx);
    await releases.requestApproval(dev, r.id, ctx);
    await messages.settled();
    expect(sent).toEqual([
      '[kop] 배포 준비 (release prepared): 2026.11.25 hybris',
      '[kop] 승인 요청 (approval requested): 2026.11.25 hybris — B(낮음), by kim.minjun',
    ]);
  });
});
