import { mockServices } from '@backstage/backend-test-utils';
import { ArgoCdFeed } from './ArgoCdFeed';
import {
  application,
  FakeArgoCd,
  kopApps,
  ManualTimers,
} from './__testUtils__/fakeSystems';

/** Lets every settled promise run its callbacks. */
const settle = () => new Promise(resolve => setImmediate(resolve));

function setUp(options: { environments?: string[] } = {}) {
  const argocd = new FakeArgoCd('beta', [
    ...kopApps(),
    application('someone-elses-app', { resourceVersion: 10 }),
  ]);
  const changedApps: string[] = [];
  let changes = 0;
  let stopped = false;
  const logger = mockServices.logger.mock();
  const feed = new ArgoCdFeed({
    systems: {
      argocdFor: environment => {
        if (environment === 'staging') {
          throw new Error(
            "No Argo CD instance serves environment 'staging' (set argocd.instances[].environments)",
          );
        }
        return argocd;
      },
    },
    environments: options.environments ?? ['beta'],
    wantedApps: new Set(['hybris-blue', 'web']),
    logger,
    reads: { timers: new ManualTimers(), now: () => 0, timeoutMs: 5000 },
    listWhileDownMs: 10_000,
    changed: () => {
      changes += 1;
    },
    appChanged: (_instance, name) => changedApps.push(name),
    stopped: () => stopped,
  });
  feed.setUp();
  return {
    feed,
    argocd,
    logger,
    changedApps,
    changes: () => changes,
    stop: () => {
      stopped = true;
    },
  };
}

describe('ArgoCdFeed', () => {
  it('serves several environments from one instance and says why an environment has none', () => {
    const { feed } = setUp({ environments: ['beta', 'prod', 'staging'] });
    expect(feed.instances.map(i => [i.name, i.environments])).toEqual([
      ['beta', ['beta', 'prod']],
    ]);
    expect(feed.instanceOf('prod')).toBe(feed.instanceOf('beta'));
    expect(feed.where('staging')).toEqual({
      error:
        "No Argo CD instance serves environment 'staging' (set argocd.instances[].environments)",
    });
  });

  it('holds only the apps some row shows, from the list', async () => {
    const { feed, changedApps, changes } = setUp();
    const beta = feed.instanceOf('beta')!;
    expect(beta.seen).toBe(false);
    await beta.list.refresh();
    expect([...beta.apps.keys()]).toEqual(['hybris-blue', 'web']);
    expect(beta.state('web')).toMatchObject({
      instance: 'beta',
      images: ['registry/kop/web:7f3c2a1'],
    });
    expect(beta.seen).toBe(true);
    expect(changedApps).toEqual(['hybris-blue', 'web']);
    expect(changes()).toBe(1);
  });

  it('keeps the newer of a list and an event, and drops what Argo CD no longer holds', async () => {
    const { feed, argocd, changedApps } = setUp();
    const beta = feed.instanceOf('beta')!;
    await beta.list.refresh();
    feed.startWatches();
    await settle();
    argocd.stream.push(
      'MODIFIED',
      application('web', {
        resourceVersion: 20,
        image: 'registry/kop/web:c0ffee1',
      }),
    );
    argocd.stream.push(
      'MODIFIED',
      application('unshown', { resourceVersion: 21 }),
    );
    await settle();
    expect(beta.state('web')?.images).toEqual(['registry/kop/web:c0ffee1']);

    // A list answered before the event came must not take it back.
    argocd.nextList = async () => kopApps(15);
    const revision = beta.revision;
    await beta.list.refresh();
    expect(beta.state('web')?.images).toEqual(['registry/kop/web:c0ffee1']);
    expect(beta.revision).toBeGreaterThan(revision);

    argocd.nextList = async () =>
      kopApps(30).filter(a => a.metadata?.name !== 'hybris-blue');
    changedApps.length = 0;
    await beta.list.refresh();
    expect(beta.state('hybris-blue')).toBeUndefined();
    expect(changedApps).toEqual(['web', 'hybris-blue']);

    argocd.stream.push('DELETED', application('web', { resourceVersion: 31 }));
    await settle();
    expect(beta.state('web')).toBeUndefined();
    await feed.stop();
  });

  it('says on top of the page when a stream is down, and stops saying it when it is back', async () => {
    const { feed, argocd, logger } = setUp();
    const beta = feed.instanceOf('beta')!;
    feed.startWatches();
    await settle();
    argocd.stream.connect();
    expect(beta.streamUp).toBe(true);
    expect(feed.streamErrors()).toEqual([]);

    argocd.stream.fail(new Error('stream reset'));
    expect(beta.streamUp).toBe(false);
    expect(feed.streamErrors()).toEqual([
      'Argo CD (beta): the application stream failed (stream reset); reconnecting, and listing the apps every 10 s meanwhile',
    ]);
    expect(logger.warn).toHaveBeenCalledWith(
      'Status: the Argo CD (beta) application stream failed, reconnecting: stream reset',
    );
    argocd.stream.connect();
    expect(feed.streamErrors()).toEqual([]);
    await feed.stop();
  });

  it('says when a stream is refused for good, and opens none once the cache stopped', async () => {
    const { feed, argocd } = setUp();
    feed.startWatches();
    await settle();
    argocd.stream.refuse(
      new Error('Argo CD: watch applications failed (HTTP 401): no session'),
    );
    await settle();
    expect(feed.streamErrors()).toEqual([
      'Argo CD (beta): the application stream was refused (Argo CD: watch applications failed (HTTP 401): no session); check the token of this instance in argocd.instances; listing the apps every 10 s meanwhile',
    ]);

    const other = setUp();
    other.stop();
    other.feed.startWatches();
    await settle();
    expect(other.argocd.stream.opened).toBe(0);
  });
});
