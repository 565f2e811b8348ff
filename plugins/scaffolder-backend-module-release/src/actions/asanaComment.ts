import { InputError } from '@backstage/errors';
import { createTemplateAction } from '@backstage/plugin-scaffolder-node';
import {
  checkReleaseId,
  messageKeyOf,
  type ReleaseApi,
} from '../lib/releaseApi';
import { examples } from './asanaComment.examples';

/**
 * Creates `kop:asana:comment`, which queues a comment on the release's Asana task (e.g. the build
 * number, the QA result) in the release backend's outbox; the outbox sends it and the release page
 * shows its delivery.
 *
 * @public
 */
export function createAsanaCommentAction(options: {
  /** Queues the comment, as the user. */
  api?: ReleaseApi;
}) {
  return createTemplateAction({
    id: 'kop:asana:comment',
    description:
      "Queues a comment on the release's Asana task in the release outbox",
    examples,
    supportsDryRun: true,
    schema: {
      input: {
        releaseId: z =>
          z.string({
            description:
              "The release (e.g. steps.create.output.id) whose Asana task gets the comment; '' only in a dry run",
          }),
        taskGid: z =>
          z
            .string({
              description:
                "The release's task, checked by the backend (default: the release's Asana link)",
            })
            .regex(/^\d{1,30}$/, 'must be an Asana gid')
            .optional(),
        text: z =>
          z.string({ description: 'The comment' }).trim().min(1).max(20_000),
      },
      output: {
        messageId: z =>
          z
            .string({
              description:
                "The queued comment: its delivery shows on the release page's Messages card",
            })
            .optional(),
        storyGid: z =>
          z
            .string({
              description:
                'No longer set: the outbox comments after the form; kept for older templates',
            })
            .optional(),
      },
    },
    async handler(ctx) {
      const { taskGid, text } = ctx.input;
      const releaseId = ctx.input.releaseId || undefined;
      if (ctx.isDryRun) {
        ctx.logger.info(
          `Dry run: would comment on the Asana task of ${
            releaseId ? `release ${checkReleaseId(releaseId)}` : 'the release'
          }`,
        );
        return;
      }
      if (!releaseId || !options.api) {
        throw new InputError(
          "releaseId: a comment goes out through its release's outbox; give the release (e.g. steps.create.output.id)",
        );
      }
      const message = await options.api.queueMessage(
        await ctx.getInitiatorCredentials(),
        checkReleaseId(releaseId),
        {
          kind: 'asana.comment',
          text,
          key: messageKeyOf(ctx),
          ...(taskGid ? { taskGid } : {}),
        },
      );
      ctx.logger.info(
        `Asana: comment queued for ${message.destination} (message ${message.id}, ${message.state})`,
      );
      ctx.output('messageId', message.id);
    },
  });
}
