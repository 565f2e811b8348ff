import express from 'express';
import type { SandboxContext, SandboxService } from '../types';
import type { HybrisSandbox } from '../hybris';
import { parseExposition, SampleHistory } from './history';
import {
  evaluatePromQL,
  parsePromDuration,
  parsePromQL,
  PromQLError,
  resultTypeOf,
  signature,
  type Labels,
  type PromValue,
} from './promql';

export {
  parsePromQL,
  evaluatePromQL,
  PromQLError,
  type PromValue,
} from './promql';
export { SampleHistory, parseExposition } from './history';

/** One endpoint to scrape, with the target labels Prometheus' scrape config would add. */
export interface ScrapeTarget {
  labels: Labels;
  /** The target's text exposition. */
  scrape(): string | Promise<string>;
}

export interface PrometheusSandboxOptions {
  /** Read at every scrape, so colours that appear later are scraped too. */
  targets: () => ScrapeTarget[];
  /** How often every target is scraped (real ms); default 1000; 0 = only on `scrapeNow()`. */
  scrapeIntervalMs?: number;
  /** How long samples are kept; default 15 minutes. */
  retentionMs?: number;
  /** How far back an instant selector looks; default 5 minutes, as in Prometheus. */
  lookbackMs?: number;
  /** Time of scrapes and of queries without `time`; default Date.now. */
  now?: () => number;
}

/** The Prometheus stand-in, with its history and a scrape a test can trigger. */
export interface PrometheusSandbox extends SandboxService {
  history: SampleHistory;
  scrapeNow(): Promise<void>;
}

/** The hybris pods of every environment and colour, labelled as the kop scrape config labels them. */
export function hybrisScrapeTargets(
  hybris: HybrisSandbox,
): () => ScrapeTarget[] {
  return () =>
    hybris.colourTargets().map(({ environment, colour }) => ({
      labels: {
        job: 'hybris',
        instance: `hybris-${colour}.${environment}`,
        environment,
        colour,
      },
      scrape: () => hybris.metricsText(environment, colour),
    }));
}

const MAX_POINTS = 11_000;

function formatValue(value: number): string {
  if (Number.isNaN(value)) return 'NaN';
  if (value === Infinity) return '+Inf';
  if (value === -Infinity) return '-Inf';
  return String(value);
}

function param(req: express.Request, name: string): string | undefined {
  const source = req.method === 'POST' ? req.body ?? {} : req.query;
  const raw = source[name] ?? req.query[name];
  const value = Array.isArray(raw) ? raw[0] : raw;
  return typeof value === 'string' ? value : undefined;
}

function badParam(name: string, message: string): PromQLError {
  return new PromQLError(`invalid parameter "${name}": ${message}`, 'bad_data');
}

/** Unix seconds (with fraction) or RFC 3339, as the HTTP API takes them. */
function parseTime(name: string, text: string): number {
  const seconds = Number(text);
  if (text.trim() !== '' && Number.isFinite(seconds))
    return Math.round(seconds * 1000);
  const date = /^\d{4}-\d\d-\d\dT/.test(text) ? Date.parse(text) : NaN;
  if (Number.isNaN(date)) {
    throw badParam(name, `cannot parse "${text}" to a valid timestamp`);
  }
  return date;
}

function parseStep(text: string): number {
  const seconds = Number(text);
  const ms =
    text.trim() !== '' && Number.isFinite(seconds)
      ? seconds * 1000
      : parsePromDuration(text);
  if (ms === undefined) {
    throw badParam('step', `cannot parse "${text}" to a valid duration`);
  }
  if (ms <= 0) {
    throw badParam(
      'step',
      'zero or negative query resolution step widths are not accepted. Try a positive integer',
    );
  }
  return ms;
}

function instantResult(value: PromValue, time: number): unknown {
  const t = time / 1000;
  switch (value.type) {
    case 'scalar':
      return { resultType: 'scalar', result: [t, formatValue(value.value)] };
    case 'string':
      return { resultType: 'string', result: [t, value.value] };
    case 'vector':
      return {
        resultType: 'vector',
        result: value.samples.map(s => ({
          metric: s.labels,
          value: [t, formatValue(s.value)],
        })),
      };
    default:
      return {
        resultType: 'matrix',
        result: value.series.map(s => ({
          metric: s.labels,
          values: s.points.map(([pt, v]) => [pt / 1000, formatValue(v)]),
        })),
      };
  }
}

/**
 * A Prometheus HTTP API stand-in at `/prometheus/api/v1/query` and `/query_range` (GET or POST
 * form) over the series it scrapes from its targets every second, kept for 15 minutes. Each sample
 * carries the target's labels; a scraped label that clashes with one becomes `exported_<name>`, as
 * with Prometheus' default `honor_labels: false`. Answers and errors have the real API's shapes; the
 * PromQL it evaluates is the subset in `./promql`.
 */
export function prometheusService(
  _context: SandboxContext,
  options: PrometheusSandboxOptions,
): PrometheusSandbox {
  const now = options.now ?? Date.now;
  const history = new SampleHistory(options.retentionMs ?? 15 * 60_000);
  const lookbackMs = options.lookbackMs ?? 5 * 60_000;
  const lastScrape = new Map<
    string,
    { labels: Labels; up: boolean; at: number; error?: string }
  >();
  let running: Promise<void> | undefined;

  const scrapeTarget = async (target: ScrapeTarget, time: number) => {
    let up = true;
    let error: string | undefined;
    try {
      for (const sample of parseExposition(await target.scrape())) {
        const labels: Labels = {};
        for (const [k, v] of Object.entries(sample.labels)) {
          labels[k in target.labels ? `exported_${k}` : k] = v;
        }
        history.append({ ...labels, ...target.labels }, sample.value, time);
      }
    } catch (e) {
      up = false;
      error = (e as Error).message;
    }
    history.append({ __name__: 'up', ...target.labels }, up ? 1 : 0, time);
    lastScrape.set(signature(target.labels), {
      labels: target.labels,
      up,
      at: time,
      error,
    });
  };

  const scrapeNow = () => {
    running ??= (async () => {
      const time = now();
      await Promise.all(
        options.targets().map(target => scrapeTarget(target, time)),
      );
    })().finally(() => {
      running = undefined;
    });
    return running;
  };

  const intervalMs = options.scrapeIntervalMs ?? 1000;
  const timer =
    intervalMs > 0
      ? setInterval(() => {
          scrapeNow().catch(() => undefined);
        }, intervalMs)
      : undefined;
  timer?.unref();

  const answer = (res: express.Response, run: () => unknown): void => {
    try {
      res.json({ status: 'success', data: run() });
    } catch (e) {
      if (e instanceof PromQLError) {
        res
          .status(e.errorType === 'bad_data' ? 400 : 422)
          .json({ status: 'error', errorType: e.errorType, error: e.message });
        return;
      }
      res.status(500).json({
        status: 'error',
        errorType: 'internal',
        error: (e as Error).message,
      });
    }
  };

  const parseQuery = (req: express.Request) => {
    try {
      return parsePromQL(param(req, 'query') ?? '');
    } catch (e) {
      if (e instanceof PromQLError) throw badParam('query', e.message);
      throw e;
    }
  };

  const query = (req: express.Request, res: express.Response) =>
    answer(res, () => {
      const time = param(req, 'time');
      const at = time === undefined ? now() : parseTime('time', time);
      const node = parseQuery(req);
      return instantResult(
        evaluatePromQL(node, { time: at, source: history, lookbackMs }),
        at,
      );
    });

  const queryRange = (req: express.Request, res: express.Response) =>
    answer(res, () => {
      const [startText, endText, stepText] = ['start', 'end', 'step'].map(n =>
        param(req, n),
      );
      if (startText === undefined) throw badParam('start', 'missing');
      if (endText === undefined) throw badParam('end', 'missing');
      if (stepText === undefined) throw badParam('step', 'missing');
      const start = parseTime('start', startText);
      const end = parseTime('end', endText);
      const step = parseStep(stepText);
      if (end < start) {
        throw badParam('end', 'end timestamp must not be before start time');
      }
      if ((end - start) / step > MAX_POINTS) {
        throw new PromQLError(
          'exceeded maximum resolution of 11,000 points per timeseries. Try decreasing the query resolution (?step=XX)',
          'bad_data',
        );
      }
      const node = parseQuery(req);
      const type = resultTypeOf(node);
      if (type !== 'scalar' && type !== 'vector') {
        throw new PromQLError(
          `invalid expression type "${
            type === 'matrix' ? 'range vector' : type
          }" for range query, must be Scalar or instant Vector`,
          'bad_data',
        );
      }
      const series = new Map<
        string,
        { labels: Labels; points: Array<[number, string]> }
      >();
      for (let t = start; t <= end; t += step) {
        const value = evaluatePromQL(node, {
          time: t,
          source: history,
          lookbackMs,
        });
        const samples =
          value.type === 'scalar'
            ? [{ labels: {}, value: value.value }]
            : (value as Extract<PromValue, { type: 'vector' }>).samples;
        for (const s of samples) {
          const key = signature(s.labels);
          const entry = series.get(key) ?? { labels: s.labels, points: [] };
          entry.points.push([t / 1000, formatValue(s.value)]);
          series.set(key, entry);
        }
      }
      return {
        resultType: 'matrix',
        result: [...series.values()].map(s => ({
          metric: s.labels,
          values: s.points,
        })),
      };
    });

  const router = express.Router();
  router.use(express.urlencoded({ extended: false }));
  router.get('/api/v1/query', query);
  router.post('/api/v1/query', query);
  router.get('/api/v1/query_range', queryRange);
  router.post('/api/v1/query_range', queryRange);
  router.get('/-/ready', (_req, res) => {
    res.type('text/plain').send('Prometheus Server is Ready.\n');
  });

  scrapeNow().catch(() => undefined);

  return {
    name: 'Prometheus',
    prefix: '/prometheus',
    router,
    history,
    scrapeNow,
    async describe() {
      const { series, samples } = history.size();
      return [...lastScrape.values()].map(s => ({
        target: Object.entries(s.labels)
          .map(([k, v]) => `${k}=${v}`)
          .join(', '),
        up: s.up ? 'yes' : `no (${s.error ?? 'no answer'})`,
        'last scrape': new Date(s.at).toISOString(),
        'series / samples (all targets)': `${series} / ${samples}`,
      }));
    },
    async close() {
      if (timer) clearInterval(timer);
      await running?.catch(() => undefined);
    },
  };
}
