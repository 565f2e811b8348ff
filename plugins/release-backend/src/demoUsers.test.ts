import { mockCredentials } from '@backstage/backend-test-utils';
import { demoUsersSchema } from '@internal/plugin-release-common';
import request from 'supertest';
import { alwaysOpen, startReleaseBackend } from './__testUtils__/backend';

jest.setTimeout(60_000);

describe('demo users', () => {
  it('lists every user of catalog/org.yaml with their release roles and teams', async () => {
    const { server } = await startReleaseBackend({
      config: {
        ...alwaysOpen,
        auth: { environment: 'development', providers: { demo: {} } },
      },
    });
    const res = await request(server)
      .get('/api/release/demo-users')
      .set('authorization', mockCredentials.none.header());
    expect(res.status).toBe(200);
    expect(res.body.items).toHaveLength(13);
    // Exactly the documented shape: parsing drops nothing and refuses nothing.
    expect(demoUsersSchema.parse(res.body)).toEqual(res.body);
    expect(res.body.items.find((u: any) => u.name === 'choi.yuna')).toEqual({
      ref: 'user:default/choi.yuna',
      name: 'choi.yuna',
      displayName: '최유나 Choi Yuna',
      email: 'choi.yuna@kop.example',
      roles: ['developer', 'pl'],
      teams: ['kop-hybris'],
    });
    const roles = new Map<string, number>();
    for (const u of res.body.items)
      for (const r of u.roles) roles.set(r, (roles.get(r) ?? 0) + 1);
    for (const role of [
      'developer',
      'pl',
      'team-lead',
      'infra-superior',
      'superior',
      'qa',
    ]) {
      expect([role, (roles.get(role) ?? 0) >= 2]).toEqual([role, true]);
    }
  });

  it('hides the list in production even when the provider is configured', async () => {
    const { server } = await startReleaseBackend({
      config: {
        ...alwaysOpen,
        auth: { environment: 'production', providers: { demo: {} } },
      },
    });
    const res = await request(server).get('/api/release/demo-users');
    expect(res.status).toBe(404);
    expect(res.body.error.message).toBe('Demo sign-in is not enabled');
  });

  it('refuses to start with a bad release config', async () => {
    await expect(
      startReleaseBackend({ config: { release: { product: 'K O P' } } }),
    ).rejects.toThrow(/release\.product/);
  });
});
