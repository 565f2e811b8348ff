import { authServiceFactory } from '@backstage/backend-defaults/auth';
import { httpAuthServiceFactory } from '@backstage/backend-defaults/httpAuth';
import { mockCredentials } from '@backstage/backend-test-utils';
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { resolve } from 'node:path';
import { asanaSandboxDefaults, slackSandboxDefaults } from 'sandbox';
import request from 'supertest';
import { parse } from 'yaml';
import { alwaysOpen, startReleaseBackend } from './__testUtils__/backend';
import {
  createTestDatabases,
  databaseIds,
  initMigrated,
} from './__testUtils__/databases';
import { user } from './__testUtils__/org';
import {
  sandboxEngineConfig,
  startTestSandbox,
} from './__testUtils__/sandboxConfig';
import { planFault } from './__testUtils__/sandboxFaults';

jest.setTimeout(120_000);

const api = '/api/release';
const TOKEN = 'kop-automation-test-token-0123456789';
const RELEASE = '00000000-0000-4000-8000-000000000001';

const REPO_ROOT = resolve(__dirname, '../../..');

/** scripts/smoke.mjs run as an operator runs it, against `url` with the automation token `token`. */
function smoke(
  url: string,
  token: string,
): Promise<{ code: number; output: string }> {
  return new Promise(done => {
    execFile(
      process.execPath,
      [resolve(REPO_ROOT, 'scripts/smoke.mjs'), url],
      { env: { PATH: process.env.PATH, KOP_AUTOMATION_TOKEN: token } },
      (error, stdout, stderr) =>
        done({
          code: error ? Number(error.code ?? 1) : 0,
          output: `${stdout}${stderr}`,
        }),
    );
  });
}

/** app-config.production.yaml's external access, with KOP_AUTOMATION_TOKEN set to `token`. */
function productionExternalAccess(token: string): object[] {
  const production = parse(
    readFileSync(resolve(REPO_ROOT, 'app-config.production.yaml'), 'utf8'),
  );
  const text = JSON.stringify(production.backend.auth.externalAccess);
  expect(text).toContain('${KOP_AUTOMATION_TOKEN}');
  return JSON.parse(text.split('${KOP_AUTOMATION_TOKEN}').join(token));
}

/** Every write, and every read that is not one of the checks, as the automation token would try it. */
const refused: Array<{ method: 'get' | 'post'; path: string; body?: object }> =
  [
    { method: 'post', path: '/releases', body: { grade: 'B', apps: [] } },
    {
      method: 'post',
      path: `/releases/${RELEASE}/transition`,
      body: { to: 'approved' },
    },
    {
      method: 'post',
      path: `/releases/${RELEASE}/deploy`,
      body: { environment: 'beta' },
    },
    {
      method: 'post',
      path: `/releases/${RELEASE}/messages`,
      body: { kind: 'slack' },
    },
    {
      method: 'post',
      path: `/releases/${RELEASE}/approvals`,
      body: { stage: 'approval' },
    },
    { method: 'post', path: '/stop-the-line', body: { reason: 'smoke' } },
    { method: 'get', path: '/releases' },
    { method: 'get', path: `/releases/${RELEASE}` },
    { method: 'get', path: `/releases/${RELEASE}/messages` },
    { method: 'get', path: '/audit' },
    { method: 'get', path: '/policy' },
    { method: 'get', path: '/candidates?app=hybris' },
    { method: 'get', path: '/status/stream' },
    { method: 'get', path: '/demo-users' },
  ];

const databases = createTestDatabases();
const sandboxes: Array<Awaited<ReturnType<typeof startTestSandbox>>> = [];
afterAll(() => Promise.all(sandboxes.map(s => s.dispose())));

describe.each(databaseIds)('the automation token on %s', databaseId => {
  let config: object;
  let sandbox: Awaited<ReturnType<typeof startTestSandbox>>;

  beforeAll(async () => {
    sandbox = await startTestSandbox();
    sandboxes.push(sandbox);
    const a = asanaSandboxDefaults;
    config = {
      ...alwaysOpen,
      ...sandboxEngineConfig(sandbox),
      asana: {
        baseUrl: `${sandbox.url}/asana/api/1.0`,
        token: a.token,
        projectGid: a.projectGid,
        sectionGid: a.sectionGid,
        fields: a.fields,
      },
      slack: {
        apiUrl: `${sandbox.url}/slack/api/`,
        botToken: slackSandboxDefaults.botToken,
      },
      release: {
        ...alwaysOpen.release,
        notify: { slack: { team: '#kop-release', qa: '#kop-qa' } },
      },
    };
  });
  afterEach(async () => {
    await fetch(`${sandbox.url}/_sandbox/faults`, { method: 'DELETE' });
  });

  describe("with Backstage's own auth and the production config's external access", () => {
    let server: Server;
    const automation = `Bearer ${TOKEN}`;

    beforeAll(async () => {
      const knex = await initMigrated(databases, databaseId);
      ({ server } = await startReleaseBackend({
        knex,
        config: {
          ...config,
          backend: {
            auth: { externalAccess: productionExternalAccess(TOKEN) },
          },
        },
        features: [authServiceFactory, httpAuthServiceFactory],
      }));
    });

    it('passes the health, the setup check and the status', async () => {
      const health = await request(server)
        .get(`${api}/health`)
        .set('authorization', automation)
        .expect(200);
      expect(health.body).toMatchObject({ status: 'ok', product: 'kop' });

      const setup = await request(server)
        .get(`${api}/setup-check`)
        .set('authorization', automation)
        .expect(200);
      const gitlab = setup.body.systems.find((s: any) => s.key === 'gitlab');
      expect(gitlab).toMatchObject({ system: 'GitLab', ok: true });
      expect(JSON.stringify(setup.body)).not.toContain(TOKEN);

      const status = await request(server)
        .get(`${api}/status`)
        .set('authorization', automation)
        .expect(200);
      expect(status.body.environments.map((e: any) => e.name)).toEqual([
        'beta',
        'prod',
      ]);
    });

    it.each(refused)(
      'is refused $method $path with 403 saying it may only read the checks',
      async ({ method, path, body }) => {
        const call = request(server)
          [method](`${api}${path}`)
          .set('authorization', automation);
        const res = await (body ? call.send(body) : call);
        expect(res.status).toBe(403);
        expect(res.body.error.name).toBe('NotAllowedError');
        expect(res.body.error.message).toBe(
          `kop-automation calls with an external access token, which may only read /health, /setup-check, /status; ${method.toUpperCase()} ${
            path.split('?')[0]
          } is not one of these checks`,
        );
      },
    );

    it('passes the smoke script, which fails naming a system that is down and the token it refuses', async () => {
      const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
      const passed = await smoke(url, TOKEN);
      expect(passed.output).toContain('PASS  health: release backend for kop');
      expect(passed.output).toContain(
        'PASS  setup check: all 7 systems answer',
      );
      expect(passed.output).toContain('PASS  status: 6 apps in 2 environments');
      expect(passed.output).toContain(
        'PASS  token held to the checks: GET /api/release/releases is refused (403)',
      );
      expect(passed.output).toMatch(/\n(\d+) of \1 passed\n$/);
      expect(passed.code).toBe(0);

      await planFault(sandbox.url, {
        path: '/jenkins/',
        count: 100,
        status: 503,
        body: 'Jenkins is going to shut down',
      });
      const failed = await smoke(url, TOKEN);
      expect(failed.output).toContain('FAIL  setup check: Jenkins failed');
      expect(failed.output).toMatch(/FAIL Jenkins\n.*HTTP 503/);
      expect(failed.output).toMatch(/\n4 of 5 passed\n$/);
      expect(failed.code).toBe(1);

      const wrong = await smoke(url, `not-${TOKEN}`);
      expect(wrong.output).toMatch(
        /FAIL {2}setup check: http:\/\/127\.0\.0\.1:\d+\/api\/release\/setup-check answered HTTP 401/,
      );
      expect(wrong.output).not.toContain(TOKEN);
      expect(wrong.code).toBe(1);
    });

    it('refuses a wrong token on the checks with 401', async () => {
      for (const path of ['/setup-check', '/status']) {
        const res = await request(server)
          .get(`${api}${path}`)
          .set('authorization', `Bearer not-${TOKEN}`);
        expect(res.status).toBe(401);
        expect(res.body.error.name).toBe('AuthenticationError');
      }
    });
  });

  describe('beside users and plugins', () => {
    let server: Server;

    beforeAll(async () => {
      const knex = await initMigrated(databases, databaseId);
      ({ server } = await startReleaseBackend({ knex, config }));
    });

    it('still lets a user and a plugin read releases, and refuses any external token', async () => {
      const asScaffolder = mockCredentials.service.header({
        onBehalfOf: mockCredentials.service('plugin:scaffolder'),
        targetPluginId: 'release',
      });
      for (const header of [
        mockCredentials.user.header(user('kim.minjun')),
        asScaffolder,
      ]) {
        await request(server)
          .get(`${api}/releases`)
          .set('authorization', header)
          .expect(200);
        await request(server)
          .get(`${api}/setup-check`)
          .set('authorization', header)
          .expect(200);
      }
      // Whatever subject an external access entry is given, it is held to the checks.
      const external = mockCredentials.service.header();
      await request(server)
        .get(`${api}/setup-check`)
        .set('authorization', external)
        .expect(200);
      const list = await request(server)
        .get(`${api}/releases`)
        .set('authorization', external);
      expect(list.status).toBe(403);
      expect(list.body.error.message).toMatch(
        /^external:test-service calls with an external access token/,
      );
    });
  });
});
