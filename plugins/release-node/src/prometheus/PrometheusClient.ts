import type { LoggerService } from '@backstage/backend-plugin-api';
import type { Config } from '@backstage/config';
import { fetchWithRetry, type RetryPolicy } from '../http/retry';
import { SystemError } from '../http/SystemError';
import {
  realClock,
  redactSecrets,
  type CallClock,
} from '../http/retryingCaller';
import { readReleaseLayout } from '../layout';

/** @public */
export interface PrometheusClientOptions {
  /** Prometheus' base URL, or Grafana's `/api/datasources/proxy/uid/<uid>` URL. */
  baseUrl: string;
  /** Bearer token (a Grafana service account token through Grafana). */
  token?: string;
  /** Per request, default 15000. */
  timeoutMs?: number;
  retry?: RetryPolicy;
  clock?: CallClock;
  logger?: LoggerService;
  /** Metrics `check()` expects to find, e.g. hybris_jgroups_view_size. */
  metrics?: string[];
  fetch?: typeof fetch;
}

/** Labels of a series, `__name__` included when the query keeps it. @public */
export type PrometheusLabels = Record<string, string>;

/** A value at a time; `NaN`, `+Inf` and `-Inf` come back as the numbers they name. @public */
export interface PrometheusPoint {
  /** Epoch ms. */
  time: number;
  value: number;
}

/** @public */
export type PrometheusInstantResult =
  | {
      resultType: 'vector';
      result: Array<{ metric: PrometheusLabels } & PrometheusPoint>;
    }
  | { resultType: 'scalar'; result: PrometheusPoint }
  | { resultType: 'string'; result: { time: number; value: string } }
  | { resultType: 'matrix'; result: PrometheusSeries[] };

/** @public */
export interface PrometheusSeries {
  metric: PrometheusLabels;
  points: PrometheusPoint[];
}

/** What every answer carries besides its data. @public */
export interface PrometheusAnswerMeta {
  /** Warnings Prometheus attached (e.g. a partial answer). */
  warnings: string[];
}

/** @public */
export interface PrometheusCheckResult {
  system: 'Prometheus';
  ok: boolean;
  checks: Array<{ name: string; ok: boolean; detail: string }>;
}

/**
 * A query Prometheus refused or could not run: `errorType` is the API's (`bad_data`, `execution`,
 * `timeout`, `canceled`, `internal`, `unavailable`), `query` the PromQL sent.
 *
 * @public
 */
export class PrometheusQueryError extends SystemError {
  readonly query: string;
  readonly errorType: string;

  constructor(options: {
    action: string;
    query: string;
    errorType: string;
    status?: number;
    detail: string;
    url?: string;
  }) {
    super({
      system: 'Prometheus',
      action: options.action,
      url: options.url,
      status: options.status,
      detail: `${options.errorType}: ${options.detail}`,
      retryable: ['timeout', 'unavailable', 'canceled'].includes(
        options.errorType,
      ),
    });
    this.name = 'PrometheusQueryError';
    this.query = options.query;
    this.errorType = options.errorType;
  }
}

type WirePoint = [number, string];
interface WireAnswer {
  status?: 'success' | 'error';
  data?: { resultType?: string; result?: unknown };
  errorType?: string;
  error?: string;
  warnings?: string[];
}

/** Metric names of the selectors in a query (`name{…}` or `name[…]`), for `check()`. @public */
export function metricNamesOf(query: string): string[] {
  const names = new Set<string>();
  for (const m of query.matchAll(/([A-Za-z_:][A-Za-z0-9_:]*)\s*[{[]/g)) {
    names.add(m[1]);
  }
  return [...names];
}

function sampleValue(text: unknown): number {
  if (text === '+Inf') return Infinity;
  if (text === '-Inf') return -Infinity;
  return Number(text);
}

function point(wire: unknown): PrometheusPoint {
  const [t, v] = wire as WirePoint;
  return { time: Math.round(Number(t) * 1000), value: sampleValue(v) };
}

/** Seconds since the epoch, as the API takes times. */
function seconds(time: Date | number): string {
  const ms = time instanceof Date ? time.getTime() : time;
  return String(ms / 1000);
}

/** A query in an error message: one line, not endless. */
function shortQuery(query: string): string {
  const line = query.replace(/\s+/g, ' ').trim();
  return line.length > 200 ? `${line.slice(0, 197)}...` : line;
}

/**
 * Prometheus' HTTP API (`/api/v1/query`, `/api/v1/query_range`), directly or through Grafana's
 * datasource proxy, which serves the same paths under `/api/datasources/proxy/uid/<uid>`. A query
 * Prometheus refuses becomes a `PrometheusQueryError` naming the query and the error type.
 *
 * @public
 */
export class PrometheusClient {
  private readonly base: string;
  private readonly clock: CallClock;

  /** Reads `prometheus.*`; undefined when Prometheus is not configured. */
  static fromConfig(
    config: Config,
    options: Pick<
      PrometheusClientOptions,
      'logger' | 'clock' | 'metrics' | 'fetch'
    > = {},
  ): PrometheusClient | undefined {
    const prometheus = config.getOptionalConfig('prometheus');
    if (!prometheus) return undefined;
    const { metrics, ...rest } = options;
    return new PrometheusClient({
      baseUrl: prometheus.getString('baseUrl'),
      token: prometheus.getOptionalString('token'),
      timeoutMs: prometheus.getOptionalNumber('timeoutMs'),
      metrics: metrics ?? [
        ...new Set(
          readReleaseLayout(config).apps.hybris.gates.metrics.flatMap(m =>
            metricNamesOf(m.query),
          ),
        ),
      ],
      ...rest,
    });
  }

  constructor(private readonly options: PrometheusClientOptions) {
    let url: URL;
    try {
      url = new URL(options.baseUrl);
    } catch {
      throw new Error(
        `prometheus.baseUrl must be an http(s) URL, got '${options.baseUrl}'`,
      );
    }
    if (url.username || url.password) {
      throw new Error(
        'prometheus.baseUrl must not hold credentials; set prometheus.token',
      );
    }
    this.base = options.baseUrl.replace(/\/+$/, '');
    this.clock = options.clock ?? realClock;
  }

  private fail(
    action: string,
    detail: string,
    extra: { status?: number; retryable?: boolean; url?: string } = {},
  ): SystemError {
    return new SystemError({
      system: 'Prometheus',
      action,
      detail: redactSecrets(detail, [this.options.token]),
      ...extra,
      url: extra.url && redactSecrets(extra.url, [this.options.token]),
    });
  }

  private async call(
    action: string,
    query: string,
    path: string,
    params: Record<string, string>,
  ): Promise<
    { data: { resultType?: string; result?: unknown } } & PrometheusAnswerMeta
  > {
    const url = `${this.base}${path}?${new URLSearchParams(params)}`;
    // Errors show the API called; the action already quotes the PromQL.
    const shown = `${this.base}${path}`;
    let response: Response;
    try {
      response = await fetchWithRetry({
        system: 'Prometheus',
        action,
        url,
        init: {
          method: 'GET',
          headers: {
            accept: 'application/json',
            ...(this.options.token
              ? { authorization: `Bearer ${this.options.token}` }
              : {}),
          },
          redirect: 'manual',
        },
        timeoutMs: this.options.timeoutMs ?? 15_000,
        retry: this.options.retry,
        idempotent: true,
        fetchImpl: this.options.fetch,
        sleep: ms => this.clock.sleep(ms),
        secrets: [this.options.token],
      });
    } catch (e) {
      // fetchWithRetry names the system and action; keep only what failed.
      const message = (e as SystemError).detail;
      throw this.fail(action, message || 'no answer', {
        retryable: true,
        url: shown,
      });
    }
    const text = await response.text().catch(() => '');
    let body: WireAnswer | undefined;
    try {
      body = JSON.parse(text) as WireAnswer;
    } catch {
      body = undefined;
    }
    if (body?.status === 'error') {
      const error = new PrometheusQueryError({
        action,
        query,
        errorType: body.errorType ?? 'unknown',
        status: response.status,
        url: redactSecrets(shown, [this.options.token]),
        detail: redactSecrets(body.error ?? 'no reason given', [
          this.options.token,
        ]),
      });
      this.options.logger?.warn(error.message);
      throw error;
    }
    if (!response.ok) {
      const known: Record<number, string> = {
        // Grafana sends a request without a valid token to its sign-in page.
        302: 'redirected (to a sign-in page?): check prometheus.baseUrl and prometheus.token',
        401: 'the token was refused',
        403: 'the token may not query this data source',
        404: 'no Prometheus API at this URL',
        429: 'rate limited',
      };
      // Grafana answers { message }; a proxy may answer HTML.
      const said =
        (body as { message?: string } | undefined)?.message ??
        text
          .replace(/<[^>]*>/g, ' ')
          .replace(/\s+/g, ' ')
          .trim()
          .slice(0, 160);
      const failure = this.fail(
        action,
        known[response.status] ?? (said || 'unexpected answer'),
        {
          status: response.status,
          retryable: response.status === 429 || response.status >= 500,
          url: shown,
        },
      );
      this.options.logger?.warn(failure.message);
      throw failure;
    }
    if (body?.status !== 'success' || !body.data) {
      throw this.fail(action, 'the answer is not a Prometheus API answer', {
        url: shown,
      });
    }
    return { data: body.data, warnings: body.warnings ?? [] };
  }

  /** An instant query at `time` (default: now as Prometheus sees it). */
  async query(
    promql: string,
    options: { time?: Date | number } = {},
  ): Promise<PrometheusInstantResult & PrometheusAnswerMeta> {
    const action = `query '${shortQuery(promql)}'`;
    const { data, warnings } = await this.call(
      action,
      promql,
      '/api/v1/query',
      {
        query: promql,
        ...(options.time !== undefined ? { time: seconds(options.time) } : {}),
      },
    );
    switch (data.resultType) {
      case 'vector':
        return {
          resultType: 'vector',
          result: (
            (data.result ?? []) as Array<{
              metric: PrometheusLabels;
              value: WirePoint;
            }>
          ).map(s => ({ metric: s.metric ?? {}, ...point(s.value) })),
          warnings,
        };
      case 'scalar':
        return { resultType: 'scalar', result: point(data.result), warnings };
      case 'string': {
        const [t, v] = data.result as WirePoint;
        return {
          resultType: 'string',
          result: { time: Math.round(Number(t) * 1000), value: String(v) },
          warnings,
        };
      }
      case 'matrix':
        return {
          resultType: 'matrix',
          result: this.series(data.result),
          warnings,
        };
      default:
        throw this.fail(
          action,
          `unknown result type '${String(data.resultType)}'`,
        );
    }
  }

  /** A range query from `start` to `end` every `stepMs`. */
  async queryRange(
    promql: string,
    options: { start: Date | number; end: Date | number; stepMs: number },
  ): Promise<
    { resultType: 'matrix'; result: PrometheusSeries[] } & PrometheusAnswerMeta
  > {
    const action = `range query '${shortQuery(promql)}'`;
    if (!(options.stepMs > 0)) {
      throw this.fail(action, 'the step must be more than 0 ms');
    }
    const { data, warnings } = await this.call(
      action,
      promql,
      '/api/v1/query_range',
      {
        query: promql,
        start: seconds(options.start),
        end: seconds(options.end),
        step: String(options.stepMs / 1000),
      },
    );
    if (data.resultType !== 'matrix') {
      throw this.fail(
        action,
        `expected a matrix, got '${String(data.resultType)}'`,
      );
    }
    return {
      resultType: 'matrix',
      result: this.series(data.result),
      warnings,
    };
  }

  private series(result: unknown): PrometheusSeries[] {
    return (
      (result ?? []) as Array<{
        metric: PrometheusLabels;
        values: WirePoint[];
      }>
    ).map(s => ({
      metric: s.metric ?? {},
      points: (s.values ?? []).map(point),
    }));
  }

  /**
   * Whether Prometheus answers, accepts the token, and has series of every metric the gates read.
   * Never throws.
   */
  async check(
    metrics: string[] = this.options.metrics ?? [],
  ): Promise<PrometheusCheckResult> {
    const checks: PrometheusCheckResult['checks'] = [];
    try {
      await this.query('vector(1)');
      checks.push({
        name: 'query API',
        ok: true,
        detail: this.options.token
          ? 'answers and accepts the token'
          : 'answers',
      });
    } catch (e) {
      checks.push({
        name: 'query API',
        ok: false,
        detail: (e as Error).message,
      });
      return { system: 'Prometheus', ok: false, checks };
    }
    for (const metric of metrics) {
      const name = `metric ${metric}`;
      if (!/^[A-Za-z_:][A-Za-z0-9_:]*$/.test(metric)) {
        checks.push({ name, ok: false, detail: 'is not a metric name' });
        continue;
      }
      try {
        const answer = await this.query(`count(${metric})`);
        const count =
          answer.resultType === 'vector' ? answer.result[0]?.value ?? 0 : 0;
        checks.push({
          name,
          ok: count > 0,
          detail:
            count > 0
              ? `${count} series`
              : 'no series: is the hybris /metrics endpoint scraped?',
        });
      } catch (e) {
        checks.push({ name, ok: false, detail: (e as Error).message });
      }
    }
    return { system: 'Prometheus', ok: checks.every(c => c.ok), checks };
  }
}
