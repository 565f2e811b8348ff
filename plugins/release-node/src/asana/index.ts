export {
  AsanaClient,
  type AsanaCheckResult,
  type AsanaClientOptions,
  type AsanaProjectTask,
  type AsanaProjectTaskList,
  type AsanaProjectTaskQuery,
  type AsanaReleaseFields,
  type AsanaReleaseTask,
  type AsanaReleaseValues,
} from './AsanaClient';
