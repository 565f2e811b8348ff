import { ConfigReader } from '@backstage/config';
import type { IApplication } from '@kubernetes-models/argo-cd/argoproj.io/v1alpha1/Application';
import { setupServer } from 'msw/node';
import {
  argoCdContract,
  expectKnownFields,
  startSandbox,
  type ArgoCdDefinition,
  type RunningSandbox,
} from 'sandbox';
// The sandbox's index does not re-export its Argo CD stand-in yet; see the report.
import {
  argocdService,
  IN_CLUSTER,
  InMemoryIacRepository,
  kopArgoApps,
  kopInitialValues,
  type ArgoCdSandbox,
} from 'sandbox';
import {
  ArgoCdClient,
  PORTAL_OPERATION_INFO,
  argocdRollbackRefusal,
  countPods,
  portalOperationKey,
  type ArgoCdClientOptions,
} from './ArgoCdClient';
import { ArgoCdClients } from './clients';
import { defaultArgoCdApps, readArgoCdSettings } from './config';
import { isDestinationPermitted } from './destinations';
import { ArgoCdError } from './errors';
import type { v1alpha1Application } from './types';
import type { ArgoCdWatchEvent } from './watch';
import { FakeArgoCd, type FakeFault } from './__testUtils__/fakeArgoCd';

// The client's Application type names only fields of Argo CD's own.
expectKnownFields<v1alpha1Application, IApplication>(true);

const TOKEN = 'argocd-token-5e1f0b7d9c';
const contract = argoCdContract();

/** One Argo CD the contract suite runs against, with the knobs its scenarios need. */
interface ArgoCdTarget {
  name: string;
  start(): Promise<string>;
  stop(): Promise<void>;
  /** A new commit of the IaC repository changing an app's image tag; its sha. */
  commit(app: string, tag: string): string;
  /** Keeps operations on the app Running until released. */
  hold(app: string, hold?: boolean): void;
  /** An operation the portal did not start, held Running until `hold(app, false)`. */
  startForeignOperation(
    app: string,
    by: { username?: string; automated?: boolean },
  ): Promise<void>;
  /** The next `count` matching calls answer this (path from the instance root). */
  fault(fault: Omit<FakeFault, 'count'> & { count?: number }): void;
  dropStreams(): void;
}

function sandboxTarget(): ArgoCdTarget {
  let sandbox: RunningSandbox;
  let argocd: ArgoCdSandbox;
  const repo = new InMemoryIacRepository(kopInitialValues());
  return {
    name: 'the sandbox',
    async start() {
      sandbox = await startSandbox({
        timeScale: 0,
        services: [
          context => {
            argocd = argocdService(context, {
              desiredState: repo.desiredState,
              instances: ['prod'],
              reconcileIntervalMs: 0,
              tokens: { [TOKEN]: 'kop-portal' },
              apps: kopArgoApps(['prod']).map(a =>
                a.name === 'cms-internal' ? { ...a, autoSync: true } : a,
              ),
              // The trap: the project does not list the namespace cms-internal deploys to.
              projects: [
                {
                  name: 'kop',
                  destinations: [{ server: IN_CLUSTER, namespace: 'kop' }],
                },
              ],
            });
            return argocd;
          },
        ],
      });
      return `${sandbox.url}/argocd/prod`;
    },
    stop: () => sandbox.close(),
    commit(app, tag) {
      const values = kopInitialValues()[app] as {
        image: Record<string, string>;
      };
      return repo.commit({
        [app]: { ...values, image: { ...values.image, tag } },
      });
    },
    hold: (app, hold = true) => argocd.hold('prod', app, hold),
    async startForeignOperation(app, by) {
      argocd.hold('prod', app);
      await argocd.startOperation('prod', app, by);
    },
    fault: f =>
      sandbox.context.faults.add({
        count: 1,
        ...f,
        path: `/argocd/prod${f.path}`,
      }),
    dropStreams: () => argocd.dropStreams(),
  };
}

function mswTarget(): ArgoCdTarget {
  const base = 'https://argocd-prod.example.test';
  const fake = new FakeArgoCd(base, TOKEN, 'kop-portal', {
    apps: [
      {
        name: 'hybris-blue',
        tag: '2026.11.12-1',
        replicas: 9,
        labels: { 'kop/colour': 'blue' },
      },
      {
        name: 'hybris-green',
        tag: '2026.11.05-2',
        replicas: 0,
        labels: { 'kop/colour': 'green' },
      },
      { name: 'hybris', tag: 'services', replicas: 0 },
      { name: 'cms', tag: '5d41402', replicas: 2 },
      {
        name: 'cms-internal',
        namespace: 'kop-internal',
        tag: '5d41402',
        replicas: 1,
        autoSync: true,
      },
      { name: 'web', tag: '7f3c2a1', replicas: 3 },
    ],
    projectDestinations: [{ server: IN_CLUSTER, namespace: 'kop' }],
  });
  const server = setupServer(...fake.handlers());
  return {
    name: 'msw handlers built from the documented responses',
    async start() {
      server.listen({ onUnhandledRequest: 'error' });
      fake.start();
      return base;
    },
    async stop() {
      fake.stop();
      server.close();
    },
    commit: (app, tag) => fake.commit(app, tag),
    hold: (app, hold = true) => fake.hold(app, hold),
    startForeignOperation: async (app, by) =>
      fake.startForeignOperation(app, by),
    fault: f => fake.addFault({ count: 1, ...f }),
    dropStreams: () => fake.dropStreams(),
  };
}

/** Which message of the Argo CD contract answers a call. */
function definitionFor(
  method: string,
  path: string,
  status: number,
): ArgoCdDefinition | undefined {
  if (status < 200 || status >= 300) return 'runtimeError';
  const rules: Array<[string, RegExp, ArgoCdDefinition]> = [
    ['GET', /^\/api\/v1\/applications$/, 'v1alpha1ApplicationList'],
    ['GET', /^\/api\/v1\/applications\/[^/]+$/, 'v1alpha1Application'],
    [
      'POST',
      /^\/api\/v1\/applications\/[^/]+\/(sync|rollback)$/,
      'v1alpha1Application',
    ],
    ['DELETE', /\/operation$/, 'applicationOperationTerminateResponse'],
    ['GET', /\/resource-tree$/, 'v1alpha1ApplicationTree'],
    ['GET', /\/resource\/actions$/, 'applicationResourceActionsListResponse'],
    ['POST', /\/resource\/actions\/v2$/, 'applicationApplicationResponse'],
    ['GET', /^\/api\/v1\/projects\/[^/]+$/, 'v1alpha1AppProject'],
  ];
  return rules.find(([m, re]) => m === method && re.test(path))?.[2];
}

/** Which request message of the Argo CD contract a call sends. */
function requestFor(path: string): ArgoCdDefinition | undefined {
  if (/\/sync$/.test(path)) return 'applicationApplicationSyncRequest';
  if (/\/rollback$/.test(path)) return 'applicationApplicationRollbackRequest';
  if (/\/resource\/actions\/v2$/.test(path))
    return 'applicationResourceActionRunRequestV2';
  return undefined;
}

async function until(condition: () => boolean | Promise<boolean>) {
  for (let i = 0; i < 1000; i++) {
    if (await condition()) return;
    await new Promise(r => setTimeout(r, 5));
  }
  throw new Error('the condition never held');
}

describe.each([sandboxTarget(), mswTarget()])(
  'ArgoCdClient against $name',
  target => {
    let url: string;
    let calls: Array<{ method: string; path: string }>;
    let schemaErrors: string[];
    let sleeps: number[];

    const fetchImpl: typeof fetch = async (input, init) => {
      const response = await globalThis.fetch(input, init);
      const method = init?.method ?? 'GET';
      const path = new URL(String(input)).pathname.replace(
        /^.*?\/api\/v1\//,
        '/api/v1/',
      );
      calls.push({ method, path });
      const request = method === 'POST' ? requestFor(path) : undefined;
      if (request) {
        schemaErrors.push(
          ...contract.errors(request, JSON.parse(String(init?.body ?? '{}'))),
        );
      }
      const definition = path.startsWith('/api/v1/stream/')
        ? undefined
        : definitionFor(method, path, response.status);
      if (definition) {
        const body = await response
          .clone()
          .json()
          .catch(() => 'not JSON');
        schemaErrors.push(...contract.errors(definition, body));
      }
      return response;
    };

    const client = (overrides: Partial<ArgoCdClientOptions> = {}) =>
      new ArgoCdClient({
        instance: { name: 'prod', url, token: TOKEN, username: 'kop-portal' },
        fetchImpl,
        sleep: async ms => {
          sleeps.push(ms);
          await new Promise(r => setTimeout(r, Math.min(ms, 5)));
        },
        pollIntervalMs: 5,
        busyTimeoutMs: 10_000,
        operationTimeoutMs: 10_000,
        retry: { attempts: 3, baseDelayMs: 100, maxDelayMs: 60_000 },
        ...overrides,
      });

    const count = (method: string, suffix = '') =>
      calls.filter(c => c.method === method && c.path.endsWith(suffix)).length;

    beforeAll(async () => {
      url = await target.start();
    });
    afterAll(() => target.stop());
    beforeEach(() => {
      calls = [];
      schemaErrors = [];
      sleeps = [];
    });
    afterEach(() => {
      // Every request and every answer of both targets fits the Argo CD contract.
      if (schemaErrors.length) {
        throw new Error(
          `off the Argo CD contract:\n${schemaErrors.join('\n')}`,
        );
      }
    });

    it('lists apps by name and by label selector', async () => {
      const c = client();
      const names = (apps: Array<{ metadata?: { name?: string } }>) =>
        apps.map(a => a.metadata?.name).sort();
      expect(names(await c.listApplications({ names: ['web'] }))).toEqual([
        'web',
      ]);
      expect(
        names(await c.listApplications({ names: ['web', 'cms'] })),
      ).toEqual(['cms', 'web']);
      expect(
        names(await c.listApplications({ selector: 'kop/colour=green' })),
      ).toEqual(['hybris-green']);
    });

    it('reads sync status, health, revision, images, resources and pods', async () => {
      const c = client();
      const state = await c.getApplicationState('hybris-blue');
      expect(state).toMatchObject({
        instance: 'prod',
        name: 'hybris-blue',
        project: 'kop',
        syncStatus: 'Synced',
        healthStatus: 'Healthy',
        autoSync: false,
      });
      expect(state.syncedRevision).toMatch(/^[0-9a-f]{40}$/);
      expect(state.images).toEqual([expect.stringMatching(/:2026\.11\.12-1$/)]);
      expect(state.resources).toContainEqual(
        expect.objectContaining({ kind: 'Deployment', name: 'hybris-blue' }),
      );
      expect(countPods(await c.getResourceTree('hybris-blue'))).toEqual({
        total: 9,
        ready: 9,
      });
    });

    it('syncs with the portal mark, waits for the operation, and sees the app come Healthy', async () => {
      const c = client();
      const sha = target.commit('hybris-green', 'step-1');
      const refreshed = await c.hardRefresh('hybris-green');
      expect(refreshed.status?.sync).toMatchObject({
        status: 'OutOfSync',
        revision: sha,
      });
      const started = await c.sync('hybris-green', {
        revision: sha,
        operationKey: 'rel-1/green-3',
      });
      expect(started).toMatchObject({
        alreadyStarted: false,
        operationKey: 'rel-1/green-3',
      });
      expect(started.application.operation?.info).toContainEqual({
        name: PORTAL_OPERATION_INFO,
        value: 'rel-1/green-3',
      });
      const state = await c.waitForOperation('hybris-green', {
        operationKey: 'rel-1/green-3',
      });
      expect(state).toMatchObject({
        phase: 'Succeeded',
        syncResult: { revision: sha },
      });
      const healthy = await c.waitForHealth('hybris-green');
      expect(healthy).toMatchObject({
        syncStatus: 'Synced',
        syncedRevision: sha,
      });
      expect(healthy.images).toEqual([expect.stringMatching(/:step-1$/)]);
    });

    it('starts a keyed sync once, even when asked again', async () => {
      const c = client();
      target.hold('cms');
      expect(
        (await c.sync('cms', { operationKey: 'rel-2/cms' })).alreadyStarted,
      ).toBe(false);
      expect(
        (await c.sync('cms', { operationKey: 'rel-2/cms' })).alreadyStarted,
      ).toBe(true);
      target.hold('cms', false);
      await c.waitForOperation('cms', { operationKey: 'rel-2/cms' });
      expect(
        (await c.sync('cms', { operationKey: 'rel-2/cms' })).alreadyStarted,
      ).toBe(true);
      expect(count('POST', '/sync')).toBe(1);
    });

    it('runs a dry run that changes nothing', async () => {
      const c = client();
      const before = await c.getApplication('web');
      const started = await c.sync('web', { dryRun: true });
      const state = await c.waitForOperation('web', {
        operationKey: started.operationKey,
      });
      expect(state.phase).toBe('Succeeded');
      expect(state.operation?.sync?.dryRun).toBe(true);
      const after = await c.getApplication('web');
      expect(after.status?.history).toEqual(before.status?.history);
      expect(after.status?.summary).toEqual(before.status?.summary);
    });

    it('waits for an operation someone else started — polling, never terminating it — then syncs (RELIABILITY 11)', async () => {
      const c = client();
      await target.startForeignOperation('cms', { username: 'alice' });
      const pending = c.sync('cms', { operationKey: 'rel-11/cms' });
      await until(() => count('GET', '/applications/cms') >= 4);
      expect(count('POST')).toBe(0);
      target.hold('cms', false);
      expect((await pending).alreadyStarted).toBe(false);
      const state = await c.waitForOperation('cms', {
        operationKey: 'rel-11/cms',
      });
      expect(state.phase).toBe('Succeeded');
      expect(count('POST', '/sync')).toBe(1);
      expect(count('DELETE')).toBe(0);
    });

    it('takes Argo CD\'s "another operation is already in progress" answer as wait-and-poll (RELIABILITY 11)', async () => {
      const c = client();
      target.fault({
        method: 'POST',
        path: '/api/v1/applications/web/sync',
        count: 2,
        status: 400,
        body: {
          error: 'another operation is already in progress',
          code: 9,
          message: 'another operation is already in progress',
        },
      });
      const started = await c.sync('web', { operationKey: 'rel-11/web' });
      expect(started.alreadyStarted).toBe(false);
      expect(count('POST', '/sync')).toBe(3);
      expect(count('DELETE')).toBe(0);
      await c.waitForOperation('web', { operationKey: 'rel-11/web' });
    });

    it('refuses to terminate an operation it did not start, and gives up waiting after busyTimeoutMs', async () => {
      await target.startForeignOperation('web', { username: 'alice' });
      const c = client({ busyTimeoutMs: 40 });
      const refused = await c.terminateOperation('web').catch(e => e);
      expect(refused).toBeInstanceOf(ArgoCdError);
      expect(refused).toMatchObject({ reason: 'not-ours' });
      expect(refused.message).toBe(
        'Argo CD: terminate the operation on prod/web failed: the running operation was started by alice, not by this portal; the portal terminates only its own operations',
      );
      const busy = await c.sync('web').catch(e => e);
      expect(busy).toMatchObject({ reason: 'operation-in-progress' });
      expect(busy.message).toMatch(
        /^Argo CD: sync prod\/web failed: another operation is already in progress \(started by alice\); waited 0 s$/,
      );
      expect(count('DELETE')).toBe(0);
      expect(count('POST')).toBe(0);
      target.hold('web', false);
      await c.waitForOperation('web');
    });

    it('terminates an operation it started, only under its own key', async () => {
      const c = client();
      target.hold('hybris-green');
      const started = await c.sync('hybris-green', {
        operationKey: 'rel-9/green-6',
      });
      await until(
        async () =>
          (await c.getApplicationState('hybris-green')).operation?.phase ===
          'Running',
      );
      await expect(
        c.terminateOperation('hybris-green', { operationKey: 'rel-8/green-6' }),
      ).rejects.toMatchObject({ reason: 'not-ours' });
      expect(count('DELETE')).toBe(0);
      await c.terminateOperation('hybris-green', {
        operationKey: started.operationKey,
      });
      const state = await c.waitForOperation('hybris-green', {
        operationKey: started.operationKey,
      });
      expect(state).toMatchObject({
        phase: 'Failed',
        message: 'Operation terminated',
      });
      expect(count('DELETE')).toBe(1);
      target.hold('hybris-green', false);
      await expect(c.terminateOperation('hybris-green')).rejects.toMatchObject({
        reason: 'no-operation',
      });
    });

    it('retries a read answered 503 and a sync answered 429, waiting at least Retry-After', async () => {
      const c = client();
      target.fault({
        method: 'GET',
        path: '/api/v1/applications/web',
        count: 2,
        status: 503,
        headers: { 'retry-after': '3' },
      });
      expect((await c.getApplication('web')).metadata?.name).toBe('web');
      expect(sleeps.filter(ms => ms >= 3000)).toHaveLength(2);
      expect(count('GET', '/applications/web')).toBe(3);

      sleeps.length = 0;
      target.fault({
        method: 'POST',
        path: '/api/v1/applications/web/sync',
        status: 429,
        headers: { 'retry-after': '7' },
      });
      const started = await c.sync('web', { dryRun: true });
      expect(sleeps.some(ms => ms >= 7000)).toBe(true);
      expect(count('POST', '/sync')).toBe(2);
      await c.waitForOperation('web', { operationKey: started.operationKey });
    });

    it('does not repeat a sync answered 500, since it may have started', async () => {
      const c = client();
      target.fault({
        method: 'POST',
        path: '/api/v1/applications/web/sync',
        status: 500,
      });
      const error = await c.sync('web', { dryRun: true }).catch(e => e);
      expect(error).toMatchObject({ status: 500, retryable: true });
      expect(error.message).toContain(
        `Argo CD (${url}/api/v1/applications/web/sync): sync prod/web failed (HTTP 500)`,
      );
      expect(count('POST', '/sync')).toBe(1);
    });

    it('never lets the token into an error', async () => {
      target.fault({
        method: 'GET',
        path: '/api/v1/applications/web',
        status: 400,
        body: { message: `invalid header: Authorization: Bearer ${TOKEN}` },
      });
      const echoed = await client()
        .getApplication('web')
        .catch(e => e);
      const badToken = await client({
        instance: { name: 'prod', url, token: 'not-the-token-123' },
      })
        .getApplication('web')
        .catch(e => e);
      const network = await client({
        fetchImpl: async () => {
          throw new TypeError(
            `connect ECONNREFUSED while sending Bearer ${TOKEN}`,
          );
        },
      })
        .getApplication('web')
        .catch(e => e);
      target.fault({
        method: 'GET',
        path: '/api/v1/stream/applications',
        status: 401,
        body: { message: `token ${TOKEN} expired` },
      });
      const stream = await (async () => {
        for await (const _ of client().watchApplications()) {
          // never reached: the stream is refused
        }
      })().catch(e => e);

      expect(badToken).toMatchObject({ status: 401, reason: 'unauthorized' });
      expect(echoed.message).toBe(
        `Argo CD (${url}/api/v1/applications/web): get prod/web failed (HTTP 400): invalid header: Authorization: Bearer ***`,
      );
      for (const e of [echoed, badToken, network, stream]) {
        expect(e).toBeInstanceOf(ArgoCdError);
        expect(e.message).toMatch(/^Argo CD \(http/);
        expect(`${e.message}\n${e.stack}\n${JSON.stringify(e)}`).not.toContain(
          TOKEN,
        );
      }
    });

    it('rolls back to the previous deployment, and refuses before any write under auto-sync (RELIABILITY 13)', async () => {
      const c = client();
      const before = await c.getApplicationState('cms');
      target.commit('cms', 'rollme');
      await c.hardRefresh('cms');
      await c.sync('cms', { operationKey: 'rel-13/cms' });
      await c.waitForOperation('cms', { operationKey: 'rel-13/cms' });
      expect((await c.getApplicationState('cms')).images).toEqual([
        expect.stringMatching(/:rollme$/),
      ]);
      const rollback = await c.rollback('cms');
      expect(rollback.revision).toBe(before.syncedRevision);
      expect((await c.waitForOperation('cms')).phase).toBe('Succeeded');
      const after = await c.waitForHealth('cms', { synced: false });
      expect(after.images).toEqual(before.images);
      expect(after.syncStatus).toBe('OutOfSync'); // git still asks for rollme

      const posts = count('POST');
      const refused = await c.rollback('cms-internal').catch(e => e);
      expect(refused).toMatchObject({ reason: 'auto-sync-enabled' });
      expect(refused.message).toBe(
        'Argo CD: rollback prod/cms-internal failed: Argo CD auto-sync would undo a rollback of cms-internal; the rollback goes through a git commit instead',
      );
      expect(count('POST')).toBe(posts);
    });

    it('refuses a rollback of an app with automated sync on, and only that', async () => {
      const c = client();
      expect(
        argocdRollbackRefusal(await c.getApplication('cms-internal')),
      ).toBe(
        'Argo CD auto-sync would undo a rollback of cms-internal; the rollback goes through a git commit instead',
      );
      expect(
        argocdRollbackRefusal(await c.getApplication('cms')),
      ).toBeUndefined();
      // An automated block switched off is no auto-sync.
      const off = await c.getApplication('cms');
      off.spec = {
        ...off.spec!,
        syncPolicy: { automated: { enabled: false } },
      };
      expect(argocdRollbackRefusal(off)).toBeUndefined();
    });

    it('lists and runs a resource action (restart), and the app comes back Healthy', async () => {
      const c = client();
      const deployment = {
        kind: 'Deployment',
        name: 'web',
        namespace: 'kop',
        group: 'apps',
        version: 'v1',
      };
      expect(await c.listResourceActions('web', deployment)).toContain(
        'restart',
      );
      await c.runResourceAction('web', deployment, 'restart');
      await c.waitForHealth('web', { synced: false });
      const pods = countPods(await c.getResourceTree('web'));
      expect(pods.total).toBeGreaterThan(0);
      expect(pods.ready).toBe(pods.total);
      await expect(
        c.runResourceAction('web', deployment, 'explode'),
      ).rejects.toMatchObject({ status: 400 });
    });

    it('streams changes — ADDED first, then MODIFIED — and reconnects after a failure and a dropped stream', async () => {
      const c = client();
      target.fault({
        method: 'GET',
        path: '/api/v1/stream/applications',
        status: 503,
      });
      const controller = new AbortController();
      const events: ArgoCdWatchEvent[] = [];
      const failures: Error[] = [];
      let connects = 0;
      const reading = (async () => {
        for await (const event of c.watchApplications({
          name: 'web',
          signal: controller.signal,
          reconnect: { baseDelayMs: 10, maxDelayMs: 50 },
          onConnect: () => connects++,
          onError: e => failures.push(e),
        })) {
          events.push(event);
        }
      })();
      await until(() => events.length >= 1);
      expect(failures.map(f => f.message)).toEqual([
        expect.stringContaining(
          `Argo CD (${url}/api/v1/stream/applications?name=web): watch applications failed (HTTP 503)`,
        ),
      ]);
      expect(events[0]).toMatchObject({ instance: 'prod', type: 'ADDED' });
      expect(events[0].application.metadata?.name).toBe('web');

      await c.sync('web', { operationKey: 'watch-1' });
      await until(() =>
        events.some(
          e =>
            e.type === 'MODIFIED' &&
            e.application.status?.operationState?.phase === 'Succeeded' &&
            portalOperationKey(
              e.application.status.operationState.operation,
            ) === 'watch-1',
        ),
      );
      target.dropStreams();
      await until(
        () =>
          connects === 2 && events.filter(e => e.type === 'ADDED').length === 2,
      );
      controller.abort();
      await reading;
      expect(events.every(e => e.application.metadata?.name === 'web')).toBe(
        true,
      );
      for (const event of events) {
        expect(
          contract.errors('v1alpha1Application', event.application),
        ).toEqual([]);
      }
    });

    it('offers the stream as an EventEmitter that stops cleanly', async () => {
      const watcher = client().createWatcher({ selector: 'kop/colour=blue' });
      const seen: ArgoCdWatchEvent[] = [];
      watcher.on('event', e => seen.push(e));
      const connected = new Promise(resolve =>
        watcher.once('connected', resolve),
      );
      watcher.start();
      await connected;
      await until(() => seen.length >= 1);
      expect(seen[0].application.metadata?.name).toBe('hybris-blue');
      const stopped = new Promise(resolve => watcher.once('stopped', resolve));
      await watcher.stop();
      expect(await stopped).toBeUndefined();
    });

    it('checks each app exists and that its project allows its destination (the app-of-apps trap)', async () => {
      const report = await client().check([...defaultArgoCdApps, 'nope']);
      expect(report).toMatchObject({ system: 'Argo CD', ok: false });
      expect(report.checks).toHaveLength(13);
      expect(report.checks.filter(c => !c.ok)).toEqual([
        {
          name: 'prod/cms-internal destination allowed by project kop',
          ok: false,
          detail:
            'project kop allows https://kubernetes.default.svc/kop, not https://kubernetes.default.svc/kop-internal',
        },
        {
          name: 'prod/nope exists',
          ok: false,
          detail: 'no app nope that the token may read',
        },
      ]);
      expect(report.checks).toContainEqual({
        name: 'prod/web destination allowed by project kop',
        ok: true,
        detail: 'https://kubernetes.default.svc/kop',
      });
    });
  },
);

describe('isDestinationPermitted', () => {
  const dest = { server: IN_CLUSTER, namespace: 'kop-internal' };
  it('matches globs and honours deny entries', () => {
    expect(
      isDestinationPermitted([{ server: '*', namespace: 'kop*' }], dest),
    ).toBe(true);
    expect(
      isDestinationPermitted([{ server: IN_CLUSTER, namespace: 'kop' }], dest),
    ).toBe(false);
    expect(
      isDestinationPermitted(
        [
          { server: '*', namespace: '!kop-internal' },
          { server: '*', namespace: '*' },
        ],
        dest,
      ),
    ).toBe(false);
    expect(
      isDestinationPermitted([{ name: 'in-cluster', namespace: '*' }], {
        name: 'in-cluster',
        namespace: 'kop',
      }),
    ).toBe(true);
    expect(isDestinationPermitted(undefined, dest)).toBe(false);
  });
});

describe('Argo CD config', () => {
  const config = new ConfigReader({
    argocd: {
      instances: [
        { name: 'beta', url: 'https://argocd-beta.example/', token: 'b' },
        {
          name: 'prod',
          url: 'https://argocd.example',
          token: 'p',
          username: 'kop-portal',
          environments: ['prod', 'prod-dr'],
        },
      ],
      pollIntervalMs: 2000,
    },
  });

  it('reads instances with their defaults, and picks one per environment', () => {
    const settings = readArgoCdSettings(config)!;
    expect(settings.instances[0]).toMatchObject({
      url: 'https://argocd-beta.example',
      environments: ['beta'],
      apps: defaultArgoCdApps,
    });
    expect(settings).toMatchObject({
      pollIntervalMs: 2000,
      busyTimeoutMs: 900_000,
    });
    const clients = ArgoCdClients.fromConfig(config);
    expect(clients.get().instance).toBe('beta');
    expect(clients.forEnvironment('prod-dr').instance).toBe('prod');
    expect(() => clients.get('qa')).toThrow("No Argo CD instance named 'qa'");
    expect(readArgoCdSettings(new ConfigReader({}))).toBeUndefined();
  });

  it('names the key that is wrong', () => {
    const bad = (instance: Record<string, unknown>) => () =>
      readArgoCdSettings(
        new ConfigReader({
          argocd: {
            instances: [
              { name: 'prod', url: 'https://a', token: 't', ...instance },
            ],
          },
        }),
      );
    expect(bad({ url: 'ftp://x' })).toThrow(
      'argocd.instances[0].url must be an http(s) URL',
    );
    expect(bad({ name: 'Prod!' })).toThrow(
      'argocd.instances[0].name must be a lower-case name',
    );
    expect(bad({ apps: ['../etc'] })).toThrow(
      "argocd.instances[0].apps has an invalid app name '../etc'",
    );
  });
});
