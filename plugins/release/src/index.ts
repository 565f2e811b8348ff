/**
 * The kop release portal's front end: releases dashboard, release page and the entity Deploy tab.
 *
 * @packageDocumentation
 */
export { releasePlugin, ReleasesPage, EntityDeployContent } from './plugin';
export * from './api';
