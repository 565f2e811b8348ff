import { gunzipSync } from 'node:zlib';
import { mockServices } from '@backstage/backend-test-utils';
import { ConfigReader } from '@backstage/config';
import type { ReleaseStatus } from '@internal/plugin-release-common';
import { argocdAppsOf, readReleaseLayout } from '@internal/plugin-release-node';
import { ArgoCdFeed } from './ArgoCdFeed';
import { HybrisReads } from './HybrisReads';
import { imageTag, StatusSnapshot, worst } from './StatusSnapshot';
import {
  application,
  fakeSystems,
  ManualTimers,
} from './__testUtils__/fakeSystems';
import { rowOf } from './__testUtils__/statusSandbox';

const NOW = Date.parse('2026-01-08T01:00:00Z');

/** A snapshot of beta's rows over fake systems, and the feed and reads it builds them from. */
function setUp() {
  const fake = fakeSystems();
  const layout = readReleaseLayout(new ConfigReader({}));
  const environments = ['beta'];
  const rows = (['hybris', 'cms', 'web'] as const).map(app => ({
    app,
    argocdApps: argocdAppsOf(layout, app),
  }));
  let now = NOW;
  const reads = { timers: new ManualTimers(), now: () => now, timeoutMs: 5000 };
  const feed = new ArgoCdFeed({
    systems: fake.systems,
    environments,
    wantedApps: new Set(rows.flatMap(r => r.argocdApps)),
    logger: mockServices.logger.mock(),
    reads,
    listWhileDownMs: 10_000,
    changed: () => undefined,
    appChanged: () => undefined,
    stopped: () => false,
  });
  const hybris = new HybrisReads({
    systems: fake.systems,
    layout,
    environments,
    argocd: feed,
    reads: { ...reads, settled: () => undefined },
  });
  feed.setUp();
  hybris.setUp();
  const snapshot = new StatusSnapshot({
    layout,
    environments,
    rows,
    argocd: feed,
    hybris,
    now: () => now,
  });
  const status = () => JSON.parse(snapshot.current().json) as ReleaseStatus;
  return {
    ...fake,
    feed,
    snapshot,
    status,
    advance: (ms: number) => {
      now += ms;
    },
  };
}

describe('StatusSnapshot', () => {
  it('shows the worst sync and health of an app’s Argo CD apps, an unknown word as Unknown', () => {
    expect(
      worst(['Synced', 'OutOfSync'], ['OutOfSync', 'Unknown', 'Synced']),
    ).toBe('OutOfSync');
    expect(
      worst(['Healthy', 'Paused'], ['Degraded', 'Unknown', 'Healthy']),
    ).toBe('Paused');
    expect(worst([], ['Unknown'])).toBe('Unknown');
  });

  it('reads the version from an image’s tag, not from a registry port or a digest', () => {
    expect(imageTag('registry/kop/hybris:deploy-2026-01-06')).toBe(
      'deploy-2026-01-06',
    );
    expect(imageTag('registry:5000/kop/web')).toBeUndefined();
    expect(imageTag('registry:5000/kop/web:7f3c2a1@sha256:abc')).toBe(
      '7f3c2a1',
    );
  });

  it('builds every row from the feed and the hybris reads, and a row again once its instance moved', async () => {
    const { argocd, feed, snapshot, status } = setUp();
    await feed.instanceOf('beta')!.list.refresh();
    // The fill builds the rows that need only the Argo CD list while GitLab still reads.
    snapshot.buildRows(['beta'], false);
    expect(snapshot.update()).toBe(true);
    expect(status().environments[0].apps.map(a => a.app)).toEqual([
      'hybris',
      'cms',
      'web',
    ]);
    expect(rowOf(status(), 'beta', 'web').version).toBe('7f3c2a1');
    expect(rowOf(status(), 'beta', 'hybris').colours).toHaveLength(2);

    argocd.beta.apps.set(
      'web',
      application('web', {
        resourceVersion: 20,
        image: 'registry/kop/web:c0ffee1',
      }),
    );
    await feed.instanceOf('beta')!.list.refresh();
    expect(snapshot.update()).toBe(true);
    expect(rowOf(status(), 'beta', 'web').version).toBe('c0ffee1');
  });

  it('makes a new version only when a row or the top errors changed, serialized and gzipped once', async () => {
    const { feed, snapshot, advance } = setUp();
    await feed.instanceOf('beta')!.list.refresh();
    expect(snapshot.update()).toBe(true);
    const first = snapshot.current();
    expect(first.version).toBe(1);
    expect(JSON.parse(first.json).updatedAt).toBe(new Date(NOW).toISOString());
    expect(gunzipSync(first.gzipped()).toString('utf8')).toBe(first.json);
    expect(first.gzipped()).toBe(first.gzipped());

    advance(1000);
    expect(snapshot.update()).toBe(false);
    expect(snapshot.current()).toBe(first);

    feed.instanceOf('beta')!.streamError =
      'Argo CD (beta): the application stream failed (stream reset)';
    expect(snapshot.update()).toBe(true);
    const second = snapshot.current();
    expect(second.version).toBe(2);
    expect(second.etag).not.toBe(first.etag);
    expect(JSON.parse(second.json)).toMatchObject({
      updatedAt: new Date(NOW + 1000).toISOString(),
      errors: ['Argo CD (beta): the application stream failed (stream reset)'],
    });
  });
});
