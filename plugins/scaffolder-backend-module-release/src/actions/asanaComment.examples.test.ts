import { createAsanaService } from 'sandbox';
import yaml from 'yaml';
import { actionContext, outputsOf } from '../__testUtils__/context';
import { startKopSandbox } from '../__testUtils__/sandbox';
import { createAsanaCommentAction } from './asanaComment';
import { examples } from './asanaComment.examples';

describe('kop:asana:comment examples', () => {
  let kop: Awaited<ReturnType<typeof startKopSandbox>>;
  beforeAll(async () => {
    kop = await startKopSandbox({ services: [createAsanaService()] });
    // The sandbox's first task is the one the example names.
    await kop.integrations.asana.createReleaseTask({
      name: '2026.01.08 hybris',
    });
  });
  afterAll(() => kop.stop());

  it.each(examples.map(e => [e.description, e.example]))(
    '%s',
    async (_description, example) => {
      const step = yaml.parse(example).steps[0];
      const ctx = actionContext(step.input);
      await createAsanaCommentAction({
        integrations: kop.integrations,
      }).handler(ctx);
      expect(outputsOf(ctx).storyGid).toMatch(/^\d+$/);
    },
  );
});
