import { mockServices } from '@backstage/backend-test-utils';
import { ConfigReader } from '@backstage/config';
import type { ReleaseStatus } from '@internal/plugin-release-common';
import {
  readReleaseLayout,
  type v1alpha1Application,
} from '@internal/plugin-release-node';
import { StatusCache, type StatusSnapshotBody } from './StatusCache';
import {
  application,
  deferred,
  fakeSystems,
  kopApps,
  ManualTimers,
  SYNCED,
} from './__testUtils__/fakeSystems';
import { rowOf } from './__testUtils__/statusSandbox';

const CALL_TIMEOUT = 5000;
const FLUSH = 50;
const FAST = 10_000;
const SLOW = 60_000;
const NOW = Date.parse('2026-01-08T01:00:00Z');

/** Lets every settled promise run its callbacks. */
const settle = () => new Promise(resolve => setImmediate(resolve));

function setUp(options: { environments?: string[] } = {}) {
  const fake = fakeSystems();
  const timers = new ManualTimers();
  let now = NOW;
  const cache = new StatusCache({
    systems: fake.systems,
    layout: readReleaseLayout(new ConfigReader({})),
    environments: options.environments ?? ['beta', 'prod'],
    logger: mockServices.logger.mock(),
    timers,
    now: () => now,
    callTimeoutMs: CALL_TIMEOUT,
    flushDelayMs: FLUSH,
  });
  const changes: ReleaseStatus[] = [];
  const closed: string[] = [];
  const listen = () =>
    cache.subscribe({
      change: (body: StatusSnapshotBody) => changes.push(JSON.parse(body.json)),
      close: () => closed.push('closed'),
    });
  /** Runs the flush a change scheduled, after the reads it waits for have landed. */
  const flush = async () => {
    await settle();
    timers.fireTimeouts(FLUSH);
  };
  return {
    ...fake,
    cache,
    timers,
    changes,
    closed,
    listen,
    flush,
    advance: (ms: number) => {
      now += ms;
    },
  };
}

describe('StatusCache', () => {
  it('builds every row from what the systems say', async () => {
    const { cache } = setUp();
    const status = await cache.snapshot();
    expect(status.updatedAt).toBe(new Date(NOW).toISOString());
    expect(status.errors).toBeUndefined();
    expect(rowOf(status, 'prod', 'hybris')).toEqual({
      app: 'hybris',
      version: 'deploy-2026-01-06',
      versions: ['deploy-2026-01-06'],
      sync: 'Synced',
      health: 'Healthy',
      liveColour: 'blue',
      argocd: ['hybris-blue', 'hybris-green', 'hybris'].map(name => ({
        name,
        instance: 'prod',
        url: `https://argocd-prod.kop.example/applications/${name}`,
        sync: 'Synced',
        health: 'Healthy',
        revision: SYNCED,
        targetRevision: 'main',
        images: expect.any(Array),
      })),
      colours: [
        {
          colour: 'blue',
          argocdApp: 'hybris-blue',
          live: true,
          version: 'deploy-2026-01-06',
          replicas: { ready: 9, pods: 9, desired: 9 },
          cluster: {
            up: true,
            viewSize: 9,
            expectedNodes: 9,
            complete: true,
            missing: [],
          },
          errorRate: [
            { t: 1_700_000_000, v: 0.1 },
            { t: 1_700_000_060, v: 0.25 },
          ],
          errorRateMax: 0.5,
        },
        {
          colour: 'green',
          argocdApp: 'hybris-green',
          live: false,
          version: 'deploy-2025-12-23',
          replicas: { ready: 0, pods: 0, desired: 0 },
          cluster: { up: false, viewSize: 0, complete: false, missing: [] },
          errorRate: [
            { t: 1_700_000_000, v: 0.1 },
            { t: 1_700_000_060, v: 0.25 },
          ],
          errorRateMax: 0.5,
        },
      ],
    });
    expect(rowOf(status, 'beta', 'cms')).toMatchObject({
      version: '5d41402',
      versions: ['5d41402'],
      argocd: [{ name: 'cms' }, { name: 'cms-internal' }],
    });
  });

  it('fills a cold cache once for every request that waits, with the reads made in parallel', async () => {
    const { cache, argocd, calls } = setUp();
    const list = deferred<v1alpha1Application[]>();
    argocd.prod.nextList = () => list.promise;
    const waiting = Array.from({ length: 10 }, () => cache.snapshotBody());
    await settle();
    // Everything else was asked for while prod's list is still out.
    expect(argocd.beta.lists).toBe(1);
    expect(argocd.prod.lists).toBe(1);
    expect(calls.cluster).toBe(4);
    expect(calls.prometheus).toBe(4);
    expect(calls.gitlab.filter(c => c.includes('@main:'))).toHaveLength(6);
    list.resolve(kopApps());
    const bodies = await Promise.all(waiting);
    expect(new Set(bodies.map(b => b.version))).toEqual(new Set([1]));
    expect(argocd.prod.lists).toBe(1);
    // The values at the branch head were those of the synced commit: no second read.
    expect(calls.gitlab).toHaveLength(6);
  });

  it('starts every read of a cold fill before any system answers', async () => {
    const { cache, argocd, calls, hold } = setUp();
    hold.when = () => true;
    let served = false;
    const first = cache.snapshot().then(status => {
      served = true;
      return status;
    });
    await settle();
    // Two lists, a tree, a cluster status and a metric per colour and environment, three files each.
    expect(hold.calls).toHaveLength(20);
    expect(hold.calls.filter(c => c.endsWith(' list'))).toEqual([
      'argocd beta list',
      'argocd prod list',
    ]);
    expect(argocd.beta.trees + argocd.prod.trees).toBe(4);
    expect(calls.cluster).toBe(4);
    expect(calls.prometheus).toBe(4);
    expect(calls.gitlab.filter(c => c.includes('@main:'))).toHaveLength(6);
    expect(served).toBe(false);
    hold.release();
    const status = await first;
    expect(rowOf(status, 'prod', 'hybris')).toMatchObject({
      liveColour: 'blue',
      version: 'deploy-2026-01-06',
    });
    expect(calls.gitlab).toHaveLength(6);
  });

  it('waits for the values at a synced commit the branch has moved past, so the first snapshot shows what runs', async () => {
    const { cache, argocd, filesAt, hold, calls } = setUp();
    const synced = 'd'.repeat(40);
    argocd.prod.apps.set(
      'hybris',
      application('hybris', { resourceVersion: 10, revision: synced }),
    );
    filesAt.set(
      `kop/kop-deploy-prod@${synced}:hybris/values.yaml`,
      'storefront:\n  hybrisServiceName: green\nbackoffice:\n  hybrisServiceName: green\napi:\n  hybrisServiceName: green\n',
    );
    hold.when = call => call.includes(`@${synced}:`);
    let served = false;
    const first = cache.snapshot().finally(() => {
      served = true;
    });
    await settle();
    await settle();
    // Asked only once the head's read said the branch moved past the synced commit.
    expect(hold.calls).toEqual([
      `gitlab kop/kop-deploy-prod@${synced}:hybris/values.yaml`,
    ]);
    expect(calls.gitlab).toHaveLength(7);
    // The branch head's values (blue) are never shown as live meanwhile.
    expect(served).toBe(false);

    hold.release();
    const status = await first;
    expect(rowOf(status, 'prod', 'hybris')).toMatchObject({
      liveColour: 'green',
      version: 'deploy-2025-12-23',
    });
    expect(rowOf(status, 'prod', 'hybris').errors).toBeUndefined();
    expect(rowOf(status, 'beta', 'hybris').liveColour).toBe('blue');
  });

  it('reads the values again at the commit Argo CD synced when the branch has moved on', async () => {
    const { cache, argocd, calls } = setUp();
    const synced = 'd'.repeat(40);
    argocd.prod.apps.set(
      'hybris',
      application('hybris', { resourceVersion: 10, revision: synced }),
    );
    const status = await cache.snapshot();
    expect(calls.gitlab).toContain(
      `kop/kop-deploy-prod@${synced}:hybris/values.yaml`,
    );
    expect(calls.gitlab).toHaveLength(7);
    expect(rowOf(status, 'prod', 'hybris').liveColour).toBe('blue');
  });

  it('does not ask GitLab twice in a cold fill when it failed, and says so on the hybris rows', async () => {
    const { cache, argocd, broken, calls } = setUp();
    argocd.prod.apps.set(
      'hybris',
      application('hybris', { resourceVersion: 10, revision: 'd'.repeat(40) }),
    );
    broken.gitlab = new Error(
      'GitLab: read hybris/values.yaml failed (HTTP 503)',
    );
    const status = await cache.snapshot();
    expect(calls.gitlab).toHaveLength(6);
    const hybris = rowOf(status, 'prod', 'hybris');
    expect(hybris.liveColour).toBeUndefined();
    expect(hybris.errors).toContain(
      'GitLab: could not read hybris/values.yaml at main in kop/kop-deploy-prod: read hybris/values.yaml failed (HTTP 503)',
    );
    expect(hybris.colours![0].replicas.desired).toBeUndefined();
    expect(rowOf(status, 'prod', 'web').errors).toBeUndefined();
  });

  it('answers when a system does not, with an error on its rows; the late answer lands', async () => {
    const { cache, argocd, timers, listen, changes, flush } = setUp();
    const list = deferred<v1alpha1Application[]>();
    argocd.prod.nextList = () => list.promise;
    const first = cache.snapshot();
    await settle();
    timers.fireTimeouts(CALL_TIMEOUT);
    const status = await first;
    expect(rowOf(status, 'prod', 'web').errors).toEqual([
      "Argo CD (prod): list applications: no answer within 5 s; check that Argo CD 'prod' is up and that argocd.instances has its URL right",
    ]);
    expect(rowOf(status, 'prod', 'web').argocd).toEqual([]);
    expect(rowOf(status, 'beta', 'web').errors).toBeUndefined();

    listen();
    list.resolve(kopApps());
    await flush();
    const later = changes[changes.length - 1];
    expect(rowOf(later, 'prod', 'web')).toMatchObject({
      version: '7f3c2a1',
      sync: 'Synced',
    });
    expect(rowOf(later, 'prod', 'web').errors).toBeUndefined();
  });

  it('follows the application stream, keeping the newer of a list and an event', async () => {
    const { cache, argocd, listen, changes, flush } = setUp();
    await cache.snapshot();
    const stream = argocd.beta.stream;
    // Opened once the first snapshot is out, so its replay does not hold up the first viewers.
    expect(stream.open).toBe(false);
    await settle();
    listen();
    expect(stream.open).toBe(true);
    stream.connect();
    stream.push(
      'MODIFIED',
      application('web', {
        resourceVersion: 20,
        image: 'registry/kop/web:c0ffee1',
        sync: 'OutOfSync',
        health: 'Progressing',
      }),
    );
    await flush();
    expect(rowOf(changes[changes.length - 1], 'beta', 'web')).toMatchObject({
      version: 'c0ffee1',
      sync: 'OutOfSync',
      health: 'Progressing',
    });
    // A list that was answered before the event must not take it back.
    argocd.beta.nextList = async () => kopApps(15);
    await cache.refresh();
    expect(rowOf(await cache.snapshot(), 'beta', 'web').version).toBe(
      'c0ffee1',
    );

    stream.push('DELETED', application('web', { resourceVersion: 21 }));
    await flush();
    expect(rowOf(changes[changes.length - 1], 'beta', 'web').errors).toEqual([
      "Argo CD (beta): there is no application 'web' the token may read; check release.apps.web and the app in Argo CD",
    ]);
  });

  it('lists every 10 s while the stream is down and shows how old the rows are when that fails too', async () => {
    const { cache, argocd, timers, advance } = setUp();
    await cache.snapshot();
    await settle();
    const stream = argocd.beta.stream;
    stream.connect();
    argocd.prod.stream.connect();
    await settle();
    stream.fail(new Error('stream reset'));
    await settle();
    let status = await cache.snapshot();
    expect(status.errors).toEqual([
      'Argo CD (beta): the application stream failed (stream reset); reconnecting, and listing the apps every 10 s meanwhile',
    ]);
    expect(rowOf(status, 'beta', 'web').errors).toBeUndefined();

    const listsBefore = argocd.beta.lists;
    argocd.beta.nextList = async () => {
      throw new Error('Argo CD: list applications failed: fetch failed');
    };
    advance(FAST);
    timers.tick(FAST);
    await settle();
    expect(argocd.beta.lists).toBe(listsBefore + 1);
    expect(argocd.prod.lists).toBe(1);
    status = await cache.snapshot();
    expect(rowOf(status, 'beta', 'web').errors).toEqual([
      `Argo CD (beta): list applications failed: fetch failed; check that Argo CD 'beta' is up and that argocd.instances has its URL right; showing what was seen at ${new Date(
        NOW,
      ).toISOString()}`,
    ]);
    // Back up: the stream is fresher than the failed list.
    stream.connect();
    await settle();
    status = await cache.snapshot();
    expect(status.errors).toBeUndefined();
    expect(rowOf(status, 'beta', 'web').errors).toBeUndefined();
  });

  it('says when the stream is refused for good', async () => {
    const { cache, argocd } = setUp();
    await cache.snapshot();
    argocd.prod.stream.refuse(
      new Error('Argo CD: watch applications failed (HTTP 401): no session'),
    );
    await settle();
    expect((await cache.snapshot()).errors).toEqual([
      'Argo CD (prod): the application stream was refused (Argo CD: watch applications failed (HTTP 401): no session); check the token of this instance in argocd.instances; listing the apps every 10 s meanwhile',
    ]);
  });

  it('reads the cluster status and the metric every 10 s, the full list every 60 s, and tells subscribers of changes only', async () => {
    const { cache, argocd, cluster, timers, listen, changes, flush, calls } =
      setUp();
    await cache.snapshot();
    await settle();
    for (const a of Object.values(argocd)) a.stream.connect();
    await settle();
    listen();
    cluster.get('prod/blue')!.viewSize = 8;
    cluster.get('prod/blue')!.missing = ['hybris-blue-7'];
    cluster.get('prod/blue')!.complete = false;
    timers.tick(FAST);
    await flush();
    expect(calls.cluster).toBe(8);
    expect(changes).toHaveLength(1);
    expect(rowOf(changes[0], 'prod', 'hybris').colours![0].cluster).toEqual({
      up: true,
      viewSize: 8,
      expectedNodes: 9,
      complete: false,
      missing: ['hybris-blue-7'],
    });
    // Streams up: the 10 s tick does not list.
    expect(argocd.prod.lists).toBe(1);
    timers.tick(FAST);
    await flush();
    expect(changes).toHaveLength(1);
    timers.tick(SLOW);
    await settle();
    expect(argocd.prod.lists).toBe(2);
    expect(argocd.beta.lists).toBe(2);
  });

  it('reads a colour’s pods again when its Argo CD app changes', async () => {
    const { cache, argocd, listen, changes, flush } = setUp();
    await cache.snapshot();
    listen();
    argocd.beta.pods.set('hybris-green', { total: 3, ready: 1 });
    argocd.beta.stream.push(
      'MODIFIED',
      application('hybris-green', {
        resourceVersion: 30,
        image: 'registry/kop/hybris:deploy-2026-01-08',
        health: 'Progressing',
      }),
    );
    await flush();
    await flush();
    const green = rowOf(changes[changes.length - 1], 'beta', 'hybris')
      .colours![1];
    expect(green).toMatchObject({
      version: 'deploy-2026-01-08',
      replicas: { ready: 1, pods: 3, desired: 0 },
    });
  });

  it('tells an app listener of an Argo CD app change at once, before the rows are batched', async () => {
    const { cache, argocd, listen, changes, flush } = setUp();
    await cache.snapshot();
    listen();
    let told = 0;
    const stop = cache.onAppChange(() => {
      told += 1;
    });
    argocd.beta.stream.push(
      'MODIFIED',
      application('web', { resourceVersion: 31, health: 'Progressing' }),
    );
    await settle();
    expect(told).toBe(1);
    expect(changes).toHaveLength(0);
    await flush();
    expect(changes).toHaveLength(1);
    // An event no newer than what the cache holds is no change.
    argocd.beta.stream.push(
      'MODIFIED',
      application('web', { resourceVersion: 31, health: 'Healthy' }),
    );
    await settle();
    expect(told).toBe(1);
    stop();
    argocd.beta.stream.push(
      'MODIFIED',
      application('web', { resourceVersion: 32, health: 'Healthy' }),
    );
    await settle();
    expect(told).toBe(1);
  });

  it('reads the values of a newly synced commit and names a half-done switch', async () => {
    const { cache, argocd, files, listen, changes, flush, calls } = setUp();
    await cache.snapshot();
    listen();
    const next = 'c'.repeat(40);
    files.set(
      'kop/kop-deploy-prod:hybris/values.yaml',
      'storefront:\n  hybrisServiceName: green\nbackoffice:\n  hybrisServiceName: blue\napi:\n  hybrisServiceName: blue\n',
    );
    argocd.prod.stream.push(
      'MODIFIED',
      application('hybris', { resourceVersion: 40, revision: next }),
    );
    await flush();
    await flush();
    expect(calls.gitlab).toContain(
      `kop/kop-deploy-prod@${next}:hybris/values.yaml`,
    );
    const hybris = rowOf(changes[changes.length - 1], 'prod', 'hybris');
    expect(hybris.liveColour).toBeUndefined();
    expect(hybris.version).toBeUndefined();
    expect(hybris.errors).toEqual([
      `hybris: the switch keys in hybris/values.yaml at ${next.slice(
        0,
        12,
      )} of kop/kop-deploy-prod name more than one colour (storefront.hybrisServiceName=green, backoffice.hybrisServiceName=blue, api.hybrisServiceName=blue): a switch is half done`,
    ]);
  });

  it('shows a system that is not configured on the rows it feeds, not as a failure of the request', async () => {
    const { cache, broken } = setUp();
    broken.hybris = new Error(
      'hybris is not configured: set hybris.clusterStatus in app-config',
    );
    broken.prometheus = new Error(
      'Prometheus is not configured: set prometheus in app-config',
    );
    const status = await cache.snapshot();
    const hybris = rowOf(status, 'beta', 'hybris');
    expect(hybris.errors).toEqual([
      'hybris is not configured: set hybris.clusterStatus in app-config',
      'Prometheus is not configured: set prometheus in app-config',
    ]);
    expect(hybris.colours![0].replicas).toEqual({
      ready: 9,
      pods: 9,
      desired: 9,
    });
    expect(rowOf(status, 'beta', 'web').errors).toBeUndefined();
  });

  it('shows an environment no Argo CD serves on its rows', async () => {
    const { cache } = setUp({ environments: ['beta', 'staging'] });
    const status = await cache.snapshot();
    expect(status.environments.map(e => e.name)).toEqual(['beta', 'staging']);
    for (const row of status.environments[1].apps) {
      expect(row.errors).toEqual([
        "No Argo CD instance serves environment 'staging' (set argocd.instances[].environments)",
      ]);
    }
  });

  it('refuses to start once stopped', async () => {
    const { cache } = setUp();
    await cache.stop();
    await expect(cache.snapshot()).rejects.toThrow(
      'The live status has stopped: the backend is shutting down',
    );
  });

  it('opens no stream when it stops before the first snapshot went out', async () => {
    const { cache, argocd, calls } = setUp();
    await cache.snapshot();
    await cache.stop();
    await settle();
    expect(argocd.beta.stream.opened).toBe(0);
    expect(argocd.prod.stream.opened).toBe(0);
    expect(calls.cluster).toBe(4);
  });

  it('stops its streams and timers and closes every subscriber', async () => {
    const { cache, argocd, timers, listen, closed } = setUp();
    await cache.snapshot();
    await settle();
    expect(argocd.beta.stream.open).toBe(true);
    listen();
    expect(cache.subscribers).toBe(1);
    await cache.stop();
    expect(closed).toEqual(['closed']);
    expect(cache.subscribers).toBe(0);
    expect(argocd.beta.stream.open).toBe(false);
    expect(timers.pendingIntervals).toBe(0);
    // What it last knew is still served.
    expect(rowOf(await cache.snapshot(), 'beta', 'web').version).toBe(
      '7f3c2a1',
    );
  });
});
