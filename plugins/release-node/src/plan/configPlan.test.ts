import { ConfigReader } from '@backstage/config';
import {
  defaultGradePolicy,
  renderReleaseNotes,
  type Release,
  type ReleaseConfig,
} from '@internal/plugin-release-common';
import { hybrisColourValues, hybrisSwitchValues } from 'sandbox';
import { gitBlobId } from '../iac/gitBlob';
import { readReleaseLayout } from '../layout';
import {
  computeDeployPlan,
  type DeployPlanInput,
  type DeployPlanWorld,
} from './computeDeployPlan';
import { computeConfigPlan, configPlanFiles } from './configPlan';
import { DeployPlanConflictError, DeployPlanInputError } from './errors';
import { planRelease } from './__testUtils__/planRelease';
import { changedLines } from './__testUtils__/changedLines';

const layout = readReleaseLayout(new ConfigReader({}));
const BASE = '3f1c2a9e8d7b6c5a4f3e2d1c0b9a8f7e6d5c4b3a';
const WEB = 'web/values.yaml';
const BLUE = 'hybris/values-blue.yaml';
const GREEN = 'hybris/values-green.yaml';

const web = `# web (Argo CD app: web)
image:
  repository: registry.kop.example/kop/web
  # Commit of the app repository the image was built from.
  tag: 7f3c2a1b
replicaCount: 3
`;

/** The IaC repository with blue live at 9 replicas and green idle at 0. */
function files(): Record<string, string> {
  return {
    [BLUE]: hybrisColourValues('blue', 'deploy-2026-01-06', 9),
    [GREEN]: hybrisColourValues('green', 'deploy-2025-12-23', 0),
    'hybris/values.yaml': hybrisSwitchValues('blue'),
    [WEB]: web,
  };
}

function live(iac = 'blue', argocd = iac): DeployPlanWorld['live'] {
  return {
    iac: { at: 'hybris/values.yaml at main', colour: iac },
    argocd: { at: 'hybris/values.yaml at 3f1c2a9e8d7b', colour: argocd },
  };
}

/** The edit as the form sent it: the keys, and the blobs of the files its diff was shown from. */
function configOf(changes: ReleaseConfig['changes']): ReleaseConfig {
  const all = files();
  const touched = configPlanFiles(layout, { changes }).filter(
    f => f !== 'hybris/values.yaml',
  );
  return {
    environment: 'prod',
    changes,
    baseSha: BASE,
    expectedBlobs: Object.fromEntries(touched.map(f => [f, gitBlobId(all[f])])),
    reason: '주말 트래픽 대비 증설 (weekend traffic)',
  };
}

function releaseOf(config: ReleaseConfig, more: Partial<Release> = {}) {
  return planRelease(
    [
      {
        app: 'web',
        version: '7f3c2a1b',
        previousVersion: '7f3c2a1b',
        strategy: 'sync',
      },
    ],
    {
      id: '5c2e7a1d-3333-4444-8555-966677778888',
      title: '[설정 변경] web replicaCount=5',
      grade: 'A',
      config,
      ...more,
    },
  );
}

function input(
  changes: ReleaseConfig['changes'],
  more: Partial<DeployPlanInput> = {},
): DeployPlanInput {
  return {
    release: releaseOf(configOf(changes)),
    policy: defaultGradePolicy,
    layout,
    environment: 'prod',
    world: { baseSha: BASE, files: files(), live: live() },
    ...more,
  };
}

function refusal(run: () => unknown): { field?: string; message: string } {
  try {
    run();
  } catch (e) {
    if (e instanceof DeployPlanInputError) {
      return { field: e.field, message: e.message };
    }
    if (e instanceof DeployPlanConflictError) return { message: e.message };
    throw e;
  }
  throw new Error('the plan was not refused');
}

describe('computeConfigPlan', () => {
  it('commits exactly the key shown, syncs its Argo CD app until Healthy, then waits for the sign-off and announces', () => {
    const given = input([{ argocdApp: 'web', key: 'replicaCount', value: 5 }]);
    const plan = computeConfigPlan(given);
    expect(plan.steps.map(s => [s.id, s.kind, s.phase])).toEqual([
      ['config.web', 'git', 'deploying'],
      ['signoff', 'wait', 'awaiting_signoff'],
      ['announce', 'call', 'announced'],
    ]);
    const [step] = plan.steps;
    expect(step).toMatchObject({
      app: 'web',
      title: 'Set replicaCount=5 on web',
      sync: ['web'],
      gate: { type: 'healthy', argocdApps: ['web'] },
    });
    expect(step.git!.changes).toEqual([
      { argocdApp: 'web', file: WEB, key: 'replicaCount', from: 3, to: 5 },
    ]);
    expect(step.git!.before).toEqual({ [WEB]: gitBlobId(web) });
    expect(step.git!.files[WEB]).toBe(
      web.replace('replicaCount: 3', 'replicaCount: 5'),
    );
    expect(changedLines(step.git!.diff)).toEqual([
      '-replicaCount: 3',
      '+replicaCount: 5',
    ]);
    const notes = renderReleaseNotes(given.release, defaultGradePolicy);
    expect(notes.announcement).toContain('\t- [설정] web replicaCount=5');
    expect(step.git!.message).toBe(
      `[kop] 설정 변경 web replicaCount=5\n\n${notes.announcement}\n\nRelease-Id: 5c2e7a1d-3333-4444-8555-966677778888\nRelease-Step: config.web\n`,
    );
    expect(plan).toMatchObject({
      environment: 'prod',
      iac: { project: 'kop/kop-deploy-prod', branch: 'main', baseSha: BASE },
      notes: [],
    });
    expect(plan.hybris).toBeUndefined();
    expect(plan.fingerprint).toMatch(/^[0-9a-f]{64}$/);
  });

  it('is what computeDeployPlan plans for a release with config', () => {
    const changes = [{ argocdApp: 'web', key: 'replicaCount', value: 5 }];
    expect(computeDeployPlan(input(changes))).toEqual(
      computeConfigPlan(input(changes)),
    );
  });

  it('makes one git step per file, in the order the changes name them', () => {
    const plan = computeConfigPlan(
      input([
        { argocdApp: 'hybris-green', key: 'replicaCount', value: '3' },
        { argocdApp: 'web', key: 'replicaCount', value: 4 },
      ]),
    );
    expect(
      plan.steps
        .filter(s => s.git)
        .map(s => [s.id, s.sync, changedLines(s.git!.diff)]),
    ).toEqual([
      [
        'config.hybris-green',
        ['hybris-green'],
        ['-replicaCount: 0', '+replicaCount: 3'],
      ],
      ['config.web', ['web'], ['-replicaCount: 3', '+replicaCount: 4']],
    ]);
  });

  it('raises the live colour above its normal count', () => {
    const plan = computeConfigPlan(
      input([{ argocdApp: 'hybris-blue', key: 'replicaCount', value: 12 }]),
    );
    expect(changedLines(plan.steps[0].git!.diff)).toEqual([
      '-replicaCount: 9',
      '+replicaCount: 12',
    ]);
  });

  it.each([
    [
      'a switch key alone',
      {
        argocdApp: 'hybris',
        key: 'storefront.hybrisServiceName',
        value: 'green',
      },
      'config.changes[0].key',
      "'storefront.hybrisServiceName' is a switch key: only a release's switch changes them, all 3 together",
    ],
    [
      'an image tag (a version)',
      { argocdApp: 'web', key: 'image.tag', value: 'a7ed4db1' },
      'config.changes[0].key',
      "'image.tag' is the version of web: a version ships in a release of that version, not as a config change",
    ],
    [
      'the live colour below its normal count',
      { argocdApp: 'hybris-blue', key: 'replicaCount', value: 0 },
      'config.changes[0].value',
      'is 0: hybris-blue is the live colour, which never goes below its normal 9 replicas (release.apps.hybris.steps)',
    ],
    [
      'an Argo CD app the layout does not have',
      { argocdApp: 'hybris-purple', key: 'replicaCount', value: 3 },
      'config.changes[0].argocdApp',
      "'hybris-purple' is not an Argo CD app of the release layout",
    ],
    [
      'a key the layout does not allow',
      { argocdApp: 'web', key: 'resources.limits.memory', value: '32Gi' },
      'config.changes[0].key',
      "'resources.limits.memory' may not be changed on web",
    ],
    [
      'a replica count beyond hybris’s maximum',
      { argocdApp: 'hybris-blue', key: 'replicaCount', value: 45 },
      'config.changes[0].value',
      "is 45, above hybris's maximum of 30 replicas",
    ],
  ])('refuses %s, naming the field', (_name, change, field, message) => {
    const refused = refusal(() => computeConfigPlan(input([change])));
    expect(refused.field).toBe(field);
    expect(refused.message).toContain(`${field} ${message}`);
  });

  it('counts a colour live when either IaC or Argo CD names it', () => {
    const refused = refusal(() =>
      computeConfigPlan(
        input([{ argocdApp: 'hybris-green', key: 'replicaCount', value: 0 }], {
          world: { baseSha: BASE, files: files(), live: live('blue', 'green') },
        }),
      ),
    );
    expect(refused.field).toBe('config.changes[0].value');
  });

  it('needs both live readings to change a colour’s replicas', () => {
    const refused = refusal(() =>
      computeConfigPlan(
        input([{ argocdApp: 'hybris-green', key: 'replicaCount', value: 3 }], {
          world: {
            baseSha: BASE,
            files: files(),
            live: { iac: live()!.iac },
          },
        }),
      ),
    );
    expect(refused.field).toBe('world.live.argocd');
  });

  it.each([
    ['B', 'grade', 'grade is B; a config release is grade A'],
    ['E', 'grade', 'grade is E; a config release is grade A'],
  ] as const)('refuses grade %s', (grade, field, message) => {
    const changes = [{ argocdApp: 'web', key: 'replicaCount', value: 5 }];
    const refused = refusal(() =>
      computeConfigPlan({
        ...input(changes),
        release: releaseOf(configOf(changes), { grade }),
      }),
    );
    expect(refused).toEqual({ field, message });
  });

  it('plans only the environment the config release changes', () => {
    const refused = refusal(() =>
      computeConfigPlan(
        input([{ argocdApp: 'web', key: 'replicaCount', value: 5 }], {
          environment: 'beta',
        }),
      ),
    );
    expect(refused).toEqual({
      field: 'environment',
      message: 'environment is beta, but the config release changes prod',
    });
  });

  it('refuses a change that does not carry the blob of a file it touches', () => {
    const changes = [{ argocdApp: 'web', key: 'replicaCount', value: 5 }];
    const refused = refusal(() =>
      computeConfigPlan({
        ...input(changes),
        release: releaseOf({ ...configOf(changes), expectedBlobs: {} }),
      }),
    );
    expect(refused.field).toBe('config.expectedBlobs');
  });

  it('refuses with a conflict when the file changed after its diff was shown', () => {
    const moved = { ...files(), [WEB]: `${web}# tuned by hand\n` };
    const refused = refusal(() =>
      computeConfigPlan(
        input([{ argocdApp: 'web', key: 'replicaCount', value: 5 }], {
          world: { baseSha: BASE, files: moved, live: live() },
        }),
      ),
    );
    expect(refused.field).toBeUndefined();
    expect(refused.message).toBe(
      `config.expectedBlobs: ${WEB} changed at 3f1c2a9e of kop/kop-deploy-prod since the diff was shown (blob ${gitBlobId(
        web,
      ).slice(0, 8)}, now ${gitBlobId(moved[WEB]).slice(
        0,
        8,
      )}); make the config change again from the file as it is`,
    );
  });

  it('writes nothing where the branch already holds the values, whatever the file’s blob', () => {
    const done = {
      ...files(),
      [WEB]: `${web.replace('replicaCount: 3', 'replicaCount: 5')}`,
    };
    const plan = computeConfigPlan(
      input([{ argocdApp: 'web', key: 'replicaCount', value: 5 }], {
        world: { baseSha: BASE, files: done, live: live() },
      }),
    );
    expect(plan.steps[0].git!.diff).toBe('');
    expect(plan.notes).toEqual([
      `${WEB} at 3f1c2a9e of kop/kop-deploy-prod already holds replicaCount=5: nothing to commit`,
    ]);
  });
});
