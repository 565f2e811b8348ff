import yaml from 'yaml';
import { actionContext, outputsOf } from '../__testUtils__/context';
import { startKopSandbox } from '../__testUtils__/sandbox';
import { createArgoCdSyncAction } from './argocdSync';
import { examples } from './argocdSync.examples';

describe('kop:argocd:sync examples', () => {
  let kop: Awaited<ReturnType<typeof startKopSandbox>>;
  beforeAll(async () => {
    kop = await startKopSandbox({ timeScale: 0.01 });
  });
  afterAll(() => kop.stop());

  it.each(examples.map(e => [e.description, e.example]))(
    '%s',
    async (_description, example) => {
      const action = createArgoCdSyncAction({
        integrations: kop.integrations,
        layout: kop.layout,
        environments: ['beta', 'prod'],
      });
      const step = yaml.parse(example).steps[0];
      const ctx = actionContext(step.input);
      await action.handler(ctx);
      const apps = step.input.apps ?? step.input.groups.flat();
      expect(outputsOf(ctx).apps).toEqual(
        apps.map((app: string) =>
          expect.objectContaining({
            app,
            syncStatus: 'Synced',
            healthStatus: 'Healthy',
          }),
        ),
      );
    },
  );
});
