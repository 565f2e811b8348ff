import { http, HttpResponse } from 'msw';

/** The labels a kop Prometheus puts on a hybris series (scrape config target labels). */
export function hybrisSeriesLabels(
  name: string,
  environment: string,
  colour: string,
) {
  return {
    __name__: name,
    job: 'hybris',
    instance: `hybris-${colour}.${environment}`,
    environment,
    colour,
  };
}

/** What a query answers, by its exact PromQL. */
export type FakeAnswer =
  | { resultType: 'vector'; result: Array<{ metric: object; value: string }> }
  | { resultType: 'scalar'; value: string }
  | {
      resultType: 'matrix';
      result: Array<{ metric: object; values: string[] }>;
    }
  | { error: string; errorType: string; status: number };

/**
 * msw handlers answering like Prometheus' HTTP API as its documentation describes it
 * (`{ status: "success", data: { resultType, result } }`, values as strings, times as float
 * seconds; `{ status: "error", errorType, error }` with 400 for bad_data), behind Grafana's
 * datasource proxy: a bearer token, and Grafana's 401 body when it is wrong. Answers are looked up
 * by the exact query; `answers` may be changed between calls.
 */
export function createPrometheusHandlers(options: {
  baseUrl: string;
  token: string;
  answers: Record<string, FakeAnswer>;
}) {
  const base = options.baseUrl.replace(/\/+$/, '');
  const requests: Array<{ path: string; params: Record<string, string> }> = [];

  const refused = () =>
    HttpResponse.json(
      {
        extra: null,
        message: 'Invalid API key',
        messageId: 'api-key.invalid',
        statusCode: 401,
        traceID: '',
      },
      { status: 401 },
    );

  const unknown = (query: string) =>
    HttpResponse.json(
      {
        status: 'error',
        errorType: 'bad_data',
        error: `the fake Prometheus has no answer for ${query}`,
      },
      { status: 400 },
    );

  const handle =
    (kind: 'query' | 'query_range') =>
    ({ request }: { request: Request }) => {
      if (request.headers.get('authorization') !== `Bearer ${options.token}`) {
        return refused();
      }
      const url = new URL(request.url);
      const params = Object.fromEntries(url.searchParams);
      requests.push({ path: url.pathname, params });
      const query = params.query ?? '';
      const answer = options.answers[query];
      if (!answer) return unknown(query);
      if ('error' in answer) {
        return HttpResponse.json(
          {
            status: 'error',
            errorType: answer.errorType,
            error: answer.error,
          },
          { status: answer.status },
        );
      }
      if (kind === 'query_range') {
        const start = Number(params.start);
        const end = Number(params.end);
        const step = Number(params.step);
        if (answer.resultType !== 'vector') return unknown(query);
        const times: number[] = [];
        for (let t = start; t <= end; t += step) times.push(t);
        return HttpResponse.json({
          status: 'success',
          data: {
            resultType: 'matrix',
            result: answer.result.map(s => ({
              metric: s.metric,
              values: times.map(t => [t, s.value]),
            })),
          },
        });
      }
      const time = params.time ? Number(params.time) : Date.now() / 1000;
      let data: object;
      if (answer.resultType === 'scalar') {
        data = { resultType: 'scalar', result: [time, answer.value] };
      } else if (answer.resultType === 'vector') {
        data = {
          resultType: 'vector',
          result: answer.result.map(s => ({
            metric: s.metric,
            value: [time, s.value],
          })),
        };
      } else {
        data = {
          resultType: 'matrix',
          result: answer.result.map(s => ({
            metric: s.metric,
            values: s.values.map((v, i) => [
              time - (s.values.length - 1 - i),
              v,
            ]),
          })),
        };
      }
      return HttpResponse.json({ status: 'success', data });
    };

  return {
    handlers: [
      http.get(`${base}/api/v1/query`, handle('query')),
      http.get(`${base}/api/v1/query_range`, handle('query_range')),
    ],
    requests,
  };
}
