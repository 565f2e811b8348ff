import type { ReleaseState } from '@internal/plugin-release-common';

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

/** The user's name without the entity ref around it, e.g. kim.minjun. */
export function personOf(ref: string | undefined): string {
  return (ref ?? '').replace(/^user:[^/]+\//, '');
}
