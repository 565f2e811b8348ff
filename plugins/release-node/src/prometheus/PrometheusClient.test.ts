import { ConfigReader } from '@backstage/config';
import { http, HttpResponse } from 'msw';
import { setupServer } from 'msw/node';
import { inspect } from 'node:util';
import { captureLogger, recordingClock } from '../__testUtils__/clients';
import {
  startHybrisSandbox,
  type HybrisTestSandbox,
} from '../hybris/__testUtils__/hybrisSandbox';
import { bufferedFetch } from '../jenkins/__testUtils__/jenkinsHandlers';
import {
  PrometheusClient,
  PrometheusQueryError,
  metricNamesOf,
  type PrometheusClientOptions,
} from './PrometheusClient';
import {
  createPrometheusHandlers,
  hybrisSeriesLabels,
  type FakeAnswer,
} from './__testUtils__/prometheusHandlers';

const VIEW = 'hybris_jgroups_view_size{environment="prod",colour="blue"}';
const BAD = 'sum(rate(hybris_errors_total[2m])';

interface PrometheusTarget {
  options: PrometheusClientOptions;
  start(): Promise<void>;
  stop(): Promise<void>;
  /** The next `count` calls to the query path answer `status` (with Retry-After when given). */
  failNext(status: number, count: number, retryAfterSeconds?: number): void;
}

function mswTarget(): PrometheusTarget {
  const baseUrl = 'https://grafana.test/api/datasources/proxy/uid/prom-kop';
  const token = 'glsa_kopGateReader_0123456789abcdef';
  const answers: Record<string, FakeAnswer> = {
    'vector(1)': {
      resultType: 'vector',
      result: [{ metric: {}, value: '1' }],
    },
    'count(hybris_jgroups_view_size)': {
      resultType: 'vector',
      result: [{ metric: {}, value: '4' }],
    },
    'count(hybris_errors_total)': {
      resultType: 'vector',
      result: [{ metric: {}, value: '4' }],
    },
    'count(hybris_no_such_metric)': { resultType: 'vector', result: [] },
    [VIEW]: {
      resultType: 'vector',
      result: [
        {
          metric: hybrisSeriesLabels(
            'hybris_jgroups_view_size',
            'prod',
            'blue',
          ),
          value: '9',
        },
      ],
    },
    [`${VIEW} * 2`]: {
      resultType: 'vector',
      result: [
        {
          metric: {
            job: 'hybris',
            instance: 'hybris-blue.prod',
            environment: 'prod',
            colour: 'blue',
          },
          value: '18',
        },
      ],
    },
    [`${VIEW}[5s]`]: {
      resultType: 'matrix',
      result: [
        {
          metric: hybrisSeriesLabels(
            'hybris_jgroups_view_size',
            'prod',
            'blue',
          ),
          values: ['9', '9', '9'],
        },
      ],
    },
    '1 / 0': { resultType: 'scalar', value: '+Inf' },
    [BAD]: {
      status: 400,
      errorType: 'bad_data',
      error:
        'invalid parameter "query": 1:34: parse error: unclosed left parenthesis',
    },
  };
  const { handlers } = createPrometheusHandlers({ baseUrl, token, answers });
  const server = setupServer(...handlers);
  return {
    options: { baseUrl, token, fetch: bufferedFetch },
    start: async () => server.listen({ onUnhandledRequest: 'error' }),
    stop: async () => server.close(),
    failNext(status, count, retryAfterSeconds) {
      let left = count;
      server.use(
        http.get(`${baseUrl}/api/v1/query`, () => {
          if (left === 0) return undefined;
          left -= 1;
          return HttpResponse.json(
            status === 429
              ? { message: 'Too many requests' }
              : { message: 'Bad Gateway' },
            {
              status,
              headers: retryAfterSeconds
                ? { 'retry-after': String(retryAfterSeconds) }
                : {},
            },
          );
        }),
      );
    },
  };
}

function sandboxTarget(): PrometheusTarget {
  let running: HybrisTestSandbox;
  // Scrapes stamped a second apart over the last 3 s, so ranges hold several samples.
  let scrapeTime = Date.now() - 3000;
  const target: PrometheusTarget = {
    options: { baseUrl: '' },
    async start() {
      running = await startHybrisSandbox({
        prometheus: { scrapeIntervalMs: 0, now: () => scrapeTime },
      });
      for (let i = 0; i < 3; i++) {
        scrapeTime += 1000;
        await running.prometheus!.scrapeNow();
      }
      target.options.baseUrl = `${running.sandbox.url}/prometheus`;
    },
    stop: () => running.close(),
    failNext(status, count, retryAfterSeconds) {
      running.sandbox.context.faults.add({
        path: '/prometheus/api/v1/query',
        method: 'GET',
        count,
        status,
        ...(retryAfterSeconds
          ? { headers: { 'retry-after': String(retryAfterSeconds) } }
          : {}),
      });
    },
  };
  return target;
}

describe.each([
  ['msw handlers from the documented responses (through Grafana)', mswTarget],
  ['the sandbox Prometheus', sandboxTarget],
])('PrometheusClient against %s', (_name, makeTarget) => {
  const target = makeTarget();
  beforeAll(() => target.start());
  afterAll(() => target.stop());

  const client = (options: Partial<PrometheusClientOptions> = {}) =>
    new PrometheusClient({
      ...target.options,
      clock: recordingClock().clock,
      ...options,
    });

  it('answers an instant query as a typed vector at the time asked', async () => {
    const time = Date.now();
    const answer = await client().query(VIEW, { time });
    expect(answer).toEqual({
      resultType: 'vector',
      result: [
        {
          metric: expect.objectContaining(
            hybrisSeriesLabels('hybris_jgroups_view_size', 'prod', 'blue'),
          ),
          time,
          value: 9,
        },
      ],
      warnings: [],
    });
  });

  it('types scalars (with +Inf) and range selectors (matrix)', async () => {
    const prometheus = client();
    const scalar = await prometheus.query('1 / 0', { time: 1_764_050_000_000 });
    expect(scalar).toEqual({
      resultType: 'scalar',
      result: { time: 1_764_050_000_000, value: Infinity },
      warnings: [],
    });
    const matrix = await prometheus.query(`${VIEW}[5s]`);
    expect(matrix.resultType).toBe('matrix');
    const series = matrix.resultType === 'matrix' ? matrix.result : [];
    expect(series).toHaveLength(1);
    expect(series[0].points.length).toBeGreaterThanOrEqual(2);
    for (const p of series[0].points) {
      expect(p).toEqual({ time: expect.any(Number), value: 9 });
    }
  });

  it('runs a range query, one point per step', async () => {
    const end = Date.now();
    const answer = await client().queryRange(`${VIEW} * 2`, {
      start: end - 2000,
      end,
      stepMs: 1000,
    });
    expect(answer).toEqual({
      resultType: 'matrix',
      result: [
        {
          metric: expect.objectContaining({
            environment: 'prod',
            colour: 'blue',
          }),
          points: [
            { time: end - 2000, value: 18 },
            { time: end - 1000, value: 18 },
            { time: end, value: 18 },
          ],
        },
      ],
      warnings: [],
    });
    expect(answer.result[0].metric.__name__).toBeUndefined();
  });

  it("turns Prometheus' error answer into an error naming the query and the error type", async () => {
    const error = await client()
      .query(BAD)
      .catch(e => e);
    expect(error).toBeInstanceOf(PrometheusQueryError);
    expect(error).toMatchObject({
      query: BAD,
      errorType: 'bad_data',
      status: 400,
      system: 'Prometheus',
      retryable: false,
    });
    expect(error.message).toContain(
      `Prometheus (${target.options.baseUrl}/api/v1/query): query 'sum(rate(hybris_errors_total[2m])' failed (HTTP 400): bad_data: invalid parameter "query": 1:34: parse error: `,
    );
  });

  it('checks that it answers and that the gate metrics have series', async () => {
    const result = await client().check([
      'hybris_jgroups_view_size',
      'hybris_errors_total',
      'hybris_no_such_metric',
    ]);
    expect(result).toEqual({
      system: 'Prometheus',
      ok: false,
      checks: [
        {
          name: 'query API',
          ok: true,
          detail: target.options.token
            ? 'answers and accepts the token'
            : 'answers',
        },
        {
          name: 'metric hybris_jgroups_view_size',
          ok: true,
          detail: '4 series',
        },
        { name: 'metric hybris_errors_total', ok: true, detail: '4 series' },
        {
          name: 'metric hybris_no_such_metric',
          ok: false,
          detail: 'no series: is the hybris /metrics endpoint scraped?',
        },
      ],
    });
  });

  it('waits at least Retry-After after a 429, and retries a 502, a bounded number of times', async () => {
    const { clock, sleeps } = recordingClock();
    const prometheus = client({
      clock,
      retry: { attempts: 3, baseDelayMs: 100, maxDelayMs: 60_000 },
    });
    target.failNext(429, 1, 7);
    await expect(prometheus.query('vector(1)')).resolves.toMatchObject({
      resultType: 'vector',
    });
    expect(sleeps).toEqual([7000]);

    target.failNext(502, 3);
    const error = await prometheus.query('vector(1)').catch(e => e);
    expect(error.message).toContain(
      `Prometheus (${target.options.baseUrl}/api/v1/query): query 'vector(1)' failed (HTTP 502): `,
    );
    expect(error.retryable).toBe(true);
    expect(sleeps).toEqual([7000, 100, 200]);
  });
});

describe('PrometheusClient through Grafana', () => {
  const baseUrl = 'https://grafana.test/api/datasources/proxy/uid/prom-kop';
  const token = 'glsa_knownSecretGateToken_42';
  const answers: Record<string, FakeAnswer> = {
    'vector(1)': { resultType: 'vector', result: [{ metric: {}, value: '1' }] },
    'avg_over_time(x[1m])': {
      resultType: 'vector',
      result: [{ metric: { colour: 'blue' }, value: 'NaN' }],
    },
  };
  const { handlers, requests } = createPrometheusHandlers({
    baseUrl,
    token,
    answers,
  });
  const server = setupServer(...handlers);
  beforeAll(() => server.listen({ onUnhandledRequest: 'error' }));
  afterEach(() => {
    server.resetHandlers();
    jest.useRealTimers();
  });
  afterAll(() => server.close());

  const client = (options: Partial<PrometheusClientOptions> = {}) =>
    new PrometheusClient({ baseUrl, token, fetch: bufferedFetch, ...options });

  it('sends the query and time as GET parameters with the bearer token', async () => {
    requests.length = 0;
    const answer = await client().query('avg_over_time(x[1m])', {
      time: new Date('2026-11-25T01:02:03.500Z'),
    });
    expect(requests).toEqual([
      {
        path: '/api/datasources/proxy/uid/prom-kop/api/v1/query',
        params: { query: 'avg_over_time(x[1m])', time: '1795568523.5' },
      },
    ]);
    expect(answer.resultType === 'vector' && answer.result[0].value).toBeNaN();
  });

  it('passes on the warnings Prometheus attaches', async () => {
    server.use(
      http.get(`${baseUrl}/api/v1/query`, () =>
        HttpResponse.json({
          status: 'success',
          data: { resultType: 'vector', result: [] },
          warnings: ['PromQL info: metric might not be a counter'],
        }),
      ),
    );
    await expect(client().query('rate(x[1m])')).resolves.toEqual({
      resultType: 'vector',
      result: [],
      warnings: ['PromQL info: metric might not be a counter'],
    });
  });

  it('says when Grafana refuses the token, in check() and on a query', async () => {
    const wrong = client({ token: 'glsa_wrongToken_0000' });
    await expect(wrong.query('vector(1)')).rejects.toThrow(
      `Prometheus (${baseUrl}/api/v1/query): query 'vector(1)' failed (HTTP 401): the token was refused`,
    );
    await expect(wrong.check(['hybris_jgroups_view_size'])).resolves.toEqual({
      system: 'Prometheus',
      ok: false,
      checks: [
        {
          name: 'query API',
          ok: false,
          detail: `Prometheus (${baseUrl}/api/v1/query): query 'vector(1)' failed (HTTP 401): the token was refused`,
        },
      ],
    });
  });

  it('says so when Grafana redirects to its sign-in page instead of answering', async () => {
    server.use(
      http.get(
        `${baseUrl}/api/v1/query`,
        () =>
          new HttpResponse(null, {
            status: 302,
            headers: { location: 'https://grafana.test/login' },
          }),
      ),
    );
    await expect(client().query('vector(1)')).rejects.toThrow(
      `Prometheus (${baseUrl}/api/v1/query): query 'vector(1)' failed (HTTP 302): redirected (to a sign-in page?): check prometheus.baseUrl and prometheus.token`,
    );
  });

  it('sends nothing before Retry-After has passed (fake timers)', async () => {
    jest.useFakeTimers({
      doNotFake: ['nextTick', 'setImmediate', 'queueMicrotask'],
    });
    const hits: number[] = [];
    server.use(
      http.get(`${baseUrl}/api/v1/query`, () => {
        hits.push(Date.now());
        return hits.length === 1
          ? HttpResponse.json(
              { message: 'Too many requests' },
              { status: 429, headers: { 'retry-after': '7' } },
            )
          : undefined;
      }),
    );
    let done = false;
    const answer = client()
      .query('vector(1)')
      .then(a => {
        done = true;
        return a;
      });
    await jest.advanceTimersByTimeAsync(6_999);
    expect([hits.length, done]).toEqual([1, false]);
    await jest.advanceTimersByTimeAsync(1);
    await expect(answer).resolves.toMatchObject({ resultType: 'vector' });
    expect(hits[1] - hits[0]).toBeGreaterThanOrEqual(7_000);
  });

  it('gives up on a Retry-After longer than the policy allows instead of hanging', async () => {
    const { clock, sleeps } = recordingClock();
    server.use(
      http.get(
        `${baseUrl}/api/v1/query`,
        () =>
          HttpResponse.json(
            { message: 'Too many requests' },
            { status: 429, headers: { 'retry-after': '3600' } },
          ),
        { once: true },
      ),
    );
    const error = await client({ clock })
      .query('vector(1)')
      .catch(e => e);
    expect(error.message).toBe(
      `Prometheus (${baseUrl}/api/v1/query): query 'vector(1)' failed (HTTP 429): rate limited`,
    );
    expect(sleeps).toEqual([]);
  });

  it('keeps the token out of every error and log line (RELIABILITY 8)', async () => {
    const { logger, lines } = captureLogger();
    server.use(
      http.get(`${baseUrl}/api/v1/query`, ({ request }) => {
        const q = new URL(request.url).searchParams.get('query');
        if (q === 'echo_error') {
          return HttpResponse.json(
            {
              status: 'error',
              errorType: 'execution',
              error: `upstream said ${request.headers.get('authorization')}`,
            },
            { status: 422 },
          );
        }
        return new HttpResponse(
          `<html><body>proxy saw ${request.headers.get(
            'authorization',
          )}</body></html>`,
          { status: 500 },
        );
      }),
    );
    const prometheus = client({
      logger,
      clock: recordingClock().clock,
      retry: { attempts: 2, baseDelayMs: 1, maxDelayMs: 1000 },
    });
    const errors = await Promise.all([
      prometheus.query('echo_error').catch(e => e),
      prometheus.query('vector(1)').catch(e => e),
    ]);
    expect(errors.map(e => e.message)).toEqual([
      `Prometheus (${baseUrl}/api/v1/query): query 'echo_error' failed (HTTP 422): execution: upstream said Bearer ***`,
      `Prometheus (${baseUrl}/api/v1/query): query 'vector(1)' failed (HTTP 500): proxy saw Bearer ***`,
    ]);
    const everything = [
      ...errors.map(e => inspect(e, { depth: 20, showHidden: true })),
      ...lines,
    ].join('\n');
    expect(lines.length).toBeGreaterThan(0);
    expect(everything).not.toContain(token);
  });
});

describe('PrometheusClient.fromConfig', () => {
  it('reads the prometheus section and takes the metrics to check from the gate queries', async () => {
    const requests: string[] = [];
    const fetchImpl: typeof fetch = async input => {
      const query = new URL(String(input)).searchParams.get('query')!;
      requests.push(query);
      return HttpResponse.json({
        status: 'success',
        data: {
          resultType: 'vector',
          result: [{ metric: {}, value: [1, '2'] }],
        },
      });
    };
    const client = PrometheusClient.fromConfig(
      new ConfigReader({
        prometheus: { baseUrl: 'http://prometheus.test:9090/' },
        release: {
          apps: {
            hybris: {
              gates: {
                metrics: [
                  {
                    name: 'ready',
                    query:
                      'min_over_time(hybris_nodes_ready{colour="$colour"}[1m]) / hybris_jgroups_expected_nodes{colour="$colour"}',
                    min: 1,
                  },
                ],
              },
            },
          },
        },
      }),
      { fetch: fetchImpl },
    );
    const result = await client!.check();
    expect(result.ok).toBe(true);
    expect(requests).toEqual([
      'vector(1)',
      'count(hybris_nodes_ready)',
      'count(hybris_jgroups_expected_nodes)',
    ]);
  });

  it('is undefined without a prometheus section, and refuses credentials in the URL', () => {
    expect(PrometheusClient.fromConfig(new ConfigReader({}))).toBeUndefined();
    expect(() =>
      PrometheusClient.fromConfig(
        new ConfigReader({
          prometheus: { baseUrl: 'https://admin:hunter22@grafana.test' },
        }),
      ),
    ).toThrow(
      'prometheus.baseUrl must not hold credentials; set prometheus.token',
    );
  });

  it('finds the metric names of the default gate queries', () => {
    expect(
      metricNamesOf(
        'max_over_time(hybris_jgroups_view_size{environment="$environment",colour="$colour"}[2m]) - min_over_time(hybris_jgroups_view_size{environment="$environment",colour="$colour"}[2m])',
      ),
    ).toEqual(['hybris_jgroups_view_size']);
    expect(
      metricNamesOf('sum(rate(hybris_errors_total{colour="$colour"}[2m]))'),
    ).toEqual(['hybris_errors_total']);
  });
});
