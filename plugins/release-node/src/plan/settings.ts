import type { Config } from '@backstage/config';
import { releaseApps, type ReleaseApp } from '@internal/plugin-release-common';
import { parseDuration } from '../layout';

/**
 * What the deploy plan needs besides the release layout. Read from keys the layout does not hold:
 *
 * - `release.plan.order`: the order the apps deploy in (default hybris, cms, web, as the team does).
 * - `release.plan.expectedTimes.{sync,call,pipeline,hybrisPodStart}`: the estimates each step's
 *   expected time is made of (defaults 1m, 10s, 15m, 5m).
 * - `release.apps.hybris.maxReplicas`: the most replicas a step may raise a colour to (default 30).
 * - `release.apps.hybris.switch.watch`: how long the error metrics are watched after the switch
 *   (default 5m), and `release.apps.hybris.switch.watchMetrics`: which gate metrics (default
 *   error-rate).
 *
 * @public
 */
export interface DeployPlanSettings {
  order: ReleaseApp[];
  hybris: {
    maxReplicas: number;
    switchWatchMs: number;
    /** Names of `release.apps.hybris.gates.metrics` watched after the switch. */
    switchWatchMetrics: string[];
  };
  expectedMs: {
    /** A commit, its Argo CD sync and a plain app turning Healthy. */
    sync: number;
    /** One direct call: a branch, a merge request, a merge, a message. */
    call: number;
    /** A merge request's pipeline. */
    pipeline: number;
    /** hybris pods of one step starting and joining the JGroups view. */
    hybrisPodStart: number;
  };
}

/** @public */
export const defaultDeployPlanSettings: DeployPlanSettings = {
  order: ['hybris', 'cms', 'web'],
  hybris: {
    // Twice the team's largest documented step (15), well under the IaC check's own cap.
    maxReplicas: 30,
    switchWatchMs: 5 * 60_000,
    switchWatchMetrics: ['error-rate'],
  },
  expectedMs: {
    sync: 60_000,
    call: 10_000,
    pipeline: 15 * 60_000,
    hybrisPodStart: 5 * 60_000,
  },
};

/** The most replicas the IaC planner writes (iacTargets); a larger maximum could never be planned. */
const IAC_MAX_REPLICAS = 60;

function duration(
  section: Config | undefined,
  key: string,
  field: string,
  fallback: number,
): number {
  const value = section?.getOptional(key);
  if (value === undefined) return fallback;
  if (typeof value !== 'string' && typeof value !== 'number') {
    throw new Error(`${field} must be a duration like 30s or 2m`);
  }
  return parseDuration(value, field);
}

/**
 * Reads {@link DeployPlanSettings} over the team's defaults, naming the key that is wrong.
 *
 * @public
 */
export function readDeployPlanSettings(config: Config): DeployPlanSettings {
  const release = config.getOptionalConfig('release');
  const plan = release?.getOptionalConfig('plan');
  const hybris = release?.getOptionalConfig('apps.hybris');
  const d = defaultDeployPlanSettings;

  const order = (plan?.getOptionalStringArray('order') ??
    d.order) as ReleaseApp[];
  const missing = releaseApps.filter(app => !order.includes(app));
  if (order.length !== releaseApps.length || missing.length) {
    throw new Error(
      `release.plan.order must name each of ${releaseApps.join(
        ', ',
      )} once, got ${order.join(', ')}`,
    );
  }

  const maxReplicas =
    hybris?.getOptionalNumber('maxReplicas') ?? d.hybris.maxReplicas;
  if (
    !Number.isInteger(maxReplicas) ||
    maxReplicas < 1 ||
    maxReplicas > IAC_MAX_REPLICAS
  ) {
    throw new Error(
      `release.apps.hybris.maxReplicas must be a whole number from 1 to ${IAC_MAX_REPLICAS}, got ${maxReplicas}`,
    );
  }
  const times = plan?.getOptionalConfig('expectedTimes');
  const time = (key: keyof DeployPlanSettings['expectedMs']) =>
    duration(
      times,
      key,
      `release.plan.expectedTimes.${key}`,
      d.expectedMs[key],
    );
  return {
    order,
    hybris: {
      maxReplicas,
      switchWatchMs: duration(
        hybris,
        'switch.watch',
        'release.apps.hybris.switch.watch',
        d.hybris.switchWatchMs,
      ),
      switchWatchMetrics:
        hybris?.getOptionalStringArray('switch.watchMetrics') ??
        d.hybris.switchWatchMetrics,
    },
    expectedMs: {
      sync: time('sync'),
      call: time('call'),
      pipeline: time('pipeline'),
      hybrisPodStart: time('hybrisPodStart'),
    },
  };
}
