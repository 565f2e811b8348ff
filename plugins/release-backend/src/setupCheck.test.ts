import { mockCredentials } from '@backstage/backend-test-utils';
import {
  coreServices,
  createServiceFactory,
} from '@backstage/backend-plugin-api';
import { setupCheckResultSchema } from '@internal/plugin-release-common';
import {
  ReleaseIntegrations,
  releaseIntegrationsServiceRef,
  type ReleaseClientFactories,
  type SystemCheck,
} from '@internal/plugin-release-node';
import request from 'supertest';
import { alwaysOpen, startReleaseBackend } from './__testUtils__/backend';
import { user } from './__testUtils__/org';

jest.setTimeout(60_000);

type Check = () => Promise<{ ok: boolean; checks: SystemCheck[] }>;
type Fakes = Record<keyof ReleaseClientFactories, Check | undefined>;

const good =
  (detail: string): Check =>
  async () => ({ ok: true, checks: [{ name: 'token', ok: true, detail }] });

const allGood: Fakes = {
  argocd: good('beta/hybris-blue Synced/Healthy'),
  gitlab: good('the token acts as kop-release-bot'),
  jenkins: good('kop/hybris-build can be triggered'),
  asana: good('the custom fields exist'),
  slack: good('signed in as kop-release-bot in kop'),
  prometheus: good('answers hybris_jgroups_view_size'),
  hybris: good('prod/blue cluster/status answers'),
};

/** The real ReleaseIntegrations over clients that only answer `check()`; undefined = not configured. */
function integrationsWith(fakes: Fakes) {
  const factories = Object.fromEntries(
    Object.entries(fakes).map(([system, check]) => [
      system,
      () => (check ? { check } : undefined),
    ]),
  ) as unknown as ReleaseClientFactories;
  return createServiceFactory({
    service: releaseIntegrationsServiceRef,
    deps: {
      config: coreServices.rootConfig,
      logger: coreServices.rootLogger,
    },
    factory: ({ config, logger }) =>
      new ReleaseIntegrations(config, logger, factories),
  });
}

async function setupCheck(fakes: Fakes, config: object = alwaysOpen) {
  const { server } = await startReleaseBackend({
    config,
    features: [integrationsWith(fakes)],
  });
  return request(server)
    .get('/api/release/setup-check')
    .set('authorization', mockCredentials.user.header(user('kim.minjun')));
}

describe('GET /setup-check', () => {
  it('needs a signed-in user', async () => {
    const { server } = await startReleaseBackend({
      features: [integrationsWith(allGood)],
    });
    for (const header of [
      mockCredentials.none.header(),
      mockCredentials.user.invalidHeader(),
    ]) {
      const res = await request(server)
        .get('/api/release/setup-check')
        .set('authorization', header);
      expect(res.status).toBe(401);
      expect(JSON.stringify(res.body)).not.toContain('kop-release-bot');
    }
  });

  it('answers ok with every system and when it looked', async () => {
    const res = await setupCheck(allGood);
    expect(res.status).toBe(200);
    expect(res.body.ok).toBe(true);
    expect(new Date(res.body.checkedAt).toISOString()).toBe(res.body.checkedAt);
    expect(res.body.systems).toEqual([
      {
        system: 'Argo CD',
        key: 'argocd',
        configured: true,
        ok: true,
        checks: [
          {
            name: 'token',
            ok: true,
            detail: 'beta/hybris-blue Synced/Healthy',
          },
        ],
      },
      expect.objectContaining({ key: 'gitlab', ok: true }),
      expect.objectContaining({ key: 'jenkins', ok: true }),
      expect.objectContaining({ key: 'asana', ok: true }),
      expect.objectContaining({ key: 'slack', ok: true }),
      expect.objectContaining({ key: 'prometheus', ok: true }),
      expect.objectContaining({ key: 'hybris', ok: true }),
    ]);
    // Exactly the documented shape: parsing drops nothing and refuses nothing.
    expect(setupCheckResultSchema.parse(res.body)).toEqual(res.body);
  });

  it('turns only the failing system red, with what to fix', async () => {
    const res = await setupCheck({
      ...allGood,
      slack: async () => ({
        ok: false,
        checks: [
          { name: 'token', ok: true, detail: 'signed in as kop-release-bot' },
          {
            name: 'channel #kop-qa',
            ok: false,
            detail:
              'the bot is not a member of C0KOP00004: /invite it to the channel',
          },
        ],
      }),
    });
    expect(res.status).toBe(200);
    expect(res.body.ok).toBe(false);
    expect(
      res.body.systems.map((s: { key: string; ok: boolean }) => [s.key, s.ok]),
    ).toEqual([
      ['argocd', true],
      ['gitlab', true],
      ['jenkins', true],
      ['asana', true],
      ['slack', false],
      ['prometheus', true],
      ['hybris', true],
    ]);
    expect(res.body.systems[4].checks[1]).toEqual({
      name: 'channel #kop-qa',
      ok: false,
      detail:
        'the bot is not a member of C0KOP00004: /invite it to the channel',
    });
  });

  it('names the setting of a system that is not configured', async () => {
    const res = await setupCheck({ ...allGood, asana: undefined });
    expect(res.body.ok).toBe(false);
    expect(res.body.systems[3]).toEqual({
      system: 'Asana',
      key: 'asana',
      configured: false,
      ok: false,
      checks: [
        {
          name: 'config',
          ok: false,
          detail: 'not configured: set asana in app-config',
        },
      ],
    });
  });

  it('reports a system that never answers as one red line instead of hanging', async () => {
    const res = await setupCheck(
      { ...allGood, jenkins: () => new Promise(() => undefined) },
      {
        ...alwaysOpen,
        release: {
          ...alwaysOpen.release,
          setupCheck: { timeoutSeconds: 0.05 },
        },
      },
    );
    expect(res.status).toBe(200);
    expect(res.body.systems[2]).toMatchObject({
      key: 'jenkins',
      ok: false,
      checks: [
        {
          name: 'check',
          ok: false,
          detail:
            'no answer within 0.05 s: check that jenkins points at a running Jenkins the backend can reach',
        },
      ],
    });
    expect(res.body.systems.filter((s: { ok: boolean }) => !s.ok)).toHaveLength(
      1,
    );
  });

  it('never shows a configured credential, even when a check quotes one', async () => {
    const secrets = {
      gitlab: 'glpat-kop-real-looking-token-0001',
      argocd: 'argocd-bearer-token-0002',
      jenkins: 'jenkins-api-token-0003',
      slack: 'xoxb-kop-bot-token-0004',
      signing: 'slack-signing-secret-0005',
    };
    const res = await setupCheck(
      {
        ...allGood,
        gitlab: async () => {
          throw new Error(
            `GitLab: GET https://oauth2:${secrets.gitlab}@gitlab.example/api/v4/user failed (HTTP 401)`,
          );
        },
        argocd: async () => ({
          ok: false,
          checks: [
            {
              name: 'beta/hybris-blue exists',
              ok: false,
              detail: `Argo CD refused the token ${secrets.argocd} (HTTP 401)`,
            },
          ],
        }),
        slack: async () => ({
          ok: false,
          checks: [
            {
              name: `token ${secrets.slack}`,
              ok: false,
              detail: `invalid_auth for ${secrets.slack} / ${secrets.signing}`,
            },
          ],
        }),
      },
      {
        ...alwaysOpen,
        integrations: {
          gitlab: [{ host: 'gitlab.example', token: secrets.gitlab }],
        },
        argocd: {
          instances: [
            {
              name: 'beta',
              url: 'https://argocd.example',
              token: secrets.argocd,
            },
          ],
        },
        jenkins: {
          baseUrl: 'https://jenkins.example',
          username: 'kop-bot',
          apiToken: secrets.jenkins,
        },
        slack: { botToken: secrets.slack, signingSecret: secrets.signing },
      },
    );
    expect(res.status).toBe(200);
    const body = JSON.stringify(res.body);
    for (const secret of Object.values(secrets)) {
      expect(body).not.toContain(secret);
    }
    expect(res.body.systems[1].checks[0].detail).toBe(
      'GitLab: GET https://oauth2:***@gitlab.example/api/v4/user failed (HTTP 401)',
    );
    expect(res.body.systems[4].checks[0]).toEqual({
      name: 'token ***',
      ok: false,
      detail: 'invalid_auth for *** / ***',
    });
  });
});
