import { ConfigReader } from '@backstage/config';
import { InputError } from '@backstage/errors';
import { readGradePolicy } from '@internal/plugin-release-node';
import { createSlackService, slackSandboxDefaults } from 'sandbox';
import {
  actionContext,
  CheckpointStore,
  outputsOf,
} from '../__testUtils__/context';
import { strictServer } from '../__testUtils__/msw';
import { sandboxConfig, startKopSandbox } from '../__testUtils__/sandbox';
import { createSlackPostAction, readNotifyChannels } from './slackPost';

const config = new ConfigReader(sandboxConfig('http://127.0.0.1:1'));
const channels = readNotifyChannels(config);
const policy = readGradePolicy(config);
const text = '[kop] 배포합니다.\n- 배포등급: B(낮음)';

describe('kop:slack:post', () => {
  describe('choosing the channel (dry run: nothing is sent)', () => {
    const { server, requests } = strictServer();
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
    beforeAll(async () => {
      kop = await startKopSandbox({ services: [createSlackService()] });
    });
    afterAll(() => kop.stop());

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
