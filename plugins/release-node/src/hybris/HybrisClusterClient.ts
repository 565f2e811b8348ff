import type { LoggerService } from '@backstage/backend-plugin-api';
import type { Config } from '@backstage/config';
import { fetchWithRetry, type RetryPolicy } from '../http/retry';
import { SystemError } from '../http/SystemError';
import { realClock, type CallClock } from '../http/retryingCaller';

/** @public */
export interface HybrisClusterClientOptions {
  /** Base URL of each colour's pods per environment: { beta: { blue: https://…, green: … } }. */
  endpoints: Record<string, Record<string, string>>;
  /** Path of the cluster status under each base URL; default /cluster/status. */
  path?: string;
  /** Per request, default 10000. */
  timeoutMs?: number;
  retry?: RetryPolicy;
  clock?: CallClock;
  logger?: LoggerService;
  fetch?: typeof fetch;
}

/**
 * The JGroups view of one colour. When no node is up the colour answers 503 (a Service without
 * endpoints); that is `up: false` with no members, not an error.
 *
 * @public
 */
export interface HybrisClusterStatus {
  environment: string;
  colour: string;
  /** Whether any node answered. */
  up: boolean;
  /** Nodes the colour is deployed with; unknown while no node is up. */
  expectedNodes?: number;
  /** Members of the JGroups view. */
  viewSize: number;
  members: string[];
  /** Nodes that exist but are not in the view. */
  missing: string[];
  /** viewSize == expectedNodes and nobody missing. */
  complete: boolean;
  coordinator?: string;
  viewId?: string;
}

/** @public */
export interface HybrisCheckResult {
  system: 'hybris';
  ok: boolean;
  checks: Array<{ name: string; ok: boolean; detail: string }>;
}

const NAME = /^[A-Za-z0-9][A-Za-z0-9_-]{0,62}$/;

/**
 * Reads hybris' `cluster/status` of each colour: the JGroups view members against the nodes the
 * colour is deployed with. Endpoints come from `hybris.clusterStatus`, the path from the release
 * layout's `gates.clusterStatus.path`.
 *
 * @public
 */
export class HybrisClusterClient {
  private readonly clock: CallClock;
  private readonly path: string;

  /** Reads `hybris.*`; undefined when hybris is not configured. */
  static fromConfig(
    config: Config,
    options: Pick<
      HybrisClusterClientOptions,
      'logger' | 'clock' | 'fetch'
    > = {},
  ): HybrisClusterClient | undefined {
    const hybris = config.getOptionalConfig('hybris');
    if (!hybris) return undefined;
    const section = hybris.getConfig('clusterStatus');
    const endpoints = Object.fromEntries(
      section.keys().map(env => {
        const colours = section.getConfig(env);
        return [
          env,
          Object.fromEntries(
            colours.keys().map(colour => [colour, colours.getString(colour)]),
          ),
        ];
      }),
    );
    return new HybrisClusterClient({
      endpoints,
      path: config.getOptionalString(
        'release.apps.hybris.gates.clusterStatus.path',
      ),
      timeoutMs: hybris.getOptionalNumber('timeoutMs'),
      ...options,
    });
  }

  constructor(private readonly options: HybrisClusterClientOptions) {
    this.clock = options.clock ?? realClock;
    this.path = options.path ?? '/cluster/status';
    if (!this.path.startsWith('/') || this.path.includes('..')) {
      throw new Error(
        `release.apps.hybris.gates.clusterStatus.path must be a path like /cluster/status, got '${this.path}'`,
      );
    }
    for (const [env, colours] of Object.entries(options.endpoints)) {
      for (const [colour, url] of Object.entries(colours)) {
        let parsed: URL | undefined;
        try {
          parsed = new URL(url);
        } catch {
          parsed = undefined;
        }
        if (!parsed || !/^https?:$/.test(parsed.protocol)) {
          throw new Error(
            `hybris.clusterStatus.${env}.${colour} must be an http(s) URL`,
          );
        }
      }
    }
  }

  /** Every configured environment and colour. */
  targets(): Array<{ environment: string; colour: string }> {
    return Object.entries(this.options.endpoints).flatMap(
      ([environment, colours]) =>
        Object.keys(colours).map(colour => ({ environment, colour })),
    );
  }

  private fail(
    action: string,
    detail: string,
    extra: { status?: number; retryable?: boolean; url?: string } = {},
  ): SystemError {
    return new SystemError({ system: 'hybris', action, detail, ...extra });
  }

  /** The JGroups view of `colour` in `environment`. */
  async clusterStatus(
    environment: string,
    colour: string,
  ): Promise<HybrisClusterStatus> {
    const action = `read the cluster status of ${colour} in ${environment}`;
    if (!NAME.test(environment) || !NAME.test(colour)) {
      throw this.fail(
        'read the cluster status',
        'environment and colour must be plain names like beta and blue',
      );
    }
    const base = this.options.endpoints[environment]?.[colour];
    if (!base) {
      throw this.fail(
        action,
        `hybris.clusterStatus.${environment}.${colour} is not set in app-config`,
      );
    }
    const url = `${base.replace(/\/+$/, '')}${this.path}`;
    let response: Response;
    try {
      response = await fetchWithRetry({
        system: 'hybris',
        action,
        url,
        init: { headers: { accept: 'application/json' }, redirect: 'manual' },
        timeoutMs: this.options.timeoutMs ?? 10_000,
        retry: this.options.retry,
        // A 503 is an answer ("no node is up"), so 5xx are not retried; callers poll again.
        idempotent: false,
        fetchImpl: this.options.fetch,
        sleep: ms => this.clock.sleep(ms),
      });
    } catch (e) {
      // fetchWithRetry names the system and action; keep only what failed.
      const message = (e as SystemError).detail;
      throw this.fail(action, message || 'no answer', {
        retryable: true,
        url,
      });
    }
    if (response.status === 503) {
      // Not awaited: some fetch implementations never settle a cancel.
      response.body?.cancel().catch(() => undefined);
      return {
        environment,
        colour,
        up: false,
        viewSize: 0,
        members: [],
        missing: [],
        complete: false,
      };
    }
    if (!response.ok) {
      // Not awaited: some fetch implementations never settle a cancel.
      response.body?.cancel().catch(() => undefined);
      const known: Record<number, string> = {
        404: 'no cluster status at this URL',
        429: 'rate limited',
      };
      const failure = this.fail(
        action,
        known[response.status] ?? 'unexpected answer',
        {
          status: response.status,
          retryable: response.status === 429 || response.status >= 500,
          url,
        },
      );
      this.options.logger?.warn(failure.message);
      throw failure;
    }
    let body: Partial<HybrisClusterStatus>;
    try {
      body = (await response.json()) as Partial<HybrisClusterStatus>;
    } catch {
      throw this.fail(action, 'the answer is not JSON', { url });
    }
    const strings = (v: unknown) =>
      Array.isArray(v) && v.every(x => typeof x === 'string');
    if (
      typeof body.viewSize !== 'number' ||
      typeof body.expectedNodes !== 'number' ||
      !strings(body.members)
    ) {
      throw this.fail(
        action,
        'the answer has no viewSize, expectedNodes and members',
        { url },
      );
    }
    const missing = strings(body.missing) ? (body.missing as string[]) : [];
    return {
      environment,
      colour,
      up: true,
      expectedNodes: body.expectedNodes,
      viewSize: body.viewSize,
      members: body.members as string[],
      missing,
      complete:
        typeof body.complete === 'boolean'
          ? body.complete
          : body.viewSize === body.expectedNodes && missing.length === 0,
      ...(typeof body.coordinator === 'string'
        ? { coordinator: body.coordinator }
        : {}),
      ...(typeof body.viewId === 'string' ? { viewId: body.viewId } : {}),
    };
  }

  /** Whether every configured colour's cluster status answers. Never throws. */
  async check(): Promise<HybrisCheckResult> {
    const checks = await Promise.all(
      this.targets().map(async ({ environment, colour }) => {
        const name = `cluster status ${environment} ${colour}`;
        try {
          const s = await this.clusterStatus(environment, colour);
          const view = s.up
            ? `view ${s.viewSize}/${s.expectedNodes}${
                s.complete ? '' : `, ${s.missing.length} missing`
              }`
            : 'answers 503: no node is up (fine for an idle colour)';
          return { name, ok: true, detail: view };
        } catch (e) {
          return { name, ok: false, detail: (e as Error).message };
        }
      }),
    );
    if (checks.length === 0) {
      checks.push({
        name: 'cluster status',
        ok: false,
        detail: 'hybris.clusterStatus lists no environment',
      });
    }
    return { system: 'hybris', ok: checks.every(c => c.ok), checks };
  }
}
