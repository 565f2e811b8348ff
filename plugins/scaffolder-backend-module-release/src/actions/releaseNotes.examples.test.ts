import { createMockActionContext } from '@backstage/plugin-scaffolder-node-test-utils';
import yaml from 'yaml';
import { createReleaseNotesAction } from './releaseNotes';
import { examples } from './releaseNotes.examples';

describe('kop:release:notes examples', () => {
  it.each(examples.map(e => [e.description, e.example]))(
    '%s',
    async (_description, example) => {
      const action = createReleaseNotesAction({ product: 'kop' });
      const step = yaml.parse(example).steps[0];
      const ctx = createMockActionContext({ input: step.input });
      await action.handler(ctx);
      const announcement = (ctx.output as jest.Mock).mock.calls[0][1];
      expect(announcement.startsWith('[kop] 배포합니다.\n')).toBe(true);
      for (const item of step.input.items) {
        expect(announcement).toContain(`\t- ${item}`);
      }
    },
  );
});
