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
  fields: {
    versions: {
      title: 'Apps and versions',
      environment: 'Environment',
      versionOf: 'Version of {{app}}',
      loading: 'Reading versions…',
      from: 'Newest first, from {{from}}',
      loadFailed: 'Could not read the versions of {{app}}: {{message}}',
      pickOne: 'Pick at least one app.',
    },
    changes: {
      title: 'What ships',
      pickVersionsFirst: 'Pick the apps and versions first.',
      loadFailed: 'Could not compare the versions',
      appHeading: '{{app}}: {{from}} → {{to}}',
      notNewer:
        '{{app}}: this version is not newer than what runs. Use the Rollback form to go back.',
      changeClass: 'Changes: {{name}}',
      mixedIn: 'mixed in',
      items: 'Items of the announcement (edit, or remove what does not belong)',
      itemTitle: 'Item title',
      remove: 'Remove item',
    },
    grade: {
      title: 'Grade',
      loadFailed: 'Could not read the grade policy',
      floor: 'Lowest grade for these changes: {{floor}} (changes: {{classes}})',
      approvers: 'Approved before deploying by {{roles}}',
      approversAfter: 'Deployed first; approved afterwards by {{roles}}',
      share: 'shared with {{share}}',
      reason: 'Why below {{floor}}?',
    },
    iac: {
      title: 'Config change',
      loadFailed: 'Could not read what the form may change',
      argocdApp: 'Argo CD app (values file)',
      key: 'Key',
      value: 'New value',
      diff: 'The change, exactly as it will be committed',
      previewFailed: 'The change cannot be made',
      noChange: 'The key already holds this value: nothing to commit.',
    },
    preview: {
      incomplete: 'Fill in the earlier steps to see the announcement.',
      failed: 'The release would be refused',
      announcement: 'Announcement',
      approvers: 'Who must approve',
      after: 'after deploying',
      grade: 'Grade {{grade}} (lowest allowed {{floor}})',
      asana: 'Asana task',
    },
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
