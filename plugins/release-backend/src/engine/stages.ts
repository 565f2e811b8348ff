import type {
  ReleaseBuild,
  ReleaseTestRun,
} from '@internal/plugin-release-common';
import {
  resolveBuiltImages,
  type StepOutputs,
} from '@internal/plugin-release-node';
import type { EngineStage } from '../service/ReleaseService';
import type { DeployRun } from './types';

/** A run's plan with the image tags its build steps pushed written in place of their placeholders. */
export function writtenPlanOf(run: Pick<DeployRun, 'plan' | 'steps'>) {
  return resolveBuiltImages(
    run.plan,
    run.steps.map(s => ({
      index: s.index,
      outputs: s.outputs as StepOutputs | undefined,
    })),
  );
}

/**
 * What a step that finished says about the release's stages, if anything: a build that ended
 * (deploy.build, the build recorded on the release) or tests that all have a result
 * (tests.payment or tests.post-deploy, the run recorded on the release).
 */
export function stageOf(
  run: Pick<DeployRun, 'id' | 'environment' | 'plan'>,
  index: number,
  outputs: object | undefined,
  at: string,
): EngineStage | undefined {
  const { build, tests } = (outputs ?? {}) as StepOutputs;
  const stepId = run.plan.steps[index]?.id;
  if (build?.result && build.number !== undefined) {
    const success = build.result === 'SUCCESS' || build.result === 'success';
    const recorded: ReleaseBuild = {
      app: build.app as ReleaseBuild['app'],
      version: build.version,
      system: build.system,
      job: build.job,
      buildNumber: build.number,
      ...(build.imageTag ? { imageTag: build.imageTag } : {}),
      ...(build.commit ? { commit: build.commit } : {}),
      url: build.url ?? '',
      ...(build.consoleUrl ? { consoleUrl: build.consoleUrl } : {}),
      result: success ? 'success' : 'failed',
      at,
    };
    return {
      action: 'deploy.build',
      outcome: success ? 'success' : 'failure',
      meta: {
        runId: run.id,
        stepId,
        environment: run.environment,
        app: recorded.app,
        version: recorded.version,
        system: recorded.system,
        job: recorded.job,
        buildNumber: recorded.buildNumber,
        ...(recorded.imageTag ? { imageTag: recorded.imageTag } : {}),
        ...(recorded.commit ? { commit: recorded.commit } : {}),
        url: recorded.url,
        ...(recorded.consoleUrl ? { consoleUrl: recorded.consoleUrl } : {}),
        result: recorded.result,
        triggered: build.triggered,
      },
      apply: release => {
        release.builds = [
          ...(release.builds ?? []).filter(
            b => !(b.app === recorded.app && b.version === recorded.version),
          ),
          recorded,
        ];
      },
    };
  }
  if (tests && tests.results.every(t => t.result)) {
    const recorded: ReleaseTestRun = {
      kind: tests.kind,
      environment: tests.environment,
      runId: run.id,
      results: tests.results.map(t => ({
        name: t.name,
        ...(t.brand ? { brand: t.brand } : {}),
        kind: t.kind,
        job: t.job,
        result: t.result!,
        durationMs: t.durationMs ?? 0,
        ...(t.url ? { url: t.url } : {}),
        ...(t.detail ? { detail: t.detail } : {}),
      })),
      finishedAt: at,
    };
    return {
      action: `tests.${tests.kind}`,
      outcome: recorded.results.every(t => t.result === 'passed')
        ? 'success'
        : 'failure',
      meta: {
        runId: run.id,
        stepId,
        environment: recorded.environment,
        results: recorded.results,
      },
      apply: release => {
        release.tests = [...(release.tests ?? []), recorded];
      },
    };
  }
  return undefined;
}
