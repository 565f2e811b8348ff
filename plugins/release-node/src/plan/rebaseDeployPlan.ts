import type {
  DeployPlan,
  DeployPlanChange,
  DeployPlanStep,
  DeployValue,
} from '@internal/plugin-release-common';
import { readYamlValues } from '../gitlab/yamlRead';
import { gitBlobId } from '../iac/gitBlob';
import { iacTargets, type IacKeyKind } from '../iac/iacTargets';
import { spliceYamlValues } from '../iac/spliceYamlValues';
import type { ReleaseLayout } from '../layout';
import type { AbortPlanRunStep } from './computeAbortPlan';
import { DeployPlanConflictError, DeployPlanInputError } from './errors';
import { deployPlanFingerprint } from './fingerprint';
import { planGitSteps, planTarget } from './planSteps';

/** @public */
export interface RebasePlanInput {
  /** The plan of the paused run. */
  plan: DeployPlan;
  /** The run's steps as they stand; a step not listed has not started. */
  steps: Array<Pick<AbortPlanRunStep, 'index' | 'state'>>;
  layout: ReleaseLayout;
  /** The IaC head now, and every file {@link rebasePlanFiles} names there (a file gone is left out). */
  world: { baseSha: string; files: Record<string, string> };
  /** The same files at the plan's base commit, as the plan was made from them. */
  planned: Record<string, string>;
}

/** @public */
export interface RebasedDeployPlan {
  /**
   * The plan with the steps from `from` on recomputed on top of the head, and its new base and
   * fingerprint; the run's plan itself when `changes` is empty.
   */
  plan: DeployPlan;
  /** The first step not done: it and the ones after it are recomputed. */
  from: number;
  /** What someone else changed under the remaining steps; empty when nothing did. */
  changes: DeployPlanChange[];
}

const finished = (state: string) => state === 'done' || state === 'skipped';
const shown = (value: DeployValue | undefined) =>
  value === undefined ? 'missing' : JSON.stringify(value);

function inputError(field: string, message: string): never {
  throw new DeployPlanInputError(field, message);
}

/** Each values file of the layout with its keys and what each key means. */
function keysByFile(
  layout: ReleaseLayout,
): Map<string, Map<string, IacKeyKind>> {
  const byFile = new Map<string, Map<string, IacKeyKind>>();
  for (const target of iacTargets(layout).values()) {
    const keys = byFile.get(target.file) ?? new Map<string, IacKeyKind>();
    target.keys.forEach((kind, key) => keys.set(key, kind));
    byFile.set(target.file, keys);
  }
  return byFile;
}

/**
 * The values files {@link rebaseDeployPlan} reads, at the head and at the plan's base: those the
 * plan's steps write and, when one of them is hybris's, the switch values that say which colour
 * serves.
 *
 * @public
 */
export function rebasePlanFiles(
  layout: ReleaseLayout,
  plan: Pick<DeployPlan, 'steps'>,
): string[] {
  const h = layout.apps.hybris;
  const hybrisFiles = new Set([
    h.switch.values,
    ...Object.values(h.colours).map(c => c.values),
  ]);
  const files = new Set(
    plan.steps.flatMap(s => Object.keys(s.git?.files ?? {})),
  );
  if ([...files].some(f => hybrisFiles.has(f))) files.add(h.switch.values);
  return [...files];
}

/**
 * The text a file must have for the first remaining step that writes it: the one whose blob its
 * compare-and-swap names, among the file at the plan's base and what earlier steps left.
 */
function expectedText(
  plan: DeployPlan,
  first: number,
  path: string,
  planned: string,
): string {
  const wanted = plan.steps[first].git!.before[path];
  const candidates = [
    ...plan.steps
      .slice(0, first)
      .map(s => s.git?.files[path])
      .filter((t): t is string => t !== undefined)
      .reverse(),
    planned,
  ];
  return candidates.find(t => gitBlobId(t) === wanted) ?? planned;
}

/** The keys of one file that differ between two texts, and a keyless entry for other lines. */
function fileChanges(
  path: string,
  expected: string,
  now: string,
  keys: string[],
): DeployPlanChange[] {
  const before = readYamlValues(expected, keys, { file: path });
  const after = readYamlValues(now, keys, { file: path });
  const changed: DeployPlanChange[] = keys
    .filter(key => before[key] !== after[key])
    .map(key => ({
      file: path,
      key,
      ...(before[key] !== undefined ? { planned: before[key] } : {}),
      ...(after[key] !== undefined ? { now: after[key] } : {}),
    }));
  // Other lines changed too when putting the new values into the old text does not give the new text.
  let others = true;
  if (changed.every(c => c.now !== undefined)) {
    const values = Object.fromEntries(changed.map(c => [c.key!, c.now!]));
    try {
      others = spliceYamlValues(expected, values, { file: path }) !== now;
    } catch {
      others = true;
    }
  }
  return others ? [...changed, { file: path }] : changed;
}

/**
 * Rebases a paused run's remaining steps onto the IaC branch as it is now, after someone else's
 * commit changed what they write: the same steps with the same target values, each git step's
 * `from`, compare-and-swap blobs, files and diff recomputed from the files at the head, chained
 * through the remaining steps as {@link computeDeployPlan} chains them; a key that already holds
 * its target is left as it is. The steps already done stay as they ran. Reads and writes nothing.
 *
 * Refused with a {@link DeployPlanConflictError} naming the file and key when the change makes the
 * rest unsafe: a hybris switch key other than the plan expects (traffic moved by hand), a change
 * to the image or replicas of the colour that served before the release, or an image the
 * remaining steps would run without setting it again. Bad input is a {@link DeployPlanInputError}.
 *
 * @public
 */
export function rebaseDeployPlan(input: RebasePlanInput): RebasedDeployPlan {
  const { plan, layout, world, planned } = input;
  const { project, at } = planTarget(layout, plan.environment, world.baseSha);
  if (plan.iac.project !== project) {
    inputError(
      'plan.iac.project',
      `is ${plan.iac.project}, but ${plan.environment}'s IaC is ${project}`,
    );
  }
  const states = new Map(input.steps.map(s => [s.index, s.state]));
  const stateOf = (index: number) => states.get(index) ?? 'pending';
  const from = plan.steps.findIndex((_, i) => !finished(stateOf(i)));
  if (from < 0) {
    inputError('steps', 'are all done or skipped: no step is left to rebase');
  }
  plan.steps.forEach((step, i) => {
    const state = stateOf(i);
    const ok =
      i < from || state === 'pending' || (i === from && state === 'failed');
    if (!ok) {
      inputError(
        `steps[${i}].state`,
        `is ${state} (${step.id}): only a run stopped before its step ${plan.steps[from].id} is rebased`,
      );
    }
  });
  for (const path of rebasePlanFiles(layout, plan)) {
    if (typeof planned[path] !== 'string') {
      inputError(
        'planned',
        `has no ${path} (read it at ${plan.iac.baseSha.slice(0, 8)})`,
      );
    }
    if (typeof world.files[path] !== 'string') {
      throw new DeployPlanConflictError(
        `${path} is not on ${plan.iac.branch} ${at}: someone else removed it; the plan cannot go on`,
      );
    }
  }

  const remaining = plan.steps.slice(from);
  const writes = (path: string, key: string) =>
    remaining.some(s =>
      s.git?.changes.some(c => c.file === path && c.key === key),
    );
  const kinds = keysByFile(layout);
  const changes: DeployPlanChange[] = [];
  const firstWriter = new Map<string, number>();
  remaining.forEach((step, k) =>
    Object.keys(step.git?.files ?? {}).forEach(path => {
      if (!firstWriter.has(path)) firstWriter.set(path, from + k);
    }),
  );
  for (const [path, first] of firstWriter) {
    const expected = expectedText(plan, first, path, planned[path]);
    const now = world.files[path];
    // The step's own commit landed before the run recorded it: nobody else's change.
    if (now === expected || now === plan.steps[first].git!.files[path])
      continue;
    try {
      changes.push(
        ...fileChanges(path, expected, now, [
          ...(kinds.get(path)?.keys() ?? []),
        ]),
      );
    } catch (e) {
      throw new DeployPlanConflictError(
        `someone else changed ${path} ${at} so that it cannot be read: ${
          (e as Error).message
        }`,
      );
    }
  }

  const h = layout.apps.hybris;
  const live = plan.hybris && h.colours[plan.hybris.live];
  for (const c of changes) {
    const kind = c.key && kinds.get(c.file)?.get(c.key);
    const what = `${c.key} in ${c.file} ${at} is ${shown(
      c.now,
    )}, the plan was made from ${shown(c.planned)}`;
    if (
      live &&
      c.file === live.values &&
      (kind === 'image' || kind === 'replicas')
    ) {
      throw new DeployPlanConflictError(
        `hybris: someone else changed ${
          plan.hybris!.live
        }, the colour that served before the release: ${what}. The plan cannot lower or restore it safely; put it back, or abort the release`,
      );
    }
    if (kind === 'image' && !writes(c.file, c.key!)) {
      throw new DeployPlanConflictError(
        `someone else changed an image the remaining steps run without setting it: ${what}. Put it back, or abort the release`,
      );
    }
  }
  const switched = plan.steps.some(
    (s, i) => s.hybris?.role === 'switch' && stateOf(i) === 'done',
  );
  checkSwitch(input, switched, at);
  if (!changes.length) return { plan, from, changes };

  const { gitStep } = planGitSteps({
    layout,
    environment: plan.environment,
    files: world.files,
    at,
    // The step keeps the message it was approved with.
    message: subject => subject,
    imagePlaceholders: (plan.builtImages ?? [])
      .filter(image => !image.tag)
      .map(image => image.placeholder),
  });
  const steps: DeployPlanStep[] = plan.steps.map((step, i) => {
    if (i < from || !step.git) return step;
    const { kind: _kind, git, call: _call, ...base } = step;
    return gitStep(
      { ...base, subject: git.message },
      git.changes.map(c => ({
        argocdApp: c.argocdApp,
        key: c.key,
        value: c.to,
      })),
    );
  });
  const files = [...new Set(changes.map(c => c.file))].join(', ');
  const rebased = {
    ...plan,
    iac: { ...plan.iac, baseSha: world.baseSha },
    steps,
    notes: [
      ...plan.notes,
      `From ${
        plan.steps[from].id
      } on, the steps were made again on top of ${world.baseSha.slice(
        0,
        8,
      )}, after someone else changed ${files}`,
    ],
  };
  return {
    plan: { ...rebased, fingerprint: deployPlanFingerprint(rebased) },
    from,
    changes,
  };
}

/**
 * The switch keys must name the colour the plan has serving at this point: the one that served
 * before until the plan's own switch is done, the new one after it. A plan without a switch
 * expects them as it found them.
 */
function checkSwitch(input: RebasePlanInput, switched: boolean, at: string) {
  const { plan, layout, world, planned } = input;
  const h = layout.apps.hybris;
  const text = world.files[h.switch.values];
  if (text === undefined || planned[h.switch.values] === undefined) return;
  const colourOf = (value: unknown) =>
    Object.entries(h.colours).find(
      ([name, c]) => value === name || value === c.argocdApp,
    )?.[0];
  const now = readYamlValues(text, h.switch.keys, { file: h.switch.values });
  const before = readYamlValues(planned[h.switch.values], h.switch.keys, {
    file: h.switch.values,
  });
  for (const key of h.switch.keys) {
    let expected = colourOf(before[key]);
    if (plan.hybris) expected = switched ? plan.hybris.idle : plan.hybris.live;
    if (colourOf(now[key]) !== expected) {
      throw new DeployPlanConflictError(
        `hybris: someone else changed a switch key: ${key} in ${
          h.switch.values
        } ${at} is ${shown(now[key])}, and the plan has traffic on ${
          expected ?? 'the colour it found'
        }; traffic must not move outside the plan's own switch. Put it back, or abort the release`,
      );
    }
  }
}
