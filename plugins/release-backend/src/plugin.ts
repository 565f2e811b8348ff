import {
  coreServices,
  createBackendPlugin,
} from '@backstage/backend-plugin-api';
import { catalogServiceRef } from '@backstage/plugin-catalog-node';
import { readReleasePortalConfig } from '@internal/plugin-release-node';
import { createRouter, unauthenticatedPaths } from './router';

/**
 * The release backend: releases, approvals and the audit trail of the kop portal.
 *
 * @public
 */
export const releasePlugin = createBackendPlugin({
  pluginId: 'release',
  register(env) {
    env.registerInit({
      deps: {
        config: coreServices.rootConfig,
        logger: coreServices.logger,
        auth: coreServices.auth,
        httpRouter: coreServices.httpRouter,
        catalog: catalogServiceRef,
      },
      async init({ config, logger, auth, httpRouter, catalog }) {
        const portal = readReleasePortalConfig(config);
        httpRouter.use(await createRouter({ config, portal, auth, catalog }));
        for (const path of unauthenticatedPaths) {
          httpRouter.addAuthPolicy({ path, allow: 'unauthenticated' });
        }
        logger.info(`Release backend ready for product ${portal.product}`);
      },
    });
  },
});
