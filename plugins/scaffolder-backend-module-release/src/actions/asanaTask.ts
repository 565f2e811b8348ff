import { InputError } from '@backstage/errors';
import { createTemplateAction } from '@backstage/plugin-scaffolder-node';
import {
  defaultReleaseTitle,
  releaseApps,
  releaseGrades,
  type ReleaseGrade,
} from '@internal/plugin-release-common';
import type { ReleaseIntegrations } from '@internal/plugin-release-node';
import { checkReleaseId, type ReleaseApi } from '../lib/releaseApi';
import { examples } from './asanaTask.examples';

/**
 * Creates `kop:asana:task`, which creates the release's task in the Asana release-management project
 * with its notes and release fields (grade, build number, DB update): from a registered release
 * (`releaseId`) or from the inputs, the inputs winning.
 *
 * @public
 */
export function createAsanaTaskAction(options: {
  integrations: Pick<ReleaseIntegrations, 'asana'>;
  /** Reads the release named by `releaseId`, as the user. */
  api?: ReleaseApi;
  /** Today, for a name made from the apps (default now). */
  now?: () => Date;
}) {
  return createTemplateAction({
    id: 'kop:asana:task',
    description:
      'Creates the release task in the Asana release-management project, with its notes, grade, build number and DB update fields',
    examples,
    supportsDryRun: true,
    schema: {
      input: {
        releaseId: z =>
          z
            .string({
              description:
                'A release of the portal (e.g. steps.create.output.id): its title, Asana notes, grade and DB update',
            })
            .optional(),
        name: z =>
          z
            .string({ description: 'Task name, e.g. "2026.01.06 hybris, cms"' })
            .trim()
            .min(1)
            .max(200)
            .optional(),
        apps: z =>
          z
            .array(z.enum(releaseApps), {
              description:
                'Apps of the release, to name the task after (with today)',
            })
            .min(1)
            .optional(),
        notes: z =>
          z
            .string({
              description:
                'Task body, e.g. the release notes in their Asana form',
            })
            .max(60_000)
            .optional(),
        grade: z =>
          z
            .enum(releaseGrades, { description: 'Release grade A–E' })
            .optional(),
        buildNumber: z =>
          z
            .string({ description: 'Build number, e.g. 1234' })
            .max(100)
            .optional(),
        dbUpdate: z =>
          z
            .boolean({ description: 'Whether the release updates the DB' })
            .optional(),
      },
      output: {
        name: z => z.string({ description: 'The task name' }).optional(),
        gid: z => z.string({ description: 'The task gid' }).optional(),
        taskUrl: z => z.string({ description: 'Link to the task' }).optional(),
      },
    },
    async handler(ctx) {
      const { apps, buildNumber } = ctx.input;
      const releaseId = ctx.input.releaseId || undefined;
      const api = options.api;
      let fromRelease: {
        name?: string;
        notes?: string;
        grade?: ReleaseGrade;
        dbUpdate?: boolean;
      } = {};
      if (releaseId) {
        checkReleaseId(releaseId);
        if (!api) throw new Error('kop:asana:task cannot read releases here');
        const credentials = await ctx.getInitiatorCredentials();
        const [release, notes] = await Promise.all([
          api.get(credentials, releaseId),
          api.notes(credentials, releaseId),
        ]);
        fromRelease = {
          name: release.title,
          notes: notes.asana,
          grade: release.grade,
          dbUpdate: release.dbUpdate,
        };
      }
      const name =
        ctx.input.name ??
        fromRelease.name ??
        (apps
          ? defaultReleaseTitle(apps, options.now?.() ?? new Date())
          : undefined);
      if (!name) {
        if (ctx.isDryRun && 'releaseId' in ctx.input) {
          // The release step of a dry run registers nothing, so there is no release to read yet.
          ctx.logger.info(
            'Dry run: would create the Asana task of the release made in a real run',
          );
          return;
        }
        throw new InputError(
          'give the task a name, the apps to name it after, or releaseId',
        );
      }
      const task = {
        name,
        notes: ctx.input.notes ?? fromRelease.notes ?? '',
        grade: ctx.input.grade ?? fromRelease.grade,
        dbUpdate: ctx.input.dbUpdate ?? fromRelease.dbUpdate,
        buildNumber,
      };
      ctx.output('name', name);
      if (ctx.isDryRun) {
        ctx.logger.info(`Dry run: would create the Asana task "${name}"`);
        return;
      }
      const asana = options.integrations.asana;
      const created = await ctx.checkpoint({
        key: 'asana-task',
        fn: async () => {
          const made = await asana.createReleaseTask(task);
          return { gid: made.gid, url: made.permalinkUrl ?? '' };
        },
      });
      ctx.logger.info(`Asana: created the task "${name}" (${created.gid})`);
      ctx.output('gid', created.gid);
      if (created.url) ctx.output('taskUrl', created.url);
      if (releaseId && api && created.url) {
        const taskUrl = created.url;
        await ctx.checkpoint({
          key: 'asana-task-link',
          fn: async () => {
            const credentials = await ctx.getInitiatorCredentials();
            await api.addLink(credentials, releaseId, {
              title: 'Asana',
              url: taskUrl,
            });
            return taskUrl;
          },
        });
        ctx.logger.info(`Release ${releaseId}: linked its Asana task`);
      }
    },
  });
}
