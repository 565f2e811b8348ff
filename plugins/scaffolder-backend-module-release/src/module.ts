import {
  coreServices,
  createBackendModule,
} from '@backstage/backend-plugin-api';
import { scaffolderActionsExtensionPoint } from '@backstage/plugin-scaffolder-node';
import { readReleasePortalConfig } from '@internal/plugin-release-node';
import { createReleaseNotesAction } from './actions/releaseNotes';

/**
 * Registers the `kop:*` scaffolder actions that the release forms use.
 *
 * @public
 */
export const scaffolderModuleRelease = createBackendModule({
  pluginId: 'scaffolder',
  moduleId: 'release',
  register({ registerInit }) {
    registerInit({
      deps: {
        config: coreServices.rootConfig,
        scaffolderActions: scaffolderActionsExtensionPoint,
      },
      async init({ config, scaffolderActions }) {
        const { product } = readReleasePortalConfig(config);
        scaffolderActions.addActions(createReleaseNotesAction({ product }));
      },
    });
  },
});
