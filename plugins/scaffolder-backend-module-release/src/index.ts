/**
 * The `kop:*` scaffolder actions of the kop release portal.
 *
 * @packageDocumentation
 */
export { scaffolderModuleRelease as default } from './module';
export { createReleaseNotesAction } from './actions/releaseNotes';
export { createReleaseCreateAction } from './actions/releaseCreate';
export { createJenkinsBuildAction } from './actions/jenkinsBuild';
export { createAsanaTaskAction } from './actions/asanaTask';
export { createAsanaCommentAction } from './actions/asanaComment';
export { createSlackPostAction, readNotifyChannels } from './actions/slackPost';
export { ReleaseApi } from './lib/releaseApi';
