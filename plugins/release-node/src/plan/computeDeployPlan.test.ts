import { ConfigReader } from '@backstage/config';
import {
  defaultGradePolicy,
  type DeployPlan,
  type DeployPlanStep,
  type Release,
  type ReleaseAppVersion,
} from '@internal/plugin-release-common';
import { hybrisColourValues, hybrisSwitchValues } from 'sandbox';
import { gitBlobId } from '../iac/gitBlob';
import { readReleaseLayout } from '../layout';
import {
  computeDeployPlan,
  deployPlanFiles,
  type DeployPlanInput,
  type DeployPlanWorld,
} from './computeDeployPlan';
import { builtImageRefusal, resolveBuiltImages } from './builtImages';
import { deployPlanFingerprint } from './fingerprint';
import { readDeployPlanSettings } from './settings';
import { changedLines } from './__testUtils__/changedLines';

/** The `release:` section of app-config.yaml, as far as the plan reads it. */
const releaseConfig = {
  product: 'kop',
  environments: ['beta', 'prod'],
  iac: {
    repos: { beta: 'kop/kop-deploy-beta', prod: 'kop/kop-deploy-prod' },
    branch: 'main',
    mode: 'commit',
  },
  apps: {
    hybris: {
      strategy: 'blue-green-steps',
      steps: [3, 6, 9],
      scaleDownBy: 3,
      repo: 'kop/hybris',
      colours: {
        blue: {
          argocdApp: 'hybris-blue',
          values: 'hybris/values-blue.yaml',
          image: 'image.tag',
          replicas: 'replicaCount',
        },
        green: {
          argocdApp: 'hybris-green',
          values: 'hybris/values-green.yaml',
          image: 'image.tag',
          replicas: 'replicaCount',
        },
      },
      switch: {
        argocdApp: 'hybris',
        values: 'hybris/values.yaml',
        keys: [
          'storefront.hybrisServiceName',
          'backoffice.hybrisServiceName',
          'api.hybrisServiceName',
        ],
      },
      gates: {
        clusterStatus: { path: '/cluster/status' },
        metrics: [
          {
            name: 'jgroups-view-steady',
            query:
              'max_over_time(hybris_jgroups_view_size{environment="$environment",colour="$colour"}[2m]) - min_over_time(hybris_jgroups_view_size{environment="$environment",colour="$colour"}[2m])',
            max: 0,
          },
          {
            name: 'error-rate',
            query:
              'sum(rate(hybris_errors_total{environment="$environment",colour="$colour"}[2m]))',
            max: 0.5,
          },
        ],
        soak: '2m',
      },
    },
    cms: {
      strategy: 'branch-merge-sync',
      repo: 'kop/cms',
      branch: { from: 'pre-release', into: 'master' },
      argocdApps: ['cms', 'cms-internal'],
      values: {
        cms: 'cms/values.yaml',
        'cms-internal': 'cms-internal/values.yaml',
      },
    },
    web: {
      strategy: 'sync',
      repo: 'kop/web',
      argocdApps: ['web'],
      values: { web: 'web/values.yaml' },
    },
  },
};

const configOf = (release: object = releaseConfig) =>
  new ConfigReader({ release });
const layout = readReleaseLayout(configOf());
const settings = readDeployPlanSettings(configOf());

const BASE = '3f1c2a9e8d7b6c5a4f3e2d1c0b9a8f7e6d5c4b3a';
const HYBRIS = 'deploy-2026-01-08';
const CMS = '6e27011f';
const WEB = 'a7ed4db1';

function appValues(app: string, tag: string): string {
  return `# ${app} (Argo CD app: ${app})
image:
  repository: registry.kop.example/kop/${app.replace('-internal', '')}
  # Commit of the app repository the image was built from.
  tag: ${tag}
replicaCount: 3
`;
}

/** The IaC repository with `live` serving 9 replicas of deploy-2026-01-06 and the idle colour at 0. */
function iacFiles(live: 'blue' | 'green' = 'blue'): Record<string, string> {
  const idle = live === 'blue' ? 'green' : 'blue';
  return {
    [`hybris/values-${live}.yaml`]: hybrisColourValues(
      live,
      'deploy-2026-01-06',
      9,
    ),
    [`hybris/values-${idle}.yaml`]: hybrisColourValues(
      idle,
      'deploy-2025-12-23',
      0,
    ),
    'hybris/values.yaml': hybrisSwitchValues(live),
    'cms/values.yaml': appValues('cms', '5d41402a'),
    'cms-internal/values.yaml': appValues('cms-internal', '5d41402a'),
    'web/values.yaml': appValues('web', '7f3c2a1b'),
  };
}

function readings(iac: string, argocd = iac): DeployPlanWorld['live'] {
  return {
    iac: {
      at: `hybris/values.yaml at main of kop/kop-deploy-prod`,
      colour: iac,
    },
    argocd: {
      at: `hybris/values.yaml at 3f1c2a9e8d7b of kop/kop-deploy-prod`,
      colour: argocd,
    },
  };
}

const apps: Record<'hybris' | 'cms' | 'web', ReleaseAppVersion> = {
  hybris: { app: 'hybris', version: HYBRIS, strategy: 'blue-green-steps' },
  cms: { app: 'cms', version: CMS, strategy: 'branch-merge-sync' },
  web: { app: 'web', version: WEB, strategy: 'sync' },
};

function releaseOf(
  releaseApps: ReleaseAppVersion[],
  more: Partial<Release> = {},
): Release {
  return {
    id: '0b9c3a8e-1111-4222-8333-944455556666',
    product: 'kop',
    title: '2026.01.08 hybris, cms, web',
    state: 'approved',
    grade: 'B',
    minimumGrade: 'A',
    changeClasses: [],
    dbUpdate: false,
    apps: releaseApps,
    items: [
      {
        title: '[HYBRIS] 푸터 대표이사 성명 변경 작업 원복',
        app: 'hybris',
        source: { type: 'mr', project: 'kop/hybris', iid: 412 },
      },
      {
        title: '[CMS] KS 템플릿 업데이트',
        app: 'cms',
        source: { type: 'asana', gid: '1209' },
      },
    ],
    author: 'user:default/kim.minjun',
    links: [],
    approvals: [],
    retroApprovalPending: false,
    createdAt: '2026-01-08T01:00:00.000Z',
    updatedAt: '2026-01-08T01:00:00.000Z',
    revision: 3,
    ...more,
  };
}

function plan(
  releaseApps: ReleaseAppVersion[],
  more: Partial<DeployPlanInput> & { live?: 'blue' | 'green' } = {},
): DeployPlan {
  const { live = 'blue', ...rest } = more;
  return computeDeployPlan({
    release: releaseOf(releaseApps),
    policy: defaultGradePolicy,
    layout,
    settings,
    environment: 'prod',
    world: { baseSha: BASE, files: iacFiles(live), live: readings(live) },
    ...rest,
  });
}

const step = (p: DeployPlan, id: string): DeployPlanStep => {
  const found = p.steps.find(s => s.id === id);
  if (!found) throw new Error(`no step ${id} in ${p.steps.map(s => s.id)}`);
  return found;
};

const MINUTE = 60_000;

describe('computeDeployPlan', () => {
  describe('hybris', () => {
    it('deploys to green in 3 → 6 → 9 while blue is live, then signs off, switches, announces and lowers blue 3 at a time', () => {
      const p = plan([apps.hybris]);
      expect(p.hybris).toEqual({ live: 'blue', idle: 'green' });
      expect(p.steps.map(s => [s.id, s.kind, s.phase, s.sync])).toEqual([
        ['hybris.image', 'git', 'deploying', ['hybris-green']],
        ['hybris.scale-up.3', 'git', 'deploying', ['hybris-green']],
        ['hybris.scale-up.6', 'git', 'deploying', ['hybris-green']],
        ['hybris.scale-up.9', 'git', 'deploying', ['hybris-green']],
        ['signoff', 'wait', 'awaiting_signoff', []],
        ['hybris.switch', 'git', 'switching', ['hybris']],
        ['announce', 'call', 'announced', []],
        ['hybris.scale-down.6', 'git', 'scaling_down', ['hybris-blue']],
        ['hybris.scale-down.3', 'git', 'scaling_down', ['hybris-blue']],
        ['hybris.scale-down.0', 'git', 'scaling_down', ['hybris-blue']],
      ]);
      expect(p.iac).toEqual({
        project: 'kop/kop-deploy-prod',
        branch: 'main',
        baseSha: BASE,
      });
      expect(p.notes).toEqual([]);
    });

    it('writes each step as one edit on top of the step before, changing only its own lines', () => {
      const p = plan([apps.hybris]);
      const diffs = Object.fromEntries(
        p.steps.map(s => [s.id, changedLines(s.git?.diff ?? '')]),
      );
      expect(diffs).toEqual({
        'hybris.image': ['-  tag: deploy-2025-12-23', `+  tag: ${HYBRIS}`],
        'hybris.scale-up.3': ['-replicaCount: 0', '+replicaCount: 3'],
        'hybris.scale-up.6': ['-replicaCount: 3', '+replicaCount: 6'],
        'hybris.scale-up.9': ['-replicaCount: 6', '+replicaCount: 9'],
        signoff: [],
        'hybris.switch': [
          '-  hybrisServiceName: blue # www.kop.example',
          '+  hybrisServiceName: green # www.kop.example',
          '-  hybrisServiceName: blue',
          '+  hybrisServiceName: green',
          '-  hybrisServiceName: blue',
          '+  hybrisServiceName: green',
        ],
        announce: [],
        'hybris.scale-down.6': ['-replicaCount: 9', '+replicaCount: 6'],
        'hybris.scale-down.3': ['-replicaCount: 6', '+replicaCount: 3'],
        'hybris.scale-down.0': ['-replicaCount: 3', '+replicaCount: 0'],
      });
      expect(step(p, 'hybris.scale-up.3').git?.diff).toBe(
        [
          'diff --git a/hybris/values-green.yaml b/hybris/values-green.yaml',
          '--- a/hybris/values-green.yaml',
          '+++ b/hybris/values-green.yaml',
          '@@ -7,7 +7,7 @@ image:',
          '   pullPolicy: IfNotPresent',
          ' ',
          ' # 9 replicas is "normal"; the idle colour runs 0.',
          '-replicaCount: 0',
          '+replicaCount: 3',
          ' ',
          ' colour: green',
          ' jgroups:',
          '',
        ].join('\n'),
      );
      // Each step's files are the whole new text, and its `before` the blob of the previous step's.
      const files = iacFiles('blue');
      expect(step(p, 'hybris.image').git?.before).toEqual({
        'hybris/values-green.yaml': gitBlobId(
          files['hybris/values-green.yaml'],
        ),
      });
      expect(step(p, 'hybris.scale-up.9').git?.files).toEqual({
        'hybris/values-green.yaml': hybrisColourValues('green', HYBRIS, 9),
      });
      expect(step(p, 'hybris.scale-up.6').git?.before).toEqual({
        'hybris/values-green.yaml': gitBlobId(
          hybrisColourValues('green', HYBRIS, 3),
        ),
      });
      expect(step(p, 'hybris.switch').git?.files).toEqual({
        'hybris/values.yaml': hybrisSwitchValues('green'),
      });
      expect(step(p, 'hybris.scale-down.0').git?.files).toEqual({
        'hybris/values-blue.yaml': hybrisColourValues(
          'blue',
          'deploy-2026-01-06',
          0,
        ),
      });
    });

    it('records what each key held, for a reverse plan, and which colour each step touches', () => {
      const p = plan([apps.hybris]);
      expect(step(p, 'hybris.scale-up.6').git?.changes).toEqual([
        {
          argocdApp: 'hybris-green',
          file: 'hybris/values-green.yaml',
          key: 'replicaCount',
          from: 3,
          to: 6,
        },
      ]);
      expect(step(p, 'hybris.switch').git?.changes).toEqual(
        [
          'storefront.hybrisServiceName',
          'backoffice.hybrisServiceName',
          'api.hybrisServiceName',
        ].map(key => ({
          argocdApp: 'hybris',
          file: 'hybris/values.yaml',
          key,
          from: 'blue',
          to: 'green',
        })),
      );
      expect(p.steps.map(s => s.hybris)).toEqual([
        { colour: 'green', role: 'new', replicas: 0 },
        { colour: 'green', role: 'new', replicas: 3 },
        { colour: 'green', role: 'new', replicas: 6 },
        { colour: 'green', role: 'new', replicas: 9 },
        undefined,
        { colour: 'green', role: 'switch' },
        undefined,
        { colour: 'blue', role: 'old', replicas: 6 },
        { colour: 'blue', role: 'old', replicas: 3 },
        { colour: 'blue', role: 'old', replicas: 0 },
      ]);
    });

    it('gates each raise on pods, the JGroups view and the metrics for the soak, and watches the error rate after the switch', () => {
      const p = plan([apps.hybris]);
      expect(step(p, 'hybris.image').gate).toEqual({
        type: 'healthy',
        argocdApps: ['hybris-green'],
      });
      expect(step(p, 'hybris.scale-up.6').gate).toEqual({
        type: 'hybris',
        colour: 'green',
        expectedNodes: 6,
        soakMs: 2 * MINUTE,
        checks: [
          { name: 'pods-ready', min: 6 },
          { name: 'cluster-status', min: 6, max: 6 },
          {
            name: 'jgroups-view-steady',
            max: 0,
            query:
              'max_over_time(hybris_jgroups_view_size{environment="prod",colour="green"}[2m]) - min_over_time(hybris_jgroups_view_size{environment="prod",colour="green"}[2m])',
          },
          {
            name: 'error-rate',
            max: 0.5,
            query:
              'sum(rate(hybris_errors_total{environment="prod",colour="green"}[2m]))',
          },
        ],
      });
      expect(step(p, 'signoff').gate).toEqual({
        type: 'approval',
        stage: 'signoff',
        roles: ['superior'],
      });
      expect(step(p, 'hybris.switch').gate).toEqual({
        type: 'watch',
        colour: 'green',
        windowMs: 5 * MINUTE,
        checks: [
          {
            name: 'error-rate',
            max: 0.5,
            query:
              'sum(rate(hybris_errors_total{environment="prod",colour="green"}[2m]))',
          },
        ],
        onBreach: 'switch-back',
      });
      expect(step(p, 'hybris.scale-down.3').gate).toEqual({
        type: 'healthy',
        argocdApps: ['hybris-blue'],
      });
    });

    it('expects each raise to take a sync, the pods starting and the soak; the sign-off has no expected time', () => {
      const p = plan([apps.hybris]);
      expect(p.steps.map(s => s.expectedMs)).toEqual([
        MINUTE,
        MINUTE + 5 * MINUTE + 2 * MINUTE,
        8 * MINUTE,
        8 * MINUTE,
        undefined,
        MINUTE + 5 * MINUTE,
        10_000,
        MINUTE,
        MINUTE,
        MINUTE,
      ]);
      expect(p.expectedMs).toBe(
        MINUTE + 3 * 8 * MINUTE + 6 * MINUTE + 10_000 + 3 * MINUTE,
      );
    });

    it('takes the release’s own steps, 5 → 10 → 15, onto blue when green is live', () => {
      const p = plan([{ ...apps.hybris, steps: [5, 10, 15] }], {
        live: 'green',
      });
      expect(p.hybris).toEqual({ live: 'green', idle: 'blue' });
      expect(
        p.steps.map(s => [s.id, s.sync, changedLines(s.git?.diff ?? '')]),
      ).toEqual([
        [
          'hybris.image',
          ['hybris-blue'],
          ['-  tag: deploy-2025-12-23', `+  tag: ${HYBRIS}`],
        ],
        [
          'hybris.scale-up.5',
          ['hybris-blue'],
          ['-replicaCount: 0', '+replicaCount: 5'],
        ],
        [
          'hybris.scale-up.10',
          ['hybris-blue'],
          ['-replicaCount: 5', '+replicaCount: 10'],
        ],
        [
          'hybris.scale-up.15',
          ['hybris-blue'],
          ['-replicaCount: 10', '+replicaCount: 15'],
        ],
        ['signoff', [], []],
        [
          'hybris.switch',
          ['hybris'],
          [
            '-  hybrisServiceName: green # www.kop.example',
            '+  hybrisServiceName: blue # www.kop.example',
            '-  hybrisServiceName: green',
            '+  hybrisServiceName: blue',
            '-  hybrisServiceName: green',
            '+  hybrisServiceName: blue',
          ],
        ],
        ['announce', [], []],
        [
          'hybris.scale-down.6',
          ['hybris-green'],
          ['-replicaCount: 9', '+replicaCount: 6'],
        ],
        [
          'hybris.scale-down.3',
          ['hybris-green'],
          ['-replicaCount: 6', '+replicaCount: 3'],
        ],
        [
          'hybris.scale-down.0',
          ['hybris-green'],
          ['-replicaCount: 3', '+replicaCount: 0'],
        ],
      ]);
      expect(step(p, 'hybris.scale-up.15').gate).toMatchObject({
        type: 'hybris',
        colour: 'blue',
        expectedNodes: 15,
      });
    });

    it('lowers the old colour by scaleDownBy to exactly 0 when the count does not divide', () => {
      const files = iacFiles('blue');
      files['hybris/values-blue.yaml'] = hybrisColourValues(
        'blue',
        'deploy-2026-01-06',
        10,
      );
      const p = computeDeployPlan({
        release: releaseOf([apps.hybris]),
        policy: defaultGradePolicy,
        layout: readReleaseLayout(
          configOf({
            ...releaseConfig,
            apps: {
              ...releaseConfig.apps,
              hybris: { ...releaseConfig.apps.hybris, scaleDownBy: 4 },
            },
          }),
        ),
        settings,
        environment: 'prod',
        world: { baseSha: BASE, files, live: readings('blue') },
      });
      expect(
        p.steps.filter(s => s.phase === 'scaling_down').map(s => s.id),
      ).toEqual([
        'hybris.scale-down.6',
        'hybris.scale-down.2',
        'hybris.scale-down.0',
      ]);
    });

    it('puts each step’s subject, the release notes and the trailers in its commit message', () => {
      const p = plan([apps.hybris, apps.cms]);
      const message = step(p, 'hybris.scale-up.6').git!.message;
      const [subject, blank, ...rest] = message.split('\n');
      expect([subject, blank]).toEqual([
        '[kop] hybris deploy-2026-01-08 → green 6',
        '',
      ]);
      expect(rest.join('\n')).toBe(
        [
          '[kop] 배포합니다.',
          rest[1],
          '- 배포등급: B(낮음)',
          '- DB 업데이트 여부: N',
          '- 배포내역',
          '\t- [HYBRIS] 푸터 대표이사 성명 변경 작업 원복',
          '\t- [CMS] KS 템플릿 업데이트',
          '',
          'Release-Id: 0b9c3a8e-1111-4222-8333-944455556666',
          'Release-Step: hybris.scale-up.6',
          '',
        ].join('\n'),
      );
      expect(rest[1]).toMatch(/^- 배포버전: .*hybris\(deploy-2026-01-08\)/);
      expect(rest[1]).toContain(`cms(${CMS})`);
      expect(
        p.steps.filter(s => s.git).map(s => s.git!.message.split('\n')[0]),
      ).toEqual([
        '[kop] hybris deploy-2026-01-08 → green',
        '[kop] hybris deploy-2026-01-08 → green 3',
        '[kop] hybris deploy-2026-01-08 → green 6',
        '[kop] hybris deploy-2026-01-08 → green 9',
        `[kop] cms ${CMS}`,
        '[kop] hybris switch → green',
        '[kop] hybris blue → 6',
        '[kop] hybris blue → 3',
        '[kop] hybris blue → 0',
      ]);
    });

    it('asks for the schema acknowledgement before the switch when the release updates the database', () => {
      const p = computeDeployPlan({
        release: releaseOf([apps.hybris], { dbUpdate: true, grade: 'D' }),
        policy: defaultGradePolicy,
        layout,
        settings,
        environment: 'prod',
        world: {
          baseSha: BASE,
          files: iacFiles('blue'),
          live: readings('blue'),
        },
      });
      const ids = p.steps.map(s => s.id);
      expect(ids.slice(4, 7)).toEqual([
        'signoff',
        'hybris.db-schema-ack',
        'hybris.switch',
      ]);
      expect(step(p, 'hybris.db-schema-ack')).toEqual({
        id: 'hybris.db-schema-ack',
        kind: 'wait',
        app: 'hybris',
        phase: 'awaiting_signoff',
        title:
          'Confirm that hybris-blue (deploy-2026-01-06, serving now) tolerates the new database schema',
        sync: [],
        gate: { type: 'acknowledgement', subject: 'db-schema' },
      });
    });

    it('resumes from an idle colour already running this version: steps it is past are left out, the one it is at writes nothing', () => {
      const files = iacFiles('blue');
      files['hybris/values-green.yaml'] = hybrisColourValues(
        'green',
        HYBRIS,
        6,
      );
      const p = plan([apps.hybris], {
        world: { baseSha: BASE, files, live: readings('blue') },
      });
      expect(p.steps.slice(0, 3).map(s => [s.id, s.git?.diff])).toEqual([
        ['hybris.image', ''],
        ['hybris.scale-up.6', ''],
        [
          'hybris.scale-up.9',
          expect.stringContaining('-replicaCount: 6\n+replicaCount: 9\n'),
        ],
      ]);
      expect(p.notes).toEqual([
        `hybris: hybris-green already runs 6 replicas of ${HYBRIS}, past the step to 3`,
      ]);
    });

    it('refuses an idle colour that runs pods of another version', () => {
      const files = iacFiles('blue');
      files['hybris/values-green.yaml'] = hybrisColourValues(
        'green',
        'deploy-2025-12-23',
        3,
      );
      expect(() =>
        plan([apps.hybris], {
          world: { baseSha: BASE, files, live: readings('blue') },
        }),
      ).toThrow(
        `hybris: hybris-green, the idle colour, runs 3 replicas of deploy-2025-12-23 (hybris/values-green.yaml at 3f1c2a9e of kop/kop-deploy-prod); scale it to 0 before a release puts ${HYBRIS} on it`,
      );
    });
  });

  describe('the live colour', () => {
    const attempt = (world: Partial<DeployPlanWorld>) => {
      try {
        plan([apps.hybris], {
          world: { baseSha: BASE, files: iacFiles('blue'), ...world },
        });
      } catch (e) {
        return e as Error;
      }
      throw new Error('the plan was not refused');
    };

    it('refuses when IaC and Argo CD disagree, showing both readings', () => {
      const error = attempt({ live: readings('blue', 'green') });
      expect(error.name).toBe('ConflictError');
      expect(error.message).toBe(
        'hybris: IaC and Argo CD disagree on the live colour: IaC says blue (hybris/values.yaml at main of kop/kop-deploy-prod), Argo CD says green (hybris/values.yaml at 3f1c2a9e8d7b of kop/kop-deploy-prod); sync hybris or revert the switch before planning',
      );
    });

    it('refuses a reading that found no colour, with its error', () => {
      const error = attempt({
        live: {
          iac: readings('blue')!.iac,
          argocd: {
            at: 'what hybris runs in Argo CD (prod)',
            error: {
              message: 'Argo CD (prod): hybris has synced no revision yet',
            },
          },
        },
      });
      expect(error.name).toBe('ConflictError');
      expect(error.message).toBe(
        'hybris: the live colour could not be read from Argo CD (what hybris runs in Argo CD (prod)): Argo CD (prod): hybris has synced no revision yet',
      );
    });

    it('refuses a switch half done in the files read', () => {
      const files = iacFiles('blue');
      files['hybris/values.yaml'] = hybrisSwitchValues('blue').replace(
        'hybrisServiceName: blue\n  host: api',
        'hybrisServiceName: green\n  host: api',
      );
      const error = attempt({ files, live: readings('blue') });
      expect(error.name).toBe('ConflictError');
      expect(error.message).toBe(
        'hybris: the switch keys in hybris/values.yaml at 3f1c2a9e of kop/kop-deploy-prod name more than one colour (storefront.hybrisServiceName=blue, backoffice.hybrisServiceName=blue, api.hybrisServiceName=green): a switch is half done; finish or revert it before planning',
      );
    });

    it('refuses files read at another commit than the IaC reading', () => {
      const error = attempt({
        files: iacFiles('green'),
        live: readings('blue'),
      });
      expect(error.name).toBe('ConflictError');
      expect(error.message).toBe(
        'hybris: hybris/values.yaml at 3f1c2a9e of kop/kop-deploy-prod names green live, but IaC was read as blue (hybris/values.yaml at main of kop/kop-deploy-prod): the branch moved while the plan was read; read it again',
      );
    });

    it.each<[string, Partial<DeployPlanWorld>, string]>([
      [
        'a colour the layout does not know',
        { live: readings('blue', 'purple') },
        "world.live.argocd.colour 'purple' is not a hybris colour of the layout (blue, green)",
      ],
      [
        'no readings',
        { live: undefined },
        'world.live is required when hybris deploys: the live colour is read from IaC and Argo CD both',
      ],
      [
        'no Argo CD reading',
        { live: { iac: readings('blue')!.iac } },
        'world.live.argocd is required when hybris deploys: the live colour is read from IaC and Argo CD both',
      ],
    ])('refuses %s, naming the field', (_name, world, message) => {
      const error = attempt(world);
      expect(error.name).toBe('InputError');
      expect(error.message).toBe(message);
    });

    it('needs no reading when hybris is not in the release', () => {
      const p = plan([apps.web], {
        world: { baseSha: BASE, files: iacFiles('blue') },
      });
      expect(p.hybris).toBeUndefined();
      expect(p.steps.map(s => s.id)).toEqual([
        'web.version',
        'signoff',
        'announce',
      ]);
    });
  });

  describe('cms and web', () => {
    it('cuts cms from pre-release, merges it to master through a merge request and its pipeline, then puts it on both Argo CD apps', () => {
      const p = plan([apps.cms]);
      expect(p.steps.map(s => [s.id, s.kind, s.sync, s.gate])).toEqual([
        ['cms.branch', 'call', [], { type: 'none' }],
        [
          'cms.merge-request',
          'call',
          [],
          {
            type: 'pipeline',
            project: 'kop/cms',
            sourceBranch: 'release/0b9c3a8e',
          },
        ],
        ['cms.merge', 'call', [], { type: 'none' }],
        [
          'cms.version',
          'git',
          ['cms', 'cms-internal'],
          { type: 'healthy', argocdApps: ['cms', 'cms-internal'] },
        ],
        ['signoff', 'wait', [], expect.objectContaining({ type: 'approval' })],
        ['announce', 'call', [], { type: 'none' }],
      ]);
      expect(p.steps.slice(0, 3).map(s => s.call?.target)).toEqual([
        {
          project: 'kop/cms',
          branch: 'release/0b9c3a8e',
          ref: CMS,
          from: 'pre-release',
        },
        {
          project: 'kop/cms',
          sourceBranch: 'release/0b9c3a8e',
          targetBranch: 'master',
        },
        {
          project: 'kop/cms',
          sourceBranch: 'release/0b9c3a8e',
          targetBranch: 'master',
        },
      ]);
      expect(step(p, 'cms.merge-request').call?.message).toMatch(
        /^\[kop\] cms 6e27011f\n\n\[kop\] 배포합니다\.\n[^]*\nRelease-Id: 0b9c3a8e-1111-4222-8333-944455556666\nRelease-Step: cms.merge-request\n$/,
      );
      const version = step(p, 'cms.version').git!;
      expect(Object.keys(version.files)).toEqual([
        'cms/values.yaml',
        'cms-internal/values.yaml',
      ]);
      expect(version.diff.match(/^diff --git .*$/gm)).toEqual([
        'diff --git a/cms/values.yaml b/cms/values.yaml',
        'diff --git a/cms-internal/values.yaml b/cms-internal/values.yaml',
      ]);
      expect(changedLines(version.diff)).toEqual([
        '-  tag: 5d41402a',
        `+  tag: ${CMS}`,
        '-  tag: 5d41402a',
        `+  tag: ${CMS}`,
      ]);
      expect(version.changes.map(c => [c.file, c.from, c.to])).toEqual([
        ['cms/values.yaml', '5d41402a', CMS],
        ['cms-internal/values.yaml', '5d41402a', CMS],
      ]);
      expect(p.steps.map(s => s.expectedMs)).toEqual([
        10_000,
        10_000 + 15 * MINUTE,
        10_000,
        MINUTE,
        undefined,
        10_000,
      ]);
    });

    it('sets web’s version in its values, syncs it and waits for it to be healthy', () => {
      const p = plan([apps.web]);
      const web = step(p, 'web.version');
      expect(web).toMatchObject({
        kind: 'git',
        app: 'web',
        phase: 'deploying',
        title: `Put ${WEB} on web`,
        sync: ['web'],
        gate: { type: 'healthy', argocdApps: ['web'] },
        expectedMs: MINUTE,
      });
      expect(changedLines(web.git!.diff)).toEqual([
        '-  tag: 7f3c2a1b',
        `+  tag: ${WEB}`,
      ]);
      expect(web.git!.message.split('\n')[0]).toBe(`[kop] web ${WEB}`);
    });

    it('plans an app already at its version as a sync and a health check that write nothing', () => {
      const files = iacFiles('blue');
      files['web/values.yaml'] = appValues('web', WEB);
      const p = plan([apps.web], {
        world: { baseSha: BASE, files, live: readings('blue') },
      });
      expect(step(p, 'web.version')).toMatchObject({
        sync: ['web'],
        git: {
          diff: '',
          files: { 'web/values.yaml': files['web/values.yaml'] },
        },
      });
    });
  });

  describe('all three apps', () => {
    const all = [apps.web, apps.cms, apps.hybris];

    it('deploys in the configured order, hybris then cms then web, then signs off once and switches', () => {
      const p = plan(all);
      expect(p.steps.map(s => s.id)).toEqual([
        'hybris.image',
        'hybris.scale-up.3',
        'hybris.scale-up.6',
        'hybris.scale-up.9',
        'cms.branch',
        'cms.merge-request',
        'cms.merge',
        'cms.version',
        'web.version',
        'signoff',
        'hybris.switch',
        'announce',
        'hybris.scale-down.6',
        'hybris.scale-down.3',
        'hybris.scale-down.0',
      ]);
      expect(p.steps.filter(s => s.kind === 'call').map(s => s.id)).toEqual([
        'cms.branch',
        'cms.merge-request',
        'cms.merge',
        'announce',
      ]);
    });

    it('follows release.plan.order, and deploys only the apps asked for', () => {
      const reordered = readDeployPlanSettings(
        configOf({
          ...releaseConfig,
          plan: { order: ['web', 'cms', 'hybris'] },
        }),
      );
      const p = plan(all, { settings: reordered });
      expect(p.steps.map(s => s.id).slice(0, 6)).toEqual([
        'web.version',
        'cms.branch',
        'cms.merge-request',
        'cms.merge',
        'cms.version',
        'hybris.image',
      ]);
      const only = plan(all, { only: ['web', 'cms'] });
      expect(only.steps.map(s => s.id)).toEqual([
        'cms.branch',
        'cms.merge-request',
        'cms.merge',
        'cms.version',
        'web.version',
        'signoff',
        'announce',
      ]);
    });

    it('names the files it reads', () => {
      expect(deployPlanFiles(layout, ['hybris', 'cms', 'web'])).toEqual([
        'hybris/values-blue.yaml',
        'hybris/values-green.yaml',
        'hybris/values.yaml',
        'cms/values.yaml',
        'cms-internal/values.yaml',
        'web/values.yaml',
      ]);
    });
  });

  describe('the fingerprint', () => {
    const all = [apps.hybris, apps.cms, apps.web];

    it('is the same for the same inputs, whatever the messages, titles and expected times say', () => {
      const a = plan(all);
      const b = plan(all);
      expect(a.fingerprint).toMatch(/^[0-9a-f]{64}$/);
      expect(b.fingerprint).toBe(a.fingerprint);
      expect(deployPlanFingerprint(a)).toBe(a.fingerprint);
      const slower = readDeployPlanSettings(
        configOf({
          ...releaseConfig,
          plan: { expectedTimes: { hybrisPodStart: '9m' } },
        }),
      );
      const c = computeDeployPlan({
        release: releaseOf(all, {
          items: [],
          updatedAt: '2026-01-09T01:00:00.000Z',
        }),
        policy: defaultGradePolicy,
        layout,
        settings: slower,
        environment: 'prod',
        world: {
          baseSha: BASE,
          files: iacFiles('blue'),
          live: readings('blue'),
        },
      });
      expect(c.steps[1].git?.message).not.toBe(a.steps[1].git?.message);
      expect(c.expectedMs).not.toBe(a.expectedMs);
      expect(c.fingerprint).toBe(a.fingerprint);
    });

    it('changes when any byte of any step’s diff changes', () => {
      const a = plan(all);
      a.steps.forEach((s, i) => {
        if (!s.git?.diff) return;
        const last = s.git.diff.length - 2;
        const changed = {
          ...a,
          steps: a.steps.map((t, j) =>
            j === i
              ? {
                  ...t,
                  git: {
                    ...t.git!,
                    diff: `${t.git!.diff.slice(0, last)}x${t.git!.diff.slice(
                      last + 1,
                    )}`,
                  },
                }
              : t,
          ),
        };
        expect(deployPlanFingerprint(changed)).not.toBe(a.fingerprint);
      });
    });

    it('changes with the base commit, a file a step edits, the steps, a call’s target and the environment', () => {
      const a = plan(all);
      const files = iacFiles('blue');
      files['hybris/values-blue.yaml'] = files[
        'hybris/values-blue.yaml'
      ].replace(
        '# 9 replicas is "normal"; the idle colour runs 0.',
        '# 9 replicas is "normal".',
      );
      const others = [
        plan(all, {
          world: {
            baseSha: 'a'.repeat(40),
            files: iacFiles('blue'),
            live: readings('blue'),
          },
        }),
        plan(all, { world: { baseSha: BASE, files, live: readings('blue') } }),
        plan([{ ...apps.hybris, steps: [3, 6, 9, 12] }, apps.cms, apps.web]),
        plan([apps.hybris, { ...apps.cms, version: '6e27011a' }, apps.web]),
        plan(all, { environment: 'beta' }),
      ];
      // The line edited by hand is context of the scale-down diffs only.
      expect(
        others[1].steps
          .filter((s, i) => s.git?.diff !== a.steps[i].git?.diff)
          .map(s => s.id),
      ).toEqual([
        'hybris.scale-down.6',
        'hybris.scale-down.3',
        'hybris.scale-down.0',
      ]);
      const prints = new Set([a, ...others].map(p => p.fingerprint));
      expect(prints.size).toBe(others.length + 1);
    });
  });

  describe('bad input', () => {
    const refuse = (
      releaseApps: ReleaseAppVersion[],
      more: Partial<DeployPlanInput> = {},
    ) => {
      try {
        plan(releaseApps, more);
      } catch (e) {
        return e as Error & { field?: string };
      }
      throw new Error('the plan was not refused');
    };

    it.each<
      [string, ReleaseAppVersion[], Partial<DeployPlanInput>, string, string]
    >([
      [
        'a step above the maximum replicas',
        [apps.cms, { ...apps.hybris, steps: [10, 20, 40] }],
        {},
        'apps[1].steps[2]',
        "apps[1].steps[2] is 40, above hybris's maximum of 30 replicas (release.apps.hybris.maxReplicas)",
      ],
      [
        'steps that do not increase',
        [{ ...apps.hybris, steps: [5, 5, 15] }],
        {},
        'apps[0].steps[1]',
        'apps[0].steps[1] is 5, not more than apps[0].steps[0] (5): steps must increase',
      ],
      [
        'a step of no replicas',
        [{ ...apps.hybris, steps: [0, 3] }],
        {},
        'apps[0].steps[0]',
        'apps[0].steps[0] must be a whole number of replicas above 0, got 0',
      ],
      [
        'steps on an app that has none',
        [apps.hybris, { ...apps.web, steps: [1, 2] }],
        {},
        'apps[1].steps',
        'apps[1].steps is for hybris only; web has none',
      ],
      [
        'an app the layout does not know',
        [apps.web, { ...apps.web, app: 'search' as 'web' }],
        {},
        'apps[1].app',
        "apps[1].app 'search' is not an app of the release layout (hybris, cms, web)",
      ],
      [
        'an app twice',
        [apps.web, apps.cms, { ...apps.web, version: 'b1b2b3b4' }],
        {},
        'apps[2]',
        'apps[2] names web again (already apps[0])',
      ],
      [
        'a version that is not one',
        [{ ...apps.hybris, version: 'latest' }],
        {},
        'apps[0].version',
        'apps[0].version "latest" is not a hybris version (deploy-YYYY-MM-DD or a semver tag)',
      ],
      [
        'a version no image tag can hold',
        [apps.web, { ...apps.cms, version: 'v1.2.3+build.7' }],
        {},
        'apps[1].version',
        "apps[1].version 'v1.2.3+build.7' cannot be an image tag (letters, digits, '.', '_', '-')",
      ],
      [
        'an app not in the release',
        [apps.hybris, apps.web],
        { only: ['web', 'cms'] },
        'only[1]',
        "only[1] 'cms' is not an app of this release (hybris, web)",
      ],
      ['no app', [], {}, 'apps', 'apps is empty: nothing to deploy'],
      [
        'an environment the layout does not know',
        [apps.web],
        { environment: 'stage' },
        'environment',
        "environment must be one of beta, prod, got 'stage'",
      ],
      [
        'a base that is not a commit',
        [apps.web],
        {
          world: { baseSha: 'main', files: iacFiles('blue') },
        },
        'world.baseSha',
        'world.baseSha must be a commit SHA, got "main"',
      ],
      [
        'a values file not read',
        [apps.web, apps.cms],
        {
          world: {
            baseSha: BASE,
            files: { 'web/values.yaml': iacFiles()['web/values.yaml'] },
          },
        },
        'world.files',
        'world.files has no cms/values.yaml (read it at 3f1c2a9e of kop/kop-deploy-prod)',
      ],
    ])(
      'refuses %s, naming the field',
      (_name, releaseApps, more, field, message) => {
        const error = refuse(releaseApps, more);
        expect(error.name).toBe('InputError');
        expect(error.field).toBe(field);
        expect(error.message).toBe(message);
      },
    );

    it('refuses layout steps above the maximum, naming the config key', () => {
      const low = readDeployPlanSettings(
        configOf({
          ...releaseConfig,
          apps: {
            ...releaseConfig.apps,
            hybris: { ...releaseConfig.apps.hybris, maxReplicas: 8 },
          },
        }),
      );
      expect(() => plan([apps.hybris], { settings: low })).toThrow(
        "release.apps.hybris.steps[2] is 9, above hybris's maximum of 8 replicas (release.apps.hybris.maxReplicas)",
      );
      // A release's own steps within the maximum still plan.
      expect(
        plan([{ ...apps.hybris, steps: [4, 8] }], { settings: low }).steps[2]
          .id,
      ).toBe('hybris.scale-up.8');
    });

    it('refuses a watched metric the gates do not have', () => {
      const odd = readDeployPlanSettings(
        configOf({
          ...releaseConfig,
          apps: {
            ...releaseConfig.apps,
            hybris: {
              ...releaseConfig.apps.hybris,
              switch: {
                ...releaseConfig.apps.hybris.switch,
                watchMetrics: ['hybris-errors'],
              },
            },
          },
        }),
      );
      expect(() => plan([apps.hybris], { settings: odd })).toThrow(
        "release.apps.hybris.switch.watchMetrics names 'hybris-errors', which is not one of release.apps.hybris.gates.metrics (jgroups-view-steady, error-rate)",
      );
    });
  });

  describe('the stages around the deploy', () => {
    const staged = readDeployPlanSettings(
      configOf({
        ...releaseConfig,
        plan: { build: true },
        beta: {
          paymentTests: {
            jenkinsJob: 'kop/payment-tests',
            brands: ['ks', 'tc', 'g4'],
          },
        },
        postDeployTests: {
          tests: [
            { name: 'smoke', jenkinsJob: 'kop/post-deploy-tests' },
            { name: 'storefront', url: 'https://kop.example/health' },
          ],
        },
      }),
    );
    const all = [apps.hybris, apps.cms, apps.web];
    /** The world with the build of hybris's version Jenkins had before the release. */
    const builtBefore = (number: number, imageTag: string) => ({
      baseSha: BASE,
      files: iacFiles(),
      live: readings('blue'),
      builds: [
        {
          app: 'hybris' as const,
          version: HYBRIS,
          job: 'kop/hybris-build',
          number,
          imageTag,
        },
      ],
    });

    it('builds first what has no build, runs the post-deploy tests before the sign-off in prod', () => {
      const p = plan(all, { settings: staged });
      expect(p.steps.slice(0, 3).map(s => [s.id, s.kind, s.gate.type])).toEqual(
        [
          ['hybris.build', 'call', 'none'],
          ['cms.pipeline', 'wait', 'commit-pipeline'],
          ['web.pipeline', 'wait', 'commit-pipeline'],
        ],
      );
      expect(step(p, 'hybris.build').call).toEqual({
        system: 'jenkins',
        operation: 'build',
        target: { job: 'kop/hybris-build', app: 'hybris', version: HYBRIS },
      });
      expect(step(p, 'cms.pipeline').gate).toEqual({
        type: 'commit-pipeline',
        project: 'kop/cms',
        ref: CMS,
      });
      const ids = p.steps.map(s => s.id);
      expect(ids.indexOf('tests.post-deploy')).toBe(ids.indexOf('signoff') - 1);
      expect(ids.indexOf('tests.post-deploy')).toBe(
        ids.indexOf('web.version') + 1,
      );
      const tests = step(p, 'tests.post-deploy');
      expect([tests.phase, tests.call?.operation, tests.tests]).toEqual([
        'verifying',
        'post-deploy-tests',
        [
          { kind: 'jenkins', name: 'smoke', job: 'kop/post-deploy-tests' },
          {
            kind: 'http',
            name: 'storefront',
            url: 'https://kop.example/health',
            expectStatus: 200,
          },
        ],
      ]);
      expect(ids).not.toContain('tests.payment');
      // What the tests are is part of what approvers approve.
      expect(p.fingerprint).not.toBe(plan(all).fingerprint);
    });

    it('plans no build of a version the release recorded a successful build of', () => {
      const builds = [
        {
          app: 'hybris' as const,
          version: HYBRIS,
          system: 'jenkins' as const,
          job: 'kop/hybris-build',
          buildNumber: 7,
          imageTag: `${HYBRIS}-7`,
          url: 'https://jenkins.example/job/kop/job/hybris-build/7/',
          result: 'success' as const,
          at: '2026-01-08T01:00:00.000Z',
        },
        {
          app: 'cms' as const,
          version: CMS,
          system: 'gitlab' as const,
          job: 'kop/cms',
          buildNumber: 9001,
          url: 'https://gitlab.example/kop/cms/-/pipelines/9001',
          result: 'failed' as const,
          at: '2026-01-08T01:00:00.000Z',
        },
      ];
      const p = plan(all, {
        settings: staged,
        release: releaseOf(all, { builds }),
      });
      expect(p.steps.slice(0, 2).map(s => s.id)).toEqual([
        'cms.pipeline',
        'web.pipeline',
      ]);
      expect(p.notes).toContain(
        `hybris: ${HYBRIS} was built (kop/hybris-build #7, ${HYBRIS}-7); no build step`,
      );
      // The image written is the one that build pushed, not the deploy branch's name.
      expect(step(p, 'hybris.image').title).toBe(
        `Put ${HYBRIS}-7 (${HYBRIS}) on hybris-green, the idle colour`,
      );
      expect(changedLines(step(p, 'hybris.image').git!.diff)).toEqual([
        '-  tag: deploy-2025-12-23',
        `+  tag: ${HYBRIS}-7`,
      ]);
      expect(p.builtImages).toBeUndefined();
    });

    it("writes the tag of the version's build Jenkins already has, and records exactly that build", () => {
      const p = plan(all, {
        settings: staged,
        world: builtBefore(12, `${HYBRIS}-12`),
      });
      expect(step(p, 'hybris.build').call!.target).toEqual({
        job: 'kop/hybris-build',
        app: 'hybris',
        version: HYBRIS,
        number: '12',
      });
      expect(step(p, 'hybris.image').git!.changes).toEqual([
        expect.objectContaining({ key: 'image.tag', to: `${HYBRIS}-12` }),
      ]);
      expect(p.notes).toContain(
        `hybris: ${HYBRIS} was built before the release (kop/hybris-build #12, ${HYBRIS}-12); hybris.build records that build`,
      );
      expect(p.builtImages).toBeUndefined();
    });

    it('refuses a recorded or found build whose tag is no image tag, naming the field', () => {
      const bad = {
        app: 'hybris' as const,
        version: HYBRIS,
        system: 'jenkins' as const,
        job: 'kop/hybris-build',
        buildNumber: 7,
        imageTag: 'deploy 2026',
        url: 'https://jenkins.example/job/kop/job/hybris-build/7/',
        result: 'success' as const,
        at: '2026-01-08T01:00:00.000Z',
      };
      expect(() =>
        plan(all, {
          settings: staged,
          release: releaseOf(all, { builds: [bad] }),
        }),
      ).toThrow(
        "release.builds[0].imageTag 'deploy 2026' is not an image tag (letters, digits, '.', '_', '-')",
      );
      expect(() =>
        plan(all, { settings: staged, world: builtBefore(3, '') }),
      ).toThrow('world.builds[0].imageTag "" is not an image tag');
    });

    describe('a hybris version its build step builds first', () => {
      const built = () => plan([apps.hybris], { settings: staged });
      const placeholder = '<image tag from hybris.build>';
      /** The run's outputs of its build step, as the engine keeps them. */
      const runOf = (
        p: DeployPlan,
        build: Record<string, unknown> = {
          system: 'jenkins',
          job: 'kop/hybris-build',
          app: 'hybris',
          version: HYBRIS,
          triggered: true,
          number: 41,
          result: 'SUCCESS',
          imageTag: `${HYBRIS}-41`,
        },
      ) => [
        {
          index: p.steps.findIndex(s => s.id === 'hybris.build'),
          outputs: { build: build as never },
        },
      ];

      it('shows the tag as coming from that build, and approvers approve which build', () => {
        const p = built();
        expect(p.builtImages).toEqual([
          { placeholder, step: 'hybris.build', app: 'hybris', version: HYBRIS },
        ]);
        const image = step(p, 'hybris.image');
        expect(image.title).toBe(
          `Put the image hybris.build pushes for ${HYBRIS} on hybris-green, the idle colour`,
        );
        expect(changedLines(image.git!.diff)).toEqual([
          '-  tag: deploy-2025-12-23',
          `+  tag: ${placeholder}`,
        ]);
        expect(p.notes).toContain(
          `hybris: the image tag is the one hybris.build pushes for ${HYBRIS}; the steps show ${placeholder} until that build has run`,
        );
        // Another version to build is another plan to approve.
        const other = plan([{ ...apps.hybris, version: 'deploy-2026-01-09' }], {
          settings: staged,
        });
        expect(changedLines(step(other, 'hybris.image').git!.diff)).toEqual(
          changedLines(image.git!.diff),
        );
        expect(other.fingerprint).not.toBe(p.fingerprint);
        expect(
          deployPlanFingerprint({ ...p, builtImages: undefined }),
        ).not.toBe(p.fingerprint);
      });

      it("writes the tag the run's build pushed in every step, each step's compare-and-swap made from the files as written", () => {
        const p = built();
        const run = resolveBuiltImages(p, runOf(p));
        expect(run.fingerprint).toBe(p.fingerprint);
        expect(run.builtImages).toEqual([
          expect.objectContaining({ placeholder, tag: `${HYBRIS}-41` }),
        ]);
        const image = step(run, 'hybris.image');
        expect(image.git!.changes).toEqual([
          expect.objectContaining({
            file: 'hybris/values-green.yaml',
            from: 'deploy-2025-12-23',
            to: `${HYBRIS}-41`,
          }),
        ]);
        expect(changedLines(image.git!.diff)).toEqual([
          '-  tag: deploy-2025-12-23',
          `+  tag: ${HYBRIS}-41`,
        ]);
        // The steps chain over the files as the run writes them, from the IaC head on.
        const files = iacFiles();
        run.steps.forEach((s, i) => {
          expect(builtImageRefusal(run, i)).toBeUndefined();
          for (const [path, text] of Object.entries(s.git?.files ?? {})) {
            expect([s.id, gitBlobId(files[path])]).toEqual([
              s.id,
              s.git!.before[path],
            ]);
            expect(text).not.toContain(placeholder);
            files[path] = text;
          }
        });
        expect(files['hybris/values-green.yaml']).toBe(
          hybrisColourValues('green', `${HYBRIS}-41`, 9),
        );
      });

      it('runs no step that writes the tag before that build succeeded for exactly that version', () => {
        const p = built();
        const image = p.steps.findIndex(s => s.id === 'hybris.image');
        const raise = p.steps.findIndex(s => s.id === 'hybris.scale-up.3');
        const refusal = `hybris.image writes the image tag hybris.build pushes for ${HYBRIS}, and hybris.build has not finished a successful build of ${HYBRIS} in this run; nothing was committed`;
        expect(builtImageRefusal(resolveBuiltImages(p, []), image)).toBe(
          refusal,
        );
        // A later step carries the placeholder in its file too.
        expect(builtImageRefusal(p, raise)).toMatch(/^hybris.scale-up.3 /);
        const build = runOf(p)[0].outputs.build as object;
        for (const other of [
          { ...build, version: 'deploy-2026-01-09' },
          { ...build, result: 'FAILURE' },
          { ...build, app: 'cms' },
        ]) {
          const run = resolveBuiltImages(p, runOf(p, other));
          expect(builtImageRefusal(run, image)).toBe(refusal);
        }
        expect(
          builtImageRefusal(
            p,
            p.steps.findIndex(s => s.id === 'hybris.build'),
          ),
        ).toBeUndefined();
      });
    });

    it('tries the release on beta without sign-off, acknowledgement or announcement, and ends with the payment tests', () => {
      const p = plan(all, {
        settings: staged,
        environment: 'beta',
        release: releaseOf(all, { dbUpdate: true, state: 'prepared' }),
      });
      const ids = p.steps.map(s => s.id);
      expect(ids).not.toContain('signoff');
      expect(ids).not.toContain('announce');
      expect(ids).not.toContain('hybris.db-schema-ack');
      expect(ids).not.toContain('tests.post-deploy');
      expect(ids).toContain('hybris.switch');
      expect(ids[ids.length - 1]).toBe('tests.payment');
      expect(step(p, 'tests.payment').call).toEqual({
        system: 'jenkins',
        operation: 'payment-tests',
        target: {
          job: 'kop/payment-tests',
          brands: 'ks,tc,g4',
          environment: 'beta',
        },
      });
    });
  });
});
