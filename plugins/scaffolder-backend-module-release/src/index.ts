/**
 * The `kop:*` scaffolder actions of the kop release portal.
 *
 * @packageDocumentation
 */
export { scaffolderModuleRelease as default } from './module';
export { createReleaseNotesAction } from './actions/releaseNotes';
export { createReleaseCreateAction } from './actions/releaseCreate';
export { createGitlabReleaseBranchAction } from './actions/gitlabReleaseBranch';
export { createJenkinsBuildAction } from './actions/jenkinsBuild';
export { createIacUpdateAction } from './actions/iacUpdate';
export { createArgoCdSyncAction, layoutArgoCdApps } from './actions/argocdSync';
export { createAsanaTaskAction } from './actions/asanaTask';
export { createAsanaCommentAction } from './actions/asanaComment';
export { createSlackPostAction, readNotifyChannels } from './actions/slackPost';
export type { ActionClock } from './lib/waiting';
export { ReleaseApi } from './lib/releaseApi';
