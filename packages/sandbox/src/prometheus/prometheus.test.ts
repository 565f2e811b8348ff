import { startSandbox, type RunningSandbox } from '../index';
import { InMemoryIacRepository, kopInitialValues } from '../argocd';
import { argocdAndHybrisServices, type HybrisSandbox } from '../hybris';
import {
  hybrisScrapeTargets,
  prometheusService,
  type PrometheusSandbox,
} from './index';

describe('the sandbox Prometheus API', () => {
  let sandbox: RunningSandbox;
  let hybris: HybrisSandbox;
  let prometheus: PrometheusSandbox;
  // Scrapes happen when a test says so, at the time it sets.
  let now = 1_764_050_000_000;

  beforeAll(async () => {
    const [argocd, hybrisFactory] = argocdAndHybrisServices({
      desiredState: new InMemoryIacRepository(kopInitialValues()).desiredState,
      reconcileIntervalMs: 0,
    });
    sandbox = await startSandbox({
      timeScale: 0,
      services: [
        argocd,
        ctx => {
          hybris = hybrisFactory(ctx);
          return hybris;
        },
        ctx => {
          prometheus = prometheusService(ctx, {
            targets: () => [
              ...hybrisScrapeTargets(hybris)(),
              {
                labels: { job: 'broken', instance: 'nowhere' },
                scrape: () => {
                  throw new Error('connection refused');
                },
              },
            ],
            scrapeIntervalMs: 0,
            now: () => now,
          });
          return prometheus;
        },
      ],
    });
    for (let i = 0; i < 5; i++) {
      now += 1000;
      await prometheus.scrapeNow();
    }
  });
  afterAll(() => sandbox.close());

  const api = async (
    path: string,
    params: Record<string, string>,
    method: 'GET' | 'POST' = 'GET',
  ) => {
    const form = new URLSearchParams(params).toString();
    const res =
      method === 'GET'
        ? await fetch(`${sandbox.url}/prometheus/api/v1/${path}?${form}`)
        : await fetch(`${sandbox.url}/prometheus/api/v1/${path}`, {
            method: 'POST',
            headers: { 'content-type': 'application/x-www-form-urlencoded' },
            body: form,
          });
    return { status: res.status, body: await res.json() };
  };

  it('answers an instant query with the hybris series, labelled with environment and colour', async () => {
    const { status, body } = await api('query', {
      query: 'hybris_jgroups_view_size{environment="prod",colour="blue"}',
    });
    expect(status).toBe(200);
    expect(body).toEqual({
      status: 'success',
      data: {
        resultType: 'vector',
        result: [
          {
            metric: {
              __name__: 'hybris_jgroups_view_size',
              job: 'hybris',
              instance: 'hybris-blue.prod',
              environment: 'prod',
              colour: 'blue',
              // the pods' own colour label, kept aside as honor_labels: false does
              exported_colour: 'blue',
            },
            value: [now / 1000, '9'],
          },
        ],
      },
    });
  });

  it('evaluates the default gate queries of each colour', async () => {
    const steady = await api('query', {
      query:
        'max_over_time(hybris_jgroups_view_size{environment="beta",colour="blue"}[2m]) - min_over_time(hybris_jgroups_view_size{environment="beta",colour="blue"}[2m])',
    });
    expect(steady.body.data.result).toEqual([
      {
        metric: expect.objectContaining({
          environment: 'beta',
          colour: 'blue',
        }),
        value: [now / 1000, '0'],
      },
    ]);
    const errors = await api(
      'query',
      {
        query:
          'sum(rate(hybris_errors_total{environment="prod",colour="green"}[2m]))',
      },
      'POST',
    );
    expect(errors.body.data).toEqual({
      resultType: 'vector',
      result: [{ metric: {}, value: [now / 1000, '0'] }],
    });
  });

  it('sees the error counter of a colour rise once errors are injected', async () => {
    hybris.setFaults('prod', 'blue', { errorsPerSecond: 5000 });
    const before = hybris.errorsTotal('prod', 'blue');
    while (hybris.errorsTotal('prod', 'blue') - before < 10) {
      await new Promise(r => setTimeout(r, 5));
    }
    now += 1000;
    await prometheus.scrapeNow();
    hybris.setFaults('prod', 'blue', { errorsPerSecond: 0 });
    const { body } = await api('query', {
      query:
        'sum(rate(hybris_errors_total{environment="prod",colour="blue"}[2m]))',
    });
    expect(Number(body.data.result[0].value[1])).toBeGreaterThan(0);
  });

  it('answers a range query with one point per step, and scalars and literals as the API types them', async () => {
    const range = await api('query_range', {
      query: 'hybris_jgroups_view_size{environment="beta",colour="blue"} * 2',
      start: String((now - 2000) / 1000),
      end: String(now / 1000),
      step: '1s',
    });
    expect(range.body.data.resultType).toBe('matrix');
    expect(range.body.data.result).toEqual([
      {
        metric: expect.not.objectContaining({ __name__: expect.anything() }),
        values: [
          [(now - 2000) / 1000, '18'],
          [(now - 1000) / 1000, '18'],
          [now / 1000, '18'],
        ],
      },
    ]);
    const scalar = await api('query', { query: '1 / 0', time: '1764050000' });
    expect(scalar.body.data).toEqual({
      resultType: 'scalar',
      result: [1764050000, '+Inf'],
    });
    const matrix = await api('query', {
      query: 'up{job="hybris",environment="beta",colour="green"}[2s]',
      time: new Date(now).toISOString(),
    });
    expect(matrix.body.data.resultType).toBe('matrix');
    expect(matrix.body.data.result[0].values).toEqual([
      [(now - 1000) / 1000, '1'],
      [now / 1000, '1'],
    ]);
  });

  it('marks a target that cannot be scraped as down', async () => {
    const { body } = await api('query', { query: 'up{job="broken"}' });
    expect(body.data.result).toEqual([
      {
        metric: { __name__: 'up', job: 'broken', instance: 'nowhere' },
        value: [now / 1000, '0'],
      },
    ]);
    const rows = await prometheus.describe!();
    expect(rows).toContainEqual(
      expect.objectContaining({
        target: 'job=broken, instance=nowhere',
        up: 'no (connection refused)',
      }),
    );
  });

  it('refuses bad queries and parameters as the real API does', async () => {
    expect(
      await api('query', { query: 'sum(rate(hybris_errors_total[2m])' }),
    ).toEqual({
      status: 400,
      body: {
        status: 'error',
        errorType: 'bad_data',
        error:
          'invalid parameter "query": 1:34: parse error: unexpected end of input in aggregation "sum", expected ")"',
      },
    });
    expect((await api('query', {})).body.error).toBe(
      'invalid parameter "query": 1:1: parse error: no expression found in input',
    );
    expect(
      (await api('query', { query: 'vector(1)', time: 'yesterday' })).body
        .error,
    ).toBe(
      'invalid parameter "time": cannot parse "yesterday" to a valid timestamp',
    );
    const range = (params: Record<string, string>) =>
      api('query_range', {
        query: 'vector(1)',
        start: '10',
        end: '20',
        step: '5',
        ...params,
      });
    expect((await range({ step: '0' })).body.error).toBe(
      'invalid parameter "step": zero or negative query resolution step widths are not accepted. Try a positive integer',
    );
    expect((await range({ end: '5' })).body.error).toBe(
      'invalid parameter "end": end timestamp must not be before start time',
    );
    expect((await range({ step: '0.0001' })).body.error).toMatch(
      /^exceeded maximum resolution of 11,000 points/,
    );
    expect(
      (await range({ query: 'hybris_jgroups_view_size[1m]' })).body.error,
    ).toBe(
      'invalid expression type "range vector" for range query, must be Scalar or instant Vector',
    );
    const many = await api('query', {
      query: 'max_over_time({__name__=~"hybris_jgroups_.*"}[1m])',
    });
    expect([many.status, many.body.errorType]).toEqual([422, 'execution']);
  });
});
