export {
  ReleaseVersionsField,
  validateReleaseVersions,
} from './ReleaseVersionsField';
export {
  ReleaseChangesField,
  validateReleaseChanges,
} from './ReleaseChangesField';
export { ReleaseGradeField, validateReleaseGrade } from './ReleaseGradeField';
export { ReleasePreviewField } from './ReleasePreviewField';
export {
  RollbackTargetField,
  validateRollbackTarget,
  rollbackTargetStates,
} from './RollbackTargetField';
export {
  IacEditField,
  validateIacEdit,
  type IacEditValue,
} from './IacEditField';
export * from './draft';

/** The ui:field names the release templates use. */
export const releaseFieldNames = {
  versions: 'KopReleaseVersions',
  changes: 'KopReleaseChanges',
  grade: 'KopReleaseGrade',
  preview: 'KopReleasePreview',
  iacEdit: 'KopIacEdit',
  rollbackTarget: 'KopRollbackTarget',
} as const;
