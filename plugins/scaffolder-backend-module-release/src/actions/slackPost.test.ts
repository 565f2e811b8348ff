import { ConfigReader } from '@backstage/config';
import { InputError } from '@backstage/errors';
import { readGradePolicy } from '@internal/plugin-release-node';
import { actionContext, outputsOf } from '../__testUtils__/context';
import {
  PORTAL,
  releaseApiServer,
  sampleNotes,
  sampleRelease,
  testReleaseApi,
} from '../__testUtils__/releaseApi';
import { sandboxConfig } from '../__testUtils__/sandbox';
import { createSlackPostAction, readNotifyChannels } from './slackPost';

const config = new ConfigReader(sandboxConfig('http://127.0.0.1:1'));
const channels = readNotifyChannels(config);
const policy = readGradePolicy(config);
const text = '[kop] 배포합니다.\n- 배포등급: B(낮음)';

describe('kop:slack:post', () => {
  // Only the release API answers: a request to Slack (or anywhere else) fails the test.
  const releaseApi = releaseApiServer();
  const { requests } = releaseApi;
  const action = createSlackPostAction({
    policy,
    channels,
    api: testReleaseApi(),
    portalUrl: PORTAL,
  });

  describe('choosing the channel and the message (dry run: nothing is queued)', () => {
    it.each([
      [{ grade: 'A' as const }, '#kop-release'],
      [{ grade: 'B' as const }, '#kop-release'],
      [{ grade: 'C' as const }, '#kop-release-core'],
      [{ grade: 'D' as const }, '#kop-release-core'],
      [{ grade: 'E' as const }, '#kop-incident'],
      [{ audience: 'qa' }, '#kop-qa'],
      [{ channel: '#kop-qa', grade: 'E' as const }, '#kop-qa'],
    ])('%j posts to %s', async (choice, channel) => {
      const ctx = actionContext(
        { releaseId: '', text, ...choice },
        { dryRun: true },
      );
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
        action.handler(
          actionContext({ releaseId: '', text, audience: 'everyone' }),
        ),
      ).rejects.toThrow(
        new InputError(
          "audience 'everyone' is not a key of release.notify.slack (qa, team, core-service-pls, service-owners)",
        ),
      );
    });

    it('refuses a channel release.notify.slack does not name, in a dry run too, naming channel', async () => {
      await expect(
        action.handler(
          actionContext(
            { releaseId: '', text, channel: '#general' },
            { dryRun: true },
          ),
        ),
      ).rejects.toThrow(
        "channel: '#general' is not a channel of release.notify.slack (#kop-qa, #kop-release, #kop-release-core, #kop-incident)",
      );
      expect(requests).toEqual([]);
    });

    it('refuses a grade whose audience has no channel, naming it', async () => {
      const bare = createSlackPostAction({
        policy,
        channels: { qa: '#kop-qa' },
      });
      await expect(
        bare.handler(
          actionContext({ releaseId: '', text, grade: 'C' as const }),
        ),
      ).rejects.toThrow(
        "grade C is shared with 'core-service-pls' is not a key of release.notify.slack (qa)",
      );
    });

    it('refuses a message with nowhere to go', async () => {
      await expect(
        action.handler(actionContext({ releaseId: '', text })),
      ).rejects.toThrow('give channel, audience or grade');
    });
  });

  describe("queueing in the release's outbox", () => {
    it("queues the QA request with the release's versions, items and payment tests, once per task step", async () => {
      const input = {
        releaseId: sampleRelease.id,
        audience: 'qa',
        kind: 'qa-request' as const,
      };
      const ctx = actionContext(input, { taskId: 'task-7', stepId: 'qa' });
      await action.handler(ctx);
      expect(outputsOf(ctx)).toEqual({
        channel: '#kop-qa',
        messageId: 'message-1',
      });
      expect(releaseApi.messageRequests).toEqual([
        {
          kind: 'slack.post',
          channel: '#kop-qa',
          key: 'task-7/qa',
          text: [
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
        },
      ]);

      // The task retried: the same key, so the backend answers with the message it queued.
      const again = actionContext(input, { taskId: 'task-7', stepId: 'qa' });
      await action.handler(again);
      expect(outputsOf(again).messageId).toBe('message-1');
      expect(releaseApi.queued.size).toBe(1);
      expect(requests.filter(r => r.startsWith('POST '))).toEqual([
        `POST /api/release/releases/${sampleRelease.id}/messages`,
        `POST /api/release/releases/${sampleRelease.id}/messages`,
      ]);
    });

    it('queues the announcement where the grade is shared', async () => {
      const ctx = actionContext(
        { releaseId: sampleRelease.id, kind: 'announcement' as const },
        { taskId: 'task-8', stepId: 'share' },
      );
      await action.handler(ctx);
      expect(releaseApi.messageRequests).toEqual([
        {
          kind: 'slack.post',
          channel: '#kop-release',
          key: 'task-8/share',
          text: sampleNotes.announcement,
        },
      ]);
    });

    it('refuses a real run with no release, naming releaseId, before any request', async () => {
      await expect(
        action.handler(
          actionContext({ releaseId: '', text, grade: 'B' as const }),
        ),
      ).rejects.toThrow(
        new InputError(
          "releaseId: a post goes out through its release's outbox; give the release (e.g. steps.create.output.id)",
        ),
      );
      expect(requests).toEqual([]);
    });
  });
});
