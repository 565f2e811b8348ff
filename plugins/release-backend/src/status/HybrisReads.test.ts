import { mockServices } from '@backstage/backend-test-utils';
import { ConfigReader } from '@backstage/config';
import { readReleaseLayout } from '@internal/plugin-release-node';
import { ArgoCdFeed } from './ArgoCdFeed';
import { HybrisReads } from './HybrisReads';
import {
  application,
  fakeSystems,
  ManualTimers,
  SYNCED,
} from './__testUtils__/fakeSystems';

const NOW = Date.parse('2026-01-08T01:00:00Z');
const SWITCH = 'hybris/values.yaml';
const HALF_DONE =
  'storefront:\n  hybrisServiceName: green\nbackoffice:\n  hybrisServiceName: blue\napi:\n  hybrisServiceName: blue\n';

/** The hybris reads of beta and prod, over Argo CD feeds that have listed once. */
async function setUp() {
  const fake = fakeSystems();
  const layout = readReleaseLayout(new ConfigReader({}));
  const environments = ['beta', 'prod'];
  const timers = new ManualTimers();
  const reads = { timers, now: () => NOW, timeoutMs: 5000 };
  const feed = new ArgoCdFeed({
    systems: fake.systems,
    environments,
    wantedApps: new Set(['hybris', 'hybris-blue', 'hybris-green']),
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
  /** Lists every instance, as the fill and the 60 s refresh do. */
  const list = () => Promise.all(feed.instances.map(i => i.list.refresh()));
  return { ...fake, feed, hybris, list };
}

describe('HybrisReads', () => {
  it('reads each values file once at the branch head and keeps it under the commit Argo CD synced', async () => {
    const { hybris, list, calls } = await setUp();
    await list();
    await Promise.all(hybris.headReads().map(r => r.refresh()));
    expect(calls.gitlab).toEqual(
      ['beta', 'prod'].flatMap(environment =>
        [SWITCH, 'hybris/values-blue.yaml', 'hybris/values-green.yaml'].map(
          file => `kop/kop-deploy-${environment}@main:${file}`,
        ),
      ),
    );
    expect(hybris.behindHead()).toEqual([]);
    const errors: string[] = [];
    expect(hybris.liveColour('prod', errors)).toBe('blue');
    expect(errors).toEqual([]);
    expect(
      hybris.valuesAt('prod', 'hybris-blue', 'hybris/values-blue.yaml')?.value,
    ).toEqual({ values: { replicaCount: 9 }, commitId: SYNCED, exists: true });
    expect(calls.gitlab).toHaveLength(6);
  });

  it('reads the synced commit the branch head has moved past, what was last shown standing in meanwhile', async () => {
    const { hybris, argocd, list, calls, filesAt } = await setUp();
    await list();
    await Promise.all(hybris.headReads().map(r => r.refresh()));
    expect(hybris.liveColour('prod', [])).toBe('blue');

    // Argo CD synced prod's switch app to a commit the head's read did not see.
    const synced = 'd'.repeat(40);
    filesAt.set(
      `kop/kop-deploy-prod@${synced}:${SWITCH}`,
      'storefront:\n  hybrisServiceName: green\nbackoffice:\n  hybrisServiceName: green\napi:\n  hybrisServiceName: green\n',
    );
    argocd.prod.apps.set(
      'hybris',
      application('hybris', { resourceVersion: 11, revision: synced }),
    );
    await list();
    const behind = hybris.behindHead();
    expect(behind).toHaveLength(1);
    // Until its read lands, the values last shown stand in.
    expect(hybris.valuesAt('prod', 'hybris', SWITCH)?.value?.commitId).toBe(
      SYNCED,
    );
    await Promise.all(behind.map(r => r.refresh()));
    expect(calls.gitlab).toContain(`kop/kop-deploy-prod@${synced}:${SWITCH}`);
    expect(hybris.liveColour('prod', [])).toBe('green');
    expect(hybris.behindHead()).toEqual([]);
  });

  it('says GitLab failed at the branch head rather than ask it again at once', async () => {
    const { hybris, argocd, list, calls, broken } = await setUp();
    argocd.prod.apps.set(
      'hybris',
      application('hybris', { resourceVersion: 11, revision: 'd'.repeat(40) }),
    );
    await list();
    broken.gitlab = new Error('GitLab: read failed (HTTP 503)');
    await Promise.all(hybris.headReads().map(r => r.refresh()));
    expect(hybris.behindHead()).toEqual([]);
    const errors: string[] = [];
    expect(hybris.liveColour('prod', errors)).toBeUndefined();
    expect(errors).toEqual([
      'GitLab: could not read hybris/values.yaml at main in kop/kop-deploy-prod: read failed (HTTP 503)',
    ]);
    expect(calls.gitlab).toHaveLength(6);
    // The periodic refresh asks again for what failed.
    expect(hybris.failedValueReads()).toHaveLength(1);
  });

  it('names a half-done switch and a switch file that is not there', async () => {
    const { hybris, list, files } = await setUp();
    files.set(`kop/kop-deploy-beta:${SWITCH}`, HALF_DONE);
    files.delete(`kop/kop-deploy-prod:${SWITCH}`);
    await list();
    await Promise.all(hybris.headReads().map(r => r.refresh()));
    const beta: string[] = [];
    expect(hybris.liveColour('beta', beta)).toBeUndefined();
    expect(beta).toEqual([
      `hybris: the switch keys in ${SWITCH} at ${SYNCED.slice(
        0,
        12,
      )} of kop/kop-deploy-beta name more than one colour (storefront.hybrisServiceName=green, backoffice.hybrisServiceName=blue, api.hybrisServiceName=blue): a switch is half done`,
    ]);
    // The branch read names no commit when the file is not there: the synced one is read next.
    hybris.liveColour('prod', []);
    await new Promise(resolve => setImmediate(resolve));
    const prod: string[] = [];
    expect(hybris.liveColour('prod', prod)).toBeUndefined();
    expect(prod).toEqual([
      `GitLab: ${SWITCH} at ${SYNCED.slice(
        0,
        12,
      )} of kop/kop-deploy-prod is not there; check release.apps.hybris.switch.values`,
    ]);
  });

  it('reads the pods of the colour whose Argo CD app changed, in every environment of its instance', async () => {
    const { hybris, argocd, feed, list } = await setUp();
    await list();
    await Promise.all(hybris.colourReads().map(r => r.refresh()));
    expect([argocd.beta.trees, argocd.prod.trees]).toEqual([2, 2]);
    argocd.prod.pods.set('hybris-green', { total: 3, ready: 1 });
    hybris.requestTrees(feed.instanceOf('prod')!, 'hybris-green');
    hybris.requestTrees(feed.instanceOf('prod')!, 'web');
    await new Promise(resolve => setImmediate(resolve));
    expect([argocd.beta.trees, argocd.prod.trees]).toEqual([2, 3]);
    expect(hybris.colour('prod', 'green')?.tree.value).toEqual({
      pods: 3,
      ready: 1,
    });
    expect(hybris.colour('prod', 'blue')?.tree.value).toEqual({
      pods: 9,
      ready: 9,
    });
  });
});
