import yaml from 'yaml';
import { actionContext, outputsOf } from '../__testUtils__/context';
import {
  releaseApiServer,
  sampleRelease,
  testReleaseApi,
} from '../__testUtils__/releaseApi';
import { sandboxConfig } from '../__testUtils__/sandbox';
import { ConfigReader } from '@backstage/config';
import { readGradePolicy } from '@internal/plugin-release-node';
import { createSlackPostAction, readNotifyChannels } from './slackPost';
import { examples } from './slackPost.examples';

const config = new ConfigReader(sandboxConfig('http://127.0.0.1:1'));

describe('kop:slack:post examples', () => {
  const releaseApi = releaseApiServer();

  it.each(examples.map((e, i) => [e.description, e.example, i]))(
    '%s',
    async (_description, example, i) => {
      const action = createSlackPostAction({
        policy: readGradePolicy(config),
        channels: readNotifyChannels(config),
        api: testReleaseApi(),
      });
      const step = yaml.parse(example as string).steps[0];
      const ctx = actionContext(step.input, { taskId: `task-${i}` });
      await action.handler(ctx);
      const queued = [...releaseApi.queued.values()].find(
        m => m.id === outputsOf(ctx).messageId,
      );
      expect(queued).toMatchObject({
        releaseId: sampleRelease.id,
        kind: 'slack.post',
        destination: outputsOf(ctx).channel,
      });
    },
  );
});
