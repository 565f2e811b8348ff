import { gitlabService } from 'sandbox';
import yaml from 'yaml';
import { actionContext, outputsOf } from '../__testUtils__/context';
import { startKopSandbox } from '../__testUtils__/sandbox';
import { createGitlabReleaseBranchAction } from './gitlabReleaseBranch';
import { examples } from './gitlabReleaseBranch.examples';

describe('kop:gitlab:release-branch examples', () => {
  let kop: Awaited<ReturnType<typeof startKopSandbox>>;
  let now = Date.parse('2026-01-08T01:00:00Z');
  beforeAll(async () => {
    kop = await startKopSandbox({
      timeScale: 1,
      services: [ctx => gitlabService(ctx, undefined, { now: () => now })],
    });
  });
  afterAll(() => kop.stop());

  it.each(examples.map(e => [e.description, e.example]))(
    '%s',
    async (_description, example) => {
      const action = createGitlabReleaseBranchAction({
        integrations: kop.integrations,
        layout: kop.layout,
        clock: {
          now: () => now,
          sleep: async ms => {
            now += ms;
          },
        },
      });
      const step = yaml.parse(example).steps[0];
      const ctx = actionContext(step.input);
      await action.handler(ctx);
      const out = outputsOf(ctx);
      const branch = await kop.integrations.gitlab.branch(
        out.project,
        out.branch,
      );
      expect(branch?.sha ?? out.sha).toBe(out.sha);
      const released = out.mergeSha ?? out.sha;
      expect(out.version).toBe(
        step.input.app === 'cms' ? released.slice(0, 8) : out.branch,
      );
      const main = step.input.app === 'cms' ? 'master' : out.branch;
      expect(await kop.integrations.gitlab.resolveRef(out.project, main)).toBe(
        released,
      );
    },
  );
});
