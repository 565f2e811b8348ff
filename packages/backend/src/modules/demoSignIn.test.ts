import { mockServices, startTestBackend } from '@backstage/backend-test-utils';
import { catalogServiceMock } from '@backstage/plugin-catalog-node/testUtils';
import authPlugin from '@backstage/plugin-auth-backend';
import request from 'supertest';
import { DEMO_USER_HEADER, demoSignInModule } from './demoSignIn';

const catalog = catalogServiceMock.factory({
  entities: [
    {
      apiVersion: 'backstage.io/v1alpha1',
      kind: 'User',
      metadata: { name: 'choi.yuna', namespace: 'default' },
      spec: { profile: { displayName: '최유나 Choi Yuna' }, memberOf: [] },
    },
  ],
});

async function start(environment: string) {
  const { server } = await startTestBackend({
    features: [
      authPlugin,
      demoSignInModule,
      catalog,
      mockServices.rootConfig.factory({
        data: {
          app: { baseUrl: 'http://localhost:3000' },
          auth: { environment, providers: { demo: {} } },
        },
      }),
    ],
  });
  return server;
}

describe('demo sign-in', () => {
  it('signs in as the chosen catalog user', async () => {
    const server = await start('development');
    const res = await request(server)
      .get('/api/auth/demo/refresh')
      .set(DEMO_USER_HEADER, 'choi.yuna');
    expect(res.status).toBe(200);
    expect(res.body.backstageIdentity.identity.userEntityRef).toBe(
      'user:default/choi.yuna',
    );
    expect(res.body.backstageIdentity.token).toEqual(expect.any(String));
  });

  it('refuses a user who is not in the catalog', async () => {
    const server = await start('development');
    const res = await request(server)
      .get('/api/auth/demo/refresh')
      .set(DEMO_USER_HEADER, 'mallory');
    expect(res.status).toBe(404);
    expect(res.body.backstageIdentity).toBeUndefined();
  });

  it('refuses a request without a user', async () => {
    const server = await start('development');
    const res = await request(server).get('/api/auth/demo/refresh');
    expect(res.status).toBe(401);
    expect(res.body.error.message).toContain(DEMO_USER_HEADER);
  });

  it('does not exist in production', async () => {
    const server = await start('production');
    const res = await request(server)
      .get('/api/auth/demo/refresh')
      .set(DEMO_USER_HEADER, 'choi.yuna');
    expect(res.status).toBe(404);
    expect(res.body.backstageIdentity).toBeUndefined();
  });
});
