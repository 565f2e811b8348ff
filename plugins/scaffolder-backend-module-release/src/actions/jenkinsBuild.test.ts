import { InputError } from '@backstage/errors';
import {
  JenkinsClient,
  readReleaseLayout,
} from '@internal/plugin-release-node';
import { ConfigReader } from '@backstage/config';
import { http, HttpResponse } from 'msw';
import { createJenkinsService, seededJenkinsBuilds } from 'sandbox';
import {
  actionContext,
  CheckpointStore,
  outputsOf,
} from '../__testUtils__/context';
import {
  bufferedFetch,
  instantClock,
  strictServer,
} from '../__testUtils__/msw';
import { startKopSandbox } from '../__testUtils__/sandbox';
import { createJenkinsBuildAction } from './jenkinsBuild';

const BASE = 'https://jenkins.kop.test';
const JOB = `${BASE}/job/kop/job/hybris-build`;
const layout = readReleaseLayout(new ConfigReader({}));

/** Reads only: who the token is, and the job. */
const readHandlers = [
  http.get(`${BASE}/me/api/json`, () => HttpResponse.json({ id: 'kop-bot' })),
  http.get(`${JOB}/api/json`, () =>
    HttpResponse.json({ name: 'hybris-build', buildable: true }),
  ),
];

/** A build that is queued, runs for one poll, and ends with `result`. */
function buildHandlers(result: 'SUCCESS' | 'FAILURE') {
  let polls = 0;
  const triggered: URLSearchParams[] = [];
  const handlers = [
    http.get(
      `${BASE}/crumbIssuer/api/json`,
      () => new HttpResponse(null, { status: 404 }),
    ),
    http.post(`${JOB}/buildWithParameters`, async ({ request }) => {
      triggered.push(new URLSearchParams(await request.text()));
      return new HttpResponse(null, {
        status: 201,
        headers: { location: `${BASE}/queue/item/41/` },
      });
    }),
    http.get(`${BASE}/queue/item/41/api/json`, () =>
      HttpResponse.json({ id: 41, executable: { number: 7 } }),
    ),
    http.get(`${JOB}/7/api/json`, () => {
      polls += 1;
      return HttpResponse.json({
        number: 7,
        building: polls < 2,
        result: polls < 2 ? null : result,
        duration: 60_000,
        artifacts: [
          { fileName: 'image-tag.txt', relativePath: 'image-tag.txt' },
        ],
      });
    }),
    http.get(`${JOB}/7/artifact/image-tag.txt`, () =>
      HttpResponse.text('deploy-2026-01-08-7\n'),
    ),
  ];
  return { handlers, triggered };
}

describe('kop:jenkins:build with Jenkins answering as documented (msw)', () => {
  const client = () =>
    new JenkinsClient({
      baseUrl: BASE,
      username: 'kop-bot',
      apiToken: 'jenkins-api-token-0123',
      buildToken: 'remote-trigger-token',
      clock: instantClock(),
      fetch: bufferedFetch,
    });
  const action = () =>
    createJenkinsBuildAction({
      integrations: { jenkins: client() },
      layout,
      pollMs: 1000,
    });

  it('checks the job in a dry run and sends no write request', async () => {
    const { server, requests } = strictServer(...readHandlers);
    server.listen({ onUnhandledRequest: 'error' });
    try {
      const ctx = actionContext(
        { app: 'hybris' as const, branch: 'deploy-2026-01-08' },
        { dryRun: true },
      );
      await action().handler(ctx);
      expect(outputsOf(ctx)).toEqual({ job: 'kop/hybris-build' });
      expect(requests).toEqual([
        'GET /me/api/json',
        'GET /job/kop/job/hybris-build/api/json',
      ]);
    } finally {
      server.close();
    }
  });

  it('triggers the build once, waits for it and outputs its number and image tag', async () => {
    const { handlers, triggered } = buildHandlers('SUCCESS');
    const { server } = strictServer(...readHandlers, ...handlers);
    server.listen({ onUnhandledRequest: 'error' });
    try {
      const checkpoints = new CheckpointStore();
      const input = { app: 'hybris' as const, branch: 'deploy-2026-01-08' };
      const ctx = actionContext(input, { checkpoints });
      await action().handler(ctx);
      expect(outputsOf(ctx)).toEqual({
        job: 'kop/hybris-build',
        buildNumber: 7,
        buildUrl: `${JOB}/7/`,
        result: 'SUCCESS',
        imageTag: 'deploy-2026-01-08-7',
      });
      expect(triggered.map(t => Object.fromEntries(t))).toEqual([
        { BRANCH: 'deploy-2026-01-08', token: 'remote-trigger-token' },
      ]);

      // A retried task follows the same build; nothing is queued again.
      const retry = actionContext(input, { checkpoints });
      await action().handler(retry);
      expect(triggered).toHaveLength(1);
      expect(outputsOf(retry).imageTag).toBe('deploy-2026-01-08-7');
    } finally {
      server.close();
    }
  });

  it('fails with the console link when the build fails, and outputs no image tag', async () => {
    const { handlers } = buildHandlers('FAILURE');
    const { server } = strictServer(...readHandlers, ...handlers);
    server.listen({ onUnhandledRequest: 'error' });
    try {
      const ctx = actionContext({ branch: 'deploy-2026-01-08' });
      await expect(action().handler(ctx)).rejects.toThrow(
        `Jenkins: kop/hybris-build #7 finished FAILURE: ${JOB}/7/console`,
      );
      expect(outputsOf(ctx).imageTag).toBeUndefined();
    } finally {
      server.close();
    }
  });

  it('refuses an app without a build job and a bad parameter name before calling Jenkins', async () => {
    await expect(
      action().handler(actionContext({ app: 'web' as const })),
    ).rejects.toThrow(
      new InputError(
        'app web has no Jenkins build: set release.apps.web.build.jenkinsJob',
      ),
    );
    await expect(
      action().handler(actionContext({ parameters: { 'BRANCH; rm': 'x' } })),
    ).rejects.toThrow("parameters has an invalid parameter name 'BRANCH; rm'");
  });
});

describe('kop:jenkins:build against the sandbox Jenkins', () => {
  let kop: Awaited<ReturnType<typeof startKopSandbox>>;
  beforeAll(async () => {
    kop = await startKopSandbox({
      timeScale: 0.005,
      services: [createJenkinsService()],
    });
  });
  afterAll(() => kop.stop());

  it('builds the deploy branch and reads the image tag the build pushed', async () => {
    const action = createJenkinsBuildAction({
      integrations: kop.integrations,
      layout: kop.layout,
      pollMs: 20,
    });
    const ctx = actionContext({
      app: 'hybris' as const,
      branch: 'deploy-2026-01-08',
    });
    await action.handler(ctx);
    const out = outputsOf(ctx);
    // The build after those the sandbox's Jenkins already ran.
    const number = seededJenkinsBuilds.length + 1;
    expect(out).toEqual({
      job: 'kop/hybris-build',
      buildNumber: number,
      buildUrl: `${kop.url}/jenkins/job/kop/job/hybris-build/${number}/`,
      result: 'SUCCESS',
      imageTag: `deploy-2026-01-08-${number}`,
    });
    const build = await kop.integrations.jenkins.getBuild(
      'kop/hybris-build',
      number,
    );
    expect(build.parameters).toEqual({ BRANCH: 'deploy-2026-01-08' });
  });
});
