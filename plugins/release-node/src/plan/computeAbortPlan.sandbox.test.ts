import { defaultGradePolicy } from '@internal/plugin-release-common';
import { seedFacts } from 'sandbox';
import { abortPlanFiles, computeAbortPlan } from './computeAbortPlan';
import { computeDeployPlan, deployPlanFiles } from './computeDeployPlan';
import { startIacSandbox, type IacSandbox } from './__testUtils__/iacSandbox';
import { planRelease } from './__testUtils__/planRelease';

jest.setTimeout(120_000);

const release = planRelease(
  [
    {
      app: 'hybris',
      version: seedFacts.hybris.candidate,
      strategy: 'blue-green-steps',
    },
  ],
  { state: 'deploying' },
);

describe('computeAbortPlan on the sandbox IaC repository (real git)', () => {
  let iac: IacSandbox;
  beforeAll(async () => {
    iac = await startIacSandbox();
  });
  afterAll(() => iac?.close());

  it('after the image and the first raise, reverts only green’s keys, back to the bytes before the release', async () => {
    const { layout, git } = iac;
    const { files, live } = await iac.read(deployPlanFiles(layout, ['hybris']));
    const deploy = computeDeployPlan({
      release,
      policy: defaultGradePolicy,
      layout,
      environment: 'prod',
      world: { baseSha: iac.head, files, live },
    });
    const done = deploy.steps.slice(0, 2);
    expect(done.map(s => s.id)).toEqual(['hybris.image', 'hybris.scale-up.3']);
    for (const step of done) {
      iac.apply(step);
      iac.commit(step);
    }
    const deployed = git('rev-parse', 'HEAD').trim();

    // The world as the engine reads it after the two steps: the head and its files.
    const now = Object.fromEntries(
      abortPlanFiles(layout, deploy).map(path => [
        path,
        git('show', `HEAD:${path}`),
      ]),
    );
    const abort = computeAbortPlan({
      release,
      plan: deploy,
      steps: done.map((_, index) => ({
        index,
        state: 'done',
        outputs: { git: { sha: deployed, committed: true, attempts: 1 } },
      })),
      layout,
      world: { baseSha: deployed, files: now, live },
    });
    expect(abort.steps.map(s => s.id)).toEqual([
      'abort.hybris.scale-down.new.0',
      'abort.hybris.image',
    ]);
    for (const step of abort.steps) {
      iac.apply(step);
      iac.commit(step);
      expect(git('log', '-1', '--format=%(trailers:only,unfold)').trim()).toBe(
        `Release-Id: ${release.id}\nRelease-Step: ${step.id}`,
      );
      expect(git('log', '-1', '--format=%s').trim()).toMatch(
        /^\[kop\] Abort of 2026\.01\.08: hybris green → 0|^\[kop\] Abort of 2026\.01\.08: hybris deploy-2025-12-23 → green$/,
      );
    }

    // Only green's replicas and image changed back, and nothing is left of the release.
    expect(git('diff', '--numstat', `${deployed}..HEAD`).trim()).toBe(
      '2\t2\thybris/values-green.yaml',
    );
    expect(
      git('diff', '-U0', `${deployed}..HEAD`)
        .split('\n')
        .filter(l => /^[-+][^-+]/.test(l)),
    ).toEqual([
      `-  tag: ${seedFacts.hybris.candidate}`,
      `+  tag: ${seedFacts.hybris.idle}`,
      '-replicaCount: 3',
      '+replicaCount: 0',
    ]);
    expect(git('diff', `${iac.head}..HEAD`)).toBe('');
  });
});
