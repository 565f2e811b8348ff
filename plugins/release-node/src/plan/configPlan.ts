import {
  renderReleaseNotes,
  type DeployPlan,
  type DeployPlanStep,
  type ReleaseConfig,
} from '@internal/plugin-release-common';
import { readYamlValues } from '../gitlab/yamlRead';
import { gitBlobId } from '../iac/gitBlob';
import { IacInputError } from '../iac/errors';
import { iacTargets, type IacTarget } from '../iac/iacTargets';
import { checkIacEdit, type IacEdit } from '../iac/planIacEdit';
import { spliceYamlValues } from '../iac/spliceYamlValues';
import { readSwitchColour, type ReleaseLayout } from '../layout';
import type { DeployPlanInput, DeployPlanWorld } from './computeDeployPlan';
import { DeployPlanConflictError, DeployPlanInputError } from './errors';
import { deployPlanFingerprint } from './fingerprint';
import { commitMessage, planGitSteps, planTarget } from './planSteps';
import { defaultDeployPlanSettings, type DeployPlanSettings } from './settings';

function inputError(field: string, message: string): never {
  throw new DeployPlanInputError(field, message);
}

/** checkIacEdit names `changes[0].key …`; a config release's fields are under `config.`. */
function checkedEdit(layout: ReleaseLayout, config: ReleaseConfig): IacEdit {
  try {
    return checkIacEdit({
      layout,
      environment: config.environment,
      changes: config.changes,
      expectedBlobs: config.expectedBlobs,
    });
  } catch (e) {
    if (!(e instanceof IacInputError)) throw e;
    const [field, ...rest] = e.message.split(' ');
    return inputError(`config.${field}`, rest.join(' '));
  }
}

/** The hybris colour whose values a target is, if it is one. */
function colourOf(layout: ReleaseLayout, target: IacTarget) {
  return Object.entries(layout.apps.hybris.colours).find(
    ([, c]) => c.argocdApp === target.argocdApp,
  )?.[0];
}

/**
 * Every colour that may be serving: the ones IaC and Argo CD name live and the one the switch keys
 * name in the snapshot. One that cannot be read leaves nothing safe to lower, so it is a conflict.
 */
function liveColours(
  layout: ReleaseLayout,
  world: DeployPlanWorld,
  at: string,
): Set<string> {
  const h = layout.apps.hybris;
  const { live } = world;
  if (!live?.iac || !live.argocd) {
    inputError(
      live?.iac ? 'world.live.argocd' : 'world.live',
      "is required when a config release changes a hybris colour's replicas: the live colour is read from IaC and Argo CD both",
    );
  }
  const colours = new Set<string>();
  for (const [system, reading] of [
    ['IaC', live.iac],
    ['Argo CD', live.argocd],
  ] as const) {
    if (reading.colour === undefined) {
      throw new DeployPlanConflictError(
        `hybris: the live colour could not be read from ${system} (${
          reading.at
        }): ${reading.error?.message ?? 'no colour'}`,
      );
    }
    colours.add(reading.colour);
  }
  const text = world.files[h.switch.values];
  if (typeof text !== 'string') {
    inputError('world.files', `has no ${h.switch.values} (read it ${at})`);
  }
  const values = readYamlValues(text, h.switch.keys, { file: h.switch.values });
  const reading = readSwitchColour(h, key => values[key]);
  if (!('colour' in reading)) {
    throw new DeployPlanConflictError(
      `hybris: the switch keys in ${h.switch.values} ${at} name no one colour; finish or revert the switch before changing a colour's replicas`,
    );
  }
  colours.add(reading.colour);
  return colours;
}

/**
 * The values files a config release's plan reads: those it changes and, when it changes a hybris
 * colour's replicas, the switch values that say which colour is live.
 *
 * @public
 */
export function configPlanFiles(
  layout: ReleaseLayout,
  config: Pick<ReleaseConfig, 'changes'>,
): string[] {
  const targets = iacTargets(layout);
  const files = new Set<string>();
  for (const change of config.changes) {
    const target = targets.get(change.argocdApp);
    if (!target) continue;
    files.add(target.file);
    if (
      target.keys.get(change.key) === 'replicas' &&
      colourOf(layout, target)
    ) {
      files.add(layout.apps.hybris.switch.values);
    }
  }
  return [...files];
}

/**
 * Checks a config release's changes, naming the field: each Argo CD app and key is one the layout
 * lets the portal change; no switch key (only a release's switch sets them, all together); no
 * image key (a version ships in a release of that version); no replica count of a colour that may
 * be live below its normal count (the last of `release.apps.hybris.steps`); every file changed has
 * the blob its diff was shown from.
 */
function checkConfigChanges(
  input: DeployPlanInput,
  config: ReleaseConfig,
  settings: DeployPlanSettings,
  at: string,
): IacEdit {
  const { layout, world } = input;
  const targets = iacTargets(layout);
  const h = layout.apps.hybris;
  const normal = h.steps[h.steps.length - 1];
  let live: Set<string> | undefined;
  config.changes.forEach((change, i) => {
    const field = `config.changes[${i}]`;
    const target = targets.get(change.argocdApp);
    const kind = target?.keys.get(change.key);
    if (kind === 'switch') {
      inputError(
        `${field}.key`,
        `'${change.key}' is a switch key: only a release's switch changes them, all ${h.switch.keys.length} together`,
      );
    }
    if (kind === 'image') {
      inputError(
        `${field}.key`,
        `'${change.key}' is the version of ${change.argocdApp}: a version ships in a release of that version, not as a config change`,
      );
    }
    const colour = target && colourOf(layout, target);
    if (kind !== 'replicas' || !colour) return;
    const n = Number(change.value);
    if (n > settings.hybris.maxReplicas) {
      inputError(
        `${field}.value`,
        `is ${n}, above hybris's maximum of ${settings.hybris.maxReplicas} replicas (release.apps.hybris.maxReplicas)`,
      );
    }
    live ??= liveColours(layout, world, at);
    if (live.has(colour) && n < normal) {
      inputError(
        `${field}.value`,
        `is ${JSON.stringify(change.value)}: ${
          change.argocdApp
        } is the live colour, which never goes below its normal ${normal} replicas (release.apps.hybris.steps)`,
      );
    }
  });
  const edit = checkedEdit(layout, config);
  for (const [path, file] of edit.files) {
    const text = world.files[path];
    if (typeof text !== 'string') {
      inputError('world.files', `has no ${path} (read it ${at})`);
    }
    const wanted = Object.hasOwn(config.expectedBlobs, path)
      ? config.expectedBlobs[path]
      : inputError(
          'config.expectedBlobs',
          `has no blob for ${path}: the change must carry the file its diff was shown from`,
        );
    // Already there (this plan's commit, or the same edit by someone else): nothing to write.
    if (spliceYamlValues(text, file.values, { file: path }) === text) continue;
    const blob = gitBlobId(text);
    if (blob !== wanted) {
      throw new DeployPlanConflictError(
        `config.expectedBlobs: ${path} changed ${at} since the diff was shown (blob ${wanted.slice(
          0,
          8,
        )}, now ${blob.slice(
          0,
          8,
        )}); make the config change again from the file as it is`,
      );
    }
  }
  return edit;
}

/**
 * The deploy plan of a config release (grade A): per values file, one commit of exactly the keys
 * the person changed on screen, the file's Argo CD app synced and Healthy; then the sign-off and
 * the announcement. Refused as computeDeployPlan refuses: a {@link DeployPlanInputError} naming
 * the field, or a {@link DeployPlanConflictError} when a file moved since its diff was shown.
 *
 * @public
 */
export function computeConfigPlan(input: DeployPlanInput): DeployPlan {
  const { release, policy, layout, environment, world } = input;
  const config = release.config;
  if (!config) return inputError('config', 'is missing: not a config release');
  const settings = input.settings ?? defaultDeployPlanSettings;
  if (release.grade !== 'A') {
    inputError('grade', `is ${release.grade}; a config release is grade A`);
  }
  if (environment !== config.environment) {
    inputError(
      'environment',
      `is ${environment}, but the config release changes ${config.environment}`,
    );
  }
  const { project, at } = planTarget(layout, environment, world.baseSha);
  const edit = checkConfigChanges(input, config, settings, at);

  const notes = renderReleaseNotes(release, policy);
  const { gitStep } = planGitSteps({
    layout,
    environment,
    files: world.files,
    at,
    message: (subject, stepId) =>
      commitMessage(subject, notes.announcement, release.id, stepId),
  });
  const targets = iacTargets(layout);
  const t = settings.expectedMs;
  const planNotes: string[] = [];
  const steps: DeployPlanStep[] = [...edit.files].map(([path, file]) => {
    const changes = edit.changes.filter(
      c => targets.get(c.argocdApp)!.file === path,
    );
    const argocdApp = changes[0].argocdApp;
    const what = Object.entries(file.values)
      .map(([key, value]) => `${key}=${value}`)
      .join(', ');
    const step = gitStep(
      {
        id: `config.${argocdApp}`,
        app: targets.get(argocdApp)!.app,
        phase: 'deploying',
        title: `Set ${what} on ${argocdApp}`,
        subject: `[${release.product}] 설정 변경 ${argocdApp} ${what}`,
        sync: [argocdApp],
        gate: { type: 'healthy', argocdApps: [argocdApp] },
        expectedMs: t.sync,
      },
      changes,
    );
    if (!step.git?.diff) {
      planNotes.push(`${path} ${at} already holds ${what}: nothing to commit`);
    }
    return step;
  });
  steps.push(
    {
      id: 'signoff',
      kind: 'wait',
      phase: 'awaiting_signoff',
      title: 'Wait for the sign-off that the change works',
      sync: [],
      gate: {
        type: 'approval',
        stage: 'signoff',
        roles: [...policy.signoff.approve],
      },
    },
    {
      id: 'announce',
      kind: 'call',
      phase: 'announced',
      title: 'Announce the config change',
      sync: [],
      gate: { type: 'none' },
      expectedMs: t.call,
      call: {
        system: 'slack',
        operation: 'announce',
        target: { releaseId: release.id },
        message: notes.announcement,
      },
    },
  );
  const plan = {
    releaseId: release.id,
    environment,
    iac: { project, branch: layout.iac.branch, baseSha: world.baseSha },
    steps,
    expectedMs: steps.reduce((sum, s) => sum + (s.expectedMs ?? 0), 0),
    notes: planNotes,
  };
  return { ...plan, fingerprint: deployPlanFingerprint(plan) };
}
