import yaml from 'yaml';
import { actionContext, outputsOf } from '../__testUtils__/context';
import { strictServer } from '../__testUtils__/msw';
import {
  releaseApiHandlers,
  testReleaseApi,
} from '../__testUtils__/releaseApi';
import { createReleaseCreateAction } from './releaseCreate';
import { examples } from './releaseCreate.examples';

describe('kop:release:create examples', () => {
  const api = releaseApiHandlers();
  const { server } = strictServer(...api.handlers);
  beforeAll(() => server.listen({ onUnhandledRequest: 'error' }));
  afterAll(() => server.close());

  it.each(examples.map(e => [e.description, e.example]))(
    '%s',
    async (_description, example) => {
      const parsed = yaml.parse(example);
      const ctx = actionContext(parsed.steps[0].input);
      await createReleaseCreateAction({ api: testReleaseApi() }).handler(ctx);
      expect(api.created[api.created.length - 1]).toEqual(
        parsed.steps[0].input,
      );
      const out = outputsOf(ctx);
      expect(out.pageUrl).toBe(`/releases/${out.id}`);
      expect(parsed.output.links[0].url).toBe(
        '${{ steps.release.output.pageUrl }}',
      );
    },
  );
});
