export {
  GitlabClient,
  type GitlabBranch,
  type GitlabCheckResult,
  type GitlabClientOptions,
  type GitlabCommit,
  type GitlabCommitEditsOptions,
  type GitlabCommitEditsResult,
  type GitlabComparedCommit,
  type GitlabComparison,
  type GitlabFile,
  type GitlabFiles,
  type GitlabMergeRequest,
  type GitlabPipeline,
} from './GitlabClient';
export { EditConflictError, type YamlScalar } from './yamlEdit';
export { readYamlValues } from './yamlRead';
export {
  checkCmsRelease,
  checkHybrisCut,
  cutReleaseBranch,
  ensureReleaseBranch,
  findReleaseMergeRequest,
  mergedSha,
  mergeReleaseMergeRequest,
  mergeRequestPipeline,
  mergeRequestReadiness,
  openReleaseMergeRequest,
  ReleaseBranchError,
  resolveReleaseRef,
  waitUntilMergeable,
  type MergeRequestReadiness,
} from './releaseBranch';
