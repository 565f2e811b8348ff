import {
  configApiRef,
  createApiFactory,
  createComponentExtension,
  createPlugin,
  createRoutableExtension,
  discoveryApiRef,
  fetchApiRef,
} from '@backstage/core-plugin-api';
import { releaseApiRef, ReleaseClient } from './api';
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
