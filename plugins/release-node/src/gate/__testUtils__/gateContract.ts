import { ConfigReader } from '@backstage/config';
import type { CallClock } from '../../http/retryingCaller';
import type { HybrisClusterClient } from '../../hybris/HybrisClusterClient';
import { readReleaseLayout, type HybrisLayout } from '../../layout';
import type { PrometheusClient } from '../../prometheus/PrometheusClient';
import { HybrisGate, type GateEvaluation } from '../HybrisGate';

/** The kop default gates (app-config's), with the soak a world can wait out. */
export function defaultGates(soakMs: number): HybrisLayout['gates'] {
  return {
    ...readReleaseLayout(new ConfigReader({})).apps.hybris.gates,
    soakMs,
  };
}

/**
 * Where a gate runs: its Prometheus and hybris, and how time passes there. Every world starts as
 * the sandbox does: blue live with 9 nodes in beta and prod, green at 0.
 */
export interface GateWorld {
  start(): Promise<void>;
  stop(): Promise<void>;
  prometheus(): PrometheusClient;
  hybris(): HybrisClusterClient;
  /** The gate's clock: instant for msw, real where a Prometheus scrapes in real time. */
  clock(): CallClock;
  pollMs: number;
  soakMs: number;
  /** Resolves once Prometheus has enough samples of every colour for the gate queries. */
  ready(): Promise<void>;
  /** The colour starts logging this many errors per second. */
  injectErrors(
    environment: string,
    colour: string,
    perSecond: number,
  ): Promise<void>;
}

/**
 * Waits (real time, bounded) until `count(<query>)` reports `series` series: the gate queries
 * answer nothing until a colour has been scraped twice.
 */
export async function waitForSeries(
  prometheus: PrometheusClient,
  query: string,
  series: number,
  timeoutMs = 20_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let seen = 0;
  while (Date.now() < deadline) {
    const answer = await prometheus.query(`count(${query})`);
    seen = answer.resultType === 'vector' ? answer.result[0]?.value ?? 0 : 0;
    if (seen >= series) return;
    await new Promise(r => setTimeout(r, 100));
  }
  throw new Error(
    `Prometheus had ${seen} of ${series} series of ${query} after ${timeoutMs} ms`,
  );
}

/**
 * The gate tests every world must pass: the same PromQL and the same verdicts everywhere. Run them
 * with `it.each(gateContract(world))('$name', ({ run }) => run())` after starting the world.
 */
export function gateContract(
  world: GateWorld,
): Array<{ name: string; run: () => Promise<void> }> {
  const cases: Array<{ name: string; run: () => Promise<void> }> = [];
  const gate = () =>
    new HybrisGate({
      prometheus: world.prometheus(),
      hybris: world.hybris(),
      gates: defaultGates(world.soakMs),
      clock: world.clock(),
      pollMs: world.pollMs,
    });

  /** Evaluates until `done` says so (real sleeps between, bounded): metrics move with scrapes. */
  async function evaluateUntil(
    target: { environment: string; colour: string },
    done: (e: GateEvaluation) => boolean,
  ): Promise<GateEvaluation> {
    let last: GateEvaluation | undefined;
    for (let i = 0; i < 100; i++) {
      last = await gate().evaluateGate(target);
      if (done(last)) return last;
      await new Promise(r => setTimeout(r, 100));
    }
    throw new Error(
      `the gate never got there: ${JSON.stringify(last?.checks)}`,
    );
  }

  cases.push({
    name: 'passes every check of the live colour, with values and thresholds',
    run: async () => {
      const evaluation = await gate().evaluateGate({
        environment: 'beta',
        colour: 'blue',
      });
      expect(evaluation).toEqual({
        environment: 'beta',
        colour: 'blue',
        ok: true,
        at: expect.any(Number),
        checks: [
          {
            name: 'cluster-status',
            ok: true,
            value: 9,
            threshold: { min: 9, max: 9 },
            detail: 'JGroups view 9/9',
          },
          {
            name: 'jgroups-view-steady',
            ok: true,
            value: 0,
            threshold: { max: 0 },
            detail: '0, max 0',
          },
          {
            name: 'error-rate',
            ok: true,
            value: 0,
            threshold: { max: 0.5 },
            detail: '0, max 0.5',
          },
        ],
      });
    },
  });

  cases.push({
    name: 'fails the cluster check of a colour with no node up, and only that one',
    run: async () => {
      const evaluation = await gate().evaluateGate({
        environment: 'beta',
        colour: 'green',
      });
      expect(evaluation.ok).toBe(false);
      expect(evaluation.checks.filter(c => !c.ok)).toEqual([
        {
          name: 'cluster-status',
          ok: false,
          value: 0,
          threshold: {},
          detail: 'no node of hybris green in beta is up (0 members)',
        },
      ]);
    },
  });

  cases.push({
    name: 'fails the cluster check when the colour runs another node count than the step asks',
    run: async () => {
      const evaluation = await gate().evaluateGate({
        environment: 'beta',
        colour: 'blue',
        expectedNodes: 12,
      });
      expect(evaluation.checks[0]).toEqual({
        name: 'cluster-status',
        ok: false,
        value: 9,
        threshold: { min: 12, max: 12 },
        detail: 'hybris blue in beta runs with 9 nodes, not 12',
      });
    },
  });

  cases.push({
    name: 'passes once every check has held for the soak window',
    run: async () => {
      const progress: number[] = [];
      const outcome = await gate().waitForGate({
        environment: 'beta',
        colour: 'blue',
        timeoutMs: world.soakMs * 5,
        onEvaluation: (_e, p) => progress.push(p.steadyForMs),
      });
      expect(outcome).toMatchObject({
        passed: true,
        environment: 'beta',
        colour: 'blue',
        soakMs: world.soakMs,
        failed: [],
      });
      expect(outcome.steadyForMs).toBeGreaterThanOrEqual(world.soakMs);
      expect(outcome.evaluations).toBeGreaterThanOrEqual(2);
      expect(progress[0]).toBe(0);
      expect(outcome.message).toMatch(
        /^the gate of hybris blue in beta passed: every check held for /,
      );
    },
  });

  cases.push({
    name: 'fails the error-rate check once the colour logs errors, and times out naming it',
    run: async () => {
      await world.injectErrors('prod', 'blue', 1000);
      const target = { environment: 'prod', colour: 'blue' };
      const failing = await evaluateUntil(target, e =>
        e.checks.some(c => c.name === 'error-rate' && !c.ok),
      );
      const errorRate = failing.checks.find(c => c.name === 'error-rate')!;
      expect(errorRate.value).toBeGreaterThan(0.5);
      expect(errorRate.detail).toMatch(/^[\d.]+ is above the max 0\.5$/);
      expect(
        failing.checks.filter(c => c.name !== 'error-rate').every(c => c.ok),
      ).toBe(true);

      const outcome = await gate().waitForGate({
        ...target,
        timeoutMs: world.soakMs,
      });
      expect(outcome.passed).toBe(false);
      expect(outcome.failed.map(c => c.name)).toEqual(['error-rate']);
      expect(outcome.message).toMatch(
        /^the gate of hybris blue in prod did not pass within .+: error-rate: [\d.]+ is above the max 0\.5$/,
      );
    },
  });
  return cases;
}
