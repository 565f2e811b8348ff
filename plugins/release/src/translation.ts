import { createTranslationRef } from '@backstage/core-plugin-api/alpha';

/** English, the source of every key. */
export const releaseMessages = {
  releasesPage: {
    title: 'Releases',
    subtitle: '{{product}} release portal',
    newRelease: 'New release',
    emptyTitle: 'No releases yet',
    emptyDescription:
      'Releases prepared from the release form appear here, with their approvals and deploy progress.',
  },
  deployTab: {
    title: 'Deploy',
    emptyTitle: 'No releases of {{app}} yet',
    emptyDescription:
      'Releases that ship {{app}} will be listed here with their versions and state.',
    notAnApp:
      'This component is not a kop release app (it has no kop.release/strategy annotation).',
  },
  table: {
    heading: 'Releases',
    title: 'Release',
    versions: 'Versions',
    grade: 'Grade',
    state: 'State',
    author: 'Author',
    created: 'Created',
  },
  backend: {
    connected: 'Release backend connected: {{product}} ({{environments}})',
    unreachable: 'The release backend did not answer: {{message}}',
  },
} as const;

/**
 * Every text the release plugin shows; Korean lives in ./translations/ko.
 *
 * @alpha
 */
export const releaseTranslationRef = createTranslationRef({
  id: 'release',
  messages: releaseMessages,
  translations: {
    ko: () => import('./translations/ko'),
  },
});
