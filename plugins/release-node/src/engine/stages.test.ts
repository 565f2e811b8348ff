import { ConfigReader } from '@backstage/config';
import type { DeployPlanStep } from '@internal/plugin-release-common';
import type { GitlabClient } from '../gitlab/GitlabClient';
import type { JenkinsBuild } from '../jenkins/JenkinsClient';
import { readReleaseLayout } from '../layout';
import { executeStep } from './executeStep';
import type { StepContext, StepOutputs, StepProgress } from './types';

const layout = readReleaseLayout(new ConfigReader({}));
const VERSION = 'deploy-2026-01-08';
/** The commit the fake Jenkins checks out for a build of VERSION. */
const BUILT = 'c0ffee'.padEnd(40, '0');

/** A Jenkins that queues, numbers and finishes builds when the test says. */
function fakeJenkins(existing: Array<Partial<JenkinsBuild>> = []) {
  const builds: JenkinsBuild[] = existing.map((b, i) => ({
    job: 'kop/hybris-build',
    number: i + 1,
    building: false,
    result: 'SUCCESS',
    url: '',
    consoleUrl: '',
    parameters: {},
    artifacts: [],
    durationMs: 1000,
    revisions: [],
    ...b,
  }));
  const queued = new Map<number, JenkinsBuild>();
  const triggers: Array<{ job: string; parameters: Record<string, string> }> =
    [];
  const failing = new Set<string>();
  const jenkins = {
    triggers,
    failing,
    /** Every queued item becomes a build, running. */
    start() {
      for (const [id, b] of queued) {
        if (!builds.includes(b)) builds.push(b);
        queued.set(id, b);
      }
    },
    /** Every running build ends, failing those whose BRAND or BRANCH is in `failing`. */
    finish() {
      for (const b of builds.filter(x => x.building)) {
        b.building = false;
        const key = b.parameters.BRAND ?? b.parameters.BRANCH;
        b.result = failing.has(key) ? 'FAILURE' : 'SUCCESS';
        b.durationMs = 4200;
        if (b.parameters.BRANCH) {
          b.revisions = [
            {
              sha: BUILT,
              branches: [`refs/remotes/origin/${b.parameters.BRANCH}`],
            },
          ];
        }
      }
    },
    async triggerBuild(job: string, parameters: Record<string, string> = {}) {
      triggers.push({ job, parameters });
      const id = 100 + triggers.length;
      queued.set(id, {
        job,
        number: builds.filter(b => b.job === job).length + queued.size + 1,
        building: true,
        result: null,
        url: '',
        consoleUrl: '',
        parameters,
        artifacts: [],
        durationMs: 0,
        revisions: [],
      });
      return { queueId: id };
    },
    async getQueueItem(id: number) {
      const b = queued.get(id)!;
      return {
        id,
        cancelled: false,
        buildNumber: builds.includes(b) ? b.number : undefined,
      };
    },
    async getBuild(job: string, number: number) {
      return builds.find(b => b.job === job && b.number === number)!;
    },
    async searchBuilds(job: string) {
      return builds.filter(b => b.job === job).reverse();
    },
    async readImageTag(_job: string, number: number) {
      return `${VERSION}-${number}`;
    },
    links(job: string, number: number) {
      const buildUrl = `https://jenkins.example/job/${job}/${number}/`;
      return {
        buildUrl,
        consoleUrl: `${buildUrl}console`,
        artifactUrl: (p: string) => `${buildUrl}artifact/${p}`,
      };
    },
  };
  return jenkins;
}

const buildStep: DeployPlanStep = {
  id: 'hybris.build',
  kind: 'call',
  app: 'hybris',
  phase: 'deploying',
  title: 'Build',
  sync: [],
  gate: { type: 'none' },
  call: {
    system: 'jenkins',
    operation: 'build',
    target: { job: 'kop/hybris-build', app: 'hybris', version: VERSION },
  },
};

/** The build step of a plan that found build #1 of the version before the release. */
const pinned: DeployPlanStep = {
  ...buildStep,
  call: {
    ...buildStep.call!,
    target: { ...buildStep.call!.target, number: '1' },
  },
};

const paymentStep: DeployPlanStep = {
  id: 'tests.payment',
  kind: 'call',
  phase: 'deploying',
  title: 'Payment tests',
  sync: [],
  gate: { type: 'none' },
  call: {
    system: 'jenkins',
    operation: 'payment-tests',
    target: {
      job: 'kop/payment-tests',
      brands: 'ks,tc,g4',
      environment: 'beta',
    },
  },
};

function contextOf(
  jenkins: ReturnType<typeof fakeJenkins>,
  more: Partial<StepContext> = {},
): StepContext {
  return {
    plan: {
      releaseId: 'r1',
      environment: 'beta',
      iac: { project: 'kop/kop-deploy-beta', branch: 'main', baseSha: 'a' },
    },
    layout,
    gitlab: {} as GitlabClient,
    argocd: {} as StepContext['argocd'],
    jenkins,
    ...more,
  };
}

/** Calls the step as the runner does, handing back its outputs each time. */
async function callAgain(
  step: DeployPlanStep,
  ctx: StepContext,
  previous?: StepOutputs,
): Promise<StepProgress> {
  return executeStep(step, { ...ctx, previousOutputs: previous });
}

describe('the stages around the deploy', () => {
  it('builds a version with no build: triggers once, follows the queue item and records the number, image tag and commit built', async () => {
    const jenkins = fakeJenkins();
    const ctx = contextOf(jenkins);
    const queued = await callAgain(buildStep, ctx);
    expect(queued.status).toBe('waiting');
    expect(jenkins.triggers).toEqual([
      { job: 'kop/hybris-build', parameters: { BRANCH: VERSION } },
    ]);
    jenkins.start();
    const building = await callAgain(buildStep, ctx, queued.outputs);
    expect(building).toMatchObject({
      status: 'waiting',
      reason: `kop/hybris-build #1 builds ${VERSION}`,
    });
    jenkins.finish();
    const done = await callAgain(buildStep, ctx, building.outputs);
    expect(done.status).toBe('done');
    expect(done.outputs.build).toMatchObject({
      triggered: true,
      number: 1,
      result: 'SUCCESS',
      imageTag: `${VERSION}-1`,
      commit: BUILT,
      consoleUrl: 'https://jenkins.example/job/kop/hybris-build/1/console',
    });
    // Called again with its outputs, nothing is triggered again.
    await callAgain(buildStep, ctx, done.outputs);
    expect(jenkins.triggers).toHaveLength(1);
  });

  it('follows a build of the version that succeeded or runs, without triggering one', async () => {
    const jenkins = fakeJenkins([
      { parameters: { BRANCH: VERSION }, result: 'FAILURE' },
      { parameters: { BRANCH: VERSION } },
    ]);
    const done = await callAgain(buildStep, contextOf(jenkins));
    expect(done.status).toBe('done');
    expect(done.outputs.build).toMatchObject({ triggered: false, number: 2 });
    expect(done.outputs.call).toEqual({ operation: 'build', acted: false });
    expect(jenkins.triggers).toEqual([]);
  });

  it('follows the very build the plan names, not a newer one, and takes the tag it pushed and the commit it built', async () => {
    const onBranch = (sha: string, branch: string) => ({
      sha,
      branches: [`refs/remotes/origin/${branch}`],
    });
    const jenkins = fakeJenkins([
      {
        parameters: { BRANCH: VERSION },
        // A pipeline that also checked out its library: the commit is the one on the branch built.
        revisions: [
          onBranch('1'.repeat(40), 'main'),
          onBranch('2'.repeat(40), VERSION),
        ],
      },
      {
        parameters: { BRANCH: VERSION },
        revisions: [onBranch('3'.repeat(40), VERSION)],
      },
    ]);
    const done = await callAgain(pinned, contextOf(jenkins));
    expect(done.status).toBe('done');
    expect(done.outputs.build).toMatchObject({
      triggered: false,
      number: 1,
      result: 'SUCCESS',
      imageTag: `${VERSION}-1`,
      commit: '2'.repeat(40),
    });
    expect(jenkins.triggers).toEqual([]);
  });

  it('records a build without git data with its tag and no commit', async () => {
    const jenkins = fakeJenkins([{ parameters: { BRANCH: VERSION } }]);
    const done = await callAgain(pinned, contextOf(jenkins));
    expect(done.status).toBe('done');
    expect(done.outputs.build).toMatchObject({ imageTag: `${VERSION}-1` });
    expect(done.outputs.build).not.toHaveProperty('commit');
  });

  it('refuses a named build that built another version', async () => {
    const jenkins = fakeJenkins([
      { parameters: { BRANCH: 'deploy-2026-01-06' } },
    ]);
    const refused = await callAgain(pinned, contextOf(jenkins));
    expect(refused).toMatchObject({
      status: 'failed',
      retryable: false,
      error: `Jenkins: kop/hybris-build #1 built deploy-2026-01-06, not ${VERSION}; its console: https://jenkins.example/job/kop/hybris-build/1/console`,
    });
    expect(refused.outputs.build?.result).toBeUndefined();
  });

  it('keeps no success whose image tag could not be read, so the release records none without its tag', async () => {
    const jenkins = fakeJenkins([{ parameters: { BRANCH: VERSION } }]);
    const ctx = contextOf(jenkins, {
      jenkins: {
        ...jenkins,
        readImageTag: async () => {
          throw new Error('Jenkins: image-tag.txt does not hold an image tag');
        },
      },
    });
    const failed = await callAgain(buildStep, ctx);
    expect(failed).toMatchObject({
      status: 'failed',
      error: 'Jenkins: image-tag.txt does not hold an image tag',
    });
    expect(failed.outputs.build).toMatchObject({ number: 1 });
    expect(failed.outputs.build?.result).toBeUndefined();
    expect(failed.outputs.build?.imageTag).toBeUndefined();
    const done = await callAgain(buildStep, contextOf(jenkins), failed.outputs);
    expect(done.outputs.build).toMatchObject({
      number: 1,
      result: 'SUCCESS',
      imageTag: `${VERSION}-1`,
    });
  });

  it('fails the step with the console link when the build fails', async () => {
    const jenkins = fakeJenkins();
    jenkins.failing.add(VERSION);
    const ctx = contextOf(jenkins);
    const queued = await callAgain(buildStep, ctx);
    jenkins.start();
    jenkins.finish();
    const failed = await callAgain(buildStep, ctx, queued.outputs);
    expect(failed).toMatchObject({
      status: 'failed',
      retryable: false,
      error: `Jenkins: kop/hybris-build #1 of ${VERSION} finished FAILURE; its console: https://jenkins.example/job/kop/hybris-build/1/console`,
    });
    expect(failed.outputs.build).toMatchObject({ result: 'FAILURE' });
  });

  it('runs the payment tests of every brand at once; a failing brand is a result, not a failed step', async () => {
    const jenkins = fakeJenkins();
    jenkins.failing.add('tc');
    const ctx = contextOf(jenkins);
    const first = await callAgain(paymentStep, ctx);
    expect(first.status).toBe('waiting');
    expect(jenkins.triggers.map(t => t.parameters)).toEqual([
      { BRAND: 'ks', ENVIRONMENT: 'beta' },
      { BRAND: 'tc', ENVIRONMENT: 'beta' },
      { BRAND: 'g4', ENVIRONMENT: 'beta' },
    ]);
    jenkins.start();
    const running = await callAgain(paymentStep, ctx, first.outputs);
    expect(running).toMatchObject({
      status: 'waiting',
      reason: 'waiting for ks, tc, g4',
    });
    jenkins.finish();
    const done = await callAgain(paymentStep, ctx, running.outputs);
    expect(done.status).toBe('done');
    expect(
      done.outputs.tests?.results.map(t => [t.brand, t.result, t.durationMs]),
    ).toEqual([
      ['ks', 'passed', 4200],
      ['tc', 'failed', 4200],
      ['g4', 'passed', 4200],
    ]);
    expect(jenkins.triggers).toHaveLength(3);
  });

  it('checks URLs for the post-deploy tests: the expected status passes, another or no answer fails', async () => {
    const step: DeployPlanStep = {
      ...paymentStep,
      id: 'tests.post-deploy',
      phase: 'verifying',
      call: {
        system: 'tests',
        operation: 'post-deploy-tests',
        target: { environment: 'prod' },
      },
      tests: [
        {
          kind: 'http',
          name: 'home',
          url: 'https://kop.example/',
          expectStatus: 200,
        },
        {
          kind: 'http',
          name: 'api',
          url: 'https://kop.example/api',
          expectStatus: 200,
        },
        {
          kind: 'http',
          name: 'down',
          url: 'https://down.example/',
          expectStatus: 200,
        },
      ],
    };
    const fetchImpl = (async (url: string) => {
      if (url.startsWith('https://down')) throw new TypeError('fetch failed');
      return new Response('', { status: url.endsWith('/api') ? 503 : 200 });
    }) as unknown as typeof fetch;
    const done = await callAgain(
      step,
      contextOf(fakeJenkins(), { fetch: fetchImpl }),
    );
    expect(done.status).toBe('done');
    expect(
      done.outputs.tests?.results.map(t => [t.name, t.result, t.detail]),
    ).toEqual([
      ['home', 'passed', undefined],
      ['api', 'failed', 'answered 503, expected 200'],
      ['down', 'failed', 'no answer: fetch failed'],
    ]);
  });

  it('fails a build step naming the missing Jenkins configuration', async () => {
    const result = await executeStep(buildStep, {
      ...contextOf(fakeJenkins()),
      jenkins: undefined,
    });
    expect(result).toMatchObject({
      status: 'failed',
      error: 'Jenkins is not configured (jenkins.baseUrl)',
    });
  });
});
