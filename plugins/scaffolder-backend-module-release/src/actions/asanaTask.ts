import { InputError } from '@backstage/errors';
import { createTemplateAction } from '@backstage/plugin-scaffolder-node';
import { releaseGrades } from '@internal/plugin-release-common';
import {
  checkReleaseId,
  messageKeyOf,
  type ReleaseApi,
} from '../lib/releaseApi';
import { examples } from './asanaTask.examples';

/**
 * Creates `kop:asana:task`, which queues the release's task in the Asana release-management project
 * in the release backend's outbox: its title, Asana notes, grade and DB update (the inputs winning),
 * with the build number. The outbox makes it once (a rerun, or a crash after Asana answered, makes
 * no second task) and records its link on the release, where the release page shows it.
 *
 * @public
 */
export function createAsanaTaskAction(options: {
  /** Reads the release and queues its task, as the user. */
  api?: ReleaseApi;
}) {
  return createTemplateAction({
    id: 'kop:asana:task',
    description:
      "Queues the release's task in the Asana release-management project (notes, grade, build number, DB update) in the release outbox; its link appears on the release page once made",
    examples,
    supportsDryRun: true,
    schema: {
      input: {
        releaseId: z =>
          z.string({
            description:
              "A release of the portal (e.g. steps.create.output.id): its title, Asana notes, grade and DB update; '' only in a dry run",
          }),
        name: z =>
          z
            .string({ description: 'Task name (default the release title)' })
            .trim()
            .min(1)
            .max(200)
            .optional(),
        notes: z =>
          z
            .string({
              description: "Task body (default the release's Asana notes)",
            })
            .max(60_000)
            .optional(),
        grade: z =>
          z
            .enum(releaseGrades, {
              description: "Release grade A–E (default the release's)",
            })
            .optional(),
        buildNumber: z =>
          z
            .string({ description: 'Build number, e.g. 1234' })
            .trim()
            .min(1)
            .max(100)
            .optional(),
        dbUpdate: z =>
          z
            .boolean({
              description:
                "Whether the release updates the DB (default the release's)",
            })
            .optional(),
      },
      output: {
        name: z => z.string({ description: 'The task name' }).optional(),
        messageId: z =>
          z
            .string({
              description:
                "The queued task: its making shows on the release page's Messages card, its link on the release",
            })
            .optional(),
        gid: z =>
          z
            .string({
              description:
                'No longer set: the outbox makes the task after the form; kept for older templates',
            })
            .optional(),
        taskUrl: z =>
          z
            .string({
              description:
                'No longer set: the release page links the task once made; kept for older templates',
            })
            .optional(),
      },
    },
    async handler(ctx) {
      const { name, notes, grade, buildNumber, dbUpdate } = ctx.input;
      const releaseId = ctx.input.releaseId || undefined;
      if (!releaseId) {
        if (ctx.isDryRun) {
          // The release step of a dry run registers nothing, so there is no release to read yet.
          ctx.logger.info(
            'Dry run: would create the Asana task of the release made in a real run',
          );
          return;
        }
        throw new InputError(
          "releaseId: the task is made through its release's outbox; give the release (e.g. steps.create.output.id)",
        );
      }
      checkReleaseId(releaseId);
      const api = options.api;
      if (!api) throw new Error('kop:asana:task cannot reach releases here');
      const credentials = await ctx.getInitiatorCredentials();
      const taskName = name ?? (await api.get(credentials, releaseId)).title;
      ctx.output('name', taskName);
      if (ctx.isDryRun) {
        ctx.logger.info(`Dry run: would create the Asana task "${taskName}"`);
        return;
      }
      const message = await api.queueMessage(credentials, releaseId, {
        kind: 'asana.create-task',
        key: messageKeyOf(ctx),
        ...(name ? { name } : {}),
        ...(notes !== undefined ? { notes } : {}),
        ...(grade ? { grade } : {}),
        ...(buildNumber ? { buildNumber } : {}),
        ...(dbUpdate !== undefined ? { dbUpdate } : {}),
      });
      ctx.logger.info(
        `Asana: the task "${taskName}" is queued (message ${message.id}, ${message.state}); the release page links it once made`,
      );
      ctx.output('messageId', message.id);
    },
  });
}
