import { InputError } from '@backstage/errors';
import { createTemplateAction } from '@backstage/plugin-scaffolder-node';
import {
  checkCmsRelease,
  checkHybrisCut,
  cutReleaseBranch,
  mergedSha,
  openReleaseMergeRequest,
  ReleaseBranchError,
  resolveReleaseRef,
  waitUntilMergeable,
  type ReleaseIntegrations,
  type ReleaseLayout,
} from '@internal/plugin-release-node';
import { branchFromPattern, parseDateInput, seoulDate } from '../lib/dates';
import { realActionClock, type ActionClock } from '../lib/waiting';
import { examples } from './gitlabReleaseBranch.examples';

const BRANCH = /^(?!.*\.\.)(?!.*\/\/)[A-Za-z0-9][A-Za-z0-9._/-]{0,99}$/;
const short = (sha: string) => sha.slice(0, 8);

function checkBranchName(name: string, field: string) {
  if (!BRANCH.test(name) || name.endsWith('/') || name.endsWith('.lock')) {
    throw new InputError(`${field} '${name}' is not a branch name`);
  }
}

/**
 * Creates `kop:gitlab:release-branch`. hybris: optionally merges a line (e.g. develop) into the
 * branch the release is cut from through a merge request, then cuts `deploy-YYYY-MM-DD` (the
 * layout's pattern). cms: cuts a release branch from `pre-release`, opens a merge request to
 * `master`, waits for its pipeline and merges it.
 *
 * @public
 */
export function createGitlabReleaseBranchAction(options: {
  integrations: Pick<ReleaseIntegrations, 'gitlab'>;
  layout: ReleaseLayout;
  /** How the action waits for pipelines (tests pass a clock that does not). */
  clock?: ActionClock;
  /** Between two looks at a merge request, default 10 s. */
  pollMs?: number;
  /** Today, for the branch date (default now). */
  now?: () => Date;
}) {
  const { layout } = options;
  const clock = options.clock ?? realActionClock;
  const pollMs = options.pollMs ?? 10_000;
  return createTemplateAction({
    id: 'kop:gitlab:release-branch',
    description:
      'hybris: merges and cuts the deploy-YYYY-MM-DD branch; cms: branches from pre-release, opens a merge request to master, waits for its pipeline and merges it',
    examples,
    supportsDryRun: true,
    schema: {
      input: {
        app: z =>
          z.enum(['hybris', 'cms'], {
            description: 'The app released from a branch',
          }),
        date: z =>
          z
            .string({
              description:
                'Release date for the branch name, YYYY-MM-DD (default today in Korea)',
            })
            .optional(),
        ref: z =>
          z
            .string({
              description:
                'Branch or commit the release branch is cut from (hybris default master; cms default the layout’s from-branch, pre-release)',
            })
            .min(1)
            .max(100)
            .optional(),
        mergeFrom: z =>
          z
            .string({
              description:
                'hybris: a branch (e.g. develop) merged into ref through a merge request before the cut',
            })
            .min(1)
            .max(100)
            .optional(),
        branch: z =>
          z
            .string({
              description:
                'Name of the branch to cut (default: hybris the layout’s branchPattern, cms release/YYYY-MM-DD)',
            })
            .optional(),
        title: z =>
          z
            .string({ description: 'Merge request title' })
            .min(1)
            .max(200)
            .optional(),
        description: z =>
          z
            .string({
              description: 'Merge request description, e.g. the release notes',
            })
            .max(20_000)
            .optional(),
        pipelineTimeoutMinutes: z =>
          z
            .number({
              description:
                'Longest wait for a merge request pipeline (default 60)',
            })
            .int()
            .min(1)
            .max(240)
            .optional(),
      },
      output: {
        project: z => z.string({ description: 'GitLab project' }),
        branch: z => z.string({ description: 'The release branch' }),
        sha: z =>
          z.string({ description: 'The commit the release branch points at' }),
        version: z =>
          z.string({
            description:
              'The version to release: hybris the branch name, cms the merge commit on master (8 characters)',
          }),
        mergeRequestUrl: z =>
          z
            .string({
              description:
                'The merge request (cms: release → master; hybris: mergeFrom → ref)',
            })
            .optional(),
        mergeRequestIid: z => z.number().optional(),
        mergeSha: z => z.string({ description: 'The merge commit' }).optional(),
      },
    },
    async handler(ctx) {
      try {
        await releaseBranch(ctx);
      } catch (e) {
        // What the inputs ask cannot be done: the form is at fault, not GitLab.
        if (e instanceof ReleaseBranchError) throw new InputError(e.message);
        throw e;
      }

      async function releaseBranch(c: typeof ctx) {
        const { app, mergeFrom } = c.input;
        const date = c.input.date ?? seoulDate(options.now?.() ?? new Date());
        parseDateInput(date, 'date');
        const gitlab = options.integrations.gitlab;
        const wait = (project: string, iid: number) =>
          waitUntilMergeable(gitlab, project, iid, {
            clock,
            pollMs,
            timeoutMs: (c.input.pipelineTimeoutMinutes ?? 60) * 60_000,
            signal: c.signal,
            logger: c.logger,
          });

        if (app === 'hybris') {
          const project = layout.apps.hybris.repo;
          const name =
            c.input.branch ??
            branchFromPattern(
              layout.apps.hybris.build.branchPattern,
              date,
              'date',
            );
          checkBranchName(name, 'branch');
          if (mergeFrom) checkBranchName(mergeFrom, 'mergeFrom');
          const ref = c.input.ref ?? 'master';
          c.output('project', project);
          c.output('branch', name);
          c.output('version', name);
          const { sha: from } = await checkHybrisCut(gitlab, {
            project,
            branch: name,
            ref,
            mergeFrom,
          });

          if (c.isDryRun) {
            const incoming = mergeFrom
              ? (await gitlab.compare(project, ref, mergeFrom)).commits.length
              : 0;
            c.logger.info(
              `Dry run: would ${
                mergeFrom
                  ? `merge ${mergeFrom} (${incoming} commits) into ${ref}, then `
                  : ''
              }cut ${name} from ${ref} (${short(from)}) in ${project}`,
            );
            c.output('sha', from);
            return;
          }

          let mergeSha: string | undefined;
          if (mergeFrom) {
            const opened = await c.checkpoint({
              key: 'hybris-merge-request',
              fn: async () => {
                const incoming = await gitlab.compare(project, ref, mergeFrom);
                if (incoming.commits.length === 0)
                  return { iid: 0, webUrl: '' };
                const { mergeRequest } = await openReleaseMergeRequest(
                  gitlab,
                  project,
                  {
                    sourceBranch: mergeFrom,
                    targetBranch: ref,
                    title:
                      c.input.title ??
                      `Merge ${mergeFrom} into ${ref} for ${name}`,
                    description: c.input.description,
                    removeSourceBranch: false,
                  },
                );
                return { iid: mergeRequest.iid, webUrl: mergeRequest.webUrl };
              },
            });
            if (opened.iid) {
              c.output('mergeRequestUrl', opened.webUrl);
              c.output('mergeRequestIid', opened.iid);
              const ready = await wait(project, opened.iid);
              const merged = await c.checkpoint({
                key: 'hybris-merge',
                fn: async () => {
                  const mr = await gitlab.mergeMergeRequest(
                    project,
                    opened.iid,
                    { sha: ready.sha, removeSourceBranch: false },
                  );
                  return { sha: mergedSha(mr) };
                },
              });
              mergeSha = merged.sha;
              c.output('mergeSha', mergeSha);
            } else {
              c.logger.info(
                `${ref} already holds everything on ${mergeFrom}; nothing to merge`,
              );
            }
          }
          // The cut point is fixed once, so a retried create lands on the same commit.
          const cutFrom = await c.checkpoint({
            key: 'hybris-cut-from',
            fn: async () => ({
              sha: mergeSha ?? (await resolveReleaseRef(gitlab, project, ref)),
            }),
          });
          const cut = await c.checkpoint({
            key: 'hybris-branch',
            fn: async () => {
              const { branch } = await cutReleaseBranch(
                gitlab,
                project,
                name,
                cutFrom.sha,
              );
              return { name: branch.name, sha: branch.sha };
            },
          });
          c.logger.info(`Cut ${name} at ${short(cut.sha)} in ${project}`);
          c.output('sha', cut.sha);
          return;
        }

        // cms
        const cms = layout.apps.cms;
        const project = cms.repo;
        const { from: fromBranch, into } = cms.branch;
        const name = c.input.branch ?? `release/${date}`;
        checkBranchName(name, 'branch');
        if (mergeFrom) {
          throw new InputError(
            'mergeFrom is for hybris; cms releases what is on its from-branch',
          );
        }
        const ref = c.input.ref ?? fromBranch;
        c.output('project', project);
        c.output('branch', name);
        const candidate = () =>
          checkCmsRelease(gitlab, {
            project,
            ref,
            from: fromBranch,
            into,
            branch: name,
          });

        if (c.isDryRun) {
          const { sha, ships } = await candidate();
          c.logger.info(
            `Dry run: would cut ${name} at ${short(
              sha,
            )}, open a merge request to ${into} with ${
              ships.mergeRequests.length
            } merge requests (${ships.mergeRequests
              .map(m => `!${m.iid} ${m.title}`)
              .join('; ')}), wait for its pipeline and merge it`,
          );
          // The version is the merge commit, which only the merge makes.
          c.output('sha', sha);
          return;
        }

        const from = await c.checkpoint({
          key: 'cms-cut-from',
          fn: async () => ({ sha: (await candidate()).sha }),
        });
        await c.checkpoint({
          key: 'cms-branch',
          fn: async () => {
            const { branch } = await cutReleaseBranch(
              gitlab,
              project,
              name,
              from.sha,
            );
            return { sha: branch.sha };
          },
        });
        c.output('sha', from.sha);
        const opened = await c.checkpoint({
          key: 'cms-merge-request',
          fn: async () => {
            const { mergeRequest } = await openReleaseMergeRequest(
              gitlab,
              project,
              {
                sourceBranch: name,
                targetBranch: into,
                title: c.input.title ?? `Release ${date}`,
                description: c.input.description,
              },
            );
            return { iid: mergeRequest.iid, webUrl: mergeRequest.webUrl };
          },
        });
        c.output('mergeRequestUrl', opened.webUrl);
        c.output('mergeRequestIid', opened.iid);
        const ready = await wait(project, opened.iid);
        const merged = await c.checkpoint({
          key: 'cms-merge',
          fn: async () => {
            const mr = await gitlab.mergeMergeRequest(project, opened.iid, {
              sha: ready.sha,
            });
            return { sha: mergedSha(mr) };
          },
        });
        c.logger.info(
          `Merged !${opened.iid} into ${into} of ${project} as ${short(
            merged.sha,
          )}`,
        );
        c.output('mergeSha', merged.sha);
        c.output('version', short(merged.sha));
      }
    },
  });
}
