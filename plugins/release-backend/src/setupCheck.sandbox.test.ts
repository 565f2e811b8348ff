import { mockCredentials } from '@backstage/backend-test-utils';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import {
  defaultSandboxServices,
  startSandbox,
  type RunningSandbox,
} from 'sandbox';
import request from 'supertest';
import { parse } from 'yaml';
import { startReleaseBackend } from './__testUtils__/backend';
import { user } from './__testUtils__/org';

jest.setTimeout(120_000);

/** Where app-config.local.yaml expects the sandbox (./kop start). */
const SANDBOX_HOST = '127.0.0.1:7100';

const readRepoYaml = (file: string) =>
  parse(readFileSync(resolve(__dirname, '../../..', file), 'utf8'));

/** The portal's own local config, the systems pointed at this test's sandbox. */
function appConfigFor(sandbox: RunningSandbox, changes: object = {}) {
  const { release } = readRepoYaml('app-config.yaml');
  const { integrations, argocd, jenkins, asana, slack, hybris, prometheus } =
    readRepoYaml('app-config.local.yaml');
  const systems = JSON.parse(
    JSON.stringify({
      integrations,
      argocd,
      jenkins,
      asana,
      slack,
      hybris,
      prometheus,
    }),
    (_key, value) =>
      typeof value === 'string'
        ? value.split(SANDBOX_HOST).join(new URL(sandbox.url).host)
        : value,
  );
  return {
    ...systems,
    app: { baseUrl: 'http://localhost:3000' },
    release: {
      ...release,
      // The channels of config-sketch.yaml, whose membership the Slack check looks at.
      notify: {
        slack: {
          qa: '#kop-qa',
          team: '#kop-release',
          'core-service-pls': '#kop-release-core',
          'service-owners': '#kop-incident',
        },
      },
    },
    ...changes,
  };
}

describe('GET /setup-check against the sandbox', () => {
  let sandbox: RunningSandbox;
  let dataDir: string;

  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'kop-setup-check-'));
    sandbox = await startSandbox({
      dataDir,
      timeScale: 0,
      services: defaultSandboxServices(),
    });
  });

  afterAll(async () => {
    await sandbox?.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  async function setupCheck(config: object) {
    const { server } = await startReleaseBackend({ config });
    return request(server)
      .get('/api/release/setup-check')
      .set('authorization', mockCredentials.user.header(user('kim.minjun')));
  }

  /** The sandbox's Argo CD takes any token; this instance answers as if the token had been rotated. */
  async function refuseArgoCdToken(instance: string) {
    await request(sandbox.url)
      .post('/_sandbox/faults')
      .send({
        path: `/argocd/${instance}/api/v1/`,
        count: 100,
        status: 401,
        body: {
          error: 'invalid session: token signature is invalid',
          code: 16,
          message: 'invalid session: token signature is invalid',
        },
      })
      .expect(201);
  }

  afterEach(async () => {
    await request(sandbox.url).delete('/_sandbox/faults').expect(204);
  });

  /** The systems that are not ok. */
  const notGreen = (body: any): string[] =>
    body.systems.filter((s: any) => !s.ok).map((s: any) => s.key);

  const red = (body: any) =>
    body.systems.flatMap((s: any) =>
      s.checks
        .filter((c: any) => !c.ok)
        .map((c: any) => `${s.key}: ${c.name}: ${c.detail}`),
    );

  it('is all green with the local config, then turns exactly the broken line red', async () => {
    const config = appConfigFor(sandbox);
    const green = await setupCheck(config);
    expect(green.status).toBe(200);
    expect(red(green.body)).toEqual([]);
    expect(green.body.ok).toBe(true);
    expect(notGreen(green.body)).toEqual([]);

    // The bot leaves #kop-qa (the sandbox answers the members call without it, once).
    await request(sandbox.url)
      .post('/_sandbox/faults')
      .send({
        path: '/slack/api/conversations.members',
        count: 1,
        status: 200,
        body: {
          ok: true,
          members: ['U0KOP00001'],
          response_metadata: { next_cursor: '' },
        },
      })
      .expect(201);
    const slackRed = await setupCheck(config);
    expect(slackRed.body.ok).toBe(false);
    expect(red(slackRed.body)).toEqual([
      'slack: channel #kop-qa: the bot is not a member of C0KOP00004: /invite it to the channel',
    ]);
  });

  it('turns only the prod Argo CD lines red when that instance refuses the token', async () => {
    await refuseArgoCdToken('prod');
    const res = await setupCheck(appConfigFor(sandbox));
    expect(res.status).toBe(200);
    expect(notGreen(res.body)).toEqual(['argocd']);
    const argocd = res.body.systems[0].checks;
    expect(argocd.filter((c: any) => c.ok).map((c: any) => c.name)).toEqual(
      argocd
        .map((c: any) => c.name)
        .filter((n: string) => n.startsWith('beta/')),
    );
    expect(
      red(res.body).every((line: string) => line.startsWith('argocd: prod/')),
    ).toBe(true);
    expect(red(res.body)[0]).toMatch(
      /^argocd: prod\/hybris-blue exists: .*(401|token)/,
    );
  });

  it('shows no configured token when every system refuses its token', async () => {
    const tokens = {
      gitlab: 'glpat-setup-check-leak-test-1',
      argocd: 'argocd-setup-check-leak-test-2',
      jenkins: 'jenkins-setup-check-leak-test-3',
      build: 'jenkins-build-setup-check-leak-test-4',
      asana: 'asana-setup-check-leak-test-5',
      slack: 'xoxb-setup-check-leak-test-6',
    };
    await refuseArgoCdToken('beta');
    await refuseArgoCdToken('prod');
    const config = appConfigFor(sandbox);
    const res = await setupCheck({
      ...config,
      integrations: {
        gitlab: config.integrations.gitlab.map((g: object) => ({
          ...g,
          token: tokens.gitlab,
        })),
      },
      argocd: {
        instances: config.argocd.instances.map((i: object) => ({
          ...i,
          token: tokens.argocd,
        })),
      },
      jenkins: {
        ...config.jenkins,
        apiToken: tokens.jenkins,
        buildToken: tokens.build,
      },
      asana: { ...config.asana, token: tokens.asana },
      slack: { ...config.slack, botToken: tokens.slack },
    });
    expect(res.status).toBe(200);
    expect(notGreen(res.body)).toEqual(
      expect.arrayContaining(['argocd', 'gitlab', 'jenkins', 'asana', 'slack']),
    );
    const body = JSON.stringify(res.body);
    for (const token of Object.values(tokens)) {
      expect(body).not.toContain(token);
    }
    expect(body).not.toContain('***');
  });
});
