import { ConfigReader } from '@backstage/config';
import {
  defaultGradePolicy,
  type DeployPlan,
  type DeployPlanStep,
  type ReleaseAppVersion,
  type ReleaseConfig,
} from '@internal/plugin-release-common';
import { hybrisColourValues, hybrisSwitchValues } from 'sandbox';
import { gitBlobId } from '../iac/gitBlob';
import { readReleaseLayout } from '../layout';
import {
  ABORT_SWITCH_BACK,
  abortPlanFiles,
  checkAbortPlan,
  computeAbortPlan,
  type AbortPlanRunStep,
} from './computeAbortPlan';
import { computeDeployPlan, type DeployPlanWorld } from './computeDeployPlan';
import { configPlanFiles } from './configPlan';
import { DeployPlanConflictError, DeployPlanInputError } from './errors';
import { deployPlanFingerprint } from './fingerprint';
import { planRelease } from './__testUtils__/planRelease';

// The layout's defaults are the team's layout: blue/green, 3 → 6 → 9, lowered 3 at a time.
const layout = readReleaseLayout(new ConfigReader({}));
const BASE = '3f1c2a9e8d7b6c5a4f3e2d1c0b9a8f7e6d5c4b3a';
const HEAD = '9e8d7b6c5a4f3e2d1c0b9a8f7e6d5c4b3a3f1c2a';
const RUNNING = 'deploy-2026-01-06';
const IDLE_TAG = 'deploy-2025-12-23';

const tagged = (tag: string) => `image:\n  tag: ${tag}\nreplicaCount: 3\n`;

/** Blue serves 9 replicas of deploy-2026-01-06, green idles at 0. */
const baseFiles: Record<string, string> = {
  'hybris/values-blue.yaml': hybrisColourValues('blue', RUNNING, 9),
  'hybris/values-green.yaml': hybrisColourValues('green', IDLE_TAG, 0),
  'hybris/values.yaml': hybrisSwitchValues('blue'),
  'cms/values.yaml': tagged('5d41402a'),
  'cms-internal/values.yaml': tagged('5d41402a'),
  'web/values.yaml': tagged('7f3c2a1b'),
};

const apps: Record<'hybris' | 'cms' | 'web', ReleaseAppVersion> = {
  hybris: {
    app: 'hybris',
    version: 'deploy-2026-01-08',
    strategy: 'blue-green-steps',
  },
  cms: { app: 'cms', version: '6e27011f', strategy: 'branch-merge-sync' },
  web: { app: 'web', version: 'a7ed4db1', strategy: 'sync' },
};

function readings(iac: string, argocd: string = iac): DeployPlanWorld['live'] {
  return {
    iac: {
      at: 'hybris/values.yaml at main of kop/kop-deploy-prod',
      colour: iac,
    },
    argocd: {
      at: 'hybris/values.yaml at 3f1c2a9e8d7b of kop/kop-deploy-prod',
      colour: argocd,
    },
  };
}

const release = planRelease([apps.hybris, apps.cms, apps.web]);
const deploy = (releaseApps = release.apps): DeployPlan =>
  computeDeployPlan({
    release: planRelease(releaseApps),
    policy: defaultGradePolicy,
    layout,
    environment: 'prod',
    world: { baseSha: BASE, files: baseFiles, live: readings('blue') },
  });

/** The files once these deploy steps have committed, in the plan's order. */
function filesAfter(
  plan: DeployPlan,
  ids: string[],
  before = baseFiles,
): Record<string, string> {
  const files = { ...before };
  for (const step of plan.steps) {
    if (ids.includes(step.id)) Object.assign(files, step.git?.files);
  }
  return files;
}

/** The run with these steps done, each git step's commit recorded. */
function runOf(plan: DeployPlan, ids: string[]): AbortPlanRunStep[] {
  return ids.map(id => {
    const index = plan.steps.findIndex(s => s.id === id);
    if (index < 0) throw new Error(`no step ${id}`);
    const git = plan.steps[index].git;
    return {
      index,
      state: 'done',
      ...(git
        ? { outputs: { git: { sha: HEAD, committed: true, attempts: 1 } } }
        : {}),
    };
  });
}

function abort(
  plan: DeployPlan,
  done: string[],
  options: {
    files?: Record<string, string>;
    steps?: AbortPlanRunStep[];
    argocd?: string;
    release?: typeof release;
  } = {},
): DeployPlan {
  const files = options.files ?? filesAfter(plan, done);
  const live = files['hybris/values.yaml'].includes('hybrisServiceName: green')
    ? 'green'
    : 'blue';
  return computeAbortPlan({
    release: options.release ?? release,
    plan,
    steps: options.steps ?? runOf(plan, done),
    layout,
    world: {
      baseSha: HEAD,
      files,
      live: readings(live, options.argocd ?? live),
    },
  });
}

/** What each step changes: [step id, [argocdApp key from → to …]]. */
const changesOf = (plan: DeployPlan) =>
  plan.steps.map(s => [
    s.id,
    s.git!.changes.map(
      c => `${c.argocdApp} ${c.key} ${String(c.from)} → ${String(c.to)}`,
    ),
  ]);

const RAISED = ['hybris.image', 'hybris.scale-up.3', 'hybris.scale-up.6'];
/** Every step of a deploy of all three apps up to the switch. */
const ALL_IDS = deploy().steps.map(s => s.id);
const UP_TO_SWITCH = ALL_IDS.slice(0, ALL_IDS.indexOf('hybris.switch') + 1);

describe('computeAbortPlan', () => {
  const plan = deploy([apps.hybris]);

  it('after the second raise, lowers the new colour to 0 by revert commits and puts its image back, leaving blue alone', () => {
    const a = abort(plan, RAISED);
    expect(changesOf(a)).toEqual([
      ['abort.hybris.scale-down.new.3', ['hybris-green replicaCount 6 → 3']],
      ['abort.hybris.scale-down.new.0', ['hybris-green replicaCount 3 → 0']],
      [
        'abort.hybris.image',
        [`hybris-green image.tag deploy-2026-01-08 → ${IDLE_TAG}`],
      ],
    ]);
    for (const step of a.steps) {
      expect(step).toMatchObject({
        kind: 'git',
        app: 'hybris',
        sync: ['hybris-green'],
        gate: { type: 'healthy', argocdApps: ['hybris-green'] },
        hybris: { colour: 'green', role: 'new' },
      });
      expect(Object.keys(step.git!.files)).toEqual([
        'hybris/values-green.yaml',
      ]);
    }
    // Green's file ends byte for byte as it was before the release.
    expect(a.steps[2].git!.files['hybris/values-green.yaml']).toBe(
      baseFiles['hybris/values-green.yaml'],
    );
    expect(a).toMatchObject({
      releaseId: release.id,
      environment: 'prod',
      iac: { project: 'kop/kop-deploy-prod', branch: 'main', baseSha: HEAD },
      hybris: { live: 'blue', idle: 'green' },
      notes: [],
      expectedMs: 3 * 60_000,
    });
    expect(a.fingerprint).toBe(deployPlanFingerprint(a));
    expect(a.fingerprint).not.toBe(plan.fingerprint);
  });

  it('chains compare-and-swap blob ids from the files read, and writes the deploy’s message convention', () => {
    const files = filesAfter(plan, RAISED);
    const a = abort(plan, RAISED);
    const green = 'hybris/values-green.yaml';
    expect(a.steps.map(s => s.git!.before[green])).toEqual([
      gitBlobId(files[green]),
      gitBlobId(a.steps[0].git!.files[green]),
      gitBlobId(a.steps[1].git!.files[green]),
    ]);
    const [subject, blank, body, blank2, ...trailers] =
      a.steps[0].git!.message.split('\n');
    expect(subject).toBe('[kop] Abort of 2026.01.08: hybris green → 3');
    expect([blank, blank2]).toEqual(['', '']);
    expect(body).toBe(
      `Lower hybris-green to 3 replicas, undoing hybris.scale-up.3, hybris.scale-up.6 of the deploy (plan ${plan.fingerprint.slice(
        0,
        12,
      )}).`,
    );
    expect(trailers).toEqual([
      `Release-Id: ${release.id}`,
      'Release-Step: abort.hybris.scale-down.new.3',
      '',
    ]);
    expect(a.steps[0].git!.diff).toContain(
      '-replicaCount: 6\n+replicaCount: 3',
    );
  });

  it('after the switch, switches back to blue first in one commit of the three keys, then lowers green', () => {
    const full = deploy();
    const a = abort(full, UP_TO_SWITCH);
    expect(a.steps.map(s => s.id)).toEqual([
      ABORT_SWITCH_BACK,
      'abort.web.version',
      'abort.hybris.scale-down.new.6',
      'abort.hybris.scale-down.new.3',
      'abort.hybris.scale-down.new.0',
      'abort.hybris.image',
    ]);
    const back = a.steps[0];
    expect(back).toMatchObject({
      phase: 'switching',
      sync: ['hybris'],
      gate: { type: 'healthy', argocdApps: ['hybris'] },
      hybris: { colour: 'blue', role: 'switch' },
    });
    expect(changesOf({ ...a, steps: [back] })).toEqual([
      [
        ABORT_SWITCH_BACK,
        [
          'hybris storefront.hybrisServiceName green → blue',
          'hybris backoffice.hybrisServiceName green → blue',
          'hybris api.hybrisServiceName green → blue',
        ],
      ],
    ]);
    expect(back.git!.files['hybris/values.yaml']).toBe(
      baseFiles['hybris/values.yaml'],
    );
    expect(back.git!.message.split('\n')[0]).toBe(
      '[kop] Abort of 2026.01.08: hybris switch → blue',
    );
  });

  it('while blue was being lowered, raises blue back step by step through its gate, then switches back, then lowers green', () => {
    const done = [
      ...UP_TO_SWITCH.filter(id => id.startsWith('hybris') || id === 'signoff'),
      'announce',
      'hybris.scale-down.6',
      'hybris.scale-down.3',
    ];
    const a = abort(plan, done, { argocd: 'green' });
    expect(changesOf(a)).toEqual([
      ['abort.hybris.scale-up.old.6', ['hybris-blue replicaCount 3 → 6']],
      ['abort.hybris.scale-up.old.9', ['hybris-blue replicaCount 6 → 9']],
      [
        ABORT_SWITCH_BACK,
        [
          'hybris storefront.hybrisServiceName green → blue',
          'hybris backoffice.hybrisServiceName green → blue',
          'hybris api.hybrisServiceName green → blue',
        ],
      ],
      ['abort.hybris.scale-down.new.6', ['hybris-green replicaCount 9 → 6']],
      ['abort.hybris.scale-down.new.3', ['hybris-green replicaCount 6 → 3']],
      ['abort.hybris.scale-down.new.0', ['hybris-green replicaCount 3 → 0']],
      [
        'abort.hybris.image',
        [`hybris-green image.tag deploy-2026-01-08 → ${IDLE_TAG}`],
      ],
    ]);
    // Each raise passes the gate a deploy's raise to that count passes, on blue.
    const raise = (p: DeployPlan, id: string) =>
      p.steps.find(s => s.id === id)!;
    const deployGate = raise(plan, 'hybris.scale-up.6').gate;
    const gate = raise(a, 'abort.hybris.scale-up.old.6').gate;
    expect(gate).toEqual(
      JSON.parse(JSON.stringify(deployGate).replace(/green/g, 'blue')),
    );
    expect(gate).toMatchObject({
      type: 'hybris',
      colour: 'blue',
      expectedNodes: 6,
    });
    expect(raise(a, 'abort.hybris.scale-up.old.9')).toMatchObject({
      sync: ['hybris-blue'],
      hybris: { colour: 'blue', role: 'old', replicas: 9 },
      expectedMs: raise(plan, 'hybris.scale-up.9').expectedMs,
    });
  });

  it('with nothing in flight, is a plan of no steps with a note', () => {
    for (const done of [[], ['signoff']]) {
      const a = abort(deploy([apps.hybris, apps.web]), done);
      expect(a.steps).toEqual([]);
      expect(a.expectedMs).toBe(0);
      expect(a.notes).toEqual([
        'Nothing to undo: no step of the deploy changed anything yet; the abort changes nothing',
      ]);
    }
  });

  it('with the branch already back where it was, is a plan of no steps saying so', () => {
    const a = abort(plan, RAISED, { files: baseFiles });
    expect(a.steps).toEqual([]);
    expect(a.notes).toEqual([
      'Nothing to undo: main at 9e8d7b6c of kop/kop-deploy-prod holds what it held before the release; the abort changes nothing',
    ]);
  });

  it('counts a step whose commit landed though the run did not finish it', () => {
    const index = (id: string) => plan.steps.findIndex(s => s.id === id);
    const files = filesAfter(plan, RAISED);
    const [image, up3] = runOf(plan, RAISED.slice(0, 2));
    const commitRecorded: AbortPlanRunStep = {
      index: index('hybris.scale-up.6'),
      state: 'failed',
      outputs: { git: { sha: HEAD, committed: true, attempts: 1 } },
    };
    const onlyOnBranch: AbortPlanRunStep = {
      index: index('hybris.scale-up.6'),
      state: 'running',
    };
    for (const last of [commitRecorded, onlyOnBranch]) {
      const a = abort(plan, RAISED, { files, steps: [image, up3, last] });
      expect(a.steps[0].git!.message).toContain(
        'undoing hybris.scale-up.3, hybris.scale-up.6',
      );
    }
  });

  it('switches back when Argo CD still serves green though IaC names blue again: a sync that writes nothing', () => {
    const a = abort(plan, RAISED, { argocd: 'green' });
    expect(a.steps[0]).toMatchObject({
      id: ABORT_SWITCH_BACK,
      sync: ['hybris'],
    });
    expect(a.steps[0].git!.diff).toBe('');
    expect(a.notes).toEqual([
      'hybris: hybris/values.yaml at 9e8d7b6c of kop/kop-deploy-prod names blue already; the switch back syncs hybris so that Argo CD serves it too (Argo CD read green at hybris/values.yaml at 3f1c2a9e8d7b of kop/kop-deploy-prod)',
    ]);
  });

  describe('web and cms', () => {
    it('puts web’s version back, syncs it and waits for it to be healthy, only when its deploy step ran', () => {
      const p = deploy([apps.web]);
      const a = abort(p, ['web.version']);
      expect(a.steps).toHaveLength(1);
      expect(a.steps[0]).toMatchObject({
        id: 'abort.web.version',
        app: 'web',
        sync: ['web'],
        gate: { type: 'healthy', argocdApps: ['web'] },
      });
      expect(changesOf(a)).toEqual([
        ['abort.web.version', ['web image.tag a7ed4db1 → 7f3c2a1b']],
      ]);
      expect(a.steps[0].git!.files['web/values.yaml']).toBe(
        baseFiles['web/values.yaml'],
      );
      expect(a.hybris).toBeUndefined();
      expect(abort(p, []).steps).toEqual([]);
    });

    it('after cms’s merge, adds no step: a note says what was merged and that a rollback release takes it back', () => {
      const p = deploy([apps.cms, apps.web]);
      const done = [
        'cms.branch',
        'cms.merge-request',
        'cms.merge',
        'cms.version',
      ];
      const steps = runOf(p, done).map(s =>
        p.steps[s.index].id === 'cms.merge-request'
          ? {
              ...s,
              outputs: {
                call: {
                  operation: 'open-merge-request' as const,
                  acted: true,
                  mergeRequest: {
                    iid: 88,
                    webUrl:
                      'https://gitlab.kop.example/kop/cms/-/merge_requests/88',
                  },
                },
              },
            }
          : s,
      );
      const a = abort(p, done, { steps });
      expect(a.steps).toEqual([]);
      expect(a.notes).toEqual([
        'cms: release/5a1e9d3c was merged into master of kop/cms (merge request !88 https://gitlab.kop.example/kop/cms/-/merge_requests/88); cms runs 6e27011f, cms-internal runs 6e27011f. An abort does not take a merge back: a rollback release does',
        'Nothing to undo: no step of the deploy changed anything an abort reverts; the abort changes nothing',
      ]);
    });

    it('before cms’s merge, only notes that cms stopped before it', () => {
      const p = deploy([apps.cms]);
      const a = abort(p, ['cms.branch']);
      expect(a.steps).toEqual([]);
      expect(a.notes).toEqual([
        'cms stopped before its merge: nothing reached master of kop/cms or its Argo CD apps; release/5a1e9d3c can be closed by hand',
        'Nothing to undo: no step of the deploy changed anything an abort reverts; the abort changes nothing',
      ]);
    });
  });

  describe('bad input', () => {
    it('names the field', () => {
      const input = {
        release,
        plan,
        steps: runOf(plan, RAISED),
        layout,
        world: { baseSha: HEAD, files: baseFiles, live: readings('blue') },
      };
      // The refusal's message, and only a DeployPlanInputError counts as one.
      const error = (change: object) => {
        let refusal: unknown;
        try {
          computeAbortPlan({ ...input, ...change });
        } catch (e) {
          refusal = e;
        }
        if (!(refusal instanceof DeployPlanInputError)) {
          throw new Error(`not refused as input: ${String(refusal)}`);
        }
        return refusal.message;
      };
      expect(error({ release: { ...release, id: 'other' } })).toBe(
        `release.id is other, but the plan is of release ${release.id}`,
      );
      expect(error({ steps: [{ index: 99, state: 'done' }] })).toBe(
        `steps[0].index must be the index of one of the plan's ${plan.steps.length} steps, got 99`,
      );
      expect(
        error({
          world: { ...input.world, files: { 'hybris/values.yaml': '' } },
        }),
      ).toBe(
        'world.files has no hybris/values-blue.yaml (read it at 9e8d7b6c of kop/kop-deploy-prod)',
      );
      expect(error({ world: { ...input.world, baseSha: 'main' } })).toBe(
        'world.baseSha must be a commit SHA, got "main"',
      );
    });

    it('names the files an abort reads', () => {
      expect(abortPlanFiles(layout, deploy([apps.cms, apps.web]))).toEqual([
        'cms/values.yaml',
        'cms-internal/values.yaml',
        'web/values.yaml',
      ]);
    });
  });
});

describe('checkAbortPlan', () => {
  const plan = deploy([apps.hybris]);
  const step = (p: DeployPlan, id: string) => p.steps.find(s => s.id === id)!;
  const refusal = (
    steps: DeployPlanStep[],
    options: { live?: string; switched: boolean },
  ) => {
    try {
      checkAbortPlan({ steps }, { layout, live: 'blue', ...options });
    } catch (e) {
      expect(e).toBeInstanceOf(DeployPlanInputError);
      return (e as DeployPlanInputError).message;
    }
    return undefined;
  };

  it('refuses a step lowering the replicas of the colour that served before the release, naming the step and the key', () => {
    const lower = {
      ...step(plan, 'hybris.scale-down.6'),
      id: 'abort.hybris.x',
    };
    const unrelated = step(
      abort(plan, RAISED),
      'abort.hybris.scale-down.new.3',
    );
    expect(refusal([unrelated, lower], { switched: true })).toBe(
      'steps[1].git.changes[0] (abort.hybris.x) sets replicaCount of hybris-blue from 9 to 6: blue served traffic before the release and never loses replicas through an abort; only raising its replicaCount is allowed',
    );
  });

  it('refuses a raise whose file writes another count than its change says', () => {
    const done = [
      ...UP_TO_SWITCH.filter(id => id.startsWith('hybris')),
      'hybris.scale-down.6',
    ];
    const raise = step(
      abort(plan, done, { argocd: 'green' }),
      'abort.hybris.scale-up.old.9',
    );
    const forged = {
      ...raise,
      git: {
        ...raise.git!,
        files: {
          'hybris/values-blue.yaml': hybrisColourValues('blue', RUNNING, 0),
        },
      },
    };
    expect(refusal([raise], { switched: true })).toBeUndefined();
    expect(refusal([forged], { switched: true })).toMatch(
      /^steps\[0\]\.git\.changes\[0\] \(abort\.hybris\.scale-up\.old\.9\) sets replicaCount of hybris-blue from 6 to 9 \(its file says 0\): blue served traffic/,
    );
  });

  it('refuses a switch key written by any step but the switch back, or before a switch happened', () => {
    const switchStep = step(plan, 'hybris.switch');
    expect(
      refusal([{ ...switchStep, id: 'abort.hybris.scale-down.new.0' }], {
        switched: true,
      }),
    ).toBe(
      `steps[0].git.changes[0] (abort.hybris.scale-down.new.0) sets storefront.hybrisServiceName of hybris from blue to green: an abort writes a switch key only to switch back to blue after the release switched (step ${ABORT_SWITCH_BACK})`,
    );
    // The deploy's own switch, renamed, still switches to the new colour.
    expect(
      refusal([{ ...switchStep, id: ABORT_SWITCH_BACK }], { switched: true }),
    ).toMatch(
      /^steps\[0\]\.git\.changes\[0\] \(abort\.hybris\.switch-back\) sets storefront\.hybrisServiceName/,
    );
    const back = step(
      abort(
        plan,
        UP_TO_SWITCH.filter(id => id.startsWith('hybris')),
      ),
      ABORT_SWITCH_BACK,
    );
    expect(refusal([back], { switched: true })).toBeUndefined();
    expect(refusal([back], { switched: false })).toMatch(
      /^steps\[0\]\.git\.changes\[0\] \(abort\.hybris\.switch-back\) sets storefront\.hybrisServiceName of hybris from green to blue: an abort writes a switch key only/,
    );
  });

  it('refuses a file written without its change, and hybris keys in an abort of a release without hybris', () => {
    const lower = step(abort(plan, RAISED), 'abort.hybris.scale-down.new.3');
    const sneaky = {
      ...lower,
      git: {
        ...lower.git!,
        files: {
          ...lower.git!.files,
          'hybris/values-blue.yaml': hybrisColourValues('blue', RUNNING, 0),
        },
      },
    };
    expect(refusal([sneaky], { switched: false })).toBe(
      'steps[0].git.files (abort.hybris.scale-down.new.3) writes hybris/values-blue.yaml without naming a change of it',
    );
    expect(refusal([lower], { live: undefined, switched: false })).toBe(
      'steps[0].git.changes[0] (abort.hybris.scale-down.new.3) sets replicaCount of hybris-green from 6 to 3: the release deployed no hybris',
    );
  });
});

describe('the abort of a config release', () => {
  const WEB = 'web/values.yaml';
  const BLUE = 'hybris/values-blue.yaml';
  /** Blue live at 12 replicas, for a config release that lowers it. */
  const blueAt12 = {
    ...baseFiles,
    [BLUE]: hybrisColourValues('blue', RUNNING, 12),
  };

  /** A config release of these changes, and its plan from `files` (blue live). */
  function configRelease(changes: ReleaseConfig['changes'], files = baseFiles) {
    const r = planRelease([apps.web], {
      id: '7b3d9e2f-3333-4444-8555-a66677778888',
      title: '[설정 변경] replicaCount',
      grade: 'A',
      config: {
        environment: 'prod',
        changes,
        baseSha: BASE,
        expectedBlobs: Object.fromEntries(
          configPlanFiles(layout, { changes })
            .filter(f => f !== 'hybris/values.yaml')
            .map(f => [f, gitBlobId(files[f])]),
        ),
        reason: '주말 트래픽 대비 증설 (weekend traffic)',
      },
    });
    const plan = computeDeployPlan({
      release: r,
      policy: defaultGradePolicy,
      layout,
      environment: 'prod',
      world: { baseSha: BASE, files, live: readings('blue') },
    });
    return { release: r, plan };
  }

  /** The config steps of the plan, committed; the run at the sign-off. */
  const committed = (plan: DeployPlan) =>
    plan.steps.filter(s => s.git).map(s => s.id);

  /** Blue (live) raised 9 → 12, green (idle) 0 → 3, web 3 → 5. */
  const raising = configRelease([
    { argocdApp: 'hybris-blue', key: 'replicaCount', value: 12 },
    { argocdApp: 'hybris-green', key: 'replicaCount', value: '3' },
    { argocdApp: 'web', key: 'replicaCount', value: 5 },
  ]);

  it('reverts each config step, last first, one commit each, every key back to its value before the release, bytes and all', () => {
    const { plan } = raising;
    const done = [...committed(plan), 'signoff'];
    const a = abort(plan, done, { release: raising.release });
    expect(changesOf(a)).toEqual([
      ['abort.config.web', ['web replicaCount 5 → 3']],
      ['abort.config.hybris-green', ['hybris-green replicaCount 3 → 0']],
      ['abort.config.hybris-blue', ['hybris-blue replicaCount 12 → 9']],
    ]);
    expect(a.steps.map(s => [s.id, s.app, s.phase, s.sync, s.gate])).toEqual(
      ['web', 'hybris-green', 'hybris-blue'].map(app => [
        `abort.config.${app}`,
        app === 'web' ? 'web' : 'hybris',
        'deploying',
        [app],
        { type: 'healthy', argocdApps: [app] },
      ]),
    );
    // Each file ends byte for byte as it was before the release.
    const after = filesAfter(a, committed(a), filesAfter(plan, done));
    expect(after).toEqual(baseFiles);
    const [subject, , body, , ...trailers] =
      a.steps[2].git!.message.split('\n');
    expect(subject).toBe(
      '[kop] Abort of [설정 변경] replicaCount: hybris-blue replicaCount=9',
    );
    expect(body).toBe(
      `Put replicaCount=9 back on hybris-blue, undoing config.hybris-blue of the deploy (plan ${plan.fingerprint.slice(
        0,
        12,
      )}).`,
    );
    expect(trailers).toEqual([
      `Release-Id: ${raising.release.id}`,
      'Release-Step: abort.config.hybris-blue',
      '',
    ]);
    expect(a.notes).toEqual([
      'config: puts back, last step first: replicaCount of web 5 → 3, replicaCount of hybris-green 3 → 0, replicaCount of hybris-blue 12 → 9',
    ]);
    expect(a.hybris).toBeUndefined();
    expect(a.expectedMs).toBe(3 * 60_000);
    expect(a.fingerprint).toBe(deployPlanFingerprint(a));
  });

  it.each([
    ['web', 'web', 5, 'web replicaCount 5 → 3'],
    ['the idle colour', 'hybris-green', 3, 'hybris-green replicaCount 3 → 0'],
    ['the live colour', 'hybris-blue', 12, 'hybris-blue replicaCount 12 → 9'],
  ])(
    'reverts a config release raising %s back to its count before the release',
    (_name, argocdApp, value, change) => {
      const { release: r, plan } = configRelease([
        { argocdApp, key: 'replicaCount', value },
      ]);
      const a = abort(plan, committed(plan), { release: r });
      expect(changesOf(a)).toEqual([[`abort.config.${argocdApp}`, [change]]]);
      expect(
        filesAfter(a, committed(a), filesAfter(plan, committed(plan))),
      ).toEqual(baseFiles);
    },
  );

  it('puts back a live colour a config release lowered by raising it, and never lowers it below its count before the release', () => {
    const { release: r, plan } = configRelease(
      [{ argocdApp: 'hybris-blue', key: 'replicaCount', value: 9 }],
      blueAt12,
    );
    const done = committed(plan);
    const a = abort(plan, done, {
      release: r,
      files: filesAfter(plan, done, blueAt12),
    });
    expect(changesOf(a)).toEqual([
      ['abort.config.hybris-blue', ['hybris-blue replicaCount 9 → 12']],
    ]);
    expect(a.steps[0].git!.files[BLUE]).toBe(blueAt12[BLUE]);

    // The deploy's own step, taken for an abort's, would lower blue further: refused.
    const lower = (p: DeployPlan, to: number) => {
      const step = p.steps[0];
      const c = step.git!.changes[0];
      return {
        ...step,
        id: 'abort.config.hybris-blue',
        git: {
          ...step.git!,
          changes: [{ ...c, from: c.to, to }],
          files: { [BLUE]: hybrisColourValues('blue', RUNNING, to) },
        },
      };
    };
    const check = (p: DeployPlan, step: DeployPlanStep) => () =>
      checkAbortPlan(
        { steps: [step] },
        {
          layout,
          live: undefined,
          switched: false,
          config: { plan: p, serving: ['blue'] },
        },
      );
    expect(check(plan, lower(plan, 6))).toThrow(
      new DeployPlanInputError(
        'steps[0].git.changes[0]',
        '(abort.config.hybris-blue) sets replicaCount of hybris-blue from 9 to 6: blue may be serving traffic and never ends below the 12 replicas it had before the release',
      ),
    );
    // A release that raised blue 9 → 12 goes back to 9, never below.
    const raised = raising.plan;
    expect(check(raised, lower(raised, 9))).not.toThrow();
    expect(check(raised, lower(raised, 8))).toThrow(
      /sets replicaCount of hybris-blue from 12 to 8: blue may be serving traffic and never ends below the 9 replicas it had before the release$/,
    );
    // Idle green may go back to 0, but to nothing the release did not hold before.
    const green = raised.steps[1];
    const toOne = {
      ...green,
      id: 'abort.config.hybris-green',
      git: {
        ...green.git!,
        changes: [{ ...green.git!.changes[0], from: 3, to: 1 }],
        files: {
          'hybris/values-green.yaml': hybrisColourValues('green', IDLE_TAG, 1),
        },
      },
    };
    expect(check(raised, toOne)).toThrow(
      /sets replicaCount of hybris-green from 3 to 1: the abort of a config release only puts a key the release changed back to a value it held before \(0\)$/,
    );
  });

  it('refuses, naming the file and the key, when someone changed a key since the release, and plans nothing', () => {
    const { plan } = raising;
    const done = committed(plan);
    const files = {
      ...filesAfter(plan, done),
      [WEB]: tagged('7f3c2a1b').replace('replicaCount: 3', 'replicaCount: 7'),
    };
    const run = () => abort(plan, done, { release: raising.release, files });
    expect(run).toThrow(DeployPlanConflictError);
    expect(run).toThrow(
      'config: replicaCount in web/values.yaml is 7, neither the 5 config.web set nor the 3 it held before (at 9e8d7b6c of kop/kop-deploy-prod): someone changed it since the release; put it right by hand before aborting',
    );
  });

  it('with nothing written, is a plan of no steps; a key already back is not committed again', () => {
    const { plan } = raising;
    const nothing = abort(plan, [], { release: raising.release });
    expect(nothing.steps).toEqual([]);
    expect(nothing.notes).toEqual([
      'Nothing to undo: no step of the deploy changed anything yet; the abort changes nothing',
    ]);
    // A step still running whose commit is not on the branch wrote nothing either.
    const running = abort(plan, [], {
      release: raising.release,
      steps: [{ index: 0, state: 'running' }],
    });
    expect(running.steps).toEqual([]);

    const done = committed(plan);
    const webBack = { ...filesAfter(plan, done), [WEB]: baseFiles[WEB] };
    const a = abort(plan, done, { release: raising.release, files: webBack });
    expect(a.steps.map(s => s.id)).toEqual([
      'abort.config.hybris-green',
      'abort.config.hybris-blue',
    ]);
    expect(a.notes).toEqual([
      'config: puts back, last step first: replicaCount of hybris-green 3 → 0, replicaCount of hybris-blue 12 → 9',
      'config: already as before the release at 9e8d7b6c of kop/kop-deploy-prod, not committed again: replicaCount of web (3)',
    ]);
    const allBack = abort(plan, done, {
      release: raising.release,
      files: baseFiles,
    });
    expect(allBack.steps).toEqual([]);
    expect(allBack.notes).toEqual([
      'Nothing to undo: main at 9e8d7b6c of kop/kop-deploy-prod holds what it held before the release; the abort changes nothing',
    ]);
  });

  it('reads and reverts the files of config steps that name no app', () => {
    const { plan } = raising;
    const bare = {
      ...plan,
      steps: plan.steps.map(({ app: _app, ...step }) => step),
    };
    expect(abortPlanFiles(layout, bare)).toEqual([
      'hybris/values-blue.yaml',
      'hybris/values-green.yaml',
      'hybris/values.yaml',
      'web/values.yaml',
    ]);
    const a = abort(bare, committed(plan), { release: raising.release });
    expect(a.steps.map(s => [s.id, s.app])).toEqual([
      ['abort.config.web', undefined],
      ['abort.config.hybris-green', undefined],
      ['abort.config.hybris-blue', undefined],
    ]);
  });

  it('never writes a switch key', () => {
    const switchStep = deploy([apps.hybris]).steps.find(
      s => s.id === 'hybris.switch',
    )!;
    expect(() =>
      checkAbortPlan(
        { steps: [{ ...switchStep, id: 'abort.config.hybris' }] },
        {
          layout,
          live: undefined,
          switched: false,
          config: { plan: raising.plan, serving: ['blue'] },
        },
      ),
    ).toThrow(
      /^steps\[0\]\.git\.changes\[0\] \(abort\.config\.hybris\) sets storefront\.hybrisServiceName of hybris from blue to green: an abort writes a switch key only/,
    );
  });
});

describe('a rollback release', () => {
  it('plans like any other: versions older than what runs are deployed with the normal plan', () => {
    const older = computeDeployPlan({
      release: planRelease([
        { ...apps.hybris, version: 'deploy-2025-12-09' },
        { ...apps.web, version: '1b2c3d4e' },
      ]),
      policy: defaultGradePolicy,
      layout,
      environment: 'prod',
      world: { baseSha: BASE, files: baseFiles, live: readings('blue') },
    });
    expect(
      changesOf({ ...older, steps: older.steps.filter(s => s.git) })[0],
    ).toEqual([
      'hybris.image',
      [`hybris-green image.tag ${IDLE_TAG} → deploy-2025-12-09`],
    ]);
    expect(older.steps.map(s => s.id)).toContain('hybris.switch');
  });
});
