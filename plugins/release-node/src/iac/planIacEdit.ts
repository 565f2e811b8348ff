import type { GitlabClient, GitlabFiles } from '../gitlab/GitlabClient';
import { EditConflictError, type YamlScalar } from '../gitlab/yamlEdit';
import type { ReleaseLayout } from '../layout';
import { IacInputError, IacStaleFileError, toIacRequestError } from './errors';
import { gitBlobId } from './gitBlob';
import { checkIacValue, iacTargets } from './iacTargets';
import { spliceYamlValues } from './spliceYamlValues';
import { unifiedDiff } from './unifiedDiff';

/** One key to change in a values file, as a form or a template asks for it. @public */
export interface IacChange {
  /** Argo CD app whose values file changes, e.g. hybris-green. */
  argocdApp: string;
  /** Dotted values key, e.g. image.tag. */
  key: string;
  value: YamlScalar;
  /** The value the key must hold now; refused when it holds another. */
  expected?: YamlScalar;
}

/** The keys to set in one values file, and the values they must hold now. @public */
export interface IacFileEdit {
  values: Record<string, YamlScalar>;
  expected: Record<string, YamlScalar>;
}

/** A checked IaC change: where it goes and what each file gets. @public */
export interface IacEdit {
  environment: string;
  /** The environment's IaC GitLab project. */
  project: string;
  branch: string;
  /** The changes with their values as they will be written (replica counts as numbers). */
  changes: Array<{ argocdApp: string; key: string; value: YamlScalar }>;
  /** Values file → its edit, in the order the changes name the files. */
  files: Map<string, IacFileEdit>;
}

/** The exact change an IaC edit makes to the branch as it is now; nothing is written. @public */
export interface IacEditPlan {
  project: string;
  branch: string;
  /** Commit of the branch the files were read at. */
  baseSha: string;
  /** Unified diff of every file (empty when nothing changes). */
  diff: string;
  /** File → blob id of the file as read, to send back with the commit. */
  expectedBlobs: Record<string, string>;
  /** File → its new content (the content as read when it already holds the values). */
  files: Record<string, string>;
  changed: boolean;
  /**
   * File → blob id a commit of this plan must find (from the given `expectedBlobs` or `baseSha`);
   * a file with none is edited as it is then.
   */
  requiredBlobs: Record<string, string>;
}

const SHA = /^[0-9a-f]{40}$/;

/**
 * Checks an IaC change against the release layout, naming the field at fault (`changes[0].key …`):
 * the environment has an IaC repository, each app is an Argo CD app of the layout, each key one the
 * portal may change there, each value fits its key, and `expectedBlobs` names only files it touches.
 *
 * @public
 */
export function checkIacEdit(options: {
  layout: ReleaseLayout;
  environment: string;
  changes: IacChange[];
  expectedBlobs?: Record<string, string>;
  /** A deploy plan's stand-ins for image tags its build steps push (see checkIacValue). */
  imagePlaceholders?: readonly string[];
}): IacEdit {
  const { layout, environment, changes, expectedBlobs } = options;
  const project = Object.hasOwn(layout.iac.repos, environment)
    ? layout.iac.repos[environment]
    : undefined;
  if (!project) {
    throw new IacInputError(
      `environment must be one of ${Object.keys(layout.iac.repos).join(
        ', ',
      )}, got '${environment}'`,
    );
  }
  const targets = iacTargets(layout);
  const colours = Object.keys(layout.apps.hybris.colours);
  const files = new Map<string, IacFileEdit>();
  const checked = changes.map((change, i) => {
    const target = targets.get(change.argocdApp);
    if (!target) {
      throw new IacInputError(
        `changes[${i}].argocdApp '${
          change.argocdApp
        }' is not an Argo CD app of the release layout (${[
          ...targets.keys(),
        ].join(', ')})`,
      );
    }
    const kind = target.keys.get(change.key);
    if (!kind) {
      throw new IacInputError(
        `changes[${i}].key '${change.key}' may not be changed on ${
          change.argocdApp
        }; allowed: ${[...target.keys.keys()].join(', ')}`,
      );
    }
    const check = (value: YamlScalar, field: string) =>
      checkIacValue({
        field,
        argocdApp: change.argocdApp,
        key: change.key,
        kind,
        value,
        colours,
        imagePlaceholders: options.imagePlaceholders,
      });
    const value = check(change.value, `changes[${i}].value`);
    const edit = files.get(target.file) ?? { values: {}, expected: {} };
    if (Object.hasOwn(edit.values, change.key)) {
      throw new IacInputError(
        `changes[${i}] sets ${change.key} of ${target.file} a second time`,
      );
    }
    edit.values[change.key] = value;
    if (change.expected !== undefined) {
      edit.expected[change.key] = check(
        change.expected,
        `changes[${i}].expected`,
      );
    }
    files.set(target.file, edit);
    return { argocdApp: change.argocdApp, key: change.key, value };
  });
  const paths = [...files.keys()];
  for (const [path, blob] of Object.entries(expectedBlobs ?? {})) {
    if (!files.has(path)) {
      throw new IacInputError(
        `expectedBlobs names ${path}, which this change does not touch (${paths.join(
          ', ',
        )})`,
      );
    }
    if (!SHA.test(blob)) {
      throw new IacInputError(
        `expectedBlobs.${path} must be a git blob id, got ${JSON.stringify(
          blob,
        )}`,
      );
    }
  }
  return {
    environment,
    project,
    branch: layout.iac.branch,
    changes: checked,
    files,
  };
}

/**
 * The edit function for GitLab's commit: the new contents, checked against the blobs the shown diff
 * was made from. A file that already holds every value (our own commit, landed before a restart) is
 * left alone. Pure, because GitLab's commit calls it again after every re-read.
 *
 * @public
 */
export function applyIacEdit(
  edit: IacEdit,
  requiredBlobs: Record<string, string>,
): (files: GitlabFiles) => Record<string, string> {
  return files => {
    const out: Record<string, string> = {};
    for (const [path, file] of edit.files) {
      const text = files[path];
      if (text === undefined) {
        throw new EditConflictError(
          `${path} is not in ${edit.project} at ${edit.branch}`,
        );
      }
      if (spliceYamlValues(text, file.values, { file: path }) === text) {
        out[path] = text;
        continue;
      }
      const blob = gitBlobId(text);
      const wanted = Object.hasOwn(requiredBlobs, path)
        ? requiredBlobs[path]
        : undefined;
      if (wanted && wanted !== blob) {
        throw new IacStaleFileError(
          `${path} in ${
            edit.project
          } changed since the diff was shown (blob ${wanted.slice(
            0,
            8,
          )}, now ${blob.slice(0, 8)}); show the diff again`,
        );
      }
      out[path] = spliceYamlValues(text, file.values, {
        file: path,
        expected: file.expected,
      });
    }
    return out;
  };
}

/** The blob each file must still have: as the diff showed it, or as it was at `baseSha`. */
async function requiredBlobsOf(
  gitlab: Pick<GitlabClient, 'readFile'>,
  project: string,
  paths: string[],
  given: { expectedBlobs?: Record<string, string>; baseSha?: string },
): Promise<Record<string, string>> {
  const wanted: Record<string, string> = { ...given.expectedBlobs };
  const { baseSha } = given;
  if (baseSha) {
    await Promise.all(
      paths
        .filter(path => !wanted[path])
        .map(async path => {
          const file = await gitlab.readFile(project, baseSha, path);
          if (!file) {
            throw new IacInputError(
              `baseSha ${baseSha} of ${project} has no file ${path}`,
            );
          }
          wanted[path] = gitBlobId(file.content);
        }),
    );
  }
  return wanted;
}

/**
 * Plans an IaC change without writing: checks it ({@link checkIacEdit}), reads the values files at the
 * head of the IaC branch, and answers the exact diff a commit would make (only the bytes of the changed
 * values differ, see {@link spliceYamlValues}) with the blob of each file as read. With `expectedBlobs`
 * or `baseSha` (from an earlier plan), a file that changed since is refused as a conflict. Errors are named InputError (400, naming the
 * field) or ConflictError (409).
 *
 * @public
 */
export async function planIacEdit(options: {
  gitlab: Pick<GitlabClient, 'branch' | 'readFile'>;
  layout: ReleaseLayout;
  environment: string;
  changes: IacChange[];
  expectedBlobs?: Record<string, string>;
  baseSha?: string;
}): Promise<IacEditPlan> {
  const { gitlab, expectedBlobs, baseSha } = options;
  const edit = checkIacEdit(options);
  const { project, branch } = edit;
  if (baseSha !== undefined && !SHA.test(baseSha)) {
    throw new IacInputError(
      `baseSha must be a commit SHA, got ${JSON.stringify(baseSha)}`,
    );
  }
  const head = await gitlab.branch(project, branch);
  if (!head) {
    throw new IacInputError(
      `IaC repository ${project} has no branch ${branch} (release.iac.branch)`,
    );
  }
  const paths = [...edit.files.keys()];
  const requiredBlobs = await requiredBlobsOf(gitlab, project, paths, {
    expectedBlobs,
    baseSha,
  });
  const current: GitlabFiles = {};
  await Promise.all(
    paths.map(async path => {
      current[path] = (await gitlab.readFile(project, head.sha, path))?.content;
    }),
  );
  let files: Record<string, string>;
  try {
    files = applyIacEdit(edit, requiredBlobs)(current);
  } catch (e) {
    throw toIacRequestError(e);
  }
  const diff = paths
    .map(path => unifiedDiff(path, current[path]!, files[path]))
    .join('');
  return {
    project,
    branch,
    baseSha: head.sha,
    diff,
    expectedBlobs: Object.fromEntries(
      paths.map(path => [path, gitBlobId(current[path]!)]),
    ),
    files,
    changed: diff !== '',
    requiredBlobs,
  };
}
