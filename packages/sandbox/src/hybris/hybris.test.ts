import { startSandbox, type RunningSandbox } from '../index';
import {
  InMemoryIacRepository,
  kopInitialValues,
  type ArgoCdSandbox,
} from '../argocd';
import { argocdAndHybrisServices, type HybrisSandbox } from './index';

const TOKEN = 'hybris-test-token';

describe('hybris sandbox', () => {
  let sandbox: RunningSandbox;
  let argocd: ArgoCdSandbox;
  let hybris: HybrisSandbox;
  let repo: InMemoryIacRepository;

  beforeAll(async () => {
    repo = new InMemoryIacRepository(kopInitialValues());
    sandbox = await startSandbox({
      // 1 ms per simulated second: a hybris pod starts in 40 ms
      timeScale: 0.001,
      services: [
        ...argocdAndHybrisServices({
          desiredState: repo.desiredState,
          reconcileIntervalMs: 0,
        }),
      ],
    });
    [argocd, hybris] = sandbox.services as [ArgoCdSandbox, HybrisSandbox];
  });
  afterAll(() => sandbox.close());

  const get = async (path: string) => {
    const res = await fetch(`${sandbox.url}/hybris${path}`);
    return {
      status: res.status,
      body: res.headers.get('content-type')?.includes('json')
        ? await res.json()
        : await res.text(),
    };
  };

  async function waitFor<T>(
    read: () => Promise<T>,
    ok: (v: T) => boolean,
  ): Promise<T> {
    for (let i = 0; i < 400; i++) {
      const value = await read();
      if (ok(value)) return value;
      await new Promise(r => setTimeout(r, 5));
    }
    throw new Error('the state asked for never came');
  }

  /** Commits the green colour's values and syncs it, as the orchestrator does. */
  async function deployGreen(
    environment: string,
    replicaCount: number,
    tag: string,
  ) {
    const sha = repo.commit({
      [`${environment}/hybris-green`]: {
        image: { repository: 'registry.kop.internal/kop/hybris', tag },
        replicaCount,
      },
    });
    const res = await fetch(
      `${sandbox.url}/argocd/${environment}/api/v1/applications/hybris-green/sync`,
      {
        method: 'POST',
        headers: {
          authorization: `Bearer ${TOKEN}`,
          'content-type': 'application/json',
        },
        body: JSON.stringify({ revision: sha }),
      },
    );
    expect(res.status).toBe(200);
  }

  it('shows the live colour’s full JGroups view', async () => {
    const { status, body } = await get('/prod/blue/cluster/status');
    expect(status).toBe(200);
    expect(body).toMatchObject({
      environment: 'prod',
      colour: 'blue',
      expectedNodes: 9,
      viewSize: 9,
      missing: [],
      complete: true,
    });
    expect(body.members).toHaveLength(9);
    expect(body.viewId).toMatch(
      /^\[hybris-blue-[0-9a-f]{10}-\w{5}\|\d+\] \(9\)$/,
    );
  });

  it('answers 503 while no node of a colour is up, then the view grows to the expected nodes', async () => {
    expect((await get('/beta/green/cluster/status')).status).toBe(503);
    await deployGreen('beta', 3, '2026.11.26-1');
    const status = await waitFor(
      () => get('/beta/green/cluster/status'),
      s => s.status === 200 && s.body.complete,
    );
    expect(status.body).toMatchObject({
      expectedNodes: 3,
      viewSize: 3,
      missing: [],
    });
    const app = await waitFor(
      async () => argocd.simulation.summary('beta', 'hybris-green'),
      s => s.health === 'Healthy',
    );
    expect(app.sync).toBe('Synced');
  });

  it('keeps a pod that never joins out of the view while Kubernetes calls it ready', async () => {
    hybris.setFaults('prod', 'green', { neverJoin: 1 });
    await deployGreen('prod', 3, '2026.11.26-1');
    const status = await waitFor(
      () => get('/prod/green/cluster/status'),
      s => s.status === 200 && s.body.pods.ready === 3,
    );
    expect(status.body).toMatchObject({
      expectedNodes: 3,
      viewSize: 2,
      complete: false,
    });
    expect(status.body.missing).toHaveLength(1);
    expect(argocd.simulation.summary('prod', 'hybris-green').health).toBe(
      'Healthy',
    );
    const metrics = await get('/prod/green/metrics');
    expect(metrics.body).toContain(
      'hybris_jgroups_view_size{colour="green"} 2',
    );
    expect(metrics.body).toContain(
      'hybris_jgroups_expected_nodes{colour="green"} 3',
    );

    hybris.clearFaults('prod', 'green');
    const joined = await get('/prod/green/cluster/status');
    expect(joined.body).toMatchObject({ viewSize: 3, complete: true });
  });

  it('starts pods slowly when asked', async () => {
    hybris.setFaults('prod', 'green', { slowStartMs: 200_000 }); // 200 ms here
    const started = Date.now();
    await deployGreen('prod', 4, '2026.11.26-1');
    await waitFor(
      () => get('/prod/green/cluster/status'),
      s => s.status === 200 && s.body.complete && s.body.viewSize === 4,
    );
    expect(Date.now() - started).toBeGreaterThanOrEqual(200);
    hybris.clearFaults('prod', 'green');
  });

  it('serves Prometheus text with the view size and a rising error counter', async () => {
    hybris.setFaults('prod', 'blue', { errorsPerSecond: 2000 });
    await new Promise(r => setTimeout(r, 30));
    const first = await get('/prod/blue/metrics');
    expect(first.status).toBe(200);
    expect(first.body).toContain('# TYPE hybris_errors_total counter');
    expect(first.body).toContain('hybris_jgroups_view_size{colour="blue"} 9');
    const count = (text: string) =>
      Number(/^hybris_errors_total\{colour="blue"\} (\d+)$/m.exec(text)![1]);
    expect(count(first.body)).toBeGreaterThan(0);
    await new Promise(r => setTimeout(r, 30));
    expect(count((await get('/prod/blue/metrics')).body)).toBeGreaterThan(
      count(first.body),
    );
    hybris.setFaults('prod', 'blue', { errorsPerSecond: 0 });
  });

  it('takes fault knobs over HTTP, naming a bad field', async () => {
    const post = (path: string, body: unknown) =>
      fetch(`${sandbox.url}/hybris/_sandbox${path}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
    const set = await post('/beta/blue/faults', {
      neverJoin: 2,
      errorsPerSecond: 1,
    });
    expect(await set.json()).toEqual({
      neverJoin: 2,
      slowStartMs: 0,
      errorsPerSecond: 1,
    });
    const bad = await post('/beta/blue/faults', { neverJoin: -1 });
    expect([bad.status, (await bad.json()).message]).toEqual([
      400,
      'neverJoin must be a number of at least 0',
    ]);
    expect((await post('/beta/purple/faults', {})).status).toBe(404);
    const cleared = await fetch(
      `${sandbox.url}/hybris/_sandbox/beta/blue/faults`,
      {
        method: 'DELETE',
      },
    );
    expect(cleared.status).toBe(204);
    const all = await (
      await fetch(`${sandbox.url}/hybris/_sandbox/faults`)
    ).json();
    expect(all).toContainEqual({
      environment: 'beta',
      colour: 'blue',
      neverJoin: 0,
      slowStartMs: 0,
      errorsPerSecond: 0,
    });
  });

  it('describes each colour: live or idle, view against expected, faults', async () => {
    const rows = await hybris.describe!();
    expect(rows).toContainEqual(
      expect.objectContaining({
        environment: 'prod',
        colour: 'blue',
        live: 'yes',
        'view / expected': '9/9',
      }),
    );
    expect(rows).toContainEqual(
      expect.objectContaining({
        environment: 'prod',
        colour: 'green',
        live: 'no',
      }),
    );
  });
});
