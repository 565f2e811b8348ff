import yaml from 'yaml';
import { actionContext, outputsOf } from '../__testUtils__/context';
import {
  releaseApiServer,
  sampleRelease,
  testReleaseApi,
} from '../__testUtils__/releaseApi';
import { createAsanaCommentAction } from './asanaComment';
import { examples } from './asanaComment.examples';

describe('kop:asana:comment examples', () => {
  const releaseApi = releaseApiServer();

  it.each(examples.map((e, i) => [e.description, e.example, i]))(
    '%s',
    async (_description, example, i) => {
      const step = yaml.parse(example as string).steps[0];
      const ctx = actionContext(step.input, { taskId: `task-${i}` });
      await createAsanaCommentAction({ api: testReleaseApi() }).handler(ctx);
      const queued = [...releaseApi.queued.values()].find(
        m => m.id === outputsOf(ctx).messageId,
      );
      expect(queued).toMatchObject({
        releaseId: sampleRelease.id,
        kind: 'asana.comment',
        summary: step.input.text,
      });
    },
  );
});
