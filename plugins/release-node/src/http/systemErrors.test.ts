import {
  asanaSandboxDefaults,
  closedPort,
  defaultSandboxServices,
  jenkinsSandboxDefaults,
  sandboxGitlabTokens,
  slackSandboxDefaults,
  startSandbox,
  type RunningSandbox,
} from 'sandbox';
import { rmSync } from 'node:fs';
import { ArgoCdClient } from '../argocd';
import { AsanaClient } from '../asana';
import { GitlabClient } from '../gitlab';
import { HybrisClusterClient } from '../hybris';
import { JenkinsClient } from '../jenkins';
import { PrometheusClient } from '../prometheus';
import { SlackClient } from '../slack';
import { SystemError } from './SystemError';

jest.setTimeout(60_000);

/*
 * Every client's failure says which system, at which URL (without credentials) and why: a port
 * nothing listens on, and the sandbox answering 500 through its /_sandbox/faults API.
 */

const retry = { attempts: 2, baseDelayMs: 1, maxDelayMs: 10 };
const secrets = {
  gitlab: sandboxGitlabTokens.maintainer,
  argocd: 'argocd-sandbox-token',
  jenkinsApi: jenkinsSandboxDefaults.apiToken,
  jenkinsBuild: jenkinsSandboxDefaults.buildToken,
  asana: asanaSandboxDefaults.token,
  slack: slackSandboxDefaults.botToken,
  prometheus: 'prometheus-sandbox-token',
};
const jenkinsBasic = Buffer.from(
  `${jenkinsSandboxDefaults.username}:${secrets.jenkinsApi}`,
).toString('base64');

interface Case {
  system: string;
  /** The sandbox path a fault is planned at. */
  faultPath: string;
  /** The URL the call goes to, from the system's base (the sandbox, or an unreachable one). */
  url: (base: string) => string;
  call: (base: string) => Promise<unknown>;
}

const cases: Case[] = [
  {
    system: 'Jenkins',
    faultPath: '/jenkins/job/kop/job/hybris-build/api/json',
    url: base => `${base}/jenkins/job/kop/job/hybris-build/api/json): `,
    call: base =>
      new JenkinsClient({
        baseUrl: `${base}/jenkins`,
        username: jenkinsSandboxDefaults.username,
        apiToken: secrets.jenkinsApi,
        buildToken: secrets.jenkinsBuild,
        retry,
      }).listBuilds('kop/hybris-build', 5),
  },
  {
    system: 'GitLab',
    faultPath: '/gitlab/api/v4/projects/kop%2Fhybris/repository/branches',
    url: base =>
      `${base}/gitlab/api/v4/projects/kop%2Fhybris/repository/branches?`,
    call: base =>
      new GitlabClient({
        apiBaseUrl: `${base}/gitlab/api/v4`,
        token: secrets.gitlab,
        retry,
      }).listBranches('kop/hybris', { search: '^deploy-', limit: 5 }),
  },
  {
    system: 'Argo CD',
    faultPath: '/argocd/beta/api/v1/applications/kop-hybris-beta',
    url: base => `${base}/argocd/beta/api/v1/applications/kop-hybris-beta): `,
    call: base =>
      new ArgoCdClient({
        instance: {
          name: 'beta',
          url: `${base}/argocd/beta`,
          token: secrets.argocd,
        },
        retry,
      }).getApplication('kop-hybris-beta'),
  },
  {
    system: 'Argo CD',
    faultPath: '/argocd/beta/api/v1/stream/applications',
    url: base => `${base}/argocd/beta/api/v1/stream/applications): `,
    call: async base => {
      const client = new ArgoCdClient({
        instance: {
          name: 'beta',
          url: `${base}/argocd/beta`,
          token: secrets.argocd,
        },
        retry,
      });
      const controller = new AbortController();
      const failed = new Promise<Error>(resolve => {
        const stream = client.watchApplications({
          signal: controller.signal,
          reconnect: { baseDelayMs: 1, maxDelayMs: 1 },
          onError: e => {
            controller.abort();
            resolve(e);
          },
        });
        stream.next().catch(() => undefined);
      });
      throw await failed;
    },
  },
  {
    system: 'Asana',
    faultPath: '/asana/api/1.0/tasks/1200000000000999',
    url: base => `${base}/asana/api/1.0/tasks/1200000000000999): `,
    call: base =>
      new AsanaClient({
        baseUrl: `${base}/asana/api/1.0`,
        token: secrets.asana,
        projectGid: asanaSandboxDefaults.projectGid,
        retry,
      }).getTask('1200000000000999'),
  },
  {
    system: 'Slack',
    faultPath: '/slack/api/chat.postMessage',
    url: base => `${base}/slack/api/chat.postMessage): `,
    call: base =>
      new SlackClient({
        apiUrl: `${base}/slack/api/`,
        botToken: secrets.slack,
        retry,
      }).postMessage({ channel: '#kop-release', text: 'kop smoke' }),
  },
  {
    system: 'Prometheus',
    faultPath: '/prometheus/api/v1/query',
    url: base => `${base}/prometheus/api/v1/query): `,
    call: base =>
      new PrometheusClient({
        baseUrl: `${base}/prometheus`,
        token: secrets.prometheus,
        retry,
      }).query('up', { time: 0 }),
  },
  {
    system: 'hybris',
    faultPath: '/hybris/beta/blue/cluster/status',
    url: base => `${base}/hybris/beta/blue/cluster/status): `,
    call: base =>
      new HybrisClusterClient({
        endpoints: { beta: { blue: `${base}/hybris/beta/blue` } },
        retry,
      }).clusterStatus('beta', 'blue'),
  },
];

/** The error `call` fails with, checked to name the system and the URL and to hold no secret. */
async function failureOf(c: Case, base: string): Promise<SystemError> {
  const error = await c.call(base).then(
    () => {
      throw new Error(`${c.system}: the call did not fail`);
    },
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(SystemError);
  const { message } = error as SystemError;
  expect(message.startsWith(`${c.system} (${c.url(base)}`)).toBe(true);
  expect((error as SystemError).system).toBe(c.system);
  for (const secret of [...Object.values(secrets), jenkinsBasic]) {
    expect(message).not.toContain(secret);
  }
  return error as SystemError;
}

describe('a system that cannot be reached', () => {
  let base: string;
  beforeAll(async () => {
    base = `http://127.0.0.1:${await closedPort()}`;
  });

  it.each(cases.map(c => [c.system, c.url('<base>'), c] as const))(
    '%s (%s) names the system, the URL and the refused connection',
    async (_system, _url, c) => {
      const error = await failureOf(c, base);
      expect(error.message).toMatch(
        new RegExp(
          `: connect ECONNREFUSED 127\\.0\\.0\\.1:${new URL(base).port}`,
        ),
      );
      expect(error.retryable).toBe(true);
    },
  );
});

describe('a system answering 500', () => {
  let sandbox: RunningSandbox;
  beforeAll(async () => {
    sandbox = await startSandbox({
      timeScale: 0,
      services: defaultSandboxServices(),
    });
  });
  afterAll(async () => {
    await sandbox?.close();
    if (sandbox) {
      rmSync(sandbox.context.dataDir, { recursive: true, force: true });
    }
  });
  afterEach(async () => {
    await fetch(`${sandbox.url}/_sandbox/faults`, { method: 'DELETE' });
  });

  it.each(cases.map(c => [c.system, c.url('<sandbox>'), c] as const))(
    '%s (%s) names the system, the URL and the answer',
    async (_system, _url, c) => {
      const planned = await fetch(`${sandbox.url}/_sandbox/faults`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({
          path: c.faultPath,
          count: 10,
          status: 500,
          body: { message: `${c.system} is having a bad day` },
        }),
      });
      expect(planned.status).toBe(201);
      const error = await failureOf(c, sandbox.url);
      expect(error.status).toBe(500);
      expect(error.message).toContain('(HTTP 500)');
      expect(error.retryable).toBe(true);
    },
  );
});
