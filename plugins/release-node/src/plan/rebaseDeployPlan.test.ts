import { ConfigReader } from '@backstage/config';
import {
  defaultGradePolicy,
  type DeployPlan,
  type ReleaseAppVersion,
} from '@internal/plugin-release-common';
import { hybrisColourValues, hybrisSwitchValues } from 'sandbox';
import { gitChangeEdit } from '../engine/gitChange';
import { EditConflictError } from '../gitlab/yamlEdit';
import { gitBlobId } from '../iac/gitBlob';
import { spliceYamlValues } from '../iac/spliceYamlValues';
import { readReleaseLayout } from '../layout';
import { resolveBuiltImages } from './builtImages';
import { computeDeployPlan, type DeployPlanInput } from './computeDeployPlan';
import { DeployPlanConflictError, DeployPlanInputError } from './errors';
import { deployPlanFingerprint } from './fingerprint';
import {
  rebaseDeployPlan,
  rebasePlanFiles,
  type RebasePlanInput,
} from './rebaseDeployPlan';
import { readDeployPlanSettings } from './settings';
import { changedLines } from './__testUtils__/changedLines';
import { planRelease } from './__testUtils__/planRelease';

// The layout's defaults are the team's layout: blue/green, 3 → 6 → 9, lowered 3 at a time.
const layout = readReleaseLayout(new ConfigReader({}));
const BASE = '3f1c2a9e8d7b6c5a4f3e2d1c0b9a8f7e6d5c4b3a';
const HEAD = '9e8d7b6c5a4f3e2d1c0b9a8f7e6d5c4b3a3f1c2a';
const GREEN = 'hybris/values-green.yaml';
const BLUE = 'hybris/values-blue.yaml';
const SWITCH = 'hybris/values.yaml';
const WEB = 'web/values.yaml';

const tagged = (tag: string) => `image:\n  tag: ${tag}\nreplicaCount: 3\n`;

/** Blue serves 9 replicas of deploy-2026-01-06, green idles at 0. */
const baseFiles: Record<string, string> = {
  [BLUE]: hybrisColourValues('blue', 'deploy-2026-01-06', 9),
  [GREEN]: hybrisColourValues('green', 'deploy-2025-12-23', 0),
  [SWITCH]: hybrisSwitchValues('blue'),
  'cms/values.yaml': tagged('5d41402a'),
  'cms-internal/values.yaml': tagged('5d41402a'),
  [WEB]: tagged('7f3c2a1b'),
};

const apps: ReleaseAppVersion[] = [
  { app: 'hybris', version: 'deploy-2026-01-08', strategy: 'blue-green-steps' },
  { app: 'cms', version: '6e27011f', strategy: 'branch-merge-sync' },
  { app: 'web', version: 'a7ed4db1', strategy: 'sync' },
];

/** The plan of a release of these apps from the base files, blue live. */
const planOf = (more: Partial<DeployPlanInput> = {}): DeployPlan =>
  computeDeployPlan({
    release: planRelease(apps),
    policy: defaultGradePolicy,
    layout,
    environment: 'prod',
    world: {
      baseSha: BASE,
      files: baseFiles,
      live: {
        iac: { at: `${SWITCH} at main`, colour: 'blue' },
        argocd: { at: `${SWITCH} at ${BASE}`, colour: 'blue' },
      },
    },
    ...more,
  });

const plan = planOf();

const indexOf = (id: string) => {
  const index = plan.steps.findIndex(s => s.id === id);
  if (index < 0) throw new Error(`no step ${id}`);
  return index;
};

/** The files once every step before `id` has committed, in the plan's order. */
function filesBefore(id: string): Record<string, string> {
  const files = { ...baseFiles };
  plan.steps
    .slice(0, indexOf(id))
    .forEach(s => Object.assign(files, s.git?.files));
  return files;
}

/** Someone else's edit of one file, as a commit on top of `files` leaves it. */
function edited(
  files: Record<string, string>,
  path: string,
  values: Record<string, string | number>,
): Record<string, string> {
  return { ...files, [path]: spliceYamlValues(files[path], values) };
}

/** The run stopped at `id`: every step before it done, `id` failed. */
function rebase(
  id: string,
  files: Record<string, string>,
  more: Partial<RebasePlanInput> = {},
) {
  const at = indexOf(id);
  const done = plan.steps.slice(0, at).map(() => 'done' as const);
  return rebaseDeployPlan({
    plan,
    steps: [...done, 'failed' as const].map((state, index) => ({
      index,
      state,
    })),
    layout,
    world: { baseSha: HEAD, files },
    planned: baseFiles,
    ...more,
  });
}

function refusal(run: () => unknown): Error {
  try {
    run();
  } catch (e) {
    return e as Error;
  }
  throw new Error('the rebase was not refused');
}

describe('rebaseDeployPlan', () => {
  it('keeps the run on its plan when nothing changed under the steps left, or the step committed before the run recorded it', () => {
    const files = filesBefore('hybris.scale-up.6');
    expect(rebase('hybris.scale-up.6', files)).toEqual({
      plan,
      from: indexOf('hybris.scale-up.6'),
      changes: [],
    });
    const landed = {
      ...files,
      ...plan.steps[indexOf('hybris.scale-up.6')].git!.files,
    };
    expect(rebase('hybris.scale-up.6', landed).changes).toEqual([]);
  });

  it('makes the steps left again on top of a line someone else changed: the same values, the new blobs, a diff of the plan alone and a new fingerprint', () => {
    const step = plan.steps[indexOf('hybris.scale-up.6')];
    const files = edited(filesBefore('hybris.scale-up.6'), GREEN, {
      'image.pullPolicy': 'Always',
    });
    // The approved step would now fail its compare-and-swap.
    expect(() => gitChangeEdit(step.git!, files)).toThrow(EditConflictError);

    const { plan: rebased, from, changes } = rebase('hybris.scale-up.6', files);

    expect(from).toBe(indexOf('hybris.scale-up.6'));
    expect(changes).toEqual([{ file: GREEN }]);
    expect(rebased.steps.slice(0, from)).toEqual(plan.steps.slice(0, from));
    expect(rebased.steps.map(s => s.id)).toEqual(plan.steps.map(s => s.id));
    const again = rebased.steps[from];
    expect(again).toMatchObject({
      title: step.title,
      gate: step.gate,
      git: {
        message: step.git!.message,
        changes: step.git!.changes,
        before: { [GREEN]: gitBlobId(files[GREEN]) },
      },
    });
    expect(again.git!.files[GREEN]).toContain('pullPolicy: Always');
    expect(changedLines(again.git!.diff)).toEqual(changedLines(step.git!.diff));
    expect(gitChangeEdit(again.git!, files)).toEqual(again.git!.files);
    // The next step on green is chained on top of this one.
    const nine = rebased.steps[indexOf('hybris.scale-up.9')];
    expect(nine.git!.before[GREEN]).toBe(gitBlobId(again.git!.files[GREEN]));
    // Blue was not touched: its steps are as approved.
    expect(rebased.steps[indexOf('hybris.scale-down.0')]).toEqual(
      plan.steps[indexOf('hybris.scale-down.0')],
    );
    expect(rebased.iac).toEqual({ ...plan.iac, baseSha: HEAD });
    expect(rebased.fingerprint).toBe(deployPlanFingerprint(rebased));
    expect(rebased.fingerprint).not.toBe(plan.fingerprint);
    expect(rebased.notes.at(-1)).toBe(
      `From hybris.scale-up.6 on, the steps were made again on top of ${HEAD.slice(
        0,
        8,
      )}, after someone else changed ${GREEN}`,
    );
  });

  it('rebases a replica count changed by hand from its new value, and leaves a key that already holds its target as it is', () => {
    const lowered = edited(filesBefore('hybris.scale-up.6'), GREEN, {
      replicaCount: 2,
    });
    const raised = rebase('hybris.scale-up.6', lowered);
    expect(raised.changes).toEqual([
      { file: GREEN, key: 'replicaCount', planned: 3, now: 2 },
    ]);
    expect(raised.plan.steps[raised.from].git!.changes).toEqual([
      {
        argocdApp: 'hybris-green',
        file: GREEN,
        key: 'replicaCount',
        from: 2,
        to: 6,
      },
    ]);

    const web = edited(filesBefore('web.version'), WEB, {
      'image.tag': 'a7ed4db1',
      replicaCount: 4,
    });
    const { plan: rebased, from, changes } = rebase('web.version', web);
    expect(changes).toEqual([
      { file: WEB, key: 'replicaCount', planned: 3, now: 4 },
      { file: WEB, key: 'image.tag', planned: '7f3c2a1b', now: 'a7ed4db1' },
    ]);
    expect(rebased.steps[from].git).toMatchObject({
      changes: [{ key: 'image.tag', from: 'a7ed4db1', to: 'a7ed4db1' }],
      files: { [WEB]: web[WEB] },
      diff: '',
    });
    expect(gitChangeEdit(rebased.steps[from].git!, web)).toEqual({});
  });

  it('refuses when someone else moved traffic: one switch key changed alone, or the switch put back after the plan switched', () => {
    const one = edited(filesBefore('hybris.scale-up.6'), SWITCH, {
      'storefront.hybrisServiceName': 'green',
    });
    const alone = refusal(() => rebase('hybris.scale-up.6', one));
    expect(alone).toBeInstanceOf(DeployPlanConflictError);
    expect(alone.message).toBe(
      `hybris: someone else changed a switch key: storefront.hybrisServiceName in ${SWITCH} at ${HEAD.slice(
        0,
        8,
      )} of kop/kop-deploy-prod is "green", and the plan has traffic on blue; traffic must not move outside the plan's own switch. Put it back, or abort the release`,
    );

    const back = edited(filesBefore('hybris.scale-down.6'), SWITCH, {
      'storefront.hybrisServiceName': 'blue',
      'backoffice.hybrisServiceName': 'blue',
      'api.hybrisServiceName': 'blue',
    });
    expect(() => rebase('hybris.scale-down.6', back)).toThrow(
      /^hybris: someone else changed a switch key: storefront\.hybrisServiceName in hybris\/values\.yaml .* is "blue", and the plan has traffic on green;/,
    );
  });

  it('refuses a change to the keys of the colour that served before the release, and to an image the steps left would run without setting it', () => {
    const blue = edited(filesBefore('hybris.scale-up.6'), BLUE, {
      replicaCount: 7,
    });
    const live = refusal(() => rebase('hybris.scale-up.6', blue));
    expect(live).toBeInstanceOf(DeployPlanConflictError);
    expect(live.message).toBe(
      `hybris: someone else changed blue, the colour that served before the release: replicaCount in ${BLUE} at ${HEAD.slice(
        0,
        8,
      )} of kop/kop-deploy-prod is 7, the plan was made from 9. The plan cannot lower or restore it safely; put it back, or abort the release`,
    );

    const image = edited(filesBefore('hybris.scale-up.6'), GREEN, {
      'image.tag': 'deploy-2026-01-07',
    });
    expect(() => rebase('hybris.scale-up.6', image)).toThrow(
      new DeployPlanConflictError(
        `someone else changed an image the remaining steps run without setting it: image.tag in ${GREEN} at ${HEAD.slice(
          0,
          8,
        )} of kop/kop-deploy-prod is "deploy-2026-01-07", the plan was made from "deploy-2026-01-08". Put it back, or abort the release`,
      ),
    );
    // Before the image step ran, the image is the step's to write again.
    const early = edited(baseFiles, GREEN, {
      'image.tag': 'deploy-2026-01-07',
    });
    const { plan: rebased, changes } = rebase('hybris.image', early);
    expect(changes).toEqual([
      {
        file: GREEN,
        key: 'image.tag',
        planned: 'deploy-2025-12-23',
        now: 'deploy-2026-01-07',
      },
    ]);
    expect(rebased.steps[0].git!.changes[0]).toMatchObject({
      from: 'deploy-2026-01-07',
      to: 'deploy-2026-01-08',
    });
  });

  it('refuses a file someone removed, and input that is not a run stopped before a step', () => {
    const { [WEB]: _gone, ...files } = filesBefore('web.version');
    expect(() => rebase('web.version', files)).toThrow(
      new DeployPlanConflictError(
        `${WEB} is not on main at ${HEAD.slice(
          0,
          8,
        )} of kop/kop-deploy-prod: someone else removed it; the plan cannot go on`,
      ),
    );
    const all = filesBefore('hybris.scale-down.0');
    expect(() =>
      rebase('hybris.scale-down.0', all, {
        steps: plan.steps.map((_, index) => ({ index, state: 'done' })),
      }),
    ).toThrow(
      new DeployPlanInputError(
        'steps',
        'are all done or skipped: no step is left to rebase',
      ),
    );
    const later = indexOf('hybris.scale-up.9');
    expect(() =>
      rebase('hybris.scale-up.6', filesBefore('hybris.scale-up.6'), {
        steps: [{ index: later, state: 'running' }],
      }),
    ).toThrow(
      new DeployPlanInputError(
        `steps[${later}].state`,
        'is running (hybris.scale-up.9): only a run stopped before its step hybris.image is rebased',
      ),
    );
    const { [GREEN]: _none, ...planned } = baseFiles;
    expect(() =>
      rebase('hybris.scale-up.6', filesBefore('hybris.scale-up.6'), {
        planned,
      }),
    ).toThrow(
      new DeployPlanInputError(
        'planned',
        `has no ${GREEN} (read it at 3f1c2a9e)`,
      ),
    );
  });

  it('rebases a run whose image came from its build step onto the tag that build pushed', () => {
    const built = planOf({
      release: planRelease([apps[0]]),
      settings: readDeployPlanSettings(
        new ConfigReader({ release: { plan: { build: true } } }),
      ),
    });
    const tag = 'deploy-2026-01-08-41';
    const steps = built.steps.map((s, index) => ({
      index,
      state:
        s.id === 'hybris.scale-up.6' ? ('failed' as const) : ('done' as const),
      outputs:
        s.id === 'hybris.build'
          ? {
              build: {
                system: 'jenkins' as const,
                job: 'kop/hybris-build',
                app: 'hybris',
                version: 'deploy-2026-01-08',
                triggered: true,
                number: 41,
                result: 'SUCCESS' as const,
                imageTag: tag,
              },
            }
          : undefined,
    }));
    const at = built.steps.findIndex(s => s.id === 'hybris.scale-up.6');
    const ran = steps.slice(0, at + 1);
    const written = resolveBuiltImages(built, ran);
    // Green as the run left it, the build's tag on it, then someone else's edit of another line.
    const files = { ...baseFiles };
    written.steps.slice(0, at).forEach(s => Object.assign(files, s.git?.files));
    const now = edited(files, GREEN, { 'image.pullPolicy': 'Always' });
    const input = {
      steps: ran,
      layout,
      world: { baseSha: HEAD, files: now },
      planned: baseFiles,
    };
    const rebased = rebaseDeployPlan({ plan: written, ...input });
    expect(rebased.changes).toEqual([{ file: GREEN }]);
    const next = rebased.plan.steps[at].git!;
    expect(gitChangeEdit(next, now)[GREEN]).toContain(`tag: ${tag}`);
    expect(Object.values(next.files).join('')).not.toContain('<image tag');
    // The plan as approved, placeholder and all, would take the build's tag for someone else's.
    expect(
      refusal(() => rebaseDeployPlan({ plan: built, ...input })),
    ).toBeInstanceOf(DeployPlanConflictError);
  });

  it('reads the files the steps write, with the switch values when hybris is among them', () => {
    expect(rebasePlanFiles(layout, plan).sort()).toEqual(
      Object.keys(baseFiles).sort(),
    );
    const web = plan.steps.filter(s => s.app === 'web');
    expect(rebasePlanFiles(layout, { steps: web })).toEqual([WEB]);
  });
});
