import type { ArgoCdClient } from './argocd/ArgoCdClient';
import type { GitlabClient } from './gitlab/GitlabClient';
import { readYamlValues } from './gitlab/yamlRead';
import { SystemError } from './http/SystemError';
import { readSwitchColour, type ReleaseLayout } from './layout';

const SHA = /^[0-9a-f]{40}$/;

/**
 * Where the live colour is read: the IaC branch head (what the next IaC change starts from) or the
 * revision Argo CD synced the switch app to (what serves now).
 *
 * @public
 */
export type LiveColourSource = 'iac' | 'argocd';

/** The switch keys as read at one ref of the IaC repository. @public */
export interface SwitchValues {
  /** The commit read, or the branch when GitLab did not name the commit. */
  ref: string;
  /** Each switch key's value; undefined when the switch values file is not there. */
  values?: Record<string, unknown>;
}

/** One reading of the live colour: the colour every switch key names, or why there is none. @public */
export type ColourReading = {
  /** The values file, the ref and the IaC project read, e.g. "hybris/values.yaml at main of kop/kop-deploy-prod". */
  at: string;
} & (
  | { colour: string; error?: undefined }
  | { colour?: undefined; error: Error }
);

/** The live hybris colour as the IaC repository and Argo CD see it. @public */
export interface LiveColour {
  /** The switch keys at the IaC branch head. */
  iac: ColourReading;
  /** The switch keys at the revision Argo CD synced the switch app to; absent when Argo CD was not asked. */
  argocd?: ColourReading;
  /** Both readings name the same colour. */
  agree: boolean;
  /** Every error met, a disagreement included. */
  errors: string[];
}

function atOf(layout: ReleaseLayout, environment: string, ref: string) {
  const label = SHA.test(ref) ? ref.slice(0, 12) : ref;
  return `${layout.apps.hybris.switch.values} at ${label} of ${layout.iac.repos[environment]}`;
}

/** Why the switch keys name no colour, worded for what reads them: the IaC head blocks a change, Argo CD's shows what serves. */
function switchError(
  layout: ReleaseLayout,
  source: LiveColourSource,
  at: string,
  problem:
    | { missing: true }
    | { unknown: { key: string; value: unknown } }
    | { mixed: string },
): Error {
  const { switch: sw, colours } = layout.apps.hybris;
  const named = (value: unknown) =>
    value === undefined ? 'missing' : `'${value}'`;
  const colourList = Object.keys(colours).join(', ');
  if (source === 'iac') {
    let detail: string;
    if ('missing' in problem) detail = `${sw.values} is not there`;
    else if ('unknown' in problem) {
      const { key, value } = problem.unknown;
      detail = `${key} is ${named(
        value,
      )}, not one of the colours ${colourList}`;
    } else {
      detail = `the switch keys name more than one colour (${problem.mixed}): finish or revert the switch first`;
    }
    return new SystemError({
      system: 'GitLab',
      action: `find the live hybris colour in ${at}`,
      detail,
    });
  }
  if ('missing' in problem) {
    return new Error(
      `GitLab: ${at} is not there; check release.apps.hybris.switch.values`,
    );
  }
  if ('unknown' in problem) {
    const { key, value } = problem.unknown;
    return new Error(
      `hybris: ${key} in ${at} is ${named(
        value,
      )}, not one of the colours ${colourList}`,
    );
  }
  return new Error(
    `hybris: the switch keys in ${at} name more than one colour (${problem.mixed}): a switch is half done`,
  );
}

/**
 * The colour the switch keys name in values already read: the one reading every door shares (the
 * status cache feeds it the values it holds, {@link readLiveColour} those it reads).
 *
 * @public
 */
export function switchColourAt(
  layout: ReleaseLayout,
  environment: string,
  source: LiveColourSource,
  read: SwitchValues,
): ColourReading {
  const at = atOf(layout, environment, read.ref);
  const { values } = read;
  if (!values) {
    return { at, error: switchError(layout, source, at, { missing: true }) };
  }
  const reading = readSwitchColour(layout.apps.hybris, key => values[key]);
  if ('colour' in reading) return { at, colour: reading.colour };
  return { at, error: switchError(layout, source, at, reading) };
}

/** The switch keys at a ref; throws when GitLab fails or the file is not YAML. */
async function readSwitchValues(
  layout: ReleaseLayout,
  gitlab: Pick<GitlabClient, 'readFile'>,
  project: string,
  ref: string,
): Promise<{ commitId?: string; values?: Record<string, unknown> }> {
  const { values: file, keys } = layout.apps.hybris.switch;
  const read = await gitlab.readFile(project, ref, file);
  if (!read) return {};
  try {
    return {
      commitId: SHA.test(ref) ? ref : read.commitId,
      values: readYamlValues(read.content, keys),
    };
  } catch (e) {
    throw new SystemError({
      system: 'GitLab',
      action: `read ${file} at ${ref} in ${project}`,
      detail: (e as Error).message,
    });
  }
}

/**
 * Which hybris colour is live in an environment: the switch keys at the IaC branch head, and (when
 * an Argo CD client is given) at the revision Argo CD synced the switch app to, and whether they
 * agree. Nothing is thrown for what the systems answer: every failure is on its reading and in
 * `errors`, so a caller can show both readings; a deploy must not go on unless they agree.
 *
 * @public
 */
export async function readLiveColour(options: {
  layout: ReleaseLayout;
  environment: string;
  gitlab: Pick<GitlabClient, 'readFile'>;
  /** The Argo CD instance serving the environment; without it only the IaC repository is read. */
  argocd?: Pick<ArgoCdClient, 'instance' | 'getApplicationState'>;
}): Promise<LiveColour> {
  const { layout, environment, gitlab, argocd } = options;
  const project = layout.iac.repos[environment];
  if (!project) {
    throw new Error(
      `unknown environment '${environment}' (release.iac.repos has ${Object.keys(
        layout.iac.repos,
      ).join(', ')})`,
    );
  }
  const { branch } = layout.iac;
  const sw = layout.apps.hybris.switch;
  const head = readSwitchValues(layout, gitlab, project, branch);
  // Asked at once, beside the head's read: the two do not wait for each other.
  const state = argocd?.getApplicationState(sw.argocdApp);
  state?.catch(() => undefined);

  const iac: ColourReading = await head.then(
    read =>
      switchColourAt(layout, environment, 'iac', { ...read, ref: branch }),
    (error: Error) => ({ at: atOf(layout, environment, branch), error }),
  );
  let argocdReading: ColourReading | undefined;
  if (argocd && state) {
    argocdReading = await state.then(
      async ({ syncedRevision, comparedRevision }) => {
        const revision = syncedRevision ?? comparedRevision;
        if (!revision) {
          return {
            at: `what ${sw.argocdApp} runs in Argo CD (${argocd.instance})`,
            error: new Error(
              `Argo CD (${argocd.instance}): ${sw.argocdApp} has synced no revision yet`,
            ),
          };
        }
        const headRead = await head.catch(() => undefined);
        try {
          // The head is usually what Argo CD synced: no second read then.
          const read =
            headRead?.commitId === revision
              ? headRead
              : await readSwitchValues(layout, gitlab, project, revision);
          return switchColourAt(layout, environment, 'argocd', {
            ...read,
            ref: revision,
          });
        } catch (e) {
          return { at: atOf(layout, environment, revision), error: e as Error };
        }
      },
      (error: Error) => ({
        at: `what ${sw.argocdApp} runs in Argo CD (${argocd.instance})`,
        error,
      }),
    );
  }

  const errors = [iac.error, argocdReading?.error]
    .filter((e): e is Error => e !== undefined)
    .map(e => e.message);
  const agree =
    iac.colour !== undefined && iac.colour === argocdReading?.colour;
  if (iac.colour && argocdReading?.colour && !agree) {
    errors.push(
      `hybris: the IaC repository names ${iac.colour} live (${iac.at}), but Argo CD runs ${argocdReading.colour} (${argocdReading.at}): sync ${sw.argocdApp} or revert the switch before going on`,
    );
  }
  return {
    iac,
    ...(argocdReading ? { argocd: argocdReading } : {}),
    agree,
    errors,
  };
}

/**
 * The colour the IaC branch head names live, for what changes the IaC repository (the release IaC
 * diff, what ships); throws what stopped it from being read.
 *
 * @public
 */
export async function iacLiveColour(options: {
  layout: ReleaseLayout;
  environment: string;
  gitlab: Pick<GitlabClient, 'readFile'>;
}): Promise<string> {
  const { iac } = await readLiveColour(options);
  if (iac.error) throw iac.error;
  return iac.colour;
}
