import { startSandbox, type RunningSandbox } from '../index';
import { argocdAndHybrisServices } from '../hybris';
import {
  InMemoryIacRepository,
  kopArgoApps,
  kopInitialValues,
  type ArgoCdSandbox,
} from './index';
import { argoCdContract, type ArgoCdDefinition } from '../contracts/argocd';

const TOKEN = 'sandbox-token-3f9a1c';
const contract = argoCdContract();

type Json = Record<string, any>;

describe('Argo CD sandbox', () => {
  let sandbox: RunningSandbox;
  let argocd: ArgoCdSandbox;
  let repo: InMemoryIacRepository;

  beforeAll(async () => {
    repo = new InMemoryIacRepository(kopInitialValues());
    sandbox = await startSandbox({
      timeScale: 0,
      services: [
        ...argocdAndHybrisServices({
          desiredState: repo.desiredState,
          reconcileIntervalMs: 0,
          tokens: { [TOKEN]: 'kop-portal' },
          // beta/web syncs itself, as an auto-synced app does
          apps: kopArgoApps().map(a =>
            a.instance === 'beta' && a.name === 'web'
              ? { ...a, autoSync: true }
              : a,
          ),
        }),
      ],
    });
    argocd = sandbox.services[0] as ArgoCdSandbox;
  });
  afterAll(() => sandbox.close());

  const requestDefinition = (path: string): ArgoCdDefinition | undefined => {
    if (/\/sync$/.test(path)) return 'applicationApplicationSyncRequest';
    if (/\/rollback$/.test(path))
      return 'applicationApplicationRollbackRequest';
    return undefined;
  };

  /** Calls the API and checks the request and the answer against the Argo CD contract (runtimeError when not 2xx). */
  async function call(
    method: string,
    path: string,
    definition: ArgoCdDefinition,
    body?: unknown,
    token: string | null = TOKEN,
  ): Promise<{ status: number; json: Json }> {
    const request = requestDefinition(path);
    if (request) expect(contract.errors(request, body ?? {})).toEqual([]);
    const res = await fetch(`${sandbox.url}/argocd${path}`, {
      method,
      headers: {
        ...(token ? { authorization: `Bearer ${token}` } : {}),
        ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const json = (await res.json()) as Json;
    const errors = contract.errors(res.ok ? definition : 'runtimeError', json);
    expect(errors).toEqual([]);
    return { status: res.status, json };
  }

  const getApp = async (instance: string, name: string) =>
    (
      await call(
        'GET',
        `/${instance}/api/v1/applications/${name}`,
        'v1alpha1Application',
      )
    ).json;

  async function until(
    instance: string,
    name: string,
    predicate: (app: Json) => boolean,
  ): Promise<Json> {
    for (let i = 0; i < 500; i++) {
      const app = await getApp(instance, name);
      if (predicate(app)) return app;
      await new Promise(r => setTimeout(r, 5));
    }
    throw new Error(`${instance}/${name} never reached the state asked for`);
  }

  const finished = (app: Json) =>
    !app.operation &&
    ['Succeeded', 'Failed', 'Error'].includes(
      app.status?.operationState?.phase,
    );

  it('checks answers against the contract strictly enough to catch a misspelt field', () => {
    const minimal = {
      metadata: { name: 'web' },
      spec: { project: 'kop', destination: { namespace: 'kop' } },
    };
    expect(contract.errors('v1alpha1Application', minimal)).toEqual([]);
    expect(
      contract.errors('v1alpha1Application', {
        ...minimal,
        status: { healthStatus: 'Healthy' },
      }),
    ).not.toEqual([]);
    expect(
      contract.errors('v1alpha1Application', {
        ...minimal,
        status: {
          history: [{ id: 'one', deployedAt: '2026-11-26T00:00:00Z' }],
        },
      }),
    ).not.toEqual([]);
  });

  it('holds the six kop apps per environment, already deployed from git', async () => {
    const { json } = await call(
      'GET',
      '/prod/api/v1/applications',
      'v1alpha1ApplicationList',
    );
    expect(json.items.map((a: Json) => a.metadata.name)).toEqual([
      'cms',
      'cms-internal',
      'hybris',
      'hybris-blue',
      'hybris-green',
      'web',
    ]);
    const blue = json.items.find(
      (a: Json) => a.metadata.name === 'hybris-blue',
    );
    expect(blue.status.sync).toMatchObject({
      status: 'Synced',
      revision: repo.head(),
    });
    expect(blue.status.health.status).toBe('Healthy');
    expect(blue.status.summary.images).toEqual([
      'registry.kop.internal/kop/hybris:2026.11.12-1',
    ]);
    expect(blue.status.history).toHaveLength(1);
    expect(argocd.liveColour('prod')).toBe('blue');
  });

  it('filters by name and by label selector', async () => {
    const names = async (query: string) =>
      (
        await call(
          'GET',
          `/prod/api/v1/applications?${query}`,
          'v1alpha1ApplicationList',
        )
      ).json.items.map((a: Json) => a.metadata.name);
    expect(await names('name=web')).toEqual(['web']);
    expect(await names('selector=kop%2Fcolour%3Dgreen')).toEqual([
      'hybris-green',
    ]);
    expect(
      await names(`selector=${encodeURIComponent('kop/app in (cms)')}`),
    ).toEqual(['cms', 'cms-internal']);
    expect(await names('projects=other')).toEqual([]);
  });

  it('answers 401 without a token and 403 for an app it will not name', async () => {
    const anonymous = await call(
      'GET',
      '/prod/api/v1/applications/web',
      'v1alpha1Application',
      undefined,
      null,
    );
    expect(anonymous).toMatchObject({ status: 401, json: { code: 16 } });
    const missing = await call(
      'GET',
      '/prod/api/v1/applications/nope',
      'v1alpha1Application',
    );
    expect(missing).toMatchObject({
      status: 403,
      json: { message: 'permission denied', code: 7 },
    });
    const named = await call(
      'GET',
      '/prod/api/v1/applications/nope?project=kop',
      'v1alpha1Application',
    );
    expect(named.status).toBe(404);
  });

  it("opens an app's page where the UI would, and refuses an app or instance it does not hold", async () => {
    const page = await fetch(`${sandbox.url}/argocd/prod/applications/web`);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toMatch(/^text\/html/);
    const html = await page.text();
    expect(html).toContain('<h1>web</h1>');
    expect(html).toContain('<dt>Sync</dt><dd>Synced</dd>');
    expect(html).toContain('<dt>Health</dt><dd>Healthy</dd>');
    // As the API: an app it does not hold is not named (403), an unknown instance is not there.
    expect(
      (await fetch(`${sandbox.url}/argocd/prod/applications/nope`)).status,
    ).toBe(403);
    expect(
      (await fetch(`${sandbox.url}/argocd/staging/applications/web`)).status,
    ).toBe(404);
  });

  it('syncs the idle colour: the operation runs, pods come up, Progressing turns Healthy', async () => {
    const seen: Json[] = [];
    const lineErrors: string[] = [];
    const controller = new AbortController();
    const stream = await fetch(
      `${sandbox.url}/argocd/prod/api/v1/stream/applications?name=hybris-green`,
      {
        headers: { authorization: `Bearer ${TOKEN}` },
        signal: controller.signal,
      },
    );
    const reading = (async () => {
      const decoder = new TextDecoder();
      let buffer = '';
      try {
        for await (const chunk of stream.body!) {
          buffer += decoder.decode(chunk, { stream: true });
          let nl = buffer.indexOf('\n');
          while (nl >= 0) {
            const line = JSON.parse(buffer.slice(0, nl));
            lineErrors.push(
              ...contract.errors('streamApplicationsResult', line),
            );
            seen.push(line.result.application);
            buffer = buffer.slice(nl + 1);
            nl = buffer.indexOf('\n');
          }
        }
      } catch {
        // aborted at the end of the test
      }
    })();

    const sha = repo.commit({
      'hybris-green': {
        image: {
          repository: 'registry.kop.internal/kop/hybris',
          tag: '2026.11.26-1',
        },
        replicaCount: 3,
      },
    });
    await call(
      'GET',
      '/prod/api/v1/applications/hybris-green?refresh=hard',
      'v1alpha1Application',
    );
    const outOfSync = await getApp('prod', 'hybris-green');
    expect(outOfSync.status.sync).toMatchObject({
      status: 'OutOfSync',
      revision: sha,
    });

    const { json: started } = await call(
      'POST',
      '/prod/api/v1/applications/hybris-green/sync',
      'v1alpha1Application',
      {
        revision: sha,
        infos: [{ name: 'kop-release-portal', value: 'r1/s1' }],
      },
    );
    expect(started.operation).toMatchObject({
      sync: { revision: sha },
      initiatedBy: { username: 'kop-portal' },
      info: [{ name: 'kop-release-portal', value: 'r1/s1' }],
    });

    const done = await until('prod', 'hybris-green', finished);
    expect(done.status.operationState).toMatchObject({
      phase: 'Succeeded',
      syncResult: { revision: sha },
      operation: { info: [{ value: 'r1/s1' }] },
    });
    const healthy = await until(
      'prod',
      'hybris-green',
      a => a.status.health.status === 'Healthy',
    );
    expect(healthy.status.sync.status).toBe('Synced');
    expect(healthy.status.summary.images).toEqual([
      'registry.kop.internal/kop/hybris:2026.11.26-1',
    ]);
    expect(healthy.status.history.map((h: Json) => h.revision)).toContain(sha);

    const { json: tree } = await call(
      'GET',
      '/prod/api/v1/applications/hybris-green/resource-tree',
      'v1alpha1ApplicationTree',
    );
    const pods = tree.nodes.filter((n: Json) => n.kind === 'Pod');
    expect(pods).toHaveLength(3);
    expect(pods.every((p: Json) => p.health.status === 'Healthy')).toBe(true);

    await new Promise(r => setTimeout(r, 20));
    controller.abort();
    await reading;
    expect(lineErrors).toEqual([]);
    const healths = seen.map(a => a.status.health.status);
    expect(healths[0]).toBe('Healthy'); // the ADDED replay, before the sync
    expect(healths).toContain('Progressing');
    expect(healths[healths.length - 1]).toBe('Healthy');
    expect(seen.map(a => a.status.operationState?.phase)).toContain('Running');
  });

  it('lets exactly one of two simultaneous syncs start', async () => {
    argocd.hold('prod', 'cms-internal');
    const answers = await Promise.all([
      call(
        'POST',
        '/prod/api/v1/applications/cms-internal/sync',
        'v1alpha1Application',
        {},
      ),
      call(
        'POST',
        '/prod/api/v1/applications/cms-internal/sync',
        'v1alpha1Application',
        {},
      ),
    ]);
    expect(answers.map(a => a.status).sort()).toEqual([200, 400]);
    expect(answers.find(a => a.status === 400)!.json.message).toBe(
      'error setting app operation: rpc error: code = FailedPrecondition desc = another operation is already in progress',
    );
    argocd.hold('prod', 'cms-internal', false);
    await until('prod', 'cms-internal', finished);
  });

  it('answers a second sync during an operation with "another operation is already in progress"', async () => {
    argocd.hold('prod', 'cms');
    const first = await call(
      'POST',
      '/prod/api/v1/applications/cms/sync',
      'v1alpha1Application',
      {},
    );
    expect(first.status).toBe(200);
    const [second, third] = await Promise.all([
      call(
        'POST',
        '/prod/api/v1/applications/cms/sync',
        'v1alpha1Application',
        {},
      ),
      call(
        'POST',
        '/prod/api/v1/applications/cms/sync',
        'v1alpha1Application',
        { dryRun: true },
      ),
    ]);
    for (const res of [second, third]) {
      expect(res.status).toBe(400);
      expect(res.json.code).toBe(9);
      expect(res.json.message).toContain(
        'another operation is already in progress',
      );
    }
    await until(
      'prod',
      'cms',
      a => a.status.operationState?.phase === 'Running',
    );
    argocd.hold('prod', 'cms', false);
    expect(
      (await until('prod', 'cms', finished)).status.operationState.phase,
    ).toBe('Succeeded');
  });

  it('terminates the running operation, and refuses when none runs', async () => {
    argocd.hold('prod', 'web');
    await call(
      'POST',
      '/prod/api/v1/applications/web/sync',
      'v1alpha1Application',
      {},
    );
    await until(
      'prod',
      'web',
      a => a.status.operationState?.phase === 'Running',
    );
    const terminated = await call(
      'DELETE',
      '/prod/api/v1/applications/web/operation',
      'applicationOperationTerminateResponse',
    );
    expect(terminated).toEqual({ status: 200, json: {} });
    const app = await until('prod', 'web', finished);
    expect(app.status.operationState).toMatchObject({
      phase: 'Failed',
      message: 'Operation terminated',
    });
    argocd.hold('prod', 'web', false);
    const again = await call(
      'DELETE',
      '/prod/api/v1/applications/web/operation',
      'applicationOperationTerminateResponse',
    );
    expect(again.status).toBe(400);
    expect(again.json.message).toBe(
      'Unable to terminate operation. No operation is in progress',
    );
  });

  it('a dry run changes nothing and records no history', async () => {
    const before = await getApp('prod', 'web');
    await call(
      'POST',
      '/prod/api/v1/applications/web/sync',
      'v1alpha1Application',
      {
        dryRun: true,
      },
    );
    const after = await until('prod', 'web', finished);
    expect(after.status.operationState.operation.sync.dryRun).toBe(true);
    expect(after.status.history).toEqual(before.status.history);
    expect(after.status.summary).toEqual(before.status.summary);
  });

  it('rolls back to an earlier deployment, and refuses while auto-sync is on', async () => {
    const oldTag = (await getApp('prod', 'cms')).status.summary.images[0];
    const sha = repo.commit({
      cms: {
        image: { repository: 'registry.kop.internal/kop/cms', tag: 'c0ffee1' },
        replicaCount: 2,
      },
    });
    await call(
      'POST',
      '/prod/api/v1/applications/cms/sync',
      'v1alpha1Application',
      {
        revision: sha,
      },
    );
    const synced = await until('prod', 'cms', finished);
    expect(synced.status.summary.images).toEqual([
      'registry.kop.internal/kop/cms:c0ffee1',
    ]);
    const previous = synced.status.history[synced.status.history.length - 2];
    const { json } = await call(
      'POST',
      '/prod/api/v1/applications/cms/rollback',
      'v1alpha1Application',
      { id: previous.id },
    );
    expect(json.operation.sync.revision).toBe(previous.revision);
    const rolledBack = await until(
      'prod',
      'cms',
      a => finished(a) && a.status.health.status === 'Healthy',
    );
    expect(rolledBack.status.summary.images).toEqual([oldTag]);
    expect(rolledBack.status.sync.status).toBe('OutOfSync'); // git still says c0ffee1

    const refused = await call(
      'POST',
      '/beta/api/v1/applications/web/rollback',
      'v1alpha1Application',
      { id: 0 },
    );
    expect(refused.status).toBe(400);
    expect(refused.json.message).toBe(
      'rollback cannot be initiated when auto-sync is enabled',
    );
  });

  it('an auto-synced app syncs itself when git changes, as the automated initiator', async () => {
    const sha = repo.commit({
      'beta/web': {
        image: { repository: 'registry.kop.internal/kop/web', tag: 'beta123' },
        replicaCount: 1,
      },
    });
    await argocd.refresh('beta', 'web');
    const app = await until(
      'beta',
      'web',
      a => finished(a) && a.status.operationState.syncResult?.revision === sha,
    );
    expect(app.status.operationState.operation.initiatedBy).toEqual({
      automated: true,
    });
    expect(app.status.sync.status).toBe('Synced');
    const pinned = await call(
      'POST',
      '/beta/api/v1/applications/web/sync',
      'v1alpha1Application',
      {
        revision: repo.head().slice(0, 7),
      },
    );
    expect(pinned.status).toBe(400);
    expect(pinned.json.message).toMatch(
      /^Cannot sync to .*: auto-sync currently set to main$/,
    );
  });

  it('restarts a Deployment through its resource action', async () => {
    const ref =
      'namespace=kop&resourceName=web&kind=Deployment&group=apps&version=v1';
    const { json: actions } = await call(
      'GET',
      `/prod/api/v1/applications/web/resource/actions?${ref}`,
      'applicationResourceActionsListResponse',
    );
    expect(actions.actions.map((a: Json) => a.name)).toEqual(['restart']);
    const podNames = async () =>
      (
        await call(
          'GET',
          '/prod/api/v1/applications/web/resource-tree',
          'v1alpha1ApplicationTree',
        )
      ).json.nodes
        .filter((n: Json) => n.kind === 'Pod')
        .map((n: Json) => n.name)
        .sort();
    const before = await podNames();
    const { json } = await call(
      'POST',
      '/prod/api/v1/applications/web/resource/actions/v2',
      'applicationApplicationResponse',
      {
        name: 'web',
        namespace: 'kop',
        resourceName: 'web',
        kind: 'Deployment',
        group: 'apps',
        version: 'v1',
        action: 'restart',
      },
    );
    expect(json).toEqual({});
    await until('prod', 'web', a => a.status.health.status === 'Healthy');
    const after = await podNames();
    expect(after).toHaveLength(before.length);
    expect(after.some((n: string) => before.includes(n))).toBe(false);
    const unknown = await call(
      'POST',
      '/prod/api/v1/applications/web/resource/actions/v2',
      'applicationApplicationResponse',
      {
        resourceName: 'web',
        kind: 'Deployment',
        group: 'apps',
        action: 'explode',
      },
    );
    expect(unknown.status).toBe(400);
  });

  it('serves the AppProject with its destinations', async () => {
    const { json } = await call(
      'GET',
      '/prod/api/v1/projects/kop',
      'v1alpha1AppProject',
    );
    expect(json.spec.destinations).toEqual([
      { server: 'https://kubernetes.default.svc', namespace: 'kop' },
      { server: 'https://kubernetes.default.svc', namespace: 'kop-internal' },
    ]);
    expect(
      (await call('GET', '/prod/api/v1/projects/nope', 'v1alpha1AppProject'))
        .status,
    ).toBe(404);
  });

  it('refuses a revision git does not have, and a malformed selector', async () => {
    const res = await call(
      'POST',
      '/prod/api/v1/applications/web/sync',
      'v1alpha1Application',
      {
        revision: 'no-such-branch',
      },
    );
    expect(res.status).toBe(400);
    expect(res.json.message).toContain("unable to resolve 'no-such-branch'");
    const bad = await call(
      'GET',
      `/prod/api/v1/applications?selector=${encodeURIComponent('a in b')}`,
      'v1alpha1ApplicationList',
    );
    expect(bad.status).toBe(400);
  });

  it('lets an injected fault answer first, then serves normally', async () => {
    sandbox.context.faults.add({
      path: '/argocd/prod/api/v1/applications/web',
      method: 'GET',
      count: 1,
      status: 503,
      headers: { 'retry-after': '2' },
    });
    expect(
      (
        await call(
          'GET',
          '/prod/api/v1/applications/web',
          'v1alpha1Application',
        )
      ).status,
    ).toBe(503);
    expect(
      (
        await call(
          'GET',
          '/prod/api/v1/applications/web',
          'v1alpha1Application',
        )
      ).status,
    ).toBe(200);
  });

  it("slows an app's new pods through its faults knob, and names a bad value", async () => {
    const knob = (path: string, body: unknown) =>
      fetch(`${sandbox.url}/argocd/_sandbox/${path}/faults`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
    const set = await knob('beta/applications/cms', { slowStartMs: 30_000 });
    expect([set.status, await set.json()]).toEqual([
      200,
      { neverJoin: 0, slowStartMs: 30_000 },
    ]);
    const bad = await knob('beta/applications/cms', { slowStartMs: -1 });
    expect([bad.status, (await bad.json()).message]).toEqual([
      400,
      'slowStartMs must be a number of at least 0',
    ]);
    // Argo CD answers an app it will not name with 403, as for its API.
    const unknown = await knob('beta/applications/nope', { slowStartMs: 0 });
    expect(unknown.status).toBe(403);
    await knob('beta/applications/cms', { slowStartMs: 0 });
  });

  it('describes apps, sync/health, revision, pods and the live colour for the sandbox page', async () => {
    const rows = await argocd.describe!();
    expect(rows).toContainEqual(
      expect.objectContaining({
        environment: 'prod',
        app: 'hybris-blue',
        health: 'Healthy',
        pods: '9/9',
        'live colour': 'live',
      }),
    );
    expect(rows).toContainEqual(
      expect.objectContaining({
        environment: 'prod',
        app: 'hybris',
        'live colour': 'blue',
      }),
    );
    const page = await (await fetch(`${sandbox.url}/`)).text();
    expect(page).toContain('<h2>Argo CD</h2>');
    expect(page).toContain('<h2>hybris</h2>');
  });
});
