import { useApi } from '@backstage/core-plugin-api';
import { useTranslationRef } from '@backstage/core-plugin-api/alpha';
import type { Release } from '@internal/plugin-release-common';
import useAsyncRetry from 'react-use/esm/useAsyncRetry';
import { releaseApiRef } from '../../api';
import { releaseTranslationRef } from '../../translation';
import { useReleaseConfig, useTimedLoad } from '../releaseView';

/**
 * The plan a deploy of the release to prod (the last environment; a config release's own
 * environment; or `only`) would run, read while `wanted` and again at each revision of the release.
 */
export function useDeployPlan(
  release: Pick<Release, 'id' | 'revision' | 'config'>,
  wanted: boolean,
  /** Another environment to plan for, e.g. beta while the release is tried there. */
  only?: string,
) {
  const api = useApi(releaseApiRef);
  const { t } = useTranslationRef(releaseTranslationRef);
  const timed = useTimedLoad();
  const { environments } = useReleaseConfig();
  const environment =
    only ??
    release.config?.environment ??
    environments[environments.length - 1];
  const plan = useAsyncRetry(
    async () =>
      wanted
        ? timed(
            api.getPlan(release.id, environment),
            t('releasePage.deploy.planLoading'),
          )
        : undefined,
    [api, release.id, release.revision, environment, wanted, timed],
  );
  return { ...plan, environment };
}
