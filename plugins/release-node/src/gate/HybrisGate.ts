import type { LoggerService } from '@backstage/backend-plugin-api';
import { realClock, type CallClock } from '../http/retryingCaller';
import type { HybrisClusterClient } from '../hybris/HybrisClusterClient';
import type { ReleaseIntegrations } from '../integrations';
import type { GateMetric, HybrisLayout } from '../layout';
import type {
  PrometheusClient,
  PrometheusInstantResult,
} from '../prometheus/PrometheusClient';

/** Which colour of which environment a gate looks at. @public */
export interface GateTarget {
  environment: string;
  colour: string;
  /**
   * Nodes the colour must have now (the step's replica count); when set, a colour still deployed
   * with another count fails the cluster check. Default: whatever the colour reports.
   */
  expectedNodes?: number;
}

/** One check of a gate at one moment. @public */
export interface GateCheckResult {
  /** `cluster-status`, or the metric's name. */
  name: string;
  ok: boolean;
  /** The view size, or the metric's value (the worst one when several series answer). */
  value?: number;
  /** The bounds the value must keep (both equal the expected nodes for the cluster check). */
  threshold: { min?: number; max?: number };
  /** What was seen, in words, e.g. "JGroups view 6/9; missing: hybris-green-2, …". */
  detail: string;
}

/** Every check of a gate at one moment. @public */
export interface GateEvaluation {
  environment: string;
  colour: string;
  ok: boolean;
  /** When the evaluation started (the injected clock's ms). */
  at: number;
  checks: GateCheckResult[];
}

/** How a wait for a gate ended. @public */
export interface GateOutcome {
  passed: boolean;
  environment: string;
  colour: string;
  soakMs: number;
  /** How long every check had held at the last evaluation. */
  steadyForMs: number;
  evaluations: number;
  last: GateEvaluation;
  /** The checks that failed most recently (empty when the gate passed without a failure). */
  failed: GateCheckResult[];
  /** One line for a person: passed, or what failed. */
  message: string;
}

/** @public */
export interface WaitForGateOptions extends GateTarget {
  /** Give up (and report what failed) after this long. */
  timeoutMs: number;
  /** Stops the wait: it rejects with the signal's reason. */
  signal?: AbortSignal;
  /** Called after every evaluation, e.g. to show progress. */
  onEvaluation?: (
    evaluation: GateEvaluation,
    progress: { steadyForMs: number; soakMs: number },
  ) => void;
}

/** @public */
export interface HybrisGateOptions {
  prometheus: Pick<PrometheusClient, 'query'>;
  hybris: Pick<HybrisClusterClient, 'clusterStatus'>;
  /** The release layout's `apps.hybris.gates`. */
  gates: HybrisLayout['gates'];
  clock?: CallClock;
  /** How often `waitForGate` evaluates; default 10 s. */
  pollMs?: number;
  logger?: LoggerService;
}

const SIMPLE_NAME = /^[A-Za-z0-9][A-Za-z0-9_-]{0,62}$/;

/**
 * Fills `$environment` and `$colour` into a gate query. Both must be plain names, so nothing a
 * caller passes can change the PromQL around them.
 *
 * @public
 */
export function gateQuery(
  query: string,
  target: { environment: string; colour: string },
): string {
  for (const field of ['environment', 'colour'] as const) {
    if (!SIMPLE_NAME.test(target[field])) {
      throw new Error(
        `gate: ${field} must be a plain name like ${
          field === 'environment' ? 'beta' : 'blue'
        }, got '${target[field]}'`,
      );
    }
  }
  return query.replace(
    /\$(environment|colour)\b/g,
    (_all, field: 'environment' | 'colour') => target[field],
  );
}

function formatNumber(value: number): string {
  if (Number.isNaN(value)) return 'NaN';
  if (!Number.isFinite(value)) return value > 0 ? '+Inf' : '-Inf';
  return String(Math.round(value * 1000) / 1000);
}

function formatDuration(ms: number): string {
  if (ms >= 60_000 && ms % 60_000 === 0) return `${ms / 60_000} min`;
  if (ms >= 1000) return `${Math.round(ms / 100) / 10} s`;
  return `${ms} ms`;
}

function bounds(metric: GateMetric): string {
  if (metric.min !== undefined && metric.max !== undefined) {
    return `between ${metric.min} and ${metric.max}`;
  }
  return metric.max !== undefined ? `max ${metric.max}` : `min ${metric.min}`;
}

function within(metric: GateMetric, value: number): boolean {
  if (Number.isNaN(value)) return false;
  if (metric.max !== undefined && value > metric.max) return false;
  return !(metric.min !== undefined && value < metric.min);
}

/** The numbers of an instant answer, one per series, or why it holds none. */
export function instantValues(
  answer: PrometheusInstantResult,
): number[] | string {
  if (answer.resultType === 'scalar') return [answer.result.value];
  if (answer.resultType === 'vector') return answer.result.map(s => s.value);
  return `the query answers a ${answer.resultType}, not a number`;
}

/** Judges one metric's answer against its bounds. */
function judge(
  metric: GateMetric,
  answer: PrometheusInstantResult,
): GateCheckResult {
  const threshold = {
    ...(metric.min !== undefined ? { min: metric.min } : {}),
    ...(metric.max !== undefined ? { max: metric.max } : {}),
  };
  const values = instantValues(answer);
  if (typeof values === 'string') {
    return { name: metric.name, ok: false, threshold, detail: values };
  }
  if (values.length === 0) {
    return {
      name: metric.name,
      ok: false,
      threshold,
      detail: 'no data: the query matched no series (are the pods scraped?)',
    };
  }
  const offending = values.find(v => !within(metric, v));
  let value = offending;
  if (value === undefined) {
    value =
      metric.max !== undefined ? Math.max(...values) : Math.min(...values);
  }
  const series = values.length > 1 ? ` (worst of ${values.length} series)` : '';
  let detail = `${formatNumber(value)}, ${bounds(metric)}${series}`;
  if (offending !== undefined) {
    if (Number.isNaN(offending)) detail = `NaN, ${bounds(metric)}${series}`;
    else if (metric.max !== undefined && offending > metric.max) {
      detail = `${formatNumber(offending)} is above the max ${
        metric.max
      }${series}`;
    } else {
      detail = `${formatNumber(offending)} is below the min ${
        metric.min
      }${series}`;
    }
  }
  return {
    name: metric.name,
    ok: offending === undefined,
    value,
    threshold,
    detail,
  };
}

function sleepUnlessAborted(
  clock: CallClock,
  ms: number,
  signal?: AbortSignal,
): Promise<void> {
  if (!signal) return clock.sleep(ms);
  return new Promise<void>((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    clock.sleep(ms).then(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    }, reject);
  });
}

/**
 * The post-deploy gate of a hybris colour: its JGroups view must hold every expected node
 * (`cluster/status`) and every gate metric (PromQL with `$environment` / `$colour` filled in) must
 * stay within its bounds, all of them continuously for the soak window.
 *
 * @public
 */
export class HybrisGate {
  private readonly clock: CallClock;

  /** The gate as configured: the integrations' Prometheus and hybris clients, the layout's gates. */
  static fromIntegrations(
    integrations: Pick<ReleaseIntegrations, 'get'>,
    gates: HybrisLayout['gates'],
    options: Pick<HybrisGateOptions, 'clock' | 'pollMs' | 'logger'> = {},
  ): HybrisGate {
    return new HybrisGate({
      prometheus: integrations.get('prometheus'),
      hybris: integrations.get('hybris'),
      gates,
      ...options,
    });
  }

  constructor(private readonly options: HybrisGateOptions) {
    this.clock = options.clock ?? realClock;
  }

  /** Every check once, in parallel. Throws only for a target that is not a plain name. */
  async evaluateGate(target: GateTarget): Promise<GateEvaluation> {
    const queries = this.options.gates.metrics.map(m => ({
      metric: m,
      query: gateQuery(m.query, target),
    }));
    const at = this.clock.now();
    const checks = await Promise.all([
      this.clusterCheck(target),
      ...queries.map(async ({ metric, query }): Promise<GateCheckResult> => {
        try {
          return judge(metric, await this.options.prometheus.query(query));
        } catch (e) {
          return {
            name: metric.name,
            ok: false,
            threshold: {
              ...(metric.min !== undefined ? { min: metric.min } : {}),
              ...(metric.max !== undefined ? { max: metric.max } : {}),
            },
            detail: (e as Error).message,
          };
        }
      }),
    ]);
    return {
      environment: target.environment,
      colour: target.colour,
      ok: checks.every(c => c.ok),
      at,
      checks,
    };
  }

  private async clusterCheck(target: GateTarget): Promise<GateCheckResult> {
    const name = 'cluster-status';
    const { environment, colour } = target;
    try {
      const s = await this.options.hybris.clusterStatus(environment, colour);
      const expected = target.expectedNodes ?? s.expectedNodes;
      const threshold =
        expected === undefined ? {} : { min: expected, max: expected };
      if (!s.up) {
        return {
          name,
          ok: false,
          value: 0,
          threshold,
          detail: `no node of hybris ${colour} in ${environment} is up (0 members)`,
        };
      }
      if (
        target.expectedNodes !== undefined &&
        s.expectedNodes !== target.expectedNodes
      ) {
        return {
          name,
          ok: false,
          value: s.viewSize,
          threshold,
          detail: `hybris ${colour} in ${environment} runs with ${s.expectedNodes} nodes, not ${target.expectedNodes}`,
        };
      }
      const shownMissing = s.missing.slice(0, 5);
      if (s.missing.length > 5) {
        shownMissing.push(`and ${s.missing.length - 5} more`);
      }
      const missing = s.missing.length
        ? `; missing: ${shownMissing.join(', ')}`
        : '';
      const ok = s.complete && s.viewSize === expected;
      return {
        name,
        ok,
        value: s.viewSize,
        threshold,
        detail: `JGroups view ${s.viewSize}/${expected}${missing}`,
      };
    } catch (e) {
      return { name, ok: false, threshold: {}, detail: (e as Error).message };
    }
  }

  private outcome(
    target: GateTarget,
    state: {
      evaluation: GateEvaluation;
      evaluations: number;
      steadyForMs: number;
      failed: GateCheckResult[];
    },
    passed: boolean,
    message: string,
  ): GateOutcome {
    return {
      passed,
      environment: target.environment,
      colour: target.colour,
      soakMs: this.options.gates.soakMs,
      steadyForMs: state.steadyForMs,
      evaluations: state.evaluations,
      last: state.evaluation,
      failed: state.failed,
      message,
    };
  }

  /**
   * Evaluates every `pollMs` until every check has held for the soak window (passed), or
   * `timeoutMs` has gone by (not passed, naming what failed). Any failed check restarts the soak.
   */
  async waitForGate(options: WaitForGateOptions): Promise<GateOutcome> {
    const { soakMs } = this.options.gates;
    const pollMs = this.options.pollMs ?? 10_000;
    const { environment, colour, signal } = options;
    const deadline = this.clock.now() + options.timeoutMs;
    let steadySince: number | undefined;
    let failed: GateCheckResult[] = [];
    let evaluations = 0;
    const gateName = `the gate of hybris ${colour} in ${environment}`;
    for (;;) {
      signal?.throwIfAborted();
      const evaluation = await this.evaluateGate(options);
      evaluations += 1;
      if (evaluation.ok) {
        steadySince ??= evaluation.at;
      } else {
        if (steadySince !== undefined) {
          this.options.logger?.info(
            `${gateName}: soak restarted after ${formatDuration(
              evaluation.at - steadySince,
            )}`,
          );
        }
        steadySince = undefined;
        failed = evaluation.checks.filter(c => !c.ok);
      }
      const steadyForMs =
        steadySince === undefined ? 0 : evaluation.at - steadySince;
      options.onEvaluation?.(evaluation, { steadyForMs, soakMs });
      const state = { evaluation, evaluations, steadyForMs, failed };
      if (evaluation.ok && steadyForMs >= soakMs) {
        this.options.logger?.info(`${gateName} passed`);
        return this.outcome(
          options,
          state,
          true,
          `${gateName} passed: every check held for ${formatDuration(
            steadyForMs,
          )}`,
        );
      }
      const now = this.clock.now();
      if (now >= deadline) {
        const what = failed.map(c => `${c.name}: ${c.detail}`).join('; ');
        const message = evaluation.ok
          ? `${gateName} did not pass within ${formatDuration(
              options.timeoutMs,
            )}: every check held for only ${formatDuration(
              steadyForMs,
            )} of the ${formatDuration(soakMs)} soak${
              what ? ` (last failure: ${what})` : ''
            }`
          : `${gateName} did not pass within ${formatDuration(
              options.timeoutMs,
            )}: ${what}`;
        this.options.logger?.warn(message);
        return this.outcome(options, state, false, message);
      }
      const untilSoaked =
        steadySince === undefined ? Infinity : steadySince + soakMs - now;
      await sleepUnlessAborted(
        this.clock,
        Math.max(0, Math.min(pollMs, deadline - now, untilSoaked)),
        signal,
      );
    }
  }
}
