import { createAsanaService } from 'sandbox';
import yaml from 'yaml';
import { actionContext, outputsOf } from '../__testUtils__/context';
import { strictServerWithSandbox } from '../__testUtils__/msw';
import {
  releaseApiHandlers,
  sampleRelease,
  testReleaseApi,
} from '../__testUtils__/releaseApi';
import { startKopSandbox } from '../__testUtils__/sandbox';
import { createAsanaTaskAction } from './asanaTask';
import { examples } from './asanaTask.examples';

describe('kop:asana:task examples', () => {
  let kop: Awaited<ReturnType<typeof startKopSandbox>>;
  let stop: () => void;
  beforeAll(async () => {
    kop = await startKopSandbox({ services: [createAsanaService()] });
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
      const step = yaml.parse(example).steps[0];
      const ctx = actionContext(step.input);
      await createAsanaTaskAction({
        integrations: kop.integrations,
        api: testReleaseApi(),
      }).handler(ctx);
      const task = await kop.integrations.asana.getTask(outputsOf(ctx).gid);
      const release = step.input.releaseId ? sampleRelease : undefined;
      expect(task).toMatchObject({
        name: step.input.name ?? release?.title,
        grade: step.input.grade ?? release?.grade,
        buildNumber: step.input.buildNumber,
        dbUpdate: step.input.dbUpdate ?? release?.dbUpdate,
      });
    },
  );
});
