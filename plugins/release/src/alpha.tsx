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
    // Each page under /releases draws its own header with the page's title.
    noHeader: true,
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

type FieldModule = typeof import('./fields');

/** One form field, loaded with the scaffolder page rather than with the app. */
function releaseFormField(
  name: string,
  fieldName: string,
  pick: (m: FieldModule) => { component: unknown; validation?: unknown },
) {
  return FormFieldBlueprint.make({
    name,
    params: {
      field: () =>
        import('./fields').then(m => {
          const { component, validation } = pick(m);
          return createFormField({
            name: fieldName,
            component: component as never,
            ...(validation ? { validation: validation as never } : {}),
          });
        }),
    },
  });
}

/** The release forms' fields (ui:field names in releaseFieldNames). */
const releaseFormFields = [
  releaseFormField('versions', releaseFieldNames.versions, m => ({
    component: m.ReleaseVersionsField,
    validation: m.validateReleaseVersions,
  })),
  releaseFormField('changes', releaseFieldNames.changes, m => ({
    component: m.ReleaseChangesField,
    validation: m.validateReleaseChanges,
  })),
  releaseFormField('grade', releaseFieldNames.grade, m => ({
    component: m.ReleaseGradeField,
    validation: m.validateReleaseGrade,
  })),
  releaseFormField('preview', releaseFieldNames.preview, m => ({
    component: m.ReleasePreviewField,
  })),
  releaseFormField('iac-edit', releaseFieldNames.iacEdit, m => ({
    component: m.IacEditField,
    validation: m.validateIacEdit,
  })),
  releaseFormField('rollback-target', releaseFieldNames.rollbackTarget, m => ({
    component: m.RollbackTargetField,
    validation: m.validateRollbackTarget,
  })),
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
