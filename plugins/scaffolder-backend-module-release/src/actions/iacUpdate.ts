import { ConflictError, InputError } from '@backstage/errors';
import { createTemplateAction } from '@backstage/plugin-scaffolder-node';
import {
  EditConflictError,
  SystemError,
  setYamlValues,
  type GitlabClient,
  type ReleaseIntegrations,
  type ReleaseLayout,
  type YamlScalar,
} from '@internal/plugin-release-node';
import { gitBlobId } from '../lib/gitBlob';
import { checkIacValue, iacTargets } from '../lib/iacTargets';
import { waitUntilMergeable } from '../lib/mergeRequests';
import { unifiedDiff } from '../lib/unifiedDiff';
import { realActionClock, type ActionClock } from '../lib/waiting';
import { examples } from './iacUpdate.examples';

/** A file that is no longer what the shown diff was made from. */
class StaleDiffError extends EditConflictError {
  constructor(message: string) {
    super(message);
    this.name = 'StaleDiffError';
  }
}

interface FileEdit {
  values: Record<string, YamlScalar>;
  expected: Record<string, YamlScalar>;
}

const SHA = /^[0-9a-f]{40}$/;

function branchSafe(text: string): string {
  return text.replace(/[^A-Za-z0-9._-]+/g, '-').replace(/^[-.]+|[-.]+$/g, '');
}

/** The change in words, for the commit title: `hybris-green image.tag=…, replicaCount=3`. */
function summary(
  changes: Array<{ argocdApp: string; key: string; value: YamlScalar }>,
) {
  const byApp = new Map<string, string[]>();
  for (const c of changes) {
    byApp.set(c.argocdApp, [
      ...(byApp.get(c.argocdApp) ?? []),
      `${c.key}=${c.value}`,
    ]);
  }
  const text = [...byApp]
    .map(([app, parts]) => `${app} ${parts.join(', ')}`)
    .join('; ');
  return text.length > 150 ? `${text.slice(0, 149)}…` : text;
}

/**
 * Creates `kop:iac:update`, which changes named keys in the IaC repository's values files, keeping
 * comments and formatting, in one commit (or one merge request) whose message carries the release
 * notes. A dry run returns the exact diff and the blob of each file, and writes nothing.
 *
 * @public
 */
export function createIacUpdateAction(options: {
  integrations: Pick<ReleaseIntegrations, 'gitlab'>;
  layout: ReleaseLayout;
  product: string;
  /** How merge-request mode waits for GitLab (tests pass a clock that does not). */
  clock?: ActionClock;
  pollMs?: number;
}) {
  const { layout, product } = options;
  const targets = iacTargets(layout);
  const colours = Object.keys(layout.apps.hybris.colours);
  const clock = options.clock ?? realActionClock;
  return createTemplateAction({
    id: 'kop:iac:update',
    description:
      "Changes named keys of the IaC repository's values files (image tag, replicaCount, hybrisServiceName, keys the layout allows) in one commit or merge request; a dry run returns the exact diff",
    examples,
    supportsDryRun: true,
    schema: {
      input: {
        environment: z =>
          z.string({
            description: 'Environment whose IaC repository changes, e.g. prod',
          }),
        changes: z =>
          z
            .array(
              z.object({
                argocdApp: z.string({
                  description:
                    'Argo CD app whose values file changes, e.g. hybris-green',
                }),
                key: z.string({
                  description: 'Dotted values key, e.g. image.tag',
                }),
                value: z
                  .union([z.string(), z.number(), z.boolean()])
                  .describe('The new value'),
                expected: z
                  .union([z.string(), z.number(), z.boolean()])
                  .optional()
                  .describe(
                    'The value the key must hold now; refused when it holds another',
                  ),
              }),
              { description: 'The keys to change' },
            )
            .min(1)
            .max(50),
        title: z =>
          z
            .string({
              description: 'Commit title (default: the change in words)',
            })
            .min(1)
            .max(200)
            .optional(),
        notes: z =>
          z
            .string({
              description:
                'Release notes for the commit message body, e.g. the announcement',
            })
            .max(20_000)
            .optional(),
        expectedBlobs: z =>
          z
            .record(z.string().regex(SHA, 'must be a git blob id'), {
              description:
                'File → blob id as the dry run showed it; a file that changed since is refused',
            })
            .optional(),
        baseSha: z =>
          z
            .string({
              description:
                'Commit the dry run read; a file that differs from it now is refused',
            })
            .regex(SHA, 'must be a commit SHA')
            .optional(),
      },
      output: {
        diff: z =>
          z.string({
            description:
              'Unified diff of the change (empty when nothing changes)',
          }),
        expectedBlobs: z =>
          z.record(z.string(), {
            description: 'File → blob id the diff was made from',
          }),
        baseSha: z =>
          z.string({
            description: 'Commit of the IaC branch the diff was made from',
          }),
        message: z => z.string({ description: 'The commit message' }),
        changed: z => z.boolean({ description: 'Whether any file changes' }),
        commitSha: z =>
          z
            .string({ description: 'The commit now at the head of the branch' })
            .optional(),
        commitUrl: z =>
          z.string({ description: 'Link to the commit' }).optional(),
        mergeRequestUrl: z =>
          z
            .string({
              description: 'Link to the merge request (merge-request mode)',
            })
            .optional(),
      },
    },
    async handler(ctx) {
      const { environment, changes, expectedBlobs, baseSha } = ctx.input;
      const project = Object.hasOwn(layout.iac.repos, environment)
        ? layout.iac.repos[environment]
        : undefined;
      if (!project) {
        throw new InputError(
          `environment must be one of ${Object.keys(layout.iac.repos).join(
            ', ',
          )}, got '${environment}'`,
        );
      }
      const branch = layout.iac.branch;

      const edits = new Map<string, FileEdit>();
      const checked = changes.map((change, i) => {
        const target = targets.get(change.argocdApp);
        if (!target) {
          throw new InputError(
            `changes[${i}].argocdApp '${
              change.argocdApp
            }' is not an Argo CD app of the release layout (${[
              ...targets.keys(),
            ].join(', ')})`,
          );
        }
        const kind = target.keys.get(change.key);
        if (!kind) {
          throw new InputError(
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
          });
        const value = check(change.value, `changes[${i}].value`);
        const edit = edits.get(target.file) ?? { values: {}, expected: {} };
        if (change.key in edit.values) {
          throw new InputError(
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
        edits.set(target.file, edit);
        return { argocdApp: change.argocdApp, key: change.key, value };
      });
      const paths = [...edits.keys()];
      for (const path of Object.keys(expectedBlobs ?? {})) {
        if (!edits.has(path)) {
          throw new InputError(
            `expectedBlobs names ${path}, which this change does not touch (${paths.join(
              ', ',
            )})`,
          );
        }
      }

      const gitlab = options.integrations.gitlab;
      const title =
        ctx.input.title ?? `[${product}] ${environment}: ${summary(checked)}`;
      const message = ctx.input.notes
        ? `${title}\n\n${ctx.input.notes}`
        : title;

      /**
       * The new contents, checked against the diff that was shown. A file that already holds every
       * value (our own commit, landed before a restart) is left alone. Pure: GitLab retries call it again.
       */
      const applyTo =
        (wanted: Record<string, string>) =>
        (files: Record<string, string | undefined>) => {
          const out: Record<string, string> = {};
          for (const [path, edit] of edits) {
            const text = files[path];
            if (text === undefined) {
              throw new EditConflictError(
                `${path} is not in ${project} at ${branch}`,
              );
            }
            if (setYamlValues(text, edit.values, { file: path }) === text) {
              out[path] = text;
              continue;
            }
            const blob = gitBlobId(text);
            if (wanted[path] && wanted[path] !== blob) {
              throw new StaleDiffError(
                `${path} in ${project} changed since the diff was shown (blob ${wanted[
                  path
                ].slice(0, 8)}, now ${blob.slice(0, 8)}); show the diff again`,
              );
            }
            out[path] = setYamlValues(text, edit.values, {
              file: path,
              expected: edit.expected,
            });
          }
          return out;
        };

      // Planned once per task: a retried task commits what it showed, without reading it anew.
      const plan = await ctx.checkpoint({
        key: `iac-plan-${environment}`,
        fn: async () => {
          const head = await gitlab.branch(project, branch);
          if (!head) {
            throw new InputError(
              `IaC repository ${project} has no branch ${branch} (release.iac.branch)`,
            );
          }
          const wanted = await expectedBlobsOf(gitlab, project, paths, {
            expectedBlobs,
            baseSha,
          });
          const current: Record<string, string | undefined> = {};
          await Promise.all(
            paths.map(async path => {
              current[path] = (
                await gitlab.readFile(project, head.sha, path)
              )?.content;
            }),
          );
          const next = translateConflicts(() => applyTo(wanted)(current));
          return {
            baseSha: head.sha,
            wanted,
            diff: paths
              .map(path => unifiedDiff(path, current[path]!, next[path]))
              .join(''),
            blobs: Object.fromEntries(
              paths.map(path => [path, gitBlobId(current[path]!)]),
            ),
          };
        },
      });
      const { diff } = plan;
      ctx.output('diff', diff);
      ctx.output('expectedBlobs', plan.blobs);
      ctx.output('baseSha', plan.baseSha);
      ctx.output('message', message);
      ctx.output('changed', diff !== '');

      if (ctx.isDryRun) {
        ctx.logger.info(
          `Dry run: would ${
            layout.iac.mode === 'merge-request'
              ? 'open and merge a merge request on'
              : 'commit to'
          } ${branch} of ${project}:\n${diff || '(nothing changes)'}`,
        );
        return;
      }
      if (!diff) {
        ctx.logger.info(
          `${project} ${branch} already holds these values; nothing to commit`,
        );
        ctx.output('commitSha', plan.baseSha);
        return;
      }

      const profile = ctx.user?.entity?.spec?.profile;
      const author = profile?.email
        ? { name: profile.displayName ?? profile.email, email: profile.email }
        : undefined;
      const commitTo = (target: string) =>
        ctx.checkpoint({
          key: `iac-commit-${environment}`,
          fn: async () => {
            const result = await translateConflictsAsync(() =>
              gitlab.commitEdits({
                project,
                branch: target,
                message,
                paths,
                edit: applyTo(plan.wanted),
                author,
              }),
            );
            return {
              committed: result.committed,
              sha: result.sha,
              webUrl: result.webUrl ?? '',
            };
          },
        });

      if (layout.iac.mode === 'commit') {
        const commit = await commitTo(branch);
        ctx.logger.info(
          commit.committed
            ? `Committed ${commit.sha} to ${branch} of ${project}`
            : `${branch} of ${project} already held the change at ${commit.sha}`,
        );
        ctx.output('commitSha', commit.sha);
        if (commit.webUrl) ctx.output('commitUrl', commit.webUrl);
        return;
      }

      const mrBranch = `kop-iac/${environment}/${branchSafe(ctx.task.id).slice(
        0,
        36,
      )}-${branchSafe(ctx.step?.id ?? 'step')}`;
      await ctx.checkpoint({
        key: `iac-branch-${environment}`,
        fn: async () => {
          const created = await gitlab.createBranch(
            project,
            mrBranch,
            plan.baseSha,
          );
          return { name: created.name, sha: created.sha };
        },
      });
      const commit = await commitTo(mrBranch);
      const opened = await ctx.checkpoint({
        key: `iac-merge-request-${environment}`,
        fn: async () => {
          const mr = await gitlab.createMergeRequest(project, {
            sourceBranch: mrBranch,
            targetBranch: branch,
            title,
            description: ctx.input.notes,
            removeSourceBranch: true,
          });
          return { iid: mr.iid, webUrl: mr.webUrl };
        },
      });
      ctx.output('mergeRequestUrl', opened.webUrl);
      await waitUntilMergeable(gitlab, project, opened.iid, {
        clock,
        pollMs: options.pollMs ?? 5_000,
        timeoutMs: 30 * 60_000,
        signal: ctx.signal,
        logger: ctx.logger,
      });
      const merged = await ctx.checkpoint({
        key: `iac-merge-${environment}`,
        fn: async () => {
          const mr = await gitlab.mergeMergeRequest(project, opened.iid, {
            sha: commit.sha,
            message,
            removeSourceBranch: true,
          });
          return { sha: mr.mergeCommitSha ?? mr.squashCommitSha ?? '' };
        },
      });
      ctx.logger.info(
        `Merged !${opened.iid} into ${branch} of ${project} as ${merged.sha}`,
      );
      ctx.output('commitSha', merged.sha);
    },
  });
}

/** The blob each file must still have: as the dry run showed it, or as it was at `baseSha`. */
async function expectedBlobsOf(
  gitlab: GitlabClient,
  project: string,
  paths: string[],
  given: { expectedBlobs?: Record<string, string>; baseSha?: string },
): Promise<Record<string, string>> {
  const wanted: Record<string, string> = { ...given.expectedBlobs };
  if (given.baseSha) {
    await Promise.all(
      paths
        .filter(path => !wanted[path])
        .map(async path => {
          const file = await gitlab.readFile(project, given.baseSha!, path);
          if (!file) {
            throw new InputError(
              `baseSha ${given.baseSha} of ${project} has no file ${path}`,
            );
          }
          wanted[path] = gitBlobId(file.content);
        }),
    );
  }
  return wanted;
}

/** A key not where config says → 400 naming it; a file changed since the diff → 409. */
function toInputOrConflict(error: unknown): unknown {
  const cause =
    error instanceof SystemError ? (error as { cause?: unknown }).cause : error;
  if (cause instanceof StaleDiffError) return new ConflictError(cause.message);
  if (cause instanceof EditConflictError) {
    return new InputError(`IaC values: ${cause.message}`);
  }
  return error;
}

function translateConflicts<T>(fn: () => T): T {
  try {
    return fn();
  } catch (e) {
    throw toInputOrConflict(e);
  }
}

async function translateConflictsAsync<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (e) {
    throw toInputOrConflict(e);
  }
}
