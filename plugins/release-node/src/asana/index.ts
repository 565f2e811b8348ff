export {
  AsanaClient,
  type AsanaCheckResult,
  type AsanaClientOptions,
  type AsanaReleaseFields,
  type AsanaReleaseTask,
  type AsanaReleaseValues,
} from './AsanaClient';
