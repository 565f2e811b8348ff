import {
  defaultGradePolicy,
  type DeployPlan,
} from '@internal/plugin-release-common';
import { seedFacts } from 'sandbox';
import { computeDeployPlan, deployPlanFiles } from './computeDeployPlan';
import { startIacSandbox, type IacSandbox } from './__testUtils__/iacSandbox';
import { planRelease } from './__testUtils__/planRelease';
import { changedLines } from './__testUtils__/changedLines';

jest.setTimeout(120_000);

const CANDIDATE = seedFacts.hybris.candidate;

const release = planRelease(
  [{ app: 'hybris', version: CANDIDATE, strategy: 'blue-green-steps' }],
  {
    id: '7d2f0c4e-2222-4333-8444-a55566667777',
    title: '2026.01.08 hybris',
    items: [
      {
        title: '[HYBRIS] 푸터 대표이사 성명 변경 작업 원복',
        app: 'hybris',
        source: { type: 'asana', gid: '1209000000000042' },
      },
    ],
  },
);

describe('computeDeployPlan from the sandbox IaC repository (real git, Argo CD synced from it)', () => {
  let iac: IacSandbox;
  let plan: DeployPlan;
  const git = (...args: string[]) => iac.git(...args);

  beforeAll(async () => {
    iac = await startIacSandbox();
    const { files, live } = await iac.read(
      deployPlanFiles(iac.layout, ['hybris']),
    );
    plan = computeDeployPlan({
      release,
      policy: defaultGradePolicy,
      layout: iac.layout,
      environment: 'prod',
      world: { baseSha: iac.head, files, live },
    });
  });
  afterAll(() => iac?.close());

  it('deploys to green, the seed’s idle colour, and lowers blue, the live one', () => {
    expect(plan.hybris).toEqual({
      live: seedFacts.hybris.liveColour,
      idle: 'green',
    });
    expect(plan.steps.map(s => s.id)).toEqual([
      'hybris.image',
      'hybris.scale-up.3',
      'hybris.scale-up.6',
      'hybris.scale-up.9',
      'signoff',
      'hybris.switch',
      'announce',
      'hybris.scale-down.6',
      'hybris.scale-down.3',
      'hybris.scale-down.0',
    ]);
  });

  it('changes exactly the intended lines at each step', () => {
    expect(
      plan.steps.filter(s => s.git).map(s => [s.id, changedLines(s.git!.diff)]),
    ).toEqual([
      [
        'hybris.image',
        [`-  tag: ${seedFacts.hybris.idle}`, `+  tag: ${CANDIDATE}`],
      ],
      ['hybris.scale-up.3', ['-replicaCount: 0', '+replicaCount: 3']],
      ['hybris.scale-up.6', ['-replicaCount: 3', '+replicaCount: 6']],
      ['hybris.scale-up.9', ['-replicaCount: 6', '+replicaCount: 9']],
      [
        'hybris.switch',
        [
          '-  hybrisServiceName: blue # www.kop.example',
          '+  hybrisServiceName: green # www.kop.example',
          '-  hybrisServiceName: blue',
          '+  hybrisServiceName: green',
          '-  hybrisServiceName: blue',
          '+  hybrisServiceName: green',
        ],
      ],
      ['hybris.scale-down.6', ['-replicaCount: 9', '+replicaCount: 6']],
      ['hybris.scale-down.3', ['-replicaCount: 6', '+replicaCount: 3']],
      ['hybris.scale-down.0', ['-replicaCount: 3', '+replicaCount: 0']],
    ]);
  });

  it('applies with git step by step onto the seeded branch, each commit leaving the step’s files and its trailers', () => {
    expect(git('rev-parse', 'HEAD').trim()).toBe(plan.iac.baseSha);
    for (const step of plan.steps) {
      if (!step.git) continue;
      const { diff, files, message } = step.git;
      iac.apply(step);
      // Only the files the step names changed, by as many lines as its diff says.
      expect(git('diff', '--name-only').trim().split('\n')).toEqual(
        Object.keys(files),
      );
      const lines = changedLines(diff).length / 2;
      expect(git('diff', '--numstat').trim()).toBe(
        Object.keys(files)
          .map(path => `${lines}\t${lines}\t${path}`)
          .join('\n'),
      );
      iac.commit(step);
      expect(git('log', '-1', '--format=%(trailers:only,unfold)').trim()).toBe(
        `Release-Id: ${release.id}\nRelease-Step: ${step.id}`,
      );
      expect(git('log', '-1', '--format=%s')).toBe(
        `${message.split('\n')[0]}\n`,
      );
    }
    // After the last step green serves 9 replicas of the candidate and blue runs none.
    expect(
      git('diff', `${plan.iac.baseSha}..HEAD`, '--numstat').trim().split('\n'),
    ).toEqual([
      '1\t1\thybris/values-blue.yaml',
      '2\t2\thybris/values-green.yaml',
      '3\t3\thybris/values.yaml',
    ]);
  });
});
