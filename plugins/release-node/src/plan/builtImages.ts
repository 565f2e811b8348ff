import type {
  DeployBuiltImage,
  DeployPlan,
  DeployValue,
} from '@internal/plugin-release-common';
import type { StepOutputs } from '../engine/types';
import { readYamlValues } from '../gitlab/yamlRead';
import { gitBlobId } from '../iac/gitBlob';
import { spliceYamlValues } from '../iac/spliceYamlValues';

/** One step of a run, as far as its build matters. @public */
export interface BuiltImageRunStep {
  /** The step's index in the plan. */
  index: number;
  outputs?: Pick<StepOutputs, 'build'>;
}

/** The tag the run's build step pushed for exactly the image's version, once it succeeded. */
function tagOf(
  plan: DeployPlan,
  image: DeployBuiltImage,
  steps: readonly BuiltImageRunStep[],
): string | undefined {
  const index = plan.steps.findIndex(s => s.id === image.step);
  const build = steps.find(s => s.index === index)?.outputs?.build;
  const ofImage =
    build?.app === image.app &&
    build.version === image.version &&
    build.result === 'SUCCESS';
  return ofImage ? build.imageTag : undefined;
}

/**
 * The plan as a run writes it once its build steps pushed their images: each placeholder of
 * `plan.builtImages` whose build step succeeded in the run, for exactly the version the plan
 * names, replaced by the tag that build pushed, in every step's values, files and diff, and each
 * compare-and-swap blob made from the files so written. Placeholders whose build has not
 * succeeded stay. The fingerprint stays the approved one: it covers the build step and version
 * the tag comes from. Reads and writes nothing.
 *
 * @public
 */
export function resolveBuiltImages(
  plan: DeployPlan,
  steps: readonly BuiltImageRunStep[],
): DeployPlan {
  const tags = new Map<string, string>();
  for (const image of plan.builtImages ?? []) {
    const tag = image.tag ? undefined : tagOf(plan, image, steps);
    if (tag) tags.set(image.placeholder, tag);
  }
  if (!tags.size) return plan;
  const value = (v: DeployValue): DeployValue =>
    typeof v === 'string' ? tags.get(v) ?? v : v;

  // File → key → the placeholder a step sets it to.
  const keys = new Map<string, Map<string, string>>();
  for (const step of plan.steps) {
    for (const c of step.git?.changes ?? []) {
      if (typeof c.to === 'string' && tags.has(c.to)) {
        keys.set(c.file, (keys.get(c.file) ?? new Map()).set(c.key, c.to));
      }
    }
  }
  // The blob of each file text as planned → as written, for the next step's compare-and-swap.
  const blobs = new Map<string, string>();
  const written = (path: string, text: string) => {
    const held = keys.get(path);
    if (!held) return text;
    const now = readYamlValues(text, [...held.keys()], { file: path });
    const values = Object.fromEntries(
      [...held]
        .filter(([key, placeholder]) => now[key] === placeholder)
        .map(([key, placeholder]) => [key, tags.get(placeholder)!]),
    );
    if (!Object.keys(values).length) return text;
    const next = spliceYamlValues(text, values, { file: path });
    blobs.set(gitBlobId(text), gitBlobId(next));
    return next;
  };
  const resolved = plan.steps.map(step => {
    if (!step.git) return step;
    const git = step.git;
    const before = Object.fromEntries(
      Object.entries(git.before).map(([path, blob]) => [
        path,
        blobs.get(blob) ?? blob,
      ]),
    );
    const files = Object.fromEntries(
      Object.entries(git.files).map(([path, text]) => [
        path,
        written(path, text),
      ]),
    );
    let diff = git.diff;
    tags.forEach((tag, placeholder) => {
      diff = diff.split(placeholder).join(tag);
    });
    return {
      ...step,
      git: {
        ...git,
        changes: git.changes.map(c => ({
          ...c,
          from: value(c.from),
          to: value(c.to),
        })),
        before,
        files,
        diff,
      },
    };
  });
  return {
    ...plan,
    steps: resolved,
    builtImages: plan.builtImages!.map(image =>
      tags.has(image.placeholder)
        ? { ...image, tag: tags.get(image.placeholder) }
        : image,
    ),
  };
}

/**
 * Why a step of the plan cannot run yet: it writes a placeholder whose build has not succeeded in
 * the run, so the tag it stands for is not known; undefined when it can.
 *
 * @public
 */
export function builtImageRefusal(
  plan: DeployPlan,
  index: number,
): string | undefined {
  const step = plan.steps[index];
  const git = step?.git;
  if (!git) return undefined;
  const open = (plan.builtImages ?? []).filter(
    image =>
      !image.tag &&
      (git.changes.some(
        c => c.to === image.placeholder || c.from === image.placeholder,
      ) ||
        Object.values(git.files).some(text =>
          text.includes(image.placeholder),
        )),
  );
  if (!open.length) return undefined;
  return open
    .map(
      image =>
        `${step.id} writes the image tag ${image.step} pushes for ${image.version}, and ${image.step} has not finished a successful build of ${image.version} in this run; nothing was committed`,
    )
    .join('; ');
}
