import { createSlackService } from 'sandbox';
import yaml from 'yaml';
import { actionContext, outputsOf } from '../__testUtils__/context';
import { strictServerWithSandbox } from '../__testUtils__/msw';
import {
  releaseApiHandlers,
  testReleaseApi,
} from '../__testUtils__/releaseApi';
import { startKopSandbox } from '../__testUtils__/sandbox';
import { createSlackPostAction, readNotifyChannels } from './slackPost';
import { examples } from './slackPost.examples';

describe('kop:slack:post examples', () => {
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

  it.each(examples.map(e => [e.description, e.example]))(
    '%s',
    async (_description, example) => {
      const action = createSlackPostAction({
        integrations: kop.integrations,
        policy: kop.policy,
        channels: readNotifyChannels(kop.config),
        api: testReleaseApi(),
      });
      const step = yaml.parse(example).steps[0];
      const ctx = actionContext(step.input);
      await action.handler(ctx);
      expect(outputsOf(ctx)).toEqual({
        channel: expect.stringMatching(/^C/),
        ts: expect.any(String),
      });
    },
  );
});
