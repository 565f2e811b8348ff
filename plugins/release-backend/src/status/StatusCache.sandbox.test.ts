import { seedFacts } from 'sandbox';
import type { StatusCache, StatusSystems } from './StatusCache';
import {
  commitValues,
  integrationsFor,
  rowOf,
  startStatusSandbox,
  statusCacheFor,
  statusConfigFor,
  statusWhere,
  type StatusSandbox,
} from './__testUtils__/statusSandbox';

jest.setTimeout(120_000);

describe('StatusCache against the sandbox', () => {
  let sandbox: StatusSandbox;
  let config: ReturnType<typeof statusConfigFor>;
  const caches: StatusCache[] = [];

  beforeAll(async () => {
    sandbox = await startStatusSandbox();
    config = statusConfigFor(sandbox);
  });
  afterEach(async () => {
    await Promise.all(caches.splice(0).map(c => c.stop()));
    await fetch(`${sandbox.url}/_sandbox/faults`, { method: 'DELETE' });
  });
  afterAll(() => sandbox.dispose());

  const cacheOf = (...args: Parameters<typeof statusCacheFor>) => {
    const cache = statusCacheFor(...args);
    caches.push(cache);
    return cache;
  };

  const fault = (body: object) =>
    fetch(`${sandbox.url}/_sandbox/faults`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });

  it('fills a cold cache with every app in every environment', async () => {
    const status = await cacheOf(config).snapshot();
    expect(status.errors).toBeUndefined();
    expect(status.environments.map(e => e.name)).toEqual(['beta', 'prod']);
    for (const environment of status.environments) {
      expect(environment.apps.map(a => a.app)).toEqual([
        'hybris',
        'cms',
        'web',
      ]);
      for (const row of environment.apps) {
        expect(row.errors).toBeUndefined();
        expect(row.sync).toBe('Synced');
        expect(row.health).toBe('Healthy');
      }
    }
    const hybris = rowOf(status, 'prod', 'hybris');
    expect(hybris.argocd.map(a => a.name)).toEqual([
      'hybris-blue',
      'hybris-green',
      'hybris',
    ]);
    expect(hybris.argocd[0]).toMatchObject({
      instance: 'prod',
      revision: expect.stringMatching(/^[0-9a-f]{40}$/),
      targetRevision: 'main',
    });
    expect(hybris).toMatchObject({
      liveColour: seedFacts.hybris.liveColour,
      version: seedFacts.hybris.running,
      versions: [seedFacts.hybris.running],
    });
    const [blue, green] = hybris.colours!;
    expect(blue).toMatchObject({
      colour: 'blue',
      argocdApp: 'hybris-blue',
      live: true,
      version: seedFacts.hybris.running,
      replicas: { ready: 9, pods: 9, desired: 9 },
      cluster: { up: true, viewSize: 9, expectedNodes: 9, complete: true },
      errorRateMax: 0.5,
    });
    expect(Array.isArray(blue.errorRate)).toBe(true);
    expect(green).toMatchObject({
      colour: 'green',
      live: false,
      version: seedFacts.hybris.idle,
      replicas: { ready: 0, pods: 0, desired: 0 },
      cluster: { up: false, viewSize: 0 },
    });
    const cms = rowOf(status, 'prod', 'cms');
    expect(cms.argocd.map(a => a.name)).toEqual(['cms', 'cms-internal']);
    expect(cms.version).toMatch(/^[0-9a-f]{7,}$/);
    expect(cms.versions).toEqual([cms.version]);
  });

  it('serves concurrent cold requests from one fill: one list per Argo CD instance', async () => {
    const lists: string[] = [];
    const cache = cacheOf(config, {
      wrap: (systems): StatusSystems => ({
        ...systems,
        argocdFor: environment => {
          const client = systems.argocdFor(environment);
          return {
            instance: client.instance,
            listApplications: filter => {
              lists.push(client.instance);
              return client.listApplications(filter);
            },
            getResourceTree: name => client.getResourceTree(name),
            watchApplications: options => client.watchApplications(options),
          };
        },
      }),
    });
    const answers = await Promise.all(
      Array.from({ length: 20 }, () => cache.snapshotBody()),
    );
    expect(new Set(answers.map(a => a.json)).size).toBe(1);
    expect(lists.sort()).toEqual(['beta', 'prod']);
  });

  it('sees an IaC change and its sync through the watch stream alone', async () => {
    const cache = cacheOf(config);
    const before = rowOf(await cache.snapshot(), 'beta', 'web');
    const integrations = integrationsFor(config);
    await commitValues(integrations.gitlab, 'beta', 'web/values.yaml', {
      'image.tag': 'c0ffee1',
    });
    const argocd = integrations.argocd.forEnvironment('beta');
    await argocd.hardRefresh('web');
    const outOfSync = await statusWhere(
      cache,
      s => rowOf(s, 'beta', 'web').sync === 'OutOfSync',
    );
    expect(rowOf(outOfSync, 'beta', 'web').version).toBe(before.version);

    await argocd.sync('web', { operationKey: 'status-test/web' });
    const synced = await statusWhere(cache, s => {
      const web = rowOf(s, 'beta', 'web');
      return web.sync === 'Synced' && web.version === 'c0ffee1';
    });
    const web = rowOf(synced, 'beta', 'web');
    expect(web.argocd[0].operation).toMatchObject({
      phase: 'Succeeded',
      running: false,
    });
    expect(web.argocd[0].revision).not.toBe(before.argocd[0].revision);
    // The other environment did not move.
    expect(rowOf(synced, 'prod', 'web').version).toBe(
      rowOf(await cache.snapshot(), 'prod', 'web').version,
    );
  });

  it('follows the idle colour scaling up: desired from the synced values, pods from the resource tree', async () => {
    const cache = cacheOf(config);
    await cache.snapshot();
    const integrations = integrationsFor(config);
    await commitValues(
      integrations.gitlab,
      'beta',
      'hybris/values-green.yaml',
      {
        'image.tag': seedFacts.hybris.candidate,
        replicaCount: 3,
      },
    );
    const argocd = integrations.argocd.forEnvironment('beta');
    await argocd.hardRefresh('hybris-green');
    await argocd.sync('hybris-green', { operationKey: 'status-test/green' });
    const scaled = await statusWhere(cache, s => {
      const green = rowOf(s, 'beta', 'hybris').colours![1];
      return green.replicas.desired === 3 && green.replicas.ready === 3;
    });
    const hybris = rowOf(scaled, 'beta', 'hybris');
    expect(hybris.colours![1]).toMatchObject({
      live: false,
      version: seedFacts.hybris.candidate,
      replicas: { ready: 3, pods: 3, desired: 3 },
    });
    // Both colours run now, the live one first.
    expect(hybris.versions).toEqual([
      seedFacts.hybris.running,
      seedFacts.hybris.candidate,
    ]);
    expect(hybris.liveColour).toBe('blue');
    // The JGroups view comes with the periodic refresh.
    await cache.refresh();
    const refreshed = rowOf(await cache.snapshot(), 'beta', 'hybris');
    expect(refreshed.colours![1].cluster).toMatchObject({
      up: true,
      viewSize: 3,
      expectedNodes: 3,
      complete: true,
    });
  });

  it('shows a refused Argo CD on the rows of its environment, the others intact', async () => {
    await fault({
      path: '/argocd/beta/api/v1/',
      count: 1000,
      status: 401,
      body: {
        error: 'invalid session: token signature is invalid',
        code: 16,
        message: 'invalid session: token signature is invalid',
      },
    });
    const status = await cacheOf(config).snapshot();
    for (const row of status.environments[0].apps) {
      expect(row.errors).toEqual(
        expect.arrayContaining([
          expect.stringMatching(
            /^Argo CD \(beta, http:\/\/127\.0\.0\.1:\d+\/argocd\/beta\/api\/v1\/applications\): list applications failed \(HTTP 401\): invalid session.*renew the token of 'beta' in argocd\.instances/,
          ),
        ]),
      );
      expect(row.argocd).toEqual([]);
      expect(row.sync).toBe('Unknown');
    }
    for (const row of status.environments[1].apps) {
      expect(row.errors).toBeUndefined();
    }
  });

  it('answers within the call timeout when Argo CD does not answer, saying so on the rows', async () => {
    await fault({
      path: '/argocd/prod/api/v1/applications',
      count: 1000,
      status: 0,
      delayMs: 10_000,
    });
    const cache = cacheOf(config, { callTimeoutMs: 3_000 });
    const status = await cache.snapshot();
    const web = rowOf(status, 'prod', 'web');
    expect(web.errors).toEqual([
      "Argo CD (prod): list applications: no answer within 3 s; check that Argo CD 'prod' is up and that argocd.instances has its URL right",
    ]);
    expect(rowOf(status, 'beta', 'web').errors).toBeUndefined();
  });

  it('shows a failing cluster status on the hybris row only', async () => {
    await fault({ path: '/hybris/prod/green/', count: 1000, status: 500 });
    const status = await cacheOf(config).snapshot();
    const hybris = rowOf(status, 'prod', 'hybris');
    expect(hybris.errors).toEqual([
      expect.stringMatching(
        /^hybris \(http:\/\/127\.0\.0\.1:\d+\/hybris\/prod\/green\/cluster\/status\): read the cluster status of green in prod failed \(HTTP 500\)/,
      ),
    ]);
    expect(hybris.colours![1].cluster).toBeUndefined();
    expect(hybris.colours![0].cluster).toMatchObject({ up: true });
    expect(rowOf(status, 'prod', 'web').errors).toBeUndefined();
  });
});
