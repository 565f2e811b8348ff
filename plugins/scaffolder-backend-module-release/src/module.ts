import {
  coreServices,
  createBackendModule,
} from '@backstage/backend-plugin-api';
import { scaffolderActionsExtensionPoint } from '@backstage/plugin-scaffolder-node';
import {
  readGradePolicy,
  readReleaseLayout,
  readReleasePortalConfig,
  releaseIntegrationsServiceRef,
} from '@internal/plugin-release-node';
import { createAsanaCommentAction } from './actions/asanaComment';
import { createAsanaTaskAction } from './actions/asanaTask';
import { createJenkinsBuildAction } from './actions/jenkinsBuild';
import { createReleaseCreateAction } from './actions/releaseCreate';
import { createReleaseNotesAction } from './actions/releaseNotes';
import { createSlackPostAction, readNotifyChannels } from './actions/slackPost';
import { ReleaseApi } from './lib/releaseApi';

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
        discovery: coreServices.discovery,
        auth: coreServices.auth,
        integrations: releaseIntegrationsServiceRef,
        scaffolderActions: scaffolderActionsExtensionPoint,
      },
      async init({ config, discovery, auth, integrations, scaffolderActions }) {
        const { product } = readReleasePortalConfig(config);
        const layout = readReleaseLayout(config);
        const api = new ReleaseApi({ discovery, auth });
        scaffolderActions.addActions(
          createReleaseNotesAction({ product }),
          createReleaseCreateAction({ api }),
          createJenkinsBuildAction({ integrations, layout }),
          createAsanaTaskAction({ api }),
          createAsanaCommentAction({ api }),
          createSlackPostAction({
            policy: readGradePolicy(config),
            channels: readNotifyChannels(config),
            api,
            paymentBrands: config.getOptionalStringArray(
              'release.beta.paymentTests.brands',
            ),
            portalUrl: config.getOptionalString('app.baseUrl'),
          }),
        );
      },
    });
  },
});
