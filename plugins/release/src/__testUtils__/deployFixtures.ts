import type {
  DeployControl,
  DeployControlName,
  DeployPlan,
  DeployPlanStep,
  DeployRunStepView,
  DeployRunView,
  DeployView,
} from '@internal/plugin-release-common';
import { releaseId } from './releaseFixtures';

export const planFingerprint =
  '3f2a9c1d7e5b40a6b8c2d4e6f8a0b1c3d5e7f9a1b3c5d7e9f1a3b5c7d9e1f3a5';

const webDiff = [
  '--- a/web/values.yaml',
  '+++ b/web/values.yaml',
  '@@ -3 +3 @@ image:',
  '-  tag: 9f8e7d6c',
  '+  tag: a7ed4db1',
  '',
].join('\n');

const greenDiff = [
  '--- a/hybris/values-green.yaml',
  '+++ b/hybris/values-green.yaml',
  '@@ -1,4 +1,4 @@',
  '-replicaCount: 0',
  '+replicaCount: 6',
  ' image:',
  '-  tag: deploy-2026-11-18',
  '+  tag: deploy-2026-11-25',
  '',
].join('\n');

const hybrisChecks = [
  { name: 'pods-ready' },
  { name: 'cluster-status' },
  { name: 'error-rate', max: 0.05, query: 'sum(rate(errors[1m]))' },
];

/** The steps of a blue/green deploy of hybris (blue live) and a sync of web, in order. */
export function planStepsFixture(): DeployPlanStep[] {
  return [
    {
      id: 'gitlab.create-branch',
      kind: 'call',
      app: 'hybris',
      phase: 'deploying',
      title: 'Cut release/2026.11.25 from master',
      call: {
        system: 'gitlab',
        operation: 'create-branch',
        target: { project: 'kop/hybris', branch: 'release/2026.11.25' },
      },
      sync: [],
      gate: { type: 'none' },
      expectedMs: 5_000,
    },
    {
      id: 'web.image',
      kind: 'git',
      app: 'web',
      phase: 'deploying',
      title: 'web: image a7ed4db1',
      git: {
        message: 'release(kop): web a7ed4db1',
        changes: [
          {
            argocdApp: 'web',
            file: 'web/values.yaml',
            key: 'image.tag',
            from: '9f8e7d6c',
            to: 'a7ed4db1',
          },
        ],
        before: { 'web/values.yaml': 'b1' },
        files: { 'web/values.yaml': 'image:\n  tag: a7ed4db1\n' },
        diff: webDiff,
      },
      sync: ['web'],
      gate: { type: 'healthy', argocdApps: ['web'] },
      expectedMs: 90_000,
    },
    {
      id: 'hybris.scale-up.6',
      kind: 'git',
      app: 'hybris',
      phase: 'deploying',
      title: 'hybris green: 6 replicas of deploy-2026-11-25',
      git: {
        message: 'release(kop): hybris green 6',
        changes: [
          {
            argocdApp: 'hybris-green',
            file: 'hybris/values-green.yaml',
            key: 'replicaCount',
            from: 0,
            to: 6,
          },
        ],
        before: { 'hybris/values-green.yaml': 'b2' },
        files: { 'hybris/values-green.yaml': 'replicaCount: 6\n' },
        diff: greenDiff,
      },
      sync: ['hybris-green'],
      gate: {
        type: 'hybris',
        colour: 'green',
        expectedNodes: 6,
        soakMs: 120_000,
        checks: hybrisChecks,
      },
      expectedMs: 900_000,
      hybris: { colour: 'green', role: 'new', replicas: 6 },
    },
    {
      id: 'db-schema.acknowledge',
      kind: 'wait',
      app: 'hybris',
      phase: 'deploying',
      title: 'Blue tolerates the new DB schema',
      sync: [],
      gate: { type: 'acknowledgement', subject: 'db-schema' },
    },
    {
      id: 'hybris.switch',
      kind: 'git',
      app: 'hybris',
      phase: 'switching',
      title: 'Switch hybris traffic to green',
      git: {
        message: 'release(kop): hybris live green',
        changes: [
          {
            argocdApp: 'hybris-router',
            file: 'hybris/values-router.yaml',
            key: 'live',
            from: 'blue',
            to: 'green',
          },
        ],
        before: { 'hybris/values-router.yaml': 'b3' },
        files: { 'hybris/values-router.yaml': 'live: green\n' },
        diff: '--- a/hybris/values-router.yaml\n+++ b/hybris/values-router.yaml\n-live: blue\n+live: green\n',
      },
      sync: ['hybris-router'],
      gate: {
        type: 'watch',
        colour: 'green',
        windowMs: 600_000,
        checks: [{ name: 'error-rate', max: 0.05 }],
        onBreach: 'switch-back',
      },
      expectedMs: 660_000,
      hybris: { colour: 'green', role: 'switch' },
    },
    {
      id: 'slack.announce',
      kind: 'call',
      phase: 'announced',
      title: 'Announce the release in #kop-release',
      call: {
        system: 'slack',
        operation: 'announce',
        target: { channel: '#kop-release' },
        message: '[kop] 배포합니다.',
      },
      sync: [],
      gate: { type: 'none' },
      expectedMs: 2_000,
    },
  ];
}

/** The plan for prod of the fixture release. */
export function planFixture(overrides: Partial<DeployPlan> = {}): DeployPlan {
  return {
    releaseId,
    environment: 'prod',
    iac: {
      project: 'kop/kop-deploy-prod',
      branch: 'main',
      baseSha: 'e'.repeat(40),
    },
    hybris: { live: 'blue', idle: 'green' },
    steps: planStepsFixture(),
    expectedMs: 1_657_000,
    fingerprint: planFingerprint,
    notes: ['hybris green already runs 3 replicas: the step to 3 is left out'],
    ...overrides,
  };
}

const enabled: DeployControl = { enabled: true };

/** Every control disabled with the same reason, then the overrides. */
export function controlsFixture(
  overrides: Partial<Record<DeployControlName, DeployControl>> = {},
): DeployView['controls'] {
  const off = (reason: string): DeployControl => ({ enabled: false, reason });
  return {
    deploy: enabled,
    deployBeta: off('No beta environment is configured (release.beta)'),
    pause: off('No run is going'),
    resume: off('No run is paused'),
    retry: off('No step failed'),
    skip: off('No step is waiting'),
    abort: off('Nothing is deployed yet'),
    acknowledge: off('No step waits for an acknowledgement'),
    requestApproval: off("No run stopped on someone else's change"),
    ...overrides,
  };
}

/** The Deploy card before any run: Deploy enabled, the plan approved as it is. */
export function deployViewFixture(
  overrides: Partial<DeployView> = {},
): DeployView {
  return {
    runs: [],
    controls: controlsFixture(),
    acknowledgements: [],
    approvedFingerprint: planFingerprint,
    twoVersionsLive: false,
    ...overrides,
  };
}

/** A run's step for each plan step: the first `done` done, the next in `state`, the rest pending. */
export function runStepsFixture(
  done: number,
  state: DeployRunStepView['state'],
  current: Partial<DeployRunStepView> = {},
): DeployRunStepView[] {
  return planStepsFixture().map((step, index) => {
    const base: DeployRunStepView = {
      index,
      stepId: step.id,
      kind: step.kind,
      state: 'pending',
      attempts: 0,
      links: [],
    };
    if (index < done) {
      return {
        ...base,
        state: 'done',
        attempts: 1,
        startedAt: '2026-11-25T03:00:00.000Z',
        finishedAt: '2026-11-25T03:01:30.000Z',
      };
    }
    if (index === done) return { ...base, state, ...current };
    return base;
  });
}

/** A deploy run of the fixture plan, waiting on green's gate with its readings. */
export function runFixture(
  overrides: Partial<DeployRunView> = {},
): DeployRunView {
  return {
    id: 'run-1',
    releaseId,
    environment: 'prod',
    kind: 'deploy',
    state: 'waiting',
    plan: planFixture(),
    startedBy: 'user:default/kim.minjun',
    createdAt: '2026-11-25T03:00:00.000Z',
    updatedAt: '2026-11-25T03:10:00.000Z',
    steps: runStepsFixture(2, 'waiting', {
      attempts: 1,
      startedAt: '2026-11-25T03:02:00.000Z',
      waitingReason: 'green is not steady yet',
      readings: {
        checks: [
          {
            name: 'pods-ready',
            ok: true,
            value: 6,
            min: 6,
            detail: 'pods 6/6 ready',
          },
          {
            name: 'cluster-status',
            ok: false,
            value: 5,
            min: 6,
            detail: 'JGroups view 5/6',
          },
          {
            name: 'error-rate',
            ok: true,
            value: 0.012,
            max: 0.05,
            detail: 'error rate 1.2%',
          },
        ],
        hold: {
          kind: 'soak',
          requiredMs: 120_000,
          heldMs: 30_000,
          leftMs: 90_000,
        },
        timeoutLeftMs: 600_000,
      },
      links: [
        {
          kind: 'commit',
          title: 'kop-deploy-prod@1a2b3c4d',
          url: 'https://gitlab.kop.example/kop/kop-deploy-prod/-/commit/1a2b3c4d',
        },
        {
          kind: 'argocd',
          title: 'hybris-green',
          url: 'https://argocd-prod.kop.example/applications/hybris-green',
        },
        {
          kind: 'grafana',
          title: 'hybris green',
          url: 'https://grafana.kop.example/d/hybris?var-colour=green',
        },
      ],
      commit: { sha: '1a2b3c4d'.repeat(5), committed: true },
    }),
    ...overrides,
  };
}
