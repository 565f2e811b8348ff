export {
  builtCommitOf,
  JenkinsClient,
  type JenkinsBuild,
  type JenkinsCheckResult,
  type JenkinsClientOptions,
  type JenkinsQueueItem,
  type JenkinsResult,
  type JenkinsRevision,
} from './JenkinsClient';
