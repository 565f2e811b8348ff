import type {
  DeployKeyChange,
  DeployPlan,
  DeployPlanStep,
  DeployValue,
  Release,
  ReleaseApp,
} from '@internal/plugin-release-common';
import type { StepOutputs } from '../engine/types';
import { readYamlValues } from '../gitlab/yamlRead';
import { iacTargets } from '../iac/iacTargets';
import { readSwitchColour, type ReleaseLayout } from '../layout';
import { deployPlanFiles, type DeployPlanWorld } from './computeDeployPlan';
import { DeployPlanConflictError, DeployPlanInputError } from './errors';
import { deployPlanFingerprint } from './fingerprint';
import {
  commitMessage,
  hybrisRaiseGate,
  planGitSteps,
  type PlanKeyValue,
  type PlanStepBase,
} from './planSteps';
import { defaultDeployPlanSettings, type DeployPlanSettings } from './settings';

/**
 * One step of the deploy run being aborted, as the run stores it.
 *
 * @public
 */
export interface AbortPlanRunStep {
  /** The step's index in the deploy plan. */
  index: number;
  state: 'pending' | 'running' | 'waiting' | 'done' | 'failed' | 'skipped';
  /**
   * What the step's executor returned last: `git` is the commit it wrote or found on the branch
   * (either way its values got there), `call` what a cms call did, with its merge request.
   */
  outputs?: Pick<StepOutputs, 'git' | 'call'>;
}

/** @public */
export interface AbortPlanInput {
  /** With `config`, a config release: every key its git steps wrote is put back as it was. */
  release: Pick<Release, 'id' | 'product' | 'title' | 'config'>;
  /** The plan of the deploy run being aborted. */
  plan: DeployPlan;
  /** The run's steps as they stand; a step not listed has not started. */
  steps: AbortPlanRunStep[];
  layout: ReleaseLayout;
  settings?: DeployPlanSettings;
  /**
   * The world now: the IaC head and every file {@link abortPlanFiles} names there; when the plan
   * touches hybris, `live` too: for a release, traffic stays on the new colour until Argo CD syncs
   * the switch back (a reading that names no colour counts as the new one); for a config release,
   * the colours read live keep their replicas (a reading that names no colour makes every colour
   * count as live).
   */
  world: DeployPlanWorld;
}

/** The step id of the abort's switch back, the one abort step that may write the switch keys. @public */
export const ABORT_SWITCH_BACK = 'abort.hybris.switch-back';

const COMMIT = /^(?:[0-9a-f]{40}|[0-9a-f]{64})$/;
const STEP_STATES = [
  'pending',
  'running',
  'waiting',
  'done',
  'failed',
  'skipped',
] as const;
const short = (sha: string) => sha.slice(0, 8);

function inputError(field: string, message: string): never {
  throw new DeployPlanInputError(field, message);
}

/**
 * The values files an abort of this deploy plan reads, so the caller knows what to put in
 * {@link DeployPlanWorld.files}: those of every app a git step is of or changes a key of (hybris's
 * with the switch values, which say which colour is live), and every file a git step changes.
 *
 * @public
 */
export function abortPlanFiles(
  layout: ReleaseLayout,
  plan: Pick<DeployPlan, 'steps'>,
): string[] {
  const targets = iacTargets(layout);
  const apps = new Set<ReleaseApp>();
  const files = new Set<string>();
  for (const step of plan.steps) {
    if (!step.git) continue;
    if (step.app) apps.add(step.app);
    for (const c of step.git.changes) {
      files.add(c.file);
      const app = targets.get(c.argocdApp)?.app;
      if (app) apps.add(app);
    }
  }
  return [...new Set([...deployPlanFiles(layout, [...apps]), ...files])];
}

const keyOf = (c: Pick<DeployKeyChange, 'file' | 'key'>) =>
  `${c.file} ${c.key}`;

/**
 * Refuses an abort plan that could take traffic away: any change to the values of the colour that
 * served before the release other than raising its replicas, any switch key written by a step other
 * than the switch back to that colour, and any file a step writes without naming its change. The
 * abort of a config release may only put a key its plan changed back to a value the key held before
 * a step of it, and a colour that may be serving never below the replicas it had before the
 * release. The {@link DeployPlanInputError} names the step and the key.
 *
 * @public
 */
export function checkAbortPlan(
  plan: Pick<DeployPlan, 'steps'>,
  options: {
    layout: ReleaseLayout;
    /** The colour that served traffic before the release; undefined when it deployed no hybris. */
    live: string | undefined;
    /** Whether the release's switch happened (or may have: IaC or Argo CD names the new colour). */
    switched: boolean;
    /** When the abort reverts a config release: its deploy plan, and the colours that may be serving. */
    config?: { plan: Pick<DeployPlan, 'steps'>; serving: string[] };
  },
): void {
  const { layout, live, switched, config } = options;
  const h = layout.apps.hybris;
  const old = live === undefined ? undefined : h.colours[live];
  const colours = Object.keys(h.colours);
  for (const colour of [
    ...(live === undefined ? [] : [live]),
    ...(config?.serving ?? []),
  ]) {
    if (!colours.includes(colour)) {
      inputError(
        live === colour ? 'live' : 'config.serving',
        `'${colour}' is not a hybris colour of the layout (${colours.join(
          ', ',
        )})`,
      );
    }
  }
  // Each key a config release changed, with the values it held before each of its steps, oldest first.
  const before = new Map<string, DeployValue[]>();
  config?.plan.steps.forEach(s =>
    s.git?.changes.forEach(c =>
      before.set(keyOf(c), [...(before.get(keyOf(c)) ?? []), c.from]),
    ),
  );
  const hybrisApps = new Set(Object.values(h.colours).map(c => c.argocdApp));
  plan.steps.forEach((step, i) => {
    if (!step.git) return;
    const { changes, files } = step.git;
    for (const path of Object.keys(files)) {
      if (!changes.some(c => c.file === path)) {
        inputError(
          `steps[${i}].git.files`,
          `(${step.id}) writes ${path} without naming a change of it`,
        );
      }
    }
    changes.forEach((c, k) => {
      const field = `steps[${i}].git.changes[${k}]`;
      const text = files[c.file];
      const written =
        text === undefined
          ? undefined
          : readYamlValues(text, [c.key], { file: c.file })[c.key];
      const what = `(${step.id}) sets ${c.key} of ${c.argocdApp} from ${String(
        c.from,
      )} to ${String(c.to)}${
        written !== c.to ? ` (its file says ${String(written)})` : ''
      }`;
      if (c.argocdApp === h.switch.argocdApp && h.switch.keys.includes(c.key)) {
        if (
          step.id !== ABORT_SWITCH_BACK ||
          !switched ||
          c.to !== live ||
          written !== c.to
        ) {
          inputError(
            field,
            `${what}: an abort writes a switch key only to switch back to ${
              live ?? 'the colour that served before'
            } after the release switched (step ${ABORT_SWITCH_BACK})`,
          );
        }
        return;
      }
      if (config) {
        const values = before.get(keyOf(c)) ?? [];
        const colour = colours.find(
          n => h.colours[n].argocdApp === c.argocdApp,
        );
        const floor = values[0];
        if (
          colour &&
          config.serving.includes(colour) &&
          c.key === h.colours[colour].replicas &&
          typeof floor === 'number' &&
          !(typeof c.to === 'number' && c.to >= floor && written === c.to)
        ) {
          inputError(
            field,
            `${what}: ${colour} may be serving traffic and never ends below the ${floor} replicas it had before the release`,
          );
        }
        if (!values.includes(c.to) || written !== c.to) {
          inputError(
            field,
            `${what}: the abort of a config release only puts a key the release changed back to a value it held before (${
              values.length
                ? values.map(String).join(', ')
                : 'the release did not change it'
            })`,
          );
        }
        return;
      }
      if (!hybrisApps.has(c.argocdApp)) return;
      if (!old) {
        inputError(field, `${what}: the release deployed no hybris`);
      }
      if (c.argocdApp !== old.argocdApp) return;
      const raises =
        c.key === old.replicas &&
        typeof c.from === 'number' &&
        typeof c.to === 'number' &&
        c.to >= c.from &&
        written === c.to;
      if (!raises) {
        inputError(
          field,
          `${what}: ${live} served traffic before the release and never loses replicas through an abort; only raising its ${old.replicas} is allowed`,
        );
      }
    });
  });
}

/**
 * The safe revert of a deploy run, as a plan of its own: the deploy in reverse, from what the IaC
 * branch holds now, each git step one commit with its compare-and-swap blob ids chained through the
 * plan. Reads and writes nothing.
 *
 * hybris: the colour that served before the release is raised back to its count first when its
 * scale-down had begun (each raise passing the hybris gate), then traffic switches back to it in one
 * commit of the three switch keys, and only then is the new colour lowered to 0 step by step and its
 * image tag put back. web's version is put back when its deploy step ran. cms is never reverted:
 * before its merge nothing of it reached an Argo CD app, after it a rollback release takes it back;
 * the plan's notes say which. Nothing in flight gives a plan of no steps, with a note.
 *
 * A config release (`release.config`): each git step that wrote is reverted, last first, in one
 * commit per step putting each key back to the value it held before the step; a key already back
 * is not written again, and a key that holds neither value was changed by someone else since, a
 * {@link DeployPlanConflictError} naming the file and the key. The notes say what is put back.
 *
 * The result passes {@link checkAbortPlan}. Bad input is a {@link DeployPlanInputError} naming the
 * field; values nobody can revert from (a switch key naming no colour, replicas that are not a
 * number) a {@link DeployPlanConflictError}.
 *
 * @public
 */
export function computeAbortPlan(input: AbortPlanInput): DeployPlan {
  const { release, plan, layout, world } = input;
  const settings = input.settings ?? defaultDeployPlanSettings;
  const t = settings.expectedMs;
  if (release.id !== plan.releaseId) {
    inputError(
      'release.id',
      `is ${release.id}, but the plan is of release ${plan.releaseId}`,
    );
  }
  const project = Object.hasOwn(layout.iac.repos, plan.environment)
    ? layout.iac.repos[plan.environment]
    : inputError(
        'plan.environment',
        `'${plan.environment}' has no IaC repository in the layout`,
      );
  if (plan.iac.project !== project || plan.iac.branch !== layout.iac.branch) {
    inputError(
      'plan.iac',
      `is ${plan.iac.branch} of ${plan.iac.project}, but ${plan.environment}'s IaC is ${layout.iac.branch} of ${project}`,
    );
  }
  if (typeof world.baseSha !== 'string' || !COMMIT.test(world.baseSha)) {
    inputError(
      'world.baseSha',
      `must be a commit SHA, got ${JSON.stringify(world.baseSha)}`,
    );
  }
  const at = `at ${short(world.baseSha)} of ${project}`;
  for (const path of abortPlanFiles(layout, plan)) {
    if (typeof world.files[path] !== 'string') {
      inputError('world.files', `has no ${path} (read it ${at})`);
    }
  }
  const runSteps = new Map<number, AbortPlanRunStep>();
  input.steps.forEach((s, k) => {
    if (
      !Number.isInteger(s.index) ||
      s.index < 0 ||
      s.index >= plan.steps.length
    ) {
      inputError(
        `steps[${k}].index`,
        `must be the index of one of the plan's ${plan.steps.length} steps, got ${s.index}`,
      );
    }
    if (runSteps.has(s.index)) {
      inputError(`steps[${k}].index`, `names step ${s.index} again`);
    }
    if (!STEP_STATES.includes(s.state)) {
      inputError(
        `steps[${k}].state`,
        `must be one of ${STEP_STATES.join(', ')}, got '${s.state}'`,
      );
    }
    runSteps.set(s.index, s);
  });

  const bodies = new Map<string, string>();
  const { valueOf, replicasOf, gitStep } = planGitSteps({
    layout,
    environment: plan.environment,
    files: world.files,
    at,
    message: (subject, stepId) =>
      commitMessage(subject, bodies.get(stepId)!, release.id, stepId),
  });
  const subject = (what: string) =>
    `[${release.product}] Abort of ${release.title}: ${what}`;
  const steps: DeployPlanStep[] = [];
  const notes: string[] = [];
  const revert = (
    base: PlanStepBase & { what: string },
    undoes: DeployPlanStep[],
    changes: PlanKeyValue[],
  ) => {
    const { what, ...rest } = base;
    const undoing = undoes.length
      ? `, undoing ${undoes.map(s => s.id).join(', ')} of the deploy`
      : ', as before the deploy';
    bodies.set(
      base.id,
      `${base.title}${undoing} (plan ${plan.fingerprint.slice(0, 12)}).`,
    );
    steps.push(gitStep({ ...rest, subject: subject(what) }, changes));
  };

  const deploy = plan.steps.map((step, index) => ({
    step,
    run: runSteps.get(index) ?? { index, state: 'pending' as const },
  }));
  type Entry = (typeof deploy)[number];
  const holds = (path: string, key: string, value: DeployValue) =>
    valueOf(path, key) === value;
  /** The step got its values onto the branch: done, its commit recorded, or seen there mid-run. */
  const wrote = ({ step, run }: Entry) => {
    const changes = step.git?.changes.filter(c => c.from !== c.to) ?? [];
    if (!changes.length) return false;
    if (run.state === 'done' || run.outputs?.git) return true;
    // A commit that landed before the run recorded it: only the branch knows.
    return (
      ['running', 'waiting', 'failed'].includes(run.state) &&
      changes.every(c => holds(c.file, c.key, c.to))
    );
  };
  const called = ({ run }: Entry) =>
    run.state === 'done' || run.outputs?.call !== undefined;
  const of = (app: ReleaseApp) => deploy.filter(d => d.step.app === app);

  /** The plan as built, checked as an abort of `check`'s release, with a note when it changes nothing. */
  const finish = (
    check: Omit<Parameters<typeof checkAbortPlan>[1], 'layout'>,
  ): DeployPlan => {
    if (!steps.length) {
      // A release's abort never reverts cms, so what it did is told by its own note.
      const undone = deploy.filter(
        d => (check.config || d.step.app !== 'cms') && d.step.git && wrote(d),
      );
      notes.push(
        undone.length
          ? `Nothing to undo: ${plan.iac.branch} ${at} holds what it held before the release; the abort changes nothing`
          : `Nothing to undo: no step of the deploy changed anything ${
              notes.length ? 'an abort reverts' : 'yet'
            }; the abort changes nothing`,
      );
    }
    const abort = {
      releaseId: plan.releaseId,
      environment: plan.environment,
      iac: { project, branch: plan.iac.branch, baseSha: world.baseSha },
      ...(plan.hybris ? { hybris: plan.hybris } : {}),
      steps,
      expectedMs: steps.reduce((sum, s) => sum + (s.expectedMs ?? 0), 0),
      notes,
    };
    checkAbortPlan(abort, { layout, ...check });
    return { ...abort, fingerprint: deployPlanFingerprint(abort) };
  };

  if (release.config) {
    // Each key as the revert leaves it once a later step's revert has put it back.
    const left = new Map<string, DeployValue | undefined>();
    const conflicts: string[] = [];
    const already: DeployKeyChange[] = [];
    const reverts: Array<{ step: DeployPlanStep; put: DeployKeyChange[] }> = [];
    for (const { step } of deploy.filter(wrote).reverse()) {
      const put: DeployKeyChange[] = [];
      for (const c of step.git!.changes) {
        const value = left.has(keyOf(c))
          ? left.get(keyOf(c))
          : valueOf(c.file, c.key);
        left.set(keyOf(c), c.from);
        if (c.from === c.to) continue;
        if (value === c.to) put.push(c);
        else if (value === c.from) already.push(c);
        else {
          conflicts.push(
            `${c.key} in ${c.file} is ${
              value === undefined ? 'missing' : String(value)
            }, neither the ${String(c.to)} ${step.id} set nor the ${String(
              c.from,
            )} it held before`,
          );
        }
      }
      if (put.length) reverts.push({ step, put });
    }
    if (conflicts.length) {
      throw new DeployPlanConflictError(
        `config: ${conflicts.join(
          '; ',
        )} (${at}): someone changed it since the release; put it right by hand before aborting`,
      );
    }
    const h = layout.apps.hybris;
    const names = Object.keys(h.colours);
    const switchColour =
      typeof world.files[h.switch.values] === 'string'
        ? readSwitchColour(h, key => valueOf(h.switch.values, key) as unknown)
        : undefined;
    const read = [
      world.live?.iac.colour,
      world.live?.argocd?.colour,
      switchColour && 'colour' in switchColour
        ? switchColour.colour
        : undefined,
    ];
    // A reading that names no colour leaves every colour possibly serving.
    const serving = read.every(
      (c): c is string => c !== undefined && names.includes(c),
    )
      ? [...new Set(read)]
      : names;
    const told = (c: DeployKeyChange) =>
      `${c.key} of ${c.argocdApp} ${String(c.to)} → ${String(c.from)}`;
    if (reverts.length) {
      notes.push(
        `config: puts back, last step first: ${reverts
          .flatMap(r => r.put.map(told))
          .join(', ')}`,
      );
    }
    if (reverts.length && already.length) {
      notes.push(
        `config: already as before the release ${at}, not committed again: ${already
          .map(c => `${c.key} of ${c.argocdApp} (${String(c.from)})`)
          .join(', ')}`,
      );
    }
    for (const { step, put } of reverts) {
      const values = put.map(c => `${c.key}=${String(c.from)}`).join(', ');
      const on = [...new Set(put.map(c => c.argocdApp))].join(', ');
      revert(
        {
          id: `abort.${step.id}`,
          ...(step.app ? { app: step.app } : {}),
          phase: 'deploying',
          title: `Put ${values} back on ${on}`,
          what: `${on} ${values}`,
          sync: step.sync,
          gate: { type: 'healthy', argocdApps: step.sync },
          expectedMs: t.sync,
        },
        [step],
        put.map(c => ({ argocdApp: c.argocdApp, key: c.key, value: c.from })),
      );
    }
    return finish({
      live: undefined,
      switched: false,
      config: { plan, serving },
    });
  }

  // The colour that served before the release gets its replicas back and the traffic first.
  let switched = false;
  const hybrisOf = plan.hybris;
  const hybrisSteps = of('hybris').filter(d => d.step.git);
  const hybrisWrote = hybrisSteps.some(wrote);
  if (hybrisOf && hybrisWrote) {
    const h = layout.apps.hybris;
    const old = h.colours[hybrisOf.live];
    const target = h.colours[hybrisOf.idle];
    if (!old || !target) {
      inputError(
        'plan.hybris',
        `names ${hybrisOf.live} and ${
          hybrisOf.idle
        }, not the layout's colours (${Object.keys(h.colours).join(', ')})`,
      );
    }
    const role = (r: string) =>
      hybrisSteps.filter(d => d.step.hybris?.role === r);
    const oldSteps = role('old');
    const serving = oldSteps[0]?.step.git!.changes[0].from;
    const oldNow = replicasOf(old.values, old.replicas);
    if (typeof serving === 'number' && oldNow < serving) {
      const counts = [
        ...new Set(
          oldSteps
            .map(d => d.step.git!.changes[0].from)
            .filter((n): n is number => typeof n === 'number' && n > oldNow),
        ),
      ].sort((a, b) => a - b);
      for (const n of counts) {
        revert(
          {
            id: `abort.hybris.scale-up.old.${n}`,
            app: 'hybris',
            phase: 'scaling_down',
            title: `Raise ${old.argocdApp}, which served before the release, back to ${n} replicas`,
            what: `hybris ${hybrisOf.live} → ${n}`,
            sync: [old.argocdApp],
            gate: hybrisRaiseGate(h, plan.environment, hybrisOf.live, n),
            expectedMs: t.sync + t.hybrisPodStart + h.gates.soakMs,
            hybris: { colour: hybrisOf.live, role: 'old', replicas: n },
          },
          oldSteps.filter(d => wrote(d)).map(d => d.step),
          [{ argocdApp: old.argocdApp, key: old.replicas, value: n }],
        );
      }
    }

    const switchSteps = role('switch');
    const reading = readSwitchColour(
      h,
      key => valueOf(h.switch.values, key) as unknown,
    );
    if ('unknown' in reading) {
      const { key, value } = reading.unknown;
      throw new DeployPlanConflictError(
        `hybris: ${key} in ${h.switch.values} ${at} is ${
          value === undefined ? 'missing' : `'${String(value)}'`
        }, not one of the colours; set it by hand before aborting`,
      );
    }
    const argocd = world.live?.argocd;
    // Traffic may be on the new colour even when IaC names the old one, until Argo CD has synced.
    switched =
      switchSteps.some(wrote) ||
      'mixed' in reading ||
      reading.colour !== hybrisOf.live ||
      (argocd !== undefined && argocd.colour !== hybrisOf.live);
    if (switched) {
      if (!('mixed' in reading) && reading.colour === hybrisOf.live) {
        notes.push(
          `hybris: ${h.switch.values} ${at} names ${
            hybrisOf.live
          } already; the switch back syncs ${
            h.switch.argocdApp
          } so that Argo CD serves it too (Argo CD read ${
            argocd?.colour ?? argocd?.error?.message ?? 'nothing'
          } at ${argocd?.at ?? 'no revision'})`,
        );
      }
      revert(
        {
          id: ABORT_SWITCH_BACK,
          app: 'hybris',
          phase: 'switching',
          title: `Switch traffic back from ${hybrisOf.idle} to ${hybrisOf.live}`,
          what: `hybris switch → ${hybrisOf.live}`,
          sync: [h.switch.argocdApp],
          gate: { type: 'healthy', argocdApps: [h.switch.argocdApp] },
          expectedMs: t.sync,
          hybris: { colour: hybrisOf.live, role: 'switch' },
        },
        switchSteps.map(d => d.step),
        h.switch.keys.map(key => ({
          argocdApp: h.switch.argocdApp,
          key,
          value: hybrisOf.live,
        })),
      );
    }
  }

  // Then the apps in the reverse of the order they deployed in.
  const appsInOrder = [
    ...new Set(
      plan.steps.filter(s => s.app && s.phase === 'deploying').map(s => s.app!),
    ),
  ].reverse();
  for (const app of appsInOrder) {
    if (app === 'web') {
      for (const d of of('web').filter(wrote)) {
        revert(
          {
            id: `abort.${d.step.id}`,
            app,
            phase: 'deploying',
            title: `Put ${d.step
              .git!.changes.map(c => `${String(c.from)} back on ${c.argocdApp}`)
              .join(' and ')}`,
            what: `web → ${String(d.step.git!.changes[0].from)}`,
            sync: d.step.sync,
            gate: { type: 'healthy', argocdApps: d.step.sync },
            expectedMs: t.sync,
          },
          [d.step],
          d.step.git!.changes.map(c => ({
            argocdApp: c.argocdApp,
            key: c.key,
            value: c.from,
          })),
        );
      }
    } else if (app === 'cms') {
      const cms = of('cms');
      const callOf = (operation: string) =>
        cms.find(d => d.step.call?.operation === operation);
      const merge = callOf('merge');
      const opened = callOf('open-merge-request');
      const mr =
        merge?.run.outputs?.call?.mergeRequest ??
        opened?.run.outputs?.call?.mergeRequest;
      const target = (merge ?? opened)?.step.call?.target ?? {};
      const branch = target.sourceBranch ?? `release/${release.id.slice(0, 8)}`;
      const into = target.targetBranch ?? layout.apps.cms.branch.into;
      const repo = target.project ?? layout.apps.cms.repo;
      const request = mr ? `merge request !${mr.iid} ${mr.webUrl}` : undefined;
      if (merge && called(merge)) {
        const put = cms.filter(d => d.step.git && wrote(d));
        const version = put.length
          ? `; ${put
              .map(d => d.step.git!.changes)
              .flat()
              .map(c => `${c.argocdApp} runs ${String(c.to)}`)
              .join(', ')}`
          : '';
        notes.push(
          `cms: ${branch} was merged into ${into} of ${repo}${
            request ? ` (${request})` : ''
          }${version}. An abort does not take a merge back: a rollback release does`,
        );
      } else if (cms.some(called)) {
        notes.push(
          `cms stopped before its merge: nothing reached ${into} of ${repo} or its Argo CD apps; ${branch}${
            request ? ` and its ${request}` : ''
          } can be closed by hand`,
        );
      }
    } else if (app === 'hybris' && hybrisOf && hybrisWrote) {
      const h = layout.apps.hybris;
      const colour = hybrisOf.idle;
      const target = h.colours[colour];
      const newSteps = hybrisSteps.filter(d => d.step.hybris?.role === 'new');
      const raises = newSteps.filter(d =>
        d.step.git!.changes.some(c => c.key === target.replicas),
      );
      const now = replicasOf(target.values, target.replicas);
      const counts = [
        ...new Set([0, ...raises.map(d => d.step.git!.changes[0].from)]),
      ]
        .filter((n): n is number => typeof n === 'number' && n < now)
        .sort((a, b) => b - a);
      for (const n of counts) {
        revert(
          {
            id: `abort.hybris.scale-down.new.${n}`,
            app,
            phase: 'deploying',
            title: `Lower ${target.argocdApp} to ${n} replicas`,
            what: `hybris ${colour} → ${n}`,
            sync: [target.argocdApp],
            gate: { type: 'healthy', argocdApps: [target.argocdApp] },
            expectedMs: t.sync,
            hybris: { colour, role: 'new', replicas: n },
          },
          raises.filter(wrote).map(d => d.step),
          [{ argocdApp: target.argocdApp, key: target.replicas, value: n }],
        );
      }
      const image = newSteps.find(d =>
        d.step.git!.changes.some(c => c.key === target.image),
      );
      const tag = image?.step.git!.changes[0].from;
      if (
        image &&
        tag !== undefined &&
        wrote(image) &&
        !holds(target.values, target.image, tag)
      ) {
        revert(
          {
            id: 'abort.hybris.image',
            app,
            phase: 'deploying',
            title: `Put ${String(tag)} back on ${target.argocdApp}`,
            what: `hybris ${String(tag)} → ${colour}`,
            sync: [target.argocdApp],
            gate: { type: 'healthy', argocdApps: [target.argocdApp] },
            expectedMs: t.sync,
            hybris: { colour, role: 'new', replicas: 0 },
          },
          [image.step],
          [{ argocdApp: target.argocdApp, key: target.image, value: tag }],
        );
      }
    }
  }

  return finish({ live: hybrisOf?.live, switched });
}
