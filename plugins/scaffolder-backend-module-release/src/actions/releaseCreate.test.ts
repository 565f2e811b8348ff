import { InputError, NotAllowedError } from '@backstage/errors';
import { http, HttpResponse } from 'msw';
import {
  actionContext,
  CheckpointStore,
  outputsOf,
} from '../__testUtils__/context';
import { strictServer } from '../__testUtils__/msw';
import {
  RELEASE_API,
  releaseApiHandlers,
  sampleNotes,
  sampleRelease,
  testReleaseApi,
} from '../__testUtils__/releaseApi';
import { createReleaseCreateAction } from './releaseCreate';

const input = {
  grade: 'B' as const,
  dbUpdate: false,
  apps: [
    { app: 'hybris' as const, version: 'deploy-2026-01-08' },
    { app: 'cms' as const, version: '6e27011f' },
  ],
  steps: '3,6,9',
  items: sampleRelease.items.map(i => ({
    title: i.title,
    app: i.app,
    source: { type: 'mr' as const, project: 'kop/cms', iid: 3 },
  })),
};

describe('kop:release:create', () => {
  const api = releaseApiHandlers();
  const { server, requests } = strictServer(...api.handlers);
  beforeAll(() => server.listen({ onUnhandledRequest: 'error' }));
  afterEach(() => {
    server.resetHandlers();
    requests.length = 0;
    api.created.length = 0;
  });
  afterAll(() => server.close());
  const action = () => createReleaseCreateAction({ api: testReleaseApi() });

  it('asks for a preview in a dry run, which stores nothing, and creates nothing', async () => {
    const ctx = actionContext(input, { dryRun: true });
    await action().handler(ctx);
    expect(requests).toEqual(['POST /api/release/preview']);
    expect(api.created).toEqual([]);
    expect(outputsOf(ctx)).toEqual({
      minimumGrade: 'A',
      announcement: sampleNotes.announcement,
      asanaNotes: sampleNotes.asana,
      commitMessage: sampleNotes.commitMessage,
    });
  });

  it('creates the release once, as the user, and outputs its page and notes', async () => {
    const checkpoints = new CheckpointStore();
    const ctx = actionContext(input, { checkpoints });
    await action().handler(ctx);
    expect(outputsOf(ctx)).toEqual({
      id: sampleRelease.id,
      pageUrl: `/releases/${sampleRelease.id}`,
      state: 'draft',
      minimumGrade: 'A',
      announcement: sampleNotes.announcement,
      asanaNotes: sampleNotes.asana,
      commitMessage: sampleNotes.commitMessage,
    });
    const { steps: _steps, ...sent } = input;
    expect(api.created).toEqual([
      {
        ...sent,
        apps: [
          { app: 'hybris', version: 'deploy-2026-01-08', steps: [3, 6, 9] },
          { app: 'cms', version: '6e27011f' },
        ],
      },
    ]);

    await action().handler(actionContext(input, { checkpoints }));
    expect(api.created).toHaveLength(1);
  });

  it('names the field the release API refused', async () => {
    server.use(
      http.post(`${RELEASE_API}/releases`, () =>
        HttpResponse.json(
          {
            error: {
              name: 'InputError',
              message:
                'apps.1.version: cms deploys a commit SHA or a semver tag',
            },
            request: { method: 'POST', url: '/api/release/releases' },
            response: { statusCode: 400 },
          },
          { status: 400 },
        ),
      ),
    );
    const error = await action()
      .handler(actionContext(input))
      .catch(e => e);
    expect(error).toBeInstanceOf(InputError);
    expect(error.message).toBe(
      'release API: create release refused (HTTP 400): apps.1.version: cms deploys a commit SHA or a semver tag',
    );
  });

  it('says when the user may not create releases', async () => {
    server.use(
      http.post(`${RELEASE_API}/releases`, () =>
        HttpResponse.json(
          {
            error: {
              name: 'NotAllowedError',
              message: 'release.create is not allowed',
            },
          },
          { status: 403 },
        ),
      ),
    );
    await expect(action().handler(actionContext(input))).rejects.toThrow(
      new NotAllowedError(
        'release API: create release refused (HTTP 403): release.create is not allowed',
      ),
    );
  });

  it('titles a rollback as one', async () => {
    const rollback = createReleaseCreateAction({
      api: testReleaseApi(),
      now: () => new Date('2026-01-08T03:00:00Z'),
    });
    await rollback.handler(
      actionContext({ ...input, steps: undefined, rollback: true }),
    );
    expect(api.created).toEqual([
      expect.objectContaining({ title: '[롤백] 2026.01.08 hybris, cms' }),
    ]);
    expect(api.created[0]).not.toHaveProperty('rollback');
  });

  it('registers a config release as given, naming no apps, and changes no system itself', async () => {
    const config = {
      environment: 'prod',
      changes: [{ argocdApp: 'web', key: 'replicaCount', value: '5' }],
      expectedBlobs: {
        'web/values.yaml': '8f2c0a6a4d1e2b3c4d5e6f708192a3b4c5d6e7f8',
      },
      baseSha: '3f1c2a9e8d7b6c5a4f3e2d1c0b9a8f7e6d5c4b3a',
      reason: '주말 트래픽 대비 증설 (weekend traffic)',
    };
    const configInput = { grade: 'A' as const, dbUpdate: false, config };
    const dryRun = actionContext(configInput, { dryRun: true });
    await action().handler(dryRun);
    const ctx = actionContext(configInput);
    await action().handler(ctx);
    // Only the release API is asked: the strict server refuses any other request.
    expect(requests).toEqual([
      'POST /api/release/preview',
      'POST /api/release/releases',
      `GET /api/release/releases/${sampleRelease.id}/notes`,
    ]);
    expect(api.created).toEqual([configInput]);
    expect(outputsOf(ctx).pageUrl).toBe(`/releases/${sampleRelease.id}`);
  });

  it('refuses steps that do not rise, before calling the API', async () => {
    await expect(
      action().handler(actionContext({ ...input, steps: '6,3' })),
    ).rejects.toThrow(
      "steps must be rising replica counts from 1 to 60, like 3,6,9; got '6,3'",
    );
    expect(requests).toEqual([]);
  });
});
