import type { DeployPlanStep } from '@internal/plugin-release-common';
import { builtCommitOf } from '../jenkins/JenkinsClient';
import { leaseLost, type Unfinished } from './failures';
import type {
  StepContext,
  StepOutputs,
  StepReading,
  StepSettings,
  StepTestOutput,
} from './types';

/*
 * The call steps around the deploy: a version's Jenkins build, and the payment and post-deploy
 * tests. Each reads Jenkins before it triggers and keeps the queue item or build number it follows
 * in the outputs, so a step called again follows the same build instead of starting another.
 */

type StageRun = {
  step: DeployPlanStep;
  ctx: StepContext;
  outputs: StepOutputs;
  settings: StepSettings;
  now: () => number;
};

function target(step: DeployPlanStep, name: string): string {
  const value = step.call?.target[name];
  if (typeof value !== 'string' || !value) {
    throw new Error(`${step.id}: the call's target has no ${name}`);
  }
  return value;
}

function jenkinsOf(ctx: StepContext) {
  if (!ctx.jenkins) {
    throw new Error('Jenkins is not configured (jenkins.baseUrl)');
  }
  return ctx.jenkins;
}

function waiting(
  run: StageRun,
  reason: string,
  checks: StepReading[],
): Unfinished {
  return {
    status: 'waiting',
    reason,
    readings: { checks },
    wakeAfterMs: run.settings.jenkinsPollMs,
    outputs: run.outputs,
  };
}

/**
 * Builds the version with the app's Jenkins job unless a build of it succeeded or is running:
 * that one is followed instead, or the very build the plan names (`number`, one that succeeded
 * before the release). Done with the build number, the image tag it pushed and the commit it built;
 * a build that did not succeed fails the step with its console link.
 */
export async function runBuild(run: StageRun): Promise<Unfinished | undefined> {
  const { step, ctx, outputs } = run;
  const jenkins = jenkinsOf(ctx);
  const job = target(step, 'job');
  const version = target(step, 'version');
  const ofVersion = (b: { parameters: Record<string, string> }) =>
    b.parameters.BRANCH === version;
  const pinned = step.call?.target.number;
  if (!outputs.build && pinned !== undefined) {
    const number = Number(pinned);
    if (!Number.isInteger(number) || number < 1) {
      throw new Error(`${step.id}: the call's target number is not a build`);
    }
    outputs.build = {
      system: 'jenkins',
      job,
      app: target(step, 'app'),
      version,
      triggered: false,
      number,
    };
  }
  if (!outputs.build) {
    const builds = await jenkins.searchBuilds(
      job,
      b => ofVersion(b) && (b.building || b.result === 'SUCCESS'),
    );
    const found =
      builds.find(b => ofVersion(b) && b.result === 'SUCCESS') ??
      builds.find(b => ofVersion(b) && b.building);
    const base = {
      system: 'jenkins' as const,
      job,
      app: target(step, 'app'),
      version,
    };
    if (found) {
      outputs.build = { ...base, triggered: false, number: found.number };
    } else {
      const lost = leaseLost(ctx, outputs);
      if (lost) return lost;
      // Sent again after a lost answer, Jenkins folds it into the item already queued (same parameters).
      const { queueId } = await jenkins.triggerBuild(job, { BRANCH: version });
      outputs.build = { ...base, triggered: true, queueId };
      return waiting(run, `${job}: the build of ${version} is queued`, []);
    }
  }
  const build = outputs.build;
  if (build.number === undefined) {
    const item = await jenkins.getQueueItem(build.queueId!);
    if (item.cancelled) {
      return {
        status: 'failed',
        error: `Jenkins: the build of ${version} was cancelled in the queue of ${job}`,
        retryable: false,
        outputs,
      };
    }
    if (item.buildNumber === undefined) {
      return waiting(
        run,
        `${job}: the build of ${version} is queued${
          item.why ? ` (${item.why})` : ''
        }`,
        [],
      );
    }
    build.number = item.buildNumber;
  }
  const links = jenkins.links(job, build.number);
  build.url = links.buildUrl;
  build.consoleUrl = links.consoleUrl;
  const seen = await jenkins.getBuild(job, build.number);
  if (seen.building) {
    return waiting(run, `${job} #${build.number} builds ${version}`, [
      { name: 'build', ok: false, detail: `#${build.number} building` },
    ]);
  }
  if (seen.parameters.BRANCH !== undefined && !ofVersion(seen)) {
    return {
      status: 'failed',
      error: `Jenkins: ${job} #${build.number} built ${seen.parameters.BRANCH}, not ${version}; its console: ${links.consoleUrl}`,
      retryable: false,
      outputs,
    };
  }
  if (seen.result === 'SUCCESS') {
    // A success is kept only with its tag, which the deploy writes: a tag not read is read again.
    build.imageTag = await jenkins.readImageTag(job, build.number);
    // What the image was built from, so the version that runs resolves to it once deployed.
    const commit = builtCommitOf(seen, version);
    if (commit) build.commit = commit;
  }
  build.result = seen.result ?? 'NOT_BUILT';
  build.durationMs = seen.durationMs;
  if (seen.result !== 'SUCCESS') {
    return {
      status: 'failed',
      error: `Jenkins: ${job} #${build.number} of ${version} finished ${build.result}; its console: ${links.consoleUrl}`,
      retryable: false,
      readings: {
        checks: [
          {
            name: 'build',
            ok: false,
            detail: `#${build.number} ${build.result}`,
          },
        ],
      },
      outputs,
    };
  }
  return undefined;
}

/** The tests a step runs, before any was started. */
function testsOf(step: DeployPlanStep): StepTestOutput[] {
  const call = step.call!;
  if (call.operation === 'payment-tests') {
    const job = target(step, 'job');
    return target(step, 'brands')
      .split(',')
      .map(brand => ({ name: brand, brand, kind: 'jenkins', job }));
  }
  return (step.tests ?? []).map(test =>
    test.kind === 'jenkins'
      ? { name: test.name, kind: 'jenkins', job: test.job }
      : { name: test.name, kind: 'http', job: test.url },
  );
}

/** The parameters a test's Jenkins job is run with. */
function parametersOf(
  test: StepTestOutput,
  environment: string,
): Record<string, string> {
  return test.brand
    ? { BRAND: test.brand, ENVIRONMENT: environment }
    : { ENVIRONMENT: environment };
}

/**
 * Runs every test of a payment or post-deploy tests step at once and waits until each has a
 * result: a Jenkins job per brand or test (passed when it ends SUCCESS), or an HTTP check of a URL
 * (passed on the expected status). A test that fails is a result, not a failed step: the release
 * records it and people decide.
 */
export async function runTests(run: StageRun): Promise<Unfinished | undefined> {
  const { step, ctx, outputs, settings } = run;
  const environment = target(step, 'environment');
  const kind =
    step.call!.operation === 'payment-tests' ? 'payment' : 'post-deploy';
  if (!outputs.tests) {
    const lost = leaseLost(ctx, outputs);
    if (lost) return lost;
    const tests = testsOf(step);
    if (!tests.length) throw new Error(`${step.id}: no test to run`);
    outputs.tests = { kind, environment, results: tests };
  }
  const results = outputs.tests.results;
  await Promise.all(
    results
      .filter(t => !t.result)
      .map(async test => {
        if (test.kind === 'http') {
          await httpCheck(run, test, step);
          return;
        }
        const jenkins = jenkinsOf(ctx);
        if (test.queueId === undefined && test.number === undefined) {
          // Sent again after a lost answer, Jenkins folds it into the item already queued (same parameters).
          test.queueId = (
            await jenkins.triggerBuild(
              test.job,
              parametersOf(test, environment),
            )
          ).queueId;
          return;
        }
        if (test.number === undefined) {
          const item = await jenkins.getQueueItem(test.queueId!);
          if (item.cancelled) {
            test.result = 'failed';
            test.detail = 'cancelled in the Jenkins queue';
            test.durationMs = 0;
            return;
          }
          if (item.buildNumber === undefined) return;
          test.number = item.buildNumber;
        }
        test.url = jenkins.links(test.job, test.number).buildUrl;
        const build = await jenkins.getBuild(test.job, test.number);
        if (build.building) return;
        test.result = build.result === 'SUCCESS' ? 'passed' : 'failed';
        test.durationMs = build.durationMs;
        if (test.result === 'failed') {
          test.detail = `#${test.number} finished ${
            build.result ?? 'NOT_BUILT'
          }`;
        }
      }),
  );
  const open = results.filter(t => !t.result);
  if (!open.length) return undefined;
  return {
    status: 'waiting',
    reason: `waiting for ${open.map(t => t.name).join(', ')}`,
    readings: {
      checks: results.map(t => ({
        name: t.name,
        ok: t.result === 'passed',
        detail:
          t.result ??
          (t.number !== undefined ? `#${t.number} running` : 'queued'),
      })),
    },
    wakeAfterMs: settings.jenkinsPollMs,
    outputs,
  };
}

/** One HTTP check: the URL answers the expected status within the timeout. */
async function httpCheck(
  run: StageRun,
  test: StepTestOutput,
  step: DeployPlanStep,
): Promise<void> {
  const { ctx, settings, now } = run;
  const check = step.tests?.find(t => t.name === test.name);
  const expected = check?.kind === 'http' ? check.expectStatus : 200;
  const fetchImpl = ctx.fetch ?? fetch;
  const begun = now();
  test.url = test.job;
  try {
    const response = await fetchImpl(test.job, {
      method: 'GET',
      redirect: 'manual',
      signal: AbortSignal.timeout(settings.httpCheckTimeoutMs),
    });
    await response.body?.cancel().catch(() => undefined);
    test.result = response.status === expected ? 'passed' : 'failed';
    if (test.result === 'failed') {
      test.detail = `answered ${response.status}, expected ${expected}`;
    }
  } catch (e) {
    test.result = 'failed';
    test.detail = `no answer: ${
      (e as Error).name === 'TimeoutError' ? 'timed out' : (e as Error).message
    }`;
  }
  test.durationMs = Math.max(0, now() - begun);
}
