import { ConfigReader } from '@backstage/config';
import { http, HttpResponse } from 'msw';
import { setupServer } from 'msw/node';
import { recordingClock } from '../__testUtils__/clients';
import { bufferedFetch } from '../jenkins/__testUtils__/jenkinsHandlers';
import { SystemError } from '../http/SystemError';
import {
  HybrisClusterClient,
  type HybrisClusterClientOptions,
} from './HybrisClusterClient';
import {
  createHybrisHandlers,
  type FakeColourState,
} from './__testUtils__/hybrisHandlers';
import {
  startHybrisSandbox,
  type HybrisTestSandbox,
} from './__testUtils__/hybrisSandbox';

interface HybrisTarget {
  options: HybrisClusterClientOptions;
  start(): Promise<void>;
  stop(): Promise<void>;
  /** Deploys `replicas` nodes of a colour of which `neverJoin` never join the view. */
  deploy(
    environment: string,
    colour: string,
    replicas: number,
    neverJoin: number,
  ): Promise<void>;
}

function mswTarget(): HybrisTarget {
  const endpoints = {
    beta: {
      blue: 'https://hybris-blue.beta.kop.test',
      green: 'https://hybris-green.beta.kop.test',
    },
    prod: {
      blue: 'https://hybris-blue.prod.kop.test',
      green: 'https://hybris-green.prod.kop.test',
    },
  };
  // As the sandbox starts: blue live with 9 nodes, green scaled to 0.
  const state: Record<string, FakeColourState> = {
    'beta/blue': { up: true, expectedNodes: 9, joined: 9 },
    'prod/blue': { up: true, expectedNodes: 9, joined: 9 },
  };
  const server = setupServer(...createHybrisHandlers({ endpoints, state }));
  return {
    options: { endpoints, fetch: bufferedFetch },
    start: async () => server.listen({ onUnhandledRequest: 'error' }),
    stop: async () => server.close(),
    deploy: async (environment, colour, replicas, neverJoin) => {
      state[`${environment}/${colour}`] = {
        up: true,
        expectedNodes: replicas,
        joined: replicas - neverJoin,
        neverJoined: neverJoin,
      };
    },
  };
}

function sandboxTarget(): HybrisTarget {
  let running: HybrisTestSandbox;
  const target: HybrisTarget = {
    options: { endpoints: {} },
    async start() {
      running = await startHybrisSandbox();
      target.options.endpoints = running.endpoints;
    },
    stop: () => running.close(),
    async deploy(environment, colour, replicas, neverJoin) {
      running.hybris.setFaults(environment, colour, { neverJoin });
      await running.deploy(environment, colour, replicas);
    },
  };
  return target;
}

describe.each([
  ['msw handlers from the documented answer', mswTarget],
  ['the sandbox', sandboxTarget],
])('HybrisClusterClient against %s', (_name, makeTarget) => {
  const target = makeTarget();
  beforeAll(() => target.start());
  afterAll(() => target.stop());

  const client = () =>
    new HybrisClusterClient({
      ...target.options,
      clock: recordingClock().clock,
    });

  it("reads the live colour's full JGroups view", async () => {
    const status = await client().clusterStatus('prod', 'blue');
    expect(status).toEqual({
      environment: 'prod',
      colour: 'blue',
      up: true,
      expectedNodes: 9,
      viewSize: 9,
      members: expect.any(Array),
      missing: [],
      complete: true,
      coordinator: status.members[0],
      viewId: expect.stringMatching(/^\[hybris-blue-.+\|\d+\] \(9\)$/),
    });
    expect(status.members).toHaveLength(9);
  });

  it('reads a colour with no node up (503) as 0 members, not a failure', async () => {
    await expect(client().clusterStatus('beta', 'green')).resolves.toEqual({
      environment: 'beta',
      colour: 'green',
      up: false,
      viewSize: 0,
      members: [],
      missing: [],
      complete: false,
    });
  });

  it('sees a node that never joins the view as missing', async () => {
    await target.deploy('prod', 'green', 3, 1);
    const status = await client().clusterStatus('prod', 'green');
    expect(status).toMatchObject({
      up: true,
      expectedNodes: 3,
      viewSize: 2,
      complete: false,
    });
    expect(status.missing).toHaveLength(1);
    expect(status.members).not.toContain(status.missing[0]);
  });

  it('checks every configured environment and colour', async () => {
    const result = await client().check();
    expect(result.system).toBe('hybris');
    expect(result.ok).toBe(true);
    expect(result.checks).toEqual([
      { name: 'cluster status beta blue', ok: true, detail: 'view 9/9' },
      {
        name: 'cluster status beta green',
        ok: true,
        detail: 'answers 503: no node is up (fine for an idle colour)',
      },
      { name: 'cluster status prod blue', ok: true, detail: 'view 9/9' },
      {
        name: 'cluster status prod green',
        ok: true,
        detail: 'view 2/3, 1 missing',
      },
    ]);
  });

  it('refuses an environment or colour it has no URL for, or that is not a plain name', async () => {
    await expect(client().clusterStatus('staging', 'blue')).rejects.toThrow(
      'hybris: read the cluster status of blue in staging failed: hybris.clusterStatus.staging.blue is not set in app-config',
    );
    await expect(client().clusterStatus('beta', '../admin')).rejects.toThrow(
      'hybris: read the cluster status failed: environment and colour must be plain names like beta and blue',
    );
  });
});

describe('HybrisClusterClient failures', () => {
  const base = 'https://hybris-blue.beta.kop.test';
  const server = setupServer();
  beforeAll(() => server.listen({ onUnhandledRequest: 'error' }));
  afterEach(() => server.resetHandlers());
  afterAll(() => server.close());

  const client = (extra: Partial<HybrisClusterClientOptions> = {}) =>
    new HybrisClusterClient({
      endpoints: { beta: { blue: `${base}/` } },
      fetch: bufferedFetch,
      clock: recordingClock().clock,
      ...extra,
    });

  it('names the system, the colour and the URL when the path is wrong', async () => {
    server.use(
      http.get(`${base}/cluster/status`, () =>
        HttpResponse.text('Not Found', { status: 404 }),
      ),
    );
    const error = await client()
      .clusterStatus('beta', 'blue')
      .catch(e => e);
    expect(error).toBeInstanceOf(SystemError);
    expect(error.message).toBe(
      `hybris (${base}/cluster/status): read the cluster status of blue in beta failed (HTTP 404): no cluster status at this URL`,
    );
    const check = await client().check();
    expect(check.ok).toBe(false);
    expect(check.checks[0].detail).toBe(error.message);
  });

  it('reads the path the layout configures, and refuses an answer that is not a cluster status', async () => {
    server.use(
      http.get(`${base}/hac/monitoring/cluster`, () =>
        HttpResponse.json({ nodes: 3 }),
      ),
    );
    await expect(
      client({ path: '/hac/monitoring/cluster' }).clusterStatus('beta', 'blue'),
    ).rejects.toThrow(
      `hybris (${base}/hac/monitoring/cluster): read the cluster status of blue in beta failed: the answer has no viewSize, expectedNodes and members`,
    );
  });

  it('waits out a 429 and reports a connection failure as retryable', async () => {
    const { clock, sleeps } = recordingClock();
    let calls = 0;
    server.use(
      http.get(`${base}/cluster/status`, () => {
        calls += 1;
        return calls === 1
          ? HttpResponse.json(
              { message: 'slow down' },
              { status: 429, headers: { 'retry-after': '3' } },
            )
          : HttpResponse.error();
      }),
    );
    const error = await client({ clock })
      .clusterStatus('beta', 'blue')
      .catch(e => e);
    expect(sleeps).toEqual([3000]);
    expect(error.message).toBe(
      `hybris (${base}/cluster/status): read the cluster status of blue in beta failed: Failed to fetch`,
    );
    expect(error.retryable).toBe(true);
  });

  it('is built from hybris.clusterStatus and the layout path, or not at all', () => {
    expect(
      HybrisClusterClient.fromConfig(new ConfigReader({})),
    ).toBeUndefined();
    const configured = HybrisClusterClient.fromConfig(
      new ConfigReader({
        hybris: {
          clusterStatus: {
            beta: { blue: base, green: 'https://hybris-green.beta.kop.test' },
          },
        },
      }),
    );
    expect(configured!.targets()).toEqual([
      { environment: 'beta', colour: 'blue' },
      { environment: 'beta', colour: 'green' },
    ]);
    expect(() =>
      HybrisClusterClient.fromConfig(
        new ConfigReader({
          hybris: { clusterStatus: { beta: { blue: 'hybris-blue:9001' } } },
        }),
      ),
    ).toThrow('hybris.clusterStatus.beta.blue must be an http(s) URL');
  });
});
