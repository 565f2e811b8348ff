import type { SetupCheckResult } from '@internal/plugin-release-common';
import { execFile, execFileSync } from 'node:child_process';
import {
  mkdtempSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import knexFactory from 'knex';
import {
  defaultSandboxServices,
  seedFacts,
  slackSandboxDefaults,
  startSandbox,
  type RunningSandbox,
} from 'sandbox';
import { REPO_ROOT } from './__testUtils__/portal';
import { configVariableUses } from './lifecycle/configCheck';
import { DEMO_USER_HEADER } from './modules/demoSignIn';
import {
  startBackendProcess,
  type BackendProcess,
} from './__testUtils__/production/backendProcess';
import {
  productionEnv,
  sandboxOverlay,
} from './__testUtils__/production/productionConfig';
import { startRoundRobin } from './__testUtils__/production/roundRobin';

// Builds the bundle and installs it as production does: minutes on a loaded machine.
jest.setTimeout(900_000);

/** A backend still alive this long after SIGTERM fails the check (Kubernetes gives 30 s). */
const STOP_CEILING_MS = 10_000;

const postgres = (() => {
  const url = new URL(
    process.env.BACKSTAGE_TEST_DATABASE_POSTGRES15_CONNECTION_STRING ??
      'postgresql://postgres@127.0.0.1:5432',
  );
  return {
    host: url.hostname,
    port: Number(url.port || 5432),
    user: decodeURIComponent(url.username),
    password: decodeURIComponent(url.password),
  };
})();
const prefix = `kop_prod_check_${process.pid}_`;
// Unref'd, so a wait that lost its race keeps nothing alive.
const sleep = (ms: number) => new Promise(r => setTimeout(r, ms).unref());

/** Figures printed at the end, for the operator's notes. */
const figures: string[] = [];
const note = (line: string) => figures.push(line);

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>(r => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  await new Promise(r => server.close(r));
  return port;
}

async function dropDatabases() {
  const db = knexFactory({
    client: 'pg',
    connection: { ...postgres, database: 'postgres' },
  });
  try {
    const { rows } = await db.raw(
      'SELECT datname FROM pg_database WHERE datname LIKE ?',
      [`${prefix.replace(/_/g, '\\_')}%`],
    );
    for (const { datname } of rows) {
      await db.raw(`DROP DATABASE IF EXISTS "${datname}" WITH (FORCE)`);
    }
  } finally {
    await db.destroy();
  }
}

let dir: string;
let sandbox: RunningSandbox;
const started: BackendProcess[] = [];

/** The installed bundle started as the README says, with `env` on top of the production one. */
async function startPortal(
  port: number,
  options: {
    portalUrl?: string;
    env?: Record<string, string>;
    /** Variables left out of the environment. */
    unset?: string[];
    /** The config files, by default the production ones and the sandbox's overlay. */
    configs?: string[];
  } = {},
) {
  const env: Record<string, string | undefined> = {
    PATH: process.env.PATH,
    NODE_ENV: 'production',
    ...productionEnv({
      sandboxUrl: sandbox.url,
      portalUrl: options.portalUrl ?? `http://127.0.0.1:${port}`,
      port,
      postgres,
    }),
    ...options.env,
  };
  for (const name of options.unset ?? []) delete env[name];
  const configs = options.configs ?? [
    'app-config.yaml',
    'app-config.production.yaml',
    'app-config.sandbox.yaml',
  ];
  const backend = startBackendProcess({
    cwd: dir,
    args: ['packages/backend', ...configs.flatMap(c => ['--config', c])],
    env,
    port,
    logFile: join(dir, `backend-${port}.log`),
  });
  started.push(backend);
  return backend;
}

/** What a sandbox Slack channel shows. */
async function channelTexts(channel: string): Promise<string[]> {
  const res = await fetch(`${sandbox.url}/slack/api/conversations.history`, {
    method: 'POST',
    body: new URLSearchParams({
      token: slackSandboxDefaults.botToken,
      channel,
    }),
  });
  const body: { messages: Array<{ text: string }> } = await res.json();
  return body.messages.map(m => m.text);
}

/** A demo user's token, once the catalog has read catalog/org.yaml. */
async function tokenOf(url: string, user: string): Promise<string> {
  for (let i = 0; i < 300; i++) {
    const res = await fetch(`${url}/api/auth/demo/refresh`, {
      headers: { [DEMO_USER_HEADER]: user },
    });
    if (res.ok) return (await res.json()).backstageIdentity.token;
    await sleep(500);
  }
  throw new Error(`${user} could not sign in at ${url}`);
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'kop-bundle-'));
  let at = Date.now();
  // As an operator builds: jest's NODE_ENV=test would make the front end's browserslist fail.
  const { NODE_ENV: _jest, ...buildEnv } = process.env;
  execFileSync('yarn', ['build:backend'], { cwd: REPO_ROOT, env: buildEnv });
  note(`yarn build:backend: ${((Date.now() - at) / 1000).toFixed(0)} s`);
  const dist = resolve(REPO_ROOT, 'packages/backend/dist');
  const kb = (file: string) =>
    `${(statSync(join(dist, file)).size / 1024).toFixed(0)} KB`;
  note(
    `bundle.tar.gz ${kb('bundle.tar.gz')}, skeleton.tar.gz ${kb(
      'skeleton.tar.gz',
    )}`,
  );
  at = Date.now();
  execFileSync(resolve(REPO_ROOT, 'scripts/install-bundle.sh'), [dir], {
    env: buildEnv,
  });
  note(
    `scripts/install-bundle.sh (production install): ${(
      (Date.now() - at) /
      1000
    ).toFixed(0)} s, ${execFileSync('du', ['-sh', dir], { encoding: 'utf8' })
      .split('\t')[0]
      .trim()} installed`,
  );
  sandbox = await startSandbox({
    timeScale: 0.05,
    services: defaultSandboxServices(),
  });
  writeFileSync(
    join(dir, 'app-config.sandbox.yaml'),
    sandboxOverlay({ sandboxUrl: sandbox.url, databasePrefix: prefix }),
  );
});

afterAll(async () => {
  for (const backend of started) backend.child.kill('SIGKILL');
  await Promise.all(started.map(b => b.exited));
  await sandbox?.close();
  await dropDatabases();
  if (sandbox)
    rmSync(sandbox.context.dataDir, { recursive: true, force: true });
  rmSync(dir, { recursive: true, force: true });
  process.stdout.write(`\nProduction figures:\n  ${figures.join('\n  ')}\n`);
});

describe('the production bundle, run as an operator runs it', () => {
  it('started with only some variables set, exits 1 at once listing every one missing with the keys it feeds', async () => {
    const port = await freePort();
    const unset = [
      'BACKEND_SECRET',
      'POSTGRES_PASSWORD',
      'GITLAB_HOST',
      'JENKINS_URL',
      'ASANA_FIELD_GRADE_GID',
      'SLACK_BOT_TOKEN',
      'HYBRIS_PROD_GREEN_URL',
      'GRAFANA_URL',
    ];
    const at = Date.now();
    const backend = await startPortal(port, {
      unset,
      configs: ['app-config.yaml', 'app-config.production.yaml'],
    });
    const exit = await Promise.race([
      backend.exited,
      sleep(180_000).then(() => 'still running after 180 s'),
    ]);
    note(`exit after a start with variables missing: ${Date.now() - at} ms`);
    expect(exit).toBe(1);
    const log = readFileSync(join(dir, `backend-${port}.log`), 'utf8');
    const failures = log
      .split('\n')
      .filter(line => line.includes('Backend failed to start; exiting'));
    expect(failures).toHaveLength(1);
    const keysOf = new Map<string, string[]>();
    for (const use of configVariableUses(
      readFileSync(join(dir, 'app-config.production.yaml'), 'utf8'),
    )) {
      keysOf.set(use.name, [...(keysOf.get(use.name) ?? []), use.key]);
    }
    const listed =
      /(\d+) environment variables are not set: (.*?)\.(?= \d+ values? (?:is|are) wrong|")/.exec(
        failures[0],
      );
    expect(listed?.[1]).toBe(String(unset.length));
    expect(listed?.[2].split(/, (?=[A-Z][A-Z0-9_]* \()/).sort()).toEqual(
      unset.map(name => `${name} (${keysOf.get(name)!.join(', ')})`).sort(),
    );
    expect(failures[0]).not.toContain('wrong');
    // Refused before anything started: no port, no database.
    expect(log).not.toContain('Listening on');
    expect(log).not.toContain('xoxb-sandbox-token');
  });

  it('exits 1 saying why when PostgreSQL refuses its user, instead of serving 503s', async () => {
    const port = await freePort();
    const backend = await startPortal(port, {
      env: { POSTGRES_USER: 'kop_no_such_user' },
    });
    const exit = await Promise.race([
      backend.exited,
      sleep(180_000).then(() => 'still running after 180 s'),
    ]);
    expect(exit).toBe(1);
    const log = readFileSync(join(dir, `backend-${port}.log`), 'utf8');
    expect(log).toContain('Backend failed to start; exiting');
    expect(log).toContain('role "kop_no_such_user" does not exist');
    expect(log).not.toContain('production-check-backend-secret');
  });

  it('starts on PostgreSQL, serves the front end, the health probe and the setup check, and stops within 10 s of SIGTERM', async () => {
    const port = await freePort();
    const backend = await startPortal(port);
    note(`start to ready (one backend): ${await backend.readyMs()} ms`);

    const page = await fetch(`${backend.url}/`);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toMatch(/^text\/html/);
    expect(await page.text()).toContain('<title>kop release portal</title>');

    const token = await tokenOf(backend.url, 'kim.minjun');
    const check = await fetch(`${backend.url}/api/release/setup-check`, {
      headers: { authorization: `Bearer ${token}` },
    });
    expect(check.status).toBe(200);
    const body: SetupCheckResult = await check.json();
    // Every system configured from the environment answers and lets the portal act.
    expect(body.systems.map(s => `${s.key}: ${s.ok}`).sort()).toEqual(
      [
        'argocd',
        'asana',
        'gitlab',
        'hybris',
        'jenkins',
        'prometheus',
        'slack',
      ].map(key => `${key}: true`),
    );
    expect(JSON.stringify(body)).not.toContain('xoxb-sandbox-token');

    // The operator's smoke test (README "Access for automation") passes against it; async, as the sandbox answers from this process.
    const smoke = await promisify(execFile)(
      process.execPath,
      [resolve(REPO_ROOT, 'scripts/smoke.mjs'), backend.url],
      {
        env: {
          PATH: process.env.PATH,
          KOP_AUTOMATION_TOKEN: 'production-check-automation-token',
        },
      },
    );
    expect(smoke.stdout).toContain('PASS  setup check: all 7 systems answer');
    expect(smoke.stdout).not.toContain('FAIL');

    const { exit, ms } = await backend.stop(STOP_CEILING_MS);
    note(`stop after SIGTERM (one backend, idle): ${ms} ms`);
    expect(exit).toBe(0);
  });
});

describe('two replicas behind one address on one PostgreSQL', () => {
  it('both serve pages and the API; one stopped mid-release loses nothing and the other runs the release to its end', async () => {
    const [portA, portB] = [await freePort(), await freePort()];
    const proxyPort = await freePort();
    const portalUrl = `http://127.0.0.1:${proxyPort}`;
    // A first, so the two do not race to create the plugins' databases.
    const A = await startPortal(portA, { portalUrl });
    note(`start to ready (replica A): ${await A.readyMs()} ms`);
    const B = await startPortal(portB, { portalUrl });
    note(`start to ready (replica B): ${await B.readyMs()} ms`);
    const proxy = await startRoundRobin([A.url, B.url]);
    try {
      for (const backend of [A, B]) {
        const page = await fetch(`${backend.url}/`);
        expect(await page.text()).toContain(
          '<title>kop release portal</title>',
        );
      }
      const tokens = {
        author: await tokenOf(proxy.url, 'kim.minjun'),
        pl: await tokenOf(proxy.url, 'choi.yuna'),
        superior: await tokenOf(proxy.url, 'seo.yeongho'),
      };
      const call = async (
        who: keyof typeof tokens,
        path: string,
        body?: object,
        url = proxy.url,
      ) => {
        const res = await fetch(`${url}/api/release${path}`, {
          method: body ? 'POST' : 'GET',
          headers: {
            authorization: `Bearer ${tokens[who]}`,
            'content-type': 'application/json',
          },
          body: body && JSON.stringify(body),
        });
        const json = await res.json();
        if (!res.ok) {
          throw new Error(`${path}: ${res.status} ${JSON.stringify(json)}`);
        }
        return json;
      };

      const { id } = await call('author', '/releases', {
        grade: 'B',
        dbUpdate: false,
        apps: [{ app: 'hybris', version: seedFacts.hybris.candidate }],
        items: [
          {
            title: '[HYBRIS] 푸터 대표이사 성명 변경 작업 원복',
            app: 'hybris',
            source: { type: 'mr', project: 'kop/hybris', iid: 412 },
          },
        ],
      });
      const plan = await call(
        'author',
        `/releases/${id}/plan?environment=prod`,
      );
      await call('author', `/releases/${id}/request-approval`, {});
      await call('pl', `/releases/${id}/approvals`, {
        decision: 'approve',
        fingerprint: plan.fingerprint,
      });
      // Pressed on A, so A starts the run.
      await call(
        'author',
        `/releases/${id}/deploy`,
        { environment: 'prod', fingerprint: plan.fingerprint },
        A.url,
      );
      const runOf = async () =>
        (await call('author', `/releases/${id}/deploy`)).runs[0];
      // A is stopped with the release under way: its first step done, the rest to go.
      for (;;) {
        const run = await runOf();
        if (run.steps[0].state === 'done') break;
        await sleep(200);
      }
      const stopA = await A.stop(STOP_CEILING_MS);
      note(`stop after SIGTERM (replica A, mid-release): ${stopA.ms} ms`);
      expect(stopA.exit).toBe(0);

      let run = await runOf();
      for (
        let i = 0;
        i < 1500 && ['running', 'waiting'].includes(run.state);
        i++
      ) {
        const release = await call('author', `/releases/${id}`);
        if (release.state === 'awaiting_signoff') {
          await call('superior', `/releases/${id}/approvals`, {
            decision: 'approve',
            stage: 'signoff',
          });
        }
        await sleep(200);
        run = await runOf();
      }
      expect(
        run.steps.map(
          (s: { stepId: string; state: string }) => `${s.stepId}: ${s.state}`,
        ),
      ).toEqual(plan.steps.map((s: { id: string }) => `${s.id}: done`));
      expect(run.state).toBe('done');
      expect((await call('author', `/releases/${id}`)).state).toBe('done');

      // Every git step committed once to the IaC repository, whichever replica ran it.
      const gitDir = join(
        sandbox.context.dataDir,
        'git',
        `${seedFacts.iac.project}.git`,
      );
      const commits: Record<string, number> = {};
      for (const block of execFileSync(
        'git',
        [
          '--git-dir',
          gitDir,
          'log',
          'main',
          '--format=%x1e%(trailers:only,unfold)',
        ],
        { encoding: 'utf8' },
      ).split('\x1e')) {
        const step = /^Release-Step: (.+)$/m.exec(block)?.[1];
        if (/^Release-Id: (.+)$/m.exec(block)?.[1] === id && step) {
          commits[step] = (commits[step] ?? 0) + 1;
        }
      }
      expect(commits).toEqual(
        Object.fromEntries(
          plan.steps
            .filter((s: { kind: string }) => s.kind === 'git')
            .map((s: { id: string }) => [s.id, 1]),
        ),
      );
      // The release's messages went out once each, from whichever replica held the schedule.
      let room: string[] = [];
      for (let i = 0; i < 300 && room.length === 0; i++) {
        room = await channelTexts('#kop-release-room');
        if (room.length === 0) await sleep(200);
      }
      for (const texts of [room, await channelTexts('#kop-release')]) {
        expect(texts.length).toBeGreaterThan(0);
        expect(texts.filter((t, i) => texts.indexOf(t) !== i)).toEqual([]);
      }
      // Both replicas answered through the one address.
      expect(proxy.served.every(n => n > 0)).toBe(true);
      const stopB = await B.stop(STOP_CEILING_MS);
      note(`stop after SIGTERM (replica B, idle): ${stopB.ms} ms`);
      expect(stopB.exit).toBe(0);
    } finally {
      await proxy.close();
    }
  });
});
