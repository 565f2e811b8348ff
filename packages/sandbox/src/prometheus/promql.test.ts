import { parseExposition, SampleHistory } from './history';
import {
  evaluatePromQL,
  parsePromQL,
  PromQLError,
  type PromValue,
} from './promql';

const T = 1_764_050_000_000; // evaluation time, ms
const SECOND = 1000;

/** Two colours scraped every 10 s for 10 minutes up to T. */
function history(): SampleHistory {
  const h = new SampleHistory(60 * 60_000);
  for (let t = T - 600 * SECOND; t <= T; t += 10 * SECOND) {
    const elapsed = (t - (T - 600 * SECOND)) / SECOND;
    for (const colour of ['blue', 'green']) {
      const base = {
        job: 'hybris',
        environment: 'prod',
        colour,
      };
      h.append(
        { __name__: 'hybris_errors_total', ...base },
        colour === 'blue' ? elapsed : 0, // blue: 1 error per second
        t,
      );
      // green's view grows from 3 to 6 members in the last minute
      const view = colour === 'green' && t > T - 60 * SECOND ? 6 : 3;
      h.append({ __name__: 'hybris_jgroups_view_size', ...base }, view, t);
      h.append({ __name__: 'hybris_jgroups_expected_nodes', ...base }, 6, t);
    }
  }
  return h;
}

const run = (query: string, source = history(), time = T): PromValue =>
  evaluatePromQL(parsePromQL(query), {
    time,
    source,
    lookbackMs: 5 * 60_000,
  });

/** The vector's values by colour (or '' when the sample has no colour). */
const byColour = (value: PromValue) => {
  if (value.type !== 'vector') throw new Error(`got a ${value.type}`);
  return Object.fromEntries(
    value.samples.map(s => [s.labels.colour ?? '', s.value]),
  );
};

/** The error a query is refused with. */
const refused = (query: string): PromQLError => {
  try {
    run(query);
  } catch (e) {
    return e as PromQLError;
  }
  throw new Error(`'${query}' was accepted`);
};

const refusal = (query: string) => {
  const error = refused(query);
  expect(error).toBeInstanceOf(PromQLError);
  return `${error.errorType}: ${error.message}`;
};

describe('the sandbox PromQL subset', () => {
  it('selects the latest sample of each matching series, with its labels', () => {
    const value = run('hybris_jgroups_view_size{environment="prod"}');
    expect(value).toEqual({
      type: 'vector',
      samples: [
        {
          labels: {
            __name__: 'hybris_jgroups_view_size',
            job: 'hybris',
            environment: 'prod',
            colour: 'blue',
          },
          value: 3,
        },
        expect.objectContaining({ value: 6 }),
      ],
    });
    expect(byColour(run('hybris_jgroups_view_size{colour=~"gr.*"}'))).toEqual({
      green: 6,
    });
    // regexes are anchored at both ends
    expect(byColour(run('hybris_jgroups_view_size{colour=~"gr"}'))).toEqual({});
    expect(byColour(run('hybris_jgroups_view_size{colour!="green"}'))).toEqual({
      blue: 3,
    });
    expect(
      byColour(run('{__name__="hybris_jgroups_view_size",colour!~"b.*"}')),
    ).toEqual({ green: 6 });
  });

  it('forgets a series whose last sample is older than the 5 minute lookback', () => {
    expect(
      byColour(run('hybris_jgroups_view_size', history(), T + 299 * SECOND)),
    ).toEqual({ blue: 3, green: 6 });
    expect(
      byColour(run('hybris_jgroups_view_size', history(), T + 301 * SECOND)),
    ).toEqual({});
  });

  it('returns the samples of a range selector as a matrix', () => {
    const value = run('hybris_jgroups_view_size{colour="green"}[30s]');
    expect(value.type).toBe('matrix');
    expect(value.type === 'matrix' && value.series[0].points).toEqual([
      [T - 20 * SECOND, 6],
      [T - 10 * SECOND, 6],
      [T, 6],
    ]);
  });

  it('computes rate and increase with Prometheus extrapolation, and handles counter resets', () => {
    expect(byColour(run('rate(hybris_errors_total[1m])'))).toEqual({
      blue: 1,
      green: 0,
    });
    const increase = byColour(run('increase(hybris_errors_total[2m])'));
    expect(increase.blue).toBeCloseTo(120, 9);
    expect(increase.green).toBe(0);
    const h = new SampleHistory(60 * 60_000);
    // A pod restart resets its counter after 30; the increase is still 10 per sample, and a
    // counter that starts at 0 is not extrapolated before its first sample.
    [0, 10, 20, 30, 10, 20].forEach((v, i) =>
      h.append({ __name__: 'c' }, v, T - (50 - 10 * i) * SECOND),
    );
    expect(byColour(run('increase(c[1m])', h))).toEqual({ '': 50 });
    expect(byColour(run('delta(c[1m])', h))).toEqual({ '': 24 });
    // one sample is not enough for a rate
    expect(byColour(run('rate(c[5s])', h))).toEqual({});
  });

  it('evaluates the default gate queries: view steadiness and error rate', () => {
    const steady = (colour: string) =>
      `max_over_time(hybris_jgroups_view_size{environment="prod",colour="${colour}"}[2m]) - min_over_time(hybris_jgroups_view_size{environment="prod",colour="${colour}"}[2m])`;
    expect(byColour(run(steady('blue')))).toEqual({ blue: 0 });
    expect(byColour(run(steady('green')))).toEqual({ green: 3 });
    const rate = byColour(
      run(
        'sum(rate(hybris_errors_total{environment="prod",colour="blue"}[2m]))',
      ),
    );
    expect(Object.keys(rate)).toEqual(['']);
    expect(rate['']).toBeCloseTo(1, 9);
  });

  it('aggregates with sum, count, min, max and avg, by or without labels', () => {
    expect(byColour(run('sum by (colour) (hybris_jgroups_view_size)'))).toEqual(
      { blue: 3, green: 6 },
    );
    expect(byColour(run('sum(hybris_jgroups_view_size) by (colour)'))).toEqual({
      blue: 3,
      green: 6,
    });
    expect(run('count(hybris_jgroups_view_size)')).toEqual({
      type: 'vector',
      samples: [{ labels: {}, value: 2 }],
    });
    expect(byColour(run('max(hybris_jgroups_view_size)'))).toEqual({ '': 6 });
    expect(byColour(run('min(hybris_jgroups_view_size)'))).toEqual({ '': 3 });
    expect(byColour(run('avg(hybris_jgroups_view_size)'))).toEqual({
      '': 4.5,
    });
    const without = run('sum without (job) (hybris_jgroups_view_size)');
    expect(without.type === 'vector' && without.samples[0].labels).toEqual({
      environment: 'prod',
      colour: 'blue',
    });
    // an aggregation over nothing is nothing, not 0
    expect(run('sum(no_such_metric)')).toEqual({ type: 'vector', samples: [] });
  });

  it('does arithmetic between scalars, vectors and scalars, and matching vectors', () => {
    expect(run('1 + 2 * 3')).toEqual({ type: 'scalar', value: 7 });
    expect(run('2 ^ 3 ^ 2')).toEqual({ type: 'scalar', value: 512 });
    expect(run('-2 ^ 2')).toEqual({ type: 'scalar', value: -4 });
    expect(run('(1 + 2) % 2 - 1 / 4')).toEqual({ type: 'scalar', value: 0.75 });
    expect(run('vector(3)')).toEqual({
      type: 'vector',
      samples: [{ labels: {}, value: 3 }],
    });
    expect(run('scalar(count(hybris_jgroups_view_size)) * 2')).toEqual({
      type: 'scalar',
      value: 4,
    });
    const ratio = run(
      'hybris_jgroups_view_size / hybris_jgroups_expected_nodes',
    );
    expect(byColour(ratio)).toEqual({ blue: 0.5, green: 1 });
    // arithmetic drops the metric name
    expect(ratio.type === 'vector' && ratio.samples[0].labels).toEqual({
      job: 'hybris',
      environment: 'prod',
      colour: 'blue',
    });
    expect(byColour(run('10 - hybris_jgroups_view_size'))).toEqual({
      blue: 7,
      green: 4,
    });
    expect(byColour(run('-hybris_jgroups_view_size'))).toEqual({
      blue: -3,
      green: -6,
    });
    expect(
      byColour(run('hybris_jgroups_view_size offset 2m + 0', history())),
    ).toEqual({ blue: 3, green: 3 });
  });

  it('refuses what Prometheus refuses, and what the sandbox does not evaluate, as bad_data', () => {
    expect(refusal('sum(rate(hybris_errors_total[2m])')).toBe(
      'bad_data: 1:34: parse error: unexpected end of input in aggregation "sum", expected ")"',
    );
    expect(refusal('hybris_errors_total{colour="blue"')).toMatch(
      /^bad_data: 1:\d+: parse error: unexpected end of input in label matching/,
    );
    expect(refusal('histogram_quantile(0.9, x)')).toBe(
      'bad_data: 1:1: parse error: unknown function with name "histogram_quantile"',
    );
    expect(refusal('rate(hybris_errors_total)')).toBe(
      'bad_data: expected type range vector in call to function "rate", got instant vector',
    );
    expect(refusal('{}')).toBe(
      'bad_data: 1:1: parse error: vector selector must contain at least one non-empty matcher',
    );
    expect(refusal('x{a=~"("}')).toMatch(/invalid regular expression/);
    expect(refusal('hybris_errors_total > 0')).toMatch(
      /comparison operator ">" is not supported by the kop sandbox/,
    );
    expect(refusal('a and b')).toMatch(/"and" is not supported/);
    expect(refusal('a + on(colour) b')).toMatch(/"on" is not supported/);
    expect(refusal('rate(x[5m:1m])')).toMatch(/subqueries are not supported/);
    expect(refusal('')).toBe(
      'bad_data: 1:1: parse error: no expression found in input',
    );
  });

  it('refuses many-to-many matching and duplicate label sets as execution errors', () => {
    const execution = (query: string) => {
      const error = refused(query);
      expect(error).toBeInstanceOf(PromQLError);
      expect(error.errorType).toBe('execution');
      return error.message;
    };
    // Without their names, the view size and expected nodes of a colour share one label set.
    expect(
      execution(
        'hybris_jgroups_view_size - max_over_time({__name__=~"hybris_jgroups_.*"}[1m])',
      ),
    ).toMatch(/many-to-many matching not allowed/);
    expect(
      execution('max_over_time({__name__=~"hybris_jgroups_.*"}[1m])'),
    ).toBe('vector cannot contain metrics with the same labelset');
  });
});

describe('the sandbox exposition reader', () => {
  it('reads samples with labels, escapes and special values, and skips comments', () => {
    expect(
      parseExposition(
        [
          '# HELP hybris_errors_total Errors.',
          '# TYPE hybris_errors_total counter',
          'hybris_errors_total{colour="blue",note="a \\"quoted\\" \\\\ word"} 12',
          'up 1 1764050000000',
          'x{} +Inf',
          'y NaN',
          '',
        ].join('\n'),
      ),
    ).toEqual([
      {
        labels: {
          __name__: 'hybris_errors_total',
          colour: 'blue',
          note: 'a "quoted" \\ word',
        },
        value: 12,
      },
      { labels: { __name__: 'up' }, value: 1 },
      { labels: { __name__: 'x' }, value: Infinity },
      { labels: { __name__: 'y' }, value: NaN },
    ]);
    expect(() => parseExposition('hybris_errors_total{colour=blue} 1')).toThrow(
      'line 1 has bad labels',
    );
    expect(() => parseExposition('hybris_errors_total one')).toThrow(
      'line 1 is not a sample',
    );
  });
});
