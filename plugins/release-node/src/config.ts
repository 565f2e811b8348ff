import type { Config } from '@backstage/config';
import {
  releaseApps,
  releaseStrategies,
  type ReleaseApp,
  type ReleaseStrategy,
} from '@internal/plugin-release-common';

/**
 * The part of the `release:` config section that every backend package needs.
 *
 * @public
 */
export interface ReleasePortalConfig {
  /** The product name shown in every announcement, e.g. the "[kop]" prefix. */
  product: string;
  /** Environments in promotion order. */
  environments: string[];
  /** How each app is released. */
  strategies: Record<ReleaseApp, ReleaseStrategy>;
  /** Replica steps of the idle hybris colour (e.g. 3 → 6 → 9). */
  defaultSteps: number[];
  /** Roles whose holders may act on others' releases (grade, state), with release.admin. */
  adminRoles: string[];
}

const defaultStrategies: Record<ReleaseApp, ReleaseStrategy> = {
  hybris: 'blue-green-steps',
  cms: 'branch-merge-sync',
  web: 'sync',
};

const NAME = /^[a-z][a-z0-9-]{0,39}$/;

/**
 * Reads and checks the `release:` section, naming the key that is wrong.
 *
 * @public
 */
export function readReleasePortalConfig(config: Config): ReleasePortalConfig {
  const section = config.getOptionalConfig('release');
  const product = section?.getOptionalString('product') ?? 'kop';
  if (!NAME.test(product)) {
    throw new Error(
      `release.product must be a lower-case name of letters, digits and '-', got '${product}'`,
    );
  }
  const environments = section?.getOptionalStringArray('environments') ?? [
    'beta',
    'prod',
  ];
  if (environments.length === 0) {
    throw new Error('release.environments must name at least one environment');
  }
  for (const env of environments) {
    if (!NAME.test(env)) {
      throw new Error(
        `release.environments has an invalid environment name '${env}'`,
      );
    }
  }
  if (new Set(environments).size !== environments.length) {
    throw new Error('release.environments names an environment twice');
  }
  const strategies = { ...defaultStrategies };
  const apps = section?.getOptionalConfig('apps');
  for (const app of apps?.keys() ?? []) {
    if (!(releaseApps as readonly string[]).includes(app)) {
      throw new Error(
        `release.apps.${app} is not a kop app (${releaseApps.join(', ')})`,
      );
    }
    const strategy = apps!.getOptionalString(`${app}.strategy`);
    if (strategy !== undefined) {
      if (!(releaseStrategies as readonly string[]).includes(strategy)) {
        throw new Error(
          `release.apps.${app}.strategy must be one of ${releaseStrategies.join(
            ', ',
          )}, got '${strategy}'`,
        );
      }
      strategies[app as ReleaseApp] = strategy as ReleaseStrategy;
    }
  }
  const defaultSteps = apps ? readSteps(apps) : [3, 6, 9];
  defaultSteps.forEach((n, i) => {
    if (!Number.isInteger(n) || n < 1 || (i > 0 && n <= defaultSteps[i - 1])) {
      throw new Error(
        `release.apps.hybris.steps must be rising whole replica counts, got ${defaultSteps.join(
          ', ',
        )}`,
      );
    }
  });
  const adminRoles = section?.getOptionalStringArray('adminRoles') ?? [
    'team-lead',
  ];
  return { product, environments, strategies, defaultSteps, adminRoles };
}

function readSteps(apps: Config): number[] {
  const raw = apps.getOptional('hybris.steps');
  if (raw === undefined) return [3, 6, 9];
  if (!Array.isArray(raw) || raw.some(v => typeof v !== 'number')) {
    throw new Error('release.apps.hybris.steps must be a list of numbers');
  }
  return raw as number[];
}
