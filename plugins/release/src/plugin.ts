import {
  configApiRef,
  createApiFactory,
  createComponentExtension,
  createPlugin,
  createRoutableExtension,
  discoveryApiRef,
  fetchApiRef,
} from '@backstage/core-plugin-api';
import { createScaffolderFieldExtension } from '@backstage/plugin-scaffolder-react';
import { releaseApiRef, ReleaseClient } from './api';
import {
  IacEditField,
  validateIacEdit,
  ReleaseChangesField,
  ReleaseGradeField,
  ReleasePreviewField,
  ReleaseVersionsField,
  RollbackTargetField,
  releaseFieldNames,
  validateReleaseChanges,
  validateReleaseGrade,
  validateReleaseVersions,
  validateRollbackTarget,
} from './fields';
import { rootRouteRef } from './routes';

/**
 * The release plugin for apps on the legacy frontend system; see ./alpha for the new one.
 *
 * @public
 */
export const releasePlugin = createPlugin({
  id: 'release',
  routes: { root: rootRouteRef },
  apis: [
    createApiFactory({
      api: releaseApiRef,
      deps: {
        discoveryApi: discoveryApiRef,
        fetchApi: fetchApiRef,
        configApi: configApiRef,
      },
      factory: ({ discoveryApi, fetchApi }) =>
        new ReleaseClient({ discoveryApi, fetchApi }),
    }),
  ],
});

/** @public */
export const ReleasesPage = releasePlugin.provide(
  createRoutableExtension({
    name: 'ReleasesPage',
    component: () =>
      import('./components/ReleasesPage').then(m => m.ReleasesPage),
    mountPoint: rootRouteRef,
  }),
);

/** @public */
export const EntityDeployContent = releasePlugin.provide(
  createComponentExtension({
    name: 'EntityDeployContent',
    component: {
      lazy: () =>
        import('./components/EntityDeployContent').then(
          m => m.EntityDeployContent,
        ),
    },
  }),
);

/** Apps and versions picked from GitLab and Jenkins, newest first (`ui:field: KopReleaseVersions`). @public */
export const ReleaseVersionsFieldExtension = releasePlugin.provide(
  createScaffolderFieldExtension({
    name: releaseFieldNames.versions,
    component: ReleaseVersionsField,
    validation: validateReleaseVersions,
  }),
);

/** What ships, with mixed-in and DB-change flags (`ui:field: KopReleaseChanges`). @public */
export const ReleaseChangesFieldExtension = releasePlugin.provide(
  createScaffolderFieldExtension({
    name: releaseFieldNames.changes,
    component: ReleaseChangesField,
    validation: validateReleaseChanges as never,
  }),
);

/** The grade with its policy, floor and approvers (`ui:field: KopReleaseGrade`). @public */
export const ReleaseGradeFieldExtension = releasePlugin.provide(
  createScaffolderFieldExtension({
    name: releaseFieldNames.grade,
    component: ReleaseGradeField,
    validation: validateReleaseGrade as never,
  }),
);

/** The review page's announcement and approvers (`ui:field: KopReleasePreview`). @public */
export const ReleasePreviewFieldExtension = releasePlugin.provide(
  createScaffolderFieldExtension({
    name: releaseFieldNames.preview,
    component: ReleasePreviewField,
  }),
);

/** An IaC edit made on screen, with its exact diff (`ui:field: KopIacEdit`). @public */
export const IacEditFieldExtension = releasePlugin.provide(
  createScaffolderFieldExtension({
    name: releaseFieldNames.iacEdit,
    component: IacEditField,
    validation: validateIacEdit,
  }),
);

/** The earlier release a rollback goes back to, and which of its apps (`ui:field: KopRollbackTarget`). @public */
export const RollbackTargetFieldExtension = releasePlugin.provide(
  createScaffolderFieldExtension({
    name: releaseFieldNames.rollbackTarget,
    component: RollbackTargetField,
    validation: validateRollbackTarget,
  }),
);
