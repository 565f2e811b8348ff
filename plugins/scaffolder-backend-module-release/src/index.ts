/**
 * The `kop:*` scaffolder actions of the kop release portal.
 *
 * @packageDocumentation
 */
export { scaffolderModuleRelease as default } from './module';
export { createReleaseNotesAction } from './actions/releaseNotes';
