import {
  defaultGradePolicy,
  type DeployPlan,
  type Release,
} from '@internal/plugin-release-common';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { seedFacts } from 'sandbox';
import { gitBlobId } from '../iac/gitBlob';
import { computeDeployPlan, type DeployPlanWorld } from './computeDeployPlan';
import { configPlanFiles } from './configPlan';
import { DeployPlanConflictError } from './errors';
import { startIacSandbox, type IacSandbox } from './__testUtils__/iacSandbox';
import { planRelease } from './__testUtils__/planRelease';

jest.setTimeout(120_000);

const WEB = 'web/values.yaml';
const GREEN = 'hybris/values-green.yaml';
const BLUE = 'hybris/values-blue.yaml';

/** The form's edit: blue (live) raised to 12, green (idle) to 3, web to 5. */
const changes = [
  { argocdApp: 'hybris-blue', key: 'replicaCount', value: 12 },
  { argocdApp: 'hybris-green', key: 'replicaCount', value: '3' },
  { argocdApp: 'web', key: 'replicaCount', value: 5 },
];

describe('computeConfigPlan from the sandbox IaC repository (real git)', () => {
  let iac: IacSandbox;
  let release: Release;
  let plan: DeployPlan;
  const git = (...args: string[]) => iac.git(...args);
  /** The config release's plan on the world as read. */
  const planOn = (world: DeployPlanWorld) =>
    computeDeployPlan({
      release,
      policy: defaultGradePolicy,
      layout: iac.layout,
      environment: 'prod',
      world,
    });

  beforeAll(async () => {
    iac = await startIacSandbox();
    const { files, live } = await iac.read(
      configPlanFiles(iac.layout, { changes }),
    );
    release = planRelease(
      [
        {
          app: 'hybris',
          version: seedFacts.hybris.running,
          strategy: 'blue-green-steps',
        },
      ],
      {
        id: '9e4b2c1a-5555-4666-8777-c88899990000',
        title: '[설정 변경] hybris, web replicaCount',
        grade: 'A',
        config: {
          environment: 'prod',
          changes,
          baseSha: iac.head,
          // What the form showed: each file's blob at the head it read.
          expectedBlobs: Object.fromEntries(
            [BLUE, GREEN, WEB].map(path => [path, gitBlobId(files[path])]),
          ),
        },
      },
    );
    plan = planOn({ baseSha: iac.head, files, live });
  });
  afterAll(() => iac?.close());

  it('plans one commit per values file, each synced and gated healthy, then the sign-off and the announcement', () => {
    expect(plan.steps.map(s => [s.id, s.kind, s.sync, s.gate.type])).toEqual([
      ['config.hybris-blue', 'git', ['hybris-blue'], 'healthy'],
      ['config.hybris-green', 'git', ['hybris-green'], 'healthy'],
      ['config.web', 'git', ['web'], 'healthy'],
      ['signoff', 'wait', [], 'approval'],
      ['announce', 'call', [], 'none'],
    ]);
  });

  it('commits with git exactly one changed line per changed key, with the release trailers', () => {
    expect(git('rev-parse', 'HEAD').trim()).toBe(plan.iac.baseSha);
    for (const step of plan.steps) {
      if (!step.git) continue;
      iac.apply(step);
      expect([step.id, git('diff', '--numstat').trim()]).toEqual([
        step.id,
        `1\t1\t${Object.keys(step.git.files)[0]}`,
      ]);
      iac.commit(step);
      expect(git('log', '-1', '--format=%(trailers:only,unfold)').trim()).toBe(
        `Release-Id: ${release.id}\nRelease-Step: ${step.id}`,
      );
    }
    expect(
      git('diff', '--unified=0', `${plan.iac.baseSha}..HEAD`)
        .split('\n')
        .filter(l => /^[-+][^-+]/.test(l)),
    ).toEqual([
      '-replicaCount: 9',
      '+replicaCount: 12',
      '-replicaCount: 0',
      '+replicaCount: 3',
      '-replicaCount: 3',
      '+replicaCount: 5',
    ]);
  });

  it('refuses the plan once someone changed a file after its diff was shown', async () => {
    git('reset', '--quiet', '--hard', plan.iac.baseSha);
    // Someone tunes web by hand (a comment only) after the config release was made.
    const path = join(iac.work, WEB);
    writeFileSync(path, `${readFileSync(path, 'utf8')}# tuned by hand\n`);
    git('commit', '--quiet', '--all', '-m', 'web: tuned by hand');
    const head = git('rev-parse', 'HEAD').trim();
    const files = Object.fromEntries(
      configPlanFiles(iac.layout, { changes }).map(file => [
        file,
        git('show', `HEAD:${file}`),
      ]),
    );
    const { live } = await iac.read([]);
    expect(() => planOn({ baseSha: head, files, live })).toThrow(
      new DeployPlanConflictError(
        `config.expectedBlobs: ${WEB} changed at ${head.slice(
          0,
          8,
        )} of kop/kop-deploy-prod since the diff was shown (blob ${release.config!.expectedBlobs[
          WEB
        ].slice(0, 8)}, now ${gitBlobId(files[WEB]).slice(
          0,
          8,
        )}); make the config change again from the file as it is`,
      ),
    );
  });
});
