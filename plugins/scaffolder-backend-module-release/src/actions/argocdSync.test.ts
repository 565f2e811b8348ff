import { InputError } from '@backstage/errors';
import {
  ArgoCdClients,
  countPods,
  readArgoCdSettings,
  type ReleaseIntegrations,
  spliceYamlValues,
} from '@internal/plugin-release-node';
import type { ArgoCdSandbox } from 'sandbox';
import {
  actionContext,
  CheckpointStore,
  outputsOf,
} from '../__testUtils__/context';
import { instantClock } from '../__testUtils__/msw';
import { readOnlyGuard, requestRecorder } from '../__testUtils__/readOnly';
import { startKopSandbox } from '../__testUtils__/sandbox';
import { createArgoCdSyncAction } from './argocdSync';

const PROD = 'kop/kop-deploy-prod';

describe('kop:argocd:sync against the sandbox Argo CD and GitLab', () => {
  let kop: Awaited<ReturnType<typeof startKopSandbox>>;
  const action = (
    integrations: Pick<ReleaseIntegrations, 'argocd'> = kop.integrations,
    clock?: ReturnType<typeof instantClock>,
  ) =>
    createArgoCdSyncAction({
      integrations,
      layout: kop.layout,
      environments: ['beta', 'prod'],
      clock,
    });
  const argocd = () =>
    kop.sandbox.services.find(s => s.name === 'Argo CD') as ArgoCdSandbox;
  const syncPosts = (seen: string[]) =>
    seen.filter(r => /^POST .*\/sync$/.test(r));

  beforeAll(async () => {
    kop = await startKopSandbox({ timeScale: 0.01 });
  });
  afterAll(() => kop.stop());

  it('reports the apps as they are in a dry run and sends no write request', async () => {
    const guard = readOnlyGuard(kop.url);
    const ctx = actionContext(
      { environment: 'prod', groups: [['hybris-green'], ['web']] },
      { dryRun: true },
    );
    await guard.run(() => action().handler(ctx));
    expect(guard.writes).toEqual([]);
    expect(outputsOf(ctx).apps).toEqual([
      expect.objectContaining({
        app: 'hybris-green',
        syncStatus: 'Synced',
        healthStatus: 'Healthy',
      }),
      expect.objectContaining({
        app: 'web',
        syncStatus: 'Synced',
        healthStatus: 'Healthy',
      }),
    ]);
  });

  it('syncs the groups in order, the apps of a group at once, until Synced and Healthy, once', async () => {
    const committed = await kop.integrations.gitlab.commitEdits({
      project: PROD,
      branch: 'main',
      message: '[kop] prod: hybris-green 3, web 4',
      paths: ['hybris/values-green.yaml', 'web/values.yaml'],
      edit: files => ({
        'hybris/values-green.yaml': spliceYamlValues(
          files['hybris/values-green.yaml']!,
          {
            'image.tag': 'deploy-2026-01-08-3',
            replicaCount: 3,
          },
        ),
        'web/values.yaml': spliceYamlValues(files['web/values.yaml']!, {
          replicaCount: 4,
        }),
      }),
    });
    const input = {
      environment: 'prod',
      groups: [['hybris-green'], ['web', 'cms']],
      revision: committed.sha,
      timeoutMinutes: 2,
    };
    const checkpoints = new CheckpointStore();
    const recorder = requestRecorder(kop.url);
    const ctx = actionContext(input, { checkpoints });
    await recorder.run(() => action().handler(ctx));

    expect(outputsOf(ctx).apps).toEqual(
      ['hybris-green', 'web', 'cms'].map(app => ({
        app,
        syncStatus: 'Synced',
        healthStatus: 'Healthy',
        revision: committed.sha,
      })),
    );
    const posts = syncPosts(recorder.seen);
    expect(posts).toEqual([
      'POST /argocd/prod/api/v1/applications/hybris-green/sync',
      expect.stringMatching(/\/(web|cms)\/sync$/),
      expect.stringMatching(/\/(web|cms)\/sync$/),
    ]);
    // web and cms start only once hybris-green is Healthy: nothing of it is read after.
    const lastGreenRead = recorder.seen.lastIndexOf(
      'GET /argocd/prod/api/v1/applications/hybris-green',
    );
    expect(lastGreenRead).toBeLessThan(recorder.seen.indexOf(posts[1]));
    const prod = kop.integrations.argocd.forEnvironment('prod');
    expect(countPods(await prod.getResourceTree('hybris-green'))).toEqual({
      total: 3,
      ready: 3,
    });
    expect(countPods(await prod.getResourceTree('web'))).toEqual({
      total: 4,
      ready: 4,
    });

    // A retried task, with or without its checkpoints, finds its own syncs and starts none.
    for (const store of [checkpoints, new CheckpointStore()]) {
      const again = requestRecorder(kop.url);
      await again.run(() =>
        action().handler(actionContext(input, { checkpoints: store })),
      );
      expect(syncPosts(again.seen)).toEqual([]);
    }
  });

  it('gives up after the timeout, naming the app, and never terminates the operation', async () => {
    const clock = instantClock();
    const settings = readArgoCdSettings(kop.config)!;
    const clients = new ArgoCdClients(settings.instances, {
      now: clock.now,
      sleep: clock.sleep,
      pollIntervalMs: 5_000,
    });
    argocd().hold('prod', 'cms-internal');
    try {
      const recorder = requestRecorder(kop.url);
      const ctx = actionContext({
        environment: 'prod',
        apps: ['cms-internal'],
        timeoutMinutes: 1,
      });
      const error = await recorder
        .run(() => action({ argocd: clients }, clock).handler(ctx))
        .catch(e => e);
      expect(error.message).toMatch(
        /^Argo CD: wait for the operation on prod\/cms-internal failed: still Running after \d+ s$/,
      );
      expect(recorder.seen.filter(r => r.startsWith('DELETE'))).toEqual([]);
    } finally {
      argocd().hold('prod', 'cms-internal', false);
    }
  });

  it.each([
    [
      { environment: 'prod', apps: ['payments'] },
      "apps[0] 'payments' is not an Argo CD app of the release layout",
    ],
    [
      { environment: 'prod', groups: [['web'], ['cms', 'web']] },
      'groups[1][1] names web a second time',
    ],
    [
      { environment: 'prod', apps: ['web'], groups: [['cms']] },
      'give either apps or groups',
    ],
    [
      { environment: 'stage', apps: ['web'] },
      "environment must be one of beta, prod, got 'stage'",
    ],
  ])('refuses %j before calling Argo CD', async (input, message) => {
    const guard = readOnlyGuard(kop.url);
    const error = await guard
      .run(() => action().handler(actionContext(input)))
      .catch(e => e);
    expect(error).toBeInstanceOf(InputError);
    expect(error.message).toContain(message);
    expect(guard.writes).toEqual([]);
  });
});
