export {
  JenkinsClient,
  type JenkinsBuild,
  type JenkinsCheckResult,
  type JenkinsClientOptions,
  type JenkinsQueueItem,
  type JenkinsResult,
} from './JenkinsClient';
