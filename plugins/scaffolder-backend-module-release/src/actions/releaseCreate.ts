import { InputError } from '@backstage/errors';
import { createTemplateAction } from '@backstage/plugin-scaffolder-node';
import {
  defaultReleaseTitle,
  releaseApps,
  releaseGrades,
  releaseStrategies,
  type CreateReleaseRequest,
} from '@internal/plugin-release-common';
import type { ReleaseApi } from '../lib/releaseApi';
import { examples } from './releaseCreate.examples';

/** "3,6,9" or [3, 6, 9] → [3, 6, 9]. */
function parseSteps(steps: string | number[]): number[] {
  const list =
    typeof steps === 'string'
      ? steps.split(',').map(s => Number(s.trim()))
      : steps;
  const bad = (n: number, i: number) =>
    !Number.isInteger(n) || n < 1 || n > 60 || (i > 0 && n <= list[i - 1]);
  if (list.length === 0 || list.some(bad)) {
    throw new InputError(
      `steps must be rising replica counts from 1 to 60, like 3,6,9; got '${String(
        steps,
      )}'`,
    );
  }
  return list;
}

/**
 * Creates `kop:release:create`, which registers the release with the release backend
 * (POST /api/release/releases) as the user who runs the template, and outputs its id, page link and
 * rendered notes. A dry run asks the backend for a preview instead, which stores nothing. With
 * `config` it registers a config release (grade A): IaC keys the deploy sets after approval; the
 * action itself changes no system.
 *
 * @public
 */
export function createReleaseCreateAction(options: {
  api: ReleaseApi;
  /** Today, for a rollback's title (default now). */
  now?: () => Date;
}) {
  const { api } = options;
  return createTemplateAction({
    id: 'kop:release:create',
    description:
      'Registers the release with the release backend as the user running the template (with config: a grade A config release, deployed after approval); outputs its id, page link and notes',
    examples,
    supportsDryRun: true,
    schema: {
      input: {
        title: z =>
          z
            .string({ description: 'Title (default: date and apps)' })
            .max(200)
            .optional(),
        grade: z => z.enum(releaseGrades, { description: 'Release grade A–E' }),
        gradeReason: z =>
          z
            .string({
              description: 'Why the grade is below the floor the changes set',
            })
            .max(2000)
            .optional(),
        dbUpdate: z =>
          z.boolean({ description: 'Whether the release updates the DB' }),
        changeClasses: z =>
          z
            .array(z.string(), {
              description: 'Classes of change, e.g. dbChange',
            })
            .optional(),
        apps: z =>
          z
            .array(
              z.object({
                app: z.enum(releaseApps),
                version: z.string({
                  description: 'hybris: deploy-YYYY-MM-DD; cms/web: commit SHA',
                }),
                previousVersion: z.string().optional(),
                strategy: z.enum(releaseStrategies).optional(),
                steps: z.array(z.number().int()).optional(),
              }),
              {
                description:
                  'Apps and the versions they go to (none in a config release)',
              },
            )
            .min(1)
            .optional(),
        steps: z =>
          z
            .union([z.string(), z.array(z.number().int())], {
              description:
                'hybris replica steps of the idle colour, e.g. "3,6,9", for a hybris app that names none',
            })
            .optional(),
        items: z =>
          z
            .array(
              z.object({
                title: z.string({
                  description: 'As announced, e.g. [CMS] KS 템플릿 업데이트',
                }),
                app: z.enum(releaseApps).optional(),
                source: z.object({
                  type: z.enum(['mr', 'commit', 'asana']),
                  project: z.string().optional(),
                  iid: z.number().int().optional(),
                  sha: z.string().optional(),
                  gid: z.string().optional(),
                  url: z.string().optional(),
                }),
              }),
              { description: 'What ships (optional in a config release)' },
            )
            .min(1)
            .optional(),
        config: z =>
          z
            .object(
              {
                environment: z.string({
                  description: 'Environment whose IaC values change, e.g. prod',
                }),
                changes: z
                  .array(
                    z.object({
                      argocdApp: z.string(),
                      key: z.string(),
                      value: z.union([z.string(), z.number(), z.boolean()]),
                    }),
                  )
                  .min(1),
                expectedBlobs: z.record(z.string(), {
                  description: 'File → blob id the diff was shown from',
                }),
                baseSha: z.string({
                  description: 'IaC commit the diff was shown from',
                }),
                reason: z.string().optional(),
              },
              {
                description:
                  'A config release: the IaC keys its deploy sets after grade A approval, and the diff the person saw',
              },
            )
            .optional(),
        rollback: z =>
          z
            .boolean({
              description:
                'A rollback to earlier versions: without a title, the release is titled as one',
            })
            .optional(),
        links: z =>
          z
            .array(z.object({ title: z.string(), url: z.string() }), {
              description: 'Links shown on the release page',
            })
            .optional(),
      },
      output: {
        id: z => z.string({ description: 'The release id' }).optional(),
        pageUrl: z =>
          z
            .string({ description: 'The release page, /releases/<id>' })
            .optional(),
        state: z =>
          z.string({ description: 'The state it was created in' }).optional(),
        minimumGrade: z =>
          z.string({ description: 'The lowest grade its changes allow' }),
        announcement: z =>
          z.string({
            description: 'The shared-room announcement (team format)',
          }),
        asanaNotes: z => z.string({ description: 'The Asana task body' }),
        commitMessage: z => z.string({ description: 'The IaC commit message' }),
      },
    },
    async handler(ctx) {
      const { steps, rollback, ...rest } = ctx.input;
      const hybrisSteps = steps === undefined ? undefined : parseSteps(steps);
      // The API checks each item's source by its type and names the field it refuses.
      const request = {
        ...rest,
        ...(rollback && !rest.title
          ? {
              title: `[롤백] ${defaultReleaseTitle(
                (rest.apps ?? []).map(a => a.app),
                options.now?.() ?? new Date(),
              )}`,
            }
          : {}),
        apps: rest.apps?.map(a =>
          a.app === 'hybris' && !a.steps && hybrisSteps
            ? { ...a, steps: hybrisSteps }
            : a,
        ),
      } as CreateReleaseRequest;

      if (ctx.isDryRun) {
        const preview = await api.preview(
          await ctx.getInitiatorCredentials(),
          request,
        );
        ctx.logger.info(
          `Dry run: the release backend would create this release (stored nowhere):\n${preview.notes.announcement}`,
        );
        ctx.output('minimumGrade', preview.release.minimumGrade);
        ctx.output('announcement', preview.notes.announcement);
        ctx.output('asanaNotes', preview.notes.asana);
        ctx.output('commitMessage', preview.notes.commitMessage);
        return;
      }
      const created = await ctx.checkpoint({
        key: 'release-create',
        fn: async () => {
          const release = await api.create(
            await ctx.getInitiatorCredentials(),
            request,
          );
          return {
            id: release.id,
            state: release.state,
            minimumGrade: release.minimumGrade,
          };
        },
      });
      ctx.logger.info(`Created release ${created.id} (${created.state})`);
      ctx.output('id', created.id);
      ctx.output('pageUrl', `/releases/${created.id}`);
      ctx.output('state', created.state);
      ctx.output('minimumGrade', created.minimumGrade);
      const notes = await api.notes(
        await ctx.getInitiatorCredentials(),
        created.id,
      );
      ctx.output('announcement', notes.announcement);
      ctx.output('asanaNotes', notes.asana);
      ctx.output('commitMessage', notes.commitMessage);
    },
  });
}
