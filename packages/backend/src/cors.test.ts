import { createBackend } from '@backstage/backend-defaults';
import { rootHttpRouterServiceFactory } from '@backstage/backend-defaults/rootHttpRouter';
import { mockServices } from '@backstage/backend-test-utils';
import type { JsonObject } from '@backstage/types';
import { ConfigSources } from '@backstage/config-loader';
import authPlugin from '@backstage/plugin-auth-backend';
import { catalogServiceMock } from '@backstage/plugin-catalog-node/testUtils';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { resolve } from 'node:path';
import request from 'supertest';
import { DEMO_USER_HEADER, demoSignInModule } from './modules/demoSignIn';

const REPO_ROOT = resolve(__dirname, '../../..');

/** The config the backend reads from these files (by default as `./kop start`, with the local layer). */
async function localAppConfig(
  files = ['app-config.yaml', 'app-config.local.yaml'],
  env: Record<string, string> = {},
): Promise<JsonObject> {
  const config = await ConfigSources.toConfig(
    ConfigSources.default({
      rootDir: REPO_ROOT,
      argv: files.flatMap(f => ['--config', resolve(REPO_ROOT, f)]),
      env: {},
      substitutionFunc: async name => env[name],
      watch: false,
    }),
  );
  const data = config.get<JsonObject>();
  config.close();
  return data;
}

/**
 * The backend as src/index.ts creates it, with the auth plugin and the demo sign-in, configured as
 * `./kop start` configures it; only the port, the database and the catalog are the test's own.
 */
async function startWithAppConfig() {
  const data = await localAppConfig();
  const backend = createBackend();
  let server: Server | undefined;
  backend.add(authPlugin);
  backend.add(demoSignInModule);
  backend.add(
    catalogServiceMock.factory({
      entities: [
        {
          apiVersion: 'backstage.io/v1alpha1',
          kind: 'User',
          metadata: { name: 'choi.yuna', namespace: 'default' },
          spec: { memberOf: [] },
        },
      ],
    }),
  );
  backend.add(
    mockServices.rootConfig.factory({
      data: {
        ...data,
        backend: {
          ...(data.backend as JsonObject),
          listen: { host: '127.0.0.1', port: 0 },
          database: { client: 'better-sqlite3', connection: ':memory:' },
        },
      },
    }),
  );
  backend.add(mockServices.rootLogger.factory());
  backend.add(
    rootHttpRouterServiceFactory({
      configure: context => {
        server = context.server;
        context.applyDefaults();
      },
    }),
  );
  await backend.start();
  const { port } = server!.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}`, stop: () => backend.stop() };
}

describe('the backend answers the front end from localhost and from 127.0.0.1', () => {
  let url: string;
  let stop: () => Promise<void>;

  beforeAll(async () => {
    ({ url, stop } = await startWithAppConfig());
  });
  afterAll(() => stop());

  it.each(['http://localhost:3000', 'http://127.0.0.1:3000'])(
    'lets %s sign in as a demo user, with credentials',
    async origin => {
      const preflight = await request(url)
        .options('/api/auth/demo/refresh')
        .set('origin', origin)
        .set('access-control-request-method', 'GET')
        .set('access-control-request-headers', DEMO_USER_HEADER);
      expect(preflight.status).toBe(204);
      expect(preflight.headers).toMatchObject({
        'access-control-allow-origin': origin,
        'access-control-allow-credentials': 'true',
      });
      expect(preflight.headers['access-control-allow-headers']).toContain(
        DEMO_USER_HEADER,
      );

      const signIn = await request(url)
        .get('/api/auth/demo/refresh')
        .set('origin', origin)
        .set(DEMO_USER_HEADER, 'choi.yuna');
      expect(signIn.status).toBe(200);
      expect(signIn.headers).toMatchObject({
        'access-control-allow-origin': origin,
        'access-control-allow-credentials': 'true',
      });
      expect(signIn.body.backstageIdentity.identity.userEntityRef).toBe(
        'user:default/choi.yuna',
      );
    },
  );

  it.each([
    'http://localhost:3001',
    'http://127.0.0.2:3000',
    'https://localhost:3000',
    'http://portal.example',
  ])('gives %s no CORS access', async origin => {
    const preflight = await request(url)
      .options('/api/auth/demo/refresh')
      .set('origin', origin)
      .set('access-control-request-method', 'GET')
      .set('access-control-request-headers', DEMO_USER_HEADER);
    expect(preflight.headers['access-control-allow-origin']).toBeUndefined();
    const signIn = await request(url)
      .get('/api/auth/demo/refresh')
      .set('origin', origin)
      .set(DEMO_USER_HEADER, 'choi.yuna');
    expect(signIn.headers['access-control-allow-origin']).toBeUndefined();
  });
});

describe('in production', () => {
  it("allows only the portal's own origin, with the local methods and credentials", async () => {
    const portal = 'https://release.kop.example';
    const data = await localAppConfig(
      ['app-config.yaml', 'app-config.production.yaml'],
      { PORTAL_BASE_URL: portal },
    );
    expect((data.backend as JsonObject).cors).toEqual({
      origin: [portal],
      methods: ['GET', 'HEAD', 'PATCH', 'POST', 'PUT', 'DELETE'],
      credentials: true,
    });
  });
});
