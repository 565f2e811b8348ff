import {
  ApiBlueprint,
  createFrontendPlugin,
  discoveryApiRef,
  fetchApiRef,
  PageBlueprint,
} from '@backstage/frontend-plugin-api';
import { convertLegacyRouteRef } from '@backstage/core-compat-api';
import { EntityContentBlueprint } from '@backstage/plugin-catalog-react/alpha';
import { releaseAppOfEntity } from '@internal/plugin-release-common';
import RocketLaunchIcon from '@material-ui/icons/Send';
import {
  createFormField,
  FormFieldBlueprint,
} from '@backstage/plugin-scaffolder-react/alpha';
import { releaseApiRef, ReleaseClient } from './api';
import { releaseFieldNames } from './fields';
import { rootRouteRef } from './routes';
import { releaseTranslationRef } from './translation';

export { releaseTranslationRef } from './translation';

/** @alpha */
export const releaseApi = ApiBlueprint.make({
  params: defineParams =>
    defineParams({
      api: releaseApiRef,
      deps: { discoveryApi: discoveryApiRef, fetchApi: fetchApiRef },
      factory: ({ discoveryApi, fetchApi }) =>
        new ReleaseClient({ discoveryApi, fetchApi }),
    }),
});

/** @alpha */
export const releasesPage = PageBlueprint.make({
  params: {
    path: '/releases',
    title: releaseTranslationRef('releasesPage.title'),
    routeRef: convertLegacyRouteRef(rootRouteRef),
    icon: <RocketLaunchIcon />,
    loader: () =>
      import('./components/ReleasesPage').then(m => <m.ReleasesPage />),
  },
});

/** @alpha */
export const entityDeployContent = EntityContentBlueprint.make({
  name: 'deploy',
  params: {
    path: 'deploy',
    title: releaseTranslationRef('deployTab.title'),
    filter: entity => releaseAppOfEntity(entity) !== undefined,
    loader: () =>
      import('./components/EntityDeployContent').then(m => (
        <m.EntityDeployContent />
      )),
  },
});

/** The release form's fields, loaded with the scaffolder page. */
const releaseFormFields = [
  FormFieldBlueprint.make({
    name: 'versions',
    params: {
      field: () =>
        import('./fields').then(m =>
          createFormField({
            name: releaseFieldNames.versions,
            component: m.ReleaseVersionsField as never,
            validation: m.validateReleaseVersions as never,
          }),
        ),
    },
  }),
  FormFieldBlueprint.make({
    name: 'changes',
    params: {
      field: () =>
        import('./fields').then(m =>
          createFormField({
            name: releaseFieldNames.changes,
            component: m.ReleaseChangesField as never,
            validation: m.validateReleaseChanges as never,
          }),
        ),
    },
  }),
  FormFieldBlueprint.make({
    name: 'grade',
    params: {
      field: () =>
        import('./fields').then(m =>
          createFormField({
            name: releaseFieldNames.grade,
            component: m.ReleaseGradeField as never,
            validation: m.validateReleaseGrade as never,
          }),
        ),
    },
  }),
  FormFieldBlueprint.make({
    name: 'preview',
    params: {
      field: () =>
        import('./fields').then(m =>
          createFormField({
            name: releaseFieldNames.preview,
            component: m.ReleasePreviewField as never,
          }),
        ),
    },
  }),
  FormFieldBlueprint.make({
    name: 'iac-edit',
    params: {
      field: () =>
        import('./fields').then(m =>
          createFormField({
            name: releaseFieldNames.iacEdit,
            component: m.IacEditField as never,
            validation: m.validateIacEdit as never,
          }),
        ),
    },
  }),
];

/**
 * The release plugin for the new frontend system.
 *
 * @alpha
 */
export default createFrontendPlugin({
  pluginId: 'release',
  title: 'Releases',
  icon: <RocketLaunchIcon />,
  info: { packageJson: () => import('../package.json') },
  routes: { root: convertLegacyRouteRef(rootRouteRef) },
  extensions: [
    releaseApi,
    releasesPage,
    entityDeployContent,
    ...releaseFormFields,
  ],
});
