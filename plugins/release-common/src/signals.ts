import type { ReleaseState } from './states';

/**
 * The signal channel on which the backend publishes every change to a release.
 *
 * @public
 */
export const releaseSignalChannel = 'kop-release';

/**
 * One change to a release, as published on releaseSignalChannel.
 *
 * @public
 */
export interface ReleaseSignal {
  releaseId: string;
  state: ReleaseState;
  revision: number;
  action: string;
}
