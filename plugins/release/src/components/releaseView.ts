import { useCallback, useMemo } from 'react';
import { configApiRef, useApi } from '@backstage/core-plugin-api';
import { useTranslationRef } from '@backstage/core-plugin-api/alpha';
import {
  isReleaseState,
  type ReleaseState,
} from '@internal/plugin-release-common';
import { releaseTranslationRef } from '../translation';
import { LOAD_TIMEOUT_MS, withTimeout } from './timeout';

/**
 * release.product and release.environments as the app's config gives them to the front end
 * (declared in plugins/release/config.d.ts); the defaults only serve an app that sets neither.
 */
export function useReleaseConfig(): {
  product: string;
  environments: string[];
} {
  const config = useApi(configApiRef);
  return useMemo(
    () => ({
      product: config.getOptionalString('release.product') ?? 'kop',
      environments: config.getOptionalStringArray('release.environments') ?? [
        'beta',
        'prod',
      ],
    }),
    [config],
  );
}

/** States in which a release has not gone past beta yet. */
const betaStates: ReleaseState[] = ['draft', 'prepared', 'beta'];

/**
 * The environment a release ships to in this state: the first environment (beta) until it waits
 * for approval to go on, the last (prod) from then on.
 */
export function environmentOf(
  state: ReleaseState,
  environments: string[],
): string {
  return betaStates.includes(state)
    ? environments[0]
    : environments[environments.length - 1];
}

/**
 * A release state in the user's language, e.g. awaiting_approval → "Awaiting approval"; a string
 * that is no known state (an old audit row) is shown as it is.
 */
export function useStateLabel() {
  const { t } = useTranslationRef(releaseTranslationRef);
  return useCallback(
    (state: string): string =>
      isReleaseState(state) ? t(`state.${state}`) : state,
    [t],
  );
}

/** The user's name without the entity ref around it, e.g. kim.minjun. */
export function personOf(ref: string | undefined): string {
  return (ref ?? '').replace(/^user:[^/]+\//, '');
}

/**
 * Bounds a load by LOAD_TIMEOUT_MS, so a stalled backend ends in a message naming what was being
 * read instead of a spinner.
 */
export function useTimedLoad() {
  const { t } = useTranslationRef(releaseTranslationRef);
  return useCallback(
    <T>(work: Promise<T>, what: string): Promise<T> =>
      withTimeout(
        work,
        LOAD_TIMEOUT_MS,
        t('loadErrors.timeout', {
          what,
          seconds: String(LOAD_TIMEOUT_MS / 1000),
        }),
      ),
    [t],
  );
}
