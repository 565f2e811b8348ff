import { http, HttpResponse } from 'msw';
import { setupServer } from 'msw/node';
import { captureLogger, recordingClock } from '../__testUtils__/clients';
import { realClock, type CallClock } from '../http/retryingCaller';
import { HybrisClusterClient } from '../hybris/HybrisClusterClient';
import {
  createHybrisHandlers,
  type FakeColourState,
} from '../hybris/__testUtils__/hybrisHandlers';
import {
  startHybrisSandbox,
  type HybrisTestSandbox,
} from '../hybris/__testUtils__/hybrisSandbox';
import { bufferedFetch } from '../jenkins/__testUtils__/jenkinsHandlers';
import type { HybrisLayout } from '../layout';
import { PrometheusClient } from '../prometheus/PrometheusClient';
import {
  createPrometheusHandlers,
  type FakeAnswer,
} from '../prometheus/__testUtils__/prometheusHandlers';
import { HybrisGate, gateQuery, type GateEvaluation } from './HybrisGate';
import {
  defaultGates,
  gateContract,
  waitForSeries,
  type GateWorld,
} from './__testUtils__/gateContract';

const PROMETHEUS = 'https://prometheus.kop.test';
const TOKEN = 'prometheus-gate-token-1234';
const ENDPOINTS = {
  beta: {
    blue: 'https://hybris-blue.beta.kop.test',
    green: 'https://hybris-green.beta.kop.test',
  },
  prod: {
    blue: 'https://hybris-blue.prod.kop.test',
    green: 'https://hybris-green.prod.kop.test',
  },
};

/** A fake Prometheus and hybris that answer the default gate queries from a small model. */
function fakeSystems() {
  const answers: Record<string, FakeAnswer> = {};
  const state: Record<string, FakeColourState> = {
    'beta/blue': { up: true, expectedNodes: 9, joined: 9 },
    'prod/blue': { up: true, expectedNodes: 9, joined: 9 },
  };
  const prometheus = createPrometheusHandlers({
    baseUrl: PROMETHEUS,
    token: TOKEN,
    answers,
  });
  const server = setupServer(
    ...prometheus.handlers,
    ...createHybrisHandlers({ endpoints: ENDPOINTS, state }),
  );
  const gates = defaultGates(120_000);
  const [steady, errorRate] = gates.metrics;
  const vector = (value: string, metric: object = {}): FakeAnswer => ({
    resultType: 'vector',
    result: [{ metric, value }],
  });
  /** Sets what a metric of a colour answers. */
  const answer = (
    metric: { query: string },
    environment: string,
    colour: string,
    value: FakeAnswer,
  ) => {
    answers[gateQuery(metric.query, { environment, colour })] = value;
  };
  const errors = (environment: string, colour: string, perSecond: number) =>
    answer(errorRate, environment, colour, vector(String(perSecond)));
  for (const environment of ['beta', 'prod']) {
    for (const colour of ['blue', 'green']) {
      answer(
        steady,
        environment,
        colour,
        vector('0', { job: 'hybris', environment, colour }),
      );
      errors(environment, colour, 0);
    }
  }
  return {
    server,
    answers,
    state,
    requests: prometheus.requests,
    steady,
    errorRate,
    vector,
    answer,
    errors,
    prometheus: () =>
      new PrometheusClient({
        baseUrl: PROMETHEUS,
        token: TOKEN,
        fetch: bufferedFetch,
        clock: recordingClock().clock,
      }),
    hybris: () =>
      new HybrisClusterClient({
        endpoints: ENDPOINTS,
        fetch: bufferedFetch,
        clock: recordingClock().clock,
      }),
  };
}

describe('the gate contract against msw handlers', () => {
  const fake = fakeSystems();
  const world: GateWorld = {
    start: async () => fake.server.listen({ onUnhandledRequest: 'error' }),
    stop: async () => fake.server.close(),
    prometheus: fake.prometheus,
    hybris: fake.hybris,
    clock: () => recordingClock().clock,
    pollMs: 10_000,
    soakMs: 120_000,
    ready: async () => undefined,
    injectErrors: async (environment, colour, perSecond) =>
      fake.errors(environment, colour, perSecond),
  };
  beforeAll(() => world.start());
  afterAll(() => world.stop());
  it.each(gateContract(world))('$name', async ({ run }) => {
    expect.hasAssertions();
    await run();
  });
});

describe('the gate contract against the sandbox and its Prometheus API', () => {
  let running: HybrisTestSandbox;
  const world: GateWorld = {
    async start() {
      running = await startHybrisSandbox({
        prometheus: { scrapeIntervalMs: 50 },
      });
    },
    stop: () => running.close(),
    prometheus: () =>
      new PrometheusClient({ baseUrl: `${running.sandbox.url}/prometheus` }),
    hybris: () => new HybrisClusterClient({ endpoints: running.endpoints }),
    clock: () => realClock,
    pollMs: 50,
    soakMs: 300,
    ready: () =>
      waitForSeries(world.prometheus(), 'rate(hybris_errors_total[2m])', 4),
    injectErrors: async (environment, colour, perSecond) => {
      running.hybris.setFaults(environment, colour, {
        errorsPerSecond: perSecond,
      });
    },
  };
  beforeAll(async () => {
    await world.start();
    await world.ready();
  });
  afterAll(() => world.stop());
  it.each(gateContract(world))('$name', async ({ run }) => {
    expect.hasAssertions();
    await run();
  });
});

describe('HybrisGate', () => {
  const fake = fakeSystems();
  beforeAll(() => fake.server.listen({ onUnhandledRequest: 'error' }));
  afterEach(() => {
    jest.useRealTimers();
    for (const environment of ['beta', 'prod']) {
      for (const colour of ['blue', 'green']) {
        fake.errors(environment, colour, 0);
      }
    }
    fake.server.resetHandlers();
  });
  afterAll(() => fake.server.close());

  const gate = (
    options: {
      clock?: CallClock;
      gates?: Partial<HybrisLayout['gates']>;
      logger?: ReturnType<typeof captureLogger>['logger'];
    } = {},
  ) =>
    new HybrisGate({
      prometheus: fake.prometheus(),
      hybris: fake.hybris(),
      gates: { ...defaultGates(120_000), ...options.gates },
      clock: options.clock ?? recordingClock().clock,
      pollMs: 10_000,
      logger: options.logger,
    });
  const beta = { environment: 'beta', colour: 'blue' };

  describe('queries', () => {
    it('fills in $environment and $colour', () => {
      expect(
        gateQuery(
          'sum(rate(hybris_errors_total{environment="$environment",colour="$colour"}[2m])) / $colours_total',
          beta,
        ),
      ).toBe(
        'sum(rate(hybris_errors_total{environment="beta",colour="blue"}[2m])) / $colours_total',
      );
    });

    it('refuses an environment or colour that could change the PromQL, before any query', async () => {
      fake.requests.length = 0;
      for (const colour of [
        'blue"} or vector(1) #',
        'blue|green',
        '.*',
        '',
        'x'.repeat(64),
      ]) {
        await expect(
          gate().evaluateGate({ environment: 'beta', colour }),
        ).rejects.toThrow(
          /^gate: colour must be a plain name like blue, got '/,
        );
      }
      await expect(
        gate().waitForGate({
          environment: 'beta",colour=~".*',
          colour: 'blue',
          timeoutMs: 1000,
        }),
      ).rejects.toThrow(
        'gate: environment must be a plain name like beta, got \'beta",colour=~".*\'',
      );
      expect(fake.requests).toEqual([]);
    });
  });

  describe('evaluateGate', () => {
    const check = (evaluation: GateEvaluation, name: string) =>
      evaluation.checks.find(c => c.name === name);

    it('judges a value above the max, NaN, no data, and the worst of several series', async () => {
      const judge = async (answer: FakeAnswer) => {
        fake.answer(fake.errorRate, 'beta', 'blue', answer);
        return check(await gate().evaluateGate(beta), 'error-rate');
      };
      await expect(judge(fake.vector('2.5'))).resolves.toEqual({
        name: 'error-rate',
        ok: false,
        value: 2.5,
        threshold: { max: 0.5 },
        detail: '2.5 is above the max 0.5',
      });
      await expect(judge(fake.vector('NaN'))).resolves.toMatchObject({
        ok: false,
        detail: 'NaN, max 0.5',
      });
      await expect(
        judge({ resultType: 'vector', result: [] }),
      ).resolves.toMatchObject({
        ok: false,
        detail: 'no data: the query matched no series (are the pods scraped?)',
      });
      await expect(
        judge({
          resultType: 'vector',
          result: [
            { metric: { pod: 'a' }, value: '0.1' },
            { metric: { pod: 'b' }, value: '0.3' },
          ],
        }),
      ).resolves.toMatchObject({
        ok: true,
        value: 0.3,
        detail: '0.3, max 0.5 (worst of 2 series)',
      });
      await expect(
        judge({ resultType: 'scalar', value: '0.25' }),
      ).resolves.toMatchObject({ ok: true, value: 0.25 });
      await expect(
        judge({
          resultType: 'matrix',
          result: [{ metric: {}, values: ['0', '0'] }],
        }),
      ).resolves.toMatchObject({
        ok: false,
        detail: 'the query answers a matrix, not a number',
      });
    });

    it('judges a metric with a min, and both bounds', async () => {
      const metric = {
        name: 'nodes-ready',
        query:
          'min(hybris_nodes_ready{environment="$environment",colour="$colour"})',
        min: 3,
      };
      fake.answer(metric, 'beta', 'blue', fake.vector('2'));
      const low = await gate({ gates: { metrics: [metric] } }).evaluateGate(
        beta,
      );
      expect(check(low, 'nodes-ready')).toEqual({
        name: 'nodes-ready',
        ok: false,
        value: 2,
        threshold: { min: 3 },
        detail: '2 is below the min 3',
      });
      fake.answer(metric, 'beta', 'blue', fake.vector('4'));
      const within = await gate({
        gates: { metrics: [{ ...metric, max: 9 }] },
      }).evaluateGate(beta);
      expect(check(within, 'nodes-ready')).toMatchObject({
        ok: true,
        threshold: { min: 3, max: 9 },
        detail: '4, between 3 and 9',
      });
    });

    it("reports Prometheus' refusal and hybris' failure as failed checks, not as a thrown error", async () => {
      fake.answer(fake.errorRate, 'beta', 'blue', {
        status: 422,
        errorType: 'execution',
        error: 'query processing would load too many samples into memory',
      });
      fake.server.use(
        http.get(`${ENDPOINTS.beta.blue}/cluster/status`, () =>
          HttpResponse.text('upstream connect error', { status: 502 }),
        ),
      );
      const evaluation = await gate().evaluateGate(beta);
      expect(evaluation.ok).toBe(false);
      expect(check(evaluation, 'error-rate')!.detail).toBe(
        `Prometheus (${PROMETHEUS}/api/v1/query): query 'sum(rate(hybris_errors_total{environment="beta",colour="blue"}[2m]))' failed (HTTP 422): execution: query processing would load too many samples into memory`,
      );
      expect(check(evaluation, 'cluster-status')).toEqual({
        name: 'cluster-status',
        ok: false,
        threshold: {},
        detail: `hybris (${ENDPOINTS.beta.blue}/cluster/status): read the cluster status of blue in beta failed (HTTP 502): unexpected answer`,
      });
    });

    it('lists the nodes missing from the view', async () => {
      fake.state['prod/green'] = {
        up: true,
        expectedNodes: 9,
        joined: 2,
        neverJoined: 7,
      };
      const evaluation = await gate().evaluateGate({
        environment: 'prod',
        colour: 'green',
      });
      expect(check(evaluation, 'cluster-status')).toEqual({
        name: 'cluster-status',
        ok: false,
        value: 2,
        threshold: { min: 9, max: 9 },
        detail: expect.stringMatching(
          /^JGroups view 2\/9; missing: (hybris-green-[0-9a-z-]+, ){5}and 2 more$/,
        ),
      });
    });
  });

  describe('waitForGate', () => {
    /** Error rate per evaluation time (s since the start, 10 s apart); 0 when not listed. */
    const scriptErrors = (clock: CallClock, script: Record<number, number>) => {
      const start = clock.now();
      const apply = (at: number) =>
        fake.errors('beta', 'blue', script[(at - start) / 1000] ?? 0);
      apply(start);
      // Sets what the next evaluation, one poll later, will see.
      return (e: GateEvaluation) => apply(e.at + 10_000);
    };

    it('passes after every check has held for the soak, polling every pollMs', async () => {
      const { clock, sleeps } = recordingClock();
      const start = clock.now();
      const outcome = await gate({ clock }).waitForGate({
        ...beta,
        timeoutMs: 600_000,
      });
      expect(outcome).toMatchObject({
        passed: true,
        steadyForMs: 120_000,
        soakMs: 120_000,
        evaluations: 13,
        failed: [],
        message:
          'the gate of hybris blue in beta passed: every check held for 2 min',
      });
      expect(outcome.last.at - start).toBe(120_000);
      expect(sleeps).toEqual(Array(12).fill(10_000));
    });

    it('restarts the soak when any check fails', async () => {
      const { clock } = recordingClock();
      const { logger, lines } = captureLogger();
      const start = clock.now();
      const outcome = await gate({ clock, logger }).waitForGate({
        ...beta,
        timeoutMs: 600_000,
        // At 40 s the error rate spikes for one evaluation.
        onEvaluation: scriptErrors(clock, { 40: 2.5 }),
      });
      expect(outcome.passed).toBe(true);
      // steady from 50 s, so passed at 170 s, not 120 s
      expect(outcome.last.at - start).toBe(170_000);
      expect(outcome.failed.map(c => c.detail)).toEqual([
        '2.5 is above the max 0.5',
      ]);
      expect(lines).toContainEqual(
        expect.stringContaining(
          'the gate of hybris blue in beta: soak restarted after 40 s',
        ),
      );
    });

    it('shortens the last wait so it passes when the soak ends, not at the next poll', async () => {
      const { clock, sleeps } = recordingClock();
      const outcome = await gate({
        clock,
        gates: { soakMs: 25_000 },
      }).waitForGate({ ...beta, timeoutMs: 600_000 });
      expect(outcome).toMatchObject({ passed: true, steadyForMs: 25_000 });
      expect(sleeps).toEqual([10_000, 10_000, 5_000]);
    });

    it('times out naming every check that failed', async () => {
      const { clock } = recordingClock();
      fake.state['prod/green'] = {
        up: true,
        expectedNodes: 9,
        joined: 2,
        neverJoined: 7,
      };
      fake.errors('prod', 'green', 3);
      const outcome = await gate({ clock }).waitForGate({
        environment: 'prod',
        colour: 'green',
        timeoutMs: 60_000,
      });
      expect(outcome).toMatchObject({
        passed: false,
        steadyForMs: 0,
        evaluations: 7,
      });
      expect(outcome.failed.map(c => c.name)).toEqual([
        'cluster-status',
        'error-rate',
      ]);
      expect(outcome.message).toMatch(
        /^the gate of hybris green in prod did not pass within 1 min: cluster-status: JGroups view 2\/9; missing: .*; error-rate: 3 is above the max 0\.5$/,
      );
    });

    it('times out while still soaking, saying how long the checks held and what failed last', async () => {
      const { clock } = recordingClock();
      const outcome = await gate({ clock }).waitForGate({
        ...beta,
        timeoutMs: 60_000,
        onEvaluation: scriptErrors(clock, { 20: 2.5 }),
      });
      expect(outcome).toMatchObject({ passed: false, steadyForMs: 30_000 });
      expect(outcome.message).toBe(
        'the gate of hybris blue in beta did not pass within 1 min: every check held for only 30 s of the 2 min soak (last failure: error-rate: 2.5 is above the max 0.5)',
      );
    });

    it('runs on the real clock under fake timers, and stops when aborted', async () => {
      jest.useFakeTimers({
        doNotFake: ['nextTick', 'setImmediate', 'queueMicrotask'],
      });
      const passed = gate({ clock: realClock }).waitForGate({
        ...beta,
        timeoutMs: 600_000,
      });
      await jest.advanceTimersByTimeAsync(120_000);
      await expect(passed).resolves.toMatchObject({
        passed: true,
        evaluations: 13,
      });

      const controller = new AbortController();
      let evaluations = 0;
      const waiting = gate({ clock: realClock })
        .waitForGate({
          environment: 'beta',
          colour: 'green',
          timeoutMs: 600_000,
          signal: controller.signal,
          onEvaluation: () => {
            evaluations += 1;
          },
        })
        .catch(e => e);
      await jest.advanceTimersByTimeAsync(25_000);
      expect(evaluations).toBe(3);
      controller.abort(new Error('release paused'));
      await expect(waiting).resolves.toEqual(new Error('release paused'));
      await jest.advanceTimersByTimeAsync(60_000);
      expect(evaluations).toBe(3);
    });
  });

  it('is built from the integrations and the layout', async () => {
    const built = HybrisGate.fromIntegrations(
      {
        get: ((system: 'prometheus' | 'hybris') =>
          system === 'prometheus' ? fake.prometheus() : fake.hybris()) as any,
      },
      defaultGates(0),
    );
    await expect(
      built.waitForGate({ ...beta, timeoutMs: 0 }),
    ).resolves.toMatchObject({ passed: true, evaluations: 1 });
  });
});
