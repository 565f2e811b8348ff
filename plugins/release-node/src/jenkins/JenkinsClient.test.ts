import { http, HttpResponse } from 'msw';
import { setupServer } from 'msw/node';
import { startSandbox, type RunningSandbox } from 'sandbox';
import {
  createJenkinsService,
  jenkinsSandboxDefaults,
  seededJenkinsBuilds,
} from 'sandbox';
import { createHash } from 'node:crypto';
import { inspect } from 'node:util';
import { SystemError } from '../http/SystemError';
import { captureLogger, recordingClock } from '../__testUtils__/clients';
import { realClock, type CallClock } from '../http/retryingCaller';
import {
  builtCommitOf,
  JenkinsClient,
  type JenkinsBuild,
  type JenkinsClientOptions,
} from './JenkinsClient';
import {
  bufferedFetch,
  createJenkinsHandlers,
} from './__testUtils__/jenkinsHandlers';

/** The commit both Jenkins check out for a branch of kop/hybris. */
const commitOf = (branch: string) =>
  createHash('sha1').update(branch).digest('hex');

interface JenkinsTarget {
  options: Omit<JenkinsClientOptions, 'clock'>;
  /** Polls: instant for msw (its state moves per poll), short real waits for the sandbox. */
  pollClock(): CallClock;
  start(): Promise<void>;
  stop(): Promise<void>;
  rateLimitNext(path: string, retryAfterSeconds: number): void;
  sandbox?: () => RunningSandbox;
}

function mswTarget(): JenkinsTarget {
  const options = {
    baseUrl: 'https://jenkins.test',
    username: 'kop-bot',
    apiToken: '11aa22bb33cc44dd55ee66ff77aa88bb99',
    buildToken: 'remote-trigger-token',
  };
  const { handlers } = createJenkinsHandlers({ ...options, commitOf });
  const server = setupServer(...handlers);
  return {
    options: { ...options, fetch: bufferedFetch },
    pollClock: () => recordingClock().clock,
    start: async () => server.listen({ onUnhandledRequest: 'error' }),
    stop: async () => server.close(),
    rateLimitNext(path, retryAfterSeconds) {
      server.use(
        http.get(
          `${options.baseUrl}${path}`,
          () =>
            new HttpResponse('Too Many Requests', {
              status: 429,
              headers: { 'retry-after': String(retryAfterSeconds) },
            }),
          { once: true },
        ),
      );
    },
  };
}

function sandboxTarget(): JenkinsTarget {
  let sandbox: RunningSandbox;
  const target: JenkinsTarget = {
    options: {
      baseUrl: '',
      username: jenkinsSandboxDefaults.username,
      apiToken: jenkinsSandboxDefaults.apiToken,
      buildToken: jenkinsSandboxDefaults.buildToken,
    },
    pollClock: () => realClock,
    async start() {
      sandbox = await startSandbox({
        timeScale: 0.005,
        services: [
          createJenkinsService({
            checkout: {
              project: 'kop/hybris',
              headOf: async branch => commitOf(branch),
              remoteUrl: origin => `${origin}/gitlab/kop/hybris.git`,
            },
          }),
        ],
      });
      target.options.baseUrl = `${sandbox.url}/jenkins`;
    },
    stop: () => sandbox.close(),
    rateLimitNext(path, retryAfterSeconds) {
      sandbox.context.faults.add({
        path: `/jenkins${path}`,
        method: 'GET',
        count: 1,
        status: 429,
        headers: { 'retry-after': String(retryAfterSeconds) },
      });
    },
    sandbox: () => sandbox,
  };
  return target;
}

describe.each([
  ['msw handlers from the documented responses', mswTarget],
  ['the sandbox', sandboxTarget],
])('JenkinsClient against %s', (_name, makeTarget) => {
  const target = makeTarget();
  beforeAll(() => target.start());
  afterAll(() => target.stop());

  const client = (options: Partial<JenkinsClientOptions> = {}) =>
    new JenkinsClient({
      ...target.options,
      clock: target.pollClock(),
      ...options,
    });

  it('checks the API token and that each job can be built', async () => {
    const result = await client().check([
      'kop/hybris-build',
      'kop/payment-tests',
      'kop/no-such-job',
    ]);
    expect(result).toEqual({
      system: 'Jenkins',
      ok: false,
      checks: [
        { name: 'API token', ok: true, detail: 'signed in as kop-bot' },
        { name: 'job kop/hybris-build', ok: true, detail: 'can be built' },
        { name: 'job kop/payment-tests', ok: true, detail: 'can be built' },
        {
          name: 'job kop/no-such-job',
          ok: false,
          detail: `Jenkins (${target.options.baseUrl}/job/kop/job/no-such-job/api/json): read kop/no-such-job failed (HTTP 404): not found`,
        },
      ],
    });
  });

  it('builds hybris from a deploy branch and reads the image tag it pushed', async () => {
    const jenkins = client();
    const progress: boolean[] = [];
    const build = await jenkins.runBuild(
      'kop/hybris-build',
      { BRANCH: 'deploy-2026-11-25' },
      { pollMs: 20, onProgress: b => progress.push(b.building) },
    );
    expect(build).toEqual(
      expect.objectContaining({
        job: 'kop/hybris-build',
        building: false,
        result: 'SUCCESS',
        parameters: { BRANCH: 'deploy-2026-11-25' },
        url: `${target.options.baseUrl}/job/kop/job/hybris-build/${build.number}/`,
        consoleUrl: `${target.options.baseUrl}/job/kop/job/hybris-build/${build.number}/console`,
        artifacts: [
          {
            fileName: 'image-tag.txt',
            relativePath: 'image-tag.txt',
            url: `${target.options.baseUrl}/job/kop/job/hybris-build/${build.number}/artifact/image-tag.txt`,
          },
        ],
      }),
    );
    expect(progress[progress.length - 1]).toBe(false);
    await expect(
      jenkins.readImageTag('kop/hybris-build', build.number),
    ).resolves.toBe(`deploy-2026-11-25-${build.number}`);
  });

  it("reads the commit a hybris build checked out from the git plugin's data, the branch's of several", async () => {
    const jenkins = client();
    const branch = 'deploy-2026-11-26';
    const build = await jenkins.runBuild(
      'kop/hybris-build',
      { BRANCH: branch },
      { pollMs: 20 },
    );
    expect(build.revisions).toContainEqual({
      sha: commitOf(branch),
      branches: [`refs/remotes/origin/${branch}`],
    });
    expect(builtCommitOf(build, branch)).toBe(commitOf(branch));
  });

  it('runs the payment tests for brands ks, tc and g4', async () => {
    const jenkins = client();
    const builds = [];
    for (const brand of ['ks', 'tc', 'g4']) {
      builds.push(
        await jenkins.runBuild(
          'kop/payment-tests',
          { BRAND: brand, ENVIRONMENT: 'beta' },
          { pollMs: 20 },
        ),
      );
    }
    expect(builds.map(b => [b.parameters.BRAND, b.result])).toEqual([
      ['ks', 'SUCCESS'],
      ['tc', 'SUCCESS'],
      ['g4', 'SUCCESS'],
    ]);
    expect(new Set(builds.map(b => b.number)).size).toBe(3);
  });

  it('follows the queue item to the build number in steps', async () => {
    const jenkins = client();
    const { queueId } = await jenkins.triggerBuild('kop/payment-tests', {
      BRAND: 'ks',
    });
    const number = await jenkins.waitForBuildNumber(queueId, { pollMs: 20 });
    await expect(jenkins.getQueueItem(queueId)).resolves.toEqual({
      id: queueId,
      cancelled: false,
      buildNumber: number,
    });
  });

  it('refuses the API token it was not given, in check() and on trigger', async () => {
    const jenkins = client({ apiToken: 'wrong-token-value' });
    const result = await jenkins.check(['kop/hybris-build']);
    expect(result.checks).toEqual([
      {
        name: 'API token',
        ok: false,
        detail: `Jenkins (${target.options.baseUrl}/me/api/json): sign in failed (HTTP 401): the user or API token was refused`,
      },
    ]);
    const error = await jenkins
      .triggerBuild('kop/hybris-build', { BRANCH: 'deploy-2026-11-25' })
      .catch(e => e);
    expect(error).toBeInstanceOf(SystemError);
    // The crumb is asked for first, and that is where the token is refused.
    expect(error.message).toBe(
      `Jenkins (${target.options.baseUrl}/crumbIssuer/api/json): trigger kop/hybris-build failed (HTTP 401): the user or API token was refused`,
    );
  });

  it('refuses job names that are not plain names, before any request', async () => {
    const jenkins = client();
    for (const job of ['kop/../../script', 'kop/hybris-build?x=1', '', '/']) {
      expect(() => jenkins.jobPath(job)).toThrow(
        /^Jenkins: find job failed: '.*' is not a job name like kop\/hybris-build$/,
      );
    }
    await expect(jenkins.getBuild('kop/..', 1)).rejects.toThrow(SystemError);
  });

  it('waits at least Retry-After after a 429 while polling', async () => {
    const { clock, sleeps } = recordingClock();
    const jenkins = client({ clock });
    const { queueId } = await jenkins.triggerBuild('kop/payment-tests', {
      BRAND: 'tc',
    });
    target.rateLimitNext(`/queue/item/${queueId}/api/json`, 7);
    await expect(jenkins.getQueueItem(queueId)).resolves.toEqual(
      expect.objectContaining({ id: queueId }),
    );
    expect(sleeps).toHaveLength(1);
    expect(sleeps[0]).toBeGreaterThanOrEqual(7000);
  });

  if (makeTarget === sandboxTarget) {
    it('shows the builds with their image tags on the sandbox page', async () => {
      const rows = await target.sandbox!().services[0].describe!();
      expect(rows).toContainEqual(
        expect.objectContaining({
          job: 'kop/hybris-build',
          status: 'SUCCESS',
          parameters: 'BRANCH=deploy-2026-11-25',
          'image tag': expect.stringMatching(/^deploy-2026-11-25-\d+$/),
        }),
      );
    });
  }
});

describe('JenkinsClient when Jenkins issues no crumbs', () => {
  it('triggers without one, and sees a failed payment test as a result, not an error', async () => {
    const sandbox = await startSandbox({
      timeScale: 0,
      services: [createJenkinsService({ crumbs: false, failBrands: ['g4'] })],
    });
    try {
      const jenkins = new JenkinsClient({
        baseUrl: `${sandbox.url}/jenkins`,
        username: jenkinsSandboxDefaults.username,
        apiToken: jenkinsSandboxDefaults.apiToken,
        clock: recordingClock().clock,
      });
      const build = await jenkins.runBuild('kop/payment-tests', {
        BRAND: 'g4',
        ENVIRONMENT: 'beta',
      });
      expect([build.building, build.result]).toEqual([false, 'FAILURE']);
    } finally {
      await sandbox.close();
    }
  });
});

describe('JenkinsClient secrets (RELIABILITY 8)', () => {
  const options = {
    baseUrl: 'https://jenkins.test',
    username: 'kop-bot',
    apiToken: '11secretapitoken22',
    buildToken: 'secret-trigger-token',
  };
  const server = setupServer(
    http.get(`${options.baseUrl}/crumbIssuer/api/json`, () =>
      HttpResponse.json({ crumb: 'c', crumbRequestField: 'Jenkins-Crumb' }),
    ),
    http.post(
      `${options.baseUrl}/job/kop/job/hybris-build/buildWithParameters`,
      async ({ request }) =>
        // Some proxies echo what they refused; the client must not pass it on.
        new HttpResponse(
          `<h1>Forbidden</h1><pre>${await request.text()}</pre>`,
          {
            status: 403,
          },
        ),
    ),
    http.get(`${options.baseUrl}/queue/item/1/api/json`, () =>
      HttpResponse.error(),
    ),
    http.get(
      `${options.baseUrl}/job/kop/job/hybris-build/1/api/json`,
      ({ request }) =>
        new HttpResponse(`bad auth ${request.headers.get('authorization')}`, {
          status: 500,
        }),
    ),
    http.get(`${options.baseUrl}/me/api/json`, () =>
      HttpResponse.json({ id: 'anonymous' }),
    ),
  );
  beforeAll(() => server.listen({ onUnhandledRequest: 'error' }));
  afterAll(() => server.close());

  it('appear in no error and no log line, whatever fails', async () => {
    const { logger, lines } = captureLogger();
    const jenkins = new JenkinsClient({
      ...options,
      fetch: bufferedFetch,
      logger,
      clock: recordingClock().clock,
      retry: { attempts: 2, baseDelayMs: 1, maxDelayMs: 10_000 },
    });
    const errors = await Promise.all([
      jenkins
        .triggerBuild('kop/hybris-build', { BRANCH: 'deploy-2026-11-25' })
        .catch(e => e),
      jenkins.getQueueItem(1).catch(e => e),
      jenkins.getBuild('kop/hybris-build', 1).catch(e => e),
    ]);
    const check = await jenkins.check(['kop/hybris-build']);
    expect(errors.map(e => e.message)).toEqual([
      expect.stringMatching(
        /^Jenkins \(https:\/\/jenkins\.test\/job\/kop\/job\/hybris-build\/buildWithParameters\): trigger kop\/hybris-build failed \(HTTP 403\): Forbidden .*token=\*\*\*/,
      ),
      'Jenkins (https://jenkins.test/queue/item/1/api/json): read queue item 1 failed: Failed to fetch',
      'Jenkins (https://jenkins.test/job/kop/job/hybris-build/1/api/json): read kop/hybris-build #1 failed (HTTP 500): bad auth Basic ***',
    ]);
    expect(check.checks[0]).toEqual({
      name: 'API token',
      ok: false,
      detail: 'Jenkins sees an anonymous user',
    });
    const basic = Buffer.from(
      `${options.username}:${options.apiToken}`,
    ).toString('base64');
    const everything = [
      ...errors.map(e => inspect(e, { depth: 20, showHidden: true })),
      JSON.stringify(check),
      ...lines,
    ].join('\n');
    expect(lines.length).toBeGreaterThan(0);
    for (const secret of [options.apiToken, options.buildToken, basic]) {
      expect(everything).not.toContain(secret);
    }
  });
});

describe('JenkinsClient.listBuilds and searchBuilds against the sandbox', () => {
  let sandbox: RunningSandbox;
  beforeAll(async () => {
    sandbox = await startSandbox({
      timeScale: 0.005,
      services: [createJenkinsService()],
    });
  });
  afterAll(() => sandbox.close());

  it("reads the newest builds whole, newest first, in one call with Jenkins' tree", async () => {
    const urls: string[] = [];
    const jenkins = new JenkinsClient({
      baseUrl: `${sandbox.url}/jenkins`,
      username: jenkinsSandboxDefaults.username,
      apiToken: jenkinsSandboxDefaults.apiToken,
      buildToken: jenkinsSandboxDefaults.buildToken,
      clock: realClock,
      fetch: (input, init) => {
        urls.push(String(input));
        return fetch(input, init);
      },
    });
    for (const branch of ['deploy-2026-11-24', 'deploy-2026-11-25']) {
      await jenkins.runBuild(
        'kop/hybris-build',
        { BRANCH: branch },
        { pollMs: 20 },
      );
    }
    const one = await jenkins.getBuild(
      'kop/hybris-build',
      seededJenkinsBuilds.length - 2,
    );
    urls.length = 0;
    const builds = await jenkins.listBuilds('kop/hybris-build', 5);
    expect(urls).toHaveLength(1);
    expect(decodeURIComponent(urls[0])).toContain(
      '/job/kop/job/hybris-build/api/json?tree=builds[number,building,result,',
    );
    // Ours, then the newest of the builds the sandbox starts with (one per seeded deploy branch).
    const seeded = seededJenkinsBuilds.length;
    expect(builds.map(b => [b.number, b.parameters.BRANCH, b.result])).toEqual([
      [seeded + 2, 'deploy-2026-11-25', 'SUCCESS'],
      [seeded + 1, 'deploy-2026-11-24', 'SUCCESS'],
      ...[...seededJenkinsBuilds]
        .reverse()
        .slice(0, 3)
        .map((b, i) => [seeded - i, b.parameters.BRANCH, 'SUCCESS']),
    ]);
    // The same build as read alone.
    expect(builds[builds.length - 1]).toEqual(one);
    expect(await jenkins.listBuilds('kop/hybris-build', 1)).toEqual([
      builds[0],
    ]);
  });

  it('looks past the newest 100 builds, with allBuilds, only when none of them is wanted', async () => {
    const urls: string[] = [];
    const jenkins = new JenkinsClient({
      baseUrl: `${sandbox.url}/jenkins`,
      username: jenkinsSandboxDefaults.username,
      apiToken: jenkinsSandboxDefaults.apiToken,
      buildToken: jenkinsSandboxDefaults.buildToken,
      clock: realClock,
      fetch: (input, init) => {
        urls.push(decodeURIComponent(String(input)));
        return fetch(input, init);
      },
    });
    const oldest = seededJenkinsBuilds[0].parameters.BRANCH;
    const calls = async (search: () => Promise<unknown>) => {
      urls.length = 0;
      await search();
      return urls.map(u =>
        u.replace(/^.*\/api\/json\?tree=(\w+)\[.*\](\{.*\})$/, '$1$2'),
      );
    };

    // Fewer than 100 builds: nothing older to ask for.
    expect(
      await calls(() =>
        jenkins.searchBuilds(
          'kop/hybris-build',
          b => b.parameters.BRANCH === 'x',
        ),
      ),
    ).toEqual(['builds{0,100}']);

    let last = 0;
    for (let i = 0; i < 100; i++) {
      ({ queueId: last } = await jenkins.triggerBuild('kop/hybris-build', {
        BRANCH: 'deploy-2026-11-27',
      }));
    }
    const total = await jenkins.waitForBuildNumber(last, { pollMs: 20 });

    let found: JenkinsBuild[] = [];
    expect(
      await calls(async () => {
        found = await jenkins.searchBuilds(
          'kop/hybris-build',
          b => b.parameters.BRANCH === 'deploy-2026-11-27',
        );
      }),
    ).toEqual(['builds{0,100}']);
    expect(found.map(b => b.number)).toEqual(
      Array.from({ length: 100 }, (_, i) => total - i),
    );

    expect(
      await calls(async () => {
        found = await jenkins.searchBuilds(
          'kop/hybris-build',
          b => b.parameters.BRANCH === oldest,
        );
      }),
    ).toEqual(['builds{0,100}', 'allBuilds{0,1000}']);
    expect(found).toHaveLength(total);
    expect(found[found.length - 1]).toEqual(
      expect.objectContaining({
        number: 1,
        result: 'SUCCESS',
        parameters: { BRANCH: oldest },
      }),
    );

    // At most `limit`, newest first.
    found = await jenkins.searchBuilds('kop/hybris-build', () => false, 102);
    expect(found.map(b => b.number)).toEqual(
      Array.from({ length: 102 }, (_, i) => total - i),
    );
  });

  it('answers a malformed tree with 400 naming where it broke', async () => {
    const res = await fetch(
      `${sandbox.url}/jenkins/job/kop/job/hybris-build/api/json?tree=builds[number`,
      {
        headers: {
          authorization: `Basic ${Buffer.from(
            `${jenkinsSandboxDefaults.username}:${jenkinsSandboxDefaults.apiToken}`,
          ).toString('base64')}`,
        },
      },
    );
    expect(res.status).toBe(400);
    expect(await res.text()).toBe(
      "tree: ']' is expected at 13 in 'builds[number'",
    );
  });
});
