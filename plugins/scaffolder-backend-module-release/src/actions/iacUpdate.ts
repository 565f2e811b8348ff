import { ConflictError, InputError } from '@backstage/errors';
import { createTemplateAction } from '@backstage/plugin-scaffolder-node';
import {
  applyIacEdit,
  checkIacEdit,
  planIacEdit,
  toIacRequestError,
  type ReleaseIntegrations,
  type ReleaseLayout,
  type YamlScalar,
} from '@internal/plugin-release-node';
import { waitUntilMergeable } from '../lib/mergeRequests';
import { realActionClock, type ActionClock } from '../lib/waiting';
import { examples } from './iacUpdate.examples';

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
      const edit = asBackstageError(() =>
        checkIacEdit({ layout, environment, changes, expectedBlobs }),
      );
      const { project, branch } = edit;
      const paths = [...edit.files.keys()];

      const gitlab = options.integrations.gitlab;
      const title =
        ctx.input.title ??
        `[${product}] ${environment}: ${summary(edit.changes)}`;
      const message = ctx.input.notes
        ? `${title}\n\n${ctx.input.notes}`
        : title;

      // Planned once per task: a retried task commits what it showed, without reading it anew.
      const plan = await ctx.checkpoint({
        key: `iac-plan-${environment}`,
        fn: async () => {
          const planned = await asBackstageErrorAsync(() =>
            planIacEdit({
              gitlab,
              layout,
              environment,
              changes,
              expectedBlobs,
              baseSha,
            }),
          );
          return {
            baseSha: planned.baseSha,
            wanted: planned.requiredBlobs,
            diff: planned.diff,
            blobs: planned.expectedBlobs,
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
            const result = await asBackstageErrorAsync(() =>
              gitlab.commitEdits({
                project,
                branch: target,
                message,
                paths,
                edit: applyIacEdit(edit, plan.wanted),
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

/** release-node's named errors as `@backstage/errors` classes: 400 naming the field, 409 for a moved file. */
function toBackstageError(error: unknown): unknown {
  const e = toIacRequestError(error);
  if (e instanceof InputError || e instanceof ConflictError) return e;
  if (e instanceof Error && e.name === 'InputError') {
    return new InputError(e.message);
  }
  if (e instanceof Error && e.name === 'ConflictError') {
    return new ConflictError(e.message);
  }
  return e;
}

function asBackstageError<T>(fn: () => T): T {
  try {
    return fn();
  } catch (e) {
    throw toBackstageError(e);
  }
}

async function asBackstageErrorAsync<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (e) {
    throw toBackstageError(e);
  }
}
