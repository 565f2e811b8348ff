export { releasePlugin as default } from './plugin';
export { RELEASE_MESSAGES_TASK_ID } from './messages/ReleaseMessages';
export { releaseConfigProblems } from './startupCheck';
