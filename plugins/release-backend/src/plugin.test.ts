import { mockServices, startTestBackend } from '@backstage/backend-test-utils';
import { catalogServiceMock } from '@backstage/plugin-catalog-node/testUtils';
import request from 'supertest';
import { releasePlugin } from './plugin';

const org = [
  {
    apiVersion: 'backstage.io/v1alpha1',
    kind: 'Group',
    metadata: {
      name: 'role-pl',
      namespace: 'default',
      annotations: { 'kop.release/role': 'pl' },
    },
    spec: { type: 'role', children: [] },
  },
  {
    apiVersion: 'backstage.io/v1alpha1',
    kind: 'Group',
    metadata: { name: 'kop-hybris', namespace: 'default' },
    spec: { type: 'team', children: [] },
  },
  {
    apiVersion: 'backstage.io/v1alpha1',
    kind: 'User',
    metadata: { name: 'choi.yuna', namespace: 'default' },
    spec: {
      profile: {
        displayName: '최유나 Choi Yuna',
        email: 'choi.yuna@kop.example',
      },
      memberOf: ['kop-hybris', 'role-pl'],
    },
    relations: [
      { type: 'memberOf', targetRef: 'group:default/kop-hybris' },
      { type: 'memberOf', targetRef: 'group:default/role-pl' },
    ],
  },
];

async function start(config: object) {
  const { server } = await startTestBackend({
    features: [
      releasePlugin,
      catalogServiceMock.factory({ entities: org }),
      mockServices.rootConfig.factory({ data: config }),
    ],
  });
  return server;
}

describe('release backend', () => {
  it('answers /health without a signed-in user', async () => {
    const server = await start({ release: { product: 'kop' } });
    const res = await request(server)
      .get('/api/release/health')
      .set('authorization', '');
    expect(res.status).toBe(200);
    expect(res.body).toEqual({
      status: 'ok',
      product: 'kop',
      environments: ['beta', 'prod'],
    });
  });

  it('lists demo users with their release roles and teams when demo sign-in is on', async () => {
    const server = await start({
      auth: { environment: 'development', providers: { demo: {} } },
    });
    const res = await request(server).get('/api/release/demo-users');
    expect(res.status).toBe(200);
    expect(res.body.items).toEqual([
      {
        ref: 'user:default/choi.yuna',
        name: 'choi.yuna',
        displayName: '최유나 Choi Yuna',
        email: 'choi.yuna@kop.example',
        roles: ['pl'],
        teams: ['kop-hybris'],
      },
    ]);
  });

  it('hides the demo user list in production even when the provider is configured', async () => {
    const server = await start({
      auth: { environment: 'production', providers: { demo: {} } },
    });
    const res = await request(server).get('/api/release/demo-users');
    expect(res.status).toBe(404);
    expect(res.body.error.message).toBe('Demo sign-in is not enabled');
  });

  it('refuses a release config that names a bad product', async () => {
    await expect(start({ release: { product: 'K O P' } })).rejects.toThrow(
      /release\.product/,
    );
  });
});
