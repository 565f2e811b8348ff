import { createJenkinsService } from 'sandbox';
import yaml from 'yaml';
import { actionContext, outputsOf } from '../__testUtils__/context';
import { startKopSandbox } from '../__testUtils__/sandbox';
import { createJenkinsBuildAction } from './jenkinsBuild';
import { examples } from './jenkinsBuild.examples';

describe('kop:jenkins:build examples', () => {
  let kop: Awaited<ReturnType<typeof startKopSandbox>>;
  beforeAll(async () => {
    kop = await startKopSandbox({
      timeScale: 0.005,
      services: [createJenkinsService()],
    });
  });
  afterAll(() => kop.stop());

  it.each(examples.map(e => [e.description, e.example]))(
    '%s',
    async (_description, example) => {
      const action = createJenkinsBuildAction({
        integrations: kop.integrations,
        layout: kop.layout,
        pollMs: 20,
      });
      const step = yaml.parse(example).steps[0];
      const ctx = actionContext(step.input);
      await action.handler(ctx);
      const out = outputsOf(ctx);
      expect(out.result).toBe('SUCCESS');
      expect(out.imageTag).toBe(`${step.input.branch}-${out.buildNumber}`);
    },
  );
});
