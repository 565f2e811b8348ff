import yaml from 'yaml';
import { actionContext, outputsOf } from '../__testUtils__/context';
import {
  releaseApiServer,
  sampleRelease,
  testReleaseApi,
} from '../__testUtils__/releaseApi';
import { createAsanaTaskAction } from './asanaTask';
import { examples } from './asanaTask.examples';

describe('kop:asana:task examples', () => {
  const releaseApi = releaseApiServer();

  it.each(examples.map((e, i) => [e.description, e.example, i]))(
    '%s',
    async (_description, example, i) => {
      const step = yaml.parse(example as string).steps[0];
      const ctx = actionContext(step.input, { taskId: `task-${i}` });
      await createAsanaTaskAction({ api: testReleaseApi() }).handler(ctx);
      expect(outputsOf(ctx).name).toBe(step.input.name ?? sampleRelease.title);
      const queued = [...releaseApi.queued.values()].find(
        m => m.id === outputsOf(ctx).messageId,
      );
      expect(queued).toMatchObject({
        releaseId: sampleRelease.id,
        kind: 'asana.create-task',
      });
    },
  );
});
