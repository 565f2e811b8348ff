import { ConfigReader } from '@backstage/config';
import { InputError } from '@backstage/errors';
import { readGradePolicy } from '@internal/plugin-release-node';
import { createSlackService, slackSandboxDefaults } from 'sandbox';
import {
  actionContext,
  CheckpointStore,
  outputsOf,
} from '../__testUtils__/context';
import { strictServer, strictServerWithSandbox } from '../__testUtils__/msw';
import {
  PORTAL,
  releaseApiHandlers,
  sampleNotes,
  sampleRelease,
  testReleaseApi,
} from '../__testUtils__/releaseApi';
import { sandboxConfig, startKopSandbox } from '../__testUtils__/sandbox';
import { createSlackPostAction, readNotifyChannels } from './slackPost';

const config = new ConfigReader(sandboxConfig('http://127.0.0.1:1'));
const channels = readNotifyChannels(config);
const policy = readGradePolicy(config);
const text = '[kop] 배포합니다.\n- 배포등급: B(낮음)';

describe('kop:slack:post', () => {
  describe('choosing the channel and the message (dry run: nothing is sent)', () => {
    const { server, requests } = strictServer(...releaseApiHandlers().handlers);
    beforeEach(() => {
      requests.length = 0;
    });
    beforeAll(() => server.listen({ onUnhandledRequest: 'error' }));
    afterAll(() => server.close());
    const action = createSlackPostAction({
      integrations: {
        get slack(): never {
          throw new Error('a dry run must not reach Slack');
        },
      },
      policy,
      channels,
      api: testReleaseApi(),
    });

    it.each([
      [{ grade: 'A' as const }, '#kop-release'],
      [{ grade: 'B' as const }, '#kop-release'],
      [{ grade: 'C' as const }, '#kop-release-core'],
      [{ grade: 'D' as const }, '#kop-release-core'],
      [{ grade: 'E' as const }, '#kop-incident'],
      [{ audience: 'qa' }, '#kop-qa'],
      [{ channel: '#kop-qa', grade: 'E' as const }, '#kop-qa'],
    ])('%j posts to %s', async (choice, channel) => {
      const ctx = actionContext({ text, ...choice }, { dryRun: true });
      await action.handler(ctx);
      expect(outputsOf(ctx)).toEqual({ channel });
      expect(requests).toEqual([]);
    });

    it('posts a release where its grade is shared, reading only the release', async () => {
      const ctx = actionContext(
        { releaseId: sampleRelease.id },
        { dryRun: true },
      );
      await action.handler(ctx);
      expect(outputsOf(ctx)).toEqual({ channel: '#kop-release' });
      expect(requests).toEqual([
        `GET /api/release/releases/${sampleRelease.id}`,
        `GET /api/release/releases/${sampleRelease.id}/notes`,
      ]);
      expect(ctx.logger.info).toHaveBeenCalledWith(
        `Dry run: would post to #kop-release:\n${sampleNotes.announcement}`,
      );
    });

    it('passes a template dry run whose release step registered nothing', async () => {
      const ctx = actionContext(
        { releaseId: '', audience: 'qa', kind: 'qa-request' as const },
        { dryRun: true },
      );
      await action.handler(ctx);
      expect(outputsOf(ctx)).toEqual({ channel: '#kop-qa' });
      expect(requests).toEqual([]);
    });

    it('refuses an audience release.notify.slack does not name', async () => {
      await expect(
        action.handler(actionContext({ text, audience: 'everyone' })),
      ).rejects.toThrow(
        new InputError(
          "audience 'everyone' is not a key of release.notify.slack (qa, team, core-service-pls, service-owners)",
        ),
      );
    });

    it('refuses a grade whose audience has no channel, naming it', async () => {
      const bare = createSlackPostAction({
        integrations: { slack: undefined as never },
        policy,
        channels: { qa: '#kop-qa' },
      });
      await expect(
        bare.handler(actionContext({ text, grade: 'C' as const })),
      ).rejects.toThrow(
        "grade C is shared with 'core-service-pls' is not a key of release.notify.slack (qa)",
      );
    });

    it('refuses a message with nowhere to go', async () => {
      await expect(action.handler(actionContext({ text }))).rejects.toThrow(
        'give channel, audience or grade',
      );
    });
  });

  describe('against the sandbox Slack', () => {
    let kop: Awaited<ReturnType<typeof startKopSandbox>>;
    let stop: () => void;
    beforeAll(async () => {
      kop = await startKopSandbox({ services: [createSlackService()] });
      const { server } = strictServerWithSandbox(
        kop.url,
        ...releaseApiHandlers().handlers,
      );
      server.listen({ onUnhandledRequest: 'error' });
      stop = () => server.close();
    });
    afterAll(async () => {
      stop();
      await kop.stop();
    });
    const slackApi = (method: string, params: Record<string, string>) =>
      fetch(`${kop.url}/slack/api/${method}`, {
        method: 'POST',
        headers: {
          authorization: `Bearer ${slackSandboxDefaults.botToken}`,
          'content-type': 'application/x-www-form-urlencoded',
        },
        body: new URLSearchParams(params),
      }).then(r => r.json());

    it("asks for QA in the QA room with the release's versions, items and payment tests", async () => {
      const action = createSlackPostAction({
        integrations: kop.integrations,
        policy,
        channels,
        api: testReleaseApi(),
        portalUrl: PORTAL,
      });
      const ctx = actionContext({
        releaseId: sampleRelease.id,
        audience: 'qa',
        kind: 'qa-request' as const,
      });
      await action.handler(ctx);
      const out = outputsOf(ctx);
      const info = await slackApi('conversations.info', {
        channel: out.channel,
      });
      expect(info.channel.name).toBe('kop-qa');
      const history = await slackApi('conversations.history', {
        channel: out.channel,
      });
      expect(history.messages[0].text).toBe(
        [
          '[kop] 베타 배포 완료, QA 요청드립니다.',
          '- 배포버전: hybris(deploy-2026-01-08), cms(6e27011f)',
          '- 배포등급: B(낮음)',
          '- DB 업데이트 여부: N',
          '- 배포내역',
          '\t- [HYBRIS] 푸터 대표이사 성명 변경 작업 원복',
          '\t- [CMS] KS 템플릿 업데이트',
          '- 결제 테스트: ks, tc, g4',
          `- 배포 페이지: ${PORTAL}/releases/${sampleRelease.id}`,
        ].join('\n'),
      );
    });

    it('posts once to the channel the grade is shared with', async () => {
      const action = createSlackPostAction({
        integrations: kop.integrations,
        policy,
        channels,
      });
      const checkpoints = new CheckpointStore();
      const ctx = actionContext({ text, grade: 'B' as const }, { checkpoints });
      await action.handler(ctx);
      await action.handler(
        actionContext({ text, grade: 'B' as const }, { checkpoints }),
      );
      const out = outputsOf(ctx);
      expect(out).toEqual({
        channel: expect.stringMatching(/^C/),
        ts: expect.any(String),
      });

      const history = await fetch(
        `${kop.url}/slack/api/conversations.history`,
        {
          method: 'POST',
          headers: {
            authorization: `Bearer ${slackSandboxDefaults.botToken}`,
            'content-type': 'application/x-www-form-urlencoded',
          },
          body: new URLSearchParams({ channel: out.channel }),
        },
      ).then(r => r.json());
      expect(history.messages.map((m: { text: string }) => m.text)).toEqual([
        text,
      ]);
      const info = await fetch(`${kop.url}/slack/api/conversations.info`, {
        method: 'POST',
        headers: {
          authorization: `Bearer ${slackSandboxDefaults.botToken}`,
          'content-type': 'application/x-www-form-urlencoded',
        },
        body: new URLSearchParams({ channel: out.channel }),
      }).then(r => r.json());
      expect(info.channel.name).toBe('kop-release');
    });
  });
});
