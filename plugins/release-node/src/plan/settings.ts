import type { Config } from '@backstage/config';
import {
  releaseApps,
  type DeployTest,
  type ReleaseApp,
} from '@internal/plugin-release-common';
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
 * - `release.plan.build`, `release.beta`, `release.postDeployTests`: the stages around the deploy
 *   (see {@link DeployStageSettings}); none by default.
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
    /** A hybris build in Jenkins. */
    build: number;
    /** A run of the payment or post-deploy tests. */
    tests: number;
  };
  stages?: DeployStageSettings;
}

/**
 * The stages a plan puts around the deploy steps.
 *
 * @public
 */
export interface DeployStageSettings {
  /**
   * Each app's version is built first unless the release recorded a successful build of it:
   * hybris by its Jenkins job (release.apps.hybris.build.jenkinsJob), cms and web by waiting for
   * the version's GitLab pipeline.
   */
  build: boolean;
  /**
   * The environment a release is tried on before production: its plan has no sign-off, db-schema
   * acknowledgement or announcement, and ends with the payment tests when they are set.
   */
  beta?: {
    environment: string;
    paymentTests?: { jenkinsJob: string; brands: string[] };
  };
  /** Tests run after the deploy steps, before the sign-off, in these environments. */
  postDeployTests?: { environments: string[]; tests: DeployTest[] };
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
    build: 20 * 60_000,
    tests: 10 * 60_000,
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
      build: time('build'),
      tests: time('tests'),
    },
    ...readStages(release),
  };
}

const NAME = /^[A-Za-z0-9][A-Za-z0-9._/ -]{0,99}$/;

/** The stages of `release.plan.build`, `release.beta` and `release.postDeployTests`, when any is set. */
function readStages(
  release: Config | undefined,
): Pick<DeployPlanSettings, 'stages'> {
  const build = release?.getOptionalBoolean('plan.build') ?? false;
  const beta = release?.getOptionalConfig('beta');
  const post = release?.getOptionalConfig('postDeployTests');
  if (!build && !beta && !post) return {};
  const payment = beta?.getOptionalConfig('paymentTests');
  const brands = payment?.getOptionalStringArray('brands') ?? [
    'ks',
    'tc',
    'g4',
  ];
  brands.forEach((brand, i) => {
    if (!/^[a-z0-9]{1,20}$/.test(brand)) {
      throw new Error(
        `release.beta.paymentTests.brands[${i}] must be a brand code like ks, got '${brand}'`,
      );
    }
  });
  const tests = (post?.getOptionalConfigArray('tests') ?? []).map(
    (t, i): DeployTest => {
      const field = `release.postDeployTests.tests[${i}]`;
      const name = t.getString('name');
      if (!NAME.test(name)) {
        throw new Error(`${field}.name must be a plain name, got '${name}'`);
      }
      const job = t.getOptionalString('jenkinsJob');
      const url = t.getOptionalString('url');
      if (Boolean(job) === Boolean(url)) {
        throw new Error(`${field} must set one of jenkinsJob or url`);
      }
      if (job) return { kind: 'jenkins', name, job };
      if (!/^https?:\/\//.test(url!)) {
        throw new Error(`${field}.url must be an http(s) URL, got '${url}'`);
      }
      const expectStatus = t.getOptionalNumber('expectStatus') ?? 200;
      if (
        !Number.isInteger(expectStatus) ||
        expectStatus < 100 ||
        expectStatus > 599
      ) {
        throw new Error(
          `${field}.expectStatus must be an HTTP status, got ${expectStatus}`,
        );
      }
      return { kind: 'http', name, url: url!, expectStatus };
    },
  );
  if (post && !tests.length) {
    throw new Error(
      'release.postDeployTests.tests must name at least one test',
    );
  }
  return {
    stages: {
      build,
      ...(beta
        ? {
            beta: {
              environment: beta.getOptionalString('environment') ?? 'beta',
              ...(payment
                ? {
                    paymentTests: {
                      jenkinsJob:
                        payment.getOptionalString('jenkinsJob') ??
                        'kop/payment-tests',
                      brands,
                    },
                  }
                : {}),
            },
          }
        : {}),
      ...(post
        ? {
            postDeployTests: {
              environments: post.getOptionalStringArray('environments') ?? [
                'prod',
              ],
              tests,
            },
          }
        : {}),
    },
  };
}
