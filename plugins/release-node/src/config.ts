import type { Config } from '@backstage/config';

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
}

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
  return { product, environments };
}
