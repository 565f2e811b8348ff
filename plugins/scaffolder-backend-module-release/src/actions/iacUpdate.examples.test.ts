import { gitlabService } from 'sandbox';
import yaml from 'yaml';
import { actionContext, outputsOf } from '../__testUtils__/context';
import { startKopSandbox } from '../__testUtils__/sandbox';
import { createIacUpdateAction } from './iacUpdate';
import { examples } from './iacUpdate.examples';

describe('kop:iac:update examples', () => {
  let kop: Awaited<ReturnType<typeof startKopSandbox>>;
  beforeAll(async () => {
    kop = await startKopSandbox({ services: [ctx => gitlabService(ctx)] });
  });
  afterAll(() => kop.stop());

  it.each(examples.map(e => [e.description, e.example]))(
    '%s',
    async (_description, example) => {
      const action = createIacUpdateAction({
        integrations: kop.integrations,
        layout: kop.layout,
        product: 'kop',
      });
      const step = yaml.parse(example).steps[0];
      const project = kop.layout.iac.repos[step.input.environment];
      const ctx = actionContext(step.input);
      await action.handler(ctx);
      const out = outputsOf(ctx);
      expect(out.changed).toBe(true);
      const head = await kop.integrations.gitlab.branch(project, 'main');
      expect(out.commitSha).toBe(head!.sha);
      for (const change of step.input.changes) {
        const key = change.key.split('.').pop();
        expect(out.diff).toMatch(
          new RegExp(`^\\+\\s*${key}: ${change.value}(\\s|$)`, 'm'),
        );
      }
    },
  );
});
