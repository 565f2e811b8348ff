/*
 * Argo CD: a typed client of the API subset the portal uses, several instances by config, the
 * application watch stream, and the setup check.
 */
export * from './types';
export {
  ArgoCdError,
  ARGOCD_SYSTEM,
  OPERATION_IN_PROGRESS,
  ROLLBACK_WITH_AUTO_SYNC,
  type ArgoCdErrorReason,
} from './errors';
export {
  readArgoCdSettings,
  defaultArgoCdApps,
  type ArgoCdInstanceConfig,
  type ArgoCdSettings,
} from './config';
export { isDestinationPermitted } from './destinations';
export {
  ArgoCdApplicationWatcher,
  type ArgoCdWatchEvent,
  type ArgoCdWatchOptions,
} from './watch';
export * from './ArgoCdClient';
export * from './clients';
