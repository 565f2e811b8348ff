export { ReleaseErrorMessage, describeReleaseError } from './ReleaseError';
export type { ReleaseErrorKind } from './ReleaseError';
