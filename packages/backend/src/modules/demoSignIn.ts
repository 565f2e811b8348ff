import {
  coreServices,
  createBackendModule,
} from '@backstage/backend-plugin-api';
import {
  authProvidersExtensionPoint,
  createProxyAuthenticator,
  createProxyAuthProviderFactory,
} from '@backstage/plugin-auth-node';
import { AuthenticationError } from '@backstage/errors';

/** The header the local sign-in page sends with the chosen demo user's name. */
export const DEMO_USER_HEADER = 'x-kop-demo-user';

const USER_NAME = /^[a-z0-9][a-z0-9._-]{0,62}$/;

const demoAuthenticator = createProxyAuthenticator({
  defaultProfileTransform: async (result: { userName: string }) => ({
    profile: { displayName: result.userName },
  }),
  initialize: () => undefined,
  async authenticate({ req }) {
    const userName = req.header(DEMO_USER_HEADER);
    if (!userName || !USER_NAME.test(userName)) {
      throw new AuthenticationError(
        `Pick a demo user: the ${DEMO_USER_HEADER} header is missing or not a user name`,
      );
    }
    return { result: { userName } };
  },
});

/**
 * Local sign-in as any user of catalog/org.yaml, so approvals between people can be tried on one
 * machine. Registered only when auth.providers.demo is configured and auth.environment is not
 * production; the user must exist in the catalog.
 */
export const demoSignInModule = createBackendModule({
  pluginId: 'auth',
  moduleId: 'kop-demo-provider',
  register(reg) {
    reg.registerInit({
      deps: {
        providers: authProvidersExtensionPoint,
        config: coreServices.rootConfig,
        logger: coreServices.logger,
      },
      async init({ providers, config, logger }) {
        if (!config.has('auth.providers.demo')) return;
        if (config.getOptionalString('auth.environment') === 'production') {
          logger.warn(
            'auth.providers.demo is ignored because auth.environment is production',
          );
          return;
        }
        providers.registerProvider({
          providerId: 'demo',
          factory: createProxyAuthProviderFactory({
            authenticator: demoAuthenticator,
            async signInResolver({ result }, ctx) {
              return ctx.signInWithCatalogUser({
                entityRef: { name: result.userName },
              });
            },
          }),
        });
      },
    });
  },
});
