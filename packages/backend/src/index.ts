import { createBackend } from '@backstage/backend-defaults';
import { checkConfig } from './lifecycle/configCheck';
import { drainingRootHttpRouter } from './lifecycle/httpDrain';
import { startOrExit } from './lifecycle/startOrExit';
import { demoSignInModule } from './modules/demoSignIn';
import { permissionPolicyModule } from './modules/permissionPolicy';

const backend = createBackend();
backend.add(drainingRootHttpRouter);

backend.add(import('@backstage/plugin-app-backend'));
backend.add(import('@backstage/plugin-events-backend'));

backend.add(import('@backstage/plugin-auth-backend'));
backend.add(import('@backstage/plugin-auth-backend-module-gitlab-provider'));
backend.add(demoSignInModule);

backend.add(import('@backstage/plugin-catalog-backend'));
backend.add(
  import('@backstage/plugin-catalog-backend-module-scaffolder-entity-model'),
);
backend.add(import('@backstage/plugin-catalog-backend-module-logs'));

backend.add(import('@backstage/plugin-scaffolder-backend'));
backend.add(
  import('@backstage/plugin-scaffolder-backend-module-notifications'),
);
backend.add(import('@internal/plugin-scaffolder-backend-module-release'));

backend.add(import('@backstage/plugin-permission-backend'));
backend.add(permissionPolicyModule);

backend.add(import('@backstage/plugin-search-backend'));
backend.add(import('@backstage/plugin-search-backend-module-catalog'));

backend.add(import('@backstage/plugin-user-settings-backend'));
backend.add(import('@backstage/plugin-notifications-backend'));
backend.add(import('@backstage/plugin-signals-backend'));

backend.add(import('@internal/plugin-release-backend'));

// A config lacking a variable or holding a malformed value stops the start, listing all of them.
startOrExit(backend, {
  check: (config, logger) => checkConfig(config, { logger }),
});
