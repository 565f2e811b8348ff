/**
 * The kop release portal's front end: releases dashboard, release page and the entity Deploy tab.
 *
 * @packageDocumentation
 */
export {
  releasePlugin,
  ReleasesPage,
  EntityDeployContent,
  ReleaseVersionsFieldExtension,
  ReleaseChangesFieldExtension,
  ReleaseGradeFieldExtension,
  ReleasePreviewFieldExtension,
  IacEditFieldExtension,
  RollbackTargetFieldExtension,
} from './plugin';
export { releaseFieldNames } from './fields';
export * from './api';
